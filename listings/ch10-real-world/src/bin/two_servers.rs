use std::collections::HashSet;
use std::io::{self, BufRead, BufReader, Write};
use std::net::{Ipv4Addr, SocketAddr};
use std::thread::{self, ThreadId};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt};
use tokio::runtime::{Handle, RuntimeFlavor};
use tokio::time::timeout;

/// A connection or a client that hears nothing for this long gives up, so
/// nothing can hang for ever.
const IDLE: Duration = Duration::from_secs(10);

/// How many clients each demonstration sends.
const CLIENTS: usize = 8;

// ANCHOR: respond
/// The application: one request line in, one response line out. Both
/// servers call this same function; they differ only in how they wait.
fn respond(request: &str) -> String {
    match request.trim_end().strip_prefix("GET /hello/") {
        Some(name) if !name.is_empty() && !name.contains(' ') => format!("200 hello, {name}\n"),
        _ => "404 not found\n".to_string(),
    }
}
// ANCHOR_END: respond

// ANCHOR: thread_server
/// Thread per connection: accepts `connections` connections, serves each
/// on a thread of its own, and returns which thread served each one.
fn serve_with_threads(
    listener: std::net::TcpListener,
    connections: usize,
) -> io::Result<Vec<ThreadId>> {
    thread::scope(|scope| {
        let mut handlers = Vec::new();
        for _ in 0..connections {
            let (stream, _) = listener.accept()?;
            handlers.push(scope.spawn(move || serve_blocking(stream)));
        }
        handlers.into_iter().map(|h| h.join().unwrap()).collect()
    })
}

/// Reads one request and writes its response. Each call blocks this
/// connection's thread, and only this connection's, until it is done.
fn serve_blocking(stream: std::net::TcpStream) -> io::Result<ThreadId> {
    stream.set_read_timeout(Some(IDLE))?;
    let mut request = String::new();
    BufReader::new(&stream).read_line(&mut request)?;
    (&stream).write_all(respond(&request).as_bytes())?;
    Ok(thread::current().id())
}
// ANCHOR_END: thread_server

// ANCHOR: task_server
/// Task per connection: the same loop, with a task where the other has a
/// thread and an `.await` wherever the other blocks.
async fn serve_with_tasks(
    listener: tokio::net::TcpListener,
    connections: usize,
) -> io::Result<Vec<ThreadId>> {
    let mut handlers = tokio::task::JoinSet::new();
    for _ in 0..connections {
        let (stream, _) = timeout(IDLE, listener.accept()).await??;
        handlers.spawn(serve(stream));
    }
    handlers.join_all().await.into_iter().collect()
}

/// Reads one request and writes its response; while it waits, its thread
/// serves other connections.
async fn serve(mut stream: tokio::net::TcpStream) -> io::Result<ThreadId> {
    let (reader, mut writer) = stream.split();
    let mut request = String::new();
    timeout(
        IDLE,
        tokio::io::BufReader::new(reader).read_line(&mut request),
    )
    .await??;
    writer.write_all(respond(&request).as_bytes()).await?;
    Ok(thread::current().id())
}
// ANCHOR_END: task_server

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

/// The request for `name`.
fn request(name: &str) -> String {
    format!("GET /hello/{name}\n")
}

/// A blocking client: opens one connection per name, and only once all are
/// open sends the requests, last connection first. A server that served one
/// connection at a time would wait for ever on the first (and time out).
fn ask_all_at_once(addr: SocketAddr, names: &[String]) -> io::Result<Vec<String>> {
    let streams = names
        .iter()
        .map(|_| {
            let stream = std::net::TcpStream::connect(addr)?;
            stream.set_read_timeout(Some(IDLE))?;
            Ok(stream)
        })
        .collect::<io::Result<Vec<_>>>()?;
    for (stream, name) in streams.iter().zip(names).rev() {
        (&*stream).write_all(request(name).as_bytes())?;
    }
    streams
        .iter()
        .map(|stream| {
            let mut response = String::new();
            BufReader::new(stream).read_line(&mut response)?;
            Ok(response)
        })
        .collect()
}

/// The same client with tokio.
async fn ask_all_at_once_async(addr: SocketAddr, names: &[String]) -> io::Result<Vec<String>> {
    let mut streams = Vec::new();
    for _ in names {
        streams.push(tokio::net::TcpStream::connect(addr).await?);
    }
    for (stream, name) in streams.iter_mut().zip(names).rev() {
        stream.write_all(request(name).as_bytes()).await?;
    }
    let mut responses = Vec::new();
    for stream in &mut streams {
        let mut response = String::new();
        timeout(
            IDLE,
            tokio::io::BufReader::new(stream).read_line(&mut response),
        )
        .await??;
        responses.push(response);
    }
    Ok(responses)
}

fn names(count: usize) -> Vec<String> {
    (0..count).map(|i| format!("client{i}")).collect()
}

/// The thread server on its own thread, asked by `clients` connections at
/// once: the responses, and the threads that served them.
fn run_thread_server(clients: usize) -> io::Result<(Vec<String>, Vec<ThreadId>)> {
    let listener = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?;
    let addr = listener.local_addr()?;
    // Not scoped: if a client fails, its error ends the test and this
    // thread, still waiting to accept, does not keep it from ending.
    let server = thread::spawn(move || serve_with_threads(listener, clients));
    let responses = ask_all_at_once(addr, &names(clients))?;
    Ok((responses, server.join().unwrap()?))
}

/// The task server and its client, as two tasks of the current runtime.
async fn run_task_server(clients: usize) -> io::Result<(Vec<String>, Vec<ThreadId>)> {
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(serve_with_tasks(listener, clients));
    let responses = ask_all_at_once_async(addr, &names(clients)).await?;
    Ok((responses, server.await.unwrap()?))
}

fn distinct(threads: &[ThreadId]) -> usize {
    threads.iter().collect::<HashSet<_>>().len()
}

// ANCHOR: main
fn main() -> io::Result<()> {
    let (responses, threads) = run_thread_server(CLIENTS)?;
    println!("thread per connection: {}", responses[0].trim_end());
    println!(
        "  {} connections, {} threads",
        threads.len(),
        distinct(&threads)
    );

    let one_thread = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let (responses, threads) = one_thread.block_on(run_task_server(CLIENTS))?;
    println!("tasks on current_thread: {}", responses[0].trim_end());
    println!(
        "  {} connections, {} thread",
        threads.len(),
        distinct(&threads)
    );

    let (flavour, workers) = default_runtime();
    let cores = thread::available_parallelism()?.get();
    println!(
        "#[tokio::main]: {flavour:?}, one worker per core: {}",
        workers == cores
    );
    println!("flavor = \"current_thread\": {:?}", node_like_runtime());
    Ok(())
}
// ANCHOR_END: main

#[cfg(test)]
mod tests {
    use super::*;

    fn expected(clients: usize) -> Vec<String> {
        names(clients)
            .iter()
            .map(|name| format!("200 hello, {name}\n"))
            .collect()
    }

    /// The number of workers tokio starts by default: one per core, unless
    /// the `TOKIO_WORKER_THREADS` variable says otherwise.
    fn default_workers() -> usize {
        match std::env::var("TOKIO_WORKER_THREADS") {
            Ok(n) => n.parse().unwrap(),
            Err(_) => thread::available_parallelism().unwrap().get(),
        }
    }

    #[test]
    fn the_application_answers_a_greeting_or_not_found() {
        assert_eq!(respond("GET /hello/ada\n"), "200 hello, ada\n");
        assert_eq!(respond("GET /hello/\n"), "404 not found\n");
        assert_eq!(respond("GET /bye/ada\n"), "404 not found\n");
        assert_eq!(respond("POST /hello/ada\n"), "404 not found\n");
    }

    #[test]
    fn the_thread_server_serves_every_connection_on_a_thread_of_its_own() {
        let (responses, threads) = run_thread_server(CLIENTS).unwrap();
        assert_eq!(responses, expected(CLIENTS));
        assert_eq!(distinct(&threads), CLIENTS);
        assert!(!threads.contains(&thread::current().id()));
    }

    /// The Node.js arrangement: the server, its connections and the client
    /// are all tasks on the test's one thread, with every connection open
    /// at once.
    #[test]
    fn on_a_current_thread_runtime_one_thread_serves_every_connection() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let (responses, threads) = runtime.block_on(run_task_server(CLIENTS)).unwrap();
        assert_eq!(responses, expected(CLIENTS));
        assert_eq!(threads, vec![thread::current().id(); CLIENTS]);
    }

    /// On the default runtime the connections are served by its worker
    /// threads, never by the thread that called `block_on`.
    #[test]
    fn on_a_multi_thread_runtime_the_workers_serve_the_connections() {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap();
        let workers = runtime.metrics().num_workers();
        let (responses, threads) = runtime.block_on(run_task_server(CLIENTS)).unwrap();
        assert_eq!(responses, expected(CLIENTS));
        assert!(!threads.contains(&thread::current().id()));
        assert!(distinct(&threads) <= workers, "{threads:?}");
    }

    #[test]
    fn tokio_main_builds_a_multi_thread_runtime_with_a_worker_per_core() {
        assert_eq!(
            default_runtime(),
            (RuntimeFlavor::MultiThread, default_workers())
        );
    }

    #[test]
    fn the_node_like_runtime_has_exactly_one_worker() {
        assert_eq!(node_like_runtime(), (RuntimeFlavor::CurrentThread, 1));
    }
}
