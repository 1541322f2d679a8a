//! Fault injection: a rule answers its AWS error in the caller's protocol
//! and the faulted call has no side effect, other calls work; rules by
//! operation also hold for REST APIs (S3), latency rules slow calls down,
//! and rules come from `--faults FILE` and `/_ruststack/faults`.

mod sqs_common;

use std::time::{Duration, Instant};

use ruststack_tests::{Server, client, get_json, tempdir};
use serde_json::{Value, json};
use sqs_common::{create, ok, query, sqs};

fn add(url: &str, rule: Value) -> (u16, Value) {
    let r = client()
        .post(format!("{url}/_ruststack/faults"))
        .json(&rule)
        .send()
        .unwrap();
    (r.status().as_u16(), r.json().unwrap())
}

fn received(url: &str, q: &str) -> usize {
    let v = ok(
        url,
        "ReceiveMessage",
        json!({"QueueUrl": q, "MaxNumberOfMessages": 10}),
    );
    v["Messages"].as_array().map_or(0, Vec::len)
}

#[test]
fn a_send_message_fault_answers_its_error_and_sends_nothing() {
    let file_dir = tempdir();
    let file = file_dir.path().join("faults.json");
    std::fs::write(
        &file,
        json!([{
            "plugin": "sqs",
            "operation": "SendMessage",
            "probability": 1,
            "error": {"status": 503, "code": "ServiceUnavailable", "message": "Injected."}
        }])
        .to_string(),
    )
    .unwrap();
    let s = Server::start(&["--ephemeral", "--faults", file.to_str().unwrap()]);
    let u = &s.url;
    let q = create(u, "faulty", json!({}));
    // JSON protocol.
    let (status, body) = sqs(
        u,
        "SendMessage",
        json!({"QueueUrl": q, "MessageBody": "lost"}),
    );
    assert_eq!(status, 503, "{body}");
    assert!(
        body["__type"]
            .as_str()
            .unwrap()
            .ends_with("ServiceUnavailable"),
        "{body}"
    );
    assert_eq!(body["message"], "Injected.");
    // Query protocol.
    let (status, _, xml) = query(
        u,
        "/",
        &[
            ("Action", "SendMessage"),
            ("Version", "2012-11-05"),
            ("QueueUrl", &q),
            ("MessageBody", "lost"),
        ],
    );
    assert_eq!(status, 503, "{xml}");
    assert!(xml.contains("<Code>ServiceUnavailable</Code>"), "{xml}");
    // Nothing was sent; other operations work.
    assert_eq!(received(u, &q), 0);
    let listed = ok(u, "ListQueues", json!({}));
    assert_eq!(listed["QueueUrls"].as_array().unwrap().len(), 1);
    // The rule is listed; cleared, sends work again.
    assert_eq!(
        get_json(u, "/_ruststack/faults")["rules"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let cleared: Value = client()
        .delete(format!("{u}/_ruststack/faults"))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(cleared["rules"], json!([]));
    ok(
        u,
        "SendMessage",
        json!({"QueueUrl": q, "MessageBody": "kept"}),
    );
    assert_eq!(received(u, &q), 1);
}

#[test]
fn an_s3_put_object_fault_stores_nothing() {
    let s = Server::start(&["--ephemeral"]);
    let u = &s.url;
    assert_eq!(
        client().put(format!("{u}/faults")).send().unwrap().status(),
        200
    );
    let (status, _) = add(
        u,
        json!({"plugin": "s3", "operation": "PutObject",
               "error": {"status": 500, "code": "InternalError", "message": "Injected."}}),
    );
    assert_eq!(status, 200);
    let r = client()
        .put(format!("{u}/faults/key"))
        .body("body")
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 500);
    let xml = r.text().unwrap();
    assert!(xml.contains("<Code>InternalError</Code>"), "{xml}");
    // Not stored; other S3 operations answer.
    assert_eq!(
        client()
            .head(format!("{u}/faults/key"))
            .send()
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        client().get(format!("{u}/faults")).send().unwrap().status(),
        200
    );
}

#[test]
fn latency_rules_slow_calls_and_bad_rules_are_refused() {
    let s = Server::start(&["--ephemeral"]);
    let u = &s.url;
    let (status, body) = add(
        u,
        json!({"plugin": "sqs", "colour": "red", "latency_ms": 1}),
    );
    assert_eq!(status, 400, "{body}");
    assert!(body["error"].as_str().unwrap().contains("colour"), "{body}");
    let (status, body) = add(u, json!({"plugin": "sqs"}));
    assert_eq!(status, 400, "{body}");
    let (status, _) = add(
        u,
        json!({"plugin": "sqs", "operation": "ListQueues", "latency_ms": 400}),
    );
    assert_eq!(status, 200);
    let started = Instant::now();
    ok(u, "ListQueues", json!({}));
    // A lower bound only: the rule adds at least its latency.
    assert!(started.elapsed() >= Duration::from_millis(400));
    // Other operations are not slowed by it (and answer normally).
    create(u, "fast", json!({}));
}
