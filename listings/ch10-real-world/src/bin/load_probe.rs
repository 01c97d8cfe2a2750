//! Drives the chapter's HTTP server, in each concurrency model, with `wrk`
//! (an independent load generator, Debian's package) and writes what wrk
//! reports, with the server's memory and thread count, as JSON:
//!
//! `cargo run --release -p ch10-real-world --bin load_probe -- --out FILE [--quick]`
//!
//! Two scenarios: every connection busy (`load/<model>_<figure>/<connections>`),
//! and most of them open but silent beside a few busy ones
//! (`load/idle_<model>_<figure>/<idle connections>`). Each point runs on a
//! fresh server process, started by re-running this binary with `--serve`;
//! each point runs `runs` times, the models in a shuffled order each time,
//! and records the median with the lowest and highest run beside it.

use ch10_real_world::{Model, serve};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::io::Write;
use std::io::{BufRead, BufReader, Read};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The wrk the figures come from: the first line `wrk -v` prints.
const WRK_VERSION: &str = "wrk debian/4.1.0-3+b2";
/// The Lua script whose `done` hook prints wrk's figures as one JSON line.
const WRK_SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/load/report.lua");
// ANCHOR: settings
/// wrk's threads: one per core of the two-core machine the book measures on.
const WRK_THREADS: usize = 2;
/// wrk's `--timeout`: a response that arrives later than this counts as a
/// `timeout` error and stays out of the latency histogram, which wrk sizes
/// to it (wg/wrk 4.1.0 src/wrk.c:91, 344-345; src/stats.c:23); a request
/// never answered counts nowhere.
const WRK_TIMEOUT: &str = "2s";
/// Busy connections in the idle scenario.
const BUSY: usize = 10;
/// A server exits by itself after this, whatever happens to the probe.
const SERVE_BOUND: Duration = Duration::from_secs(120);
/// File descriptors and ports kept free beyond one per connection.
const MARGIN: u64 = 256;
/// The listen backlog asked for (the kernel caps it at net.core.somaxconn).
const BACKLOG: i32 = 16_384;
/// How often the server's status is read while wrk runs.
const SAMPLE_EVERY: Duration = Duration::from_millis(50);
/// Once the server holds every connection, its open descriptors are
/// counted at one sample in this many (a directory of 10 000 entries).
const FDS_EVERY: u64 = 5;
/// The share of the measured run after which /proc/net/tcp, which lists
/// the IPv4 TCP sockets of the network namespace, is read: once a run.
const TCP_AT: f64 = 0.8;

/// What one series measures, how long each wrk run lasts and how many runs
/// each point gets. There is no warm-up run: every wrk run opens its
/// connections anew on a fresh server, so a warm-up's connects would only
/// happen again (and its cached thread stacks and grown heap would count
/// in the peak resident memory).
struct Plan {
    busy: &'static [usize],
    idle: &'static [usize],
    run_s: u64,
    runs: usize,
}

const FULL: Plan = Plan {
    busy: &FULL_BUSY,
    idle: &FULL_IDLE,
    run_s: 3,
    runs: FULL_RUNS,
};
/// The full sweep's points and runs, named so that the book prints them.
const FULL_BUSY: [usize; 4] = [10, 100, 1_000, 10_000];
const FULL_IDLE: [usize; 3] = [100, 1_000, 10_000];
const FULL_RUNS: usize = 3;
const QUICK: Plan = Plan {
    busy: &[100],
    idle: &[1_000],
    run_s: 1,
    runs: 1,
};
// ANCHOR_END: settings

/// The two scenarios: every connection busy, or idle ones beside [`BUSY`].
#[derive(Debug, Clone, Copy, PartialEq)]
enum Scenario {
    Busy,
    Idle,
}

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
    run_points(&mut out, &plan, &limits);
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
    let listener = bind_loopback(BACKLOG).unwrap_or_else(|e| {
        eprintln!("load_probe --serve: cannot listen on 127.0.0.1: {e}");
        std::process::exit(1);
    });
    let port = listener.local_addr().map_or(0, |a| a.port());
    println!("{port}");
    // One watchdog thread (it shows in the thread count of every model).
    let parent = std::os::unix::process::parent_id();
    std::thread::spawn(move || {
        let started = Instant::now();
        while started.elapsed() < SERVE_BOUND
            && std::os::unix::process::parent_id() == parent
        {
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

fn bind_loopback(backlog: i32) -> std::io::Result<TcpListener> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV4, Type::STREAM, None)?;
    socket.bind(&SocketAddr::from((Ipv4Addr::LOCALHOST, 0)).into())?;
    socket.listen(backlog)?;
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
        let exe =
            std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
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

fn run_wrk(
    port: u16,
    connections: usize,
    seconds: u64,
) -> Result<(Killed, Instant), String> {
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

/// Waits for wrk (at most its run plus a margin), sampling the server
/// meanwhile and reading /proc/net/tcp once, at [`TCP_AT`] of the run.
fn finish_wrk(
    mut wrk: Killed,
    started: Instant,
    seconds: u64,
    server: &Server,
    peak: &mut Peak,
) -> Result<WrkResult, String> {
    let bound = Duration::from_secs(seconds + 30);
    let tcp_at = Duration::from_secs_f64(seconds as f64 * TCP_AT);
    loop {
        match wrk.0.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if started.elapsed() > bound => {
                return Err(format!(
                    "wrk still running after {} s",
                    bound.as_secs()
                ));
            }
            Ok(None) => {
                peak.sample(server.pid(), started);
                if peak.tcp.is_none() && started.elapsed() >= tcp_at {
                    peak.tcp = tcp_table(server.port);
                }
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
    let v: Value =
        serde_json::from_str(line).map_err(|e| format!("{e} in `{line}`"))?;
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
    /// The server's open descriptors before wrk started (idle connections
    /// included), the most seen during the run, and the count that means
    /// it holds every one of wrk's connections.
    fds_before: u64,
    fds: u64,
    fds_wanted: u64,
    /// How long after wrk started the server first held that many.
    all_taken_after: Option<Duration>,
    /// The one reading of /proc/net/tcp during the measured run.
    tcp: Option<TcpTable>,
    /// TcpExt ListenOverflows and ListenDrops (/proc/net/netstat) before
    /// the run: machine-wide counters of connections a full queue refused.
    netstat_before: (u64, u64),
    netstat_added: (u64, u64),
    samples: u64,
}

impl Peak {
    /// Taken once the server and its idle connections are up, before wrk.
    fn new(kernel_before: u64, pid: u32, busy: usize) -> Peak {
        let fds_before = open_fds(pid).unwrap_or(0);
        Peak {
            kernel_before,
            fds_before,
            fds: fds_before,
            fds_wanted: fds_before + busy as u64,
            netstat_before: listen_overflows().unwrap_or((0, 0)),
            ..Peak::default()
        }
    }

    /// Reads the server's status and the machine's kernel memory, and the
    /// server's open descriptors: at every sample until it holds all of
    /// wrk's connections, then at one in [`FDS_EVERY`]. The time since wrk
    /// started is read after the descriptors are counted, so
    /// `all_taken_after` is late by at most one [`SAMPLE_EVERY`] plus one
    /// reading of /proc/PID/fd, never early.
    fn sample(&mut self, pid: u32, started: Instant) {
        if (self.all_taken_after.is_none() || self.samples.is_multiple_of(FDS_EVERY))
            && let Some(fds) = open_fds(pid)
        {
            self.fds = self.fds.max(fds);
            if self.all_taken_after.is_none() && fds >= self.fds_wanted {
                self.all_taken_after = Some(started.elapsed());
            }
        }
        self.samples += 1;
        self.sample_status(pid);
    }

    fn sample_status(&mut self, pid: u32) {
        if let Some(status) = read_status(pid) {
            self.page_tables = self.page_tables.max(status.page_tables);
            self.threads = self.threads.max(status.threads);
            self.hwm = self.hwm.max(status.hwm);
        }
        if let Some(kernel) = machine_kernel() {
            self.kernel = self.kernel.max(kernel);
        }
    }

    /// After the run: the rise of the overflow counters.
    fn finish(&mut self, pid: u32) {
        self.sample_status(pid);
        let (overflows, drops) = listen_overflows().unwrap_or(self.netstat_before);
        self.netstat_added = (
            overflows.saturating_sub(self.netstat_before.0),
            drops.saturating_sub(self.netstat_before.1),
        );
    }

    /// The kernel memory the load added: the machine-wide rise of kernel
    /// stacks and unreclaimable slab (both ends of every connection, and
    /// anything else running) plus the server's page tables.
    fn kernel_added(&self) -> f64 {
        self.kernel.saturating_sub(self.kernel_before) as f64
            + self.page_tables as f64
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

/// The server's open file descriptors: the entries of /proc/PID/fd.
fn open_fds(pid: u32) -> Option<u64> {
    let entries = std::fs::read_dir(format!("/proc/{pid}/fd")).ok()?;
    Some(entries.count() as u64)
}

/// What one reading of /proc/net/tcp says about the server's port.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct TcpTable {
    /// Connections the kernel has completed that the server has not yet
    /// taken with `accept`, whether or not their client is still there:
    /// for a listener, the `rx_queue` field (net/ipv4/tcp_ipv4.c,
    /// `get_tcp4_sock`, reads it from `sk_ack_backlog`).
    queued: u64,
    /// Client sockets to the port still in SYN_SENT: clients whose SYN the
    /// full queue dropped, retrying, that had not connected yet.
    syn_sent: u64,
}

fn tcp_table(port: u16) -> Option<TcpTable> {
    let text = std::fs::read_to_string("/proc/net/tcp").ok()?;
    parse_tcp_table(&text, port)
}

/// Lines `sl local_address rem_address st tx_queue:rx_queue ...`, addresses
/// in hex; `st` 0A is LISTEN, 02 is SYN_SENT (include/net/tcp_states.h).
/// `None` when no socket listens on the port.
fn parse_tcp_table(text: &str, port: u16) -> Option<TcpTable> {
    let ours = format!("0100007F:{port:04X}");
    let mut queued = None;
    let mut syn_sent = 0;
    for line in text.lines().skip(1) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields[..] {
            [_, local, _, "0A", queues, ..] if local == ours => {
                queued = u64::from_str_radix(queues.split(':').nth(1)?, 16).ok();
            }
            [_, _, remote, "02", ..] if remote == ours => syn_sent += 1,
            _ => {}
        }
    }
    Some(TcpTable {
        queued: queued?,
        syn_sent,
    })
}

/// TcpExt ListenOverflows and ListenDrops from /proc/net/netstat, whose
/// `TcpExt:` lines give the names, then the values.
fn listen_overflows() -> Option<(u64, u64)> {
    let text = std::fs::read_to_string("/proc/net/netstat").ok()?;
    let mut lines = text.lines().filter(|l| l.starts_with("TcpExt:"));
    let names: Vec<&str> = lines.next()?.split_whitespace().collect();
    let values: Vec<&str> = lines.next()?.split_whitespace().collect();
    let field = |name: &str| -> Option<u64> {
        let at = names.iter().position(|n| *n == name)?;
        values.get(at)?.parse().ok()
    };
    Some((field("ListenOverflows")?, field("ListenDrops")?))
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
                eprintln!(
                    "load_probe: prlimit could not raise the fd limit from {soft}"
                );
            }
        }
        let read = |path: &str| -> u64 {
            std::fs::read_to_string(path)
                .ok()
                .and_then(|t| t.split_whitespace().next()?.parse().ok())
                .unwrap_or(0)
        };
        let range =
            std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
                .unwrap_or_default();
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
            return Some(format!(
                "open-file limit {} < {n} + {MARGIN}",
                self.nofile
            ));
        }
        if self.ports < n + MARGIN {
            return Some(format!("{} local ports < {n} + {MARGIN}", self.ports));
        }
        if model == Model::ThreadPerConnection {
            let live = live_threads();
            let room = self.threads_max.min(self.pid_max).saturating_sub(live);
            if room < n + MARGIN {
                return Some(format!(
                    "room for {room} more threads (threads-max {}, pid_max {}, \
                     {live} alive) < {n} + {MARGIN}",
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
    let tcp = peak.tcp.unwrap_or_default();
    eprintln!(
        "load/{prefix}/{x}: {:.0} req/s, p50 {:.0} µs, p99 {:.0} µs, p99.9 {:.0} µs, \
         {} errors ({} timeouts), {} queued and {} still connecting late in the run, \
         {} listen overflows, peak {} fds ({} before, all taken after {:?}), \
         peak RSS {:.1} MiB, kernel +{:.1} MiB, {} threads",
        result.requests_per_s,
        result.p50_us,
        result.p99_us,
        result.p999_us,
        result.errors,
        result.timeouts,
        tcp.queued,
        tcp.syn_sent,
        peak.netstat_added.0,
        peak.fds,
        peak.fds_before,
        peak.all_taken_after,
        peak.hwm as f64 / 1048576.0,
        peak.kernel_added() / 1048576.0,
        peak.threads
    );
    let id = |figure: &str| format!("load/{prefix}_{figure}/{x}");
    let rate = result.requests_per_s.round();
    insert(out, &id("requests_per_s"), "per_second", rate);
    insert(out, &id("errors"), "count", result.errors);
    insert(out, &id("timeouts"), "count", result.timeouts);
    insert(out, &id("resident_peak"), "bytes", peak.hwm as f64);
    insert(out, &id("kernel"), "bytes", peak.kernel_added());
    insert(out, &id("threads"), "count", peak.threads as f64);
    insert(out, &id("fds"), "count", peak.fds as f64);
    let taken = peak.fds.saturating_sub(peak.fds_before);
    insert(out, &id("taken"), "count", taken as f64);
    if let Some(after) = peak.all_taken_after {
        insert(out, &id("all_taken_after"), "ns", after.as_nanos() as f64);
    }
    if let Some(tcp) = peak.tcp {
        insert(out, &id("queued"), "count", tcp.queued as f64);
        insert(out, &id("connecting"), "count", tcp.syn_sent as f64);
    }
    let (overflows, drops) = peak.netstat_added;
    insert(out, &id("listen_overflows"), "count", overflows as f64);
    insert(out, &id("listen_drops"), "count", drops as f64);
    // Only responses faster than WRK_TIMEOUT enter wrk's histogram.
    if result.requests > result.timeouts {
        insert(out, &id("p50"), "ns", result.p50_us * 1e3);
        insert(out, &id("p99"), "ns", result.p99_us * 1e3);
        insert(out, &id("p99_9"), "ns", result.p999_us * 1e3);
    } else {
        eprintln!(
            "load/{prefix}/{x}: no request answered in time, no latency recorded"
        );
    }
}

/// What one point gave: wrk's figures and the server's, or, when the idle
/// connections could not all open, how many did.
enum Outcome {
    Measured(WrkResult, Peak),
    Unopened {
        opened: usize,
        overflows: u64,
        reason: String,
    },
}

// ANCHOR: measure
/// One fresh server, its idle connections, then one wrk run.
fn measure(
    model: Model,
    connections: usize,
    plan: &Plan,
    hold_idle: usize,
) -> Result<Outcome, String> {
    // The kernel's baseline comes before the server and its idle
    // connections, once the last run's freed memory has stopped falling.
    let kernel_before = settled_kernel();
    let netstat_before = listen_overflows().unwrap_or((0, 0));
    let server = Server::start(model)?;
    // One answered request first: the server is up (a runtime built, its
    // workers started) before any descriptor is counted, and before idle
    // connections could fill a pool's threads.
    one_request(server.port, Duration::from_secs(5))?;
    let idle = match open_idle(server.port, hold_idle) {
        Ok(idle) => idle,
        Err((opened, reason)) => {
            let overflows = listen_overflows().unwrap_or((0, 0)).0;
            let overflows = overflows.saturating_sub(netstat_before.0);
            return Ok(Outcome::Unopened {
                opened,
                overflows,
                reason,
            });
        }
    };
    settle(&server, model, hold_idle);
    let mut peak = Peak::new(kernel_before, server.pid(), connections);
    let (wrk, started) = run_wrk(server.port, connections, plan.run_s)?;
    let result = finish_wrk(wrk, started, plan.run_s, &server, &mut peak)?;
    peak.finish(server.pid());
    let open = idle.iter().filter(|s| still_open(s)).count();
    if open < idle.len() {
        eprintln!(
            "load: {} of {} idle connections were closed",
            idle.len() - open,
            idle.len()
        );
    }
    Ok(Outcome::Measured(result, peak))
}
// ANCHOR_END: measure

/// Every point of the plan, busy then idle, `plan.runs` times. Each time
/// the models run one after the other in a freshly shuffled order, so that
/// no model always comes after the same one (kernel memory, and sockets in
/// TIME_WAIT, carry over from one run to the next). The figures recorded
/// are the median of the runs, with the lowest and highest as its bounds.
fn run_points(out: &mut Map<String, Value>, plan: &Plan, limits: &Limits) {
    let points: Vec<(Scenario, usize)> = plan
        .busy
        .iter()
        .map(|&x| (Scenario::Busy, x))
        .chain(plan.idle.iter().map(|&x| (Scenario::Idle, x)))
        .collect();
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64)
        & SEED_MASK
        | 1;
    eprintln!("load_probe: shuffle seed {seed}");
    // Saved with the figures, so that the order of a sweep can be redrawn.
    insert(out, "load/shuffle_seed", "count", seed as f64);
    insert(out, "load/runs", "count", plan.runs as f64);
    let mut runs: BTreeMap<String, (String, Vec<f64>)> = BTreeMap::new();
    let mut stopped: Vec<(Scenario, Model)> = Vec::new();
    for (scenario, x) in points {
        for _ in 0..plan.runs {
            for model in shuffled(Model::ALL, &mut seed) {
                if stopped.contains(&(scenario, model)) {
                    continue;
                }
                let mut one = Map::new();
                let going = run_point(&mut one, model, scenario, x, plan, limits);
                collect(&mut runs, one);
                if !going {
                    stopped.push((scenario, model));
                }
            }
        }
    }
    summarize(out, runs, plan.runs);
}

/// The seed is kept below 2^53, so that it survives the figures file's
/// floating-point numbers exactly.
const SEED_MASK: u64 = (1 << 53) - 1;

/// `models` in an order drawn from `seed` (xorshift64, Fisher-Yates).
fn shuffled(mut models: [Model; 4], seed: &mut u64) -> [Model; 4] {
    for i in (1..models.len()).rev() {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        models.swap(i, (*seed % (i as u64 + 1)) as usize);
    }
    models
}

/// Adds one run's figures to those of the earlier runs of the same ids.
fn collect(
    runs: &mut BTreeMap<String, (String, Vec<f64>)>,
    one: Map<String, Value>,
) {
    for (id, figure) in one {
        let unit = figure["unit"].as_str().unwrap_or("count").to_string();
        let value = figure["value"].as_f64().unwrap_or(0.0);
        runs.entry(id).or_insert((unit, Vec::new())).1.push(value);
    }
}

/// Each id's median over its runs, with the lowest and highest run as
/// `lower` and `upper` when there was more than one. An id that fewer than
/// `wanted` runs gave is left out (and named on stderr), so that no figure
/// the book cites is the median of fewer runs than it says: a marker
/// naming it fails the build.
fn summarize(
    out: &mut Map<String, Value>,
    runs: BTreeMap<String, (String, Vec<f64>)>,
    wanted: usize,
) {
    for (id, (unit, mut values)) in runs {
        values.sort_by(f64::total_cmp);
        let n = values.len();
        if n < wanted {
            eprintln!("{id}: only {n} of {wanted} runs gave it, not recorded");
            continue;
        }
        let median = if n % 2 == 1 {
            values[n / 2]
        } else {
            (values[n / 2 - 1] + values[n / 2]) / 2.0
        };
        let mut figure = json!({ "unit": unit, "value": median });
        if n > 1 {
            figure["lower"] = json!(values[0]);
            figure["upper"] = json!(values[n - 1]);
        }
        out.insert(id, figure);
    }
}

/// Runs one point and records it; false when its series stops there.
fn run_point(
    out: &mut Map<String, Value>,
    model: Model,
    scenario: Scenario,
    x: usize,
    plan: &Plan,
    limits: &Limits,
) -> bool {
    let (prefix, busy, idle) = match scenario {
        Scenario::Busy => (model.name().to_string(), x, 0),
        Scenario::Idle => (format!("idle_{}", model.name()), BUSY, x),
    };
    if let Some(reason) = limits.crossed(model, busy + idle) {
        eprintln!("load: {prefix} series stops before {x}: {reason}");
        return false;
    }
    match measure(model, busy, plan, idle) {
        Ok(Outcome::Measured(result, peak)) => {
            record_point(out, &prefix, x, &result, &peak);
            true
        }
        Ok(Outcome::Unopened {
            opened,
            overflows,
            reason,
        }) => {
            eprintln!(
                "load: {prefix} at {x}: {reason} ({overflows} listen overflows)"
            );
            let id = |figure: &str| format!("load/{prefix}_{figure}/{x}");
            insert(out, &id("opened"), "count", opened as f64);
            insert(out, &id("listen_overflows"), "count", overflows as f64);
            false
        }
        Err(e) => {
            eprintln!("load: {prefix} at {x}: {e}");
            false
        }
    }
}

/// Opens `count` connections and sends nothing on them (within 30 s); on
/// failure, how many opened and why.
fn open_idle(port: u16, count: usize) -> Result<Vec<TcpStream>, (usize, String)> {
    let deadline = Instant::now() + Duration::from_secs(30);
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut streams = Vec::with_capacity(count);
    while streams.len() < count {
        let opened = streams.len();
        if Instant::now() > deadline {
            return Err((
                opened,
                format!("only {opened} of {count} idle connections in 30 s"),
            ));
        }
        let stream = TcpStream::connect_timeout(&address, Duration::from_secs(5))
            .map_err(|e| (opened, format!("idle connection {}: {e}", opened + 1)))?;
        streams.push(stream);
    }
    Ok(streams)
}

/// KernelStack + SlabUnreclaim once it has stopped falling: read every
/// 100 ms until three readings in a row are no lower than the lowest so
/// far, at most 3 s. Slab the kernel keeps cached, and sockets still in
/// TIME_WAIT (60 s) from the last run, stay in the baseline.
fn settled_kernel() -> u64 {
    let mut lowest = machine_kernel().unwrap_or(0);
    let mut steady = 0;
    for _ in 0..30 {
        if steady == 3 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        let now = machine_kernel().unwrap_or(lowest);
        if now < lowest {
            lowest = now;
            steady = 0;
        } else {
            steady += 1;
        }
    }
    lowest
}

/// One `GET /` on a connection of its own, closed by the server once
/// answered: an error unless a 200 comes back within `within`.
fn one_request(port: u16, within: Duration) -> Result<(), String> {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let failed = |e: std::io::Error| format!("the first request: {e}");
    let mut stream = TcpStream::connect_timeout(&address, within).map_err(failed)?;
    stream.set_read_timeout(Some(within)).map_err(failed)?;
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n")
        .map_err(failed)?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).map_err(failed)?;
    if answer.starts_with(b"HTTP/1.1 200 ") {
        Ok(())
    } else {
        Err(format!(
            "the first request was answered `{}`",
            String::from_utf8_lossy(&answer[..answer.len().min(40)])
        ))
    }
}

/// Waits (at most 10 s) until a thread-per-connection server has a thread
/// for every idle connection, then until the server's open descriptors
/// stop changing: every server builds its runtime and takes its idle
/// connections before the count that wrk's connections are measured from.
fn settle(server: &Server, model: Model, idle: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    // A thread for each idle connection, plus the main thread and the
    // watchdog.
    let want = if model == Model::ThreadPerConnection {
        idle as u64 + 2
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
    let mut last = open_fds(server.pid());
    while Instant::now() < deadline {
        std::thread::sleep(SAMPLE_EVERY);
        let now = open_fds(server.pid());
        if now == last {
            break;
        }
        last = now;
    }
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
    fn a_point_records_the_median_run_with_the_lowest_and_highest_as_bounds() {
        let mut runs = BTreeMap::new();
        for value in [30.0, 10.0, 20.0] {
            let mut one = Map::new();
            insert(&mut one, "load/a/1", "bytes", value);
            collect(&mut runs, one);
        }
        let mut once = Map::new();
        insert(&mut once, "load/b/1", "count", 7.0);
        collect(&mut runs, once);
        let mut out = Map::new();
        summarize(&mut out, runs.clone(), 3);
        assert_eq!(
            out["load/a/1"],
            json!({ "unit": "bytes", "value": 20.0, "lower": 10.0, "upper": 30.0 })
        );
        // One run of three: left out, so that a marker citing it fails.
        assert!(!out.contains_key("load/b/1"), "{out:?}");
        // A sweep of one run: no spread to give.
        let mut out = Map::new();
        summarize(&mut out, runs, 1);
        assert_eq!(out["load/b/1"], json!({ "unit": "count", "value": 7.0 }));
    }

    #[test]
    fn the_shuffle_seed_survives_the_figures_file() {
        let seed = (u64::MAX - 2) & SEED_MASK | 1;
        assert_eq!(seed as f64 as u64, seed);
    }

    #[test]
    fn the_models_run_in_an_order_that_changes_from_run_to_run() {
        let mut seed = 12_345;
        let mut first = Vec::new();
        let mut before_tokio = std::collections::BTreeSet::new();
        for _ in 0..40 {
            let order = shuffled(Model::ALL, &mut seed);
            let mut names: Vec<&str> = order.iter().map(|m| m.name()).collect();
            let at = |m: Model| order.iter().position(|&o| o == m).unwrap();
            if at(Model::TokioMultiThread) > 0 {
                before_tokio.insert(order[at(Model::TokioMultiThread) - 1].name());
            }
            first.push(names[0]);
            names.sort_unstable();
            let mut all: Vec<&str> = Model::ALL.iter().map(|m| m.name()).collect();
            all.sort_unstable();
            assert_eq!(names, all, "every model once");
        }
        first.sort_unstable();
        first.dedup();
        assert_eq!(first.len(), 4, "each model comes first at times");
        assert_eq!(before_tokio.len(), 3, "tokio follows each other model");
    }

    #[test]
    fn the_first_request_must_be_answered_in_time() {
        let listener = bind_loopback(64).unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || serve(Model::TokioMultiThread, listener));
        one_request(port, Duration::from_secs(10)).unwrap();
        // A listener nobody accepts from: the connect completes in the
        // kernel's queue, the answer never comes. The channel bounds the
        // wait far above the 300 ms asked for, should the timeout not hold.
        let silent = bind_loopback(64).unwrap();
        let port = silent.local_addr().unwrap().port();
        let (sent, answer) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            sent.send(one_request(port, Duration::from_millis(300)))
        });
        let outcome = answer.recv_timeout(Duration::from_secs(20));
        let error = outcome.expect("gave up in time").unwrap_err();
        assert!(error.contains("first request"), "{error}");
        // A server that answers, but not with a 200.
        let refusing = bind_loopback(64).unwrap();
        let port = refusing.local_addr().unwrap().port();
        std::thread::spawn(move || {
            let (mut stream, _) = refusing.accept().unwrap();
            // The whole request read first: closing with unread bytes would
            // reset the connection before the client reads the answer.
            let mut head = Vec::new();
            let mut buf = [0u8; 256];
            while !head.ends_with(b"\r\n\r\n") {
                match stream.read(&mut buf) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => head.extend_from_slice(&buf[..n]),
                }
            }
            let _ = stream.write_all(b"HTTP/1.1 400 Bad Request\r\n\r\n");
        });
        let error = one_request(port, Duration::from_secs(10)).unwrap_err();
        assert!(error.contains("400"), "{error}");
        drop(silent);
    }

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
        let alive =
            |pid: u32| std::path::Path::new(&format!("/proc/{pid}")).exists();
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
    fn the_queue_and_the_clients_still_connecting_are_read_from_proc_net_tcp() {
        // A listener nobody accepts from, with a backlog of 0: its queue
        // holds one connection (one more than the backlog, include/net/sock.h
        // `sk_acceptq_is_full`), and the kernel drops the next client's SYN.
        let listener = bind_loopback(0).unwrap();
        let port = listener.local_addr().unwrap().port();
        let empty = TcpTable::default();
        assert_eq!(tcp_table(port), Some(empty));
        let (overflows, _) = listen_overflows().unwrap();
        let _queued = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).unwrap();
        let waiting = [connect_without_waiting(port), connect_without_waiting(port)];
        let expected = TcpTable {
            queued: 1,
            syn_sent: 2,
        };
        // The SYN is dropped at once; the bound only covers a slow machine.
        let deadline = Instant::now() + Duration::from_secs(10);
        while tcp_table(port) != Some(expected) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(tcp_table(port), Some(expected));
        // Machine-wide and only ever rising: other sockets cannot undo it.
        assert!(listen_overflows().unwrap().0 > overflows);
        drop(waiting);
        drop(listener);
        assert_eq!(tcp_table(port), None, "no listener, no table");
    }

    /// A client socket whose connect to `port` is under way, not waited for.
    fn connect_without_waiting(port: u16) -> socket2::Socket {
        use socket2::{Domain, Socket, Type};
        let socket = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
        socket.set_nonblocking(true).unwrap();
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
        match socket.connect(&address.into()) {
            Err(e) if e.raw_os_error() == Some(115) => {} // EINPROGRESS
            other => panic!("expected a connect in progress, got {other:?}"),
        }
        socket
    }

    #[test]
    fn a_reading_of_proc_net_tcp_counts_only_the_servers_port() {
        let text = "  sl  local_address rem_address   st tx_queue:rx_queue\n\
            0: 0100007F:1F90 00000000:0000 0A 00000000:00000003 00\n\
            1: 0100007F:9C40 0100007F:1F90 02 00000000:00000000 00\n\
            2: 0100007F:9C41 0100007F:1F90 01 00000000:00000000 00\n\
            5: 0100007F:9C43 0100007F:1F90 01 00000000:00000000 00\n\
            3: 0100007F:9C42 0100007F:1F91 02 00000000:00000000 00\n\
            4: 0100007F:1F91 00000000:0000 0A 00000000:00000009 00\n";
        let table = parse_tcp_table(text, 0x1F90).unwrap();
        assert_eq!(
            table,
            TcpTable {
                queued: 3,
                syn_sent: 1
            }
        );
        assert_eq!(parse_tcp_table(text, 0x1F92), None);
    }

    #[test]
    fn a_servers_open_descriptors_are_counted_from_proc_pid_fd() {
        let pid = std::process::id();
        let before = open_fds(pid).unwrap();
        let files: Vec<std::fs::File> = (0..200)
            .map(|_| std::fs::File::open("/proc/self/status").unwrap())
            .collect();
        let during = open_fds(pid).unwrap();
        // Tests running beside this one open and close a few descriptors.
        assert!(
            (before + 190..before + 250).contains(&during),
            "{before} before, {during} with 200 more open"
        );
        drop(files);
        assert!(open_fds(pid).unwrap() < during - 150);
    }
}
