//! Shared helpers of the SNS tests: a server with the SNS and SQS plugins,
//! raw query-protocol calls, and SQS calls over its JSON protocol.

#![allow(dead_code)]

use std::time::{Duration, Instant};

use ruststack_tests::{Server, client, json_call, plugin_dir};
use serde_json::{Value, json};

/// The account every ARN carries locally.
pub const ACCOUNT: &str = "000000000000";

/// Starts a server with the sns and sqs plugins (`--ephemeral` unless `data` is given).
pub fn start(data: Option<&str>) -> (Server, tempfile::TempDir) {
    let plugins = plugin_dir(&["sns", "sqs"]);
    let dir = plugins.path().to_str().unwrap().to_string();
    let server = match data {
        None => Server::start(&["--ephemeral", "--plugins", &dir]),
        Some(d) => Server::start(&["--data-dir", d, "--plugins", &dir]),
    };
    (server, plugins)
}

/// A topic ARN in us-east-1.
pub fn topic_arn(name: &str) -> String {
    format!("arn:aws:sns:us-east-1:{ACCOUNT}:{name}")
}

/// A queue ARN in us-east-1.
pub fn queue_arn(name: &str) -> String {
    format!("arn:aws:sqs:us-east-1:{ACCOUNT}:{name}")
}

/// Percent-encodes a form value.
pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Posts `Action=<action>&Version=2010-03-31&<params>`; returns status and XML text.
pub fn sns(url: &str, action: &str, params: &[(&str, &str)]) -> (u16, String) {
    let mut body = format!("Action={action}&Version=2010-03-31");
    for (k, v) in params {
        body.push_str(&format!("&{}={}", enc(k), enc(v)));
    }
    let resp = client()
        .post(format!("{url}/"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .expect("request failed");
    let status = resp.status().as_u16();
    (status, resp.text().unwrap_or_default())
}

/// Like [`sns`] but panics unless the status is 200.
pub fn sns_ok(url: &str, action: &str, params: &[(&str, &str)]) -> String {
    let (status, body) = sns(url, action, params);
    assert_eq!(status, 200, "{action}: {body}");
    body
}

/// The text of every `<tag>` element, in order (entity-decoded).
pub fn xml_all(xml: &str, tag: &str) -> Vec<String> {
    ruststack_tests::xml_all(xml, tag)
        .iter()
        .map(|t| ruststack_tests::xml_unescape(t))
        .collect()
}

/// The text of the first `<tag>` element.
pub fn xml_text(xml: &str, tag: &str) -> Option<String> {
    xml_all(xml, tag).into_iter().next()
}

/// The `Attributes` map of a Get*Attributes answer.
pub fn attributes(xml: &str) -> std::collections::BTreeMap<String, String> {
    xml_all(xml, "entry")
        .iter()
        .map(|e| (xml_text_raw(e, "key"), xml_text_raw(e, "value")))
        .collect()
}

fn xml_text_raw(xml: &str, tag: &str) -> String {
    // `entry` bodies were already unescaped once; find the inner element.
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    match (xml.find(&open), xml.rfind(&close)) {
        (Some(i), Some(j)) => xml[i + open.len()..j].to_string(),
        _ => String::new(),
    }
}

/// An SQS JSON-protocol call; panics unless it succeeds.
pub fn sqs(url: &str, op: &str, body: Value) -> Value {
    let (status, v) = json_call(url, &format!("AmazonSQS.{op}"), &body.to_string());
    assert_eq!(status, 200, "{op}: {v}");
    v
}

/// Creates a queue; returns its URL.
pub fn create_queue(url: &str, name: &str) -> String {
    let mut body = json!({"QueueName": name});
    if name.ends_with(".fifo") {
        body["Attributes"] = json!({"FifoQueue": "true"});
    }
    sqs(url, "CreateQueue", body)["QueueUrl"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Every message currently in a queue (received and deleted), bodies and attributes.
pub fn drain(url: &str, queue_url: &str) -> Vec<Value> {
    let mut out = Vec::new();
    loop {
        let r = sqs(
            url,
            "ReceiveMessage",
            json!({"QueueUrl": queue_url, "MaxNumberOfMessages": 10,
                   "MessageAttributeNames": ["All"], "AttributeNames": ["All"]}),
        );
        let msgs = r["Messages"].as_array().cloned().unwrap_or_default();
        if msgs.is_empty() {
            return out;
        }
        for m in msgs {
            sqs(
                url,
                "DeleteMessage",
                json!({"QueueUrl": queue_url, "ReceiptHandle": m["ReceiptHandle"]}),
            );
            out.push(m);
        }
    }
}

/// Polls `f` until it returns `Some` or `secs` pass.
pub fn eventually<T>(secs: u64, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The `Message` of every notification in a queue (raw bodies as they are), sorted.
pub fn messages(url: &str, queue: &str) -> Vec<String> {
    let q = format!("{url}/{ACCOUNT}/{queue}");
    let mut bodies: Vec<String> = drain(url, &q)
        .iter()
        .map(|m| {
            let body = m["Body"].as_str().unwrap();
            serde_json::from_str::<Value>(body)
                .ok()
                .and_then(|v| v["Message"].as_str().map(str::to_string))
                .unwrap_or_else(|| body.to_string())
        })
        .collect();
    bodies.sort();
    bodies
}

/// Owned parameters as the borrowed pairs [`sns`] takes.
pub fn pairs(params: &[(String, String)]) -> Vec<(&str, &str)> {
    params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// Subscribe parameters for an SQS endpoint with `Attributes` entries.
pub fn subscribe_params(topic: &str, queue: &str, attrs: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut params: Vec<(String, String)> = vec![
        ("TopicArn".into(), topic.into()),
        ("Protocol".into(), "sqs".into()),
        ("Endpoint".into(), queue_arn(queue)),
        ("ReturnSubscriptionArn".into(), "true".into()),
    ];
    for (i, (k, v)) in attrs.iter().enumerate() {
        params.push((format!("Attributes.entry.{}.key", i + 1), k.to_string()));
        params.push((format!("Attributes.entry.{}.value", i + 1), v.to_string()));
    }
    params
}

/// Subscribes an SQS queue (by ARN) with `Attributes`; the subscription ARN.
pub fn subscribe(url: &str, topic: &str, queue: &str, attrs: &[(&str, &str)]) -> String {
    let p = subscribe_params(topic, queue, attrs);
    xml_text(&sns_ok(url, "Subscribe", &pairs(&p)), "SubscriptionArn").unwrap()
}
