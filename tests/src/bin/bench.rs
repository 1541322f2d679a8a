//! RustStack benchmark: what a plugin call costs over a bare HTTP handler, how
//! fast the server starts and how much memory it holds.
//!
//! Run with `cargo run --release -p ruststack-tests --bin bench` (or `just bench`).
//! Every figure is compared with a baseline measured in the same run on the same
//! machine, so the ratios stay meaningful on slow or busy hosts.
//!
//! Environment:
//! - `BENCH_SECS`: measured seconds per load run (default 3, after 0.5 s warm-up).
//! - `RUSTSTACK_BIN`: the server binary (default `<workspace>/target/release/ruststack`).
//!
//! The table is printed and written to `<workspace>/target/bench.md`. Targets are
//! reported as PASS/MISS; a miss never fails the process.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener as StdListener, TcpStream as StdStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant as TokioInstant;

/// Load runs start with this much unmeasured traffic so that connection set-up,
/// lazy allocations and instance pools do not count.
const WARMUP: Duration = Duration::from_millis(500);
/// Connection counts measured for every target.
const CONNECTIONS: [usize; 2] = [1, 32];
/// Start-up runs per mode; the median is reported.
const STARTUP_RUNS: usize = 3;
/// How long a server may take to come up before the benchmark gives up.
const STARTUP_LIMIT: Duration = Duration::from_secs(60);
/// A response slower than this past the end of a run means the target hangs.
const RESPONSE_GRACE: Duration = Duration::from_secs(10);
/// Body of the baseline: about the size of a counters answer.
const BASELINE_BODY: &str = r#"{"Counter":{"Name":"bench","UpdatedAt":1795878354.287,"Value":1},"ServedBy":"baseline 1.0.0"}"#;
/// AWS JSON target prefix of the example plugin.
const COUNTERS: &str = "Counters_20261128";

/// Targets the project has set itself; the benchmark only reports them.
const WARM_START_TARGET_MS: f64 = 50.0;
const IDLE_RSS_TARGET_MB: f64 = 20.0;
const GET_RATIO_TARGET: f64 = 0.5;

fn main() -> Result<()> {
    let cfg = Config::from_env()?;
    let scratch = tempfile::Builder::new()
        .prefix("ruststack-bench-")
        .tempdir()?;
    eprintln!(
        "bench: {} s per run, server {}",
        cfg.secs.as_secs_f64(),
        cfg.bin.display()
    );

    let startup = measure_startup(&cfg, scratch.path())?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let load = runtime.block_on(measure_load(&cfg, scratch.path()))?;

    let report = render(&cfg, &startup, &load);
    print!("{report}");
    let out = cfg.workspace.join("target/bench.md");
    std::fs::write(&out, &report).with_context(|| format!("writing {}", out.display()))?;
    eprintln!("bench: written to {}", out.display());
    Ok(())
}

/// Where things are and how long to measure.
struct Config {
    secs: Duration,
    bin: PathBuf,
    plugins: PathBuf,
    workspace: PathBuf,
}

impl Config {
    fn from_env() -> Result<Self> {
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let workspace = workspace.canonicalize().unwrap_or(workspace);
        let secs = match std::env::var("BENCH_SECS") {
            Ok(s) => s
                .trim()
                .parse::<f64>()
                .context("BENCH_SECS must be a number of seconds")?,
            Err(_) => 3.0,
        };
        if !(secs > 0.0 && secs.is_finite()) {
            bail!("BENCH_SECS must be positive, got {secs}");
        }
        let bin = std::env::var_os("RUSTSTACK_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| workspace.join("target/release/ruststack"));
        if !bin.is_file() {
            bail!(
                "{} not found: build it with `cargo build --release -p ruststack`",
                bin.display()
            );
        }
        let plugins = workspace.join("target/example-plugins");
        if !plugins.join("counters.wasm").is_file() {
            bail!(
                "{} has no counters.wasm: run `just build-plugins`",
                plugins.display()
            );
        }
        Ok(Self {
            secs: Duration::from_secs_f64(secs),
            bin,
            plugins,
            workspace,
        })
    }
}

// ---------------------------------------------------------------------------
// Server processes
// ---------------------------------------------------------------------------

/// A running `ruststack serve`; dropping it stops the process, so no path
/// (error or panic included) leaves a server behind.
struct Server {
    child: Child,
    addr: SocketAddr,
}

impl Server {
    /// Starts a server on a free port and returns once its stdout says it listens.
    fn start(cfg: &Config, cache_dir: &Path, log: &Path) -> Result<Self> {
        let mut child = server_command(cfg, 0, cache_dir, log)?
            .stdout(Stdio::piped())
            .spawn()?;
        let stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
        let mut server = Self {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        };
        server.addr = read_listen_addr(stdout).with_context(|| log_hint(log))?;
        Ok(server)
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Asks the server to stop (SIGTERM) and waits for it; kills it if it lingers.
    fn stop(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        let pid = libc::pid_t::try_from(self.child.id()).unwrap_or(0);
        if pid > 0 {
            // SAFETY: plain signal to our own child, which has not been reaped yet.
            unsafe { libc::kill(pid, libc::SIGTERM) };
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The one command line every measurement uses, so they all measure the same thing.
fn server_command(cfg: &Config, port: u16, cache_dir: &Path, log: &Path) -> Result<Command> {
    let log = std::fs::File::create(log)?;
    let mut cmd = Command::new(&cfg.bin);
    cmd.arg("serve")
        .args(["--port", &port.to_string(), "--ephemeral"])
        .arg("--plugins")
        .arg(&cfg.plugins)
        .arg("--cache-dir")
        .arg(cache_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log);
    Ok(cmd)
}

/// Reads the `ruststack listening on http://…` line, with a time limit so a
/// silent server cannot hang the benchmark. Stdout keeps being drained after.
fn read_listen_addr(stdout: impl Read + Send + 'static) -> Result<SocketAddr> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        let first = lines.next();
        let _ = tx.send(first);
        for _ in lines {}
    });
    let line = match rx.recv_timeout(STARTUP_LIMIT) {
        Ok(Some(Ok(line))) => line,
        Ok(_) => bail!("server exited before it listened"),
        Err(_) => bail!("server did not listen within {STARTUP_LIMIT:?}"),
    };
    let addr = line
        .rsplit("http://")
        .next()
        .filter(|_| line.contains("http://"))
        .ok_or_else(|| anyhow!("unexpected first line {line:?}"))?;
    addr.trim()
        .parse()
        .with_context(|| format!("bad address in {line:?}"))
}

fn log_hint(log: &Path) -> String {
    format!("starting the server (its log: {})", log.display())
}

/// Resident memory of a process in MiB, from `/proc/<pid>/status`.
fn rss_mb(pid: u32) -> Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .ok_or_else(|| anyhow!("no VmRSS for pid {pid}"))?;
    let kb: f64 = line
        .split_whitespace()
        .nth(1)
        .ok_or_else(|| anyhow!("bad line {line:?}"))?
        .parse()?;
    Ok(kb / 1024.0)
}

// ---------------------------------------------------------------------------
// Start-up
// ---------------------------------------------------------------------------

/// Median start-up times in milliseconds.
struct Startup {
    cold_ms: f64,
    warm_ms: f64,
    /// Spawning and reaping `/bin/true`: the floor any process start pays.
    spawn_floor_ms: Option<f64>,
}

/// Cold runs each get a fresh, empty cache folder; warm runs reuse the first
/// one, which the cold run filled.
fn measure_startup(cfg: &Config, scratch: &Path) -> Result<Startup> {
    let mut cold = Vec::new();
    for run in 0..STARTUP_RUNS {
        let cache = scratch.join(format!("cold-cache-{run}"));
        std::fs::create_dir_all(&cache)?;
        cold.push(time_to_healthy(
            cfg,
            &cache,
            &scratch.join(format!("cold-{run}.log")),
        )?);
    }
    let mut warm = Vec::new();
    for run in 0..STARTUP_RUNS {
        let cache = scratch.join("cold-cache-0");
        warm.push(time_to_healthy(
            cfg,
            &cache,
            &scratch.join(format!("warm-{run}.log")),
        )?);
    }
    eprintln!("bench: start-up cold {cold:.1?} ms, warm {warm:.1?} ms");
    Ok(Startup {
        cold_ms: median(&mut cold),
        warm_ms: median(&mut warm),
        spawn_floor_ms: spawn_floor(),
    })
}

/// Milliseconds from spawning the server to its first good health answer.
fn time_to_healthy(cfg: &Config, cache_dir: &Path, log: &Path) -> Result<f64> {
    let port = free_port()?;
    let mut cmd = server_command(cfg, port, cache_dir, log)?;
    let start = Instant::now();
    let child = cmd.spawn()?;
    let mut server = Server {
        child,
        addr: SocketAddr::from(([127, 0, 0, 1], port)),
    };
    loop {
        if healthy(server.addr) {
            let elapsed = start.elapsed();
            server.stop();
            return Ok(elapsed.as_secs_f64() * 1e3);
        }
        if let Ok(Some(status)) = server.child.try_wait() {
            bail!(
                "server exited with {status} during start-up ({})",
                log_hint(log)
            );
        }
        if start.elapsed() > STARTUP_LIMIT {
            bail!(
                "server not healthy within {STARTUP_LIMIT:?} ({})",
                log_hint(log)
            );
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// A port that was free a moment ago (the start-up loop needs to know the port
/// before the server can say it).
fn free_port() -> Result<u16> {
    Ok(StdListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// One blocking `GET /_ruststack/health`; true on 200 with status "running".
fn healthy(addr: SocketAddr) -> bool {
    let Ok(mut stream) = StdStream::connect(addr) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let request =
        format!("GET /_ruststack/health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut answer = String::new();
    if stream.read_to_string(&mut answer).is_err() {
        return false;
    }
    answer.starts_with("HTTP/1.1 200") && answer.contains(r#""status":"running""#)
}

/// Median of a few spawns of `/bin/true`, or `None` where there is none.
fn spawn_floor() -> Option<f64> {
    let mut times = Vec::new();
    for _ in 0..STARTUP_RUNS {
        let start = Instant::now();
        Command::new("/bin/true").status().ok()?;
        times.push(start.elapsed().as_secs_f64() * 1e3);
    }
    Some(median(&mut times))
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

// ---------------------------------------------------------------------------
// Load
// ---------------------------------------------------------------------------

/// Every load run and the memory figures taken around them.
struct LoadReport {
    runs: Vec<Run>,
    idle_rss_mb: f64,
    /// (target name, RSS right after its 32-connection run).
    loaded_rss_mb: Vec<(String, f64)>,
}

/// One target at one connection count.
struct Run {
    target: String,
    conns: usize,
    stats: Stats,
}

/// Throughput and latency of one load run.
#[derive(Clone, Copy)]
struct Stats {
    rps: f64,
    p50: Duration,
    p99: Duration,
    errors: u64,
}

/// A pre-built request and a name to print it under.
struct Target {
    name: String,
    addr: SocketAddr,
    request: Arc<[u8]>,
}

async fn measure_load(cfg: &Config, scratch: &Path) -> Result<LoadReport> {
    let baseline = spawn_baseline()?;
    let mut runs = Vec::new();
    let base = Target {
        name: "baseline (bare axum)".into(),
        addr: baseline,
        request: json_request(baseline, "Baseline.Get", "{}"),
    };
    runs.extend(run_target(&base, cfg.secs).await);

    // A warm start, as every start after the first one: the start-up
    // measurement filled this cache.
    let cache = scratch.join("cold-cache-0");
    std::fs::create_dir_all(&cache)?;
    let server = Server::start(cfg, &cache, &scratch.join("load.log"))?;
    let addr = server.addr;
    prepare_counter(addr).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle_rss_mb = rss_mb(server.pid())?;

    let mut loaded_rss_mb = Vec::new();
    for (op, body) in [
        ("GetCounter", r#"{"Name":"bench"}"#),
        ("IncrementCounter", r#"{"Name":"bench"}"#),
    ] {
        let target = Target {
            name: format!("counters {op}"),
            addr,
            request: json_request(addr, &format!("{COUNTERS}.{op}"), body),
        };
        runs.extend(run_target(&target, cfg.secs).await);
        loaded_rss_mb.push((target.name.clone(), rss_mb(server.pid())?));
    }
    drop(server);
    Ok(LoadReport {
        runs,
        idle_rss_mb,
        loaded_rss_mb,
    })
}

/// Measures one target at every connection count.
async fn run_target(target: &Target, secs: Duration) -> Vec<Run> {
    let mut runs = Vec::new();
    for conns in CONNECTIONS {
        let stats = load(target.addr, &target.request, conns, secs).await;
        eprintln!(
            "bench: {:<28} @{conns:>2}: {:>9.0} req/s  p50 {:?}  p99 {:?}  errors {}",
            target.name, stats.rps, stats.p50, stats.p99, stats.errors
        );
        runs.push(Run {
            target: target.name.clone(),
            conns,
            stats,
        });
    }
    runs
}

/// Creates the counter the load runs read and write, then serves a few reads so
/// the idle memory figure includes a used plugin instance.
async fn prepare_counter(addr: SocketAddr) -> Result<()> {
    let create = json_request(
        addr,
        &format!("{COUNTERS}.CreateCounter"),
        r#"{"Name":"bench","InitialValue":1}"#,
    );
    let get = json_request(
        addr,
        &format!("{COUNTERS}.GetCounter"),
        r#"{"Name":"bench"}"#,
    );
    let mut conn = Conn::connect(addr).await?;
    let status = conn.call(&create).await?;
    if status != 200 {
        bail!("CreateCounter answered {status}");
    }
    for _ in 0..10 {
        let status = conn.call(&get).await?;
        if status != 200 {
            bail!("GetCounter answered {status}");
        }
    }
    Ok(())
}

/// An AWS JSON 1.0 `POST /` as raw bytes, built once and written as is.
fn json_request(addr: SocketAddr, target: &str, body: &str) -> Arc<[u8]> {
    format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nX-Amz-Target: {target}\r\n\
         Content-Type: application/x-amz-json-1.0\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
    .into()
}

/// Drives `conns` keep-alive connections for warm-up plus `secs`, one request
/// in flight per connection, and counts what completed inside the window.
async fn load(addr: SocketAddr, request: &Arc<[u8]>, conns: usize, secs: Duration) -> Stats {
    let begin = TokioInstant::now() + WARMUP;
    let end = begin + secs;
    let tasks: Vec<_> = (0..conns)
        .map(|_| tokio::spawn(connection_loop(addr, request.clone(), begin, end)))
        .collect();
    let mut latencies = Vec::new();
    let mut errors = 0;
    for task in tasks {
        match task.await {
            Ok((lat, err)) => {
                latencies.extend(lat);
                errors += err;
            }
            Err(_) => errors += 1,
        }
    }
    summarize(latencies, errors, secs)
}

/// One client connection: request, response, repeat until `end`. Reconnects
/// after an error so one reset does not end the run.
async fn connection_loop(
    addr: SocketAddr,
    request: Arc<[u8]>,
    begin: TokioInstant,
    end: TokioInstant,
) -> (Vec<u32>, u64) {
    let mut latencies_us = Vec::new();
    let mut errors = 0;
    let mut conn = None;
    while TokioInstant::now() < end {
        let c = match conn.as_mut() {
            Some(c) => c,
            None => match Conn::connect(addr).await {
                Ok(c) => conn.insert(c),
                Err(_) => {
                    errors += 1;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let sent = TokioInstant::now();
        let outcome = tokio::time::timeout_at(end + RESPONSE_GRACE, c.call(&request)).await;
        let done = TokioInstant::now();
        match outcome {
            Ok(Ok(200)) => {
                if sent >= begin && done <= end {
                    latencies_us.push(u32::try_from((done - sent).as_micros()).unwrap_or(u32::MAX));
                }
            }
            Ok(Ok(_)) => errors += 1,
            Ok(Err(_)) | Err(_) => {
                errors += 1;
                conn = None;
            }
        }
    }
    (latencies_us, errors)
}

fn summarize(mut latencies_us: Vec<u32>, errors: u64, secs: Duration) -> Stats {
    latencies_us.sort_unstable();
    let pick = |q: f64| {
        if latencies_us.is_empty() {
            return Duration::ZERO;
        }
        let i = ((latencies_us.len() as f64 * q).ceil() as usize).clamp(1, latencies_us.len()) - 1;
        Duration::from_micros(u64::from(latencies_us[i]))
    };
    Stats {
        rps: latencies_us.len() as f64 / secs.as_secs_f64(),
        p50: pick(0.50),
        p99: pick(0.99),
        errors,
    }
}

/// A keep-alive HTTP/1.1 client connection that understands just enough of
/// the protocol for the benchmark: status line, `content-length`, body.
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    async fn connect(addr: SocketAddr) -> Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buf: Vec::with_capacity(8192),
        })
    }

    /// Sends one request and reads its whole response; returns the status.
    async fn call(&mut self, request: &[u8]) -> Result<u16> {
        self.stream.write_all(request).await?;
        loop {
            if let Some(head_len) = find_head_end(&self.buf) {
                let (status, body_len) = parse_head(&self.buf[..head_len])?;
                let total = head_len + body_len;
                while self.buf.len() < total {
                    self.fill().await?;
                }
                self.buf.drain(..total);
                return Ok(status);
            }
            self.fill().await?;
        }
    }

    async fn fill(&mut self) -> Result<()> {
        self.buf.reserve(4096);
        if self.stream.read_buf(&mut self.buf).await? == 0 {
            bail!("connection closed by the server");
        }
        Ok(())
    }
}

/// Length of the response head including the blank line, once it is complete.
fn find_head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4)
}

/// Status code and body length from a response head.
fn parse_head(head: &[u8]) -> Result<(u16, usize)> {
    let head = std::str::from_utf8(head)?;
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| anyhow!("bad status line {status_line:?}"))?;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        if name.eq_ignore_ascii_case("content-length") {
            return Ok((status, value.trim().parse()?));
        }
        if name.eq_ignore_ascii_case("transfer-encoding") {
            bail!("chunked responses are not supported by the bench client");
        }
    }
    bail!("response without content-length")
}

// ---------------------------------------------------------------------------
// Baseline
// ---------------------------------------------------------------------------

/// Serves the bare axum handler on its own 2-worker runtime (the shape of the
/// real server on this machine), so the only difference left is ruststack itself.
fn spawn_baseline() -> Result<SocketAddr> {
    let listener = StdListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    std::thread::Builder::new()
        .name("baseline".into())
        .spawn(move || {
            if let Err(e) = serve_baseline(listener) {
                eprintln!("bench: baseline server failed: {e:#}");
            }
        })?;
    Ok(addr)
}

fn serve_baseline(listener: StdListener) -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::from_std(listener)?;
        let app = axum::Router::new().route(
            "/",
            axum::routing::post(|| async {
                (
                    [("content-type", "application/x-amz-json-1.0")],
                    BASELINE_BODY,
                )
            }),
        );
        axum::serve(listener, app).await?;
        Ok(())
    })
}

// ---------------------------------------------------------------------------
// Report
// ---------------------------------------------------------------------------

fn render(cfg: &Config, startup: &Startup, load: &LoadReport) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# RustStack benchmark\n\n{} s per run after {} s warm-up, keep-alive HTTP/1.1, one request in flight per connection. \
         {} CPU(s). Baseline: bare axum 0.8 handler, same process as the load generator, 2-worker runtime.\n",
        cfg.secs.as_secs_f64(),
        WARMUP.as_secs_f64(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
    );
    render_load(&mut out, &load.runs);
    render_startup(&mut out, startup);
    render_memory(&mut out, load);
    render_targets(&mut out, startup, load);
    out
}

fn render_load(out: &mut String, runs: &[Run]) {
    let _ = writeln!(out, "## Throughput and latency\n");
    let _ = writeln!(
        out,
        "| target | conns | req/s | p50 | p99 | req/s vs baseline | errors |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|");
    for run in runs {
        let ratio = baseline_rps(runs, run.conns).map_or("n/a".to_string(), |b| {
            format!("{:.1}%", 100.0 * run.stats.rps / b)
        });
        let _ = writeln!(
            out,
            "| {} | {} | {:.0} | {} | {} | {} | {} |",
            run.target,
            run.conns,
            run.stats.rps,
            fmt_latency(run.stats.p50),
            fmt_latency(run.stats.p99),
            ratio,
            run.stats.errors
        );
    }
    out.push('\n');
}

fn render_startup(out: &mut String, s: &Startup) {
    let _ = writeln!(
        out,
        "## Start-up (spawn → first healthy `GET /_ruststack/health`, median of {STARTUP_RUNS})\n"
    );
    let _ = writeln!(out, "| mode | time |\n|---|---:|");
    let _ = writeln!(
        out,
        "| cold (empty `--cache-dir`, plugins compiled) | {:.1} ms |",
        s.cold_ms
    );
    let _ = writeln!(out, "| warm (cache filled) | {:.1} ms |", s.warm_ms);
    if let Some(floor) = s.spawn_floor_ms {
        let _ = writeln!(
            out,
            "| baseline: spawn and reap `/bin/true` | {floor:.1} ms |"
        );
    }
    out.push('\n');
}

fn render_memory(out: &mut String, load: &LoadReport) {
    let _ = writeln!(out, "## Memory (VmRSS of the server)\n");
    let _ = writeln!(out, "| when | RSS |\n|---|---:|");
    let _ = writeln!(
        out,
        "| idle (plugins loaded, a few requests served, 1 s later) | {:.1} MiB |",
        load.idle_rss_mb
    );
    for (name, rss) in &load.loaded_rss_mb {
        let _ = writeln!(out, "| right after {name} @32 conns | {rss:.1} MiB |");
    }
    out.push('\n');
}

fn render_targets(out: &mut String, startup: &Startup, load: &LoadReport) {
    let get_ratio = load
        .runs
        .iter()
        .find(|r| r.conns == 32 && r.target == "counters GetCounter")
        .zip(baseline_rps(&load.runs, 32))
        .map_or(f64::NAN, |(r, b)| r.stats.rps / b);
    let _ = writeln!(out, "## Targets\n");
    let _ = writeln!(out, "| target | measured | result |\n|---|---:|---|");
    let rows = [
        (
            format!("warm start ≤ {WARM_START_TARGET_MS} ms"),
            format!("{:.1} ms", startup.warm_ms),
            startup.warm_ms <= WARM_START_TARGET_MS,
        ),
        (
            format!("idle RSS ≤ {IDLE_RSS_TARGET_MB} MB"),
            format!("{:.1} MiB", load.idle_rss_mb),
            load.idle_rss_mb <= IDLE_RSS_TARGET_MB,
        ),
        (
            format!(
                "GetCounter req/s @32 ≥ {:.0}% of baseline",
                GET_RATIO_TARGET * 100.0
            ),
            format!("{:.1}%", get_ratio * 100.0),
            get_ratio >= GET_RATIO_TARGET,
        ),
    ];
    for (what, measured, pass) in rows {
        let _ = writeln!(
            out,
            "| {what} | {measured} | {} |",
            if pass { "PASS" } else { "MISS" }
        );
    }
}

fn baseline_rps(runs: &[Run], conns: usize) -> Option<f64> {
    runs.iter()
        .find(|r| r.conns == conns && r.target.starts_with("baseline"))
        .map(|r| r.stats.rps)
        .filter(|&rps| rps > 0.0)
}

fn fmt_latency(d: Duration) -> String {
    let us = d.as_micros();
    if us >= 1_000 {
        format!("{:.2} ms", us as f64 / 1e3)
    } else {
        format!("{us} µs")
    }
}
