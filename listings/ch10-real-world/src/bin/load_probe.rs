//! Drives the chapter's HTTP server, in each concurrency model, with `wrk`
//! (an independent load generator, Debian's package) and writes what wrk
//! reports, with the server's memory and thread count, as JSON:
//!
//! `cargo run --release -p ch10-real-world --bin load_probe -- --out FILE [--quick]`
//!
//! Two scenarios: every connection busy (`load/<model>_<figure>/<connections>`),
//! and most of them open but silent beside a few busy ones
//! (`load/idle_<model>_<figure>/<idle connections>`). Each point runs on a
//! fresh server process, started by re-running this binary with `--serve`.

use ch10_real_world::{Model, serve};
use serde_json::{Map, Value, json};
use std::io::{BufRead, BufReader, Read};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The wrk the figures come from: the first line `wrk -v` prints.
const WRK_VERSION: &str = "wrk debian/4.1.0-3+b2";
/// The Lua script whose `done` hook prints wrk's figures as one JSON line.
const WRK_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/load/report.lua");
/// wrk's threads: one per core of the two-core machine the book measures on.
const WRK_THREADS: usize = 2;
/// A request not answered within this counts as wrk's `timeout` error.
const WRK_TIMEOUT: &str = "2s";
/// Busy connections in the idle scenario.
const BUSY: usize = 10;
/// A server exits by itself after this, whatever happens to the probe.
const SERVE_BOUND: Duration = Duration::from_secs(120);
/// File descriptors and ports kept free beyond one per connection.
const MARGIN: u64 = 256;
/// The listen backlog asked for (the kernel caps it at net.core.somaxconn).
const BACKLOG: i32 = 16_384;
/// How often the server's figures are read while wrk runs.
const SAMPLE_EVERY: Duration = Duration::from_millis(50);

/// What one series measures, and for how long.
struct Plan {
    busy: &'static [usize],
    idle: &'static [usize],
    warm_up_s: u64,
    run_s: u64,
}

const FULL: Plan = Plan {
    busy: &[10, 100, 1_000, 10_000],
    idle: &[100, 1_000, 10_000],
    warm_up_s: 1,
    run_s: 5,
};
const QUICK: Plan = Plan {
    busy: &[100],
    idle: &[1_000],
    warm_up_s: 0,
    run_s: 1,
};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Some(at) = args.iter().position(|a| a == "--serve") {
        serve_child(args.get(at + 1).map_or("", String::as_str));
    }
    let quick = args.iter().any(|a| a == "--quick");
    let Some(out_path) = args
        .iter()
        .position(|a| a == "--out")
        .and_then(|at| args.get(at + 1))
    else {
        eprintln!("usage: load_probe --out FILE [--quick]");
        std::process::exit(2);
    };
    if let Err(message) = check_wrk() {
        eprintln!("load_probe: {message}");
        std::process::exit(1);
    }
    let started = Instant::now();
    let limits = Limits::read_raised();
    let mut out = Map::new();
    limits.record(&mut out);
    let plan = if quick { QUICK } else { FULL };
    for model in Model::ALL {
        busy_series(&mut out, model, &plan, &limits);
        idle_series(&mut out, model, &plan, &limits);
    }
    eprintln!(
        "load_probe: done in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let json = serde_json::to_string_pretty(&out).expect("figures serialize");
    if let Err(error) = std::fs::write(out_path, json + "\n") {
        eprintln!("cannot write {out_path}: {error}");
        std::process::exit(1);
    }
}

// ---------------------------------------------------------------- the server child

/// `--serve MODEL`: binds 127.0.0.1:0, prints the port, serves until the
/// parent is gone or [`SERVE_BOUND`] has passed, then exits.
fn serve_child(name: &str) -> ! {
    let Some(model) = Model::parse(name) else {
        eprintln!("load_probe --serve: unknown model `{name}`");
        std::process::exit(2);
    };
    let listener = bind_loopback().unwrap_or_else(|e| {
        eprintln!("load_probe --serve: cannot listen on 127.0.0.1: {e}");
        std::process::exit(1);
    });
    let port = listener.local_addr().map_or(0, |a| a.port());
    println!("{port}");
    // One watchdog thread (it shows in the thread count of every model).
    let parent = std::os::unix::process::parent_id();
    std::thread::spawn(move || {
        let started = Instant::now();
        while started.elapsed() < SERVE_BOUND && std::os::unix::process::parent_id() == parent {
            std::thread::sleep(Duration::from_millis(100));
        }
        std::process::exit(0);
    });
    match serve(model, listener) {
        Ok(()) => std::process::exit(0),
        Err(e) => {
            eprintln!("load_probe --serve {name}: {e}");
            std::process::exit(1);
        }
    }
}

fn bind_loopback() -> std::io::Result<TcpListener> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    socket.bind(&SocketAddr::from((Ipv4Addr::LOCALHOST, 0)).into())?;
    socket.listen(BACKLOG)?;
    Ok(socket.into())
}

/// A child process killed and reaped when dropped, on every path out.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A server child and the port it listens on.
struct Server {
    child: Killed,
    port: u16,
}

impl Server {
    fn start(model: Model) -> Result<Server, String> {
        let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
        let spawned = Command::new(exe)
            .args(["--serve", &model_arg(model)])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start the server: {e}"))?;
        let mut child = Killed(spawned);
        let stdout = child.0.stdout.take().ok_or("no stdout")?;
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .map_err(|e| format!("reading the port: {e}"))?;
        let port = line
            .trim()
            .parse()
            .map_err(|_| format!("no port in `{line}`"))?;
        Ok(Server { child, port })
    }

    fn pid(&self) -> u32 {
        self.child.0.id()
    }
}

fn model_arg(model: Model) -> String {
    match model {
        Model::Pool { threads } => format!("pool:{threads}"),
        other => other.name().to_string(),
    }
}

// ---------------------------------------------------------------- wrk

fn check_wrk() -> Result<(), String> {
    let output = Command::new("wrk").arg("-v").output().map_err(|e| {
        format!("cannot run wrk ({e}): install Debian's package `wrk` (ci/tools.sh ensure_wrk)")
    })?;
    // `wrk -v` prints its version and usage, and exits with 1.
    let text = String::from_utf8_lossy(&output.stdout);
    let first = text.lines().next().unwrap_or("");
    if first.starts_with(WRK_VERSION) {
        Ok(())
    } else {
        Err(format!(
            "wrk reports `{first}`, the figures are pinned to `{WRK_VERSION}`"
        ))
    }
}

/// What wrk's `done` hook prints (load/report.lua): times in µs.
#[derive(Debug, Clone, Copy, Default)]
struct WrkResult {
    requests: f64,
    requests_per_s: f64,
    errors: f64,
    timeouts: f64,
    p50_us: f64,
    p99_us: f64,
    p999_us: f64,
}

fn run_wrk(port: u16, connections: usize, seconds: u64) -> Result<(Killed, Instant), String> {
    let threads = WRK_THREADS.min(connections).to_string();
    let child = Command::new("wrk")
        .args(["-t", &threads, "-c", &connections.to_string()])
        .args(["-d", &format!("{seconds}s"), "--timeout", WRK_TIMEOUT])
        .args(["-s", WRK_SCRIPT, &format!("http://127.0.0.1:{port}/")])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run wrk: {e}"))?;
    Ok((Killed(child), Instant::now()))
}

/// Waits for wrk (at most its run plus a margin), sampling the server meanwhile.
fn finish_wrk(
    mut wrk: Killed,
    started: Instant,
    seconds: u64,
    server: &Server,
    peak: &mut Peak,
) -> Result<WrkResult, String> {
    let bound = Duration::from_secs(seconds + 30);
    loop {
        match wrk.0.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if started.elapsed() > bound => {
                return Err(format!("wrk still running after {} s", bound.as_secs()));
            }
            Ok(None) => {
                peak.sample(server.pid(), Some(server.port));
                std::thread::sleep(SAMPLE_EVERY);
            }
            Err(e) => return Err(format!("waiting for wrk: {e}")),
        }
    }
    let mut text = String::new();
    if let Some(mut stdout) = wrk.0.stdout.take() {
        let _ = stdout.read_to_string(&mut text);
    }
    parse_wrk(&text)
}

/// The figures in the line load/report.lua prints among wrk's output.
fn parse_wrk(text: &str) -> Result<WrkResult, String> {
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("wrk-result "))
        .ok_or_else(|| format!("wrk printed no result line:\n{text}"))?;
    let v: Value = serde_json::from_str(line).map_err(|e| format!("{e} in `{line}`"))?;
    let f = |key: &str| v[key].as_f64().unwrap_or(0.0);
    Ok(WrkResult {
        requests: f("requests"),
        requests_per_s: f("requests_per_s"),
        errors: ["connect", "read", "write", "status", "timeout"]
            .iter()
            .map(|k| f(k))
            .sum(),
        timeouts: f("timeout"),
        p50_us: f("p50_us"),
        p99_us: f("p99_us"),
        p999_us: f("p999_us"),
    })
}

// ---------------------------------------------------------------- the server's figures

/// The highest figures seen while the load ran.
#[derive(Debug, Default)]
struct Peak {
    /// The machine's KernelStack + SlabUnreclaim before the load.
    kernel_before: u64,
    kernel: u64,
    page_tables: u64,
    threads: u64,
    hwm: u64,
    /// Connections the kernel had accepted that the server had not yet
    /// taken with `accept`, at the last reading (the burst of connects at
    /// the start passes): wrk never reports them (it counts a timeout only
    /// for a response that came late, wg/wrk src/wrk.c `response_complete`),
    /// so this shows connections left waiting.
    queued: u64,
    samples: u64,
}

impl Peak {
    fn new() -> Peak {
        Peak {
            kernel_before: machine_kernel().unwrap_or(0),
            ..Peak::default()
        }
    }

    /// Reads the server's status and the machine's kernel memory, and,
    /// while wrk runs (`port` given), on one sample in five the accept
    /// queue (/proc/net/tcp lists every socket, so it is read less often).
    fn sample(&mut self, pid: u32, port: Option<u16>) {
        if let Some(port) = port {
            if self.samples.is_multiple_of(5)
                && let Some(queued) = accept_queue(port)
            {
                self.queued = queued;
            }
            self.samples += 1;
        }
        if let Some(status) = read_status(pid) {
            self.page_tables = self.page_tables.max(status.page_tables);
            self.threads = self.threads.max(status.threads);
            self.hwm = self.hwm.max(status.hwm);
        }
        if let Some(kernel) = machine_kernel() {
            self.kernel = self.kernel.max(kernel);
        }
    }

    /// The kernel memory the load added: the machine-wide rise (both ends
    /// of every connection, and anything else running) plus the server's
    /// page tables.
    fn kernel_added(&self) -> f64 {
        self.kernel.saturating_sub(self.kernel_before) as f64 + self.page_tables as f64
    }
}

struct Status {
    hwm: u64,
    page_tables: u64,
    threads: u64,
}

/// The server's `/proc/PID/status`: peak resident memory, page tables, threads.
fn read_status(pid: u32) -> Option<Status> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = text.lines().find(|l| l.starts_with(name))?;
        line[name.len()..].split_whitespace().next()?.parse().ok()
    };
    Some(Status {
        hwm: field("VmHWM:")? * 1024,
        page_tables: field("VmPTE:")? * 1024,
        threads: field("Threads:")?,
    })
}

/// The accept queue of the socket listening on 127.0.0.1:`port`: for a
/// listener, the `rx_queue` field of /proc/net/tcp (net/ipv4/tcp_ipv4.c,
/// `get_tcp4_sock`, reads it from `sk_ack_backlog`).
fn accept_queue(port: u16) -> Option<u64> {
    let file = std::fs::File::open("/proc/net/tcp").ok()?;
    let local = format!("0100007F:{port:04X}");
    for line in BufReader::new(file).lines().skip(1) {
        let line = line.ok()?;
        let fields: Vec<&str> = line.split_whitespace().collect();
        // sl, local_address, rem_address, st (0A is LISTEN), tx_queue:rx_queue
        if let [_, address, _, "0A", queues, ..] = fields[..]
            && address == local
        {
            return u64::from_str_radix(queues.split(':').nth(1)?, 16).ok();
        }
    }
    None
}

/// KernelStack + SlabUnreclaim from `/proc/meminfo`, in bytes.
fn machine_kernel() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let field = |name: &str| -> Option<u64> {
        let line = text.lines().find(|l| l.starts_with(name))?;
        line[name.len()..].split_whitespace().next()?.parse().ok()
    };
    Some((field("KernelStack:")? + field("SUnreclaim:")?) * 1024)
}

// ---------------------------------------------------------------- limits

/// The limits a series can cross, read before it starts.
struct Limits {
    nofile: u64,
    threads_max: u64,
    pid_max: u64,
    ports: u64,
    somaxconn: u64,
    max_map_count: u64,
}

impl Limits {
    /// Reads the limits, first raising this process's soft file-descriptor
    /// limit to its hard one with `prlimit` (the server and wrk inherit it).
    fn read_raised() -> Limits {
        let (soft, hard) = nofile().unwrap_or((1024, 1024));
        if soft < hard {
            let status = Command::new("prlimit")
                .arg(format!("--pid={}", std::process::id()))
                .arg(format!("--nofile={hard}:{hard}"))
                .status();
            if !matches!(status, Ok(s) if s.success()) {
                eprintln!("load_probe: prlimit could not raise the fd limit from {soft}");
            }
        }
        let read = |path: &str| -> u64 {
            std::fs::read_to_string(path)
                .ok()
                .and_then(|t| t.split_whitespace().next()?.parse().ok())
                .unwrap_or(0)
        };
        let range =
            std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range").unwrap_or_default();
        let bounds: Vec<u64> = range
            .split_whitespace()
            .filter_map(|n| n.parse().ok())
            .collect();
        let limits = Limits {
            nofile: nofile().map_or(soft, |(soft, _)| soft),
            threads_max: read("/proc/sys/kernel/threads-max"),
            pid_max: read("/proc/sys/kernel/pid_max"),
            ports: match bounds[..] {
                [low, high] if high >= low => high - low + 1,
                _ => 0,
            },
            somaxconn: read("/proc/sys/net/core/somaxconn"),
            max_map_count: read("/proc/sys/vm/max_map_count"),
        };
        eprintln!(
            "load_probe: limits: open files {}, threads-max {}, pid_max {}, \
             local ports {}, somaxconn {}, max_map_count {}",
            limits.nofile,
            limits.threads_max,
            limits.pid_max,
            limits.ports,
            limits.somaxconn,
            limits.max_map_count
        );
        limits
    }

    fn record(&self, out: &mut Map<String, Value>) {
        for (name, value) in [
            ("limit_open_files", self.nofile),
            ("limit_threads_max", self.threads_max),
            ("limit_pid_max", self.pid_max),
            ("limit_local_ports", self.ports),
            ("limit_somaxconn", self.somaxconn),
            ("limit_max_map_count", self.max_map_count),
        ] {
            insert(out, &format!("load/{name}"), "count", value as f64);
        }
    }

    // ANCHOR: crossed
    /// Why `connections` at once would cross a limit, if they would. Each
    /// process (the server, wrk, this probe holding idle connections) has
    /// the fd limit to itself; every connection takes a local port; a
    /// thread per connection takes a thread, a pid and two mappings.
    fn crossed(&self, model: Model, connections: usize) -> Option<String> {
        let n = connections as u64;
        if self.nofile < n + MARGIN {
            return Some(format!("open-file limit {} < {n} + {MARGIN}", self.nofile));
        }
        if self.ports < n + MARGIN {
            return Some(format!("{} local ports < {n} + {MARGIN}", self.ports));
        }
        if model == Model::ThreadPerConnection {
            let live = live_threads();
            let room = self.threads_max.min(self.pid_max).saturating_sub(live);
            if room < n + MARGIN {
                return Some(format!(
                    "room for {room} more threads (threads-max {}, pid_max {}, {live} alive) \
                     < {n} + {MARGIN}",
                    self.threads_max, self.pid_max
                ));
            }
            if self.max_map_count < 2 * n + MARGIN {
                return Some(format!(
                    "vm.max_map_count {} < 2 × {n} + {MARGIN}",
                    self.max_map_count
                ));
            }
        }
        None
    }
    // ANCHOR_END: crossed
}

fn nofile() -> Option<(u64, u64)> {
    let text = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = text.lines().find(|l| l.starts_with("Max open files"))?;
    let mut numbers = line["Max open files".len()..].split_whitespace();
    let soft = numbers.next()?.parse().ok()?;
    let hard = numbers.next()?.parse().ok()?;
    Some((soft, hard))
}

/// Threads alive on the machine: the fourth field of /proc/loadavg, `running/total`.
fn live_threads() -> u64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|t| t.split_whitespace().nth(3)?.split('/').nth(1)?.parse().ok())
        .unwrap_or(0)
}

// ---------------------------------------------------------------- the series

fn insert(out: &mut Map<String, Value>, id: &str, unit: &str, value: f64) {
    out.insert(id.to_string(), json!({ "unit": unit, "value": value }));
}

/// Records one point's figures under `load/<prefix>_<figure>/<x>`.
fn record_point(
    out: &mut Map<String, Value>,
    prefix: &str,
    x: usize,
    result: &WrkResult,
    peak: &Peak,
) {
    eprintln!(
        "load/{prefix}/{x}: {:.0} req/s, p50 {:.0} µs, p99 {:.0} µs, p99.9 {:.0} µs, \
         {} errors ({} timeouts), {} in the accept queue at the end, peak RSS {:.1} MiB, kernel +{:.1} MiB, {} threads",
        result.requests_per_s,
        result.p50_us,
        result.p99_us,
        result.p999_us,
        result.errors,
        result.timeouts,
        peak.queued,
        peak.hwm as f64 / 1048576.0,
        peak.kernel_added() / 1048576.0,
        peak.threads
    );
    let id = |figure: &str| format!("load/{prefix}_{figure}/{x}");
    insert(
        out,
        &id("requests_per_s"),
        "count",
        result.requests_per_s.round(),
    );
    insert(out, &id("errors"), "count", result.errors);
    insert(out, &id("timeouts"), "count", result.timeouts);
    insert(out, &id("resident_peak"), "bytes", peak.hwm as f64);
    insert(out, &id("kernel"), "bytes", peak.kernel_added());
    insert(out, &id("threads"), "count", peak.threads as f64);
    insert(out, &id("queued"), "count", peak.queued as f64);
    // wrk's percentiles cover answered requests only: none answered, none recorded.
    if result.requests > 0.0 {
        insert(out, &id("p50"), "ns", result.p50_us * 1e3);
        insert(out, &id("p99"), "ns", result.p99_us * 1e3);
        insert(out, &id("p99_9"), "ns", result.p999_us * 1e3);
    } else {
        eprintln!("load/{prefix}/{x}: no request answered, no latency recorded");
    }
}

// ANCHOR: measure
/// One fresh server: an optional warm-up run, then the measured one.
fn measure(
    model: Model,
    connections: usize,
    plan: &Plan,
    hold_idle: usize,
) -> Result<(WrkResult, Peak), String> {
    // The kernel's baseline comes before the server and its idle connections.
    let mut peak = Peak::new();
    let server = Server::start(model)?;
    let idle = open_idle(server.port, hold_idle)?;
    settle(&server, model, hold_idle);
    if plan.warm_up_s > 0 {
        let (wrk, started) = run_wrk(server.port, connections, plan.warm_up_s)?;
        finish_wrk(wrk, started, plan.warm_up_s, &server, &mut peak)?;
    }
    let (wrk, started) = run_wrk(server.port, connections, plan.run_s)?;
    let result = finish_wrk(wrk, started, plan.run_s, &server, &mut peak)?;
    peak.sample(server.pid(), None);
    let open = idle.iter().filter(|s| still_open(s)).count();
    if open < idle.len() {
        eprintln!(
            "load: {} of {} idle connections were closed",
            idle.len() - open,
            idle.len()
        );
    }
    Ok((result, peak))
}
// ANCHOR_END: measure

fn busy_series(out: &mut Map<String, Value>, model: Model, plan: &Plan, limits: &Limits) {
    for &connections in plan.busy {
        if let Some(reason) = limits.crossed(model, connections) {
            eprintln!(
                "load: {} series stops before {connections} connections: {reason}",
                model.name()
            );
            return;
        }
        match measure(model, connections, plan, 0) {
            Ok((result, peak)) => record_point(out, model.name(), connections, &result, &peak),
            Err(e) => {
                eprintln!("load: {} at {connections} connections: {e}", model.name());
                return;
            }
        }
    }
}

fn idle_series(out: &mut Map<String, Value>, model: Model, plan: &Plan, limits: &Limits) {
    for &idle in plan.idle {
        if let Some(reason) = limits.crossed(model, idle + BUSY) {
            eprintln!(
                "load: idle {} series stops before {idle} idle: {reason}",
                model.name()
            );
            return;
        }
        match measure(model, BUSY, plan, idle) {
            Ok((result, peak)) => {
                record_point(out, &format!("idle_{}", model.name()), idle, &result, &peak)
            }
            Err(e) => {
                eprintln!("load: idle {} with {idle} idle: {e}", model.name());
                return;
            }
        }
    }
}

/// Opens `count` connections and sends nothing on them (within 30 s).
fn open_idle(port: u16, count: usize) -> Result<Vec<TcpStream>, String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut streams = Vec::with_capacity(count);
    while streams.len() < count {
        if Instant::now() > deadline {
            return Err(format!(
                "only {} of {count} idle connections in 30 s",
                streams.len()
            ));
        }
        let stream = TcpStream::connect_timeout(&address, Duration::from_secs(5))
            .map_err(|e| format!("idle connection {}: {e}", streams.len() + 1))?;
        streams.push(stream);
    }
    Ok(streams)
}

/// Waits (at most 10 s) until a thread-per-connection server has a thread
/// for every idle connection; other models just get a moment to accept.
fn settle(server: &Server, model: Model, idle: usize) {
    if idle == 0 {
        return;
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    let want = if model == Model::ThreadPerConnection {
        idle as u64
    } else {
        0
    };
    while Instant::now() < deadline {
        if read_status(server.pid()).is_some_and(|s| s.threads >= want) {
            break;
        }
        std::thread::sleep(SAMPLE_EVERY);
    }
    std::thread::sleep(Duration::from_millis(200));
}

/// An idle connection the server has not closed: a read would block.
fn still_open(stream: &TcpStream) -> bool {
    let mut byte = [0u8; 1];
    stream.set_nonblocking(true).is_ok()
        && matches!(stream.peek(&mut byte), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrk_figures_come_from_the_report_line_in_microseconds() {
        let text = "Running 1s test @ http://127.0.0.1:1/\n\
            wrk-result {\"duration_us\":1000000,\"requests\":92,\"requests_per_s\":92.0,\
            \"connect\":1,\"read\":2,\"write\":3,\"status\":4,\"timeout\":5,\
            \"p50_us\":43936,\"p99_us\":44117,\"p999_us\":44200,\"max_us\":44300}\n";
        let result = parse_wrk(text).unwrap();
        assert_eq!(result.requests, 92.0);
        assert_eq!(result.errors, 15.0);
        assert_eq!(result.timeouts, 5.0);
        assert_eq!(result.p99_us, 44117.0);
        assert_eq!(result.p999_us, 44200.0);
        assert!(parse_wrk("Running 1s test\n").is_err());
    }

    fn limits(nofile: u64) -> Limits {
        Limits {
            nofile,
            threads_max: 1_000_000,
            pid_max: 1_000_000,
            ports: 1_000_000,
            somaxconn: 4096,
            max_map_count: 1_000_000,
        }
    }

    #[test]
    fn a_series_stops_before_it_would_run_out_of_file_descriptors() {
        let enough = limits(10_000 + MARGIN);
        assert_eq!(enough.crossed(Model::TokioMultiThread, 10_000), None);
        let short = limits(10_000 + MARGIN - 1);
        let reason = short.crossed(Model::TokioMultiThread, 10_000).unwrap();
        assert!(reason.contains("open-file limit"), "{reason}");
    }

    #[test]
    fn only_a_thread_per_connection_needs_a_thread_per_connection() {
        let few_threads = Limits {
            threads_max: 5_000,
            ..limits(100_000)
        };
        assert_eq!(few_threads.crossed(Model::TokioCurrentThread, 10_000), None);
        let reason = few_threads
            .crossed(Model::ThreadPerConnection, 10_000)
            .unwrap();
        assert!(reason.contains("threads-max"), "{reason}");
    }

    #[test]
    fn a_child_is_killed_and_reaped_on_every_way_out_even_a_panic() {
        let start = || Killed(Command::new("sleep").arg("60").spawn().unwrap());
        let alive = |pid: u32| std::path::Path::new(&format!("/proc/{pid}")).exists();
        let child = start();
        let pid = child.0.id();
        assert!(alive(pid));
        // Without the kill, dropping would wait out the child's 60 s: a
        // bound far below that and far above a kill and reap.
        let dropped = Instant::now();
        drop(child);
        assert!(
            dropped.elapsed() < Duration::from_secs(20),
            "the guard did not kill"
        );
        assert!(!alive(pid), "the child outlived its guard");
        let mut pid = 0;
        let unwound = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let child = start();
            pid = child.0.id();
            panic!("a failure while the child runs");
        }));
        assert!(unwound.is_err());
        assert!(!alive(pid), "the child outlived a panic");
    }

    #[test]
    fn the_accept_queue_of_a_listener_is_read_from_proc_net_tcp() {
        // A listener nobody accepts from: two connections wait in its queue.
        let listener = bind_loopback().unwrap();
        let port = listener.local_addr().unwrap().port();
        assert_eq!(accept_queue(port), Some(0));
        let _waiting: Vec<TcpStream> = (0..2)
            .map(|_| TcpStream::connect((Ipv4Addr::LOCALHOST, port)).unwrap())
            .collect();
        assert_eq!(accept_queue(port), Some(2));
        let _taken = listener.accept().unwrap();
        assert_eq!(accept_queue(port), Some(1));
    }
}
