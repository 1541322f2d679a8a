//! SNS fan-out to real SQS queues: one publish reaching several queues,
//! filter policies (attributes and body) deciding exactly who gets what,
//! raw and enveloped deliveries byte for byte, FIFO ids carried over.

mod sns_common;

use serde_json::{Value, json};
use sns_common::*;

/// Publishes with string/number attributes given as (name, type, value).
fn publish(url: &str, topic: &str, message: &str, attrs: &[(&str, &str, &str)]) -> String {
    let mut params: Vec<(String, String)> = vec![
        ("TopicArn".into(), topic.into()),
        ("Message".into(), message.into()),
    ];
    for (i, (n, t, v)) in attrs.iter().enumerate() {
        let base = format!("MessageAttributes.entry.{}", i + 1);
        params.push((format!("{base}.Name"), n.to_string()));
        params.push((format!("{base}.Value.DataType"), t.to_string()));
        let field = if *t == "Binary" {
            "BinaryValue"
        } else {
            "StringValue"
        };
        params.push((format!("{base}.Value.{field}"), v.to_string()));
    }
    let p: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    xml_text(&sns_ok(url, "Publish", &p), "MessageId").unwrap()
}

/// Message attributes as (name, type, value).
type Attrs<'a> = &'a [(&'a str, &'a str, &'a str)];

#[test]
fn one_publish_reaches_three_queues() {
    let (s, _p) = start(None);
    let u = &s.url;
    let topic = topic_arn("fan");
    sns_ok(u, "CreateTopic", &[("Name", "fan")]);
    for q in ["a", "b", "c"] {
        create_queue(u, q);
        subscribe(u, &topic, q, &[]);
    }
    publish(u, &topic, "hello all", &[]);
    for q in ["a", "b", "c"] {
        assert_eq!(messages(u, q), ["hello all"], "queue {q}");
    }
    // An unsubscribed queue stops receiving.
    let list = sns_ok(u, "ListSubscriptionsByTopic", &[("TopicArn", &topic)]);
    let first = xml_all(&list, "SubscriptionArn").remove(0);
    sns_ok(u, "Unsubscribe", &[("SubscriptionArn", &first)]);
    publish(u, &topic, "second", &[]);
    let got: usize = ["a", "b", "c"].iter().map(|q| messages(u, q).len()).sum();
    assert_eq!(got, 2);
}

#[test]
fn filter_policies_select_exactly_the_matching_messages() {
    let (s, _p) = start(None);
    let u = &s.url;
    let topic = topic_arn("filters");
    sns_ok(u, "CreateTopic", &[("Name", "filters")]);
    // (queue, policy, scope)
    let policies: &[(&str, Value, &str)] = &[
        ("exact", json!({"color": ["red"]}), "MessageAttributes"),
        (
            "prefix",
            json!({"color": [{"prefix": "bl"}]}),
            "MessageAttributes",
        ),
        (
            "suffix",
            json!({"color": [{"suffix": "een"}]}),
            "MessageAttributes",
        ),
        (
            "ignorecase",
            json!({"color": [{"equals-ignore-case": "RED"}]}),
            "MessageAttributes",
        ),
        (
            "anything",
            json!({"color": [{"anything-but": ["red", "blue"]}]}),
            "MessageAttributes",
        ),
        (
            "range",
            json!({"size": [{"numeric": [">", 10, "<=", 20]}]}),
            "MessageAttributes",
        ),
        (
            "missing",
            json!({"color": [{"exists": false}]}),
            "MessageAttributes",
        ),
        (
            "either",
            json!({"$or": [{"color": ["blue"]}, {"size": [{"numeric": ["=", 5]}]}]}),
            "MessageAttributes",
        ),
        ("body", json!({"order": {"kind": ["book"]}}), "MessageBody"),
    ];
    for (q, policy, scope) in policies {
        create_queue(u, q);
        subscribe(
            u,
            &topic,
            q,
            &[
                ("FilterPolicy", &policy.to_string()),
                ("FilterPolicyScope", scope),
            ],
        );
    }
    // (message, attributes)
    let msgs: &[(&str, Attrs)] = &[
        ("m-red", &[("color", "String", "red")]),
        ("m-blue", &[("color", "String", "blue")]),
        (
            "m-green-15",
            &[("color", "String", "green"), ("size", "Number", "15")],
        ),
        (
            "m-Red-5",
            &[("color", "String", "Red"), ("size", "Number", "5")],
        ),
        ("m-none", &[]),
        ("m-size-25", &[("size", "Number", "25")]),
        (r#"{"order": {"kind": "book"}}"#, &[]),
        (
            r#"{"order": {"kind": "pen"}}"#,
            &[("color", "String", "red")],
        ),
    ];
    for (m, attrs) in msgs {
        publish(u, &topic, m, attrs);
    }
    let book = r#"{"order": {"kind": "book"}}"#;
    let pen = r#"{"order": {"kind": "pen"}}"#;
    let expected: &[(&str, Vec<&str>)] = &[
        ("exact", vec![pen, "m-red"]),
        ("prefix", vec!["m-blue"]),
        ("suffix", vec!["m-green-15"]),
        ("ignorecase", vec![pen, "m-Red-5", "m-red"]),
        ("anything", vec!["m-Red-5", "m-green-15"]),
        ("range", vec!["m-green-15"]),
        ("missing", vec![book, "m-none", "m-size-25"]),
        ("either", vec!["m-Red-5", "m-blue"]),
        ("body", vec![book]),
    ];
    for (q, want) in expected {
        let mut want: Vec<String> = want.iter().map(|s| s.to_string()).collect();
        want.sort();
        assert_eq!(messages(u, q), want, "queue {q}");
    }
}

#[test]
fn raw_and_enveloped_deliveries_are_byte_exact() {
    let (s, _p) = start(None);
    let u = &s.url;
    let topic = topic_arn("forms");
    sns_ok(u, "CreateTopic", &[("Name", "forms")]);
    create_queue(u, "raw");
    create_queue(u, "env");
    subscribe(u, &topic, "raw", &[("RawMessageDelivery", "true")]);
    let env_sub = subscribe(u, &topic, "env", &[]);
    let message = "line one\nline \"two\" ünïcödé";
    let mut params = vec![
        ("TopicArn", topic.as_str()),
        ("Message", message),
        ("Subject", "Greetings"),
        ("MessageAttributes.entry.1.Name", "color"),
        ("MessageAttributes.entry.1.Value.DataType", "String"),
        ("MessageAttributes.entry.1.Value.StringValue", "blue"),
        ("MessageAttributes.entry.2.Name", "n"),
        ("MessageAttributes.entry.2.Value.DataType", "Number"),
        ("MessageAttributes.entry.2.Value.StringValue", "42"),
    ];
    params.push(("MessageAttributes.entry.3.Name", "bin"));
    params.push(("MessageAttributes.entry.3.Value.DataType", "Binary"));
    params.push(("MessageAttributes.entry.3.Value.BinaryValue", "AAEC"));
    let id = xml_text(&sns_ok(u, "Publish", &params), "MessageId").unwrap();

    let raw = drain(u, &format!("{u}/{ACCOUNT}/raw"));
    assert_eq!(raw.len(), 1);
    assert_eq!(raw[0]["Body"], message);
    let attrs = &raw[0]["MessageAttributes"];
    assert_eq!(
        attrs["color"],
        json!({"DataType": "String", "StringValue": "blue"})
    );
    assert_eq!(
        attrs["n"],
        json!({"DataType": "Number", "StringValue": "42"})
    );
    assert_eq!(
        attrs["bin"],
        json!({"DataType": "Binary", "BinaryValue": "AAEC"})
    );

    let env = drain(u, &format!("{u}/{ACCOUNT}/env"));
    assert_eq!(env.len(), 1);
    let body = env[0]["Body"].as_str().unwrap();
    let v: Value = serde_json::from_str(body).unwrap();
    let ts = v["Timestamp"].as_str().unwrap();
    assert!(ts.ends_with('Z') && ts.len() == 24, "{ts}");
    let expected = format!(
        "{{\n  \"Type\" : \"Notification\",\n  \"MessageId\" : \"{id}\",\n  \"TopicArn\" : \"{topic}\",\n  \"Subject\" : \"Greetings\",\n  \"Message\" : {msg},\n  \"Timestamp\" : \"{ts}\",\n  \"SignatureVersion\" : \"1\",\n  \"Signature\" : \"{sig}\",\n  \"SigningCertURL\" : \"{cert}\",\n  \"UnsubscribeURL\" : \"{unsub}\",\n  \"MessageAttributes\" : {{\n    \"bin\" : {{\"Type\":\"Binary\",\"Value\":\"AAEC\"}},\n    \"color\" : {{\"Type\":\"String\",\"Value\":\"blue\"}},\n    \"n\" : {{\"Type\":\"Number\",\"Value\":\"42\"}}\n  }}\n}}",
        msg = serde_json::to_string(message).unwrap(),
        sig = v["Signature"].as_str().unwrap(),
        cert = v["SigningCertURL"].as_str().unwrap(),
        unsub = v["UnsubscribeURL"].as_str().unwrap(),
    );
    assert_eq!(body, expected);
    // AWS's form: no Version, the ARN not percent-encoded.
    assert_eq!(
        v["UnsubscribeURL"],
        format!("{u}/?Action=Unsubscribe&SubscriptionArn={env_sub}").as_str()
    );
    // The UnsubscribeURL works when fetched.
    let r = ruststack_tests::client()
        .get(v["UnsubscribeURL"].as_str().unwrap())
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let (status, _) = sns(
        u,
        "GetSubscriptionAttributes",
        &[("SubscriptionArn", &env_sub)],
    );
    assert_eq!(status, 404);
}

#[test]
fn message_structure_json_and_fifo_queues() {
    let (s, _p) = start(None);
    let u = &s.url;
    let topic = topic_arn("structured");
    sns_ok(u, "CreateTopic", &[("Name", "structured")]);
    create_queue(u, "st");
    subscribe(u, &topic, "st", &[("RawMessageDelivery", "true")]);
    sns_ok(
        u,
        "Publish",
        &[
            ("TopicArn", &topic),
            ("MessageStructure", "json"),
            ("Message", r#"{"default": "for all", "sqs": "for queues"}"#),
        ],
    );
    assert_eq!(messages(u, "st"), ["for queues"]);

    let fifo = topic_arn("orders.fifo");
    sns_ok(
        u,
        "CreateTopic",
        &[
            ("Name", "orders.fifo"),
            ("Attributes.entry.1.key", "FifoTopic"),
            ("Attributes.entry.1.value", "true"),
        ],
    );
    create_queue(u, "orders.fifo");
    subscribe(u, &fifo, "orders.fifo", &[]);
    for (i, m) in ["first", "second", "first"].iter().enumerate() {
        let dedup = if i == 2 {
            "d0".to_string()
        } else {
            format!("d{i}")
        };
        sns_ok(
            u,
            "Publish",
            &[
                ("TopicArn", &fifo),
                ("Message", m),
                ("MessageGroupId", "g1"),
                ("MessageDeduplicationId", &dedup),
            ],
        );
    }
    let got = drain(u, &format!("{u}/{ACCOUNT}/orders.fifo"));
    let order: Vec<String> = got
        .iter()
        .map(|m| {
            let v: Value = serde_json::from_str(m["Body"].as_str().unwrap()).unwrap();
            v["Message"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(order, ["first", "second"]);
    assert_eq!(got[0]["Attributes"]["MessageGroupId"], "g1");
    assert_eq!(got[0]["Attributes"]["MessageDeduplicationId"], "d0");
}

#[test]
fn undeliverable_messages_go_to_the_redrive_queue() {
    let (s, _p) = start(None);
    let u = &s.url;
    let topic = topic_arn("redrive");
    sns_ok(u, "CreateTopic", &[("Name", "redrive")]);
    create_queue(u, "dlq");
    let policy = json!({"deadLetterTargetArn": queue_arn("dlq")}).to_string();
    // The subscribed queue does not exist.
    subscribe(
        u,
        &topic,
        "gone",
        &[("RedrivePolicy", &policy), ("RawMessageDelivery", "true")],
    );
    publish(u, &topic, "lost", &[]);
    assert_eq!(messages(u, "dlq"), ["lost"]);
    // Nested filter keys need the MessageBody scope.
    let (status, body) = sns(
        u,
        "Subscribe",
        &[
            ("TopicArn", &topic),
            ("Protocol", "sqs"),
            ("Endpoint", &queue_arn("dlq")),
            ("Attributes.entry.1.key", "FilterPolicy"),
            ("Attributes.entry.1.value", r#"{"a": {"b": ["c"]}}"#),
        ],
    );
    assert_eq!(status, 400, "{body}");
    assert_eq!(xml_text(&body, "Code").as_deref(), Some("InvalidParameter"));
}

/// Concurrent publishes to a FIFO topic race for its sequence; a publish
/// that loses runs again. Its deliveries are stored with it, so each queue
/// holds every message exactly once, in each group's publish order (the
/// FIFO queue with distinct sequence numbers).
#[test]
fn concurrent_fifo_publishes_reach_every_queue_exactly_once_in_order() {
    let (s, _p) = start(None);
    let u = s.url.clone();
    let topic = topic_arn("race.fifo");
    sns_ok(
        &u,
        "CreateTopic",
        &[
            ("Name", "race.fifo"),
            ("Attributes.entry.1.key", "FifoTopic"),
            ("Attributes.entry.1.value", "true"),
        ],
    );
    // A standard queue keeps no deduplication of its own, so a delivery
    // made twice would show; a FIFO topic may deliver to one.
    let queues = ["race-a", "race-b.fifo"];
    for q in queues {
        create_queue(&u, q);
        subscribe(&u, &topic, q, &[("RawMessageDelivery", "true")]);
    }
    const GROUPS: usize = 6;
    const EACH: usize = 12;
    std::thread::scope(|scope| {
        for g in 0..GROUPS {
            let (u, topic) = (&u, &topic);
            scope.spawn(move || {
                for i in 0..EACH {
                    let body = format!("g{g}-{i:02}");
                    sns_ok(
                        u,
                        "Publish",
                        &[
                            ("TopicArn", topic),
                            ("Message", &body),
                            ("MessageGroupId", &format!("g{g}")),
                            ("MessageDeduplicationId", &body),
                        ],
                    );
                }
            });
        }
    });
    for q in queues {
        let got = drain(&u, &format!("{u}/{ACCOUNT}/{q}"));
        let bodies: Vec<String> = got
            .iter()
            .map(|m| m["Body"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(bodies.len(), GROUPS * EACH, "{q}: {bodies:?}");
        for g in 0..GROUPS {
            let group: Vec<&String> = bodies
                .iter()
                .filter(|b| b.starts_with(&format!("g{g}-")))
                .collect();
            let expected: Vec<String> = (0..EACH).map(|i| format!("g{g}-{i:02}")).collect();
            assert_eq!(group, expected.iter().collect::<Vec<_>>(), "{q}, group {g}");
        }
        if !q.ends_with(".fifo") {
            continue;
        }
        let mut seqs: Vec<u128> = got
            .iter()
            .map(|m| {
                m["Attributes"]["SequenceNumber"]
                    .as_str()
                    .unwrap()
                    .parse()
                    .unwrap()
            })
            .collect();
        let n = seqs.len();
        seqs.sort_unstable();
        seqs.dedup();
        assert_eq!(seqs.len(), n, "{q}: sequence numbers repeat");
    }
}

#[test]
fn a_standard_topic_cannot_feed_a_fifo_queue() {
    let (s, _p) = start(None);
    let u = &s.url;
    sns_ok(u, "CreateTopic", &[("Name", "plain")]);
    create_queue(u, "ordered.fifo");
    let (status, xml) = sns(
        u,
        "Subscribe",
        &[
            ("TopicArn", &topic_arn("plain")),
            ("Protocol", "sqs"),
            ("Endpoint", &queue_arn("ordered.fifo")),
        ],
    );
    assert_eq!(status, 400, "{xml}");
    assert_eq!(xml_text(&xml, "Code").as_deref(), Some("InvalidParameter"));
    assert_eq!(
        xml_text(&xml, "Message").as_deref(),
        Some(
            "Invalid parameter: Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics"
        )
    );
}
