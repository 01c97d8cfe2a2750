//! Which tokio calls wait on the runtime's IO driver and which are handed to
//! its blocking pool. Each call runs on a fresh current_thread runtime that
//! counts the threads it starts: such a runtime polls its tasks on the thread
//! that called `block_on`, so every thread it starts is a blocking-pool thread.
//!
//!     cargo run -p ch08-use-cases --bin which_calls_use_the_blocking_pool

use std::io;
use std::net::Ipv4Addr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::runtime::Builder;

/// A small ordinary file that is there wherever the crate is built.
const FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/Cargo.toml");

// ANCHOR: count
/// Runs `call` on a new current_thread runtime. Returns what it returned,
/// and how many threads the runtime started meanwhile: all of them
/// blocking-pool threads, since this flavour polls every task on the
/// thread that calls `block_on`.
fn threads_started_by<F, T>(call: impl FnOnce() -> F) -> (T, usize)
where
    F: Future<Output = T>,
{
    let started = Arc::new(AtomicUsize::new(0));
    let count = Arc::clone(&started);
    let runtime = Builder::new_current_thread()
        .enable_all()
        .on_thread_start(move || {
            count.fetch_add(1, Ordering::SeqCst);
        })
        .build()
        .expect("a runtime");
    let output = runtime.block_on(call());
    (output, started.load(Ordering::SeqCst))
}
// ANCHOR_END: count

// ANCHOR: calls
/// A file read through `tokio::fs`.
async fn read_a_file() -> io::Result<usize> {
    Ok(tokio::fs::read(FILE).await?.len())
}

/// A host name resolved through tokio.
async fn look_up_a_name() -> io::Result<usize> {
    Ok(tokio::net::lookup_host("localhost:80").await?.count())
}

/// An address given as text: it parses, so there is nothing to look up.
async fn look_up_an_address() -> io::Result<usize> {
    Ok(tokio::net::lookup_host("127.0.0.1:80").await?.count())
}

/// A few bytes over a loopback TCP connection, both ends in this task.
async fn talk_over_a_socket() -> io::Result<usize> {
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
    let mut client = tokio::net::TcpStream::connect(listener.local_addr()?).await?;
    let (mut server, _) = listener.accept().await?;
    client.write_all(b"ping").await?;
    let mut received = [0; 4];
    server.read_exact(&mut received).await?;
    Ok(received.len())
}
// ANCHOR_END: calls

fn main() {
    println!("blocking-pool threads started by each call:");
    let (_, threads) = threads_started_by(read_a_file);
    println!("  tokio::fs::read of a file:     {threads}");
    let (_, threads) = threads_started_by(look_up_a_name);
    println!("  lookup_host(\"localhost:80\"):   {threads}");
    let (_, threads) = threads_started_by(look_up_an_address);
    println!("  lookup_host(\"127.0.0.1:80\"):   {threads}");
    let (_, threads) = threads_started_by(talk_over_a_socket);
    println!("  a TCP exchange over loopback:  {threads}");
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Barrier;

    /// The count is not blind: two `spawn_blocking` closures that can only
    /// finish together, each waiting for the other at a barrier, need two
    /// threads, and the count says two.
    #[test]
    fn the_count_sees_every_blocking_pool_thread() {
        let ((), threads) = threads_started_by(|| async {
            let barrier = Arc::new(Barrier::new(2));
            let both: Vec<_> = (0..2)
                .map(|_| {
                    let barrier = Arc::clone(&barrier);
                    tokio::task::spawn_blocking(move || {
                        barrier.wait();
                    })
                })
                .collect();
            for one in both {
                one.await.unwrap();
            }
        });
        assert_eq!(threads, 2);
    }

    /// `tokio::fs::read` runs `std::fs::read` through `spawn_blocking`
    /// (tokio-1.54.1 src/fs/read.rs, `asyncify` in src/fs/mod.rs): one
    /// blocking-pool thread is started for it.
    #[test]
    fn tokio_fs_reads_a_file_on_a_blocking_pool_thread() {
        let (read, threads) = threads_started_by(read_a_file);
        assert!(read.unwrap() > 0, "the file is not empty");
        assert_eq!(threads, 1);
    }

    /// A name that is not an address is resolved by the system's resolver,
    /// called through `spawn_blocking` (tokio-1.54.1 src/net/addr.rs).
    #[test]
    fn lookup_host_resolves_a_name_on_a_blocking_pool_thread() {
        // Whether the resolver finds `localhost` does not matter here; the
        // call was made on a pool thread either way.
        let (_, threads) = threads_started_by(look_up_a_name);
        assert_eq!(threads, 1);
    }

    /// Text that parses as an address is turned into one on the spot.
    #[test]
    fn lookup_host_of_an_address_starts_no_thread() {
        let (found, threads) = threads_started_by(look_up_an_address);
        assert_eq!(found.unwrap(), 1);
        assert_eq!(threads, 0);
    }

    /// Sockets are registered with the IO driver, which the one runtime
    /// thread polls: no thread is started.
    #[test]
    fn socket_io_waits_on_the_io_driver_and_starts_no_thread() {
        let (received, threads) = threads_started_by(talk_over_a_socket);
        assert_eq!(received.unwrap(), 4);
        assert_eq!(threads, 0);
    }
}
