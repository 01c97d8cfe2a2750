//! The chapter's HTTP/1.1 server, run with the concurrency model you name:
//! `thread`, `pool` (or `pool:N`), `tokio` or `tokio_current_thread`. It
//! serves 127.0.0.1 until its standard input closes, or for 300 seconds at
//! most, so that it always stops by itself.
//!
//!     cargo run --release -p ch10-real-world --bin http_server -- tokio 8080
//!     curl http://127.0.0.1:8080/

use ch10_real_world::{Model, serve};
use std::io::{self, Write};
use std::net::{Ipv4Addr, TcpListener};
use std::process::exit;
use std::thread;
use std::time::Duration;

// ANCHOR: watchdog
/// The longest a run may last, whoever started it.
const WATCHDOG: Duration = Duration::from_secs(300);
// ANCHOR_END: watchdog

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (model, port) = match args.as_slice() {
        [model] => (Model::parse(model), Some(0)),
        [model, port] => (Model::parse(model), port.parse::<u16>().ok()),
        _ => (None, None),
    };
    let (Some(model), Some(port)) = (model, port) else {
        eprintln!(
            "usage: http_server thread|pool|pool:N|tokio|tokio_current_thread [PORT]"
        );
        exit(2);
    };
    if let Err(e) = run(model, port) {
        eprintln!("http_server: {e}");
        exit(1);
    }
}

fn run(model: Model, port: u16) -> io::Result<()> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, port))?;
    let mut stdout = io::stdout().lock();
    writeln!(stdout, "listening on {}", listener.local_addr()?)?;
    stdout.flush()?;
    drop(stdout);
    thread::spawn(|| {
        // Read and drop stdin until EOF: the parent closed it, or died.
        let _ = io::copy(&mut io::stdin().lock(), &mut io::sink());
        exit(0);
    });
    thread::spawn(|| {
        thread::sleep(WATCHDOG);
        eprintln!("http_server: {} s passed, stopping", WATCHDOG.as_secs());
        exit(0);
    });
    serve(model, listener)
}
