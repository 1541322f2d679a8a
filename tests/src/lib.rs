//! Test harness: starts the real `ruststack` binary on a free port and stops
//! it when dropped, so end-to-end tests talk to exactly what users run.

pub mod browser;
pub mod container;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The binary under test: `$RUSTSTACK_BIN` or `target/release/ruststack`.
pub fn binary() -> PathBuf {
    std::env::var_os("RUSTSTACK_BIN")
        .map(PathBuf::from)
        .map(|p| {
            if p.is_absolute() {
                p
            } else {
                workspace().join(p)
            }
        })
        .unwrap_or_else(|| workspace().join("target/release/ruststack"))
}

/// Where `just build-plugins` puts the example and fixture plugins.
pub fn example_plugins() -> PathBuf {
    workspace().join("target/example-plugins")
}

/// A running server.
pub struct Server {
    child: Option<Child>,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The port it listens on.
    pub port: u16,
    /// Its arguments after `serve`, to restart it the same way.
    args: Vec<String>,
    /// Environment variables it was started with.
    env: Vec<(String, String)>,
    /// Its log (stderr) lines so far; they are also passed on to ours.
    log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    /// Its standard output lines so far.
    out: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Server {
    /// Starts `ruststack serve --port 0 <args>` and waits until it listens.
    pub fn start(args: &[&str]) -> Server {
        Self::start_owned(args.iter().map(|s| s.to_string()).collect(), 0, &[])
    }

    /// Like [`Server::start`], with these environment variables set (an
    /// empty value removes the variable).
    pub fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Server {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Self::start_owned(args.iter().map(|s| s.to_string()).collect(), 0, &env)
    }

    fn start_owned(args: Vec<String>, port: u16, env: &[(String, String)]) -> Server {
        let mut cmd = Command::new(binary());
        cmd.arg("serve")
            .arg("--port")
            .arg(port.to_string())
            .args(&args);
        for (k, v) in env {
            if v.is_empty() {
                cmd.env_remove(k);
            } else {
                cmd.env(k, v);
            }
        }
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", binary().display()));
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let stderr = child.stderr.take().expect("piped stderr");
        let kept = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                eprintln!("{line}");
                kept.lock().unwrap().push(line);
            }
        });
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        let out = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let kept_out = out.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("ruststack listening on ") {
                    let _ = tx.send(url.to_string());
                }
                kept_out.lock().unwrap().push(line);
            }
        });
        let url = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(u) => u,
            Err(_) => {
                let _ = child.kill();
                panic!("ruststack did not start within 60 s (args {args:?})");
            }
        };
        let port = url
            .rsplit(':')
            .next()
            .and_then(|p| p.parse().ok())
            .expect("a port in the url");
        Server {
            child: Some(child),
            url,
            port,
            args,
            env: env.to_vec(),
            log,
            out,
        }
    }

    /// The server's standard output lines so far.
    pub fn stdout_lines(&self) -> Vec<String> {
        self.out.lock().unwrap().clone()
    }

    /// Waits up to `timeout` for the standard output line `line`; false if
    /// it did not come.
    pub fn wait_for_stdout(&self, line: &str, timeout: Duration) -> bool {
        let start = Instant::now();
        while start.elapsed() < timeout {
            if self.stdout_lines().iter().any(|l| l == line) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// The server's log lines (stderr) so far.
    pub fn log_lines(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// SIGKILL: no chance to flush or close anything.
    pub fn kill_hard(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Sends a signal (e.g. `libc::SIGTERM`).
    pub fn signal(&self, sig: i32) {
        // SAFETY: kill(2) on our own child's pid.
        unsafe {
            libc::kill(self.pid() as i32, sig);
        }
    }

    /// Waits up to `timeout` for the process to exit; its exit code.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<i32> {
        let child = self.child.as_mut()?;
        let start = Instant::now();
        while start.elapsed() < timeout {
            if let Ok(Some(status)) = child.try_wait() {
                self.child = None;
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// Starts the server again with the same arguments (and port).
    pub fn restart(&mut self) {
        self.kill_hard();
        let next = Self::start_owned(self.args.clone(), self.port, &self.env);
        *self = next;
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill_hard();
    }
}

/// Resident memory of a process in MiB (`VmRSS`).
pub fn rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("reading status");
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .expect("a VmRSS line");
    kb / 1024.0
}

/// The server's `GET /_ruststack/health` answer.
pub fn health(url: &str) -> serde_json::Value {
    get_json(url, "/_ruststack/health")
}

/// The JSON a server answers to `GET <url><path>` (its own endpoints).
pub fn get_json(url: &str, path: &str) -> serde_json::Value {
    client()
        .get(format!("{url}{path}"))
        .send()
        .and_then(|r| r.json())
        .unwrap_or_else(|e| panic!("GET {path}: {e}"))
}

/// Runs `ruststack <args>` (not `serve`) and returns what it printed,
/// panicking with its stderr when it failed.
pub fn ruststack_ok<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> String {
    let out = Command::new(binary()).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "ruststack failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A blocking HTTP client with a generous timeout.
pub fn client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .expect("building the HTTP client")
}

/// A blocking HTTP client that gives up on a request after 10 s: for
/// requests that must be answered at once (hostile inputs, refusals), so
/// that a hang fails the test instead of stalling it.
pub fn quick_client() -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("building the HTTP client")
}

/// The text of the first `<name>` in an XML document, as it stands.
pub fn xml_text<'a>(xml: &'a str, name: &str) -> Option<&'a str> {
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{name}>"))? + start;
    Some(&xml[start..end])
}

/// XML text back to the characters it stands for (named entities and
/// character references); text that is not well-formed is kept as it is.
pub fn xml_unescape(s: &str) -> String {
    quick_xml::escape::unescape(s)
        .map(|t| t.into_owned())
        .unwrap_or_else(|_| s.to_string())
}

/// Every `<name>` text in an XML document.
pub fn xml_all(xml: &str, name: &str) -> Vec<String> {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find(&open) {
        let after = &rest[i + open.len()..];
        let Some(j) = after.find(&close) else { break };
        out.push(after[..j].to_string());
        rest = &after[j + close.len()..];
    }
    out
}

/// Calls a JSON-protocol operation; returns status and parsed body.
pub fn json_call(url: &str, target: &str, body: &str) -> (u16, serde_json::Value) {
    let resp = client()
        .post(format!("{url}/"))
        .header("x-amz-target", target)
        .header("content-type", "application/x-amz-json-1.0")
        .body(body.to_string())
        .send()
        .expect("request failed");
    let status = resp.status().as_u16();
    let text = resp.text().unwrap_or_default();
    (
        status,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
    )
}

/// Calls an operation of the example `counters` plugin.
pub fn counters(url: &str, op: &str, body: &str) -> (u16, serde_json::Value) {
    json_call(url, &format!("Counters_20261128.{op}"), body)
}

/// A private temporary folder.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("creating a temp dir")
}

/// Where a built plugin named `name` is: the example folder, the built-in
/// folder, or cargo's output folder, first found.
pub fn plugin_file(name: &str) -> PathBuf {
    let file = format!("{name}.wasm");
    let candidates = [
        example_plugins().join(&file),
        workspace().join("target/builtin-plugins").join(&file),
        workspace().join("target/wasm32-wasip2/plugin").join(&file),
    ];
    candidates
        .iter()
        .find(|p| p.exists())
        .cloned()
        .unwrap_or_else(|| candidates[0].clone())
}

/// A plugins folder holding copies of the named built plugins.
pub fn plugin_dir(names: &[&str]) -> tempfile::TempDir {
    let dir = tempdir();
    for n in names {
        let src = plugin_file(n);
        std::fs::copy(&src, dir.path().join(format!("{n}.wasm"))).unwrap_or_else(|e| {
            panic!("copying {} (run `just build-plugins`): {e}", src.display())
        });
    }
    dir
}

/// A server that keeps its data in a folder of its own and loads only the
/// named plugins (for restarts: the folders live as long as the returned
/// guards).
pub fn persistent_server(plugins: &[&str]) -> (Server, tempfile::TempDir, tempfile::TempDir) {
    let folder = plugin_dir(plugins);
    let data = tempdir();
    let s = Server::start(&[
        "--data-dir",
        data.path().to_str().unwrap(),
        "--plugins",
        folder.path().to_str().unwrap(),
    ]);
    (s, data, folder)
}

/// What a run of the AWS CLI printed.
pub struct CliOutput {
    /// Exit code.
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

/// The JSON a successful CLI run printed (`{}` when it printed nothing);
/// panics with the CLI's stderr when the run failed.
pub fn cli_ok(out: CliOutput) -> serde_json::Value {
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    if out.stdout.trim().is_empty() {
        serde_json::json!({})
    } else {
        serde_json::from_str(&out.stdout).unwrap()
    }
}

/// The stderr of a CLI run that failed with the AWS error `code` (the CLI
/// prints it in parentheses); panics on success or another error.
pub fn cli_err(out: CliOutput, code: &str) -> String {
    assert_ne!(out.code, 0, "expected {code}, got {}", out.stdout);
    assert!(
        out.stderr.contains(&format!("({code})")),
        "expected {code}: {}",
        out.stderr
    );
    out.stderr
}

/// Runs the AWS CLI (`$AWS_CLI` or `aws` on the PATH) against `url` with
/// test credentials. `data_path` adds service models (botocore's `AWS_DATA_PATH`).
pub fn aws_cli(url: &str, data_path: Option<&Path>, args: &[&str]) -> CliOutput {
    aws_cli_with(url, data_path, &Identity::default(), args)
}

/// Creates, with the AWS CLI, an on-demand DynamoDB table `name` keyed by
/// the string `pk`; what the CLI printed.
pub fn cli_create_table(url: &str, name: &str) -> serde_json::Value {
    cli_ok(aws_cli(
        url,
        None,
        &[
            "dynamodb",
            "create-table",
            "--table-name",
            name,
            "--attribute-definitions",
            "AttributeName=pk,AttributeType=S",
            "--key-schema",
            "AttributeName=pk,KeyType=HASH",
            "--billing-mode",
            "PAY_PER_REQUEST",
        ],
    ))
}

/// Who the AWS CLI calls as: credentials and region.
#[derive(Debug, Clone)]
pub struct Identity {
    /// `AWS_ACCESS_KEY_ID` (a 12-digit one is that account).
    pub access_key: String,
    /// `AWS_SECRET_ACCESS_KEY`.
    pub secret: String,
    /// `AWS_DEFAULT_REGION`.
    pub region: String,
}

impl Identity {
    /// An access key, its secret and a region.
    pub fn new(access_key: &str, secret: &str, region: &str) -> Self {
        Identity {
            access_key: access_key.into(),
            secret: secret.into(),
            region: region.into(),
        }
    }
}

impl Default for Identity {
    /// The `test`/`test` credentials in us-east-1 that emulator users use.
    fn default() -> Self {
        Identity::new("test", "test", "us-east-1")
    }
}

/// The AWS SDK for Rust configuration of the tests: `who`'s credentials and
/// region, the server at `url`, a plain-HTTP client. Every service's client
/// is made from it (`aws_sdk_sqs::Client::new(&sdk_config(..))`; S3's via
/// `aws_sdk_s3::config::Builder::from(&..)` to add path-style addressing).
pub fn sdk_config(url: &str, who: &Identity) -> aws_types::SdkConfig {
    use aws_credential_types::Credentials;
    use aws_credential_types::provider::SharedCredentialsProvider;
    aws_types::SdkConfig::builder()
        .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
        .region(aws_types::region::Region::new(who.region.clone()))
        .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
            &who.access_key,
            &who.secret,
            None,
            None,
            "static",
        )))
        .endpoint_url(url)
        .http_client(aws_smithy_http_client::Builder::new().build_http())
        .build()
}

/// [`aws_cli`] as a given identity.
pub fn aws_cli_with(
    url: &str,
    data_path: Option<&Path>,
    who: &Identity,
    args: &[&str],
) -> CliOutput {
    let exe = std::env::var("AWS_CLI").unwrap_or_else(|_| "aws".into());
    let mut cmd = Command::new(&exe);
    cmd.args(["--endpoint-url", url, "--output", "json"])
        .args(args)
        .env("AWS_ACCESS_KEY_ID", &who.access_key)
        .env("AWS_SECRET_ACCESS_KEY", &who.secret)
        .env("AWS_DEFAULT_REGION", &who.region)
        .env("AWS_PAGER", "")
        .env_remove("AWS_SESSION_TOKEN")
        .env_remove("AWS_PROFILE");
    if let Some(p) = data_path {
        cmd.env("AWS_DATA_PATH", p);
    }
    let out = cmd.output().unwrap_or_else(|e| {
        panic!("running the AWS CLI ({exe}): {e}; `.ci/run` installs it in .venv")
    });
    CliOutput {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}
