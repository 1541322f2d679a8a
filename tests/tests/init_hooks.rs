//! Init hooks in LocalStack's layout (`--init-dir` with `boot.d`, `ready.d`,
//! `shutdown.d`): scripts run in name order with `AWS_ENDPOINT_URL` set and
//! an `awslocal` on `PATH`, `Ready.` is printed after the ready scripts, a
//! failing script is logged with its output and the server goes on, and
//! `/_localstack/init` reports every script's state.

use std::path::Path;
use std::time::Duration;

use ruststack_tests::{Server, aws_cli, cli_ok, get_json, tempdir};

fn script(dir: &Path, stage: &str, name: &str, text: &str) {
    let folder = dir.join(stage);
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join(name), text).unwrap();
}

/// `PATH` with the folder of the AWS CLI the tests use first, so that the
/// server's scripts find the same `aws`.
fn path_with_aws_cli() -> String {
    let path = std::env::var("PATH").unwrap_or_default();
    match std::env::var("AWS_CLI") {
        Ok(cli) => match Path::new(&cli).parent() {
            Some(dir) => format!("{}:{path}", dir.display()),
            None => path,
        },
        Err(_) => path,
    }
}

/// A server running the scripts of `init`, once it printed `Ready.`.
fn start_with(init: &Path) -> Server {
    let s = Server::start_with_env(
        &["--ephemeral", "--init-dir", init.to_str().unwrap()],
        &[("PATH", &path_with_aws_cli())],
    );
    assert!(
        s.wait_for_stdout("Ready.", Duration::from_secs(60)),
        "{:?}",
        s.stdout_lines()
    );
    s
}

#[test]
fn ready_scripts_run_before_ready_and_failures_are_logged() {
    let init = tempdir();
    let marks = tempdir();
    let mark = marks.path().join("booted");
    script(
        init.path(),
        "boot.d",
        "00-mark.sh",
        &format!("echo booted > '{}'\n", mark.display()),
    );
    script(
        init.path(),
        "ready.d",
        "01-bucket.sh",
        "set -e\nawslocal s3 mb s3://made-by-ready\naws --endpoint-url \"$AWS_ENDPOINT_URL\" sqs create-queue --queue-name made-by-ready\n",
    );
    script(
        init.path(),
        "ready.d",
        "02-broken.sh",
        "echo oops-from-script\nexit 3\n",
    );
    // Neither executable nor .sh/.py: not a script.
    script(init.path(), "ready.d", "README.txt", "notes\n");
    let s = start_with(init.path());
    // Right after `Ready.`, what the ready script made is there.
    cli_ok(aws_cli(
        &s.url,
        None,
        &["s3api", "head-bucket", "--bucket", "made-by-ready"],
    ));
    cli_ok(aws_cli(
        &s.url,
        None,
        &["sqs", "get-queue-url", "--queue-name", "made-by-ready"],
    ));
    assert_eq!(std::fs::read_to_string(&mark).unwrap().trim(), "booted");
    // The failing script is in the log with its output; serving goes on.
    let log = s.log_lines().join("\n");
    assert!(log.contains("02-broken.sh failed"), "{log}");
    assert!(log.contains("oops-from-script"), "{log}");
    let report = get_json(&s.url, "/_localstack/init");
    assert_eq!(
        report["completed"],
        serde_json::json!({"BOOT": true, "START": true, "READY": true, "SHUTDOWN": false})
    );
    assert_eq!(
        report["scripts"],
        serde_json::json!([
            {"stage": "BOOT", "name": "00-mark.sh", "state": "SUCCESSFUL"},
            {"stage": "READY", "name": "01-bucket.sh", "state": "SUCCESSFUL"},
            {"stage": "READY", "name": "02-broken.sh", "state": "ERROR"},
        ])
    );
    let ready = get_json(&s.url, "/_localstack/init/ready");
    assert_eq!(ready["completed"], true);
    assert_eq!(ready["scripts"].as_array().unwrap().len(), 2);
}

#[test]
fn shutdown_scripts_run_while_the_server_still_answers() {
    let init = tempdir();
    let marks = tempdir();
    let mark = marks.path().join("shutdown");
    script(
        init.path(),
        "shutdown.d",
        "10-check.sh",
        &format!(
            "awslocal s3api head-bucket --bucket kept && echo answered > '{}'\n",
            mark.display()
        ),
    );
    let mut s = start_with(init.path());
    cli_ok(aws_cli(
        &s.url,
        None,
        &["s3api", "create-bucket", "--bucket", "kept"],
    ));
    s.signal(libc::SIGTERM);
    assert_eq!(s.wait_exit(Duration::from_secs(60)), Some(0));
    assert_eq!(std::fs::read_to_string(&mark).unwrap().trim(), "answered");
}

#[test]
fn without_init_scripts_ready_comes_at_once() {
    let s = Server::start(&["--ephemeral"]);
    assert!(s.wait_for_stdout("Ready.", Duration::from_secs(10)));
    let report = get_json(&s.url, "/_localstack/init");
    assert_eq!(report["scripts"], serde_json::json!([]));
}
