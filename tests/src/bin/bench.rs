//! RustStack benchmark: what a plugin call costs over a bare HTTP handler, how
//! fast the server starts and how much memory it holds; then the services (S3,
//! SQS, DynamoDB, SNS) under the same load generator, and a 1 GiB S3 transfer.
//!
//! Run with `cargo run --release -p ruststack-tests --bin bench` (or `just bench`).
//! Every figure is compared with a baseline measured in the same run on the same
//! machine, so the ratios stay meaningful on slow or busy hosts.
//!
//! Environment:
//! - `BENCH_SECS`: measured seconds per load run (default 3, after 0.5 s warm-up).
//! - `RUSTSTACK_BIN`: the server binary (default `<workspace>/target/release/ruststack`).
//! - `BENCH_SKIP_BIG=1`: skip the 1 GiB S3 upload and download.
//! - `BENCH_ONLY=s3,sqs,...`: run only these service groups (s3, sqs, dynamodb, sns).
//!
//! The table is printed and written to `<workspace>/target/bench.md`. Targets are
//! reported as PASS/MISS; a miss never fails the process.

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener as StdListener, TcpStream as StdStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
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
/// The bench group of the host's floor: a plugin call that does no work.
const FLOOR_GROUP: &str = "Host floor";
/// The floor's row: the `misbehave` test fixture answering `Ok` at once.
const FLOOR_TARGET: &str = "plugin that answers at once";

/// Targets the project has set itself; the benchmark only reports them.
const WARM_START_TARGET_MS: f64 = 50.0;
const IDLE_RSS_TARGET_MB: f64 = 20.0;
const GET_RATIO_TARGET: f64 = 0.5;
const S3_GET_RATIO_TARGET: f64 = 0.5;
const LOADED_RSS_TARGET_MB: f64 = 50.0;
const BIG_RSS_GROWTH_TARGET_MB: f64 = 8.0;
/// Most RSS once the server is idle again after every load run.
const SETTLED_RSS_TARGET_MB: f64 = 50.0;
/// How long the server is left without requests before its settled RSS is read.
const SETTLE: Duration = Duration::from_secs(3);

/// Services the benchmark drives; a binary without one of them gets
/// `--plugins target/builtin-plugins` as well.
const SERVICES: [&str; 4] = ["s3", "sqs", "dynamodb", "sns"];
/// Size of the big S3 transfer.
const BIG_BYTES: u64 = 1 << 30;
/// Write (and read) granularity of the big transfer.
const BIG_CHUNK: usize = 256 * 1024;
/// Keys the ListObjectsV2 run lists (1000 per page, the first page measured).
const LIST_KEYS: u64 = 10_000;
/// Concurrency of the set-up loops (filling buckets, queues and tables).
const SETUP_CONNS: usize = 32;
/// Items under the queried DynamoDB partition (a page is 100 of them).
const QUERY_ITEMS: u64 = 200;
/// Messages per second of measured ReceiveMessage+DeleteMessage the queue is
/// filled for (topped up before the run when the Send runs left fewer).
const SQS_PREFILL_PER_SEC: f64 = 15_000.0;
/// Fan-outs measured for SNS Publish.
const SNS_FAN_OUTS: [usize; 2] = [1, 10];
/// Regions and accounts the servers use by default.
const ACCOUNT: &str = "000000000000";
const REGION: &str = "us-east-1";

fn main() -> Result<()> {
    if std::env::args().nth(1).as_deref() == Some(SERVE_BASELINE) {
        return serve_baseline_process();
    }
    let mut cfg = Config::from_env()?;
    let scratch = tempfile::Builder::new()
        .prefix("ruststack-bench-")
        .tempdir()?;
    retry_once("probing the services", || {
        add_missing_services(&mut cfg, scratch.path())
    })?;
    eprintln!(
        "bench: {} s per run, server {}, plugins {:?}",
        cfg.secs.as_secs_f64(),
        cfg.bin.display(),
        cfg.plugins
    );

    let startup = retry_once("measuring start-up", || {
        measure_startup(&cfg, scratch.path())
    })?;
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
    plugins: Vec<PathBuf>,
    workspace: PathBuf,
    skip_big: bool,
    /// Service groups to run (`BENCH_ONLY`); empty: all.
    only: Vec<String>,
}

impl Config {
    /// Whether the service group `name` runs.
    fn runs(&self, name: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|o| o == name)
    }

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
        for wasm in ["counters.wasm", "misbehave.wasm"] {
            if !plugins.join(wasm).is_file() {
                bail!(
                    "{} has no {wasm}: run `just build-plugins`",
                    plugins.display()
                );
            }
        }
        let skip_big = std::env::var("BENCH_SKIP_BIG").is_ok_and(|v| v.trim() == "1");
        let only = std::env::var("BENCH_ONLY")
            .unwrap_or_default()
            .split(',')
            .map(|s| s.trim().to_ascii_lowercase())
            .filter(|s| !s.is_empty())
            .collect();
        Ok(Self {
            secs: Duration::from_secs_f64(secs),
            bin,
            plugins: vec![plugins],
            workspace,
            skip_big,
            only,
        })
    }
}

/// Starts the server once; when it lacks one of [`SERVICES`] (a binary built
/// without them), loads `target/builtin-plugins` too.
fn add_missing_services(cfg: &mut Config, scratch: &Path) -> Result<()> {
    let cache = scratch.join("probe-cache");
    std::fs::create_dir_all(&cache)?;
    let server = Server::start(cfg, &cache, &scratch.join("probe.log"))?;
    let health = health_body(server.addr).ok_or_else(|| anyhow!("no health answer"))?;
    drop(server);
    let health: serde_json::Value = serde_json::from_str(&health)?;
    let missing: Vec<_> = SERVICES
        .iter()
        .filter(|s| health["services"].get(**s).is_none())
        .collect();
    if !missing.is_empty() {
        let builtin = cfg.workspace.join("target/builtin-plugins");
        eprintln!(
            "bench: {missing:?} not in the binary; adding --plugins {}",
            builtin.display()
        );
        if !builtin.is_dir() {
            bail!("{} not found", builtin.display());
        }
        cfg.plugins.push(builtin);
    }
    Ok(())
}

/// Runs `f`; if it fails (the binary may be replaced while the benchmark
/// runs), waits a minute and runs it once more.
fn retry_once<T>(what: &str, mut f: impl FnMut() -> Result<T>) -> Result<T> {
    match f() {
        Ok(v) => Ok(v),
        Err(e) => {
            eprintln!("bench: {what} failed ({e:#}); retrying in 60 s");
            std::thread::sleep(Duration::from_secs(60));
            f()
        }
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
    let log_path = log.to_path_buf();
    let log = std::fs::File::create(log)?;
    let mut cmd = Command::new(&cfg.bin);
    // A data dir beside the log, as users run it (`--ephemeral` would keep
    // every stored byte of kv in memory and count it as server memory).
    let data = log_path.with_extension("data");
    cmd.arg("serve")
        .args(["--port", &port.to_string(), "--data-dir"])
        .arg(&data);
    for dir in &cfg.plugins {
        cmd.arg("--plugins").arg(dir);
    }
    cmd.arg("--cache-dir")
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
    health_body(addr).is_some_and(|body| body.contains(r#""status":"running""#))
}

/// The body of one blocking `GET /_ruststack/health` answered with 200.
fn health_body(addr: SocketAddr) -> Option<String> {
    let mut stream = StdStream::connect(addr).ok()?;
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let request =
        format!("GET /_ruststack/health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    if !answer.starts_with("HTTP/1.1 200") {
        return None;
    }
    answer
        .split_once("\r\n\r\n")
        .map(|(_, body)| body.to_string())
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
    /// RSS once the server has been idle for [`SETTLE`] after the last run.
    settled_rss_mb: f64,
    /// (target name, RSS right after its 32-connection run).
    loaded_rss_mb: Vec<(String, f64)>,
    /// The 1 GiB S3 upload and download, unless skipped or failed.
    big: Vec<BigTransfer>,
    /// Why the big transfer is missing, when it is.
    big_note: Option<String>,
}

/// One target at one connection count.
struct Run {
    group: &'static str,
    target: String,
    conns: usize,
    unit: Option<Unit>,
    stats: Stats,
}

/// What a target counts besides requests (messages, bytes).
#[derive(Clone, Copy)]
struct Unit {
    label: &'static str,
    /// Multiplies units per second into what is printed (bytes → MB).
    scale: f64,
}

const MSGS: Unit = Unit {
    label: "msgs/s",
    scale: 1.0,
};
const MEGABYTES: Unit = Unit {
    label: "MB/s",
    scale: 1e-6,
};

/// Throughput and latency of one load run.
#[derive(Clone, Copy)]
struct Stats {
    rps: f64,
    /// Units (see [`Unit`]) per second.
    units: f64,
    p50: Duration,
    p99: Duration,
    errors: u64,
}

/// What one iteration of a client connection does.
enum Work {
    /// The same request every time; `units` counted per success.
    Fixed { request: Arc<[u8]>, units: u64 },
    /// A head built from a run-wide sequence number (unique keys), then a
    /// shared body; `units` counted per success.
    Numbered {
        head: HeadFn,
        body: Arc<[u8]>,
        units: u64,
    },
    /// SQS ReceiveMessage (up to 10), then one DeleteMessage per message; every
    /// request is timed, a unit is a deleted message.
    ReceiveDelete {
        addr: SocketAddr,
        receive: Arc<[u8]>,
        queue_url: String,
    },
}

type HeadFn = Box<dyn Fn(u64) -> Vec<u8> + Send + Sync>;

impl Work {
    fn fixed(request: Arc<[u8]>) -> Self {
        Self::Fixed { request, units: 1 }
    }
}

/// Runs the targets against one server and keeps what they measured.
struct Bench {
    secs: Duration,
    addr: SocketAddr,
    pid: u32,
    runs: Vec<Run>,
    loaded_rss_mb: Vec<(String, f64)>,
}

impl Bench {
    /// Measures one target at every connection count, then the server's RSS.
    async fn measure(
        &mut self,
        group: &'static str,
        name: &str,
        work: Work,
        unit: Option<Unit>,
    ) -> Result<()> {
        let runs = run_target(group, name, self.addr, work, unit, self.secs).await;
        self.runs.extend(runs);
        self.loaded_rss_mb
            .push((name.to_string(), rss_mb(self.pid)?));
        Ok(())
    }
}

async fn measure_load(cfg: &Config, scratch: &Path) -> Result<LoadReport> {
    let baseline = Baseline::spawn()?;
    let mut runs = run_target(
        "Baseline",
        "baseline (bare axum)",
        baseline.addr,
        Work::fixed(json_request(baseline.addr, "Baseline.Get", "{}")),
        None,
        cfg.secs,
    )
    .await;

    // A warm start, as every start after the first one: the start-up
    // measurement filled this cache.
    let cache = scratch.join("cold-cache-0");
    std::fs::create_dir_all(&cache)?;
    let server = match Server::start(cfg, &cache, &scratch.join("load.log")) {
        Ok(server) => server,
        Err(e) => {
            eprintln!("bench: server did not start ({e:#}); retrying in 60 s");
            tokio::time::sleep(Duration::from_secs(60)).await;
            Server::start(cfg, &cache, &scratch.join("load-2.log"))?
        }
    };
    let addr = server.addr;
    prepare_counter(addr).await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle_rss_mb = rss_mb(server.pid())?;

    let mut bench = Bench {
        secs: cfg.secs,
        addr,
        pid: server.pid(),
        runs: Vec::new(),
        loaded_rss_mb: Vec::new(),
    };
    // What any request costs before a plugin does any work of its own: the
    // test fixture's `Ok` answers at once, without a model, codec or store read.
    bench
        .measure(
            FLOOR_GROUP,
            FLOOR_TARGET,
            Work::fixed(json_request(addr, "Misbehave.Ok", "{}")),
            None,
        )
        .await?;
    for (op, body) in [
        ("GetCounter", r#"{"Name":"bench"}"#),
        ("IncrementCounter", r#"{"Name":"bench"}"#),
    ] {
        let request = json_request(addr, &format!("{COUNTERS}.{op}"), body);
        bench
            .measure(
                "Example plugin",
                &format!("counters {op}"),
                Work::fixed(request),
                None,
            )
            .await?;
    }

    // The big transfer first, on a server still near its idle size, so that
    // memory it holds on to cannot hide what the transfer adds.
    let (big, big_note) = if cfg.skip_big || !cfg.runs("s3") {
        (Vec::new(), Some("skipped (BENCH_SKIP_BIG=1)".to_string()))
    } else {
        match big_transfers(addr, server.pid()).await {
            Ok(big) => (big, None),
            Err(e) => {
                eprintln!("bench: 1 GiB transfer failed: {e:#}");
                (Vec::new(), Some(format!("failed: {e:#}")))
            }
        }
    };
    if cfg.runs("s3")
        && let Err(e) = bench_s3(&mut bench).await
    {
        eprintln!("bench: S3 runs stopped: {e:#}");
    }
    if cfg.runs("sqs")
        && let Err(e) = bench_sqs(&mut bench).await
    {
        eprintln!("bench: SQS runs stopped: {e:#}");
    }
    if cfg.runs("dynamodb")
        && let Err(e) = bench_dynamodb(&mut bench).await
    {
        eprintln!("bench: DynamoDB runs stopped: {e:#}");
    }
    if cfg.runs("sns")
        && let Err(e) = bench_sns(&mut bench).await
    {
        eprintln!("bench: SNS runs stopped: {e:#}");
    }
    tokio::time::sleep(SETTLE).await;
    let settled_rss_mb = rss_mb(server.pid())?;
    drop(server);
    runs.extend(bench.runs);
    Ok(LoadReport {
        runs,
        idle_rss_mb,
        settled_rss_mb,
        loaded_rss_mb: bench.loaded_rss_mb,
        big,
        big_note,
    })
}

/// Measures one target at every connection count.
async fn run_target(
    group: &'static str,
    name: &str,
    addr: SocketAddr,
    work: Work,
    unit: Option<Unit>,
    secs: Duration,
) -> Vec<Run> {
    let work = Arc::new(work);
    let mut runs = Vec::new();
    for conns in CONNECTIONS {
        let stats = load(addr, &work, conns, secs).await;
        let units = unit.map_or(String::new(), |u| {
            format!("  {:.1} {}", stats.units * u.scale, u.label)
        });
        eprintln!(
            "bench: {name:<32} @{conns:>2}: {:>9.0} req/s  p50 {:?}  p99 {:?}  errors {}{units}",
            stats.rps, stats.p50, stats.p99, stats.errors
        );
        runs.push(Run {
            group,
            target: name.to_string(),
            conns,
            unit,
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
    expect_ok(&mut conn, &create, "CreateCounter").await?;
    for _ in 0..10 {
        expect_ok(&mut conn, &get, "GetCounter").await?;
    }
    Ok(())
}

/// Sends one request and fails unless it is answered with 200.
async fn expect_ok(conn: &mut Conn, request: &[u8], what: &str) -> Result<()> {
    let status = conn.call(request, &[]).await?;
    if status != 200 {
        bail!(
            "{what} answered {status}: {}",
            String::from_utf8_lossy(conn.body())
        );
    }
    Ok(())
}

/// Runs `count` set-up requests over [`SETUP_CONNS`] connections; request
/// `n` is `build(n)` (head, body).
async fn setup_concurrently(
    addr: SocketAddr,
    count: u64,
    what: &'static str,
    build: impl Fn(u64) -> (Vec<u8>, Vec<u8>) + Send + Sync + 'static,
) -> Result<()> {
    let next = Arc::new(AtomicU64::new(0));
    let build = Arc::new(build);
    let tasks: Vec<_> = (0..SETUP_CONNS)
        .map(|_| {
            let next = next.clone();
            let build = build.clone();
            tokio::spawn(async move {
                let mut conn = Conn::connect(addr).await?;
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= count {
                        return Ok::<_, anyhow::Error>(());
                    }
                    let (head, body) = build(n);
                    let status = conn.call(&head, &body).await?;
                    if status != 200 {
                        bail!(
                            "{what} {n} answered {status}: {}",
                            String::from_utf8_lossy(conn.body())
                        );
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        task.await??;
    }
    Ok(())
}

// --- S3 --------------------------------------------------------------------

/// A path-style S3 request head (the server does not check signatures).
fn s3_head(addr: SocketAddr, method: &str, path: &str, body_len: usize) -> Vec<u8> {
    let length = if method == "PUT" {
        format!("Content-Length: {body_len}\r\n")
    } else {
        String::new()
    };
    format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{length}\r\n").into_bytes()
}

async fn bench_s3(bench: &mut Bench) -> Result<()> {
    let addr = bench.addr;
    let mut conn = Conn::connect(addr).await?;
    for bucket in ["bench-bucket", "bench-list"] {
        expect_ok(
            &mut conn,
            &s3_head(addr, "PUT", &format!("/{bucket}"), 0),
            "CreateBucket",
        )
        .await?;
    }
    for (size, label) in [(1024usize, "1 KiB"), (1 << 20, "1 MiB")] {
        let body: Arc<[u8]> = payload(size).into();
        let unit = (size > 1024).then_some(MEGABYTES);
        // Every request writes a new key.
        let head: HeadFn =
            Box::new(move |n| s3_head(addr, "PUT", &format!("/bench-bucket/k-{n}"), size));
        bench
            .measure(
                "S3",
                &format!("PutObject {label}"),
                Work::Numbered {
                    head,
                    body,
                    units: size as u64,
                },
                unit,
            )
            .await?;
    }
    for (size, label) in [(1024usize, "1 KiB"), (1 << 20, "1 MiB")] {
        let key = format!("/bench-bucket/get-{size}");
        conn.call(&s3_head(addr, "PUT", &key, size), &payload(size))
            .await?;
        let unit = (size > 1024).then_some(MEGABYTES);
        let request: Arc<[u8]> = s3_head(addr, "GET", &key, 0).into();
        bench
            .measure(
                "S3",
                &format!("GetObject {label}"),
                Work::Fixed {
                    request,
                    units: size as u64,
                },
                unit,
            )
            .await?;
    }
    let started = Instant::now();
    setup_concurrently(addr, LIST_KEYS, "PutObject (list)", move |n| {
        (
            s3_head(addr, "PUT", &format!("/bench-list/k-{n:05}"), 16),
            vec![b'x'; 16],
        )
    })
    .await?;
    eprintln!(
        "bench: {LIST_KEYS} keys created in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let list: Arc<[u8]> = s3_head(addr, "GET", "/bench-list?list-type=2", 0).into();
    conn.call(&list, &[]).await?;
    let keys = count(conn.body(), b"<Key>");
    if keys != 1000 {
        bail!("ListObjectsV2 returned {keys} keys, expected a page of 1000");
    }
    bench
        .measure(
            "S3",
            "ListObjectsV2 (1000 of 10,000 keys)",
            Work::fixed(list),
            None,
        )
        .await
}

/// `size` bytes of a repeating, not all-zero pattern.
fn payload(size: usize) -> Vec<u8> {
    (0..size).map(|i| (i % 251) as u8).collect()
}

fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle)
        .count()
}

/// A 1 GiB transfer: throughput and the server's RSS around it.
struct BigTransfer {
    what: &'static str,
    mb_per_s: f64,
    rss_before: f64,
    rss_peak: f64,
    rss_after: f64,
}

impl BigTransfer {
    fn growth(&self) -> f64 {
        self.rss_peak - self.rss_before
    }
}

/// Uploads 1 GiB (generated chunk by chunk, never held whole) and downloads it
/// again (bytes counted, not kept), on one connection each.
async fn big_transfers(addr: SocketAddr, pid: u32) -> Result<Vec<BigTransfer>> {
    let path = "/bench-big/big";
    let mut results = Vec::new();
    expect_ok(
        &mut Conn::connect(addr).await?,
        &s3_head(addr, "PUT", "/bench-big", 0),
        "CreateBucket",
    )
    .await?;

    let sampler = RssSampler::start(pid)?;
    let started = Instant::now();
    let mut conn = Conn::connect(addr).await?;
    let head = s3_head(addr, "PUT", path, usize::try_from(BIG_BYTES)?);
    conn.stream.write_all(&head).await?;
    let mut chunk = payload(BIG_CHUNK);
    let mut sent = 0u64;
    let mut index = 0u64;
    while sent < BIG_BYTES {
        // A different chunk every time, as from a real generator.
        chunk[..8].copy_from_slice(&index.to_le_bytes());
        let n = usize::try_from((BIG_BYTES - sent).min(BIG_CHUNK as u64))?;
        conn.stream.write_all(&chunk[..n]).await?;
        sent += n as u64;
        index += 1;
    }
    let status = conn.read_response().await?;
    let elapsed = started.elapsed();
    if status != 200 {
        bail!(
            "1 GiB PutObject answered {status}: {}",
            String::from_utf8_lossy(conn.body())
        );
    }
    results.push(sampler.finish("PutObject 1 GiB", elapsed).await?);

    let sampler = RssSampler::start(pid)?;
    let started = Instant::now();
    let mut conn = Conn::connect(addr).await?;
    conn.stream
        .write_all(&s3_head(addr, "GET", path, 0))
        .await?;
    let (status, received) = conn.read_counting().await?;
    let elapsed = started.elapsed();
    if status != 200 || received != BIG_BYTES {
        bail!("1 GiB GetObject answered {status} with {received} bytes");
    }
    results.push(sampler.finish("GetObject 1 GiB", elapsed).await?);
    for r in &results {
        eprintln!(
            "bench: {}: {:.0} MB/s, RSS {:.1} → peak {:.1} → {:.1} MiB",
            r.what, r.mb_per_s, r.rss_before, r.rss_peak, r.rss_after
        );
    }
    Ok(results)
}

/// Samples a process's RSS every 100 ms on its own thread and keeps the peak.
struct RssSampler {
    pid: u32,
    before: f64,
    stop: Arc<AtomicBool>,
    peak: Arc<Mutex<f64>>,
    thread: std::thread::JoinHandle<()>,
}

impl RssSampler {
    fn start(pid: u32) -> Result<Self> {
        let before = rss_mb(pid)?;
        let stop = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(Mutex::new(before));
        let thread = {
            let stop = stop.clone();
            let peak = peak.clone();
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    if let Ok(rss) = rss_mb(pid)
                        && let Ok(mut peak) = peak.lock()
                    {
                        *peak = peak.max(rss);
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
            })
        };
        Ok(Self {
            pid,
            before,
            stop,
            peak,
            thread,
        })
    }

    /// Stops sampling; "after" is taken 200 ms after the transfer ended.
    async fn finish(self, what: &'static str, elapsed: Duration) -> Result<BigTransfer> {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let after = rss_mb(self.pid)?;
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.thread.join();
        let peak = self.peak.lock().map_or(after, |p| *p).max(after);
        Ok(BigTransfer {
            what,
            mb_per_s: BIG_BYTES as f64 / 1e6 / elapsed.as_secs_f64(),
            rss_before: self.before,
            rss_peak: peak,
            rss_after: after,
        })
    }
}

// --- SQS -------------------------------------------------------------------

async fn sqs_create_queue(conn: &mut Conn, addr: SocketAddr, name: &str) -> Result<String> {
    let body = serde_json::json!({ "QueueName": name }).to_string();
    expect_ok(
        conn,
        &json_request(addr, "AmazonSQS.CreateQueue", &body),
        "CreateQueue",
    )
    .await?;
    let answer: serde_json::Value = serde_json::from_slice(conn.body())?;
    answer["QueueUrl"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| anyhow!("CreateQueue without QueueUrl"))
}

fn sqs_send_batch(addr: SocketAddr, queue_url: &str) -> Arc<[u8]> {
    let entries: Vec<_> = (0..10)
        .map(|i| serde_json::json!({ "Id": i.to_string(), "MessageBody": format!("hello {i}") }))
        .collect();
    let body = serde_json::json!({ "QueueUrl": queue_url, "Entries": entries }).to_string();
    json_request(addr, "AmazonSQS.SendMessageBatch", &body)
}

async fn bench_sqs(bench: &mut Bench) -> Result<()> {
    let addr = bench.addr;
    let mut conn = Conn::connect(addr).await?;
    let queue_url = sqs_create_queue(&mut conn, addr, "bench").await?;
    let send = serde_json::json!({ "QueueUrl": queue_url, "MessageBody": "hello" }).to_string();
    bench
        .measure(
            "SQS",
            "SendMessage",
            Work::fixed(json_request(addr, "AmazonSQS.SendMessage", &send)),
            Some(MSGS),
        )
        .await?;
    bench
        .measure(
            "SQS",
            "SendMessageBatch (10)",
            Work::Fixed {
                request: sqs_send_batch(addr, &queue_url),
                units: 10,
            },
            Some(MSGS),
        )
        .await?;

    // Enough messages that the receive runs never find the queue empty.
    let attributes = serde_json::json!({
        "QueueUrl": queue_url,
        "AttributeNames": ["ApproximateNumberOfMessages"],
    })
    .to_string();
    expect_ok(
        &mut conn,
        &json_request(addr, "AmazonSQS.GetQueueAttributes", &attributes),
        "GetQueueAttributes",
    )
    .await?;
    let answer: serde_json::Value = serde_json::from_slice(conn.body())?;
    let queued: u64 = answer["Attributes"]["ApproximateNumberOfMessages"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let runs = CONNECTIONS.len() as f64;
    let wanted = (SQS_PREFILL_PER_SEC * runs * (bench.secs + WARMUP).as_secs_f64()) as u64;
    if queued < wanted {
        let batch = sqs_send_batch(addr, &queue_url);
        let batches = (wanted - queued).div_ceil(10);
        setup_concurrently(addr, batches, "SendMessageBatch (pre-fill)", move |_| {
            (batch.to_vec(), Vec::new())
        })
        .await?;
    }
    eprintln!(
        "bench: queue holds {} messages before the receive runs",
        queued.max(wanted)
    );

    let receive = serde_json::json!({
        "QueueUrl": queue_url,
        "MaxNumberOfMessages": 10,
        "WaitTimeSeconds": 0,
    })
    .to_string();
    bench
        .measure(
            "SQS",
            "ReceiveMessage (10) + DeleteMessage ×10",
            Work::ReceiveDelete {
                addr,
                receive: json_request(addr, "AmazonSQS.ReceiveMessage", &receive),
                queue_url,
            },
            Some(MSGS),
        )
        .await
}

/// The receipt handles of a ReceiveMessage answer.
fn receipt_handles(body: &[u8]) -> Result<Vec<String>> {
    let answer: serde_json::Value = serde_json::from_slice(body)?;
    Ok(answer["Messages"]
        .as_array()
        .map(|messages| {
            messages
                .iter()
                .filter_map(|m| m["ReceiptHandle"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default())
}

// --- DynamoDB --------------------------------------------------------------

fn ddb_request(addr: SocketAddr, op: &str, body: &serde_json::Value) -> Arc<[u8]> {
    json_request(addr, &format!("DynamoDB_20120810.{op}"), &body.to_string())
}

async fn bench_dynamodb(bench: &mut Bench) -> Result<()> {
    use serde_json::json;
    let addr = bench.addr;
    let mut conn = Conn::connect(addr).await?;
    let create = json!({
        "TableName": "bench",
        "AttributeDefinitions": [
            { "AttributeName": "pk", "AttributeType": "S" },
            { "AttributeName": "sk", "AttributeType": "N" },
        ],
        "KeySchema": [
            { "AttributeName": "pk", "KeyType": "HASH" },
            { "AttributeName": "sk", "KeyType": "RANGE" },
        ],
        "BillingMode": "PAY_PER_REQUEST",
    });
    expect_ok(
        &mut conn,
        &ddb_request(addr, "CreateTable", &create),
        "CreateTable",
    )
    .await?;
    let item = |pk: &str, sk: u64| {
        json!({
            "pk": { "S": pk },
            "sk": { "N": sk.to_string() },
            "v": { "N": "0" },
            "payload": { "S": "x".repeat(100) },
        })
    };
    setup_concurrently(addr, QUERY_ITEMS, "PutItem (query)", move |n| {
        let put = json!({ "TableName": "bench", "Item": item("q", n) });
        (ddb_request(addr, "PutItem", &put).to_vec(), Vec::new())
    })
    .await?;
    expect_ok(
        &mut conn,
        &ddb_request(
            addr,
            "PutItem",
            &json!({ "TableName": "bench", "Item": item("ctr", 0) }),
        ),
        "PutItem",
    )
    .await?;

    // Every request writes a new item.
    let head: HeadFn = Box::new(move |n| {
        let put = json!({ "TableName": "bench", "Item": item("put", n) });
        ddb_request(addr, "PutItem", &put).to_vec()
    });
    bench
        .measure(
            "DynamoDB",
            "PutItem",
            Work::Numbered {
                head,
                body: Arc::from(Vec::new()),
                units: 1,
            },
            None,
        )
        .await?;
    let get = json!({
        "TableName": "bench",
        "Key": { "pk": { "S": "q" }, "sk": { "N": "7" } },
    });
    bench
        .measure(
            "DynamoDB",
            "GetItem",
            Work::fixed(ddb_request(addr, "GetItem", &get)),
            None,
        )
        .await?;
    let query = json!({
        "TableName": "bench",
        "KeyConditionExpression": "pk = :p",
        "ExpressionAttributeValues": { ":p": { "S": "q" } },
        "Limit": 100,
    });
    let query = ddb_request(addr, "Query", &query);
    expect_ok(&mut conn, &query, "Query").await?;
    let answer: serde_json::Value = serde_json::from_slice(conn.body())?;
    if answer["Count"] != 100 {
        bail!("Query returned {} items, expected 100", answer["Count"]);
    }
    bench
        .measure(
            "DynamoDB",
            "Query (100-item page)",
            Work::fixed(query),
            None,
        )
        .await?;
    let update = json!({
        "TableName": "bench",
        "Key": { "pk": { "S": "ctr" }, "sk": { "N": "0" } },
        "UpdateExpression": "SET v = v + :one",
        "ConditionExpression": "attribute_exists(pk)",
        "ExpressionAttributeValues": { ":one": { "N": "1" } },
    });
    bench
        .measure(
            "DynamoDB",
            "UpdateItem (conditional, v = v + 1)",
            Work::fixed(ddb_request(addr, "UpdateItem", &update)),
            None,
        )
        .await
}

// --- SNS -------------------------------------------------------------------

/// The (form-encoded) ARN of the bench topic with `fan` subscribed queues.
fn sns_topic_arn(fan: usize) -> String {
    format!("arn%3Aaws%3Asns%3A{REGION}%3A{ACCOUNT}%3Abench-fan-{fan}")
}

/// A query-protocol form `POST /` as raw bytes (SNS).
fn form_request(addr: SocketAddr, body: &str) -> Arc<[u8]> {
    format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
    .into()
}

/// Creates one topic per fan-out with that many subscribed SQS queues.
async fn prepare_sns(addr: SocketAddr) -> Result<()> {
    let mut conn = Conn::connect(addr).await?;
    for fan in SNS_FAN_OUTS {
        let create = format!("Action=CreateTopic&Version=2010-03-31&Name=bench-fan-{fan}");
        expect_ok(&mut conn, &form_request(addr, &create), "CreateTopic").await?;
        for i in 0..fan {
            let queue = format!("bench-{fan}-{i}");
            sqs_create_queue(&mut conn, addr, &queue).await?;
            let subscribe = format!(
                "Action=Subscribe&Version=2010-03-31&TopicArn={}&Protocol=sqs\
                 &Endpoint=arn%3Aaws%3Asqs%3A{REGION}%3A{ACCOUNT}%3A{queue}",
                sns_topic_arn(fan)
            );
            expect_ok(&mut conn, &form_request(addr, &subscribe), "Subscribe").await?;
        }
    }
    Ok(())
}

/// SNS Publish fanned out to 1 and 10 SQS queues.
async fn bench_sns(bench: &mut Bench) -> Result<()> {
    let addr = bench.addr;
    prepare_sns(addr).await?;
    for fan in SNS_FAN_OUTS {
        let publish = format!(
            "Action=Publish&Version=2010-03-31&TopicArn={}&Message=hello",
            sns_topic_arn(fan)
        );
        let queues = if fan == 1 { "queue" } else { "queues" };
        bench
            .measure(
                "SNS",
                &format!("Publish → {fan} SQS {queues}"),
                Work::fixed(form_request(addr, &publish)),
                None,
            )
            .await?;
    }
    Ok(())
}

// --- Load generator --------------------------------------------------------

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
async fn load(addr: SocketAddr, work: &Arc<Work>, conns: usize, secs: Duration) -> Stats {
    let begin = TokioInstant::now() + WARMUP;
    let end = begin + secs;
    let seq = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..conns)
        .map(|_| {
            let recorder = Recorder {
                begin,
                end,
                latencies_us: Vec::new(),
                units: 0,
            };
            tokio::spawn(connection_loop(addr, work.clone(), seq.clone(), recorder))
        })
        .collect();
    let mut latencies = Vec::new();
    let mut units = 0;
    let mut errors = 0;
    for task in tasks {
        match task.await {
            Ok((recorder, err)) => {
                latencies.extend(recorder.latencies_us);
                units += recorder.units;
                errors += err;
            }
            Err(_) => errors += 1,
        }
    }
    summarize(latencies, units, errors, secs)
}

/// What one connection completed inside the measured window.
struct Recorder {
    begin: TokioInstant,
    end: TokioInstant,
    latencies_us: Vec<u32>,
    units: u64,
}

impl Recorder {
    /// Counts a request that completed inside the window (it may have been
    /// sent during the warm-up: a slow target, such as a 1000-key listing at 32
    /// connections, would otherwise count nothing in a short window).
    fn record(&mut self, sent: TokioInstant, units: u64) {
        let done = TokioInstant::now();
        if done >= self.begin && done <= self.end {
            self.latencies_us
                .push(u32::try_from((done - sent).as_micros()).unwrap_or(u32::MAX));
            self.units += units;
        }
    }
}

/// One client connection: iterations of `work` until the end of the window.
/// Reconnects after an error so one reset does not end the run.
async fn connection_loop(
    addr: SocketAddr,
    work: Arc<Work>,
    seq: Arc<AtomicU64>,
    mut recorder: Recorder,
) -> (Recorder, u64) {
    let mut errors = 0;
    let mut conn = None;
    let end = recorder.end;
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
        let outcome = tokio::time::timeout_at(
            end + RESPONSE_GRACE,
            iteration(&work, c, &seq, &mut recorder),
        )
        .await;
        match outcome {
            Ok(Ok(true)) => {}
            Ok(Ok(false)) => errors += 1,
            Ok(Err(_)) | Err(_) => {
                errors += 1;
                conn = None;
            }
        }
    }
    (recorder, errors)
}

/// One iteration of `work`; false when a request was answered with anything
/// but 200.
async fn iteration(
    work: &Work,
    conn: &mut Conn,
    seq: &AtomicU64,
    recorder: &mut Recorder,
) -> Result<bool> {
    match work {
        Work::Fixed { request, units } => {
            let sent = TokioInstant::now();
            let ok = conn.call(request, &[]).await? == 200;
            if ok {
                recorder.record(sent, *units);
            }
            Ok(ok)
        }
        Work::Numbered { head, body, units } => {
            let head = head(seq.fetch_add(1, Ordering::Relaxed));
            let sent = TokioInstant::now();
            let ok = conn.call(&head, body).await? == 200;
            if ok {
                recorder.record(sent, *units);
            }
            Ok(ok)
        }
        Work::ReceiveDelete {
            addr,
            receive,
            queue_url,
        } => {
            let sent = TokioInstant::now();
            if conn.call(receive, &[]).await? != 200 {
                return Ok(false);
            }
            recorder.record(sent, 0);
            for handle in receipt_handles(conn.body())? {
                let body = serde_json::json!({ "QueueUrl": queue_url, "ReceiptHandle": handle })
                    .to_string();
                let delete = json_request(*addr, "AmazonSQS.DeleteMessage", &body);
                let sent = TokioInstant::now();
                if conn.call(&delete, &[]).await? != 200 {
                    return Ok(false);
                }
                recorder.record(sent, 1);
            }
            Ok(true)
        }
    }
}

fn summarize(mut latencies_us: Vec<u32>, units: u64, errors: u64, secs: Duration) -> Stats {
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
        units: units as f64 / secs.as_secs_f64(),
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
    /// Where the last response's body is in `buf`.
    body: std::ops::Range<usize>,
}

impl Conn {
    async fn connect(addr: SocketAddr) -> Result<Self> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Self {
            stream,
            buf: Vec::with_capacity(8192),
            body: 0..0,
        })
    }

    /// Sends one request (head, then body) and reads its whole response;
    /// returns the status. The body stays readable through [`Conn::body`].
    async fn call(&mut self, head: &[u8], body: &[u8]) -> Result<u16> {
        self.stream.write_all(head).await?;
        if !body.is_empty() {
            self.stream.write_all(body).await?;
        }
        self.read_response().await
    }

    /// Reads one whole response (into memory).
    async fn read_response(&mut self) -> Result<u16> {
        self.buf.drain(..self.body.end);
        self.body = 0..0;
        loop {
            if let Some(head_len) = find_head_end(&self.buf) {
                let (status, body_len) = parse_head(&self.buf[..head_len])?;
                let total = head_len + body_len;
                self.buf.reserve(total.saturating_sub(self.buf.len()));
                while self.buf.len() < total {
                    self.fill().await?;
                }
                self.body = head_len..total;
                return Ok(status);
            }
            self.fill().await?;
        }
    }

    /// Reads one response, counting its body bytes without keeping them.
    async fn read_counting(&mut self) -> Result<(u16, u64)> {
        self.buf.drain(..self.body.end);
        self.body = 0..0;
        loop {
            if let Some(head_len) = find_head_end(&self.buf) {
                let (status, body_len) = parse_head(&self.buf[..head_len])?;
                let body_len = body_len as u64;
                let mut received = (self.buf.len() - head_len) as u64;
                self.buf.clear();
                let mut scratch = vec![0u8; BIG_CHUNK];
                while received < body_len {
                    let n = self.stream.read(&mut scratch).await?;
                    if n == 0 {
                        bail!("connection closed after {received} of {body_len} bytes");
                    }
                    received += n as u64;
                }
                return Ok((status, received));
            }
            self.fill().await?;
        }
    }

    /// The body of the last response.
    fn body(&self) -> &[u8] {
        &self.buf[self.body.clone()]
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

/// The argument that makes this binary serve the baseline instead of measuring.
const SERVE_BASELINE: &str = "--serve-baseline";

/// The bare axum handler, served by a child process on its own 2-worker
/// runtime: the same shape as the real server (a separate process reached
/// over loopback, on this machine's cores), so the only difference left is
/// ruststack itself. Dropping it stops the process.
struct Baseline {
    child: Child,
    addr: SocketAddr,
}

impl Baseline {
    /// Starts this binary with [`SERVE_BASELINE`] and reads the address it prints.
    fn spawn() -> Result<Self> {
        let mut child = Command::new(std::env::current_exe()?)
            .arg(SERVE_BASELINE)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .context("starting the baseline server")?;
        let stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line)?;
        let addr = line
            .trim()
            .parse()
            .with_context(|| format!("the baseline server printed {line:?}"))?;
        Ok(Self { child, addr })
    }
}

impl Drop for Baseline {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The baseline process: prints its address, then serves until killed.
fn serve_baseline_process() -> Result<()> {
    let listener = StdListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let mut out = std::io::stdout();
    writeln!(out, "{}", listener.local_addr()?)?;
    out.flush()?;
    serve_baseline(listener)
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
         {} CPU(s). Baseline: bare axum 0.8 handler in its own process (as the server is), 2-worker runtime. \
         Server: `ruststack serve --data-dir <temp>{}`.\n",
        cfg.secs.as_secs_f64(),
        WARMUP.as_secs_f64(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        cfg.plugins
            .iter()
            .map(|p| format!(
                " --plugins {}",
                p.strip_prefix(&cfg.workspace).unwrap_or(p).display()
            ))
            .collect::<String>(),
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
        "Every request is timed on its own (ReceiveMessage + DeleteMessage: the receive and each delete). \
         PutObject and PutItem write a new key per request.\n"
    );
    let _ = writeln!(
        out,
        "| target | conns | req/s | p50 | p99 | req/s vs baseline | throughput | errors |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|");
    let mut groups: Vec<&str> = Vec::new();
    for run in runs {
        if !groups.contains(&run.group) {
            groups.push(run.group);
        }
    }
    for group in groups {
        let _ = writeln!(out, "| **{group}** | | | | | | | |");
        for run in runs.iter().filter(|r| r.group == group) {
            let ratio = baseline_rps(runs, run.conns).map_or("n/a".to_string(), |b| {
                format!("{:.1}%", 100.0 * run.stats.rps / b)
            });
            let throughput = run.unit.map_or(String::new(), |u| {
                format!("{:.1} {}", run.stats.units * u.scale, u.label)
            });
            let _ = writeln!(
                out,
                "| {} | {} | {:.0} | {} | {} | {} | {} | {} |",
                run.target,
                run.conns,
                run.stats.rps,
                fmt_latency(run.stats.p50),
                fmt_latency(run.stats.p99),
                ratio,
                throughput,
                run.stats.errors
            );
        }
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
    let _ = writeln!(
        out,
        "| idle again, {} s after the last run | {:.1} MiB |",
        SETTLE.as_secs(),
        load.settled_rss_mb
    );
    out.push('\n');
    let _ = writeln!(
        out,
        "### S3 1 GiB transfer (one connection, streamed; RSS sampled every 100 ms)\n"
    );
    if let Some(note) = &load.big_note {
        let _ = writeln!(out, "{note}\n");
        return;
    }
    let _ = writeln!(
        out,
        "| transfer | MB/s | RSS before | RSS peak | RSS after | growth (peak − before) |\n|---|---:|---:|---:|---:|---:|"
    );
    for b in &load.big {
        let _ = writeln!(
            out,
            "| {} | {:.0} | {:.1} MiB | {:.1} MiB | {:.1} MiB | {:.1} MiB |",
            b.what,
            b.mb_per_s,
            b.rss_before,
            b.rss_peak,
            b.rss_after,
            b.growth()
        );
    }
    out.push('\n');
}

fn render_targets(out: &mut String, startup: &Startup, load: &LoadReport) {
    let ratio_at_32 = |target: &str| {
        load.runs
            .iter()
            .find(|r| r.conns == 32 && r.target == target)
            .zip(baseline_rps(&load.runs, 32))
            .map_or(f64::NAN, |(r, b)| r.stats.rps / b)
    };
    let get_ratio = ratio_at_32("counters GetCounter");
    let s3_get_ratio = ratio_at_32("GetObject 1 KiB");
    let s3_rss = load
        .runs
        .iter()
        .filter(|r| r.group == "S3")
        .filter_map(|r| {
            load.loaded_rss_mb
                .iter()
                .find(|(name, _)| *name == r.target)
                .map(|(_, rss)| *rss)
        })
        .fold(f64::NAN, f64::max);
    let big_growth = load
        .big
        .iter()
        .map(BigTransfer::growth)
        .fold(f64::NAN, f64::max);
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
        (
            format!(
                "S3 GetObject 1 KiB req/s @32 ≥ {:.0}% of baseline",
                S3_GET_RATIO_TARGET * 100.0
            ),
            format!("{:.1}%", s3_get_ratio * 100.0),
            s3_get_ratio >= S3_GET_RATIO_TARGET,
        ),
        (
            format!("RSS idle again after every load run ≤ {SETTLED_RSS_TARGET_MB} MB"),
            format!("{:.1} MiB", load.settled_rss_mb),
            load.settled_rss_mb <= SETTLED_RSS_TARGET_MB,
        ),
        (
            format!("S3 RSS under load (max after the @32 runs) ≤ {LOADED_RSS_TARGET_MB} MB"),
            format!("{s3_rss:.1} MiB"),
            s3_rss <= LOADED_RSS_TARGET_MB,
        ),
        (
            format!("S3 1 GiB transfer RSS growth ≤ {BIG_RSS_GROWTH_TARGET_MB} MB"),
            if load.big.is_empty() {
                load.big_note.clone().unwrap_or_default()
            } else {
                format!("{big_growth:.1} MiB")
            },
            big_growth <= BIG_RSS_GROWTH_TARGET_MB,
        ),
    ];
    for (what, measured, pass) in rows {
        let _ = writeln!(
            out,
            "| {what} | {measured} | {} |",
            if pass { "PASS" } else { "MISS" }
        );
    }
    render_floor(out, &load.runs);
}

/// The host's own share: the floor (a call that does no work) against the
/// baseline, and the small reads against the floor, so a run shows how much
/// of the gap to the baseline is the host and how much the service's work.
fn render_floor(out: &mut String, runs: &[Run]) {
    let rps_at_32 = |target: &str| {
        runs.iter()
            .find(|r| r.conns == 32 && r.target == target)
            .map(|r| r.stats.rps)
            .filter(|&rps| rps > 0.0)
    };
    let (Some(floor), Some(baseline)) = (rps_at_32(FLOOR_TARGET), baseline_rps(runs, 32)) else {
        return;
    };
    let _ = writeln!(
        out,
        "\n## Host floor @32\n\nA {FLOOR_TARGET} serves {:.1}% of the baseline's req/s. \
         Against that floor:\n",
        100.0 * floor / baseline
    );
    let _ = writeln!(out, "| target | req/s vs floor |\n|---|---:|");
    for target in ["counters GetCounter", "GetObject 1 KiB", "GetItem"] {
        if let Some(rps) = rps_at_32(target) {
            let _ = writeln!(out, "| {target} | {:.1}% |", 100.0 * rps / floor);
        }
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
