//! SQS through the AWS CLI (JSON protocol, botocore's MD5 checks on).

mod sqs_common;

use ruststack_tests::aws_cli;
use serde_json::{Value, json};
use sqs_common::start;

fn cli(url: &str, args: &[&str]) -> Value {
    let out = aws_cli(url, None, args);
    assert_eq!(out.code, 0, "aws {args:?} failed: {}", out.stderr);
    if out.stdout.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&out.stdout).unwrap()
    }
}

fn cli_err(url: &str, args: &[&str]) -> String {
    let out = aws_cli(url, None, args);
    assert_ne!(out.code, 0, "aws {args:?} should fail: {}", out.stdout);
    out.stderr
}

#[test]
fn queue_lifecycle_attributes_tags_and_errors() {
    let (s, _p) = start(&[]);
    let u = &s.url;
    let url = cli(
        u,
        &[
            "sqs",
            "create-queue",
            "--queue-name",
            "orders",
            "--attributes",
            "VisibilityTimeout=45,DelaySeconds=1",
            "--tags",
            "team=core",
        ],
    )["QueueUrl"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(url, format!("{u}/000000000000/orders"));
    // Same attributes: idempotent; different: QueueAlreadyExists.
    cli(
        u,
        &[
            "sqs",
            "create-queue",
            "--queue-name",
            "orders",
            "--attributes",
            "VisibilityTimeout=45",
        ],
    );
    let e = cli_err(
        u,
        &[
            "sqs",
            "create-queue",
            "--queue-name",
            "orders",
            "--attributes",
            "VisibilityTimeout=5",
        ],
    );
    assert!(e.contains("QueueAlreadyExists"), "{e}");
    for n in ["orders-2", "other"] {
        cli(u, &["sqs", "create-queue", "--queue-name", n]);
    }
    let all = cli(u, &["sqs", "list-queues"]);
    assert_eq!(all["QueueUrls"].as_array().unwrap().len(), 3);
    let some = cli(u, &["sqs", "list-queues", "--queue-name-prefix", "orders"]);
    assert_eq!(some["QueueUrls"].as_array().unwrap().len(), 2);
    // Pagination: the CLI follows NextToken with a page size of 1.
    let paged = cli(u, &["sqs", "list-queues", "--page-size", "1"]);
    assert_eq!(paged["QueueUrls"].as_array().unwrap().len(), 3);

    let attrs = cli(
        u,
        &[
            "sqs",
            "get-queue-attributes",
            "--queue-url",
            &url,
            "--attribute-names",
            "All",
        ],
    )["Attributes"]
        .clone();
    assert_eq!(attrs["VisibilityTimeout"], "45");
    assert_eq!(attrs["DelaySeconds"], "1");
    assert_eq!(
        attrs["QueueArn"],
        "arn:aws:sqs:us-east-1:000000000000:orders"
    );
    assert_eq!(attrs["ApproximateNumberOfMessages"], "0");
    assert!(
        attrs["CreatedTimestamp"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .is_ok()
    );

    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"sqs:SendMessage","Resource":"*"}]}"#;
    cli(
        u,
        &[
            "sqs",
            "set-queue-attributes",
            "--queue-url",
            &url,
            "--attributes",
            &json!({"Policy": policy, "DelaySeconds": "0"}).to_string(),
        ],
    );
    let attrs = cli(
        u,
        &[
            "sqs",
            "get-queue-attributes",
            "--queue-url",
            &url,
            "--attribute-names",
            "Policy",
            "DelaySeconds",
        ],
    )["Attributes"]
        .clone();
    assert_eq!(attrs, json!({"Policy": policy, "DelaySeconds": "0"}));
    // An empty policy removes it.
    cli(
        u,
        &[
            "sqs",
            "set-queue-attributes",
            "--queue-url",
            &url,
            "--attributes",
            r#"{"Policy":""}"#,
        ],
    );
    let attrs = cli(
        u,
        &[
            "sqs",
            "get-queue-attributes",
            "--queue-url",
            &url,
            "--attribute-names",
            "All",
        ],
    )["Attributes"]
        .clone();
    assert!(attrs.get("Policy").is_none(), "{attrs}");
    let e = cli_err(
        u,
        &[
            "sqs",
            "set-queue-attributes",
            "--queue-url",
            &url,
            "--attributes",
            "VisibilityTimeout=99999",
        ],
    );
    assert!(e.contains("InvalidAttributeValue"), "{e}");

    cli(
        u,
        &[
            "sqs",
            "tag-queue",
            "--queue-url",
            &url,
            "--tags",
            "env=dev,owner=me",
        ],
    );
    cli(
        u,
        &[
            "sqs",
            "untag-queue",
            "--queue-url",
            &url,
            "--tag-keys",
            "owner",
        ],
    );
    let tags = cli(u, &["sqs", "list-queue-tags", "--queue-url", &url]);
    assert_eq!(tags["Tags"], json!({"team": "core", "env": "dev"}));

    cli(
        u,
        &[
            "sqs",
            "add-permission",
            "--queue-url",
            &url,
            "--label",
            "p1",
            "--aws-account-ids",
            "111122223333",
            "--actions",
            "SendMessage",
        ],
    );
    let attrs = cli(
        u,
        &[
            "sqs",
            "get-queue-attributes",
            "--queue-url",
            &url,
            "--attribute-names",
            "Policy",
        ],
    );
    let p: Value = serde_json::from_str(attrs["Attributes"]["Policy"].as_str().unwrap()).unwrap();
    assert_eq!(p["Statement"][0]["Sid"], "p1");
    cli(
        u,
        &[
            "sqs",
            "remove-permission",
            "--queue-url",
            &url,
            "--label",
            "p1",
        ],
    );

    let e = cli_err(u, &["sqs", "get-queue-url", "--queue-name", "missing"]);
    assert!(e.contains("AWS.SimpleQueueService.NonExistentQueue"), "{e}");
    let url2 = cli(u, &["sqs", "get-queue-url", "--queue-name", "other"])["QueueUrl"]
        .as_str()
        .unwrap()
        .to_string();
    cli(u, &["sqs", "delete-queue", "--queue-url", &url2]);
    let e = cli_err(u, &["sqs", "get-queue-attributes", "--queue-url", &url2]);
    assert!(e.contains("AWS.SimpleQueueService.NonExistentQueue"), "{e}");
}

#[test]
fn messages_batches_visibility_and_purge() {
    let (s, _p) = start(&[]);
    let u = &s.url;
    let url = cli(u, &["sqs", "create-queue", "--queue-name", "m"])["QueueUrl"]
        .as_str()
        .unwrap()
        .to_string();
    // botocore checks the MD5 digests of the body and attributes.
    let sent = cli(
        u,
        &[
            "sqs",
            "send-message",
            "--queue-url",
            &url,
            "--message-body",
            "hello ✓",
            "--message-attributes",
            r#"{"color":{"DataType":"String","StringValue":"blue"},"n":{"DataType":"Number","StringValue":"42"},"raw":{"DataType":"Binary","BinaryValue":"AQID"}}"#,
        ],
    );
    assert!(sent["MD5OfMessageAttributes"].is_string());
    let got = cli(
        u,
        &[
            "sqs",
            "receive-message",
            "--queue-url",
            &url,
            "--message-attribute-names",
            "All",
            "--attribute-names",
            "All",
        ],
    );
    let m = &got["Messages"][0];
    assert_eq!(m["Body"], "hello ✓");
    assert_eq!(m["MessageAttributes"]["n"]["StringValue"], "42");
    assert_eq!(m["Attributes"]["ApproximateReceiveCount"], "1");
    let handle = m["ReceiptHandle"].as_str().unwrap().to_string();
    // In flight: an empty receive; after visibility 0 it is back.
    assert!(
        cli(u, &["sqs", "receive-message", "--queue-url", &url])
            .get("Messages")
            .is_none()
    );
    cli(
        u,
        &[
            "sqs",
            "change-message-visibility",
            "--queue-url",
            &url,
            "--receipt-handle",
            &handle,
            "--visibility-timeout",
            "0",
        ],
    );
    let again = cli(
        u,
        &[
            "sqs",
            "receive-message",
            "--queue-url",
            &url,
            "--message-attribute-names",
            "col.*",
            "color",
        ],
    );
    assert_eq!(
        again["Messages"][0]["MessageAttributes"],
        json!({"color": {"StringValue": "blue", "DataType": "String"}})
    );
    let h2 = again["Messages"][0]["ReceiptHandle"]
        .as_str()
        .unwrap()
        .to_string();
    cli(
        u,
        &[
            "sqs",
            "delete-message",
            "--queue-url",
            &url,
            "--receipt-handle",
            &h2,
        ],
    );
    let e = cli_err(
        u,
        &[
            "sqs",
            "delete-message",
            "--queue-url",
            &url,
            "--receipt-handle",
            "not-a-handle",
        ],
    );
    assert!(e.contains("ReceiptHandleIsInvalid"), "{e}");
    let e = cli_err(
        u,
        &[
            "sqs",
            "change-message-visibility",
            "--queue-url",
            &url,
            "--receipt-handle",
            &h2,
            "--visibility-timeout",
            "5",
        ],
    );
    assert!(e.contains("InvalidParameterValue"), "{e}");

    let batch = cli(
        u,
        &[
            "sqs",
            "send-message-batch",
            "--queue-url",
            &url,
            "--entries",
            r#"[{"Id":"a","MessageBody":"one"},{"Id":"b","MessageBody":"two","DelaySeconds":0},{"Id":"c","MessageBody":"x","DelaySeconds":901}]"#,
        ],
    );
    assert_eq!(batch["Successful"].as_array().unwrap().len(), 2);
    assert_eq!(batch["Failed"][0]["Id"], "c");
    assert_eq!(batch["Failed"][0]["SenderFault"], true);
    let e = cli_err(
        u,
        &[
            "sqs",
            "send-message-batch",
            "--queue-url",
            &url,
            "--entries",
            r#"[{"Id":"a","MessageBody":"1"},{"Id":"a","MessageBody":"2"}]"#,
        ],
    );
    assert!(e.contains("BatchEntryIdsNotDistinct"), "{e}");
    let got = cli(
        u,
        &[
            "sqs",
            "receive-message",
            "--queue-url",
            &url,
            "--max-number-of-messages",
            "10",
        ],
    );
    let msgs = got["Messages"].as_array().unwrap();
    let bodies: Vec<&str> = msgs.iter().map(|m| m["Body"].as_str().unwrap()).collect();
    assert_eq!(bodies, ["one", "two"]);
    let entries: Vec<Value> = msgs.iter().enumerate().map(|(i, m)| json!({"Id": format!("e{i}"), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0})).collect();
    let changed = cli(
        u,
        &[
            "sqs",
            "change-message-visibility-batch",
            "--queue-url",
            &url,
            "--entries",
            &Value::from(entries.clone()).to_string(),
        ],
    );
    assert_eq!(changed["Successful"].as_array().unwrap().len(), 2);
    let got = cli(
        u,
        &[
            "sqs",
            "receive-message",
            "--queue-url",
            &url,
            "--max-number-of-messages",
            "10",
        ],
    );
    let entries: Vec<Value> = got["Messages"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
        .map(|(i, m)| json!({"Id": format!("d{i}"), "ReceiptHandle": m["ReceiptHandle"]}))
        .collect();
    let deleted = cli(
        u,
        &[
            "sqs",
            "delete-message-batch",
            "--queue-url",
            &url,
            "--entries",
            &Value::from(entries).to_string(),
        ],
    );
    assert_eq!(deleted["Successful"].as_array().unwrap().len(), 2);

    // Delay: counted as delayed, not receivable yet.
    cli(
        u,
        &[
            "sqs",
            "send-message",
            "--queue-url",
            &url,
            "--message-body",
            "later",
            "--delay-seconds",
            "30",
        ],
    );
    cli(
        u,
        &[
            "sqs",
            "send-message",
            "--queue-url",
            &url,
            "--message-body",
            "now",
        ],
    );
    let attrs = cli(
        u,
        &[
            "sqs",
            "get-queue-attributes",
            "--queue-url",
            &url,
            "--attribute-names",
            "All",
        ],
    )["Attributes"]
        .clone();
    assert_eq!(
        (
            attrs["ApproximateNumberOfMessagesDelayed"].as_str(),
            attrs["ApproximateNumberOfMessages"].as_str()
        ),
        (Some("1"), Some("1"))
    );
    cli(u, &["sqs", "purge-queue", "--queue-url", &url]);
    let attrs = cli(
        u,
        &[
            "sqs",
            "get-queue-attributes",
            "--queue-url",
            &url,
            "--attribute-names",
            "All",
        ],
    )["Attributes"]
        .clone();
    assert_eq!(attrs["ApproximateNumberOfMessagesDelayed"], "0");
    let e = cli_err(u, &["sqs", "purge-queue", "--queue-url", &url]);
    assert!(e.contains("PurgeQueueInProgress"), "{e}");
    let e = cli_err(
        u,
        &[
            "sqs",
            "send-message",
            "--queue-url",
            &url,
            "--message-body",
            "bad \u{1}",
        ],
    );
    assert!(e.contains("InvalidMessageContents"), "{e}");
    let dir = ruststack_tests::tempdir();
    let big = dir.path().join("big.txt");
    // One byte over the default MaximumMessageSize, 1 MiB.
    std::fs::write(&big, "x".repeat(1_048_577)).unwrap();
    let arg = format!("file://{}", big.display());
    let e = cli_err(
        u,
        &[
            "sqs",
            "send-message",
            "--queue-url",
            &url,
            "--message-body",
            &arg,
        ],
    );
    assert!(e.contains("InvalidParameterValue"), "{e}");
}

#[test]
fn fifo_groups_deduplication_and_dead_letter_queues() {
    let (s, _p) = start(&[]);
    let u = &s.url;
    let e = cli_err(u, &["sqs", "create-queue", "--queue-name", "f.fifo"]);
    assert!(e.contains("InvalidParameterValue"), "{e}");
    let url = cli(
        u,
        &[
            "sqs",
            "create-queue",
            "--queue-name",
            "f.fifo",
            "--attributes",
            "FifoQueue=true",
        ],
    )["QueueUrl"]
        .as_str()
        .unwrap()
        .to_string();
    let e = cli_err(
        u,
        &[
            "sqs",
            "send-message",
            "--queue-url",
            &url,
            "--message-body",
            "x",
            "--message-group-id",
            "g",
        ],
    );
    assert!(e.contains("ContentBasedDeduplication"), "{e}");
    let first = cli(
        u,
        &[
            "sqs",
            "send-message",
            "--queue-url",
            &url,
            "--message-body",
            "a1",
            "--message-group-id",
            "a",
            "--message-deduplication-id",
            "d1",
        ],
    );
    let dup = cli(
        u,
        &[
            "sqs",
            "send-message",
            "--queue-url",
            &url,
            "--message-body",
            "a1",
            "--message-group-id",
            "a",
            "--message-deduplication-id",
            "d1",
        ],
    );
    assert_eq!(first["MessageId"], dup["MessageId"]);
    assert_eq!(first["SequenceNumber"].as_str().unwrap().len(), 20);
    cli(
        u,
        &[
            "sqs",
            "send-message",
            "--queue-url",
            &url,
            "--message-body",
            "a2",
            "--message-group-id",
            "a",
            "--message-deduplication-id",
            "d2",
        ],
    );
    cli(
        u,
        &[
            "sqs",
            "send-message",
            "--queue-url",
            &url,
            "--message-body",
            "b1",
            "--message-group-id",
            "b",
            "--message-deduplication-id",
            "d3",
        ],
    );
    let got = cli(
        u,
        &[
            "sqs",
            "receive-message",
            "--queue-url",
            &url,
            "--max-number-of-messages",
            "10",
            "--attribute-names",
            "All",
        ],
    );
    let bodies: Vec<&str> = got["Messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["Body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["a1", "a2", "b1"]);
    assert_eq!(got["Messages"][0]["Attributes"]["MessageGroupId"], "a");
    // Both groups are held while their messages are in flight.
    assert!(
        cli(u, &["sqs", "receive-message", "--queue-url", &url])
            .get("Messages")
            .is_none()
    );

    let dlq = cli(u, &["sqs", "create-queue", "--queue-name", "dlq"])["QueueUrl"]
        .as_str()
        .unwrap()
        .to_string();
    let policy = json!({"deadLetterTargetArn": "arn:aws:sqs:us-east-1:000000000000:dlq", "maxReceiveCount": "2"}).to_string();
    let src = cli(
        u,
        &[
            "sqs",
            "create-queue",
            "--queue-name",
            "src",
            "--attributes",
            &json!({"RedrivePolicy": policy}).to_string(),
        ],
    )["QueueUrl"]
        .as_str()
        .unwrap()
        .to_string();
    cli(
        u,
        &[
            "sqs",
            "send-message",
            "--queue-url",
            &src,
            "--message-body",
            "poison",
        ],
    );
    for _ in 0..2 {
        let got = cli(
            u,
            &[
                "sqs",
                "receive-message",
                "--queue-url",
                &src,
                "--visibility-timeout",
                "0",
            ],
        );
        assert_eq!(got["Messages"][0]["Body"], "poison");
    }
    assert!(
        cli(u, &["sqs", "receive-message", "--queue-url", &src])
            .get("Messages")
            .is_none()
    );
    let got = cli(
        u,
        &[
            "sqs",
            "receive-message",
            "--queue-url",
            &dlq,
            "--attribute-names",
            "All",
            "--visibility-timeout",
            "0",
        ],
    );
    assert_eq!(got["Messages"][0]["Body"], "poison");
    let sources = cli(
        u,
        &["sqs", "list-dead-letter-source-queues", "--queue-url", &dlq],
    );
    assert_eq!(sources["queueUrls"], json!([src]));
    // Redrive back to the source.
    let task = cli(
        u,
        &[
            "sqs",
            "start-message-move-task",
            "--source-arn",
            "arn:aws:sqs:us-east-1:000000000000:dlq",
        ],
    );
    assert!(task["TaskHandle"].is_string());
    let tasks = cli(
        u,
        &[
            "sqs",
            "list-message-move-tasks",
            "--source-arn",
            "arn:aws:sqs:us-east-1:000000000000:dlq",
        ],
    );
    assert_eq!(tasks["Results"][0]["Status"], "COMPLETED");
    assert_eq!(tasks["Results"][0]["ApproximateNumberOfMessagesMoved"], 1);
    let got = cli(u, &["sqs", "receive-message", "--queue-url", &src]);
    assert_eq!(got["Messages"][0]["Body"], "poison");
}
