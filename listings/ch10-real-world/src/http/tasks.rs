//! The tokio server: a task per connection, on whichever runtime runs it.

use super::handler::{Connection, Next};
use super::{LINGER_BYTES, LINGER_TIME, Limits, pause_after};
use std::io;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout, timeout_at};

// ANCHOR: task_per_connection
/// Accepts for ever and spawns a task for each connection. A task costs
/// no thread: the runtime's threads run whichever tasks have work.
pub async fn task_per_connection(
    listener: std::net::TcpListener,
    limits: Limits,
) -> io::Result<()> {
    listener.set_nonblocking(true)?; // tokio requires it of a std listener
    let listener = tokio::net::TcpListener::from_std(listener)?;
    loop {
        match listener.accept().await {
            Ok((stream, _)) => {
                tokio::spawn(serve_connection(stream, limits));
            }
            Err(e) => tokio::time::sleep(pause_after(e)?).await, // see `pause_after`
        }
    }
}
// ANCHOR_END: task_per_connection

// ANCHOR: task_connection
/// The blocking loop again, with `.await` where it blocked and a timer
/// where it set a socket timeout. While it waits, its thread runs others.
pub async fn serve_connection(
    mut stream: TcpStream,
    limits: Limits,
) -> io::Result<()> {
    let mut connection = Connection::new(limits, std::time::Instant::now());
    let (mut buf, mut out) = ([0; 4096], Vec::new());
    loop {
        let deadline = Instant::from_std(connection.deadline());
        let n = match timeout_at(deadline, stream.read(&mut buf)).await {
            Err(_) => return Ok(()), // idle too long, or stalled mid-request
            Ok(Ok(0)) => return Ok(()), // the client hung up
            Ok(Ok(n)) => n,
            Ok(Err(e)) => return Err(e),
        };
        let next =
            connection.receive(&buf[..n], std::time::Instant::now(), &mut out);
        // All the responses must be written within `head_timeout`.
        timeout(limits.head_timeout, stream.write_all(&out)).await??;
        out.clear();
        if next == Next::Close {
            return close(stream).await;
        }
    }
}
// ANCHOR_END: task_connection

/// As `blocking::close`: end our side, then drop what the client still
/// sends, so that the kernel does not reset the connection under the
/// response; `LINGER_TIME` bounds all the reads together.
async fn close(mut stream: TcpStream) -> io::Result<()> {
    stream.shutdown().await?;
    let mut buf = [0; 4096];
    let mut dropped = 0;
    let _ = timeout(LINGER_TIME, async {
        while dropped < LINGER_BYTES {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => dropped += n,
            }
        }
    })
    .await;
    Ok(())
}
