//! One tiny line protocol served two ways: a thread per connection, and a
//! tokio task per connection, on a one-thread and on a multi-thread runtime.
//! Each server reports which OS thread served each connection.
//!
//!     cargo run -p ch10-real-world --bin two_servers

use std::collections::HashSet;
use std::io::{self, BufRead, BufReader, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::thread;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
use tokio::runtime::{Handle, RuntimeFlavor};
use tokio::time::timeout;

/// A connection that hears nothing for this long gives up, so nothing can
/// hang for ever.
const IDLE: Duration = Duration::from_secs(10);

/// How long the client waits for a reply before it gives up. Shorter than
/// `IDLE`, so that a server stuck on another connection is caught before
/// that connection times out.
const REPLY_WAIT: Duration = Duration::from_secs(5);

/// How many clients each demonstration sends.
const CLIENTS: usize = 8;

/// An OS thread, as the kernel names it: by its thread id. Two threads alive
/// at the same moment never share one.
type OsThread = u32;

/// The calling thread's kernel id (Linux: `/proc/thread-self` is a link to
/// `PID/task/TID`).
fn os_thread_id() -> io::Result<OsThread> {
    let link = std::fs::read_link("/proc/thread-self")?;
    let tid = link
        .file_name()
        .and_then(|name| name.to_str()?.parse().ok());
    tid.ok_or_else(|| io::Error::other(format!("unexpected link {link:?}")))
}

/// The application: one request line in, one response line out. Both
/// servers call this same function; they differ only in how they wait.
fn respond(request: &str) -> String {
    match request.trim_end().strip_prefix("GET /hello/") {
        Some(name) if !name.is_empty() && !name.contains(' ') => {
            format!("200 hello, {name}\n")
        }
        _ => "404 not found\n".to_string(),
    }
}

/// Thread per connection: accepts `connections` connections, serves each
/// on a thread of its own, and returns the OS thread that served each one.
fn serve_with_threads(
    listener: std::net::TcpListener,
    connections: usize,
) -> io::Result<Vec<OsThread>> {
    thread::scope(|scope| {
        let mut handlers = Vec::new();
        for _ in 0..connections {
            let (stream, _) = listener.accept()?;
            handlers.push(scope.spawn(move || serve_blocking(stream)));
        }
        handlers.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

/// Answers request after request until the client hangs up. Each read
/// blocks this connection's thread, and only this connection's.
fn serve_blocking(stream: std::net::TcpStream) -> io::Result<OsThread> {
    stream.set_read_timeout(Some(IDLE))?;
    let mut lines = BufReader::new(&stream).lines();
    while let Some(request) = lines.next().transpose()? {
        (&stream).write_all(respond(&request).as_bytes())?;
    }
    os_thread_id()
}

/// Task per connection: the same loop, with a task where the other has a
/// thread and an `.await` wherever the other blocks.
async fn serve_with_tasks(
    listener: tokio::net::TcpListener,
    connections: usize,
) -> io::Result<Vec<OsThread>> {
    let mut handlers = tokio::task::JoinSet::new();
    for _ in 0..connections {
        let (stream, _) = timeout(IDLE, listener.accept()).await??;
        handlers.spawn(serve(stream));
    }
    handlers.join_all().await.into_iter().collect()
}

/// Answers request after request until the client hangs up; while it
/// waits, its thread serves other connections.
async fn serve(mut stream: tokio::net::TcpStream) -> io::Result<OsThread> {
    let (reader, mut writer) = stream.split();
    let mut lines = tokio::io::BufReader::new(reader).lines();
    while let Some(request) = timeout(IDLE, lines.next_line()).await?? {
        writer.write_all(respond(&request).as_bytes()).await?;
    }
    os_thread_id()
}

// ANCHOR: flavours
/// What `#[tokio::main]` builds when you name no flavour: the scheduler,
/// and how many worker threads it runs tasks on.
#[tokio::main]
async fn default_runtime() -> (RuntimeFlavor, usize) {
    let handle = Handle::current();
    (handle.runtime_flavor(), handle.metrics().num_workers())
}

/// The Node.js arrangement, which you have to ask for by name: one thread
/// runs every task.
#[tokio::main(flavor = "current_thread")]
async fn node_like_runtime() -> (RuntimeFlavor, usize) {
    let handle = Handle::current();
    (handle.runtime_flavor(), handle.metrics().num_workers())
}
// ANCHOR_END: flavours

/// The request that `name` sends in round `round`.
fn request(name: &str, round: usize) -> String {
    format!("GET /hello/{name}-{round}\n")
}

/// The two rounds of the client below.
const ROUNDS: usize = 2;

/// A client that no one-connection-at-a-time server can satisfy. It opens
/// one connection per name and sends the first request on each without
/// reading anything; only when every connection has its first reply does
/// it send the second requests. A server that served one connection to its
/// end before accepting the next would answer the first connection's first
/// request and then wait there for a second one, which this client sends
/// only after every first reply, while the other connections wait
/// unaccepted in the listen backlog: the client gives up after `REPLY_WAIT`
/// and returns an error. (One request per connection, each connection
/// closed after its reply, would not catch such a server: it would reach
/// each waiting connection in turn.)
fn ask_in_two_rounds(
    addr: SocketAddr,
    names: &[String],
) -> io::Result<Vec<Vec<String>>> {
    let mut connections = Vec::new();
    for _ in names {
        let stream = std::net::TcpStream::connect(addr)?;
        stream.set_read_timeout(Some(REPLY_WAIT))?;
        connections.push(BufReader::new(stream));
    }
    let mut replies = vec![Vec::new(); names.len()];
    for round in 1..=ROUNDS {
        for (connection, name) in connections.iter_mut().zip(names) {
            connection
                .get_mut()
                .write_all(request(name, round).as_bytes())?;
        }
        for (i, connection) in connections.iter_mut().enumerate() {
            let mut reply = String::new();
            connection
                .read_line(&mut reply)
                .map_err(|e| no_reply(i, round, e))?;
            replies[i].push(reply);
        }
    }
    Ok(replies)
}

/// The same client with tokio.
async fn ask_in_two_rounds_async(
    addr: SocketAddr,
    names: &[String],
) -> io::Result<Vec<Vec<String>>> {
    let mut connections = Vec::new();
    for _ in names {
        let stream = tokio::net::TcpStream::connect(addr).await?;
        connections.push(tokio::io::BufReader::new(stream));
    }
    let mut replies = vec![Vec::new(); names.len()];
    for round in 1..=ROUNDS {
        for (connection, name) in connections.iter_mut().zip(names) {
            connection
                .get_mut()
                .write_all(request(name, round).as_bytes())
                .await?;
        }
        for (i, connection) in connections.iter_mut().enumerate() {
            let mut reply = String::new();
            match timeout(REPLY_WAIT, connection.read_line(&mut reply)).await {
                Ok(read) => read.map_err(|e| no_reply(i, round, e))?,
                Err(elapsed) => return Err(no_reply(i, round, elapsed.into())),
            };
            replies[i].push(reply);
        }
    }
    Ok(replies)
}

fn no_reply(connection: usize, round: usize, cause: io::Error) -> io::Error {
    io::Error::new(
        cause.kind(),
        format!("connection {connection} got no reply in round {round}: {cause}"),
    )
}

fn names(count: usize) -> Vec<String> {
    (0..count).map(|i| format!("client{i}")).collect()
}

/// What a run saw: each connection's replies, and the OS thread that
/// served each connection.
type Run = (Vec<Vec<String>>, Vec<OsThread>);

/// The thread server on its own thread, asked by `clients` connections at
/// once.
fn run_thread_server(clients: usize) -> io::Result<Run> {
    let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    let addr = listener.local_addr()?;
    // Not scoped, and waited for with a time limit: if the client fails or
    // the server is stuck, the error ends the test and this thread, still
    // serving or accepting, does not keep it from ending.
    let (served, server) = std::sync::mpsc::channel();
    thread::spawn(move || served.send(serve_with_threads(listener, clients)));
    let replies = ask_in_two_rounds(addr, &names(clients))?;
    let threads = server.recv_timeout(IDLE).map_err(io::Error::other)??;
    Ok((replies, threads))
}

/// The task server and its client, as two tasks of the current runtime.
async fn run_task_server(clients: usize) -> io::Result<Run> {
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(serve_with_tasks(listener, clients));
    let replies = ask_in_two_rounds_async(addr, &names(clients)).await?;
    // The client has dropped its connections: the server's tasks end.
    Ok((replies, server.await.unwrap()?))
}

fn distinct(threads: &[OsThread]) -> usize {
    threads.iter().collect::<HashSet<_>>().len()
}

fn main() -> io::Result<()> {
    let (replies, threads) = run_thread_server(CLIENTS)?;
    println!("thread per connection: {}", replies[0][0].trim_end());
    println!(
        "  {} connections, {} threads",
        threads.len(),
        distinct(&threads)
    );

    let one_thread = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (replies, threads) = one_thread.block_on(run_task_server(CLIENTS))?;
    println!("tasks on current_thread: {}", replies[0][0].trim_end());
    println!(
        "  {} connections, {} thread",
        threads.len(),
        distinct(&threads)
    );

    let (flavour, workers) = default_runtime();
    let cpus = thread::available_parallelism()?.get();
    println!(
        "#[tokio::main]: {flavour:?}, one worker per available CPU: {}",
        workers == cpus
    );
    println!("flavor = \"current_thread\": {:?}", node_like_runtime());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    fn expected(clients: usize) -> Vec<Vec<String>> {
        names(clients)
            .iter()
            .map(|name| {
                (1..=ROUNDS)
                    .map(|round| format!("200 hello, {name}-{round}\n"))
                    .collect()
            })
            .collect()
    }

    /// The number of workers tokio starts by default: one per CPU that
    /// `available_parallelism` counts, unless the `TOKIO_WORKER_THREADS`
    /// variable says otherwise.
    fn default_workers() -> usize {
        match std::env::var("TOKIO_WORKER_THREADS") {
            Ok(n) => n.parse().unwrap(),
            Err(_) => thread::available_parallelism().unwrap().get(),
        }
    }

    /// A runtime builder that records the OS thread of every thread the
    /// runtime starts.
    fn recording_threads(
        mut builder: tokio::runtime::Builder,
    ) -> (tokio::runtime::Runtime, Arc<Mutex<HashSet<OsThread>>>) {
        let started = Arc::new(Mutex::new(HashSet::new()));
        let record = started.clone();
        let runtime = builder
            .enable_all()
            .on_thread_start(move || {
                record.lock().unwrap().insert(os_thread_id().unwrap());
            })
            .build()
            .unwrap();
        (runtime, started)
    }

    #[test]
    fn the_application_answers_a_greeting_or_not_found() {
        assert_eq!(respond("GET /hello/ada\n"), "200 hello, ada\n");
        assert_eq!(respond("GET /hello/ada"), "200 hello, ada\n");
        assert_eq!(respond("GET /hello/\n"), "404 not found\n");
        assert_eq!(respond("GET /hello/a b\n"), "404 not found\n");
        assert_eq!(respond("GET /bye/ada\n"), "404 not found\n");
        assert_eq!(respond("POST /hello/ada\n"), "404 not found\n");
    }

    #[test]
    fn os_thread_id_tells_threads_apart() {
        let here = os_thread_id().unwrap();
        assert_eq!(os_thread_id().unwrap(), here);
        let there = thread::spawn(|| os_thread_id().unwrap()).join().unwrap();
        assert_ne!(there, here);
        let task = std::fs::read_dir("/proc/self/task").unwrap();
        let tids: Vec<String> = task
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert!(tids.contains(&here.to_string()), "{here} not in {tids:?}");
    }

    /// Every connection was mid-conversation at once (the two-round client
    /// demands it), and each was served by a different OS thread, none of
    /// them the test's. Threads alive together never share a kernel id, so
    /// this counts threads, not handles.
    #[test]
    fn the_thread_server_serves_every_connection_on_a_thread_of_its_own() {
        let (replies, threads) = run_thread_server(CLIENTS).unwrap();
        assert_eq!(replies, expected(CLIENTS));
        assert_eq!(distinct(&threads), CLIENTS, "{threads:?}");
        assert!(!threads.contains(&os_thread_id().unwrap()));
    }

    /// The Node.js arrangement: the server, its connections and the client
    /// are all tasks on the test's one thread. The client gets its first
    /// replies on every connection before it sends any second request, so
    /// all connections were open and in progress together; the runtime
    /// started no thread, and the kernel thread that served each connection
    /// is the test's own.
    #[test]
    fn on_a_current_thread_runtime_one_thread_serves_every_connection() {
        let (runtime, started) =
            recording_threads(tokio::runtime::Builder::new_current_thread());
        let (replies, threads) = runtime.block_on(run_task_server(CLIENTS)).unwrap();
        assert_eq!(replies, expected(CLIENTS));
        assert_eq!(threads, vec![os_thread_id().unwrap(); CLIENTS]);
        assert!(started.lock().unwrap().is_empty(), "{started:?}");
    }

    /// On the multi-thread runtime the connections are served by its worker
    /// threads, never by the thread that called `block_on`, and by more than
    /// one of them. Which worker runs a task is tokio's choice, so a run may
    /// happen to keep every connection on one worker: the test tries up to
    /// `ATTEMPTS` runs and needs one that used several.
    #[test]
    fn on_a_multi_thread_runtime_the_workers_serve_the_connections() {
        const ATTEMPTS: usize = 50;
        let test = "on_a_multi_thread_runtime_the_workers_serve_the_connections";
        if book_skip::cpus() < 2 {
            return book_skip::skip!(
                test,
                "needs 2 CPUs to see several workers serve"
            );
        }
        let (runtime, started) =
            recording_threads(tokio::runtime::Builder::new_multi_thread());
        if runtime.metrics().num_workers() < 2 {
            return book_skip::skip!(test, "the runtime has a single worker");
        }
        let caller = os_thread_id().unwrap();
        let mut most = 0;
        for _ in 0..ATTEMPTS {
            let (replies, threads) =
                runtime.block_on(run_task_server(CLIENTS)).unwrap();
            assert_eq!(replies, expected(CLIENTS));
            assert!(!threads.contains(&caller), "{threads:?}");
            let workers = started.lock().unwrap().clone();
            assert!(
                threads.iter().all(|t| workers.contains(t)),
                "{threads:?} not all among the runtime's threads {workers:?}"
            );
            most = most.max(distinct(&threads));
            if most > 1 {
                break;
            }
        }
        assert!(most > 1, "{ATTEMPTS} runs each served by a single worker");
        // `on_thread_start` also runs for blocking-pool threads (tokio
        // starts its workers on that pool too). This server starts no
        // blocking work, so the runtime started no thread beyond its
        // workers, and the threads that served are workers.
        let started = started.lock().unwrap().len();
        assert!(
            started <= runtime.metrics().num_workers(),
            "{started} threads started for {} workers",
            runtime.metrics().num_workers()
        );
    }

    #[test]
    fn tokio_main_builds_a_multi_thread_runtime_with_a_worker_per_available_cpu() {
        assert_eq!(
            default_runtime(),
            (RuntimeFlavor::MultiThread, default_workers())
        );
    }

    #[test]
    fn the_node_like_runtime_has_exactly_one_worker() {
        assert_eq!(node_like_runtime(), (RuntimeFlavor::CurrentThread, 1));
    }

    /// Unlike `#[tokio::main]`, `#[tokio::test]` with no flavour named
    /// builds a current_thread runtime for each test (tokio-macros 2.7.2,
    /// the `test` attribute's "Current thread runtime" section): a test of
    /// async code runs every task on the test's own thread.
    #[tokio::test]
    async fn tokio_test_builds_a_current_thread_runtime_by_default() {
        let handle = Handle::current();
        assert_eq!(handle.runtime_flavor(), RuntimeFlavor::CurrentThread);
        assert_eq!(handle.metrics().num_workers(), 1);
    }
}
