//! The image as a LocalStack substitute under Testcontainers: Python's
//! `testcontainers` LocalStack module (Ryuk off) starts it through the
//! runtime's Docker API (podman's socket, started here, when the runtime is
//! podman), waits for `Ready.`, and boto3 makes a bucket and a queue.
//!
//! Skipped with a visible message without a container runtime or the Python
//! package, unless `RUSTSTACK_REQUIRE_CONTAINER` is set (CI installs both).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ruststack_tests::container::runtime_or_skip;
use ruststack_tests::workspace;

/// `podman system service` on a socket of its own, stopped when dropped.
struct PodmanSocket {
    child: Child,
    path: std::path::PathBuf,
}

impl PodmanSocket {
    fn start(program: &str) -> PodmanSocket {
        let path =
            std::env::temp_dir().join(format!("ruststack-podman-{}.sock", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let child = Command::new(program)
            .args(["system", "service", "--time=0"])
            .arg(format!("unix://{}", path.display()))
            .stdout(Stdio::null())
            .spawn()
            .expect("starting podman's API service");
        let deadline = Instant::now() + Duration::from_secs(20);
        while !path.exists() {
            assert!(Instant::now() < deadline, "podman's socket did not appear");
            std::thread::sleep(Duration::from_millis(50));
        }
        PodmanSocket { child, path }
    }
}

impl Drop for PodmanSocket {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.path);
    }
}

#[test]
fn testcontainers_localstack_module_starts_the_image_in_localstacks_place() {
    let Some(rt) = runtime_or_skip() else { return };
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let has_module = Command::new(&python)
        .args(["-c", "import testcontainers.community.localstack"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !has_module {
        assert!(
            std::env::var_os("RUSTSTACK_REQUIRE_CONTAINER").is_none(),
            "{python} has no testcontainers (pip install testcontainers)"
        );
        eprintln!(
            "SKIPPED: {python} has no testcontainers; pip install testcontainers to run this test"
        );
        return;
    }
    let image = rt.build_image().unwrap();
    let socket = rt.is_podman().then(|| PodmanSocket::start(&rt.program));
    let mut cmd = Command::new(&python);
    cmd.arg(workspace().join("tests/python/testcontainers_localstack.py"))
        .arg(image)
        .env("TESTCONTAINERS_RYUK_DISABLED", "true")
        // The containers' ports are published on this machine; left to
        // guess, testcontainers takes a `/.dockerenv` (this machine may
        // itself be a container) for Docker-in-Docker and asks for a gateway.
        .env("TESTCONTAINERS_CONNECTION_MODE", "docker_host");
    if let Some(s) = &socket {
        cmd.env("DOCKER_HOST", format!("unix://{}", s.path.display()));
    }
    let out = cmd.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let got: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{stderr}", String::from_utf8_lossy(&out.stdout)));
    let url = got["url"].as_str().unwrap();
    assert!(url.starts_with("http://"), "{got}");
    assert_eq!(got["buckets"], serde_json::json!(["tc-bucket"]));
    assert_eq!(got["location"], "eu-west-1");
    assert_eq!(got["object"], "from testcontainers");
    assert!(
        got["queue_url"]
            .as_str()
            .unwrap()
            .ends_with("/000000000000/tc-queue"),
        "{got}"
    );
    assert_eq!(got["received"], serde_json::json!(["hello"]));
}
