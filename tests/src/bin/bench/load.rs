//! Load runs: what is measured, the targets' runs and the set-up helpers they share.

#[allow(unused_imports)]
use super::*;

// Load
// ---------------------------------------------------------------------------

/// Every load run and the memory figures taken around them.
pub(crate) struct LoadReport {
    pub(crate) runs: Vec<Run>,
    pub(crate) idle_rss_mb: f64,
    /// RSS once the server has been idle for [`SETTLE`] after the last run.
    pub(crate) settled_rss_mb: f64,
    /// (target name, RSS right after its 32-connection run).
    pub(crate) loaded_rss_mb: Vec<(String, f64)>,
    /// The 1 GiB S3 upload and download, unless skipped or failed.
    pub(crate) big: Vec<BigTransfer>,
    /// Why the big transfer is missing, when it is.
    pub(crate) big_note: Option<String>,
}

/// One target at one connection count.
pub(crate) struct Run {
    pub(crate) group: &'static str,
    pub(crate) target: String,
    pub(crate) conns: usize,
    pub(crate) unit: Option<Unit>,
    pub(crate) stats: Stats,
}

/// What a target counts besides requests (messages, bytes).
#[derive(Clone, Copy)]
pub(crate) struct Unit {
    pub(crate) label: &'static str,
    /// Multiplies units per second into what is printed (bytes → MB).
    pub(crate) scale: f64,
}

pub(crate) const MSGS: Unit = Unit {
    label: "msgs/s",
    scale: 1.0,
};
pub(crate) const MEGABYTES: Unit = Unit {
    label: "MB/s",
    scale: 1e-6,
};

/// Throughput and latency of one load run.
#[derive(Clone, Copy)]
pub(crate) struct Stats {
    pub(crate) rps: f64,
    /// Units (see [`Unit`]) per second.
    pub(crate) units: f64,
    pub(crate) p50: Duration,
    pub(crate) p99: Duration,
    pub(crate) errors: u64,
}

/// What one iteration of a client connection does.
pub(crate) enum Work {
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

pub(crate) type HeadFn = Box<dyn Fn(u64) -> Vec<u8> + Send + Sync>;

impl Work {
    pub(crate) fn fixed(request: Arc<[u8]>) -> Self {
        Self::Fixed { request, units: 1 }
    }
}

/// Runs the targets against one server and keeps what they measured.
pub(crate) struct Bench {
    pub(crate) secs: Duration,
    pub(crate) addr: SocketAddr,
    pub(crate) pid: u32,
    pub(crate) runs: Vec<Run>,
    pub(crate) loaded_rss_mb: Vec<(String, f64)>,
    /// Target names to measure (`BENCH_TARGETS`, substrings); empty: all.
    pub(crate) targets: Vec<String>,
}

impl Bench {
    /// Measures one target at every connection count, then the server's RSS.
    pub(crate) async fn measure(
        &mut self,
        group: &'static str,
        name: &str,
        work: Work,
        unit: Option<Unit>,
    ) -> Result<()> {
        let wanted = group == FLOOR_GROUP
            || self.targets.is_empty()
            || self.targets.iter().any(|t| name.contains(t.as_str()));
        if !wanted {
            return Ok(());
        }
        let runs = run_target(group, name, self.addr, work, unit, self.secs).await;
        self.runs.extend(runs);
        self.loaded_rss_mb
            .push((name.to_string(), rss_mb(self.pid)?));
        Ok(())
    }
}

pub(crate) async fn measure_load(cfg: &Config, scratch: &Path) -> Result<LoadReport> {
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
    let server = match Server::start(
        cfg,
        Launch::Loaded { cache_dir: &cache },
        &scratch.join("load.log"),
    ) {
        Ok(server) => server,
        Err(e) => {
            eprintln!("bench: server did not start ({e:#}); retrying in 60 s");
            tokio::time::sleep(Duration::from_secs(60)).await;
            Server::start(
                cfg,
                Launch::Loaded { cache_dir: &cache },
                &scratch.join("load-2.log"),
            )?
        }
    };
    let addr = server.addr;
    prepare_counter(addr).await?;
    tokio::time::sleep(IDLE_WAIT).await;
    let idle_rss_mb = rss_mb(server.pid())?;

    let mut bench = Bench {
        secs: cfg.secs,
        addr,
        pid: server.pid(),
        runs: Vec::new(),
        loaded_rss_mb: Vec::new(),
        targets: cfg.targets.clone(),
    };
    eprintln!("bench: server pid {}", server.pid());
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
pub(crate) async fn run_target(
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
pub(crate) async fn prepare_counter(addr: SocketAddr) -> Result<()> {
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
pub(crate) async fn expect_ok(conn: &mut Conn, request: &[u8], what: &str) -> Result<()> {
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
pub(crate) async fn setup_concurrently(
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
