//! The container image: its size, and the time from `run` to the first
//! request a plugin answers, beside the runtime's own floor (the same image
//! running busybox's `httpd` instead, to its first answer) and the native
//! cold start measured in the same run.

#[allow(unused_imports)]
use super::*;

use ruststack_tests::container::Runtime;

/// The image's size limit, uncompressed.
pub(crate) const IMAGE_SIZE_TARGET_BYTES: u64 = 30_000_000;

/// What the image section measured, or why it could not.
pub(crate) type ImageResult = std::result::Result<ImageReport, String>;

/// The image's readings (medians of [`STARTUP_RUNS`]).
pub(crate) struct ImageReport {
    pub(crate) runtime: String,
    pub(crate) size_bytes: u64,
    /// `run -d` → S3 ListBuckets answered through the mapped port.
    pub(crate) first_answer_ms: f64,
    /// `run -d` of busybox's `httpd` in the same image → its first answer:
    /// what any server in a container pays.
    pub(crate) floor_ms: f64,
}

/// Builds the image with `just image` and measures it; an `Err` says why not
/// (no docker or podman, or a failed build).
pub(crate) fn measure_image() -> ImageResult {
    let rt = Runtime::find().ok_or("skipped: neither docker nor podman answers")?;
    let image = rt.build_image()?;
    let size_bytes = rt.image_size(image);
    let mut first = Vec::new();
    let mut floor = Vec::new();
    for _ in 0..STARTUP_RUNS {
        let ruststack: [&str; 1] = [image];
        let httpd = [
            "--entrypoint",
            "/bin/httpd",
            image,
            "-f",
            "-p",
            "4566",
            "-h",
            "/tmp",
        ];
        for (args, times) in [(&ruststack[..], &mut first), (&httpd[..], &mut floor)] {
            times.push(run_to_first_answer(&rt, args).map_err(|e| format!("failed: {e:#}"))?);
        }
    }
    Ok(ImageReport {
        runtime: rt.program.clone(),
        size_bytes,
        first_answer_ms: median(&mut first),
        floor_ms: median(&mut floor),
    })
}

/// Milliseconds from `run -d <args>` to the first HTTP answer (of any
/// status) through the container's mapped port 4566.
fn run_to_first_answer(rt: &Runtime, args: &[&str]) -> Result<f64> {
    let port = free_port()?;
    let name = format!("ruststack-bench-{}-{port}", std::process::id());
    let publish = format!("127.0.0.1:{port}:4566");
    let mut all = vec!["run", "-d", "--name", &name, "-p", &publish];
    all.extend_from_slice(args);
    let start = Instant::now();
    let out = rt.run(&all);
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let result = if out.status.success() {
        loop {
            if answers_http(addr) {
                break Ok(start.elapsed().as_secs_f64() * 1e3);
            }
            if start.elapsed() > STARTUP_LIMIT {
                break Err(anyhow!("no answer within {STARTUP_LIMIT:?}"));
            }
            std::thread::sleep(Duration::from_millis(1));
        }
    } else {
        Err(anyhow!("{}", String::from_utf8_lossy(&out.stderr)))
    };
    rt.run(&["rm", "-f", "-v", &name]);
    result
}

/// True when `GET /` gets any HTTP answer back (the runtime's port
/// forwarder accepts connections before the server listens, and closes them).
fn answers_http(addr: SocketAddr) -> bool {
    get_root(addr).is_some_and(|a| a.starts_with("HTTP/1."))
}

pub(crate) fn render_image(out: &mut String, image: &ImageResult, startup: &Startup) {
    let _ = writeln!(
        out,
        "## Container image (`just image`; `run` → first request a plugin answers, through the mapped port; median of {STARTUP_RUNS})\n"
    );
    let r = match image {
        Ok(r) => r,
        Err(why) => {
            let _ = writeln!(out, "{why}\n");
            return;
        }
    };
    let mb = |b: u64| b as f64 / 1e6;
    let _ = writeln!(out, "| reading | value | against |\n|---|---:|---|");
    let _ = writeln!(
        out,
        "| image size (uncompressed, {}) | {:.1} MB | {:.0}% of the {:.0} MB target: {} |",
        r.runtime,
        mb(r.size_bytes),
        r.size_bytes as f64 / IMAGE_SIZE_TARGET_BYTES as f64 * 100.0,
        mb(IMAGE_SIZE_TARGET_BYTES),
        if r.size_bytes <= IMAGE_SIZE_TARGET_BYTES {
            "PASS"
        } else {
            "MISS"
        }
    );
    let _ = writeln!(
        out,
        "| `run` → first answer | {:.1} ms | {:.2}× the floor; {:.2}× the native cold start ({:.1} ms) |",
        r.first_answer_ms,
        r.first_answer_ms / r.floor_ms,
        r.first_answer_ms / startup.cold_ms,
        startup.cold_ms
    );
    let _ = writeln!(
        out,
        "| floor: `run` of busybox `httpd` in the image → its first answer | {:.1} ms | |\n",
        r.floor_ms
    );
}
