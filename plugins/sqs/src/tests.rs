//! Unit tests through the test kit: both protocols against the same state.

use ruststack_sdk::testkit::{self, RequestBuilder};
use serde_json::{Value, json};

use crate::Sqs;

fn call(op: &str, body: Value) -> (u16, Value) {
    let req = RequestBuilder::json(&format!("AmazonSQS.{op}"), &body.to_string()).build();
    let (status, body) = testkit::respond::<Sqs>(req);
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

fn query(body: &str) -> (u16, String) {
    let req = RequestBuilder::new("POST", "/")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body.as_bytes())
        .build();
    let (status, body) = testkit::respond::<Sqs>(req);
    (status, String::from_utf8(body).unwrap())
}

fn create(name: &str) -> String {
    let (s, v) = call("CreateQueue", json!({"QueueName": name}));
    assert_eq!(s, 200, "{v}");
    v["QueueUrl"].as_str().unwrap().to_string()
}

#[test]
fn create_is_idempotent_and_conflicts_on_other_attributes() {
    testkit::reset();
    let url = create("q1");
    assert_eq!(url, "http://localhost:4566/000000000000/q1");
    assert_eq!(create("q1"), url);
    let (s, e) = call(
        "CreateQueue",
        json!({"QueueName": "q1", "Attributes": {"VisibilityTimeout": "5"}}),
    );
    assert_eq!(s, 400);
    assert!(
        e["__type"].as_str().unwrap().ends_with("QueueNameExists"),
        "{e}"
    );
    let (s, e) = call("CreateQueue", json!({"QueueName": "bad name"}));
    assert_eq!(s, 400, "{e}");
    let (s, _) = call("CreateQueue", json!({"QueueName": "f.fifo"}));
    assert_eq!(s, 400);
    let (s, _) = call(
        "CreateQueue",
        json!({"QueueName": "f.fifo", "Attributes": {"FifoQueue": "true"}}),
    );
    assert_eq!(s, 200);
}

#[test]
fn send_receive_delete_and_visibility() {
    testkit::reset();
    let url = create("q");
    let (s, v) = call(
        "SendMessage",
        json!({"QueueUrl": url, "MessageBody": "hello",
        "MessageAttributes": {"a": {"DataType": "String", "StringValue": "v"}}}),
    );
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["MD5OfMessageBody"], "5d41402abc4b2a76b9719d911017c592");
    assert!(v["MD5OfMessageAttributes"].is_string());
    let (_, r) = call(
        "ReceiveMessage",
        json!({"QueueUrl": url, "MessageAttributeNames": ["All"], "AttributeNames": ["All"]}),
    );
    let m = &r["Messages"][0];
    assert_eq!(m["Body"], "hello");
    assert_eq!(m["MD5OfMessageAttributes"], v["MD5OfMessageAttributes"]);
    assert_eq!(m["Attributes"]["ApproximateReceiveCount"], "1");
    // In flight: nothing more to receive.
    let (_, r2) = call("ReceiveMessage", json!({"QueueUrl": url}));
    assert!(r2.get("Messages").is_none(), "{r2}");
    let (_, a) = call(
        "GetQueueAttributes",
        json!({"QueueUrl": url, "AttributeNames": ["All"]}),
    );
    assert_eq!(
        a["Attributes"]["ApproximateNumberOfMessagesNotVisible"],
        "1"
    );
    // Visible again at once.
    let handle = m["ReceiptHandle"].as_str().unwrap();
    let (s, _) = call(
        "ChangeMessageVisibility",
        json!({"QueueUrl": url, "ReceiptHandle": handle, "VisibilityTimeout": 0}),
    );
    assert_eq!(s, 200);
    let (_, r3) = call("ReceiveMessage", json!({"QueueUrl": url}));
    let h2 = r3["Messages"][0]["ReceiptHandle"]
        .as_str()
        .unwrap()
        .to_string();
    // The old handle no longer deletes it; the new one does.
    call(
        "DeleteMessage",
        json!({"QueueUrl": url, "ReceiptHandle": handle}),
    );
    let (_, a) = call(
        "GetQueueAttributes",
        json!({"QueueUrl": url, "AttributeNames": ["ApproximateNumberOfMessagesNotVisible"]}),
    );
    assert_eq!(
        a["Attributes"]["ApproximateNumberOfMessagesNotVisible"],
        "1"
    );
    call(
        "DeleteMessage",
        json!({"QueueUrl": url, "ReceiptHandle": h2}),
    );
    let (_, a) = call(
        "GetQueueAttributes",
        json!({"QueueUrl": url, "AttributeNames": ["ApproximateNumberOfMessagesNotVisible"]}),
    );
    assert_eq!(
        a["Attributes"]["ApproximateNumberOfMessagesNotVisible"],
        "0"
    );
    let (s, e) = call(
        "DeleteMessage",
        json!({"QueueUrl": url, "ReceiptHandle": "garbage"}),
    );
    assert_eq!(s, 404);
    assert!(
        e["__type"]
            .as_str()
            .unwrap()
            .ends_with("ReceiptHandleIsInvalid")
    );
}

#[test]
fn long_poll_waits_and_final_call_answers() {
    testkit::reset();
    let url = create("w");
    let body = json!({"QueueUrl": url, "WaitTimeSeconds": 5}).to_string();
    let req = RequestBuilder::json("AmazonSQS.ReceiveMessage", &body).build();
    assert!(matches!(
        testkit::serve::<Sqs>(req),
        Ok(ruststack_sdk::Outcome::Wait(_))
    ));
    let req = RequestBuilder::json("AmazonSQS.ReceiveMessage", &body)
        .final_call()
        .build();
    let (s, _) = testkit::respond::<Sqs>(req);
    assert_eq!(s, 200);
}

#[test]
fn fifo_orders_per_group_and_deduplicates() {
    testkit::reset();
    let (_, v) = call(
        "CreateQueue",
        json!({"QueueName": "f.fifo", "Attributes": {"FifoQueue": "true", "ContentBasedDeduplication": "true"}}),
    );
    let url = v["QueueUrl"].as_str().unwrap().to_string();
    for (body, g) in [("a1", "a"), ("b1", "b"), ("a2", "a")] {
        call(
            "SendMessage",
            json!({"QueueUrl": url, "MessageBody": body, "MessageGroupId": g}),
        );
    }
    let (_, dup) = call(
        "SendMessage",
        json!({"QueueUrl": url, "MessageBody": "a1", "MessageGroupId": "a"}),
    );
    let (_, a) = call(
        "GetQueueAttributes",
        json!({"QueueUrl": url, "AttributeNames": ["ApproximateNumberOfMessages"]}),
    );
    assert_eq!(a["Attributes"]["ApproximateNumberOfMessages"], "3", "{dup}");
    let (_, r) = call(
        "ReceiveMessage",
        json!({"QueueUrl": url, "MaxNumberOfMessages": 1}),
    );
    assert_eq!(r["Messages"][0]["Body"], "a1");
    // Group a is held while a1 is in flight: b1 comes next, never a2.
    let (_, r) = call(
        "ReceiveMessage",
        json!({"QueueUrl": url, "MaxNumberOfMessages": 10}),
    );
    let bodies: Vec<&str> = r["Messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["Body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["b1"]);
    let (s, e) = call("SendMessage", json!({"QueueUrl": url, "MessageBody": "x"}));
    assert_eq!(s, 400, "{e}");
}

#[test]
fn dead_letter_after_max_receives() {
    testkit::reset();
    let dlq = create("dlq");
    let (_, a) = call(
        "GetQueueAttributes",
        json!({"QueueUrl": dlq, "AttributeNames": ["QueueArn"]}),
    );
    let arn = a["Attributes"]["QueueArn"].as_str().unwrap().to_string();
    let policy = json!({"deadLetterTargetArn": arn, "maxReceiveCount": 1}).to_string();
    let (s, v) = call(
        "CreateQueue",
        json!({"QueueName": "src", "Attributes": {"RedrivePolicy": policy}}),
    );
    assert_eq!(s, 200, "{v}");
    let src = v["QueueUrl"].as_str().unwrap().to_string();
    call("SendMessage", json!({"QueueUrl": src, "MessageBody": "x"}));
    let (_, r) = call(
        "ReceiveMessage",
        json!({"QueueUrl": src, "VisibilityTimeout": 0}),
    );
    assert_eq!(r["Messages"][0]["Body"], "x");
    let (_, r) = call("ReceiveMessage", json!({"QueueUrl": src}));
    assert!(r.get("Messages").is_none(), "{r}");
    let (_, r) = call(
        "ReceiveMessage",
        json!({"QueueUrl": dlq, "AttributeNames": ["All"]}),
    );
    assert_eq!(r["Messages"][0]["Body"], "x");
    let (_, srcs) = call("ListDeadLetterSourceQueues", json!({"QueueUrl": dlq}));
    assert_eq!(srcs["queueUrls"][0], src);
}

#[test]
fn query_protocol_and_legacy_error_codes() {
    testkit::reset();
    let (s, x) = query(
        "Action=CreateQueue&Version=2012-11-05&QueueName=qq&Attribute.1.Name=VisibilityTimeout&Attribute.1.Value=7",
    );
    assert_eq!(s, 200, "{x}");
    assert!(
        x.contains("<QueueUrl>http://localhost:4566/000000000000/qq</QueueUrl>"),
        "{x}"
    );
    let (s, x) = query("Action=GetQueueUrl&Version=2012-11-05&QueueName=nope");
    assert_eq!(s, 400);
    assert!(
        x.contains("<Code>AWS.SimpleQueueService.NonExistentQueue</Code>"),
        "{x}"
    );
    let (_, x) = query(
        "Action=GetQueueAttributes&Version=2012-11-05&QueueUrl=http%3A%2F%2Flocalhost%3A4566%2F000000000000%2Fqq&AttributeName.1=VisibilityTimeout",
    );
    assert!(
        x.contains("<Name>VisibilityTimeout</Name><Value>7</Value>"),
        "{x}"
    );
    // JSON errors carry the legacy code in a header.
    let req = RequestBuilder::json("AmazonSQS.GetQueueUrl", r#"{"QueueName":"nope"}"#).build();
    let out = testkit::serve::<Sqs>(req).unwrap();
    let ruststack_sdk::Outcome::Respond(r) = out else {
        panic!()
    };
    let h = r
        .headers
        .iter()
        .find(|(k, _)| k == "x-amzn-query-error")
        .map(|(_, v)| v.clone());
    assert_eq!(
        h.as_deref(),
        Some("AWS.SimpleQueueService.NonExistentQueue;Sender")
    );
}

#[test]
fn queue_url_path_names_the_queue() {
    testkit::reset();
    create("p");
    let req = RequestBuilder::new("POST", "/000000000000/p")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(b"Action=SendMessage&MessageBody=hi")
        .build();
    let (s, x) = testkit::respond::<Sqs>(req);
    assert_eq!(s, 200, "{}", String::from_utf8_lossy(&x));
}

#[test]
fn fifo_receive_attempt_is_repeatable() {
    testkit::reset();
    let (_, v) = call(
        "CreateQueue",
        json!({"QueueName": "r.fifo", "Attributes": {"FifoQueue": "true"}}),
    );
    let url = v["QueueUrl"].as_str().unwrap().to_string();
    call(
        "SendMessage",
        json!({"QueueUrl": url, "MessageBody": "x", "MessageGroupId": "g", "MessageDeduplicationId": "1"}),
    );
    let (_, a) = call(
        "ReceiveMessage",
        json!({"QueueUrl": url, "ReceiveRequestAttemptId": "att"}),
    );
    let (_, b) = call(
        "ReceiveMessage",
        json!({"QueueUrl": url, "ReceiveRequestAttemptId": "att"}),
    );
    assert_eq!(
        a["Messages"][0]["ReceiptHandle"],
        b["Messages"][0]["ReceiptHandle"]
    );
    let (_, c) = call(
        "ReceiveMessage",
        json!({"QueueUrl": url, "ReceiveRequestAttemptId": "other"}),
    );
    assert!(c.get("Messages").is_none(), "{c}");
}

#[test]
fn deleted_messages_leave_no_content_behind() {
    testkit::reset();
    let url = create("c");
    for i in 0..3 {
        call(
            "SendMessage",
            json!({"QueueUrl": url, "MessageBody": format!("m{i}")}),
        );
    }
    let (_, r) = call("ReceiveMessage", json!({"QueueUrl": url}));
    call(
        "DeleteMessage",
        json!({"QueueUrl": url, "ReceiptHandle": r["Messages"][0]["ReceiptHandle"]}),
    );
    let bodies = |n: usize| {
        let prefix = [
            ruststack_sdk::scope::current().prefix().as_slice(),
            b"bodies",
        ]
        .concat();
        let count = testkit::with(|t| t.kv.keys().filter(|k| k.starts_with(&prefix)).count());
        assert_eq!(count, n);
    };
    bodies(2);
    call("PurgeQueue", json!({"QueueUrl": url}));
    bodies(0);
    call("SendMessage", json!({"QueueUrl": url, "MessageBody": "x"}));
    call("DeleteQueue", json!({"QueueUrl": url}));
    bodies(0);
}

#[test]
fn redrive_allow_policy_is_enforced() {
    testkit::reset();
    let allow = json!({"redrivePermission": "byQueue", "sourceQueueArns": ["arn:aws:sqs:us-east-1:000000000000:ok"]}).to_string();
    call(
        "CreateQueue",
        json!({"QueueName": "d", "Attributes": {"RedriveAllowPolicy": allow}}),
    );
    let policy = json!({"deadLetterTargetArn": "arn:aws:sqs:us-east-1:000000000000:d", "maxReceiveCount": 2}).to_string();
    let (s, _) = call(
        "CreateQueue",
        json!({"QueueName": "ok", "Attributes": {"RedrivePolicy": policy}}),
    );
    assert_eq!(s, 200);
    let (s, e) = call(
        "CreateQueue",
        json!({"QueueName": "other", "Attributes": {"RedrivePolicy": policy}}),
    );
    assert_eq!(s, 400);
    assert!(
        e["__type"]
            .as_str()
            .unwrap()
            .ends_with("InvalidAttributeValue"),
        "{e}"
    );
    let url = create("std");
    let (s, _) = call(
        "SendMessage",
        json!({"QueueUrl": url, "MessageBody": "x", "MessageDeduplicationId": "1"}),
    );
    assert_eq!(s, 400);
}

/// A receive run again after lost races starts further into a standard
/// queue, yet no message is skipped for good: draining with re-runs still
/// returns every message once. A first run keeps the queue's order.
#[test]
fn receives_run_again_spread_out_but_miss_nothing() {
    testkit::reset();
    let url = create("spread");
    let sent: Vec<String> = (0..40).map(|i| format!("m{i:02}")).collect();
    for body in &sent {
        let (s, v) = call("SendMessage", json!({"QueueUrl": url, "MessageBody": body}));
        assert_eq!(s, 200, "{v}");
    }
    let receive = |attempt: u32| {
        let body = json!({"QueueUrl": url, "MaxNumberOfMessages": 10, "VisibilityTimeout": 60});
        let req = RequestBuilder::json("AmazonSQS.ReceiveMessage", &body.to_string())
            .attempt(attempt)
            .build();
        let (status, bytes) = testkit::respond::<Sqs>(req);
        assert_eq!(status, 200);
        let v: Value = serde_json::from_slice(&bytes).unwrap();
        v["Messages"]
            .as_array()
            .map(|m| {
                m.iter()
                    .map(|m| m["Body"].as_str().unwrap().to_string())
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    let first = receive(0);
    assert_eq!(first, sent[..10], "a first run takes the head in order");
    let mut got = first;
    loop {
        let batch = receive(8);
        if batch.is_empty() {
            break;
        }
        assert!(batch.len() <= 10);
        got.extend(batch);
    }
    got.sort();
    assert_eq!(got, sent, "every message exactly once");
}

fn bodies(r: &Value) -> Vec<String> {
    r["Messages"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|m| m["Body"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn fifo_receive_hands_out_a_groups_messages_together() {
    testkit::reset();
    let (_, v) = call(
        "CreateQueue",
        json!({"QueueName": "g.fifo", "Attributes": {"FifoQueue": "true", "ContentBasedDeduplication": "true"}}),
    );
    let url = v["QueueUrl"].as_str().unwrap().to_string();
    for (body, g) in [
        ("g1-m1", "g1"),
        ("g2-m1", "g2"),
        ("g2-m2", "g2"),
        ("g3-m1", "g3"),
        ("g1-m2", "g1"),
    ] {
        call(
            "SendMessage",
            json!({"QueueUrl": url, "MessageBody": body, "MessageGroupId": g}),
        );
    }
    let (_, r) = call(
        "ReceiveMessage",
        json!({"QueueUrl": url, "MaxNumberOfMessages": 3, "VisibilityTimeout": 0}),
    );
    assert_eq!(bodies(&r), ["g1-m1", "g1-m2", "g2-m1"]);
    let (_, r) = call(
        "ReceiveMessage",
        json!({"QueueUrl": url, "MaxNumberOfMessages": 10}),
    );
    assert_eq!(bodies(&r), ["g1-m1", "g1-m2", "g2-m1", "g2-m2", "g3-m1"]);
}

#[test]
fn trace_header_and_bare_queue_names() {
    testkit::reset();
    create("t");
    let req = RequestBuilder::json(
        "AmazonSQS.SendMessage",
        &json!({"QueueUrl": "t", "MessageBody": "traced"}).to_string(),
    )
    .header("x-amzn-trace-id", "Root=1-abc")
    .build();
    let (status, body) = testkit::respond::<Sqs>(req);
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(status, 200, "{v}");
    assert!(v.get("MD5OfMessageSystemAttributes").is_none(), "{v}");
    let (_, r) = call(
        "ReceiveMessage",
        json!({"QueueUrl": "t", "MessageSystemAttributeNames": ["AWSTraceHeader"]}),
    );
    assert_eq!(
        r["Messages"][0]["Attributes"],
        json!({"AWSTraceHeader": "Root=1-abc"})
    );
}
