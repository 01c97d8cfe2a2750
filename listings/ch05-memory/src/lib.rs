//! How much memory an idle OS thread and a pending tokio task hold, measured
//! from the kernel's own accounts in `/proc` (Linux only).
//!
//! The `memory_probe` binary puts these pieces together and writes the
//! figures the book prints; each piece is tested here on its own.

pub mod kernel;
pub mod maps;
pub mod probe;
pub mod regression;
pub mod rss;

/// Tests that start threads or tasks, or read the process's memory, hold
/// this lock, so that none of them moves the figures another is reading.
#[cfg(test)]
fn alone() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
