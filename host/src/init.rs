//! Init hooks: scripts run at the server's stages, in LocalStack's layout so
//! that existing setups work unchanged. `--init-dir DIR` holds `boot.d`
//! (before plugins load), `start.d` and `ready.d` (once the server answers;
//! `Ready.` is printed after them) and `shutdown.d` (when it is asked to
//! stop, while it still answers). Each folder's executable files and `.sh`
//! (run with `bash`, else `sh`) and `.py` (`python3`) files run in name
//! order, with `AWS_ENDPOINT_URL` and test credentials set and an `awslocal`
//! on `PATH`. A failing script is logged with its output; the server goes
//! on. `GET /_localstack/init` reports every script's state as LocalStack does.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Instant;

use serde_json::{Value, json};

/// A stage of the server's life, with its folder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Before plugins load and the server listens (`boot.d`).
    Boot,
    /// The server answers (`start.d`).
    Start,
    /// After the start scripts (`ready.d`); then `Ready.` is printed.
    Ready,
    /// Asked to stop, still answering (`shutdown.d`).
    Shutdown,
}

impl Stage {
    const ALL: [Stage; 4] = [Stage::Boot, Stage::Start, Stage::Ready, Stage::Shutdown];

    /// LocalStack's name of the stage.
    pub fn name(self) -> &'static str {
        match self {
            Stage::Boot => "BOOT",
            Stage::Start => "START",
            Stage::Ready => "READY",
            Stage::Shutdown => "SHUTDOWN",
        }
    }

    fn folder(self) -> &'static str {
        match self {
            Stage::Boot => "boot.d",
            Stage::Start => "start.d",
            Stage::Ready => "ready.d",
            Stage::Shutdown => "shutdown.d",
        }
    }

    fn from_name(name: &str) -> Option<Stage> {
        Stage::ALL
            .into_iter()
            .find(|s| s.name().eq_ignore_ascii_case(name))
    }
}

/// One script and how it went.
struct Script {
    stage: Stage,
    path: PathBuf,
    /// `UNKNOWN` (not run yet), `RUNNING`, `SUCCESSFUL` or `ERROR`.
    state: &'static str,
}

/// The init scripts of one server and their states.
pub struct Init {
    dir: Option<PathBuf>,
    /// `AWS_DEFAULT_REGION` for the scripts (the server's default region).
    region: String,
    scripts: Mutex<Vec<Script>>,
    completed: Mutex<Vec<Stage>>,
}

impl Init {
    /// The scripts under `dir` (none without one), all not run yet; they
    /// run with `region` as their default region.
    pub fn new(dir: Option<PathBuf>, region: &str) -> Init {
        let mut scripts = Vec::new();
        if let Some(d) = &dir {
            for stage in Stage::ALL {
                for path in runnable(&d.join(stage.folder())) {
                    scripts.push(Script {
                        stage,
                        path,
                        state: "UNKNOWN",
                    });
                }
            }
        }
        Init {
            dir,
            region: region.to_string(),
            scripts: Mutex::new(scripts),
            completed: Mutex::new(Vec::new()),
        }
    }

    /// Runs the stage's scripts one after another, `endpoint` being the
    /// server's URL for them to call.
    pub async fn run(&self, stage: Stage, endpoint: &str) {
        let paths: Vec<PathBuf> = self
            .scripts
            .lock()
            .unwrap()
            .iter()
            .filter(|s| s.stage == stage)
            .map(|s| s.path.clone())
            .collect();
        for path in paths {
            self.set_state(&path, "RUNNING");
            let ok = run_script(&path, endpoint, self.dir.as_deref(), &self.region).await;
            self.set_state(&path, if ok { "SUCCESSFUL" } else { "ERROR" });
        }
        self.completed.lock().unwrap().push(stage);
    }

    fn set_state(&self, path: &Path, state: &'static str) {
        if let Some(s) = self
            .scripts
            .lock()
            .unwrap()
            .iter_mut()
            .find(|s| s.path == path)
        {
            s.state = state;
        }
    }

    /// `GET /_localstack/init`: which stages are done and every script's state.
    pub fn report(&self) -> Value {
        let done = self.completed.lock().unwrap();
        let completed: serde_json::Map<String, Value> = Stage::ALL
            .into_iter()
            .map(|s| (s.name().to_string(), json!(done.contains(&s))))
            .collect();
        json!({ "completed": completed, "scripts": self.scripts_of(None) })
    }

    /// `GET /_localstack/init/<stage>`: that stage's state, or `None` for a
    /// stage that does not exist.
    pub fn report_stage(&self, name: &str) -> Option<Value> {
        let stage = Stage::from_name(name)?;
        let done = self.completed.lock().unwrap().contains(&stage);
        Some(json!({ "completed": done, "scripts": self.scripts_of(Some(stage)) }))
    }

    fn scripts_of(&self, stage: Option<Stage>) -> Vec<Value> {
        self.scripts
            .lock()
            .unwrap()
            .iter()
            .filter(|s| stage.is_none_or(|st| st == s.stage))
            .map(|s| {
                json!({
                    "stage": s.stage.name(),
                    "name": s.path.file_name().map(|n| n.to_string_lossy().to_string()),
                    "state": s.state,
                })
            })
            .collect()
    }
}

/// A folder's scripts in name order: executable files, `.sh` and `.py`.
fn runnable(folder: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(folder) else {
        return Vec::new();
    };
    let mut out: Vec<PathBuf> = rd
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_file() && (interpreter(p).is_some() || is_executable(p)))
        .collect();
    out.sort();
    out
}

/// How a script by its extension is run, if not by itself.
fn interpreter(path: &Path) -> Option<&'static str> {
    match path.extension()?.to_str()? {
        "sh" => Some(if which("bash") { "bash" } else { "sh" }),
        "py" => Some("python3"),
        _ => None,
    }
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.permissions().mode() & 0o111 != 0)
}

/// Whether a program is on `PATH`.
fn which(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| is_executable(&d.join(program))))
}

/// Runs one script; logs how it went (with its output when it failed).
async fn run_script(path: &Path, endpoint: &str, init_dir: Option<&Path>, region: &str) -> bool {
    let started = Instant::now();
    let mut cmd = match interpreter(path) {
        Some(i) => {
            let mut c = tokio::process::Command::new(i);
            c.arg(path);
            c
        }
        None => tokio::process::Command::new(path),
    };
    if let Some(d) = init_dir {
        cmd.current_dir(d);
    }
    cmd.env("AWS_ENDPOINT_URL", endpoint)
        .env("LOCALSTACK_HOST", endpoint.trim_start_matches("http://"))
        .stdin(std::process::Stdio::null());
    for (k, v) in [
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_DEFAULT_REGION", region),
    ] {
        if std::env::var_os(k).is_none() {
            cmd.env(k, v);
        }
    }
    if let Some(dir) = awslocal_shim() {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let paths = std::iter::once(dir.clone()).chain(std::env::split_paths(&path));
        if let Ok(joined) = std::env::join_paths(paths) {
            cmd.env("PATH", joined);
        }
    }
    let shown = path.display();
    match cmd.output().await {
        Ok(out) => {
            let output = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            let output = output.trim_end();
            if out.status.success() {
                tracing::info!("init script {shown} ran in {:?}", started.elapsed());
                if !output.is_empty() {
                    tracing::debug!("init script {shown} said:\n{output}");
                }
                true
            } else {
                tracing::error!("init script {shown} failed ({}):\n{output}", out.status);
                false
            }
        }
        Err(e) => {
            tracing::error!("init script {shown} could not run: {e}");
            false
        }
    }
}

/// A folder with an `awslocal` (the AWS CLI pointed at this server, as
/// LocalStack's scripts expect) when none is on `PATH`; made once per process.
fn awslocal_shim() -> Option<&'static PathBuf> {
    static SHIM: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();
    SHIM.get_or_init(|| {
        if which("awslocal") {
            return None;
        }
        let dir = std::env::temp_dir().join(format!("ruststack-init-{}", std::process::id()));
        std::fs::create_dir_all(&dir).ok()?;
        let file = dir.join("awslocal");
        std::fs::write(
            &file,
            "#!/bin/sh\nexec aws --endpoint-url \"$AWS_ENDPOINT_URL\" \"$@\"\n",
        )
        .ok()?;
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o755)).ok()?;
        Some(dir)
    })
    .as_ref()
}
