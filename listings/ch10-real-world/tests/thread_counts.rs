//! How many OS threads each server runs as connections open: the server
//! runs as a child process (the `http_server` binary), so that the count
//! in its `/proc/PID/task` is the server's alone, not this test's. The
//! last tests use the child process for another limit of its own: they
//! lower its number of open files, and see the server survive reaching it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// Idle connections opened on top of the first one.
const CONNECTIONS: usize = 40;
const WAIT: Duration = Duration::from_secs(10);

/// The server as a child; dropping it closes its stdin, which stops it.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    fn start(model: &str) -> Server {
        Server::spawn(Command::new(env!("CARGO_BIN_EXE_http_server")).arg(model))
    }

    /// The server with at most `files` open file descriptors (its
    /// `RLIMIT_NOFILE`, lowered by the shell before it starts the server).
    fn start_with_file_limit(model: &str, files: usize) -> Server {
        let script = format!("ulimit -n {files} && exec \"$0\" \"$@\"");
        let server = env!("CARGO_BIN_EXE_http_server");
        Server::spawn(Command::new("sh").args(["-c", &script, server, model]))
    }

    fn spawn(command: &mut Command) -> Server {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line.trim().strip_prefix("listening on ").unwrap();
        Server {
            addr: addr.parse().unwrap(),
            child,
        }
    }

    fn threads(&self) -> usize {
        let task = format!("/proc/{}/task", self.child.id());
        std::fs::read_dir(task).unwrap().count()
    }

    /// A connection whose one request has been answered, left open: the
    /// server has accepted it and holds whatever it gives a connection.
    fn open_idle(&self) -> TcpStream {
        let mut stream = TcpStream::connect_timeout(&self.addr, WAIT).unwrap();
        stream.set_read_timeout(Some(WAIT)).unwrap();
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            .unwrap();
        let mut reply = [0; 128];
        let mut got = 0;
        while !reply[..got].ends_with(b"hello, world\n") {
            let n = stream.read(&mut reply[got..]).unwrap();
            assert!(n > 0, "closed before the reply");
            got += n;
        }
        stream
    }

    /// The thread count once it has stopped changing (a thread that is
    /// ending may still be listed for a moment), or after `WAIT`.
    fn settled_threads(&self) -> usize {
        let began = Instant::now();
        let mut last = self.threads();
        while began.elapsed() < WAIT {
            thread::sleep(Duration::from_millis(100));
            let now = self.threads();
            if now == last {
                return now;
            }
            last = now;
        }
        last
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

/// Threads before and after `CONNECTIONS` more idle connections, counted
/// once the first connection is served (so every thread the server starts
/// at the first connection, such as a runtime's workers, is in `before`).
fn threads_before_and_after(model: &str) -> (usize, usize) {
    let server = Server::start(model);
    let _first = server.open_idle();
    let before = server.settled_threads();
    let _open: Vec<TcpStream> =
        (0..CONNECTIONS).map(|_| server.open_idle()).collect();
    (before, server.settled_threads())
}

#[test]
fn thread_per_connection_runs_one_thread_per_open_connection() {
    let (before, after) = threads_before_and_after("thread");
    assert_eq!(
        after,
        before + CONNECTIONS,
        "{before} threads, then {after}"
    );
}

#[test]
fn a_pool_starts_no_thread_as_connections_open() {
    let (before, after) = threads_before_and_after("pool:64");
    assert_eq!(after, before, "{before} threads, then {after}");
}

#[test]
fn tokio_multi_thread_does_not_add_threads_for_connections() {
    let (before, after) = threads_before_and_after("tokio");
    assert_eq!(after, before, "{before} threads, then {after}");
}

/// The threads `http_server` runs besides any the server starts: its main
/// thread (which calls `serve`), the one that waits for stdin to close,
/// and the watchdog.
const BIN_THREADS: usize = 3;

/// Not one thread beyond the binary's own: the main thread, inside
/// `serve`, runs the runtime, the accept loop and every connection's task.
#[test]
fn tokio_current_thread_serves_every_connection_on_the_main_thread() {
    let (before, after) = threads_before_and_after("tokio_current_thread");
    assert_eq!(before, BIN_THREADS, "{before} threads with one connection");
    assert_eq!(after, before, "{before} threads, then {after}");
}

/// The file-descriptor limit of the server in the tests below: a few for
/// its own files (standard streams, listener, a runtime's epoll), the rest
/// for connections.
const FILE_LIMIT: usize = 32;

/// More clients than the server has descriptors for each send a request
/// at once; then the test reads each reply in turn and closes that
/// connection. Once its descriptors run out, `accept` fails with `EMFILE`
/// while clients wait in the queue; the server must pause and accept them
/// as earlier ones close, not exit: every client is answered, and the
/// process still runs at the end with as many threads as before (a pool
/// whose threads ended at the error would still answer, on the ones left).
fn serves_every_client_past_its_file_limit(model: &str) -> usize {
    let server = Server::start_with_file_limit(model, FILE_LIMIT);
    drop(server.open_idle());
    let before = server.settled_threads();
    let clients: Vec<TcpStream> = (0..FILE_LIMIT + 16)
        .map(|_| {
            let mut stream = TcpStream::connect_timeout(&server.addr, WAIT).unwrap();
            stream.set_read_timeout(Some(WAIT)).unwrap();
            stream
                .write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
                .unwrap();
            stream
        })
        .collect();
    // Time for the server to accept all it can and meet the limit.
    thread::sleep(Duration::from_millis(300));
    for (i, mut stream) in clients.into_iter().enumerate() {
        let mut reply = Vec::new();
        while !reply.ends_with(b"hello, world\n") {
            let mut buf = [0; 256];
            match stream.read(&mut buf) {
                Ok(n) if n > 0 => reply.extend_from_slice(&buf[..n]),
                other => panic!("client {i} of {}: {other:?}", FILE_LIMIT + 16),
            }
        }
    }
    let mut server = server;
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "the server exited"
    );
    let after = server.settled_threads();
    assert_eq!(after, before, "{before} threads before, {after} after");
    before
}

#[test]
fn thread_per_connection_serves_every_client_past_its_file_limit() {
    serves_every_client_past_its_file_limit("thread");
}

/// A pool meets the limit before any client comes: on Linux each thread
/// blocked in `accept` holds a descriptor for the connection to come
/// (`__sys_accept4_file` in net/socket.c takes it with
/// `get_unused_fd_flags`, and fails with `EMFILE` there, before `do_accept`
/// waits), so sixty-four waiting threads need more than `FILE_LIMIT`. Every
/// one must still be there, backing off, once the first client is served.
#[test]
fn a_pool_serves_every_client_past_its_file_limit() {
    let threads = serves_every_client_past_its_file_limit("pool:64");
    assert_eq!(threads, 64 + BIN_THREADS, "a pool thread ended");
}

#[test]
fn tokio_multi_thread_serves_every_client_past_its_file_limit() {
    serves_every_client_past_its_file_limit("tokio");
}

#[test]
fn tokio_current_thread_serves_every_client_past_its_file_limit() {
    serves_every_client_past_its_file_limit("tokio_current_thread");
}
