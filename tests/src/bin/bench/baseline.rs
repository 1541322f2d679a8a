//! The baseline: a bare axum handler in its own process.

#[allow(unused_imports)]
use super::*;

// Baseline
// ---------------------------------------------------------------------------

/// The argument that makes this binary serve the baseline instead of measuring.
pub(crate) const SERVE_BASELINE: &str = "--serve-baseline";

/// The bare axum handler, served by a child process on its own 2-worker
/// runtime: the same shape as the real server (a separate process reached
/// over loopback, on this machine's cores), so the only difference left is
/// ruststack itself. Dropping it stops the process.
pub(crate) struct Baseline {
    pub(crate) child: Child,
    pub(crate) addr: SocketAddr,
}

impl Baseline {
    /// Starts this binary with [`SERVE_BASELINE`] and reads the address it prints.
    pub(crate) fn spawn() -> Result<Self> {
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
pub(crate) fn serve_baseline_process() -> Result<()> {
    let listener = StdListener::bind("127.0.0.1:0")?;
    listener.set_nonblocking(true)?;
    let mut out = std::io::stdout();
    writeln!(out, "{}", listener.local_addr()?)?;
    out.flush()?;
    serve_baseline(listener)
}

pub(crate) fn serve_baseline(listener: StdListener) -> Result<()> {
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
