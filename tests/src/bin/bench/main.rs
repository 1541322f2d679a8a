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
//! - `BENCH_TARGETS=PutObject 1 KiB,...`: measure only targets whose name holds one
//!   of these (the host floor always runs); with the printed server pid, a way to
//!   profile one row (`perf record -p <pid>`).
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

mod baseline;
mod client;
mod dynamodb;
mod generator;
mod image;
mod load;
mod memory;
mod report;
mod s3;
mod server;
mod sns;
mod sqs;
mod startup;

use baseline::*;
use client::*;
use dynamodb::*;
use generator::*;
use image::*;
use load::*;
use memory::*;
use report::*;
use s3::*;
use server::*;
use sns::*;
use sqs::*;
use startup::*;

use anyhow::{Context, Result, anyhow, bail};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::Instant as TokioInstant;

/// Load runs start with this much unmeasured traffic so that connection set-up,
/// lazy allocations and instance pools do not count.
pub(crate) const WARMUP: Duration = Duration::from_millis(500);
/// Connection counts measured for every target.
pub(crate) const CONNECTIONS: [usize; 2] = [1, 32];
/// Start-up runs per mode; the median is reported.
pub(crate) const STARTUP_RUNS: usize = 3;
/// How long a server may take to come up before the benchmark gives up.
pub(crate) const STARTUP_LIMIT: Duration = Duration::from_secs(60);
/// A response slower than this past the end of a run means the target hangs.
pub(crate) const RESPONSE_GRACE: Duration = Duration::from_secs(10);
/// Body of the baseline: about the size of a counters answer.
pub(crate) const BASELINE_BODY: &str = r#"{"Counter":{"Name":"bench","UpdatedAt":1795878354.287,"Value":1},"ServedBy":"baseline 1.0.0"}"#;
/// AWS JSON target prefix of the example plugin.
pub(crate) const COUNTERS: &str = "Counters_20261128";
/// The bench group of the host's floor: a plugin call that does no work.
pub(crate) const FLOOR_GROUP: &str = "Host floor";
/// The floor's row: the `misbehave` test fixture answering `Ok` at once.
pub(crate) const FLOOR_TARGET: &str = "plugin that answers at once";

/// Targets the project has set itself; the benchmark only reports them.
pub(crate) const WARM_START_TARGET_MS: f64 = 50.0;
pub(crate) const COLD_START_TARGET_MS: f64 = 50.0;
/// A first start may take at most this many times a warm one.
pub(crate) const COLD_OVER_WARM_TARGET: f64 = 3.0;
pub(crate) const IDLE_RSS_TARGET_MB: f64 = 14.0;
/// RSS of a first start after the basic commands.
pub(crate) const FIRST_USE_RSS_TARGET_MB: f64 = 30.0;
/// Peak RSS while four clients send 15 MB DynamoDB items at once.
pub(crate) const ATTACK_PEAK_RSS_TARGET_MB: f64 = 300.0;
/// RSS right after every 32-connection run, of every service.
pub(crate) const ANY_LOADED_RSS_TARGET_MB: f64 = 64.0;
pub(crate) const GET_RATIO_TARGET: f64 = 0.5;
pub(crate) const S3_GET_RATIO_TARGET: f64 = 0.5;
pub(crate) const LOADED_RSS_TARGET_MB: f64 = 50.0;
pub(crate) const BIG_RSS_GROWTH_TARGET_MB: f64 = 8.0;
/// Most RSS once the server is idle again after every load run.
pub(crate) const SETTLED_RSS_TARGET_MB: f64 = 50.0;
/// How long the server is left without requests before its settled RSS is read.
pub(crate) const SETTLE: Duration = Duration::from_secs(3);

/// Services the benchmark drives; a binary without one of them gets
/// `--plugins target/builtin-plugins` as well.
pub(crate) const SERVICES: [&str; 4] = ["s3", "sqs", "dynamodb", "sns"];
/// Size of the big S3 transfer.
pub(crate) const BIG_BYTES: u64 = 1 << 30;
/// Write (and read) granularity of the big transfer.
pub(crate) const BIG_CHUNK: usize = 256 * 1024;
/// Keys the ListObjectsV2 run lists (1000 per page, the first page measured).
pub(crate) const LIST_KEYS: u64 = 10_000;
/// Concurrency of the set-up loops (filling buckets, queues and tables).
pub(crate) const SETUP_CONNS: usize = 32;
/// Items under the queried DynamoDB partition (a page is 100 of them).
pub(crate) const QUERY_ITEMS: u64 = 200;
/// Messages per second of measured ReceiveMessage+DeleteMessage the queue is
/// filled for (topped up before the run when the Send runs left fewer).
pub(crate) const SQS_PREFILL_PER_SEC: f64 = 15_000.0;
/// Fan-outs measured for SNS Publish; 0 (a topic without subscribers) is
/// SNS's own share of a Publish, without the SQS call it fans out to.
pub(crate) const SNS_FAN_OUTS: [usize; 3] = [0, 1, 10];
/// Regions and accounts the servers use by default.
pub(crate) const ACCOUNT: &str = "000000000000";
pub(crate) const REGION: &str = "us-east-1";

pub(crate) fn main() -> Result<()> {
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
    let checks = Checks {
        first_use: runtime
            .block_on(first_use(&cfg, scratch.path()))
            .map_err(|e| format!("failed: {e:#}")),
        attack: runtime
            .block_on(dynamodb_attack(&cfg, scratch.path()))
            .map_err(|e| format!("failed: {e:#}")),
    };
    let load = runtime.block_on(measure_load(&cfg, scratch.path()))?;
    let image = measure_image();

    let report = render(&cfg, &startup, &checks, &load, &image);
    print!("{report}");
    let out = cfg.workspace.join("target/bench.md");
    std::fs::write(&out, &report).with_context(|| format!("writing {}", out.display()))?;
    eprintln!("bench: written to {}", out.display());
    Ok(())
}

/// Where things are and how long to measure.
pub(crate) struct Config {
    pub(crate) secs: Duration,
    pub(crate) bin: PathBuf,
    pub(crate) plugins: Vec<PathBuf>,
    pub(crate) workspace: PathBuf,
    pub(crate) skip_big: bool,
    /// Service groups to run (`BENCH_ONLY`); empty: all.
    pub(crate) only: Vec<String>,
    /// Target name filters (`BENCH_TARGETS`); empty: all.
    pub(crate) targets: Vec<String>,
}

impl Config {
    /// Whether the service group `name` runs.
    pub(crate) fn runs(&self, name: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|o| o == name)
    }

    pub(crate) fn from_env() -> Result<Self> {
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
        let targets = std::env::var("BENCH_TARGETS")
            .unwrap_or_default()
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        Ok(Self {
            secs: Duration::from_secs_f64(secs),
            bin,
            plugins: vec![plugins],
            workspace,
            skip_big,
            only,
            targets,
        })
    }
}

/// Starts the server once; when it lacks one of [`SERVICES`] (a binary built
/// without them), loads `target/builtin-plugins` too.
pub(crate) fn add_missing_services(cfg: &mut Config, scratch: &Path) -> Result<()> {
    let cache = scratch.join("probe-cache");
    std::fs::create_dir_all(&cache)?;
    let server = Server::start(
        cfg,
        Launch::Loaded { cache_dir: &cache },
        &scratch.join("probe.log"),
    )?;
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
pub(crate) fn retry_once<T>(what: &str, mut f: impl FnMut() -> Result<T>) -> Result<T> {
    match f() {
        Ok(v) => Ok(v),
        Err(e) => {
            eprintln!("bench: {what} failed ({e:#}); retrying in 60 s");
            std::thread::sleep(Duration::from_secs(60));
            f()
        }
    }
}
