//! Memory stays bounded whatever the request: bodies over a service's limit
//! are refused before they are read or decoded, oversized DynamoDB items
//! before they are built, and plugin instances together share one budget;
//! a call stopped by memory is answered as throttling and the server carries on.

use std::process::Command;
use std::time::Duration;

use ruststack_tests::{Server, health, json_call, plugin_dir, rss_mb, tempdir};

/// Sends `body` (written to a file) with curl, which waits for the server's
/// `100 Continue` before sending a large body, as SDKs' HTTP clients do;
/// returns status and body.
fn curl(method: &str, url: &str, headers: &[&str], body: &[u8]) -> (u16, String) {
    let dir = tempdir();
    let file = dir.path().join("body");
    std::fs::write(&file, body).unwrap();
    let mut cmd = Command::new("curl");
    cmd.args(["-s", "-X", method, "-w", "\n%{http_code}", "--data-binary"])
        .arg(format!("@{}", file.display()));
    for h in headers {
        cmd.args(["-H", h]);
    }
    let out = cmd.arg(url).output().expect("running curl");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let (body, status) = text.rsplit_once('\n').expect("a status line");
    (status.trim().parse().unwrap_or(0), body.to_string())
}

/// An `Authorization` header whose credential scope names `service`.
fn signed_for(service: &str) -> String {
    format!(
        "Authorization: AWS4-HMAC-SHA256 Credential=test/20261204/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=00"
    )
}

fn ddb(url: &str, op: &str, body: &str) -> (u16, serde_json::Value) {
    json_call(url, &format!("DynamoDB_20120810.{op}"), body)
}

/// A PutItem of a `len`-byte item made of many small list elements (each
/// takes far more memory decoded than its few bytes of JSON).
fn many_small_elements(len: usize) -> String {
    let n = len / 10;
    let mut body = String::with_capacity(len + 100);
    body.push_str(r#"{"TableName":"big","Item":{"id":{"S":"a"},"l":{"L":["#);
    for i in 0..n {
        if i > 0 {
            body.push(',');
        }
        body.push_str(r#"{"N":"1"}"#);
    }
    body.push_str("]}}}");
    body
}

fn create_table(url: &str) {
    let (st, body) = ddb(
        url,
        "CreateTable",
        r#"{"TableName":"big","BillingMode":"PAY_PER_REQUEST",
            "AttributeDefinitions":[{"AttributeName":"id","AttributeType":"S"}],
            "KeySchema":[{"AttributeName":"id","KeyType":"HASH"}]}"#,
    );
    assert_eq!(st, 200, "{body}");
}

/// Lets the server fall idle long enough for its idle trimmer to run.
fn settle() {
    std::thread::sleep(Duration::from_millis(2500));
}

#[test]
fn four_concurrent_15_mb_items_are_refused_and_memory_comes_back() {
    let data = tempdir();
    let s = Server::start(&["--data-dir", data.path().to_str().unwrap()]);
    create_table(&s.url);
    let (st, _) = ddb(
        &s.url,
        "PutItem",
        r#"{"TableName":"big","Item":{"id":{"S":"small"}}}"#,
    );
    assert_eq!(st, 200);
    settle();
    let before = rss_mb(s.pid());

    let body = many_small_elements(15 * 1024 * 1024);
    let answers: Vec<(u16, serde_json::Value)> = std::thread::scope(|scope| {
        let calls: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| ddb(&s.url, "PutItem", &body)))
            .collect();
        calls.into_iter().map(|c| c.join().unwrap()).collect()
    });
    for (st, err) in &answers {
        assert_eq!(*st, 400, "{err}");
        assert_eq!(
            err["__type"], "com.amazonaws.dynamodb.v20120810#ValidationException",
            "{err}"
        );
        assert_eq!(
            err["message"], "Item size has exceeded the maximum allowed size",
            "{err}"
        );
    }
    // The server serves on, and nothing was written.
    let (st, got) = ddb(
        &s.url,
        "GetItem",
        r#"{"TableName":"big","Key":{"id":{"S":"a"}}}"#,
    );
    assert_eq!((st, got.get("Item")), (200, None), "{got}");
    settle();
    let after = rss_mb(s.pid());
    assert!(
        after <= before + 10.0,
        "RSS {before:.1} MiB before, {after:.1} MiB after the attack"
    );
}

#[test]
fn bodies_over_a_services_limit_are_refused_in_its_words() {
    let s = Server::start(&["--ephemeral"]);
    // DynamoDB: over 16 MB, refused from its declared length.
    let big = vec![b' '; 17 * 1024 * 1024];
    let (st, body) = curl(
        "POST",
        &format!("{}/", s.url),
        &[
            "X-Amz-Target: DynamoDB_20120810.BatchWriteItem",
            "Content-Type: application/x-amz-json-1.0",
        ],
        &big,
    );
    assert_eq!(st, 400, "{body}");
    assert!(body.contains("ValidationException"), "{body}");
    assert!(body.contains("16777216"), "{body}");

    // SQS (JSON): a request no valid batch comes near.
    let (st, body) = curl(
        "POST",
        &format!("{}/", s.url),
        &[
            "X-Amz-Target: AmazonSQS.SendMessage",
            "Content-Type: application/x-amz-json-1.0",
        ],
        &vec![b' '; 9 * 1024 * 1024],
    );
    assert_eq!(st, 400, "{body}");
    assert!(body.contains("InvalidParameterValue"), "{body}");

    // SNS (query form, routed by its signature's scope).
    let mut form = b"Action=Publish&Version=2010-03-31&TopicArn=x&Message=".to_vec();
    form.resize(3 * 1024 * 1024, b'a');
    let (st, body) = curl(
        "POST",
        &format!("{}/", s.url),
        &[
            "Content-Type: application/x-www-form-urlencoded",
            &signed_for("sns"),
        ],
        &form,
    );
    assert_eq!(st, 400, "{body}");
    assert!(body.contains("<Code>InvalidParameter</Code>"), "{body}");
    assert!(body.contains("Message too long"), "{body}");

    // The server is fine afterwards.
    let (st, _) = ddb(&s.url, "ListTables", "{}");
    assert_eq!(st, 200);
}

#[test]
fn s3_documents_are_limited_in_size_and_depth() {
    let s = Server::start(&["--ephemeral"]);
    let client = ruststack_tests::client();
    let st = client
        .put(format!("{}/docs", s.url))
        .send()
        .unwrap()
        .status();
    assert_eq!(st.as_u16(), 200);

    let mut doc = b"<Tagging><TagSet>".to_vec();
    doc.resize(5 * 1024 * 1024, b' ');
    doc.extend_from_slice(b"</TagSet></Tagging>");
    let (st, body) = curl("PUT", &format!("{}/docs?tagging", s.url), &[], &doc);
    assert_eq!(st, 400, "{body}");
    assert!(
        body.contains("<Code>MaxMessageLengthExceeded</Code>"),
        "{body}"
    );

    let deep = format!(
        "<Tagging>{}{}</Tagging>",
        "<TagSet>".repeat(5000),
        "</TagSet>".repeat(5000)
    );
    let (st, body) = curl(
        "PUT",
        &format!("{}/docs?tagging", s.url),
        &[],
        deep.as_bytes(),
    );
    assert_eq!(st, 400, "{body}");
    assert!(body.contains("<Code>MalformedXML</Code>"), "{body}");

    // Still serving, tagging unchanged.
    let resp = client
        .get(format!("{}/docs?tagging", s.url))
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 404);
    assert!(resp.text().unwrap().contains("NoSuchTagSet"));
}

#[test]
fn instances_share_one_memory_budget_and_a_refusal_is_throttling() {
    let plugins = plugin_dir(&["misbehave"]);
    let s = Server::start(&[
        "--ephemeral",
        "--plugins",
        plugins.path().to_str().unwrap(),
        "--memory-limit-mb",
        "128",
        "--total-memory-limit-mb",
        "160",
    ]);
    let limit = health(&s.url)["plugin_memory"]["limit_bytes"]
        .as_u64()
        .unwrap();
    assert_eq!(limit, 160 << 20);
    // Four hogs at once: each may grow to 128 MiB alone, but not all together.
    let answers: Vec<(u16, serde_json::Value)> = std::thread::scope(|scope| {
        let calls: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| json_call(&s.url, "Misbehave.Grow", "{}")))
            .collect();
        calls.into_iter().map(|c| c.join().unwrap()).collect()
    });
    for (st, err) in &answers {
        assert_eq!(*st, 400, "{err}");
        assert_eq!(err["__type"], "ThrottlingException", "{err}");
    }
    let used = health(&s.url)["plugin_memory"]["used_bytes"]
        .as_u64()
        .unwrap();
    assert!(used <= limit, "{used} bytes used of {limit}");
    assert_eq!(json_call(&s.url, "Misbehave.Ok", "{}").0, 200);
}
