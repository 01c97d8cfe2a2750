//! Where the operating system comes in: a tokio runtime without its drivers
//! runs futures that need no OS, while timers and sockets need the time and
//! IO drivers, and the IO driver holds an epoll instance open.
//!
//!     cargo run -p ch03-concurrency-model --bin runtime_drivers

use tokio::runtime::{Builder, Runtime};

// ANCHOR: runtimes
/// A runtime with no drivers: a scheduler and a run queue, nothing else.
fn bare_runtime() -> Runtime {
    Builder::new_current_thread().build().unwrap()
}

/// The same runtime with the two parts that talk to the operating system:
/// the IO driver (readiness events for sockets, pipes and the like) and
/// the time driver (the clock and the sleeping thread behind every timer).
fn runtime_with_drivers() -> Runtime {
    Builder::new_current_thread()
        .enable_io()
        .enable_time()
        .build()
        .unwrap()
}

/// Work that needs nothing from the OS: tasks that hand each other a value
/// over a channel and yield. A bare runtime runs it.
async fn tasks_talking() -> u32 {
    let (sender, receiver) = tokio::sync::oneshot::channel();
    let producer = tokio::spawn(async move {
        tokio::task::yield_now().await;
        sender.send(21).unwrap();
    });
    let doubled = tokio::spawn(async move { receiver.await.unwrap() * 2 });
    producer.await.unwrap();
    doubled.await.unwrap()
}
// ANCHOR_END: runtimes

// ANCHOR: epoll
/// How many of this process's open file descriptors refer to an epoll
/// instance: on Linux, their links in `/proc/self/fd` read
/// `anon_inode:[eventpoll]`. Elsewhere this finds none.
fn epoll_descriptors() -> usize {
    let Ok(fds) = std::fs::read_dir("/proc/self/fd") else {
        return 0;
    };
    fds.filter_map(|fd| std::fs::read_link(fd.ok()?.path()).ok())
        .filter(|target| target.as_os_str() == "anon_inode:[eventpoll]")
        .count()
}
// ANCHOR_END: epoll

fn main() {
    println!("bare runtime: {}", bare_runtime().block_on(tasks_talking()));
    let before = epoll_descriptors();
    let runtime = runtime_with_drivers();
    let with = epoll_descriptors();
    println!("epoll descriptors: {before} before the IO driver, {with} with it");
    let nap = std::time::Duration::from_millis(50);
    let slept = runtime.block_on(async {
        let start = tokio::time::Instant::now();
        tokio::time::sleep(nap).await;
        start.elapsed()
    });
    println!("slept at least {nap:?}: {}", slept >= nap);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_runtime_without_drivers_runs_futures_that_need_no_os() {
        assert_eq!(bare_runtime().block_on(tasks_talking()), 42);
    }

    #[test]
    #[should_panic(expected = "timers are disabled")]
    fn a_timer_needs_the_time_driver() {
        bare_runtime()
            .block_on(async { tokio::time::sleep(Duration::from_millis(1)).await });
    }

    #[test]
    #[should_panic(expected = "IO is disabled")]
    fn a_socket_needs_the_io_driver() {
        let _ = bare_runtime().block_on(tokio::net::TcpListener::bind((
            std::net::Ipv4Addr::LOCALHOST,
            0,
        )));
    }

    /// The one test in this binary that builds a runtime with an IO
    /// driver, so no other test can open or close an epoll descriptor while
    /// it counts them. (The driver holds two descriptors for its one epoll
    /// instance: mio's registry keeps a duplicate, `Registry::try_clone`.)
    #[test]
    fn with_drivers_the_runtime_sleeps_binds_and_holds_epoll_open() {
        let before = epoll_descriptors();
        let runtime = runtime_with_drivers();
        if cfg!(target_os = "linux") {
            assert_eq!(before, 0, "an epoll descriptor before any IO driver");
            assert_eq!(epoll_descriptors(), 2, "the IO driver's epoll descriptors");
        }
        runtime.block_on(async {
            let listener =
                tokio::net::TcpListener::bind((std::net::Ipv4Addr::LOCALHOST, 0))
                    .await
                    .unwrap();
            assert!(listener.local_addr().unwrap().ip().is_loopback());
            tokio::time::sleep(Duration::from_millis(1)).await;
        });
        drop(runtime);
        if cfg!(target_os = "linux") {
            assert_eq!(
                epoll_descriptors(),
                before,
                "epoll still open after the drop"
            );
        }
    }
}
