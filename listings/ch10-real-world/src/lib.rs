//! One small HTTP/1.1 keep-alive server, served three ways: a thread per
//! connection, a fixed pool of threads, and tokio tasks. The handler is
//! shared ([`http::handler`]); only the concurrency model differs.
//!
//! ```text
//! cargo run --release -p ch10-real-world --bin http_server -- thread 8080
//! ```

pub mod http;

pub use http::{Limits, Model, serve, serve_with_limits};
