//! The workloads behind chapter 4's benchmarks: what it costs to start a
//! unit of work, to pass control between two units, and to have many alive
//! at once, for OS threads, tokio tasks and stackful coroutines (`corosensei`)
//! side by side.
//!
//! Each function does the smallest real piece of work it names and returns
//! something the tests can check; the criterion targets in `benches/` only
//! time them.

pub mod relay;
pub mod scale;
pub mod spawn;
pub mod switch;
