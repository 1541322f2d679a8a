//! Unit tests of whole requests through the sdk's testkit: the SQS request a
//! publish sends, filtered subscribers skipped, HTTP confirmation via timers.

use std::cell::RefCell;
use std::rc::Rc;

use ruststack_sdk::invoke::HttpAnswer;
use ruststack_sdk::protocol::encoding::uri_encode;
use ruststack_sdk::testkit::{self, RequestBuilder};
use ruststack_sdk::{Body, Request, Response};
use serde_json::Value;

use crate::Sns;

fn call(action: &str, params: &[(&str, &str)]) -> (u16, String) {
    let mut form = format!("Action={action}&Version=2010-03-31");
    for (k, v) in params {
        form.push_str(&format!(
            "&{}={}",
            uri_encode(k, false),
            uri_encode(v, false)
        ));
    }
    let req = RequestBuilder::new("POST", "/")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(form.as_bytes())
        .build();
    let (status, body) = testkit::respond::<Sns>(req);
    (status, String::from_utf8(body).unwrap())
}

fn text(xml: &str, tag: &str) -> String {
    let open = format!("<{tag}>");
    let i = xml
        .find(&open)
        .unwrap_or_else(|| panic!("no {tag} in {xml}"))
        + open.len();
    let j = xml[i..].find('<').unwrap() + i;
    xml[i..j].to_string()
}

const TOPIC: &str = "arn:aws:sns:us-east-1:000000000000:t";

fn captured_invokes() -> Rc<RefCell<Vec<Request>>> {
    let seen: Rc<RefCell<Vec<Request>>> = Rc::default();
    let s = seen.clone();
    testkit::on_invoke(move |r| {
        s.borrow_mut().push(r);
        Response {
            status: 200,
            headers: vec![],
            body: Body::Empty,
        }
    });
    seen
}

#[test]
fn publish_sends_the_envelope_to_sqs() {
    testkit::reset();
    let seen = captured_invokes();
    assert_eq!(call("CreateTopic", &[("Name", "t")]).0, 200);
    let (st, _) = call(
        "Subscribe",
        &[
            ("TopicArn", TOPIC),
            ("Protocol", "sqs"),
            ("Endpoint", "arn:aws:sqs:eu-west-1:000000000000:q"),
        ],
    );
    assert_eq!(st, 200);
    let (st, body) = call("Publish", &[("TopicArn", TOPIC), ("Message", "hi")]);
    assert_eq!(st, 200, "{body}");
    let id = text(&body, "MessageId");
    let reqs = seen.borrow();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(r.header("x-amz-target"), Some("AmazonSQS.SendMessage"));
    assert_eq!(r.context.region, "eu-west-1");
    let Body::Bytes(b) = &r.body else {
        panic!("a body")
    };
    let v: Value = serde_json::from_slice(b).unwrap();
    assert_eq!(v["QueueUrl"], "http://localhost:4566/000000000000/q");
    let env: Value = serde_json::from_str(v["MessageBody"].as_str().unwrap()).unwrap();
    assert_eq!(env["MessageId"], id.as_str());
    assert_eq!(env["Message"], "hi");
}

#[test]
fn filtered_and_pending_subscribers_get_nothing() {
    testkit::reset();
    let seen = captured_invokes();
    call("CreateTopic", &[("Name", "t")]);
    call(
        "Subscribe",
        &[
            ("TopicArn", TOPIC),
            ("Protocol", "sqs"),
            ("Endpoint", "arn:aws:sqs:us-east-1:000000000000:q"),
            ("Attributes.entry.1.key", "FilterPolicy"),
            ("Attributes.entry.1.value", r#"{"k": ["v"]}"#),
        ],
    );
    call(
        "Subscribe",
        &[
            ("TopicArn", TOPIC),
            ("Protocol", "email"),
            ("Endpoint", "a@b.c"),
        ],
    );
    call("Publish", &[("TopicArn", TOPIC), ("Message", "no attrs")]);
    assert!(seen.borrow().is_empty());
    call(
        "Publish",
        &[
            ("TopicArn", TOPIC),
            ("Message", "with"),
            ("MessageAttributes.entry.1.Name", "k"),
            ("MessageAttributes.entry.1.Value.DataType", "String"),
            ("MessageAttributes.entry.1.Value.StringValue", "v"),
        ],
    );
    assert_eq!(seen.borrow().len(), 1);
}

#[test]
fn http_subscriptions_confirm_through_timers() {
    testkit::reset();
    let posts: Rc<RefCell<Vec<(String, String)>>> = Rc::default();
    let p = posts.clone();
    testkit::on_http(move |_m, url, _h, body| {
        p.borrow_mut()
            .push((url.to_string(), String::from_utf8_lossy(body).into_owned()));
        Ok(HttpAnswer {
            status: 200,
            headers: vec![],
            body: vec![],
        })
    });
    call("CreateTopic", &[("Name", "t")]);
    let (_, body) = call(
        "Subscribe",
        &[
            ("TopicArn", TOPIC),
            ("Protocol", "http"),
            ("Endpoint", "http://example.test/x"),
        ],
    );
    assert_eq!(text(&body, "SubscriptionArn"), "pending confirmation");
    let timers = testkit::with(|t| std::mem::take(&mut t.timers));
    assert_eq!(timers.len(), 1);
    testkit::fire_timer::<Sns>(timers[0].1.clone());
    let (url, conf) = posts.borrow()[0].clone();
    assert_eq!(url, "http://example.test/x");
    let c: Value = serde_json::from_str(&conf).unwrap();
    let token = c["Token"].as_str().unwrap();
    assert!(crate::subscriptions::by_token(token).unwrap().pending);
    let (st, _) = call(
        "ConfirmSubscription",
        &[("TopicArn", TOPIC), ("Token", token)],
    );
    assert_eq!(st, 200);
    assert!(!crate::subscriptions::by_token(token).unwrap().pending);
}

#[test]
fn errors_are_aws_shaped() {
    testkit::reset();
    let (st, body) = call("GetTopicAttributes", &[("TopicArn", TOPIC)]);
    assert_eq!(st, 404);
    assert_eq!(text(&body, "Code"), "NotFound");
    let (st, body) = call("CreateTopic", &[("Name", "")]);
    assert_eq!(st, 400, "{body}");
    let (st, body) = call("ListPlatformApplications", &[]);
    assert_eq!(st, 501, "{body}");
}
