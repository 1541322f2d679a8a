//! SQS state survives SIGKILL: queues, visible messages, and in-flight
//! messages whose visibility timeout keeps running across the restart.

mod sqs_common;

use std::time::{Duration, Instant};

use serde_json::json;
use sqs_common::{create, ok, sqs, start};

#[test]
fn queues_and_messages_survive_sigkill() {
    let data = ruststack_tests::tempdir();
    let (mut s, _p) = start(&["--data-dir", data.path().to_str().unwrap()]);
    let q = create(&s.url, "durable", json!({"VisibilityTimeout": "30"}));
    let f = create(&s.url, "durable.fifo", json!({"FifoQueue": "true"}));
    ok(
        &s.url,
        "TagQueue",
        json!({"QueueUrl": q, "Tags": {"k": "v"}}),
    );
    for i in 0..5 {
        ok(
            &s.url,
            "SendMessage",
            json!({"QueueUrl": q, "MessageBody": format!("m{i}")}),
        );
    }
    ok(
        &s.url,
        "SendMessage",
        json!({"QueueUrl": f, "MessageBody": "f1", "MessageGroupId": "g", "MessageDeduplicationId": "d1"}),
    );
    // Two in flight: one for 4 s, one for an hour.
    let short = ok(
        &s.url,
        "ReceiveMessage",
        json!({"QueueUrl": q, "VisibilityTimeout": 4}),
    );
    let long = ok(
        &s.url,
        "ReceiveMessage",
        json!({"QueueUrl": q, "VisibilityTimeout": 3600}),
    );
    let received_at = Instant::now();
    let short_body = short["Messages"][0]["Body"].as_str().unwrap().to_string();
    let long_handle = long["Messages"][0]["ReceiptHandle"]
        .as_str()
        .unwrap()
        .to_string();

    s.kill_hard();
    s.restart();

    let attrs = ok(
        &s.url,
        "GetQueueAttributes",
        json!({"QueueUrl": q, "AttributeNames": ["All"]}),
    );
    assert_eq!(
        attrs["Attributes"]["ApproximateNumberOfMessages"], "3",
        "{attrs}"
    );
    assert_eq!(
        attrs["Attributes"]["ApproximateNumberOfMessagesNotVisible"],
        "2"
    );
    assert_eq!(
        ok(&s.url, "ListQueueTags", json!({"QueueUrl": q}))["Tags"],
        json!({"k": "v"})
    );
    // The FIFO deduplication window survives too.
    let dup = ok(
        &s.url,
        "SendMessage",
        json!({"QueueUrl": f, "MessageBody": "f1", "MessageGroupId": "g", "MessageDeduplicationId": "d1"}),
    );
    let fa = ok(
        &s.url,
        "GetQueueAttributes",
        json!({"QueueUrl": f, "AttributeNames": ["ApproximateNumberOfMessages"]}),
    );
    assert_eq!(
        fa["Attributes"]["ApproximateNumberOfMessages"], "1",
        "{dup}"
    );

    // Drain the visible ones, then the short-lived in-flight one comes back
    // when its timer (set before the crash) ends.
    let mut bodies = Vec::new();
    for _ in 0..3 {
        let out = ok(
            &s.url,
            "ReceiveMessage",
            json!({"QueueUrl": q, "VisibilityTimeout": 600}),
        );
        bodies.push(out["Messages"][0]["Body"].as_str().unwrap().to_string());
    }
    assert!(!bodies.contains(&short_body));
    let out = ok(
        &s.url,
        "ReceiveMessage",
        json!({"QueueUrl": q, "WaitTimeSeconds": 10}),
    );
    assert_eq!(out["Messages"][0]["Body"], short_body.as_str());
    let waited = received_at.elapsed();
    assert!(
        waited >= Duration::from_millis(3500) && waited < Duration::from_secs(9),
        "{waited:?}"
    );
    assert_eq!(out["Messages"][0]["Attributes"], serde_json::Value::Null);
    // The old receipt handle of the long one still works after the restart.
    let (st, v) = sqs(
        &s.url,
        "DeleteMessage",
        json!({"QueueUrl": q, "ReceiptHandle": long_handle}),
    );
    assert_eq!(st, 200, "{v}");
    let attrs = ok(
        &s.url,
        "GetQueueAttributes",
        json!({"QueueUrl": q, "AttributeNames": ["ApproximateNumberOfMessagesNotVisible"]}),
    );
    assert_eq!(
        attrs["Attributes"]["ApproximateNumberOfMessagesNotVisible"],
        "4"
    );
}
