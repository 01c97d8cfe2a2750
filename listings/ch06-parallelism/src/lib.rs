//! Chapter 6: the same CPU-bound job on one thread, on several threads, on
//! tokio tasks and on tokio's blocking pool, which of them run in parallel,
//! and what running in parallel asks of a task's code.

pub mod cpu;
pub mod send_bound;
pub mod workers;
