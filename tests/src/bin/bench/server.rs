//! A running `ruststack serve` for the benchmark: start, stop, its address and its memory.

#[allow(unused_imports)]
use super::*;

// Server processes
// ---------------------------------------------------------------------------

/// How a server is started.
#[derive(Clone, Copy)]
pub(crate) enum Launch<'a> {
    /// As the load runs use it: with the example plugins (`--plugins`), its
    /// compiled code in this `--cache-dir`.
    Loaded { cache_dir: &'a Path },
    /// As a user first runs it: built-in services only, the default per-user
    /// cache under this `HOME` (a fresh one makes a new machine).
    Plain { home: &'a Path },
}

/// A running `ruststack serve`; dropping it stops the process, so no path
/// (error or panic included) leaves a server behind.
pub(crate) struct Server {
    pub(crate) child: Child,
    pub(crate) addr: SocketAddr,
}

impl Server {
    /// Starts a server on a free port and returns once its stdout says it listens.
    pub(crate) fn start(cfg: &Config, launch: Launch<'_>, log: &Path) -> Result<Self> {
        let mut child = server_command(cfg, 0, launch, log)?
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

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Asks the server to stop (SIGTERM) and waits for it; kills it if it lingers.
    pub(crate) fn stop(&mut self) {
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
pub(crate) fn server_command(
    cfg: &Config,
    port: u16,
    launch: Launch<'_>,
    log: &Path,
) -> Result<Command> {
    let log_path = log.to_path_buf();
    let log = std::fs::File::create(log)?;
    let mut cmd = Command::new(&cfg.bin);
    // A data dir beside the log, as users run it (`--ephemeral` would keep
    // every stored byte of kv in memory and count it as server memory).
    let data = log_path.with_extension("data");
    cmd.arg("serve")
        .args(["--port", &port.to_string(), "--data-dir"])
        .arg(&data);
    match launch {
        Launch::Loaded { cache_dir } => {
            for dir in &cfg.plugins {
                cmd.arg("--plugins").arg(dir);
            }
            cmd.arg("--cache-dir").arg(cache_dir);
        }
        Launch::Plain { home } => {
            // Only the services the binary lacks (a binary built without them).
            for dir in cfg.plugins.iter().skip(1) {
                cmd.arg("--plugins").arg(dir);
            }
            cmd.env("HOME", home).env_remove("XDG_CACHE_HOME");
        }
    }
    cmd.stdin(Stdio::null()).stdout(Stdio::null()).stderr(log);
    Ok(cmd)
}

/// Reads the `ruststack listening on http://…` line, with a time limit so a
/// silent server cannot hang the benchmark. Stdout keeps being drained after.
pub(crate) fn read_listen_addr(stdout: impl Read + Send + 'static) -> Result<SocketAddr> {
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

pub(crate) fn log_hint(log: &Path) -> String {
    format!("starting the server (its log: {})", log.display())
}

/// Resident memory of a process in MiB, from `/proc/<pid>/status`.
pub(crate) fn rss_mb(pid: u32) -> Result<f64> {
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
