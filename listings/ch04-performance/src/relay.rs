//! A bucket brigade: one byte passed along a chain of `STAGES` units, each
//! reading it from a socket, adding one, and writing it to the next socket.
//! Every hand-over is driven by IO readiness: a stage runs because its
//! socket became readable, whether it is a thread blocked in `read` or a
//! task woken by tokio's IO driver. The idea comes from Jim Blandy's
//! `context-switch` experiments (github.com/jimblandy/context-switch).

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How many units the byte passes through on each trip.
pub const STAGES: usize = 200;

// ANCHOR: thread_relay
/// A chain of threads joined by Unix socket pairs.
pub struct ThreadRelay {
    first: UnixStream,
    last: UnixStream,
    stages: Vec<std::thread::JoinHandle<()>>,
}

impl ThreadRelay {
    /// Starts `stages` threads, each blocked in `read` on its socket. With
    /// `Some(cpu)`, every stage pins itself to that CPU.
    pub fn start(stages: usize, cpu: Option<usize>) -> Self {
        let (first, mut inbox) = UnixStream::pair().expect("a socket pair");
        let stages = (0..stages)
            .map(|_| {
                let (mut outbox, next) = UnixStream::pair().expect("a pair");
                let mut input = std::mem::replace(&mut inbox, next);
                std::thread::spawn(move || {
                    if let Some(cpu) = cpu {
                        crate::switch::pin_to(cpu);
                    }
                    let mut byte = [0];
                    // Ends when the stage before hangs up: `read` then fails.
                    while input.read_exact(&mut byte).is_ok() {
                        byte[0] = byte[0].wrapping_add(1);
                        if outbox.write_all(&byte).is_err() {
                            break;
                        }
                    }
                })
            })
            .collect();
        ThreadRelay {
            first,
            last: inbox,
            stages,
        }
    }

    /// Writes `byte` into the first stage and waits for it at the end.
    pub fn pass(&mut self, byte: u8) -> u8 {
        self.first
            .write_all(&[byte])
            .expect("the first stage reads");
        let mut out = [0];
        self.last
            .read_exact(&mut out)
            .expect("the last stage writes");
        out[0]
    }

    /// Hangs up; every stage ends in turn. Returns how many there were.
    pub fn finish(self) -> usize {
        drop(self.first);
        let count = self.stages.len();
        for stage in self.stages {
            stage.join().expect("a stage does not panic");
        }
        count
    }
}
// ANCHOR_END: thread_relay

// ANCHOR: task_relay
/// The same chain with tasks and tokio's Unix sockets. Needs a runtime with
/// the IO driver enabled.
pub struct TaskRelay {
    first: tokio::net::UnixStream,
    last: tokio::net::UnixStream,
    stages: Vec<tokio::task::JoinHandle<()>>,
}

impl TaskRelay {
    /// Spawns `stages` tasks, each waiting for its socket to be readable.
    pub fn start(stages: usize) -> Self {
        let (first, mut inbox) =
            tokio::net::UnixStream::pair().expect("a socket pair");
        let stages = (0..stages)
            .map(|_| {
                let (mut outbox, next) =
                    tokio::net::UnixStream::pair().expect("a pair");
                let mut input = std::mem::replace(&mut inbox, next);
                tokio::spawn(async move {
                    let mut byte = [0];
                    while input.read_exact(&mut byte).await.is_ok() {
                        byte[0] = byte[0].wrapping_add(1);
                        if outbox.write_all(&byte).await.is_err() {
                            break;
                        }
                    }
                })
            })
            .collect();
        TaskRelay {
            first,
            last: inbox,
            stages,
        }
    }

    /// Writes `byte` into the first stage and waits for it at the end.
    pub async fn pass(&mut self, byte: u8) -> u8 {
        let written = self.first.write_all(&[byte]).await;
        written.expect("the first stage reads");
        let mut out = [0];
        let read = self.last.read_exact(&mut out).await;
        read.expect("the last stage writes");
        out[0]
    }

    /// Hangs up; every stage ends in turn. Returns how many there were.
    pub async fn finish(self) -> usize {
        drop(self.first);
        let count = self.stages.len();
        for stage in self.stages {
            stage.await.expect("a stage does not panic");
        }
        count
    }
}
// ANCHOR_END: task_relay

#[cfg(test)]
mod tests {
    use super::*;

    /// Each stage adds one, so the byte comes out `STAGES` higher (mod 256)
    /// only if it went through every stage.
    #[test]
    fn the_byte_goes_through_every_thread() {
        let mut relay = ThreadRelay::start(STAGES, None);
        for byte in [0, 7, 255] {
            assert_eq!(relay.pass(byte), byte.wrapping_add(STAGES as u8));
        }
        assert_eq!(relay.finish(), STAGES);
    }

    #[test]
    fn the_byte_goes_through_every_pinned_thread() {
        let cpu = crate::switch::first_allowed_cpu();
        crate::switch::pinned(cpu, || {
            let mut relay = ThreadRelay::start(STAGES, Some(cpu));
            assert_eq!(relay.pass(1), 1u8.wrapping_add(STAGES as u8));
            assert_eq!(relay.finish(), STAGES);
        });
    }

    #[test]
    fn the_byte_goes_through_every_task_on_one_thread() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
            .unwrap();
        runtime.block_on(async {
            let mut relay = TaskRelay::start(STAGES);
            for byte in [0, 7, 255] {
                assert_eq!(relay.pass(byte).await, byte.wrapping_add(STAGES as u8));
            }
            assert_eq!(relay.finish().await, STAGES);
        });
        assert_eq!(runtime.metrics().num_alive_tasks(), 0);
    }
}
