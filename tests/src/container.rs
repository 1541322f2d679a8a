//! The container image under test: finds docker or podman, builds the image
//! with `just image`, and runs containers that are removed when dropped, so
//! the image tests and the benchmark drive it as users do.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::workspace;

/// The tag the tests and the benchmark build and run.
pub const TEST_TAG: &str = "localhost/ruststack:test";

/// A container runtime: the `docker` or `podman` command.
#[derive(Debug, Clone)]
pub struct Runtime {
    /// The command (`docker`, `podman`, or `$CONTAINER_RUNTIME`).
    pub program: String,
}

impl Runtime {
    /// `$CONTAINER_RUNTIME`, else docker if its daemon answers, else podman
    /// if installed; `None` when there is no runtime to use.
    pub fn find() -> Option<Runtime> {
        if let Some(p) = std::env::var_os("CONTAINER_RUNTIME") {
            return Some(Runtime {
                program: p.to_string_lossy().into_owned(),
            });
        }
        let answers = |program: &str, args: &[&str]| {
            Command::new(program)
                .args(args)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        };
        ["docker", "podman"]
            .into_iter()
            .find(|p| answers(p, &["info"]))
            .map(|p| Runtime {
                program: p.to_string(),
            })
    }

    /// Whether this is podman (whose Docker-compatible API needs a socket
    /// started by hand).
    pub fn is_podman(&self) -> bool {
        Path::new(&self.program)
            .file_name()
            .is_some_and(|n| n == "podman")
    }

    /// Runs the runtime with `args`; its output, whatever the exit status.
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(&self.program)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("running {}: {e}", self.program))
    }

    /// Runs the runtime with `args` and returns its trimmed stdout; panics
    /// with its stderr when it fails.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{} {}: {}",
            self.program,
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Builds the image as `just image` does, once per process, tagged
    /// [`TEST_TAG`]; why not when the build fails.
    pub fn build_image(&self) -> Result<&'static str, String> {
        static BUILT: OnceLock<Result<(), String>> = OnceLock::new();
        BUILT
            .get_or_init(|| {
                let started = Instant::now();
                let status = Command::new("just")
                    .args(["image", TEST_TAG])
                    .current_dir(workspace())
                    .env("CONTAINER_RUNTIME", &self.program)
                    .status()
                    .map_err(|e| format!("running `just image` (is just on PATH?): {e}"))?;
                if !status.success() {
                    return Err(format!("`just image` failed ({status})"));
                }
                eprintln!("image built in {:?}", started.elapsed());
                Ok(())
            })
            .clone()
            .map(|()| TEST_TAG)
    }

    /// The image's size in bytes, as the runtime reports it (uncompressed).
    pub fn image_size(&self, image: &str) -> u64 {
        self.ok(&["image", "inspect", image, "--format", "{{.Size}}"])
            .parse()
            .expect("an image size")
    }

    /// Starts `run -d --name <unique> <args...>`; removed (with `-f`, and
    /// its anonymous volumes) when the returned container is dropped.
    pub fn start(&self, name: &str, args: &[&str]) -> Container {
        let name = format!("{name}-{}", std::process::id());
        // A container of that name left by a killed earlier run goes first.
        self.run(&["rm", "-f", &name]);
        let mut all = vec!["run", "-d", "--name", &name];
        all.extend_from_slice(args);
        self.ok(&all);
        Container {
            runtime: self.clone(),
            name,
        }
    }
}

/// A container started by [`Runtime::start`].
pub struct Container {
    runtime: Runtime,
    /// Its name.
    pub name: String,
}

impl Container {
    /// Everything it has logged so far (stdout and stderr).
    pub fn logs(&self) -> String {
        let out = self.runtime.run(&["logs", &self.name]);
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    }

    /// Waits until its logs hold `line` as a whole line `times` times;
    /// panics with the logs after `limit`.
    pub fn wait_for_line(&self, line: &str, times: usize, limit: Duration) {
        let deadline = Instant::now() + limit;
        loop {
            let logs = self.logs();
            if logs.lines().filter(|l| l.trim_end() == line).count() >= times {
                return;
            }
            let running =
                self.runtime
                    .ok(&["inspect", &self.name, "--format", "{{.State.Running}}"]);
            assert!(
                running == "true" && Instant::now() < deadline,
                "no {line:?} (x{times}) in {}'s logs (running: {running}):\n{logs}",
                self.name
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// `http://127.0.0.1:PORT` for its port `inner` mapped to the host.
    pub fn url(&self, inner: u16) -> String {
        let mapped = self.runtime.ok(&["port", &self.name, &inner.to_string()]);
        let addr = mapped.lines().next().unwrap_or_default();
        let port = addr.rsplit(':').next().unwrap_or_default();
        format!("http://127.0.0.1:{port}")
    }

    /// Runs `exec <args...>` in it; its output.
    pub fn exec(&self, args: &[&str]) -> Output {
        let mut all = vec!["exec", self.name.as_str()];
        all.extend_from_slice(args);
        self.runtime.run(&all)
    }

    /// Stops it (SIGTERM, then SIGKILL after 10 s) and starts it again.
    pub fn restart(&self) {
        self.runtime.ok(&["stop", &self.name]);
        self.runtime.ok(&["start", &self.name]);
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        self.runtime.run(&["rm", "-f", "-v", &self.name]);
    }
}

/// A named volume, removed when dropped.
pub struct Volume {
    runtime: Runtime,
    /// Its name.
    pub name: String,
}

impl Volume {
    /// Creates the volume `<name>-<pid>`.
    pub fn new(runtime: &Runtime, name: &str) -> Volume {
        let name = format!("{name}-{}", std::process::id());
        runtime.run(&["volume", "rm", "-f", &name]);
        runtime.ok(&["volume", "create", &name]);
        Volume {
            runtime: runtime.clone(),
            name,
        }
    }
}

impl Drop for Volume {
    fn drop(&mut self) {
        self.runtime.run(&["volume", "rm", "-f", &self.name]);
    }
}

/// The container runtime for a test, or `None` after saying visibly that the
/// test is skipped; panics instead when `RUSTSTACK_REQUIRE_CONTAINER` is set
/// (CI installs podman and sets it).
pub fn runtime_or_skip() -> Option<Runtime> {
    let found = Runtime::find();
    if found.is_none() {
        assert!(
            std::env::var_os("RUSTSTACK_REQUIRE_CONTAINER").is_none(),
            "no container runtime answers (apt-get install podman runc)"
        );
        eprintln!(
            "SKIPPED: neither docker nor podman answers; install one (apt-get install podman runc) to run this test"
        );
    }
    found
}
