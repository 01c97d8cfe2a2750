//! The three servers and what they share: [`Model`] names a concurrency
//! model, [`serve`] runs it. Only std and tokio: the point is to see each
//! model's own loop, with no framework in between.

pub mod blocking;
pub mod handler;
pub mod tasks;

use std::io;
use std::net::TcpListener;
use std::time::Duration;

/// How a server waits for many connections at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Model {
    /// One OS thread for each open connection.
    ThreadPerConnection,
    /// A fixed number of OS threads; each serves one connection to its end.
    Pool { threads: usize },
    /// A tokio task for each connection, on the multi-thread runtime.
    TokioMultiThread,
    /// A tokio task for each connection, all on one thread.
    TokioCurrentThread,
}

impl Model {
    /// The pool's size when [`Model::parse`] is given plain `pool`.
    pub const DEFAULT_POOL_THREADS: usize = 64;

    /// Every model, the pool at its default size.
    pub const ALL: [Model; 4] = [
        Model::ThreadPerConnection,
        Model::Pool {
            threads: Model::DEFAULT_POOL_THREADS,
        },
        Model::TokioMultiThread,
        Model::TokioCurrentThread,
    ];

    /// The name [`Model::parse`] reads back.
    pub fn name(&self) -> &'static str {
        match self {
            Model::ThreadPerConnection => "thread",
            Model::Pool { .. } => "pool",
            Model::TokioMultiThread => "tokio",
            Model::TokioCurrentThread => "tokio_current_thread",
        }
    }

    /// `thread`, `pool` (of [`Model::DEFAULT_POOL_THREADS`]), `pool:N`,
    /// `tokio` or `tokio_current_thread`.
    pub fn parse(s: &str) -> Option<Model> {
        match s {
            "thread" => Some(Model::ThreadPerConnection),
            "pool" => Some(Model::Pool {
                threads: Model::DEFAULT_POOL_THREADS,
            }),
            "tokio" => Some(Model::TokioMultiThread),
            "tokio_current_thread" => Some(Model::TokioCurrentThread),
            _ => {
                let threads = s.strip_prefix("pool:")?.parse().ok()?;
                (threads > 0).then_some(Model::Pool { threads })
            }
        }
    }
}

/// What the server tolerates from a client before it closes the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// A request head longer than this gets `414 URI Too Long` if its request
    /// line alone is, else `431 Request Header Fields Too Large`.
    pub max_head: usize,
    /// Once a request has begun, its whole head must arrive within this;
    /// a client that stalls mid-request is closed. The responses to what
    /// one read brought must also be written within this.
    pub head_timeout: Duration,
    /// How long a keep-alive connection may stay silent between requests.
    /// Long, so that a load test can hold many idle connections open.
    pub idle_timeout: Duration,
}

// ANCHOR: limits
impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_head: 8 * 1024,                     // bytes
            head_timeout: Duration::from_secs(5),   // from a request's first byte
            idle_timeout: Duration::from_secs(300), // between requests
        }
    }
}
// ANCHOR_END: limits

/// Serves `listener` (already bound to 127.0.0.1) with `model` until the
/// process exits or the listener fails (see `pause_after` for the accept
/// errors it outlives); never returns `Ok` under normal operation.
pub fn serve(model: Model, listener: TcpListener) -> io::Result<()> {
    serve_with_limits(model, listener, Limits::default())
}

/// [`serve`], with limits of your own.
pub fn serve_with_limits(
    model: Model,
    listener: TcpListener,
    limits: Limits,
) -> io::Result<()> {
    match model {
        Model::ThreadPerConnection => {
            blocking::thread_per_connection(listener, limits)
        }
        Model::Pool { threads } => blocking::pool(listener, threads, limits),
        Model::TokioMultiThread => {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?;
            runtime.block_on(tasks::task_per_connection(listener, limits))
        }
        Model::TokioCurrentThread => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime.block_on(tasks::task_per_connection(listener, limits))
        }
    }
}

/// After a response that closes the connection, how long in total and how
/// much the server reads and drops before it closes (see `blocking::close`).
pub const LINGER_TIME: Duration = Duration::from_millis(500);
pub const LINGER_BYTES: usize = 64 * 1024;

/// How long an accept loop sleeps when the process or the kernel is out of
/// file descriptors or memory, before it tries again.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// Linux's numbers for the errors that make an accept loop back off
/// (`include/uapi/asm-generic/errno-base.h`, `errno.h`); std has no
/// `ErrorKind` for the first two.
const EMFILE: i32 = 24;
const ENFILE: i32 = 23;
const ENOBUFS: i32 = 105;
const ENOMEM: i32 = 12;

/// The network errors of a connection still in the queue, which Linux's
/// `accept` passes up and the Linux accept(2) manual says to retry like
/// `EAGAIN`: ENETDOWN, EPROTO, ENOPROTOOPT, EHOSTDOWN, ENONET,
/// EHOSTUNREACH, EOPNOTSUPP, ENETUNREACH (`asm-generic/errno.h`); and two
/// more the manual lists among a new connection's errors, EPERM ("Firewall
/// rules forbid connection") and ETIMEDOUT, which end that connection only.
const PENDING_NETWORK_ERRORS: [i32; 10] =
    [100, 71, 92, 112, 64, 113, 95, 101, 1, 110];

/// What an accept loop does after `accept` failed with `error`: how long
/// to pause before it accepts again, or the error that ends the server.
///
/// - The client gave up first (the connection was aborted or reset), a
///   signal came, or a network error of that connection came up through
///   `accept` ([`PENDING_NETWORK_ERRORS`]): no pause, accept the next one.
/// - Out of file descriptors (`EMFILE` for the process, `ENFILE` for the
///   system) or memory (`ENOBUFS`, `ENOMEM`): the connection stays in the
///   accept queue, and open connections free what it needs as they close,
///   so pause [`ACCEPT_BACKOFF`] (not spin, not exit) and try again.
/// - Anything else (`EBADF`, `EINVAL`, `ENOTSOCK` and the like) says the
///   listener itself is unusable: return it.
fn pause_after(error: io::Error) -> io::Result<Duration> {
    use io::ErrorKind::{ConnectionAborted, ConnectionReset, Interrupted};
    if matches!(
        error.kind(),
        ConnectionAborted | ConnectionReset | Interrupted
    ) {
        return Ok(Duration::ZERO);
    }
    match error.raw_os_error() {
        Some(code) if PENDING_NETWORK_ERRORS.contains(&code) => Ok(Duration::ZERO),
        Some(EMFILE | ENFILE | ENOBUFS | ENOMEM) => Ok(ACCEPT_BACKOFF),
        _ => Err(error),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_errors_are_retried_backed_off_or_fatal() {
        let os = io::Error::from_raw_os_error;
        // The numbers come from libc, not from the constants under test.
        use libc::{EBADF, ECONNABORTED, EINVAL};
        assert_eq!(pause_after(os(ECONNABORTED)).unwrap(), Duration::ZERO);
        // The Linux accept(2) manual, "Error handling", for TCP: retry at
        // once; and EPERM and ETIMEDOUT, errors of the new connection only.
        let named = [
            ("ENETDOWN", libc::ENETDOWN),
            ("EPROTO", libc::EPROTO),
            ("ENOPROTOOPT", libc::ENOPROTOOPT),
            ("EHOSTDOWN", libc::EHOSTDOWN),
            ("ENONET", libc::ENONET),
            ("EHOSTUNREACH", libc::EHOSTUNREACH),
            ("EOPNOTSUPP", libc::EOPNOTSUPP),
            ("ENETUNREACH", libc::ENETUNREACH),
            ("EPERM", libc::EPERM),
            ("ETIMEDOUT", libc::ETIMEDOUT),
        ];
        for (name, code) in named {
            assert_eq!(pause_after(os(code)).unwrap(), Duration::ZERO, "{name}");
        }
        for code in [libc::EMFILE, libc::ENFILE, libc::ENOBUFS, libc::ENOMEM] {
            assert_eq!(pause_after(os(code)).unwrap(), ACCEPT_BACKOFF, "{code}");
        }
        for code in [EBADF, EINVAL] {
            let error = pause_after(os(code)).unwrap_err();
            assert_eq!(error.raw_os_error(), Some(code));
        }
    }
}
