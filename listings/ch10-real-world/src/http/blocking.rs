//! The two servers built on blocking I/O: a thread per connection, and a
//! fixed pool of threads. Both run the same connection loop.

use super::handler::{Connection, Next};
use super::{Limits, pause_after};
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::thread;
use std::time::Instant;

use super::{LINGER_BYTES, LINGER_TIME};

// ANCHOR: blocking_connection
/// Serves one connection to its end on the calling thread. Each read
/// blocks this thread, and only this one, until the client's deadline.
pub fn serve_connection(stream: TcpStream, limits: Limits) -> io::Result<()> {
    let mut connection = Connection::new(limits, Instant::now());
    let (mut buf, mut out) = ([0; 4096], Vec::new());
    loop {
        let Some(n) = read_by(&stream, &mut buf, connection.deadline())? else {
            return Ok(()); // idle too long, or stalled mid-request
        };
        if n == 0 {
            return Ok(()); // the client hung up
        }
        let next = connection.receive(&buf[..n], Instant::now(), &mut out);
        // A client that does not read its responses must not hold us for
        // ever: all of them must be written within `head_timeout`.
        write_all_by(&stream, &out, Instant::now() + limits.head_timeout)?;
        out.clear();
        if next == Next::Close {
            return close(stream);
        }
    }
}
// ANCHOR_END: blocking_connection

/// One read that gives up at `deadline`: `Ok(None)` if it passed first.
/// The socket's read timeout is set to the time left before each read, so
/// a client that sends a byte now and then cannot push the deadline back.
fn read_by(
    mut stream: &TcpStream,
    buf: &mut [u8],
    deadline: Instant,
) -> io::Result<Option<usize>> {
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(None);
        }
        stream.set_read_timeout(Some(left))?;
        match stream.read(buf) {
            Ok(n) => return Ok(Some(n)),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if is_timeout(&e) => return Ok(None),
            Err(e) => return Err(e),
        }
    }
}

/// Writes all of `bytes` by `deadline`, whatever the number of `write`
/// calls it takes: the same bound as tokio's `timeout(.., write_all(..))`
/// in `tasks.rs`, where a socket's write timeout alone would bound each
/// call and let a client that reads a little now and then hold us.
fn write_all_by(
    mut stream: &TcpStream,
    mut bytes: &[u8],
    deadline: Instant,
) -> io::Result<()> {
    while !bytes.is_empty() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::ErrorKind::TimedOut.into());
        }
        stream.set_write_timeout(Some(left))?;
        match stream.write(bytes) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => bytes = &bytes[n..],
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) if is_timeout(&e) => return Err(io::ErrorKind::TimedOut.into()),
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Closes after a response without losing it: had the client's unread
/// bytes still been queued when the socket closed, the kernel would send a
/// reset, which can discard the response before the client reads it. So
/// we end our side, then read and drop what the client still sends, until
/// it closes too, `LINGER_BYTES` have come, or `LINGER_TIME` has passed
/// since the close began (one deadline for all the reads, as in `tasks.rs`).
fn close(stream: TcpStream) -> io::Result<()> {
    stream.shutdown(Shutdown::Write)?;
    let deadline = Instant::now() + LINGER_TIME;
    let mut buf = [0; 4096];
    let mut dropped = 0;
    while dropped < LINGER_BYTES {
        match read_by(&stream, &mut buf, deadline) {
            Ok(Some(0) | None) | Err(_) => break,
            Ok(Some(n)) => dropped += n,
        }
    }
    Ok(())
}

/// A read that timed out: Linux reports it as `WouldBlock` (EAGAIN).
fn is_timeout(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

// ANCHOR: thread_per_connection
/// Accepts for ever and gives each connection a new OS thread, which
/// lives exactly as long as the connection.
pub fn thread_per_connection(
    listener: TcpListener,
    limits: Limits,
) -> io::Result<()> {
    loop {
        let stream = match listener.accept() {
            Ok((stream, _)) => stream,
            Err(e) => {
                thread::sleep(pause_after(e)?); // see `pause_after`
                continue;
            }
        };
        // If the kernel refuses another thread, this connection is dropped
        // (closed) and the server goes on with the ones it has.
        let spawned =
            thread::Builder::new().spawn(move || serve_connection(stream, limits));
        if let Err(e) = spawned {
            eprintln!("thread per connection: cannot spawn: {e}");
        }
    }
}
// ANCHOR_END: thread_per_connection

// ANCHOR: pool
/// Starts `threads` threads that each take the next connection from the
/// shared listener and serve it to its end. While all of them are inside
/// a connection, newer connections wait in the kernel's accept queue.
pub fn pool(
    listener: TcpListener,
    threads: usize,
    limits: Limits,
) -> io::Result<()> {
    let listener = Arc::new(listener);
    let workers: Vec<_> = (0..threads.max(1))
        .map(|_| {
            let listener = Arc::clone(&listener);
            thread::spawn(move || -> io::Result<()> {
                loop {
                    match listener.accept() {
                        Ok((stream, _)) => {
                            let _ = serve_connection(stream, limits);
                        }
                        Err(e) => thread::sleep(pause_after(e)?),
                    }
                }
            })
        })
        .collect();
    for worker in workers {
        // A worker ends only when accept fails; a panic is reported as
        // an error rather than passed on.
        worker
            .join()
            .map_err(|_| io::Error::other("a pool thread panicked"))??;
    }
    Ok(())
}
// ANCHOR_END: pool

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// `write_all_by` bounds all its writes together: a reader that takes a
    /// little every `SIP_EVERY`, sooner than the deadline, lets each `write`
    /// get somewhere in time, yet the whole must stop at the deadline. A
    /// socket write timeout alone, which bounds each call, would keep going
    /// until the reader quits after `READ_FOR`.
    #[test]
    fn write_all_by_stops_at_its_deadline_however_often_the_reader_reads() {
        const BOUND: Duration = Duration::from_secs(1);
        const SIP_EVERY: Duration = Duration::from_millis(800);
        const READ_FOR: Duration = Duration::from_secs(4);
        // The deadline plus slack for a late timer on a loaded machine.
        const LATEST: Duration = Duration::from_millis(2500);
        let listener = TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (server, _) = listener.accept().unwrap();
        let reader = thread::spawn(move || {
            let (began, mut buf) = (Instant::now(), vec![0; 64 * 1024]);
            while began.elapsed() < READ_FOR {
                if matches!((&client).read(&mut buf), Ok(0) | Err(_)) {
                    return;
                }
                thread::sleep(SIP_EVERY);
            }
        });
        // Far more than the two sockets' buffers hold, even grown.
        let bytes = vec![b'x'; 64 << 20];
        let began = Instant::now();
        let result = write_all_by(&server, &bytes, began + BOUND);
        let took = began.elapsed();
        drop(server);
        reader.join().unwrap();
        let kind = result.map_err(|e| e.kind());
        assert_eq!(kind, Err(io::ErrorKind::TimedOut), "after {took:?}");
        assert!(took >= BOUND && took <= LATEST, "after {took:?}");
    }
}
