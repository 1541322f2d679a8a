//! Start-up: time from spawning the server to its first healthy answer, cold and warm.

#[allow(unused_imports)]
use super::*;

// Start-up
// ---------------------------------------------------------------------------

/// Median start-up times in milliseconds, each to the first request a
/// plugin answered (S3 ListBuckets).
pub(crate) struct Startup {
    /// A first start on a new machine: empty `HOME` (so an empty per-user
    /// cache) and data folder, the built-in services only.
    pub(crate) cold_ms: f64,
    /// A later start: the same `HOME`, its cache filled, a fresh data folder.
    pub(crate) warm_ms: f64,
    /// A first start with the example plugins given by `--plugins`, which
    /// are compiled (only built-ins are compiled ahead of time).
    pub(crate) cold_examples_ms: f64,
    /// Spawning and reaping `/bin/true`: the floor any process start pays.
    pub(crate) spawn_floor_ms: Option<f64>,
}

/// Cold runs each get a fresh home (and data folder); warm runs reuse the
/// first cold run's home. The example plugins' cold runs each get a fresh
/// `--cache-dir`; the first one is what the load runs use afterwards.
pub(crate) fn measure_startup(cfg: &Config, scratch: &Path) -> Result<Startup> {
    let home = |run: usize| -> Result<PathBuf> {
        let h = scratch.join(format!("home-{run}"));
        std::fs::create_dir_all(&h)?;
        Ok(h)
    };
    let mut cold = Vec::new();
    for run in 0..STARTUP_RUNS {
        let launch = Launch::Plain { home: &home(run)? };
        cold.push(time_to_first_answer(
            cfg,
            launch,
            &scratch.join(format!("cold-{run}.log")),
        )?);
    }
    let mut warm = Vec::new();
    for run in 0..STARTUP_RUNS {
        let launch = Launch::Plain { home: &home(0)? };
        warm.push(time_to_first_answer(
            cfg,
            launch,
            &scratch.join(format!("warm-{run}.log")),
        )?);
    }
    let mut examples = Vec::new();
    for run in 0..STARTUP_RUNS {
        let cache = scratch.join(format!("cold-cache-{run}"));
        std::fs::create_dir_all(&cache)?;
        examples.push(time_to_first_answer(
            cfg,
            Launch::Loaded { cache_dir: &cache },
            &scratch.join(format!("cold-examples-{run}.log")),
        )?);
    }
    eprintln!(
        "bench: start-up cold {cold:.1?} ms, warm {warm:.1?} ms, cold with the example plugins {examples:.1?} ms"
    );
    Ok(Startup {
        cold_ms: median(&mut cold),
        warm_ms: median(&mut warm),
        cold_examples_ms: median(&mut examples),
        spawn_floor_ms: spawn_floor(),
    })
}

/// Milliseconds from spawning the server to the first request a plugin answers.
pub(crate) fn time_to_first_answer(cfg: &Config, launch: Launch<'_>, log: &Path) -> Result<f64> {
    let port = free_port()?;
    let mut cmd = server_command(cfg, port, launch, log)?;
    let start = Instant::now();
    let child = cmd.spawn()?;
    let mut server = Server {
        child,
        addr: SocketAddr::from(([127, 0, 0, 1], port)),
    };
    loop {
        if answers_list_buckets(server.addr) {
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
                "server did not answer within {STARTUP_LIMIT:?} ({})",
                log_hint(log)
            );
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// One blocking S3 `ListBuckets` (`GET /`); true when answered with 200.
pub(crate) fn answers_list_buckets(addr: SocketAddr) -> bool {
    get_root(addr).is_some_and(|a| a.starts_with("HTTP/1.1 200"))
}

/// One blocking `GET /` on a new connection: the whole answer, if one came.
pub(crate) fn get_root(addr: SocketAddr) -> Option<String> {
    let mut stream = StdStream::connect(addr).ok()?;
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let request = format!("GET / HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    let mut answer = String::new();
    stream.write_all(request.as_bytes()).ok()?;
    stream.read_to_string(&mut answer).ok()?;
    Some(answer)
}

/// A port that was free a moment ago (the start-up loop needs to know the port
/// before the server can say it).
pub(crate) fn free_port() -> Result<u16> {
    Ok(StdListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// The body of one blocking `GET /_ruststack/health` answered with 200.
pub(crate) fn health_body(addr: SocketAddr) -> Option<String> {
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
pub(crate) fn spawn_floor() -> Option<f64> {
    let mut times = Vec::new();
    for _ in 0..STARTUP_RUNS {
        let start = Instant::now();
        Command::new("/bin/true").status().ok()?;
        times.push(start.elapsed().as_secs_f64() * 1e3);
    }
    Some(median(&mut times))
}

pub(crate) fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}
