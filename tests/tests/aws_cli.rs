//! The AWS CLI, given the example plugin's service model, talks to it like to
//! any AWS service: botocore signs the requests and parses our answers.

use ruststack_tests::{Server, aws_cli, plugin_dir, tempdir, workspace};

#[test]
fn the_aws_cli_drives_the_example_plugin_from_its_model() {
    let plugins = plugin_dir(&["counters"]);
    let s = Server::start(&["--ephemeral", "--plugins", plugins.path().to_str().unwrap()]);
    let data = tempdir();
    let models = data.path().join("counters/2026-11-28");
    std::fs::create_dir_all(&models).unwrap();
    std::fs::copy(
        workspace().join("plugins/examples/counters/model.json"),
        models.join("service-2.json"),
    )
    .unwrap();
    let aws = |args: &[&str]| aws_cli(&s.url, Some(data.path()), args);

    let out = aws(&[
        "counters",
        "create-counter",
        "--name",
        "cli",
        "--initial-value",
        "3",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["Counter"]["Value"], 3);
    assert!(
        v["Counter"]["UpdatedAt"].as_f64().unwrap() > 1.7e9,
        "timestamps parse as epoch seconds"
    );

    let out = aws(&[
        "counters",
        "set-counter",
        "--name",
        "cli",
        "--value",
        "9",
        "--expected-value",
        "4",
    ]);
    assert_ne!(out.code, 0);
    assert!(
        out.stderr.contains("(ConditionalCheckFailedException)"),
        "{}",
        out.stderr
    );

    let out = aws(&[
        "counters",
        "increment-counter",
        "--name",
        "cli",
        "--by",
        "2",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = aws(&["counters", "get-counter", "--name", "cli"]);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["Counter"]["Value"], 5);

    let out = aws(&["counters", "get-counter", "--name", "missing"]);
    assert_ne!(out.code, 0);
    assert!(
        out.stderr.contains("(ResourceNotFoundException)"),
        "{}",
        out.stderr
    );
}
