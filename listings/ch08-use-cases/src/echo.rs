//! A loopback TCP echo server and its clients, twice: tasks on tokio, and a
//! thread per connection with `std::net`. Every connection ends within the
//! call that opened it, and each server stops when it is dropped.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::panic;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::{self, JoinHandle};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::task::JoinSet;

/// Concurrent clients per run.
pub const CLIENTS: usize = 50;

/// Request/response round trips per client.
pub const ROUNDS: usize = 10;

/// Bytes per request.
pub const MESSAGE_LEN: usize = 64;

/// A connection (or a client) that hears nothing for this long gives up, so
/// nothing can hang for ever.
const IDLE: Duration = Duration::from_secs(10);

/// The request client `client` sends in round `round`. Within a round every
/// client's differs, and so does each round's for one client (up to 256 of
/// each): a reply sent to the wrong client, or one left over from an earlier
/// round, would be noticed.
pub fn message(client: usize, round: usize, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (client * 31 + round * 7 + i) as u8)
        .collect()
}

fn check_echo(sent: &[u8], got: &[u8]) -> io::Result<()> {
    if sent == got {
        Ok(())
    } else {
        Err(io::Error::other("the echo differs from the request"))
    }
}

fn idle_timeout(_: tokio::time::error::Elapsed) -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "no reply")
}

// ANCHOR: task_server
/// The tokio server: one task accepts, one task per connection echoes.
pub struct TaskEchoServer {
    addr: SocketAddr,
    acceptor: tokio::task::JoinHandle<()>,
}

impl TaskEchoServer {
    /// Binds an ephemeral loopback port and starts accepting on the current
    /// runtime, which needs its I/O and time drivers enabled.
    pub async fn start() -> io::Result<Self> {
        let listener =
            tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let acceptor = tokio::spawn(async move {
            // Dropping the set, when the acceptor is aborted, aborts every
            // connection task with it.
            let mut connections = JoinSet::new();
            loop {
                while connections.try_join_next().is_some() {}
                match listener.accept().await {
                    Ok((stream, _)) => {
                        connections.spawn(echo_task(stream));
                    }
                    // Out of file descriptors, say: back off, do not spin.
                    Err(_) => tokio::time::sleep(Duration::from_millis(1)).await,
                }
            }
        });
        Ok(Self { addr, acceptor })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for TaskEchoServer {
    fn drop(&mut self) {
        self.acceptor.abort();
    }
}

/// Sends back whatever arrives, until the client closes its side.
async fn echo_task(mut stream: tokio::net::TcpStream) {
    let _ = stream.set_nodelay(true);
    let mut buf = [0; 4096];
    while let Ok(Ok(n @ 1..)) =
        tokio::time::timeout(IDLE, stream.read(&mut buf)).await
    {
        if stream.write_all(&buf[..n]).await.is_err() {
            break;
        }
    }
}
// ANCHOR_END: task_server

// ANCHOR: task_clients
/// `clients` concurrent tasks, each doing `rounds` round trips of `len`
/// bytes. Returns the number of bytes that came back intact.
pub async fn echo_tasks(
    addr: SocketAddr,
    clients: usize,
    rounds: usize,
    len: usize,
) -> io::Result<usize> {
    let mut set = JoinSet::new();
    for client in 0..clients {
        set.spawn(task_client(addr, client, rounds, len));
    }
    let mut echoed = 0;
    while let Some(done) = set.join_next().await {
        echoed += done.expect("client task panicked")?;
    }
    Ok(echoed)
}

async fn task_client(
    addr: SocketAddr,
    client: usize,
    rounds: usize,
    len: usize,
) -> io::Result<usize> {
    let mut stream = tokio::net::TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let mut reply = vec![0; len];
    for round in 0..rounds {
        let request = message(client, round, len);
        stream.write_all(&request).await?;
        tokio::time::timeout(IDLE, stream.read_exact(&mut reply))
            .await
            .map_err(idle_timeout)??;
        check_echo(&request, &reply)?;
    }
    // Close our side and wait for the server to close its own: the
    // connection is over on both ends before this client returns.
    stream.shutdown().await?;
    let rest = tokio::time::timeout(IDLE, stream.read(&mut reply))
        .await
        .map_err(idle_timeout)??;
    check_echo(&[], &reply[..rest])?;
    Ok(rounds * len)
}
// ANCHOR_END: task_clients

// ANCHOR: thread_server
/// The std server: one thread accepts, one thread per connection echoes.
pub struct ThreadEchoServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
}

impl ThreadEchoServer {
    /// Binds an ephemeral loopback port and starts the accepting thread.
    pub fn start() -> io::Result<Self> {
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let addr = listener.local_addr()?;
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let acceptor = thread::spawn(move || {
            let mut connections: Vec<JoinHandle<()>> = Vec::new();
            for stream in listener.incoming() {
                if stopping.load(SeqCst) {
                    break;
                }
                // Join the connections that have ended, so threads do not
                // pile up while the server runs.
                let (ended, live) =
                    connections.into_iter().partition(|c| c.is_finished());
                connections = live;
                ended
                    .into_iter()
                    .for_each(|c: JoinHandle<()>| c.join().unwrap());
                match stream {
                    Ok(stream) => {
                        connections.push(thread::spawn(move || echo_thread(stream)))
                    }
                    Err(_) => thread::sleep(Duration::from_millis(1)),
                }
            }
            connections.into_iter().for_each(|c| c.join().unwrap());
        });
        Ok(Self {
            addr,
            stop,
            acceptor: Some(acceptor),
        })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}
// ANCHOR_END: thread_server

impl Drop for ThreadEchoServer {
    /// A blocked `accept` cannot be interrupted: set the flag, then connect
    /// once so that the acceptor wakes up and sees it.
    fn drop(&mut self) {
        self.stop.store(true, SeqCst);
        let _ = std::net::TcpStream::connect(self.addr);
        if let Some(acceptor) = self.acceptor.take() {
            acceptor.join().unwrap();
        }
    }
}

/// Sends back whatever arrives, until the client closes its side.
fn echo_thread(mut stream: std::net::TcpStream) {
    let _ = stream.set_nodelay(true);
    let _ = stream.set_read_timeout(Some(IDLE));
    let mut buf = [0; 4096];
    while let Ok(n @ 1..) = stream.read(&mut buf) {
        if stream.write_all(&buf[..n]).is_err() {
            break;
        }
    }
}

// ANCHOR: pooled_server
/// The std server with every thread started in advance: one thread accepts
/// and hands each connection, through a channel, to a fixed set of
/// `workers` threads; each of them serves one connection at a time.
pub struct PooledEchoServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    acceptor: Option<JoinHandle<()>>,
    workers: Vec<JoinHandle<()>>,
}

impl PooledEchoServer {
    pub fn start(workers: usize) -> io::Result<Self> {
        let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
        let addr = listener.local_addr()?;
        let (hand_over, queue) = mpsc::channel();
        let queue = Arc::new(Mutex::new(queue));
        let workers = (0..workers)
            .map(|_| {
                let queue = Arc::clone(&queue);
                thread::spawn(move || {
                    loop {
                        // The lock is held to take a connection, not to serve
                        // it (in `while let`, the guard would live on).
                        let next = queue.lock().unwrap().recv();
                        let Ok(stream) = next else { break };
                        echo_thread(stream);
                    }
                })
            })
            .collect();
        let stop = Arc::new(AtomicBool::new(false));
        let stopping = stop.clone();
        let acceptor = thread::spawn(move || {
            for stream in listener.incoming() {
                if stopping.load(SeqCst) {
                    break;
                }
                match stream {
                    Ok(stream) => hand_over.send(stream).unwrap(),
                    Err(_) => thread::sleep(Duration::from_millis(1)),
                }
            }
        });
        let acceptor = Some(acceptor);
        Ok(Self {
            addr,
            stop,
            acceptor,
            workers,
        })
    }
}

// ANCHOR_END: pooled_server

// ANCHOR: client_threads
/// `clients` client threads started in advance; each time they are told
/// to, every one of them makes one connection with `thread_client`.
pub struct ClientThreads {
    orders: Vec<mpsc::Sender<(SocketAddr, usize, usize)>>,
    results: mpsc::Receiver<io::Result<usize>>,
    threads: Vec<JoinHandle<()>>,
}

impl ClientThreads {
    pub fn start(clients: usize) -> Self {
        let (report, results) = mpsc::channel();
        let (orders, threads) = (0..clients)
            .map(|client| {
                let (order, orders) = mpsc::channel();
                let report = report.clone();
                let thread = thread::spawn(move || {
                    for (addr, rounds, len) in orders {
                        // A client that panics reports an error all the same,
                        // so that `echo` never waits for a reply that cannot come.
                        let ended = panic::catch_unwind(|| {
                            thread_client(addr, client, rounds, len)
                        });
                        let failed =
                            |_| Err(io::Error::other("the client panicked"));
                        let _ = report.send(ended.unwrap_or_else(failed));
                    }
                });
                (order, thread)
            })
            .unzip();
        Self {
            orders,
            results,
            threads,
        }
    }

    /// Every client connects to `addr` at once and does `rounds` round trips
    /// of `len` bytes. Returns the number of bytes that came back intact.
    pub fn echo(
        &self,
        addr: SocketAddr,
        rounds: usize,
        len: usize,
    ) -> io::Result<usize> {
        for order in &self.orders {
            order
                .send((addr, rounds, len))
                .expect("the client threads run");
        }
        // Every result is taken, so none is left over for the next call.
        let all: Vec<_> = self.results.iter().take(self.orders.len()).collect();
        all.into_iter().sum()
    }
}
// ANCHOR_END: client_threads

impl PooledEchoServer {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for PooledEchoServer {
    /// As for `ThreadEchoServer`; the acceptor drops the channel when it
    /// ends, which ends every worker once its connection is over.
    fn drop(&mut self) {
        self.stop.store(true, SeqCst);
        let _ = std::net::TcpStream::connect(self.addr);
        if let Some(acceptor) = self.acceptor.take() {
            acceptor.join().unwrap();
        }
        for worker in self.workers.drain(..) {
            worker.join().unwrap();
        }
    }
}

impl Drop for ClientThreads {
    /// Closing the order channels ends every client thread.
    fn drop(&mut self) {
        self.orders.clear();
        for thread in self.threads.drain(..) {
            thread.join().unwrap();
        }
    }
}

// ANCHOR: thread_clients
/// `clients` concurrent OS threads, each doing `rounds` round trips of `len`
/// bytes. Returns the number of bytes that came back intact.
pub fn echo_threads(
    addr: SocketAddr,
    clients: usize,
    rounds: usize,
    len: usize,
) -> io::Result<usize> {
    thread::scope(|scope| {
        let threads: Vec<_> = (0..clients)
            .map(|client| {
                scope.spawn(move || thread_client(addr, client, rounds, len))
            })
            .collect();
        let mut echoed = 0;
        for thread in threads {
            echoed += thread.join().expect("client thread panicked")?;
        }
        Ok(echoed)
    })
}

fn thread_client(
    addr: SocketAddr,
    client: usize,
    rounds: usize,
    len: usize,
) -> io::Result<usize> {
    let mut stream = std::net::TcpStream::connect(addr)?;
    stream.set_nodelay(true)?;
    stream.set_read_timeout(Some(IDLE))?;
    let mut reply = vec![0; len];
    for round in 0..rounds {
        let request = message(client, round, len);
        stream.write_all(&request)?;
        stream.read_exact(&mut reply)?;
        check_echo(&request, &reply)?;
    }
    stream.shutdown(std::net::Shutdown::Write)?;
    let rest = stream.read(&mut reply)?;
    check_echo(&[], &reply[..rest])?;
    Ok(rounds * len)
}
// ANCHOR_END: thread_clients

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn multi_thread_runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    const ALL_BYTES: usize = CLIENTS * ROUNDS * MESSAGE_LEN;

    #[test]
    fn messages_differ_between_clients_and_rounds() {
        use std::collections::HashSet;
        let m = |c, r| message(c, r, MESSAGE_LEN);
        assert_eq!(m(0, 0).len(), MESSAGE_LEN);
        for round in 0..ROUNDS {
            let all: HashSet<_> = (0..CLIENTS).map(|c| m(c, round)).collect();
            assert_eq!(
                all.len(),
                CLIENTS,
                "two clients send the same in round {round}"
            );
        }
        for client in 0..CLIENTS {
            let all: HashSet<_> = (0..ROUNDS).map(|r| m(client, r)).collect();
            assert_eq!(all.len(), ROUNDS, "client {client} repeats a message");
        }
    }

    #[test]
    fn a_reply_that_differs_from_the_request_is_an_error() {
        assert!(check_echo(b"abc", b"abc").is_ok());
        assert!(check_echo(b"abc", b"abx").is_err());
        assert!(check_echo(&[], &[0]).is_err());
    }

    #[test]
    fn a_dropped_pooled_server_stops_accepting() {
        let server = PooledEchoServer::start(2).unwrap();
        let addr = server.addr();
        drop(server);
        assert!(std::net::TcpStream::connect(addr).is_err());
    }

    #[test]
    fn the_task_server_echoes_every_byte_to_every_task_client() {
        let runtime = multi_thread_runtime();
        runtime.block_on(async {
            let server = TaskEchoServer::start().await.unwrap();
            let echoed = echo_tasks(server.addr(), CLIENTS, ROUNDS, MESSAGE_LEN);
            assert_eq!(echoed.await.unwrap(), ALL_BYTES);
            // Again on the same server: nothing was left over from the first run.
            let echoed = echo_tasks(server.addr(), CLIENTS, ROUNDS, MESSAGE_LEN);
            assert_eq!(echoed.await.unwrap(), ALL_BYTES);
        });
    }

    #[test]
    fn the_thread_server_echoes_every_byte_to_every_thread_client() {
        let server = ThreadEchoServer::start().unwrap();
        for _ in 0..2 {
            let echoed = echo_threads(server.addr(), CLIENTS, ROUNDS, MESSAGE_LEN);
            assert_eq!(echoed.unwrap(), ALL_BYTES);
        }
    }

    #[test]
    fn the_pooled_thread_server_echoes_every_byte_to_every_client_thread() {
        let server = PooledEchoServer::start(CLIENTS).unwrap();
        let clients = ClientThreads::start(CLIENTS);
        // Twice: the same threads serve and connect again.
        for _ in 0..2 {
            let echoed = clients.echo(server.addr(), ROUNDS, MESSAGE_LEN);
            assert_eq!(echoed.unwrap(), ALL_BYTES);
        }
    }

    /// Connects and sends one byte, but does not wait for the echo.
    fn connect_and_send(addr: SocketAddr) -> std::net::TcpStream {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        stream.write_all(&[7]).unwrap();
        stream
    }

    /// Waits up to `within` for the one-byte echo.
    fn echoed_within(stream: &mut std::net::TcpStream, within: Duration) -> bool {
        stream.set_read_timeout(Some(within)).unwrap();
        let mut byte = [0];
        matches!(stream.read(&mut byte), Ok(1) if byte == [7])
    }

    #[test]
    fn the_pooled_server_serves_as_many_connections_at_once_as_it_has_workers() {
        const WORKERS: usize = 4;
        let server = PooledEchoServer::start(WORKERS).unwrap();
        let mut open: Vec<_> = (0..WORKERS)
            .map(|_| connect_and_send(server.addr()))
            .collect();
        // Every one of them is served while all of them stay open.
        for stream in open.iter_mut().rev() {
            assert!(
                echoed_within(stream, IDLE),
                "an open connection was not served"
            );
        }
        // One more waits for a worker: none is free while the others are open...
        let mut extra = connect_and_send(server.addr());
        assert!(!echoed_within(&mut extra, Duration::from_millis(300)));
        // ...until one of them closes.
        drop(open.remove(0));
        assert!(
            echoed_within(&mut extra, IDLE),
            "not served after a worker came free"
        );
    }

    #[test]
    fn messages_larger_than_one_read_come_back_whole() {
        // 20 KiB needs several reads on the server's 4 KiB buffer.
        let len = 20 * 1024;
        let server = ThreadEchoServer::start().unwrap();
        assert_eq!(echo_threads(server.addr(), 4, 3, len).unwrap(), 4 * 3 * len);
        let runtime = multi_thread_runtime();
        runtime.block_on(async {
            let server = TaskEchoServer::start().await.unwrap();
            let echoed = echo_tasks(server.addr(), 4, 3, len).await.unwrap();
            assert_eq!(echoed, 4 * 3 * len);
        });
    }

    #[test]
    fn a_dropped_thread_server_stops_accepting() {
        let server = ThreadEchoServer::start().unwrap();
        let addr = server.addr();
        drop(server);
        assert!(std::net::TcpStream::connect(addr).is_err());
    }

    #[test]
    fn a_dropped_task_server_stops_accepting() {
        let runtime = multi_thread_runtime();
        runtime.block_on(async {
            let server = TaskEchoServer::start().await.unwrap();
            let addr = server.addr();
            drop(server);
            // Aborting is asynchronous: give the runtime a bounded while to
            // drop the listener.
            let deadline = Instant::now() + Duration::from_secs(10);
            while tokio::net::TcpStream::connect(addr).await.is_ok() {
                assert!(Instant::now() < deadline, "still accepting after 10 s");
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        });
    }
}
