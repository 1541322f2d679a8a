//! S3 event notifications delivered to a real SQS queue (the SQS plugin)
//! through the host's `invoke`, in AWS's event JSON.

use ruststack_tests::{Server, aws_cli, plugin_dir};
use serde_json::Value;

#[test]
fn object_events_reach_the_configured_queue() {
    let plugins = plugin_dir(&["s3", "sqs"]);
    let s = Server::start(&["--ephemeral", "--plugins", plugins.path().to_str().unwrap()]);
    let ok = |args: &[&str]| -> Value {
        let out = aws_cli(&s.url, None, args);
        assert_eq!(out.code, 0, "aws {args:?}: {}", out.stderr);
        serde_json::from_str(&out.stdout).unwrap_or(Value::Null)
    };
    let q = ok(&["sqs", "create-queue", "--queue-name", "s3-events"]);
    let url = q["QueueUrl"].as_str().unwrap().to_string();
    let attrs = ok(&[
        "sqs",
        "get-queue-attributes",
        "--queue-url",
        &url,
        "--attribute-names",
        "QueueArn",
    ]);
    let arn = attrs["Attributes"]["QueueArn"]
        .as_str()
        .unwrap()
        .to_string();
    ok(&["s3", "mb", "s3://notified"]);
    let cfg = format!(
        r#"{{"QueueConfigurations":[{{"Id":"all","QueueArn":"{arn}","Events":["s3:ObjectCreated:*","s3:ObjectRemoved:*"],"Filter":{{"Key":{{"FilterRules":[{{"Name":"prefix","Value":"in/"}}]}}}}}}]}}"#
    );
    ok(&[
        "s3api",
        "put-bucket-notification-configuration",
        "--bucket",
        "notified",
        "--notification-configuration",
        &cfg,
    ]);
    let dir = ruststack_tests::tempdir();
    let f = dir.path().join("f");
    std::fs::write(&f, "12345").unwrap();
    ok(&[
        "s3api",
        "put-object",
        "--bucket",
        "notified",
        "--key",
        "out/ignored",
        "--body",
        f.to_str().unwrap(),
    ]);
    ok(&[
        "s3api",
        "put-object",
        "--bucket",
        "notified",
        "--key",
        "in/a b.txt",
        "--body",
        f.to_str().unwrap(),
    ]);
    ok(&[
        "s3api",
        "delete-object",
        "--bucket",
        "notified",
        "--key",
        "in/a b.txt",
    ]);

    let mut events = Vec::new();
    for _ in 0..10 {
        let r = ok(&[
            "sqs",
            "receive-message",
            "--queue-url",
            &url,
            "--wait-time-seconds",
            "2",
            "--max-number-of-messages",
            "10",
        ]);
        for m in r["Messages"].as_array().into_iter().flatten() {
            let body: Value = serde_json::from_str(m["Body"].as_str().unwrap()).unwrap();
            events.push(body);
            ok(&[
                "sqs",
                "delete-message",
                "--queue-url",
                &url,
                "--receipt-handle",
                m["ReceiptHandle"].as_str().unwrap(),
            ]);
        }
        if events.len() >= 2 {
            break;
        }
    }
    assert_eq!(events.len(), 2, "{events:?}");
    events.sort_by_key(|e| e["Records"][0]["eventName"].as_str().unwrap().to_string());
    let created = &events[0]["Records"][0];
    assert_eq!(created["eventSource"], "aws:s3");
    assert_eq!(created["eventName"], "ObjectCreated:Put");
    assert_eq!(created["s3"]["bucket"]["name"], "notified");
    assert_eq!(created["s3"]["bucket"]["arn"], "arn:aws:s3:::notified");
    assert_eq!(created["s3"]["object"]["key"], "in/a+b.txt");
    assert_eq!(created["s3"]["object"]["size"], 5);
    assert_eq!(
        created["s3"]["object"]["eTag"],
        "827ccb0eea8a706c4c34a16891f84e7b"
    );
    assert_eq!(created["s3"]["configurationId"], "all");
    assert_eq!(events[1]["Records"][0]["eventName"], "ObjectRemoved:Delete");
}
