//! SNS state across SIGKILL: topics, subscriptions and their confirmation
//! state survive, a message published just before the kill is in the queue
//! afterwards, and a pending HTTP retry still fires after the restart.

mod sns_common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use ruststack_tests::tempdir;
use sns_common::*;

/// Counts POSTs; the first `fail` get 500.
fn hook(fail: u32) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let got = Arc::new(Mutex::new(Vec::new()));
    let g = got.clone();
    std::thread::spawn(move || {
        let mut left = fail;
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut r = BufReader::new(stream.try_clone().unwrap());
            let mut len = 0usize;
            loop {
                let mut h = String::new();
                if r.read_line(&mut h).unwrap_or(0) == 0 || h.trim().is_empty() {
                    break;
                }
                if let Some(v) = h.to_ascii_lowercase().strip_prefix("content-length:") {
                    len = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0u8; len];
            let _ = r.read_exact(&mut body);
            let body = String::from_utf8_lossy(&body).into_owned();
            let status = if body.contains("\"Notification\"") && left > 0 {
                left -= 1;
                "500 Oops"
            } else {
                "200 OK"
            };
            g.lock().unwrap().push(body);
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            );
        }
    });
    (url, got)
}

#[test]
fn state_and_deliveries_survive_sigkill() {
    let data = tempdir();
    let (mut s, _p) = start(Some(data.path().to_str().unwrap()));
    let u = s.url.clone();
    let topic = topic_arn("durable");
    sns_ok(
        &u,
        "CreateTopic",
        &[
            ("Name", "durable"),
            ("Attributes.entry.1.key", "DeliveryPolicy"),
            (
                "Attributes.entry.1.value",
                r#"{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":2,"maxDelayTarget":2,"numRetries":3}}}"#,
            ),
            ("Tags.member.1.Key", "k"),
            ("Tags.member.1.Value", "v"),
        ],
    );
    create_queue(&u, "dq");
    let sqs_sub = xml_text(
        &sns_ok(
            &u,
            "Subscribe",
            &[
                ("TopicArn", &topic),
                ("Protocol", "sqs"),
                ("Endpoint", &queue_arn("dq")),
            ],
        ),
        "SubscriptionArn",
    )
    .unwrap();
    let email_sub = xml_text(
        &sns_ok(
            &u,
            "Subscribe",
            &[
                ("TopicArn", &topic),
                ("Protocol", "email"),
                ("Endpoint", "a@example.com"),
                ("ReturnSubscriptionArn", "true"),
            ],
        ),
        "SubscriptionArn",
    )
    .unwrap();
    let (hook_url, got) = hook(1);
    let http_sub = xml_text(
        &sns_ok(
            &u,
            "Subscribe",
            &[
                ("TopicArn", &topic),
                ("Protocol", "http"),
                ("Endpoint", &hook_url),
                ("ReturnSubscriptionArn", "true"),
            ],
        ),
        "SubscriptionArn",
    )
    .unwrap();
    let conf = eventually(10, || got.lock().unwrap().first().cloned()).expect("a confirmation");
    let token = serde_json::from_str::<serde_json::Value>(&conf).unwrap()["Token"]
        .as_str()
        .unwrap()
        .to_string();
    sns_ok(
        &u,
        "ConfirmSubscription",
        &[("TopicArn", &topic), ("Token", &token)],
    );

    // Published just before the kill: the HTTP endpoint fails the first try,
    // so its retry is a stored timer when the process dies.
    sns_ok(
        &u,
        "Publish",
        &[("TopicArn", &topic), ("Message", "last words")],
    );
    eventually(10, || (got.lock().unwrap().len() >= 2).then_some(())).expect("first attempt");
    s.kill_hard();
    s.restart();
    let u = s.url.clone();

    let a = attributes(&sns_ok(&u, "GetTopicAttributes", &[("TopicArn", &topic)]));
    assert_eq!(a["SubscriptionsConfirmed"], "2");
    assert_eq!(a["SubscriptionsPending"], "1");
    assert!(a["DeliveryPolicy"].contains("minDelayTarget"));
    let tags = sns_ok(&u, "ListTagsForResource", &[("ResourceArn", &topic)]);
    assert_eq!(xml_text(&tags, "Key").as_deref(), Some("k"));
    for (sub, pending) in [
        (&sqs_sub, "false"),
        (&email_sub, "true"),
        (&http_sub, "false"),
    ] {
        let a = attributes(&sns_ok(
            &u,
            "GetSubscriptionAttributes",
            &[("SubscriptionArn", sub)],
        ));
        assert_eq!(a["PendingConfirmation"], pending, "{sub}");
    }
    let msgs = drain(&u, &format!("{u}/{ACCOUNT}/dq"));
    assert_eq!(msgs.len(), 1);
    assert!(msgs[0]["Body"].as_str().unwrap().contains("last words"));
    // The retry fires after the restart and succeeds.
    let retried = eventually(15, || {
        let g = got.lock().unwrap();
        (g.iter().filter(|b| b.contains("last words")).count() >= 2).then_some(())
    });
    assert!(
        retried.is_some(),
        "the HTTP retry did not survive the restart"
    );
}
