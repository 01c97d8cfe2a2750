//! Chapter 6: the same CPU-bound job on one thread, on several threads, on
//! tokio tasks and on tokio's blocking pool, and which of them run in parallel.

pub mod cpu;
pub mod workers;
