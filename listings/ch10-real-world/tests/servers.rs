//! The chapter's HTTP server, checked the same way under every concurrency
//! model: good requests, keep-alive, bad input, stalled clients, random
//! bytes, and clients that a one-connection-at-a-time server cannot serve.

use ch10_real_world::http::handler::{Connection, Next};
use ch10_real_world::http::{LINGER_BYTES, LINGER_TIME, blocking};
use ch10_real_world::{Limits, Model, serve_with_limits};
use socket2::{Domain, Socket, Type};
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// Short timeouts, so the timeout tests run in seconds; the idle timeout
/// is far longer than `REPLY_WAIT`, so that a server stuck on an idle
/// connection is caught before that connection times out.
const LIMITS: Limits = Limits {
    max_head: 8 * 1024,
    head_timeout: Duration::from_secs(1),
    idle_timeout: Duration::from_secs(60),
};

/// The idle timeout of `an_idle_keep_alive_connection_is_closed_after_the_idle_timeout`,
/// three times `head_timeout`, and the slack it allows past it for a timer
/// that fires late on a loaded machine; their sum stays under `REPLY_WAIT`,
/// the longest the client's read waits.
const SHORT_IDLE: Duration = Duration::from_secs(3);
const IDLE_SLACK: Duration = Duration::from_millis(1500);

/// How long a client waits for a reply before it says there was none.
/// Generous: a loaded machine answers a loopback request far sooner.
const REPLY_WAIT: Duration = Duration::from_secs(5);

/// The latest a stalled client may be closed: `head_timeout` after its
/// request began, plus as much again and a half of slack, for a timer
/// that fires late or a thread not scheduled at once on a loaded 2-core
/// machine. Far below `REPLY_WAIT` and the idle timeout, so a server that
/// applied either of those to a stalled head would fail.
const STALL_BOUND: Duration = Duration::from_millis(2500);

const GET: &[u8] = b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n";
const GET_CLOSE: &[u8] =
    b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";

/// Starts `model` on a fresh port, on a thread the test never joins: the
/// server lives until the test process ends.
fn start_with(model: Model, limits: Limits) -> SocketAddr {
    count_panics();
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || serve_with_limits(model, listener, limits));
    addr
}

fn start(model: Model) -> SocketAddr {
    start_with(model, LIMITS)
}

/// Panics on the servers' threads, counted: a panic on a connection's
/// thread or task would otherwise go unseen by its clients. Test threads,
/// which libtest names after their test, are left out, so that a failing
/// test does not fail this count too.
static PANICS: AtomicUsize = AtomicUsize::new(0);

fn count_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let name = thread::current().name().map(str::to_owned);
            if matches!(name.as_deref(), None | Some("tokio-runtime-worker")) {
                PANICS.fetch_add(1, Ordering::SeqCst);
            }
            default(info);
        }));
    });
}

fn connect(addr: SocketAddr) -> TcpStream {
    let stream = TcpStream::connect_timeout(&addr, REPLY_WAIT).unwrap();
    stream.set_read_timeout(Some(REPLY_WAIT)).unwrap();
    stream.set_write_timeout(Some(REPLY_WAIT)).unwrap();
    stream
}

/// What a client asks of its kernel for its receive and send buffers; the
/// kernel doubles it and keeps it fixed (socket(7), `SO_RCVBUF`), so that
/// a few kilobytes unread fill them, where the defaults grow to megabytes.
const SMALL_BUFFER: usize = 4 * 1024;

/// [`connect`], with both of the client's buffers set to `SMALL_BUFFER`
/// before it connects (the receive window is fixed at the handshake).
fn connect_small(addr: SocketAddr) -> TcpStream {
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
    socket.set_recv_buffer_size(SMALL_BUFFER).unwrap();
    socket.set_send_buffer_size(SMALL_BUFFER).unwrap();
    socket.connect_timeout(&addr.into(), REPLY_WAIT).unwrap();
    let stream = TcpStream::from(socket);
    stream.set_read_timeout(Some(REPLY_WAIT)).unwrap();
    stream.set_write_timeout(Some(REPLY_WAIT)).unwrap();
    stream
}

/// One response: its status line, its headers and its body.
#[derive(Debug)]
struct Response {
    status: String,
    headers: String,
    body: Vec<u8>,
}

/// Reads one response; `Err` if none arrives whole within `REPLY_WAIT`.
fn read_response(stream: &mut TcpStream) -> io::Result<Response> {
    let mut head = Vec::new();
    let mut byte = [0];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte)? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8(head).map_err(io::Error::other)?;
    let (status, headers) = head.split_once("\r\n").unwrap_or((&head, ""));
    let length = headers
        .lines()
        .find_map(|line| line.strip_prefix("Content-Length: "))
        .ok_or_else(|| io::Error::other(format!("no Content-Length in {head:?}")))?;
    let mut body = vec![0; length.parse().map_err(io::Error::other)?];
    stream.read_exact(&mut body)?;
    Ok(Response {
        status: status.to_string(),
        headers: headers.to_string(),
        body,
    })
}

/// Whether the server has closed the connection: a read sees its end
/// (or a reset) within `REPLY_WAIT`, rather than data or a timeout.
fn closed_by_server(stream: &mut TcpStream) -> bool {
    let mut buf = [0; 64];
    match stream.read(&mut buf) {
        Ok(0) => true,
        Ok(_) => false,
        Err(e) => e.kind() == io::ErrorKind::ConnectionReset,
    }
}

fn assert_hello(response: &Response) {
    assert_eq!(response.status, "HTTP/1.1 200 OK", "{response:?}");
    assert_eq!(response.body, b"hello, world\n", "{response:?}");
}

fn assert_bad_request_then_close(stream: &mut TcpStream) {
    assert_rejected_then_close(stream, "HTTP/1.1 400 Bad Request");
}

fn assert_rejected_then_close(stream: &mut TcpStream, status: &str) {
    let response = read_response(stream).unwrap();
    assert_eq!(response.status, status, "{response:?}");
    assert!(
        response.headers.contains("Connection: close"),
        "{response:?}"
    );
    assert!(
        closed_by_server(stream),
        "the server kept the connection open"
    );
}

// ---------------------------------------------------------------------------
// The check that a server serves connections concurrently.

/// Opens `idle` connections that each send one request, read its reply and
/// then stay open and silent; then one more connection must get replies to
/// `busy` requests while all of them are still open. A server that serves
/// one connection to its end before it accepts the next answers the first
/// idle connection and then waits on it: the second never gets its reply.
fn serves_one_while_others_idle(
    addr: SocketAddr,
    idle: usize,
    busy: usize,
) -> Result<(), String> {
    let mut open = Vec::new();
    for i in 0..idle {
        let mut stream = connect(addr);
        stream
            .write_all(GET)
            .map_err(|e| format!("idle {i}: {e}"))?;
        let reply = read_response(&mut stream)
            .map_err(|e| format!("idle {i}: no reply: {e}"))?;
        assert_hello(&reply);
        open.push(stream);
    }
    let mut stream = connect(addr);
    for request in 0..busy {
        stream.write_all(GET).map_err(|e| format!("busy: {e}"))?;
        let reply = read_response(&mut stream).map_err(|e| {
            format!("busy, request {request}: no reply while {idle} open: {e}")
        })?;
        assert_hello(&reply);
    }
    drop(open); // only now: every idle connection stayed open to the end
    Ok(())
}

/// A server that takes one connection at a time and serves it to its end:
/// the control that the check above must catch. Test code only, not one of
/// the book's models.
fn serve_one_at_a_time(listener: TcpListener) -> io::Result<()> {
    loop {
        let (stream, _) = listener.accept()?;
        let _ = blocking::serve_connection(stream, LIMITS);
    }
}

#[test]
fn the_concurrency_check_fails_a_server_that_serves_one_connection_at_a_time() {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || serve_one_at_a_time(listener));
    // It answers one connection at a time, and keep-alive on one, ...
    assert_eq!(serves_one_while_others_idle(addr, 0, 3), Ok(()));
    // ... but not a second connection while the first stays open.
    let error = serves_one_while_others_idle(addr, 2, 1).unwrap_err();
    assert!(error.starts_with("idle 1: no reply"), "{error}");
}

// ---------------------------------------------------------------------------
// Closing without losing the responses: the check, and a server it must fail.

/// RFC 9112 §9.6: bytes the client sent after a request that closes the
/// connection, still unread when the server closes, make Linux reset the
/// connection rather than end it (`__tcp_close` in net/ipv4/tcp.c: unread
/// data tossed -> `tcp_send_active_reset`), and responses not yet sent are
/// lost. So the client, its receive buffer `SMALL_BUFFER`, pipelines
/// `PIPELINED` requests, the last asking to close, then more bytes, and
/// reads nothing for `UNREAD_FOR`, while the server answers and begins its
/// close: the responses
/// (about a hundred kilobytes) outgrow what the client takes in unread, so
/// some are still in the server's socket at its close. `Err` names the
/// first response that did not arrive.
/// How long the close check's client waits before it reads anything.
const UNREAD_FOR: Duration = Duration::from_millis(200);

fn every_response_survives_the_close(addr: SocketAddr) -> Result<(), String> {
    const PIPELINED: usize = 1000;
    let mut stream = connect_small(addr);
    let mut requests = GET.repeat(PIPELINED - 1);
    requests.extend_from_slice(GET_CLOSE);
    requests.extend_from_slice(&[b'x'; 16 * 1024]);
    stream
        .write_all(&requests)
        .map_err(|e| format!("write: {e}"))?;
    thread::sleep(UNREAD_FOR);
    for i in 0..PIPELINED {
        let response = read_response(&mut stream)
            .map_err(|e| format!("response {i}: {:?}: {e}", e.kind()))?;
        assert_hello(&response);
    }
    if closed_by_server(&mut stream) {
        Ok(())
    } else {
        Err("open after the closing response".into())
    }
}

/// The server's closing step replaced by a plain drop: it answers like the
/// others, but closes with the client's bytes unread. The control that
/// the check above must catch; test code only.
fn serve_then_drop(listener: TcpListener) -> io::Result<()> {
    loop {
        let (mut stream, _) = listener.accept()?;
        stream.set_read_timeout(Some(REPLY_WAIT))?;
        let mut connection = Connection::new(LIMITS, Instant::now());
        let (mut buf, mut out) = ([0; 4096], Vec::new());
        while let Ok(n @ 1..) = stream.read(&mut buf) {
            let next = connection.receive(&buf[..n], Instant::now(), &mut out);
            if stream.write_all(&out).is_err() || next == Next::Close {
                break; // dropped here, with what the client sent after unread
            }
            out.clear();
        }
    }
}

#[test]
fn the_close_check_fails_a_server_that_closes_by_a_plain_drop() {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || serve_then_drop(listener));
    let error = every_response_survives_the_close(addr).unwrap_err();
    assert!(error.contains("ConnectionReset"), "{error}");
}

// ---------------------------------------------------------------------------
// Clients that do not read, and clients that go on sending after a close.

/// A client, its buffers `SMALL_BUFFER`, pipelines requests without end and
/// never reads a response. The responses fill its receive buffer and the
/// server's send buffer, the server's write blocks, and the server stops
/// reading, so the client's writes stall once the server's receive buffer
/// is full too. The server must close, which the client sees as a write
/// that fails: before that stall (a large receive buffer can outlast
/// `head_timeout`), or within `STALL_BOUND` of it (the server's own write
/// blocked no later). A server whose write waits for ever never closes:
/// the loop gives up after `REPLY_WAIT` plus four bounds.
fn a_client_that_never_reads_is_dropped(addr: SocketAddr) -> Result<(), String> {
    never_reading_client(addr, REPLY_WAIT + 4 * STALL_BOUND)
}

/// The check above, giving up after `give_up`.
fn never_reading_client(addr: SocketAddr, give_up: Duration) -> Result<(), String> {
    let mut stream = connect_small(addr);
    let step = Duration::from_millis(100);
    stream.set_write_timeout(Some(step)).unwrap();
    let chunk = GET.repeat(1000); // whole requests, written without a gap
    let (began, mut at, mut stalled) = (Instant::now(), 0, None);
    while began.elapsed() < give_up {
        let tried = Instant::now();
        match stream.write(&chunk[at..]) {
            Ok(n) => (at, stalled) = ((at + n) % chunk.len(), None),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                stalled.get_or_insert(tried);
            }
            Err(e) => {
                let took = stalled.map_or(Duration::ZERO, |at| at.elapsed());
                return if took <= STALL_BOUND {
                    Ok(())
                } else {
                    Err(format!("closed ({e}) {took:?} after the stall"))
                };
            }
        }
    }
    Err(format!("still open after {:?}", began.elapsed()))
}

/// The control: `serve_then_drop` writes with a plain `write_all`, no
/// deadline, so it waits for ever on a client that never reads, and the
/// check must say so (given twice `STALL_BOUND`, to keep the test short).
#[test]
fn the_never_reading_check_fails_a_server_whose_write_has_no_deadline() {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || serve_then_drop(listener));
    let error = never_reading_client(addr, 2 * STALL_BOUND).unwrap_err();
    assert!(error.starts_with("still open"), "{error}");
}

#[test]
fn a_client_that_never_reads_leaves_a_pool_of_one_free_for_the_next() {
    let addr = start(Model::Pool { threads: 1 });
    a_client_that_never_reads_is_dropped(addr).unwrap();
    let mut stream = connect(addr);
    stream.write_all(GET).unwrap();
    assert_hello(&read_response(&mut stream).unwrap());
}

/// How often a lingering client sends a byte, and how late after
/// `LINGER_TIME` the server may close: a timer late or a thread not at once
/// scheduled on a loaded 2-core machine, and two bytes to see the close
/// (the first draws the reset, the second's write fails).
const TRICKLE: Duration = Duration::from_millis(100);
const LINGER_SLACK: Duration = Duration::from_millis(1500);

/// The soonest a lingering server may be seen to close: `LINGER_TIME`.
/// Its clock starts a moment before the client's (which waits to read the
/// response), but the client sees a close only at a later write, a
/// `TRICKLE` or more after it, which covers that moment. A server that does
/// not linger is seen closed a few `TRICKLE`s after the response.
const LINGER_EARLIEST: Duration = LINGER_TIME;

/// The control: `serve_then_drop` closes at once after the response, and
/// the linger check must see the close before `LINGER_EARLIEST`.
#[test]
fn the_linger_check_fails_a_server_that_does_not_linger() {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
    let addr = listener.local_addr().unwrap();
    thread::spawn(move || serve_then_drop(listener));
    let took = linger_after_a_close(addr, 0).unwrap();
    assert!(took < LINGER_EARLIEST, "closed after {took:?}");
}

/// After a closing request is answered, the client sends `burst` bytes at
/// once, then a byte every `TRICKLE`, and reads nothing more. `Ok` says
/// how long after the response the server had closed, seen as a write
/// that fails; the loop gives up after ten times `LINGER_TIME`.
fn linger_after_a_close(addr: SocketAddr, burst: usize) -> Result<Duration, String> {
    let mut stream = connect(addr);
    stream.write_all(GET_CLOSE).unwrap();
    assert_hello(&read_response(&mut stream).unwrap());
    let began = Instant::now();
    if stream.write_all(&vec![b'x'; burst]).is_err() {
        return Ok(began.elapsed());
    }
    while began.elapsed() < 10 * LINGER_TIME {
        thread::sleep(TRICKLE);
        if stream.write_all(b"x").is_err() {
            return Ok(began.elapsed());
        }
    }
    Err(format!("still open after {:?}", began.elapsed()))
}
// ---------------------------------------------------------------------------
// The pool's limit: a pool of K threads serves at most K connections at once.

const POOL: usize = 4;

#[test]
fn a_pool_of_k_leaves_connection_k_plus_1_unanswered_until_one_closes() {
    let addr = start(Model::Pool { threads: POOL });
    let mut open: Vec<TcpStream> = (0..POOL).map(|_| connect(addr)).collect();
    for stream in &mut open {
        stream.write_all(GET).unwrap();
        assert_hello(&read_response(stream).unwrap());
    }
    // Every pool thread is now inside an idle connection. The next client
    // is accepted by the kernel, but no thread reads its request.
    let mut waiting = connect(addr);
    waiting.write_all(GET).unwrap();
    waiting
        .set_read_timeout(Some(Duration::from_secs(1)))
        .unwrap();
    let error = read_response(&mut waiting).unwrap_err();
    assert_eq!(error.kind(), io::ErrorKind::WouldBlock, "{error}");
    // One idle client leaves: its thread takes the waiting connection.
    drop(open.pop());
    waiting.set_read_timeout(Some(REPLY_WAIT)).unwrap();
    assert_hello(&read_response(&mut waiting).unwrap());
}

#[test]
fn a_pool_of_k_plus_1_answers_connection_k_plus_1_at_once() {
    let addr = start(Model::Pool { threads: POOL + 1 });
    assert_eq!(serves_one_while_others_idle(addr, POOL, 3), Ok(()));
}

// ---------------------------------------------------------------------------
// A fixed-seed generator of random inputs (xorshift64*, no crate needed).

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Random bytes, drawn mostly from the ones a request head is made of,
    /// so that some inputs get far into the parser.
    fn bytes(&mut self, len: usize) -> Vec<u8> {
        const ALPHABET: &[u8] = b"GET /HTP1.0:\r\n \tkeep-alive,close";
        (0..len)
            .map(|_| match self.below(4) {
                0 => self.next() as u8,
                _ => ALPHABET[self.below(ALPHABET.len())],
            })
            .collect()
    }
}

/// Cases per model: random byte strings, then random cuts of good requests.
const FUZZ_CASES: usize = 300;

/// Sends `FUZZ_CASES` random inputs, each on its own connection, half of
/// them random bytes and half good requests cut short or with a byte
/// changed; then the server must still answer a good request, no thread of
/// this process may have panicked, and every reply must be one of the
/// statuses the handler sends.
fn fuzz(model: Model) {
    let addr = start(model);
    let mut rng = Rng(0x5eed_0000 + model.name().len() as u64);
    let good = b"GET /index.html HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n";
    for case in 0..FUZZ_CASES {
        let input = if case % 2 == 0 {
            let len = rng.below(200);
            rng.bytes(len)
        } else {
            let mut input = good[..rng.below(good.len() + 1)].to_vec();
            if !input.is_empty() && rng.below(2) == 0 {
                let at = rng.below(input.len());
                input[at] = rng.next() as u8;
            }
            input
        };
        let mut stream = connect(addr);
        stream.write_all(&input).unwrap();
        // Half-close: the server sees the end of the input and must finish
        // without waiting for a timeout.
        stream.shutdown(std::net::Shutdown::Write).unwrap();
        let mut replies = Vec::new();
        let _ = stream.read_to_end(&mut replies);
        for reply in replies
            .split(|&b| b == b'\n')
            .filter(|l| l.starts_with(b"HTTP/"))
        {
            let status = reply.get(..12).unwrap_or_default();
            assert!(
                [
                    &b"HTTP/1.1 200"[..],
                    b"HTTP/1.1 400",
                    b"HTTP/1.1 414",
                    b"HTTP/1.1 431",
                    b"HTTP/1.1 501",
                    b"HTTP/1.1 505"
                ]
                .contains(&status),
                "case {case}: {:?} got {:?}",
                String::from_utf8_lossy(&input),
                String::from_utf8_lossy(reply)
            );
        }
    }
    let mut stream = connect(addr);
    stream.write_all(GET).unwrap();
    assert_hello(&read_response(&mut stream).unwrap());
    assert_eq!(PANICS.load(Ordering::SeqCst), 0, "a thread panicked");
}

// ---------------------------------------------------------------------------
// The same tests for every model.

macro_rules! every_model {
    ($($module:ident: $model:expr,)*) => {$(
        mod $module {
            use super::*;

            const MODEL: Model = $model;

            #[test]
            fn a_good_request_gets_the_response() {
                let mut stream = connect(start(MODEL));
                stream.write_all(GET).unwrap();
                let response = read_response(&mut stream).unwrap();
                assert_hello(&response);
                assert!(response.headers.contains("Connection: keep-alive"));
            }

            #[test]
            fn keep_alive_serves_several_requests_on_one_connection() {
                let mut stream = connect(start(MODEL));
                for _ in 0..5 {
                    stream.write_all(GET).unwrap();
                    assert_hello(&read_response(&mut stream).unwrap());
                }
                // Pipelined: three requests in one write, answered in
                // order, the connection closed after the last as it asks.
                stream.write_all(&[GET, GET, GET_CLOSE].concat()).unwrap();
                for _ in 0..2 {
                    assert_hello(&read_response(&mut stream).unwrap());
                }
                let last = read_response(&mut stream).unwrap();
                assert_hello(&last);
                assert!(last.headers.contains("Connection: close"), "{last:?}");
                assert!(closed_by_server(&mut stream));
            }

            #[test]
            fn http_1_0_closes_unless_keep_alive_is_asked_for() {
                let addr = start(MODEL);
                let mut stream = connect(addr);
                stream.write_all(b"GET / HTTP/1.0\r\n\r\n").unwrap();
                assert_hello(&read_response(&mut stream).unwrap());
                assert!(closed_by_server(&mut stream));

                let mut stream = connect(addr);
                let keep = b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n";
                for _ in 0..3 {
                    stream.write_all(keep).unwrap();
                    assert_hello(&read_response(&mut stream).unwrap());
                }
            }

            #[test]
            fn a_malformed_head_gets_400_and_the_connection_closes() {
                let addr = start(MODEL);
                for bad in [
                    &b"GET /\r\n\r\n"[..],
                    b"GET / HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n",
                    b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
                    b"GET / HTTP/1.1\r\nHost: \xff\xfe\r\n\r\n",
                    // Empty lines before it are skipped; a space is not empty.
                    b"\r\n\r\n \r\n\r\n",
                ] {
                    let mut stream = connect(addr);
                    stream.write_all(bad).unwrap();
                    assert_bad_request_then_close(&mut stream);
                }
                // A bad request after a good one on the same connection:
                // the good one is answered, then 400, then the close.
                let mut stream = connect(addr);
                stream.write_all(&[GET, b"GET\r\n\r\n"].concat()).unwrap();
                assert_hello(&read_response(&mut stream).unwrap());
                assert_bad_request_then_close(&mut stream);
            }

            /// RFC 9110 §15.6.2 and §15.6.6, RFC 9112 §3.2 (an invalid
            /// `Host` value too).
            #[test]
            fn a_post_gets_501_http_2_gets_505_and_a_missing_host_400() {
                let addr = start(MODEL);
                for (request, status) in [
                    (
                        &b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"[..],
                        "HTTP/1.1 501 Not Implemented",
                    ),
                    (
                        b"GET / HTTP/2.0\r\nHost: x\r\n\r\n",
                        "HTTP/1.1 505 HTTP Version Not Supported",
                    ),
                    (b"GET / HTTP/1.1\r\n\r\n", "HTTP/1.1 400 Bad Request"),
                    (
                        b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
                        "HTTP/1.1 400 Bad Request",
                    ),
                ] {
                    let mut stream = connect(addr);
                    stream.write_all(request).unwrap();
                    assert_rejected_then_close(&mut stream, status);
                }
                // RFC 9110 §2.5: a later minor version is served as 1.1.
                let mut stream = connect(addr);
                stream.write_all(b"GET / HTTP/1.2\r\nHost: x\r\n\r\n").unwrap();
                assert_hello(&read_response(&mut stream).unwrap());
                // RFC 9112 §2.2 and §3.2.2: an empty line before the request
                // line, and an absolute-form target, are accepted.
                let absolute = b"\r\nGET http://x/a HTTP/1.1\r\nHost: x\r\n\r\n";
                stream.write_all(absolute).unwrap();
                assert_hello(&read_response(&mut stream).unwrap());
            }

            /// See `every_response_survives_the_close`, and its control
            /// `the_close_check_fails_a_server_that_closes_by_a_plain_drop`.
            #[test]
            fn bytes_sent_after_a_closing_request_do_not_destroy_its_response() {
                assert_eq!(every_response_survives_the_close(start(MODEL)), Ok(()));
            }

            /// The server may write to a client that does not read for
            /// `head_timeout` in all, no longer: see
            /// `a_client_that_never_reads_is_dropped`.
            #[test]
            fn a_client_that_never_reads_is_closed_within_the_bound() {
                let addr = start(MODEL);
                a_client_that_never_reads_is_dropped(addr).unwrap();
                let mut stream = connect(addr);
                stream.write_all(GET).unwrap();
                assert_hello(&read_response(&mut stream).unwrap());
            }

            /// A byte every `TRICKLE` does not stretch the linger: one
            /// deadline, `LINGER_TIME` after the close began, bounds all its
            /// reads. A deadline per read would keep it open to the end of
            /// the loop; no linger at all closes it before `LINGER_EARLIEST`
            /// (see `the_linger_check_fails_a_server_that_does_not_linger`).
            #[test]
            fn the_linger_after_a_close_ends_at_linger_time() {
                let took = linger_after_a_close(start(MODEL), 0).unwrap();
                assert!(took >= LINGER_EARLIEST, "closed after {took:?}");
                assert!(took <= LINGER_TIME + LINGER_SLACK, "closed after {took:?}");
            }

            /// More than `LINGER_BYTES` at once: the server stops reading
            /// there and closes (a reset, with the rest unread) before
            /// `LINGER_TIME`, which without the byte bound it could not.
            #[test]
            fn the_linger_after_a_close_stops_at_linger_bytes() {
                let burst = 4 * LINGER_BYTES;
                let took = linger_after_a_close(start(MODEL), burst).unwrap();
                assert!(took < LINGER_TIME, "closed after {took:?}");
            }

            /// RFC 9112 §3 and RFC 6585 §5.
            #[test]
            fn an_oversized_head_gets_414_or_431_and_the_connection_closes() {
                let addr = start(MODEL);
                let too_large = "HTTP/1.1 431 Request Header Fields Too Large";
                let filler = format!("X-Filler: {}\r\n", "a".repeat(LIMITS.max_head));
                // Unfinished and already too long: no need to wait for more.
                let mut stream = connect(addr);
                stream.write_all(b"GET / HTTP/1.1\r\n").unwrap();
                stream.write_all(filler.as_bytes()).unwrap();
                assert_rejected_then_close(&mut stream, too_large);
                // Finished, but over the limit.
                let mut stream = connect(addr);
                let head = format!("GET / HTTP/1.1\r\n{filler}\r\n");
                stream.write_all(head.as_bytes()).unwrap();
                assert_rejected_then_close(&mut stream, too_large);
                // The request line alone over the limit: its target is.
                let mut stream = connect(addr);
                let target = "a".repeat(LIMITS.max_head);
                let head = format!("GET /{target} HTTP/1.1\r\nHost: x\r\n\r\n");
                stream.write_all(head.as_bytes()).unwrap();
                assert_rejected_then_close(&mut stream, "HTTP/1.1 414 URI Too Long");
            }

            /// Closed between half of `head_timeout` and `STALL_BOUND`
            /// after the request began: so it is that timeout, not the
            /// idle one or none, that closes it.
            #[test]
            fn a_client_that_stalls_mid_request_is_closed_within_the_bound() {
                let addr = start(MODEL);
                let mut stream = connect(addr);
                let began = Instant::now();
                stream.write_all(b"GET / HTTP/1.1\r\nHost: loc").unwrap();
                assert!(closed_by_server(&mut stream), "still open");
                let took = began.elapsed();
                assert!(took >= LIMITS.head_timeout / 2, "closed after {took:?}");
                assert!(took <= STALL_BOUND, "closed after {took:?}");
                // A client that trickles a byte at a time gets no longer:
                // the deadline runs from the request's first bytes. It
                // trickles for four times `head_timeout`, and the server
                // must close while it still trickles (a write to a closed
                // connection fails from the second one on).
                let mut stream = connect(addr);
                let trickle = format!("GET / HTTP/1.1\r\nX-Slow: {}", "a".repeat(40));
                let mut closed = false;
                for &byte in trickle.as_bytes().iter().take(40) {
                    if stream.write_all(&[byte]).is_err() {
                        closed = true;
                        break;
                    }
                    thread::sleep(LIMITS.head_timeout / 10);
                }
                assert!(closed, "still open after four times head_timeout");
            }

            /// Closed between nine tenths of `SHORT_IDLE` and `SHORT_IDLE`
            /// plus `IDLE_SLACK`: `head_timeout` is a third of it, so a
            /// server that applied that one between requests closes too
            /// soon, and one that applied none is still open at the end.
            #[test]
            fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
                let idle = Limits { idle_timeout: SHORT_IDLE, ..LIMITS };
                let mut stream = connect(start_with(MODEL, idle));
                stream.write_all(GET).unwrap();
                assert_hello(&read_response(&mut stream).unwrap());
                let began = Instant::now();
                assert!(closed_by_server(&mut stream), "still open");
                let took = began.elapsed();
                assert!(took >= SHORT_IDLE * 9 / 10, "closed after {took:?}");
                assert!(took <= SHORT_IDLE + IDLE_SLACK, "closed after {took:?}");
            }

            #[test]
            fn random_bytes_never_stop_the_server() {
                fuzz(MODEL);
            }

            #[test]
            fn it_serves_one_client_while_others_stay_open_and_idle() {
                let idle = match MODEL {
                    Model::Pool { threads } => threads - 1,
                    _ => 16,
                };
                assert_eq!(serves_one_while_others_idle(start(MODEL), idle, 3), Ok(()));
            }
        }
    )*};
}

every_model! {
    thread_per_connection: Model::ThreadPerConnection,
    pool: Model::Pool { threads: 8 },
    tokio_multi_thread: Model::TokioMultiThread,
    tokio_current_thread: Model::TokioCurrentThread,
}
