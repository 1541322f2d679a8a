//! SNS to HTTP endpoints: a tiny HTTP server in the test receives the
//! SubscriptionConfirmation, confirms (by SubscribeURL and by
//! ConfirmSubscription), gets notifications with AWS's headers, sees retries
//! when it answers 500, and gets an UnsubscribeConfirmation.

mod sns_common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde_json::Value;
use sns_common::*;

/// One request the test server received.
#[derive(Clone, Debug)]
struct Received {
    path: String,
    headers: HashMap<String, String>,
    body: String,
    at: Instant,
}

/// A one-thread HTTP server that records requests and answers 500 while
/// `fail` is above zero (counting down), 200 otherwise.
struct Hook {
    url: String,
    got: Arc<Mutex<Vec<Received>>>,
    fail: Arc<Mutex<u32>>,
}

impl Hook {
    fn start() -> Hook {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let got = Arc::new(Mutex::new(Vec::new()));
        let fail = Arc::new(Mutex::new(0u32));
        let (g, f) = (got.clone(), fail.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                let path = line
                    .split_whitespace()
                    .nth(1)
                    .unwrap_or_default()
                    .to_string();
                let mut headers = HashMap::new();
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
                        break;
                    }
                    if let Some((k, v)) = h.split_once(':') {
                        headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
                    }
                }
                let len: usize = headers
                    .get("content-length")
                    .and_then(|l| l.parse().ok())
                    .unwrap_or(0);
                let mut body = vec![0u8; len];
                let _ = reader.read_exact(&mut body);
                let status = {
                    let mut n = f.lock().unwrap();
                    if *n > 0 {
                        *n -= 1;
                        "500 Internal Server Error"
                    } else {
                        "200 OK"
                    }
                };
                g.lock().unwrap().push(Received {
                    path,
                    headers,
                    body: String::from_utf8_lossy(&body).into_owned(),
                    at: Instant::now(),
                });
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                );
            }
        });
        Hook { url, got, fail }
    }

    /// Requests of this message type so far.
    fn of_type(&self, kind: &str) -> Vec<Received> {
        self.got
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.headers.get("x-amz-sns-message-type").map(String::as_str) == Some(kind))
            .cloned()
            .collect()
    }

    /// Waits until `n` requests of this type arrived.
    fn wait_for(&self, kind: &str, n: usize, secs: u64) -> Vec<Received> {
        eventually(secs, || {
            let v = self.of_type(kind);
            (v.len() >= n).then_some(v)
        })
        .unwrap_or_else(|| panic!("expected {n} {kind} requests, got {:?}", self.of_type(kind)))
    }
}

const FAST_RETRIES: &str = r#"{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":1,"maxDelayTarget":1,"numRetries":3,"numNoDelayRetries":0,"numMinDelayRetries":0,"numMaxDelayRetries":0,"backoffFunction":"linear"}}}"#;

#[test]
fn confirmation_notifications_retries_and_unsubscribe() {
    let (s, _p) = start(None);
    let u = &s.url;
    let hook = Hook::start();
    let topic = topic_arn("web");
    sns_ok(
        u,
        "CreateTopic",
        &[
            ("Name", "web"),
            ("Attributes.entry.1.key", "DeliveryPolicy"),
            ("Attributes.entry.1.value", FAST_RETRIES),
        ],
    );
    let endpoint = format!("{}/hook", hook.url);
    let sub = sns_ok(
        u,
        "Subscribe",
        &[
            ("TopicArn", &topic),
            ("Protocol", "http"),
            ("Endpoint", &endpoint),
        ],
    );
    assert_eq!(
        xml_text(&sub, "SubscriptionArn").unwrap(),
        "pending confirmation"
    );

    let conf = hook.wait_for("SubscriptionConfirmation", 1, 10).remove(0);
    assert_eq!(conf.path, "/hook");
    assert_eq!(conf.headers["x-amz-sns-topic-arn"], topic);
    assert!(conf.headers["content-type"].starts_with("text/plain"));
    let c: Value = serde_json::from_str(&conf.body).unwrap();
    assert_eq!(c["Type"], "SubscriptionConfirmation");
    assert_eq!(c["TopicArn"], topic.as_str());
    assert_eq!(
        c["MessageId"],
        conf.headers["x-amz-sns-message-id"].as_str()
    );
    let token = c["Token"].as_str().unwrap();
    assert!(!token.is_empty());
    // AWS's form: no Version, the topic ARN not percent-encoded.
    assert_eq!(
        c["SubscribeURL"],
        format!("{u}/?Action=ConfirmSubscription&TopicArn={topic}&Token={token}").as_str()
    );

    // Nothing is delivered while the subscription is pending.
    sns_ok(
        u,
        "Publish",
        &[("TopicArn", &topic), ("Message", "too early")],
    );
    let list = sns_ok(u, "ListSubscriptionsByTopic", &[("TopicArn", &topic)]);
    assert_eq!(
        xml_text(&list, "SubscriptionArn").unwrap(),
        "PendingConfirmation"
    );

    // Fetching the SubscribeURL confirms.
    let r = ruststack_tests::client()
        .get(c["SubscribeURL"].as_str().unwrap())
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let sub_arn = xml_text(&r.text().unwrap(), "SubscriptionArn").unwrap();
    assert!(sub_arn.starts_with(&topic));
    let a = attributes(&sns_ok(
        u,
        "GetSubscriptionAttributes",
        &[("SubscriptionArn", &sub_arn)],
    ));
    assert_eq!(a["PendingConfirmation"], "false");
    assert!(a["EffectiveDeliveryPolicy"].contains("\"minDelayTarget\":1"));

    let id = xml_text(
        &sns_ok(
            u,
            "Publish",
            &[("TopicArn", &topic), ("Message", "n1"), ("Subject", "S")],
        ),
        "MessageId",
    )
    .unwrap();
    let n = hook.wait_for("Notification", 1, 10).remove(0);
    assert_eq!(n.headers["x-amz-sns-message-id"], id);
    assert_eq!(n.headers["x-amz-sns-topic-arn"], topic);
    assert_eq!(n.headers["x-amz-sns-subscription-arn"], sub_arn);
    let body: Value = serde_json::from_str(&n.body).unwrap();
    assert_eq!(body["Message"], "n1");
    assert_eq!(body["Subject"], "S");
    assert_eq!(body["Type"], "Notification");

    // Two failures, then success: three attempts about a second apart.
    *hook.fail.lock().unwrap() = 2;
    sns_ok(u, "Publish", &[("TopicArn", &topic), ("Message", "n2")]);
    let all = hook.wait_for("Notification", 4, 20);
    let n2: Vec<&Received> = all.iter().filter(|r| r.body.contains("\"n2\"")).collect();
    assert_eq!(n2.len(), 3);
    let gap = n2[2].at.duration_since(n2[1].at);
    assert!(gap.as_millis() >= 800, "retry after {gap:?}");
    std::thread::sleep(std::time::Duration::from_secs(2));
    assert_eq!(
        hook.of_type("Notification").len(),
        4,
        "no retries after success"
    );

    sns_ok(u, "Unsubscribe", &[("SubscriptionArn", &sub_arn)]);
    let un = hook.wait_for("UnsubscribeConfirmation", 1, 10).remove(0);
    assert_eq!(un.headers["x-amz-sns-subscription-arn"], sub_arn);
}

#[test]
fn confirm_subscription_with_token_and_raw_delivery() {
    let (s, _p) = start(None);
    let u = &s.url;
    let hook = Hook::start();
    let topic = topic_arn("raw-web");
    sns_ok(u, "CreateTopic", &[("Name", "raw-web")]);
    let sub = sns_ok(
        u,
        "Subscribe",
        &[
            ("TopicArn", &topic),
            ("Protocol", "http"),
            ("Endpoint", &hook.url),
            ("ReturnSubscriptionArn", "true"),
            ("Attributes.entry.1.key", "RawMessageDelivery"),
            ("Attributes.entry.1.value", "true"),
        ],
    );
    let sub_arn = xml_text(&sub, "SubscriptionArn").unwrap();
    let a = attributes(&sns_ok(
        u,
        "GetSubscriptionAttributes",
        &[("SubscriptionArn", &sub_arn)],
    ));
    assert_eq!(a["PendingConfirmation"], "true");
    let conf = hook.wait_for("SubscriptionConfirmation", 1, 10).remove(0);
    let token = serde_json::from_str::<Value>(&conf.body).unwrap()["Token"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, body) = sns(
        u,
        "ConfirmSubscription",
        &[("TopicArn", &topic), ("Token", "wrong")],
    );
    assert_eq!(status, 400, "{body}");
    let ok = sns_ok(
        u,
        "ConfirmSubscription",
        &[("TopicArn", &topic), ("Token", &token)],
    );
    assert_eq!(xml_text(&ok, "SubscriptionArn").unwrap(), sub_arn);
    sns_ok(
        u,
        "Publish",
        &[("TopicArn", &topic), ("Message", "just the text")],
    );
    let n = hook.wait_for("Notification", 1, 10).remove(0);
    assert_eq!(n.body, "just the text");
    assert_eq!(n.headers["x-amz-sns-rawdelivery"], "true");
}

#[test]
fn exhausted_retries_go_to_the_dead_letter_queue() {
    let (s, _p) = start(None);
    let u = &s.url;
    let hook = Hook::start();
    let topic = topic_arn("dead");
    sns_ok(u, "CreateTopic", &[("Name", "dead")]);
    create_queue(u, "http-dlq");
    let sub = sns_ok(
        u,
        "Subscribe",
        &[
            ("TopicArn", &topic),
            ("Protocol", "http"),
            ("Endpoint", &hook.url),
            ("ReturnSubscriptionArn", "true"),
        ],
    );
    let sub_arn = xml_text(&sub, "SubscriptionArn").unwrap();
    let conf = hook.wait_for("SubscriptionConfirmation", 1, 10).remove(0);
    let token = serde_json::from_str::<Value>(&conf.body).unwrap()["Token"]
        .as_str()
        .unwrap()
        .to_string();
    sns_ok(
        u,
        "ConfirmSubscription",
        &[("TopicArn", &topic), ("Token", &token)],
    );
    let policy = r#"{"healthyRetryPolicy":{"numRetries":1,"minDelayTarget":1,"maxDelayTarget":1}}"#;
    for (name, value) in [
        ("DeliveryPolicy", policy.to_string()),
        (
            "RedrivePolicy",
            format!(r#"{{"deadLetterTargetArn":"{}"}}"#, queue_arn("http-dlq")),
        ),
    ] {
        sns_ok(
            u,
            "SetSubscriptionAttributes",
            &[
                ("SubscriptionArn", &sub_arn),
                ("AttributeName", name),
                ("AttributeValue", &value),
            ],
        );
    }
    *hook.fail.lock().unwrap() = 100;
    sns_ok(
        u,
        "Publish",
        &[("TopicArn", &topic), ("Message", "nobody home")],
    );
    let dlq = format!("{u}/{ACCOUNT}/http-dlq");
    let got = eventually(15, || {
        let m = drain(u, &dlq);
        (!m.is_empty()).then_some(m)
    })
    .expect("the message in the dead-letter queue");
    let env: Value = serde_json::from_str(got[0]["Body"].as_str().unwrap()).unwrap();
    assert_eq!(env["Message"], "nobody home");
    // One try plus one retry.
    assert_eq!(hook.of_type("Notification").len(), 2);
}
