//! SNS: filter policies (validation, then matching against message
//! attributes or a JSON message body) and whole requests through the SNS
//! plugin's handler.

use std::collections::BTreeMap;

use ruststack_sdk::testkit::{self, RequestBuilder};
use serde_json::Value;
use sns::fuzzing::{Message, Subscription, attributes, matches, passes_filter, validate};

use super::{join, parts};
use crate::engine::{Layout, Target, class, fnv};
use crate::seeds;

const FILTER_DICT: &[&str] = &[
    "{\"prefix\":\"a\"}",
    "{\"suffix\":\"z\"}",
    "{\"equals-ignore-case\":\"X\"}",
    "{\"anything-but\":[\"a\",1]}",
    "{\"anything-but\":{\"prefix\":\"a\"}}",
    "{\"numeric\":[\">\",0,\"<=\",5]}",
    "{\"numeric\":[\"=\",1e9]}",
    "{\"exists\":true}",
    "{\"exists\":false}",
    "{\"cidr\":\"10.0.0.0/8\"}",
    "{\"cidr\":\"::1/128\"}",
    "\"$or\":[",
    "\"color\":",
    "\"n\":",
    "[\"x\"]",
    "[1, 2]",
    "\"10.0.0.7\"",
    "\"2001:db8::1\"",
    "MessageAttributes",
    "MessageBody",
    "{\"DataType\":\"String\",\"StringValue\":\"x\"}",
    "{\"DataType\":\"Number\",\"StringValue\":\"1e3\"}",
    "{\"DataType\":\"String.Array\",\"StringValue\":\"[\\\"a\\\",1]\"}",
    "{\"DataType\":\"Binary\",\"BinaryValue\":\"AA==\"}",
    "\u{1f}",
];

fn filter_seeds() -> Vec<Vec<u8>> {
    let attrs = r#"{"color":{"DataType":"String","StringValue":"blue"},"n":{"DataType":"Number","StringValue":"3"},"tags":{"DataType":"String.Array","StringValue":"[\"a\",1,true,null]"},"ip":{"DataType":"String","StringValue":"10.0.0.7"},"b":{"DataType":"Binary","BinaryValue":"AAEC"}}"#;
    let body = r#"{"a":{"b":"x","c":[1,2,3]},"color":"red","n":4.5,"ip":"2001:db8::1"}"#;
    let scope_a = "MessageAttributes";
    let scope_b = "MessageBody";
    vec![
        join(&[
            r#"{"color":["blue","red"],"n":[{"numeric":[">",0,"<=",5]}]}"#,
            scope_a,
            attrs,
            "hi",
        ]),
        join(&[
            r#"{"color":[{"prefix":"bl"},{"suffix":"ue"},{"equals-ignore-case":"BLUE"}]}"#,
            scope_a,
            attrs,
            "hi",
        ]),
        join(&[
            r#"{"color":[{"anything-but":["red","green"]}],"missing":[{"exists":false}]}"#,
            scope_a,
            attrs,
            "hi",
        ]),
        join(&[
            r#"{"color":[{"anything-but":{"prefix":"re"}}],"tags":["a"]}"#,
            scope_a,
            attrs,
            "hi",
        ]),
        join(&[
            r#"{"ip":[{"cidr":"10.0.0.0/24"}],"n":[3,4]}"#,
            scope_a,
            attrs,
            "hi",
        ]),
        join(&[
            r#"{"$or":[{"color":["blue"]},{"n":[{"numeric":["=",3]}]}]}"#,
            scope_a,
            attrs,
            "hi",
        ]),
        join(&[
            r#"{"a":{"b":["x"],"c":[{"numeric":[">=",2]}]},"$or":[{"color":["red"]},{"ip":[{"cidr":"2001:db8::/32"}]}]}"#,
            scope_b,
            "{}",
            body,
        ]),
        join(&[
            r#"{"a":{"c":[1]},"n":[{"numeric":["<",5,">",4]}]}"#,
            scope_b,
            "{}",
            body,
        ]),
    ]
}

/// A policy validated as SetSubscriptionAttributes does; if valid, matched
/// as delivery does against a message built from validated attributes (or
/// its body), then matched directly against the body document.
fn filter_run(input: &[u8]) -> u64 {
    let p = parts(input);
    let get = |i: usize| p.get(i).map(String::as_str).unwrap_or("");
    let (policy, scope, attrs, body) = (get(0), get(1), get(2), get(3));
    let body_scope = scope == "MessageBody";
    if let Err(e) = validate(policy, body_scope) {
        return class(&e.code, &e.message);
    }
    let attrs = match serde_json::from_str::<Value>(attrs) {
        Ok(v) => match attributes(&v) {
            Ok(a) => a,
            Err(e) => return class(&e.code, &e.message),
        },
        Err(_) => BTreeMap::new(),
    };
    let msg = Message {
        id: "m-1".into(),
        topic_arn: seeds::TOPIC_ARN.into(),
        subject: None,
        message: body.into(),
        per_protocol: BTreeMap::new(),
        attributes: attrs,
        group_id: None,
        dedup_id: None,
        sequence: None,
        timestamp_ms: 0,
        signature_version: "1".into(),
    };
    let mut sub_attrs = BTreeMap::from([("FilterPolicy".to_string(), policy.to_string())]);
    if body_scope {
        sub_attrs.insert("FilterPolicyScope".into(), "MessageBody".into());
    }
    let sub = Subscription {
        arn: format!("{}:1", seeds::TOPIC_ARN),
        topic_arn: seeds::TOPIC_ARN.into(),
        protocol: "sqs".into(),
        endpoint: "arn:aws:sqs:us-east-1:000000000000:fuzz-queue".into(),
        owner: "000000000000".into(),
        pending: false,
        token: None,
        base_url: "http://localhost:4566".into(),
        attributes: sub_attrs,
    };
    let pass = passes_filter(&msg, &sub);
    let direct = serde_json::from_str::<Value>(body)
        .map(|doc| matches(policy, &doc))
        .unwrap_or(false);
    // Which operators the policy uses, so policies using new ones join the corpus.
    let ops = [
        "prefix",
        "suffix",
        "equals-ignore-case",
        "anything-but",
        "numeric",
        "exists",
        "cidr",
        "$or",
    ]
    .iter()
    .enumerate()
    .filter(|(_, op)| policy.contains(*op))
    .fold(0u8, |m, (i, _)| m | 1 << i);
    fnv(&[pass as u8, direct as u8, body_scope as u8, ops])
}

/// Filter policies (`plugins/sns/src/filter.rs`).
pub fn filter() -> Target {
    Target {
        name: "sns-filter",
        about: "SNS filter policies: filter::validate, then delivery's passes_filter and filter::matches",
        seeds: filter_seeds,
        dict: FILTER_DICT,
        max_len: 8 * 1024,
        layout: Layout::Bytes,
        setup: None,
        reset_every: 0,
        run: filter_run,
    }
}

/// A fresh test kit with the seeds' topics and a subscription.
fn setup() {
    testkit::reset();
    let form = |body: &str| {
        RequestBuilder::new("POST", "/")
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.as_bytes())
            .build()
    };
    let must = crate::targets::s3::must::<sns::Sns>;
    must(
        form("Action=CreateTopic&Name=fuzz-topic&Version=2010-03-31"),
        "CreateTopic",
    );
    must(
        form(
            "Action=CreateTopic&Name=fuzz.fifo&Attributes.entry.1.key=FifoTopic&Attributes.entry.1.value=true&Version=2010-03-31",
        ),
        "CreateTopic fifo",
    );
    must(
        form(
            "Action=Subscribe&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3Afuzz-topic&Protocol=sqs&Endpoint=arn%3Aaws%3Asqs%3Aus-east-1%3A000000000000%3Afuzz-queue&Attributes.entry.1.key=FilterPolicy&Attributes.entry.1.value=%7B%22color%22%3A%5B%22blue%22%5D%7D&Version=2010-03-31",
        ),
        "Subscribe",
    );
}

/// Whole SNS requests through the plugin's handler.
pub fn plugin() -> Target {
    fn run(input: &[u8]) -> u64 {
        crate::targets::s3::serve::<sns::Sns>(crate::targets::s3::request(input))
    }
    Target {
        name: "plugin-sns",
        about: "whole SNS requests through the SNS plugin's handler (test kit storage)",
        seeds: seeds::sns,
        dict: super::protocol::QUERY_DICT,
        max_len: 16 * 1024,
        layout: Layout::Bytes,
        setup: Some(setup),
        reset_every: 1000,
        run,
    }
}
