//! Three tools for stopping async work. A `CancellationToken` is a request
//! that tasks check at an `.await` of their choosing; cancelling a parent
//! token cancels its children. A `JoinSet` aborts the tasks it still holds
//! when it is dropped. And `select!` drops the futures that lose its race,
//! unless it was only lent them with `&mut`.
//!
//!     cargo run -p ch09-errors --bin cancelling_groups_and_races

use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::task::JoinSet;
use tokio::time::sleep;
use tokio_util::sync::CancellationToken;

/// The steps the tasks reached, in order.
type Log = Arc<Mutex<Vec<String>>>;

fn note(log: &Log, step: impl Into<String>) {
    log.lock().unwrap().push(step.into());
}

/// How long a unit of work takes, if nothing stops it.
const WORK_TIME: Duration = Duration::from_secs(1);

/// Long enough for spawned tasks to start, much less than `WORK_TIME`.
const SHORT: Duration = Duration::from_millis(10);

// ANCHOR: token
/// Works until its token is cancelled. The cancelled branch is ordinary
/// async code, so the cleanup in it may `.await`, which a destructor cannot.
async fn worker(name: &'static str, token: CancellationToken, log: Log) {
    note(&log, format!("{name} started"));
    tokio::select! {
        _ = token.cancelled() => {
            sleep(SHORT).await; // say, flushing a buffer
            note(&log, format!("{name} cleaned up"));
        }
        _ = sleep(WORK_TIME) => note(&log, format!("{name} finished")),
    }
}

/// Gives each worker a child of one parent token, then cancels the parent.
async fn cancel_a_group(log: Log) {
    let parent = CancellationToken::new();
    let mut workers = Vec::new();
    for name in ["a", "b"] {
        let token = parent.child_token();
        workers.push(tokio::spawn(worker(name, token, log.clone())));
    }
    sleep(SHORT).await; // both workers are now waiting
    parent.cancel(); // reaches every child token
    for worker in workers {
        worker.await.unwrap();
    }
}
// ANCHOR_END: token

/// Notes "guard dropped" when the future that owns it is dropped.
struct Guard(Log);

impl Drop for Guard {
    fn drop(&mut self) {
        note(&self.0, "guard dropped");
    }
}

// ANCHOR: join_set
async fn guarded_task(log: Log) {
    let _guard = Guard(log.clone());
    note(&log, "task started");
    sleep(WORK_TIME).await;
    note(&log, "task finished");
}

/// Spawns a task into a `JoinSet`, lets it start, and drops the set.
async fn drop_a_join_set(log: Log) {
    let mut set = JoinSet::new();
    set.spawn(guarded_task(log.clone()));
    sleep(SHORT).await; // the task has started and is waiting
    drop(set); // aborts every task still in the set
}
// ANCHOR_END: join_set

/// The time between two chunks of the download, and the time after which a
/// tick interrupts it: between its first chunk and its second.
const CHUNK_TIME: Duration = Duration::from_millis(100);
const TICK: Duration = Duration::from_millis(150);

// ANCHOR: select
async fn download(log: Log) -> usize {
    for chunk in 1..=3 {
        sleep(CHUNK_TIME).await;
        note(&log, format!("chunk {chunk}"));
    }
    3
}

/// Lends the download to `select!` with `&mut`: when the tick wins, only
/// the borrow is dropped, and the download goes on where it was.
async fn race_by_reference(log: Log) -> usize {
    let download = download(log.clone());
    tokio::pin!(download); // `&mut` needs a future that stays put
    tokio::select! {
        chunks = &mut download => return chunks,
        _ = sleep(TICK) => note(&log, "tick"),
    }
    download.await
}

/// Gives the download to `select!` by value: when the tick wins, the
/// download is dropped, and the one awaited after it starts from scratch.
async fn race_by_value(log: Log) -> usize {
    tokio::select! {
        chunks = download(log.clone()) => return chunks,
        _ = sleep(TICK) => note(&log, "tick"),
    }
    download(log).await
}
// ANCHOR_END: select

fn print(what: &str, log: &Log) {
    println!("{what}: {}", log.lock().unwrap().join(", "));
}

fn main() {
    // A paused clock, as in the tests: tokio jumps to the next timer when
    // every task waits, so the steps come in the same order on any machine.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    runtime.block_on(async {
        let log = Log::default();
        cancel_a_group(log.clone()).await;
        print("token", &log);

        let log = Log::default();
        drop_a_join_set(log.clone()).await;
        sleep(2 * WORK_TIME).await; // time enough to finish, had it run
        print("join set dropped", &log);

        let log = Log::default();
        race_by_reference(log.clone()).await;
        print("select on &mut", &log);

        let log = Log::default();
        race_by_value(log.clone()).await;
        print("select by value", &log);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn steps(log: &Log) -> Vec<String> {
        log.lock().unwrap().clone()
    }

    #[tokio::test(start_paused = true)]
    async fn cancelling_a_parent_token_stops_every_child_at_its_cleanup() {
        let log = Log::default();
        cancel_a_group(log.clone()).await;
        let mut seen = steps(&log);
        seen.sort();
        assert_eq!(
            seen,
            ["a cleaned up", "a started", "b cleaned up", "b started"]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn cancelling_a_child_token_leaves_its_parent_and_siblings_alone() {
        let parent = CancellationToken::new();
        let (first, second) = (parent.child_token(), parent.child_token());
        first.cancel();
        assert!(first.is_cancelled());
        assert!(!parent.is_cancelled());
        assert!(!second.is_cancelled());
        let log = Log::default();
        worker("b", second, log.clone()).await;
        assert_eq!(steps(&log), ["b started", "b finished"]);
    }

    #[tokio::test(start_paused = true)]
    async fn dropping_a_join_set_aborts_the_tasks_in_it() {
        let log = Log::default();
        drop_a_join_set(log.clone()).await;
        sleep(2 * WORK_TIME).await;
        assert_eq!(steps(&log), ["task started", "guard dropped"]);
    }

    #[tokio::test(start_paused = true)]
    async fn select_on_a_borrowed_future_keeps_its_progress() {
        let log = Log::default();
        assert_eq!(race_by_reference(log.clone()).await, 3);
        assert_eq!(steps(&log), ["chunk 1", "tick", "chunk 2", "chunk 3"]);
    }

    #[tokio::test(start_paused = true)]
    async fn select_on_a_future_by_value_drops_it_and_its_progress() {
        let log = Log::default();
        assert_eq!(race_by_value(log.clone()).await, 3);
        assert_eq!(
            steps(&log),
            ["chunk 1", "tick", "chunk 1", "chunk 2", "chunk 3"]
        );
    }
}
