//! A loopback TCP echo server and its clients, twice: tasks on tokio, and a
//! thread per connection with `std::net`. Every connection ends within the
//! call that opened it, and each server stops when it is dropped.

use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
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

/// The request client `client` sends in round `round`: different for every
/// client and round, so a reply sent to the wrong client would be noticed.
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
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
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
    while let Ok(Ok(n @ 1..)) = tokio::time::timeout(IDLE, stream.read(&mut buf)).await {
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
                let (ended, live) = connections.into_iter().partition(|c| c.is_finished());
                connections = live;
                ended
                    .into_iter()
                    .for_each(|c: JoinHandle<()>| c.join().unwrap());
                match stream {
                    Ok(stream) => connections.push(thread::spawn(move || echo_thread(stream))),
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
// ANCHOR_END: thread_server

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
            .map(|client| scope.spawn(move || thread_client(addr, client, rounds, len)))
            .collect();
        let mut echoed = 0;
        for thread in threads {
            echoed += thread.join().expect("client thread panicked")?;
        }
        Ok(echoed)
    })
}

fn thread_client(addr: SocketAddr, client: usize, rounds: usize, len: usize) -> io::Result<usize> {
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
        let m = |c, r| message(c, r, MESSAGE_LEN);
        assert_eq!(m(0, 0).len(), MESSAGE_LEN);
        assert_ne!(m(0, 0), m(1, 0));
        assert_ne!(m(0, 0), m(0, 1));
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
