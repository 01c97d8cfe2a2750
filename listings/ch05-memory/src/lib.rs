//! How much memory an idle OS thread and a pending tokio task hold, measured
//! from the kernel's own accounts in `/proc` (Linux only).
//!
//! The `memory_probe` binary puts these pieces together and writes the
//! figures the book prints; each piece is tested here on its own.

pub mod maps;
pub mod probe;
pub mod regression;
pub mod rss;
