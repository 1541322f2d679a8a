//! Helpers shared by the SQS end-to-end tests.
#![allow(dead_code)]

use ruststack_tests::{Server, client, json_call, plugin_dir};
use serde_json::Value;

/// A server with only the SQS plugin; keep the folder alive with it.
pub fn start(extra: &[&str]) -> (Server, tempfile::TempDir) {
    let plugins = plugin_dir(&["sqs"]);
    let mut args = vec!["--plugins", plugins.path().to_str().unwrap()];
    if extra.is_empty() {
        args.push("--ephemeral");
    }
    args.extend_from_slice(extra);
    (Server::start(&args), plugins)
}

/// A JSON-protocol call (`X-Amz-Target: AmazonSQS.<op>`).
pub fn sqs(url: &str, op: &str, body: Value) -> (u16, Value) {
    json_call(url, &format!("AmazonSQS.{op}"), &body.to_string())
}

/// A JSON call that must succeed.
pub fn ok(url: &str, op: &str, body: Value) -> Value {
    let (s, v) = sqs(url, op, body);
    assert_eq!(s, 200, "{op} failed: {v}");
    v
}

/// A query-protocol form post to `path`; status, headers and body.
pub fn query(
    url: &str,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, String) {
    query_with(url, path, &[], form)
}

/// A query-protocol form post to `path` with extra request headers (a
/// `Host`, a trace id, an `Authorization` scope); status, headers and body.
pub fn query_with(
    url: &str,
    path: &str,
    headers: &[(&str, &str)],
    form: &[(&str, &str)],
) -> (u16, reqwest::header::HeaderMap, String) {
    let mut req = client().post(format!("{url}{path}"));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.form(form).send().expect("request failed");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    (status, headers, resp.text().unwrap_or_default())
}

/// Creates a queue (JSON protocol) and returns its URL.
pub fn create(url: &str, name: &str, attrs: Value) -> String {
    let v = ok(
        url,
        "CreateQueue",
        serde_json::json!({"QueueName": name, "Attributes": attrs}),
    );
    v["QueueUrl"].as_str().expect("a QueueUrl").to_string()
}
