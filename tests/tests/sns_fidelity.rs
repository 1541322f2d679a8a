//! SNS answering exactly as AWS does, per recordings of real AWS (LocalStack's
//! AWS-validated snapshots and integration tests run against AWS): the
//! attribute sets of subscriptions and topics, the FIFO notification
//! envelope, Subscribe/Unsubscribe idempotency, validation errors word for
//! word (code, status, message), and filter policies on message bodies.

mod sns_common;

use std::collections::BTreeMap;

use serde_json::{Value, json};
use sns_common::*;

/// The code SNS answers for malformed message attributes (the model's
/// `InvalidParameterValueException`).
const ATTR_CODE: &str = "ParameterValueInvalid";

/// Status, code, message and type of an error answer (panics on success).
fn error(url: &str, action: &str, params: &[(&str, &str)]) -> (u16, String, String, String) {
    let (status, body) = sns(url, action, params);
    assert_ne!(status, 200, "{action} succeeded: {body}");
    (
        status,
        xml_text(&body, "Code").unwrap_or_default(),
        xml_text(&body, "Message").unwrap_or_default(),
        xml_text(&body, "Type").unwrap_or_default(),
    )
}

/// Asserts an error answer is exactly `status`/`code`/`message` (a Sender fault).
fn expect_error(
    url: &str,
    action: &str,
    params: &[(&str, &str)],
    status: u16,
    code: &str,
    message: &str,
) {
    let got = error(url, action, params);
    assert_eq!(
        got,
        (
            status,
            code.to_string(),
            message.to_string(),
            "Sender".to_string()
        ),
        "{action} {params:?}"
    );
}

/// `InvalidParameter` (400) with this message.
fn expect_invalid(url: &str, action: &str, params: &[(&str, &str)], message: &str) {
    expect_error(url, action, params, 400, "InvalidParameter", message);
}

fn sub_attributes(url: &str, sub: &str) -> BTreeMap<String, String> {
    attributes(&sns_ok(
        url,
        "GetSubscriptionAttributes",
        &[("SubscriptionArn", sub)],
    ))
}

fn set_sub_attribute(url: &str, sub: &str, name: &str, value: &str) {
    sns_ok(
        url,
        "SetSubscriptionAttributes",
        &[
            ("SubscriptionArn", sub),
            ("AttributeName", name),
            ("AttributeValue", value),
        ],
    );
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The nine attributes AWS reports for a fresh SQS subscription.
fn default_sqs_sub(sub: &str, topic: &str, queue: &str) -> BTreeMap<String, String> {
    map(&[
        ("ConfirmationWasAuthenticated", "true"),
        ("Endpoint", &queue_arn(queue)),
        ("Owner", ACCOUNT),
        ("PendingConfirmation", "false"),
        ("Protocol", "sqs"),
        ("RawMessageDelivery", "false"),
        ("SubscriptionArn", sub),
        (
            "SubscriptionPrincipal",
            &format!("arn:aws:iam::{ACCOUNT}:root"),
        ),
        ("TopicArn", topic),
    ])
}

#[test]
fn subscription_attributes_are_the_set_aws_reports() {
    let (s, _p) = start(None);
    let u = &s.url;
    let topic = topic_arn("subs");
    sns_ok(u, "CreateTopic", &[("Name", "subs")]);
    create_queue(u, "q1");
    let sub = subscribe(u, &topic, "q1", &[]);
    let mut want = default_sqs_sub(&sub, &topic, "q1");
    assert_eq!(sub_attributes(u, &sub), want);

    // A scope alone is kept but not shown; with a policy it is.
    set_sub_attribute(u, &sub, "FilterPolicyScope", "MessageBody");
    assert_eq!(sub_attributes(u, &sub), want);
    set_sub_attribute(u, &sub, "FilterPolicy", r#"{"attr": ["match-this"]}"#);
    let mut with_policy = want.clone();
    with_policy.insert("FilterPolicy".into(), r#"{"attr": ["match-this"]}"#.into());
    with_policy.insert("FilterPolicyScope".into(), "MessageBody".into());
    assert_eq!(sub_attributes(u, &sub), with_policy);
    // An empty policy removes it, and the scope disappears with it.
    set_sub_attribute(u, &sub, "FilterPolicy", "");
    assert_eq!(sub_attributes(u, &sub), want);
    // A policy without a scope: MessageAttributes.
    let sub_b = {
        create_queue(u, "q2");
        subscribe(
            u,
            &topic,
            "q2",
            &[(
                "FilterPolicy",
                r#"{"attr1": [{"numeric": [">", 0, "<=", 100]}]}"#,
            )],
        )
    };
    let mut b = default_sqs_sub(&sub_b, &topic, "q2");
    b.insert(
        "FilterPolicy".into(),
        r#"{"attr1": [{"numeric": [">", 0, "<=", 100]}]}"#.into(),
    );
    b.insert("FilterPolicyScope".into(), "MessageAttributes".into());
    assert_eq!(sub_attributes(u, &sub_b), b);

    // RedrivePolicy only once set.
    create_queue(u, "dlq");
    let redrive = format!(r#"{{"deadLetterTargetArn":"{}"}}"#, queue_arn("dlq"));
    set_sub_attribute(u, &sub, "RedrivePolicy", &redrive);
    want.insert("RedrivePolicy".into(), redrive);
    assert_eq!(sub_attributes(u, &sub), want);

    // Subscribe's attributes: raw delivery lower-cased, an empty policy is none.
    create_queue(u, "q3");
    let sub_c = subscribe(
        u,
        &topic,
        "q3",
        &[
            ("RawMessageDelivery", "TrUe"),
            ("FilterPolicyScope", "MessageBody"),
            ("FilterPolicy", ""),
        ],
    );
    let mut c = default_sqs_sub(&sub_c, &topic, "q3");
    c.insert("RawMessageDelivery".into(), "true".into());
    assert_eq!(sub_attributes(u, &sub_c), c);

    // Errors, in AWS's words.
    let p = subscribe_params(&topic, "q4", &[("RawMessageDelivery", "wrongvalue")]);
    expect_invalid(
        u,
        "Subscribe",
        &pairs(&p),
        "Invalid parameter: Attributes Reason: RawMessageDelivery: Invalid value [wrongvalue]. Must be true or false.",
    );
    let set = |name: &str, value: &str| {
        vec![
            ("SubscriptionArn".to_string(), sub.clone()),
            ("AttributeName".to_string(), name.to_string()),
            ("AttributeValue".to_string(), value.to_string()),
        ]
    };
    expect_invalid(
        u,
        "SetSubscriptionAttributes",
        &pairs(&set("RawMessageDelivery", "test-ValUe")),
        "Invalid parameter: RawMessageDelivery: Invalid value [test-ValUe]. Must be true or false.",
    );
    expect_invalid(
        u,
        "SetSubscriptionAttributes",
        &pairs(&set("RawMessageDelivery", "")),
        "Invalid parameter: RawMessageDelivery: Invalid value []. Must be true or false.",
    );
    expect_invalid(
        u,
        "SetSubscriptionAttributes",
        &pairs(&set("NotAnAttribute", "x")),
        "Invalid parameter: AttributeName",
    );
    expect_invalid(
        u,
        "SetSubscriptionAttributes",
        &pairs(&set(
            "RedrivePolicy",
            r#"{"deadLetterTargetArn":"fake-arn"}"#,
        )),
        "Invalid parameter: RedrivePolicy: deadLetterTargetArn is an invalid arn",
    );
    expect_invalid(
        u,
        "SetSubscriptionAttributes",
        &pairs(&set("FilterPolicyScope", "RandomValue")),
        "Invalid parameter: FilterPolicyScope: Invalid value [RandomValue]. Please use either MessageBody or MessageAttributes",
    );
    // Nothing of that was stored.
    assert_eq!(sub_attributes(u, &sub), want);

    let missing = format!("{}00000000", &sub[..sub.len() - 8]);
    let missing = if missing == sub {
        format!("{}11111111", &sub[..sub.len() - 8])
    } else {
        missing
    };
    expect_error(
        u,
        "GetSubscriptionAttributes",
        &[("SubscriptionArn", &missing)],
        404,
        "NotFound",
        "Subscription does not exist",
    );
    expect_invalid(
        u,
        "GetSubscriptionAttributes",
        &[(
            "SubscriptionArn",
            &format!("arn:aws:sns:us-east-1:{ACCOUNT}:nonexistent-xxx"),
        )],
        "Invalid parameter: SubscriptionId",
    );
    expect_invalid(
        u,
        "GetSubscriptionAttributes",
        &[("SubscriptionArn", "pending confirmation")],
        "Invalid parameter: SubscriptionArn Reason: An ARN must have at least 6 elements, not 1",
    );
    sns_ok(u, "Unsubscribe", &[("SubscriptionArn", &sub)]);
    expect_error(
        u,
        "SetSubscriptionAttributes",
        &pairs(&set("RawMessageDelivery", "true")),
        404,
        "NotFound",
        "Subscription does not exist",
    );
}

/// AWS's default policy of a topic, compact, keys in AWS's order.
fn default_policy(topic: &str) -> String {
    format!(
        r#"{{"Version":"2008-10-17","Id":"__default_policy_ID","Statement":[{{"Sid":"__default_statement_ID","Effect":"Allow","Principal":{{"AWS":"*"}},"Action":["SNS:GetTopicAttributes","SNS:SetTopicAttributes","SNS:AddPermission","SNS:RemovePermission","SNS:DeleteTopic","SNS:Subscribe","SNS:ListSubscriptionsByTopic","SNS:Publish"],"Resource":"{topic}","Condition":{{"StringEquals":{{"AWS:SourceOwner":"{ACCOUNT}"}}}}}}]}}"#
    )
}

const EFFECTIVE_DELIVERY_POLICY: &str = r#"{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"disableSubscriptionOverrides":false,"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}}"#;

/// The eight attributes AWS reports for a standard topic.
fn standard_topic(topic: &str) -> BTreeMap<String, String> {
    map(&[
        ("DisplayName", ""),
        ("EffectiveDeliveryPolicy", EFFECTIVE_DELIVERY_POLICY),
        ("Owner", ACCOUNT),
        ("Policy", &default_policy(topic)),
        ("SubscriptionsConfirmed", "0"),
        ("SubscriptionsDeleted", "0"),
        ("SubscriptionsPending", "0"),
        ("TopicArn", topic),
    ])
}

fn topic_attributes(url: &str, topic: &str) -> BTreeMap<String, String> {
    attributes(&sns_ok(url, "GetTopicAttributes", &[("TopicArn", topic)]))
}

#[test]
fn topic_attributes_are_the_set_aws_reports() {
    let (s, _p) = start(None);
    let u = &s.url;
    // FifoTopic=false is accepted and not echoed.
    sns_ok(
        u,
        "CreateTopic",
        &[
            ("Name", "plain"),
            ("Attributes.entry.1.key", "FifoTopic"),
            ("Attributes.entry.1.value", "false"),
        ],
    );
    let plain = topic_arn("plain");
    assert_eq!(topic_attributes(u, &plain), standard_topic(&plain));

    sns_ok(
        u,
        "CreateTopic",
        &[
            ("Name", "ordered.fifo"),
            ("Attributes.entry.1.key", "FifoTopic"),
            ("Attributes.entry.1.value", "true"),
        ],
    );
    let fifo = topic_arn("ordered.fifo");
    let mut want = standard_topic(&fifo);
    want.insert("FifoTopic".into(), "true".into());
    want.insert("ContentBasedDeduplication".into(), "false".into());
    assert_eq!(topic_attributes(u, &fifo), want);

    sns_ok(
        u,
        "CreateTopic",
        &[
            ("Name", "cbd.fifo"),
            ("Attributes.entry.1.key", "FifoTopic"),
            ("Attributes.entry.1.value", "true"),
            ("Attributes.entry.2.key", "ContentBasedDeduplication"),
            ("Attributes.entry.2.value", "true"),
            ("Attributes.entry.3.key", "SignatureVersion"),
            ("Attributes.entry.3.value", "2"),
            ("Attributes.entry.4.key", "DisplayName"),
            ("Attributes.entry.4.value", "TestTopic"),
        ],
    );
    let cbd = topic_arn("cbd.fifo");
    let mut want = standard_topic(&cbd);
    want.insert("FifoTopic".into(), "true".into());
    want.insert("ContentBasedDeduplication".into(), "true".into());
    want.insert("SignatureVersion".into(), "2".into());
    want.insert("DisplayName".into(), "TestTopic".into());
    assert_eq!(topic_attributes(u, &cbd), want);

    // A subscription is counted.
    create_queue(u, "counted");
    subscribe(u, &plain, "counted", &[]);
    let mut want = standard_topic(&plain);
    want.insert("SubscriptionsConfirmed".into(), "1".into());
    assert_eq!(topic_attributes(u, &plain), want);

    // Feedback attributes appear once set.
    for (name, value) in [
        (
            "LambdaSuccessFeedbackRoleArn",
            format!("arn:aws:iam::{ACCOUNT}:role/feedback"),
        ),
        ("LambdaSuccessFeedbackSampleRate", "100".to_string()),
    ] {
        sns_ok(
            u,
            "SetTopicAttributes",
            &[
                ("TopicArn", &plain),
                ("AttributeName", name),
                ("AttributeValue", &value),
            ],
        );
        want.insert(name.to_string(), value);
    }
    assert_eq!(topic_attributes(u, &plain), want);
    expect_invalid(
        u,
        "CreateTopic",
        &[
            ("Name", "rates"),
            ("Attributes.entry.1.key", "SQSSuccessFeedbackSampleRate"),
            ("Attributes.entry.1.value", "500"),
        ],
        "Invalid parameter: Attributes Reason: SQSSuccessFeedbackSampleRate: 500 value provided is not an integer between 0-100",
    );
    expect_invalid(
        u,
        "SetTopicAttributes",
        &[
            ("TopicArn", &plain),
            ("AttributeName", "FifoTopic"),
            ("AttributeValue", "false"),
        ],
        "Invalid parameter: AttributeName",
    );
    expect_error(
        u,
        "GetTopicAttributes",
        &[("TopicArn", &topic_arn("nothing-here"))],
        404,
        "NotFound",
        "Topic does not exist",
    );
    expect_invalid(
        u,
        "GetTopicAttributes",
        &[("TopicArn", "test-topic")],
        "Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 1",
    );
    expect_invalid(
        u,
        "GetTopicAttributes",
        &[(
            "TopicArn",
            &format!("arn:aws:sns:eu-west-1:{ACCOUNT}:plain"),
        )],
        "Invalid parameter: TopicArn",
    );
    expect_invalid(
        u,
        "DeleteTopic",
        &[("TopicArn", "xxxInvalid:Topic:Arn")],
        "Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 3",
    );
    // Deleting a topic that does not exist succeeds.
    sns_ok(
        u,
        "DeleteTopic",
        &[("TopicArn", &topic_arn("nothing-here"))],
    );
}

#[test]
fn fifo_notifications_carry_a_sequence_number_and_no_signature() {
    let (s, _p) = start(None);
    let u = &s.url;
    sns_ok(
        u,
        "CreateTopic",
        &[
            ("Name", "env.fifo"),
            ("Attributes.entry.1.key", "FifoTopic"),
            ("Attributes.entry.1.value", "true"),
        ],
    );
    let topic = topic_arn("env.fifo");
    let fq = create_queue(u, "env-q.fifo");
    let sq = create_queue(u, "env-std");
    let fifo_sub = subscribe(u, &topic, "env-q.fifo", &[]);
    let std_sub = subscribe(u, &topic, "env-std", &[]);
    let out = sns_ok(
        u,
        "Publish",
        &[
            ("TopicArn", &topic),
            ("Message", "ordered \"one\""),
            ("Subject", "Hello"),
            ("MessageGroupId", "g1"),
            ("MessageDeduplicationId", "d1"),
        ],
    );
    let id = xml_text(&out, "MessageId").unwrap();
    let seq = xml_text(&out, "SequenceNumber").unwrap();
    assert_eq!(seq.len(), 20, "{seq}");
    for (queue, sub) in [(&fq, &fifo_sub), (&sq, &std_sub)] {
        let got = drain(u, queue);
        assert_eq!(got.len(), 1, "{queue}: {got:?}");
        let body = got[0]["Body"].as_str().unwrap();
        let v: Value = serde_json::from_str(body).unwrap();
        let expected = format!(
            "{{\n  \"Type\" : \"Notification\",\n  \"MessageId\" : \"{id}\",\n  \"SequenceNumber\" : \"{seq}\",\n  \"TopicArn\" : \"{topic}\",\n  \"Subject\" : \"Hello\",\n  \"Message\" : \"ordered \\\"one\\\"\",\n  \"Timestamp\" : \"{ts}\",\n  \"UnsubscribeURL\" : \"{unsub}\"\n}}",
            ts = v["Timestamp"].as_str().unwrap(),
            unsub = v["UnsubscribeURL"].as_str().unwrap(),
        );
        assert_eq!(body, expected);
        assert_eq!(
            v["UnsubscribeURL"],
            format!("{u}/?Action=Unsubscribe&SubscriptionArn={sub}").as_str(),
            "{body}"
        );
    }
    // A standard topic's notifications stay signed.
    sns_ok(u, "CreateTopic", &[("Name", "signed")]);
    let signed = topic_arn("signed");
    subscribe(u, &signed, "env-std", &[]);
    sns_ok(u, "Publish", &[("TopicArn", &signed), ("Message", "m")]);
    let got = drain(u, &sq);
    let v: Value = serde_json::from_str(got[0]["Body"].as_str().unwrap()).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    let mut want = vec![
        "Message",
        "MessageId",
        "Signature",
        "SignatureVersion",
        "SigningCertURL",
        "Timestamp",
        "TopicArn",
        "Type",
        "UnsubscribeURL",
    ];
    want.sort();
    let mut keys = keys;
    keys.sort();
    assert_eq!(keys, want);
}

#[test]
fn subscribe_is_idempotent_and_unsubscribe_tolerates_missing_subscriptions() {
    let (s, _p) = start(None);
    let u = &s.url;
    sns_ok(u, "CreateTopic", &[("Name", "idem")]);
    let topic = topic_arn("idem");
    create_queue(u, "iq");
    let first = subscribe(u, &topic, "iq", &[("RawMessageDelivery", "True")]);
    for attrs in [
        vec![("RawMessageDelivery", "true")],
        vec![
            ("RawMessageDelivery", "true"),
            ("FilterPolicyScope", "MessageAttributes"),
        ],
        vec![],
        vec![("FilterPolicyScope", "MessageAttributes")],
    ] {
        assert_eq!(subscribe(u, &topic, "iq", &attrs), first, "{attrs:?}");
    }
    let p = subscribe_params(
        &topic,
        "iq",
        &[
            ("RawMessageDelivery", "false"),
            ("FilterPolicyScope", "MessageBody"),
        ],
    );
    expect_invalid(
        u,
        "Subscribe",
        &pairs(&p),
        "Invalid parameter: Attributes Reason: Subscription already exists with different attributes",
    );
    // Still one subscription, as first made.
    let listed = sns_ok(u, "ListSubscriptionsByTopic", &[("TopicArn", &topic)]);
    assert_eq!(xml_all(&listed, "SubscriptionArn"), vec![first.clone()]);
    assert_eq!(sub_attributes(u, &first)["RawMessageDelivery"], "true");

    // Unsubscribing twice succeeds both times, with an empty result.
    for _ in 0..2 {
        let body = sns_ok(u, "Unsubscribe", &[("SubscriptionArn", &first)]);
        assert!(body.contains("<UnsubscribeResponse"), "{body}");
    }
    let listed = sns_ok(u, "ListSubscriptionsByTopic", &[("TopicArn", &topic)]);
    assert!(xml_all(&listed, "SubscriptionArn").is_empty(), "{listed}");

    for (arn, message) in [
        (
            "randomstring",
            "Invalid parameter: SubscriptionArn Reason: An ARN must have at least 6 elements, not 1",
        ),
        (
            "arn:aws:sns:us-east-1:random",
            "Invalid parameter: SubscriptionArn Reason: An ARN must have at least 6 elements, not 5",
        ),
        (
            "pending confirmation",
            "Invalid parameter: SubscriptionArn Reason: An ARN must have at least 6 elements, not 1",
        ),
    ] {
        expect_invalid(u, "Unsubscribe", &[("SubscriptionArn", arn)], message);
    }
    expect_invalid(
        u,
        "Unsubscribe",
        &[(
            "SubscriptionArn",
            &format!("arn:aws:sns:us-east-1:{ACCOUNT}:random"),
        )],
        "Invalid parameter: SubscriptionId",
    );
}

/// A message attribute case: name, value fields, error code and message.
type Case<'a> = (&'a str, Vec<(&'a str, &'a str)>, &'a str, &'a str);

/// `MessageAttributes.entry.1` of a Publish with these value fields.
fn attr_params(name: &str, fields: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut p = vec![(
        "MessageAttributes.entry.1.Name".to_string(),
        name.to_string(),
    )];
    for (k, v) in fields {
        p.push((
            format!("MessageAttributes.entry.1.Value.{k}"),
            v.to_string(),
        ));
    }
    p
}

#[test]
fn publish_validation_answers_in_aws_words() {
    let (s, _p) = start(None);
    let u = &s.url;
    sns_ok(u, "CreateTopic", &[("Name", "checks")]);
    let topic = topic_arn("checks");

    // Size: the message plus every attribute's name, type and value.
    let attr = [("DataType", "Number"), ("StringValue", "1")];
    let limit = 262_144 - "attr1Number1".len();
    for (len, ok) in [(limit, true), (limit + 1, false)] {
        let message = "x".repeat(len);
        let mut p = vec![
            ("TopicArn".to_string(), topic.clone()),
            ("Message".to_string(), message),
        ];
        p.extend(attr_params("attr1", &attr));
        if ok {
            sns_ok(u, "Publish", &pairs(&p));
        } else {
            expect_invalid(
                u,
                "Publish",
                &pairs(&p),
                "Invalid parameter: Message too long",
            );
        }
    }
    let long = "x".repeat(262_145);
    expect_invalid(
        u,
        "Publish",
        &[("TopicArn", &topic), ("Message", &long)],
        "Invalid parameter: Message too long",
    );
    sns_ok(
        u,
        "Publish",
        &[("TopicArn", &topic), ("Message", &long[1..])],
    );

    // The recorded message attribute cases (but a missing DataType, which the
    // request decoder reports before SNS sees it), Publish and PublishBatch.
    let cases: Vec<Case> = vec![
        (
            "attr1",
            vec![("DataType", "String"), ("StringValue", "")],
            ATTR_CODE,
            "The message attribute 'attr1' must contain non-empty message attribute value for message attribute type 'String'.",
        ),
        (
            "attr1",
            vec![("DataType", "String")],
            ATTR_CODE,
            "The message attribute 'attr1' must contain non-empty message attribute value for message attribute type 'String'.",
        ),
        (
            "attr1",
            vec![("DataType", "Binary"), ("BinaryValue", "")],
            ATTR_CODE,
            "The message attribute 'attr1' must contain non-empty message attribute value for message attribute type 'Binary'.",
        ),
        (
            "attr1",
            vec![("DataType", "String"), ("BinaryValue", "MTIz")],
            ATTR_CODE,
            "The message attribute 'attr1' with type 'String' must use field 'String'.",
        ),
        (
            "attr1",
            vec![("DataType", "Number"), ("BinaryValue", "MTIz")],
            ATTR_CODE,
            "The message attribute 'attr1' with type 'Number' must use field 'String'.",
        ),
        (
            "attr1",
            vec![("DataType", "Binary"), ("StringValue", "123")],
            ATTR_CODE,
            "The message attribute 'attr1' with type 'Binary' must use field 'Binary'.",
        ),
        (
            "attr1",
            vec![("DataType", "InvalidType"), ("StringValue", "123")],
            ATTR_CODE,
            "The message attribute 'attr1' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.",
        ),
        (
            "attr1",
            vec![("DataType", "String."), ("StringValue", "123")],
            ATTR_CODE,
            "The message attribute 'attr1' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.",
        ),
        (
            "attr1",
            vec![("DataType", "Stringprefixed"), ("StringValue", "123")],
            ATTR_CODE,
            "The message attribute 'attr1' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.",
        ),
        (
            "a^*?",
            vec![("DataType", "String"), ("StringValue", "v")],
            ATTR_CODE,
            "Invalid non-alphanumeric character '#x5E' was found in the message attribute name. Can only include alphanumeric characters, hyphens, underscores, or dots.",
        ),
        (
            ".abc",
            vec![("DataType", "String"), ("StringValue", "v")],
            ATTR_CODE,
            "Invalid message attribute name starting with character '.' was found.",
        ),
        (
            "abc.",
            vec![("DataType", "String"), ("StringValue", "v")],
            ATTR_CODE,
            "Invalid message attribute name ending with character '.' was found.",
        ),
        (
            "a..bc",
            vec![("DataType", "String"), ("StringValue", "v")],
            ATTR_CODE,
            "Message attribute name can not have successive '.' character.",
        ),
    ];
    let long_name = "a".repeat(257);
    let mut cases = cases;
    cases.push((
        &long_name,
        vec![("DataType", "String"), ("StringValue", "v")],
        ATTR_CODE,
        "Length of message attribute name must be less than 256 bytes.",
    ));
    for (name, fields, code, message) in &cases {
        let mut p = vec![
            ("TopicArn".to_string(), topic.clone()),
            ("Message".to_string(), "m".to_string()),
        ];
        p.extend(attr_params(name, fields));
        expect_error(u, "Publish", &pairs(&p), 400, code, message);

        // In a batch the whole request fails, not just the entry.
        let mut b = vec![
            ("TopicArn".to_string(), topic.clone()),
            (
                "PublishBatchRequestEntries.member.1.Id".to_string(),
                "ok".to_string(),
            ),
            (
                "PublishBatchRequestEntries.member.1.Message".to_string(),
                "m".to_string(),
            ),
            (
                "PublishBatchRequestEntries.member.2.Id".to_string(),
                "bad".to_string(),
            ),
            (
                "PublishBatchRequestEntries.member.2.Message".to_string(),
                "m".to_string(),
            ),
        ];
        for (k, v) in attr_params(name, fields) {
            b.push((format!("PublishBatchRequestEntries.member.2.{k}"), v));
        }
        expect_error(u, "PublishBatch", &pairs(&b), 400, code, message);
    }
    // Custom type suffixes after a dot are fine.
    for data_type in ["String.prefixed", "String.  prefixed."] {
        let mut p = vec![
            ("TopicArn".to_string(), topic.clone()),
            ("Message".to_string(), "m".to_string()),
        ];
        p.extend(attr_params(
            "attr1",
            &[("DataType", data_type), ("StringValue", "v")],
        ));
        sns_ok(u, "Publish", &pairs(&p));
    }

    // PublishBatch: entry count, distinct ids, total size.
    let mut b = vec![("TopicArn".to_string(), topic.clone())];
    for i in 0..11 {
        b.push((
            format!("PublishBatchRequestEntries.member.{}.Id", i + 1),
            format!("Id_{i}"),
        ));
        b.push((
            format!("PublishBatchRequestEntries.member.{}.Message", i + 1),
            "m".into(),
        ));
    }
    expect_error(
        u,
        "PublishBatch",
        &pairs(&b),
        400,
        "TooManyEntriesInBatchRequest",
        "The batch request contains more entries than permissible.",
    );
    let batch = |entries: &[(&str, String)]| {
        let mut b = vec![("TopicArn".to_string(), topic.clone())];
        for (i, (id, m)) in entries.iter().enumerate() {
            b.push((
                format!("PublishBatchRequestEntries.member.{}.Id", i + 1),
                id.to_string(),
            ));
            b.push((
                format!("PublishBatchRequestEntries.member.{}.Message", i + 1),
                m.clone(),
            ));
        }
        b
    };
    expect_error(
        u,
        "PublishBatch",
        &pairs(&batch(&[("1", "a".into()), ("1", "b".into())])),
        400,
        "BatchEntryIdsNotDistinct",
        "Two or more batch entries in the request have the same Id.",
    );
    expect_error(
        u,
        "PublishBatch",
        &pairs(&batch(&[
            ("a", "x".repeat(131_072)),
            ("b", "x".repeat(131_073)),
        ])),
        400,
        "BatchRequestTooLong",
        "The length of all the messages put together is more than the limit.",
    );
    let ok = sns_ok(
        u,
        "PublishBatch",
        &pairs(&batch(&[
            ("a", "x".repeat(131_072)),
            ("b", "x".repeat(131_072)),
        ])),
    );
    assert_eq!(xml_all(&ok, "Id"), ["a", "b"], "{ok}");

    // Wrong ARNs.
    for (arn, n) in [("randomstring", 1), ("randomstring:1", 2), ("", 1)] {
        expect_invalid(
            u,
            "Publish",
            &[("TopicArn", arn), ("Message", "m")],
            &format!(
                "Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not {n}"
            ),
        );
    }
    expect_error(
        u,
        "Publish",
        &[("TopicArn", &format!("{topic}-fake")), ("Message", "m")],
        404,
        "NotFound",
        "Topic does not exist",
    );
    expect_invalid(
        u,
        "Publish",
        &[
            (
                "TargetArn",
                &format!(
                    "arn:aws:sns:us-east-1:{ACCOUNT}:endpoint/APNS/abcdef/0f5e6a3c-2b0c-4f46-8f59-1b2cf9a3b2c1"
                ),
            ),
            ("Message", "m"),
        ],
        "Invalid parameter: TargetArn Reason: No endpoint found for the target arn specified",
    );
    expect_invalid(
        u,
        "Publish",
        &[("Message", "m")],
        "Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter",
    );
    expect_invalid(
        u,
        "Publish",
        &[
            (
                "TopicArn",
                &format!("arn:aws:sns:eu-west-1:{ACCOUNT}:checks"),
            ),
            ("Message", "m"),
        ],
        "Invalid parameter: TopicArn",
    );
    for (arn, n) in [("randomstring", 1), ("arn:aws:sns:us-east-1:random", 5)] {
        expect_invalid(
            u,
            "Subscribe",
            &[
                ("TopicArn", arn),
                ("Protocol", "sqs"),
                ("Endpoint", &queue_arn("q")),
            ],
            &format!(
                "Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not {n}"
            ),
        );
    }
    expect_error(
        u,
        "Subscribe",
        &[
            ("TopicArn", &format!("{topic}aaa")),
            ("Protocol", "sqs"),
            ("Endpoint", &queue_arn("q")),
        ],
        404,
        "NotFound",
        "Topic does not exist",
    );
}

#[test]
fn topic_names_and_tags_are_checked_as_aws_does() {
    let (s, _p) = start(None);
    let u = &s.url;
    let max = "a".repeat(256);
    sns_ok(u, "CreateTopic", &[("Name", &max)]);
    let too_long = "a".repeat(257);
    for name in [
        "", &too_long, "bad:name", "bad;name", "bad!name", "bad@name", "bad|name", "bad^name",
        "bad%name", "bad name",
    ] {
        expect_invalid(
            u,
            "CreateTopic",
            &[("Name", name)],
            "Invalid parameter: Topic Name",
        );
    }
    // FifoTopic=true without the .fifo suffix.
    expect_invalid(
        u,
        "CreateTopic",
        &[
            ("Name", "no-suffix"),
            ("Attributes.entry.1.key", "FifoTopic"),
            ("Attributes.entry.1.value", "true"),
        ],
        "Invalid parameter: Topic Name",
    );

    // Tag keys over 128 characters: the request framework's words.
    let long_key = "k".repeat(129);
    let too_long = format!(
        "1 validation error detected: Value '{long_key}' at 'tags.1.member.key' failed to satisfy constraint: Member must have length less than or equal to 128"
    );
    expect_error(
        u,
        "CreateTopic",
        &[
            ("Name", "long-tags"),
            ("Tags.member.1.Key", &long_key),
            ("Tags.member.1.Value", "v"),
        ],
        400,
        "ValidationError",
        &too_long,
    );
    sns_ok(u, "CreateTopic", &[("Name", "tagged")]);
    let arn = topic_arn("tagged");
    expect_error(
        u,
        "TagResource",
        &[
            ("ResourceArn", &arn),
            ("Tags.member.1.Key", &long_key),
            ("Tags.member.1.Value", "v"),
        ],
        400,
        "ValidationError",
        &too_long,
    );
    expect_invalid(
        u,
        "TagResource",
        &[
            ("ResourceArn", &arn),
            ("Tags.member.1.Key", "k1"),
            ("Tags.member.1.Value", "v1"),
            ("Tags.member.2.Key", "k1"),
            ("Tags.member.2.Value", "v2"),
        ],
        "Invalid parameter: Duplicated keys are not allowed.",
    );
    let listed = sns_ok(u, "ListTagsForResource", &[("ResourceArn", &arn)]);
    assert!(xml_all(&listed, "Key").is_empty(), "{listed}");
    let mut tags: Vec<(String, String)> = vec![("ResourceArn".into(), arn.clone())];
    for i in 1..=51 {
        tags.push((format!("Tags.member.{i}.Key"), format!("k{i}")));
        tags.push((format!("Tags.member.{i}.Value"), "v".into()));
    }
    expect_error(
        u,
        "TagResource",
        &pairs(&tags),
        400,
        "TagLimitExceeded",
        "Could not complete request: tag quota of per resource exceeded",
    );
    // Upserts and removal.
    sns_ok(
        u,
        "TagResource",
        &[
            ("ResourceArn", &arn),
            ("Tags.member.1.Key", "k1"),
            ("Tags.member.1.Value", "v1"),
            ("Tags.member.2.Key", "k2"),
            ("Tags.member.2.Value", "v2"),
        ],
    );
    sns_ok(
        u,
        "TagResource",
        &[
            ("ResourceArn", &arn),
            ("Tags.member.1.Key", "k2"),
            ("Tags.member.1.Value", "v2b"),
        ],
    );
    sns_ok(
        u,
        "UntagResource",
        &[("ResourceArn", &arn), ("TagKeys.member.1", "k1")],
    );
    let listed = sns_ok(u, "ListTagsForResource", &[("ResourceArn", &arn)]);
    assert_eq!(xml_all(&listed, "Key"), ["k2"]);
    assert_eq!(xml_all(&listed, "Value"), ["v2b"]);
}

fn publish(url: &str, topic: &str, message: &str) {
    sns_ok(url, "Publish", &[("TopicArn", topic), ("Message", message)]);
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[test]
fn message_body_filters_flatten_nested_keys_arrays_and_dots() {
    let (s, _p) = start(None);
    let u = &s.url;
    sns_ok(u, "CreateTopic", &[("Name", "bodies")]);
    let topic = topic_arn("bodies");
    let body_scope = |queue: &str, policy: Value| {
        create_queue(u, queue);
        subscribe(
            u,
            &topic,
            queue,
            &[
                ("FilterPolicyScope", "MessageBody"),
                ("FilterPolicy", &policy.to_string()),
                ("RawMessageDelivery", "true"),
            ],
        );
    };
    body_scope(
        "nested",
        json!({"object": {"key": [{"prefix": "auto-"}, "hardcodedvalue"], "nested_key": [{"exists": false}]}, "test": [{"exists": false}]}),
    );
    body_scope("dotted", json!({"object.nested": ["string.value"]}));
    body_scope("dotted3", json!({"object.nested.test": ["string.value"]}));
    body_scope("array", json!({"headers": {"route-to": ["queue1"]}}));
    body_scope(
        "records",
        json!({"Records": {"s3": {"object": {"key": [{"prefix": "auto-"}]}}, "eventName": [{"prefix": "ObjectCreated:"}]}}),
    );

    let bodies = [
        json!({"object": {"key": "auto-test"}}).to_string(),
        json!({"object": {"key": "hardcodedvalue"}}).to_string(),
        json!({"object": {"key": "test-auto"}}).to_string(),
        json!({"object": {"key": "auto-test"}, "test": "just-exists"}).to_string(),
        json!({"object": {"key": "auto-test", "nested_key": "just-exists"}}).to_string(),
        json!({"object": {"test": "auto-test"}}).to_string(),
        json!({"test": "auto-test"}).to_string(),
        "Regular string message".to_string(),
        json!("a json string").to_string(),
        json!({"object": {"nested": "string.value"}}).to_string(),
        json!({"object.nested": "string.value"}).to_string(),
        json!({"object": {"nested": "test-auto"}}).to_string(),
        json!({"object": {"nested": {"test": "string.value"}}}).to_string(),
        json!({"object.nested.test": "string.value"}).to_string(),
        json!({"object.nested": {"test": "string.value"}}).to_string(),
        json!({"object": {"nested.test": "string.value"}}).to_string(),
        json!({"object": {"nested": {"test": "string.notvalue"}}}).to_string(),
        json!({"headers": {"route-to": ["queue1"]}}).to_string(),
        json!({"headers": {"route-to": ["queue1", "queue2"]}}).to_string(),
        json!({"headers": {"route-to": ["queue3"]}}).to_string(),
    ];
    for b in &bodies {
        publish(u, &topic, b);
    }
    let record = |event: &str, key: &str| json!({"eventName": event, "s3": {"bucket": {"name": "b"}, "object": {"key": key, "size": 1}}});
    let one_created =
        json!({"Records": [record("ObjectCreated:Put", "auto-insurance-2314.xml")]}).to_string();
    let two = json!({"Records": [
        {"eventName": "ObjectCreated:Put", "s3": {"object": [[{"key": "auto-insurance-2314.xml", "size": 1}]]}},
        record("ObjectRemoved:Delete", "home-insurance-2314.xml"),
    ]})
    .to_string();
    let removed =
        json!({"Records": [record("ObjectRemoved:Delete", "auto-insurance-2314.xml")]}).to_string();
    let home =
        json!({"Records": [record("ObjectCreated:Put", "home-insurance-2314.xml")]}).to_string();
    for b in [&one_created, &two, &removed, &home] {
        publish(u, &topic, b);
    }

    assert_eq!(
        messages(u, "nested"),
        sorted(vec![bodies[0].clone(), bodies[1].clone()])
    );
    assert_eq!(
        messages(u, "dotted"),
        sorted(vec![bodies[9].clone(), bodies[10].clone()])
    );
    assert_eq!(
        messages(u, "dotted3"),
        sorted(vec![
            bodies[12].clone(),
            bodies[13].clone(),
            bodies[14].clone(),
            bodies[15].clone()
        ])
    );
    assert_eq!(
        messages(u, "array"),
        sorted(vec![bodies[17].clone(), bodies[18].clone()])
    );
    assert_eq!(messages(u, "records"), sorted(vec![one_created, two]));

    // Attribute scope: a message without the attribute is dropped even by
    // `null` and `anything-but`; removing the policy lets it through.
    create_queue(u, "attrs");
    let sub = subscribe(
        u,
        &topic,
        "attrs",
        &[(
            "FilterPolicy",
            r#"{"attr1": [null, {"anything-but": "whatever"}]}"#,
        )],
    );
    publish(u, &topic, "no attributes");
    let mut p = vec![
        ("TopicArn".to_string(), topic.clone()),
        ("Message".to_string(), "with attr1".to_string()),
    ];
    p.extend(attr_params(
        "attr1",
        &[("DataType", "String"), ("StringValue", "other")],
    ));
    sns_ok(u, "Publish", &pairs(&p));
    assert_eq!(messages(u, "attrs"), ["with attr1"]);
    set_sub_attribute(u, &sub, "FilterPolicy", "");
    publish(u, &topic, "no attributes");
    assert_eq!(messages(u, "attrs"), ["no attributes"]);
}

/// Jackson's location suffix on AWS's filter policy complaints.
fn at(column: usize) -> String {
    format!(
        "\n at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: 1, column: {column}]"
    )
}

#[test]
fn filter_policy_errors_are_worded_as_aws_words_them() {
    let (s, _p) = start(None);
    let u = &s.url;
    sns_ok(u, "CreateTopic", &[("Name", "policies")]);
    let topic = topic_arn("policies");
    create_queue(u, "fp");
    let sub = subscribe(u, &topic, "fp", &[]);
    let values = |n: usize| -> Vec<String> { (0..n).map(|i| format!("v{i}")).collect() };
    let too_complex = [
        json!({"key": values(151)}),
        json!({"key1": values(100), "key2": values(51)}),
        // 4 x (6 + 4 x (4 + 4)) = 152
        json!({"source": values(4), "$or": [{"metricName": values(6)}, {"metricType": values(4), "$or": [{"metricId": values(4)}, {"spaceId": values(4)}]}]}),
    ];
    let six_keys = json!({"a": ["1"], "b": ["1"], "c": ["1"], "d": ["1"], "e": ["1"], "f": ["1"]});
    for (policy, reason) in too_complex
        .iter()
        .map(|p| (p, "Filter policy is too complex"))
        .chain([(&six_keys, "Filter policy can not have more than 5 keys")])
    {
        let p = subscribe_params(&topic, "fp-new", &[("FilterPolicy", &policy.to_string())]);
        expect_invalid(
            u,
            "Subscribe",
            &pairs(&p),
            &format!("Invalid parameter: Attributes Reason: FilterPolicy: {reason}"),
        );
        expect_invalid(
            u,
            "SetSubscriptionAttributes",
            &[
                ("SubscriptionArn", &sub),
                ("AttributeName", "FilterPolicy"),
                ("AttributeValue", &policy.to_string()),
            ],
            &format!("Invalid parameter: FilterPolicy: {reason}"),
        );
    }
    // 3 x (6 + 4 x (4 + 7)) = 150 is fine.
    let at_limit = json!({"source": values(3), "$or": [{"metricName": values(6)}, {"metricType": values(4), "$or": [{"metricId": values(4)}, {"spaceId": values(7)}]}]});
    set_sub_attribute(u, &sub, "FilterPolicy", &at_limit.to_string());

    // Recorded messages, which end with the parser's location: the column
    // in the compact policy where AWS's rule compiler stopped reading.
    for (policy, reason, column) in [
        (
            r#"{"key":[["value"]]}"#,
            "Match value must be String, number, true, false, or null",
            10,
        ),
        (
            r#"{"key":[{"wrong-operator":true}]}"#,
            "Unrecognized match type wrong-operator",
            31,
        ),
        (
            r#"{"key":[{"suffix":"value","prefix":"value2"}]}"#,
            "Only one key allowed in match expression",
            37,
        ),
        (
            r#"{"key":[{"suffix":100}]}"#,
            "suffix match pattern must be a string",
            22,
        ),
        (
            r#"{"key":{"suffix":"value"}}"#,
            "\"suffix\" must be an object or an array",
            19,
        ),
        (
            r#"{"key":[{"exists":"no"}]}"#,
            "exists match pattern must be either true or false.",
            20,
        ),
        (
            r#"{"key":[{"numeric":[">",3,"<",1]}]}"#,
            "Bottom must be less than top",
            33,
        ),
        (
            r#"{"key":[{"numeric":[">=",1,">",2]}]}"#,
            "Bad numeric range operator: >",
            31,
        ),
        (
            r#"{"key":[{"numeric":[">",20,"<",30,"<",50]}]}"#,
            "Too many terms in numeric range expression",
            36,
        ),
        // Whitespace is not counted: AWS reads the policy re-serialized.
        (
            r#"{ "key": [ { "numeric": [ "=", "000" ] } ] }"#,
            "Value of equals must be numeric",
            26,
        ),
    ] {
        expect_invalid(
            u,
            "SetSubscriptionAttributes",
            &[
                ("SubscriptionArn", &sub),
                ("AttributeName", "FilterPolicy"),
                ("AttributeValue", policy),
            ],
            &format!("Invalid parameter: FilterPolicy: {reason}{}", at(column)),
        );
        let p = subscribe_params(&topic, "fp-new", &[("FilterPolicy", policy)]);
        expect_invalid(
            u,
            "Subscribe",
            &pairs(&p),
            &format!(
                "Invalid parameter: Attributes Reason: FilterPolicy: {reason}{}",
                at(column)
            ),
        );
    }
    // Text that is not JSON: the parser's own words and place.
    let unquoted =
        "Unexpected character ('i' (code 105)): was expecting double-quote to start field name";
    for name in ["FilterPolicy", "RedrivePolicy"] {
        expect_invalid(
            u,
            "SetSubscriptionAttributes",
            &[
                ("SubscriptionArn", &sub),
                ("AttributeName", name),
                ("AttributeValue", "{invalidjson}"),
            ],
            &format!(
                "Invalid parameter: {name}: failed to parse JSON. {unquoted}{}",
                at(2)
            ),
        );
    }
    let p = subscribe_params(&topic, "fp-new", &[("FilterPolicy", "invalid-json")]);
    expect_invalid(
        u,
        "Subscribe",
        &pairs(&p),
        &format!(
            "Invalid parameter: Attributes Reason: FilterPolicy: failed to parse JSON. Unrecognized token 'invalid': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false'){}",
            at(8)
        ),
    );

    // anything-but takes only a prefix.
    for op in ["suffix", "exists"] {
        let policy = format!(r#"{{"key":[{{"anything-but":{{"{op}":"test"}}}}]}}"#);
        let got = error(
            u,
            "SetSubscriptionAttributes",
            &[
                ("SubscriptionArn", &sub),
                ("AttributeName", "FilterPolicy"),
                ("AttributeValue", &policy),
            ],
        );
        let want = format!(
            "Invalid parameter: FilterPolicy: Unsupported anything-but pattern: {op}\n at "
        );
        assert!(got.2.starts_with(&want), "{got:?}");
    }

    // Nested policies: only for the body, and each leaf counts times its depth
    // (3 x 4 x 2 x 3 x 1 x 3 = 216).
    let nested = json!({"key_a": {"key_b": {"key_c": values(4)}}, "key_d": {"key_e": values(3)}, "key_f": values(3)});
    expect_invalid(
        u,
        "SetSubscriptionAttributes",
        &[
            ("SubscriptionArn", &sub),
            ("AttributeName", "FilterPolicy"),
            ("AttributeValue", r#"{"a": {"b": ["x"]}}"#),
        ],
        "Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy",
    );
    set_sub_attribute(u, &sub, "FilterPolicyScope", "MessageBody");
    expect_invalid(
        u,
        "SetSubscriptionAttributes",
        &[
            ("SubscriptionArn", &sub),
            ("AttributeName", "FilterPolicy"),
            ("AttributeValue", &nested.to_string()),
        ],
        "Invalid parameter: FilterPolicy: Filter policy is too complex",
    );
    // The policy set before is still in place.
    assert_eq!(
        sub_attributes(u, &sub)["FilterPolicy"],
        at_limit.to_string()
    );
}

#[test]
fn endpoints_phone_numbers_and_dead_letter_queues_are_checked_as_aws_does() {
    let (s, _p) = start(None);
    let u = &s.url;
    sns_ok(u, "CreateTopic", &[("Name", "ends")]);
    let topic = topic_arn("ends");
    for number in ["invalid-number", "NAA+15551234567"] {
        expect_invalid(
            u,
            "Subscribe",
            &[
                ("TopicArn", &topic),
                ("Protocol", "sms"),
                ("Endpoint", number),
            ],
            &format!("Invalid SMS endpoint: {number}"),
        );
    }
    sns_ok(
        u,
        "Subscribe",
        &[
            ("TopicArn", &topic),
            ("Protocol", "sms"),
            ("Endpoint", "+15555550100"),
        ],
    );
    expect_invalid(
        u,
        "Subscribe",
        &[
            ("TopicArn", &topic),
            ("Protocol", "email"),
            ("Endpoint", "this is not an email"),
        ],
        "Invalid parameter: Email address",
    );
    expect_invalid(
        u,
        "Subscribe",
        &[
            ("TopicArn", &topic),
            ("Protocol", "test-protocol"),
            ("Endpoint", "x"),
        ],
        "Invalid parameter: Amazon SNS does not support this protocol string: test-protocol",
    );
    expect_invalid(
        u,
        "Publish",
        &[("PhoneNumber", "+1a234"), ("Message", "m")],
        "Invalid parameter: PhoneNumber Reason: +1a234 is not valid to publish to",
    );

    // Confirmation tokens: one SNS could not have issued, and one of the
    // right form that confirms nothing.
    expect_invalid(
        u,
        "ConfirmSubscription",
        &[("TopicArn", &topic), ("Token", "randomtoken")],
        "Invalid token",
    );
    expect_invalid(
        u,
        "ConfirmSubscription",
        &[("TopicArn", &topic), ("Token", &"ab".repeat(64))],
        "Invalid parameter: Token",
    );
    expect_invalid(
        u,
        "AddPermission",
        &[
            ("TopicArn", &topic),
            ("Label", "l1"),
            ("AWSAccountId.member.1", "InvalidAccountId"),
            ("ActionName.member.1", "Publish"),
        ],
        "Invalid parameter: A provided account ID is not valid",
    );
    // The same action twice is fine.
    sns_ok(
        u,
        "AddPermission",
        &[
            ("TopicArn", &topic),
            ("Label", "l1"),
            ("AWSAccountId.member.1", "111122223333"),
            ("ActionName.member.1", "Publish"),
            ("ActionName.member.2", "Publish"),
        ],
    );
    // Removing a label that is not there is fine too.
    sns_ok(
        u,
        "RemovePermission",
        &[("TopicArn", &topic), ("Label", "no-such-label")],
    );

    // Raw delivery is for sqs, http(s) and firehose only.
    let raw = [
        ("TopicArn", topic.as_str()),
        ("Protocol", "email"),
        ("Endpoint", "me@example.com"),
        ("Attributes.entry.1.key", "RawMessageDelivery"),
        ("Attributes.entry.1.value", "true"),
    ];
    expect_invalid(
        u,
        "Subscribe",
        &raw,
        "Invalid parameter: Attributes Reason: Delivery protocol [email] does not support raw message delivery.",
    );
    let sms_sub = xml_text(
        &sns_ok(
            u,
            "Subscribe",
            &[
                ("TopicArn", &topic),
                ("Protocol", "sms"),
                ("Endpoint", "+15555550101"),
                ("ReturnSubscriptionArn", "true"),
            ],
        ),
        "SubscriptionArn",
    )
    .unwrap();
    expect_invalid(
        u,
        "SetSubscriptionAttributes",
        &[
            ("SubscriptionArn", &sms_sub),
            ("AttributeName", "RawMessageDelivery"),
            ("AttributeValue", "true"),
        ],
        "Invalid parameter: Delivery protocol [sms] does not support raw message delivery.",
    );

    // A FIFO topic's FIFO queue needs a FIFO dead-letter queue; its
    // standard queue may have a standard one.
    sns_ok(
        u,
        "CreateTopic",
        &[
            ("Name", "dl.fifo"),
            ("Attributes.entry.1.key", "FifoTopic"),
            ("Attributes.entry.1.value", "true"),
        ],
    );
    let fifo = topic_arn("dl.fifo");
    create_queue(u, "dl-q.fifo");
    create_queue(u, "dl-std");
    create_queue(u, "dl-dlq");
    create_queue(u, "dl-dlq.fifo");
    let fifo_sub = subscribe(u, &fifo, "dl-q.fifo", &[]);
    let std_sub = subscribe(u, &fifo, "dl-std", &[]);
    let standard_dlq = format!(r#"{{"deadLetterTargetArn":"{}"}}"#, queue_arn("dl-dlq"));
    expect_invalid(
        u,
        "SetSubscriptionAttributes",
        &[
            ("SubscriptionArn", &fifo_sub),
            ("AttributeName", "RedrivePolicy"),
            ("AttributeValue", &standard_dlq),
        ],
        "Invalid parameter: RedrivePolicy: must use a FIFO queue as DLQ for a FIFO Subscription to a FIFO Topic.",
    );
    assert!(!sub_attributes(u, &fifo_sub).contains_key("RedrivePolicy"));
    let fifo_dlq = format!(
        r#"{{"deadLetterTargetArn":"{}"}}"#,
        queue_arn("dl-dlq.fifo")
    );
    set_sub_attribute(u, &fifo_sub, "RedrivePolicy", &fifo_dlq);
    set_sub_attribute(u, &std_sub, "RedrivePolicy", &standard_dlq);
    assert_eq!(sub_attributes(u, &fifo_sub)["RedrivePolicy"], fifo_dlq);
    assert_eq!(sub_attributes(u, &std_sub)["RedrivePolicy"], standard_dlq);
}

/// A PublishBatch entry: Id, Message and extra entry fields.
type Entry<'a> = (&'a str, &'a str, &'a [(&'a str, &'a str)]);

/// PublishBatch parameters for these entries.
fn batch_params(topic: &str, entries: &[Entry]) -> Vec<(String, String)> {
    let mut b = vec![("TopicArn".to_string(), topic.to_string())];
    for (i, (id, message, extra)) in entries.iter().enumerate() {
        let base = format!("PublishBatchRequestEntries.member.{}", i + 1);
        b.push((format!("{base}.Id"), id.to_string()));
        b.push((format!("{base}.Message"), message.to_string()));
        for (k, v) in extra.iter() {
            b.push((format!("{base}.{k}"), v.to_string()));
        }
    }
    b
}

#[test]
fn publish_batch_fails_whole_or_per_entry_as_aws_does() {
    let (s, _p) = start(None);
    let u = &s.url;
    sns_ok(
        u,
        "CreateTopic",
        &[
            ("Name", "batch.fifo"),
            ("Attributes.entry.1.key", "FifoTopic"),
            ("Attributes.entry.1.value", "true"),
        ],
    );
    let fifo = topic_arn("batch.fifo");
    let q = create_queue(u, "batch-q.fifo");
    subscribe(u, &fifo, "batch-q.fifo", &[("RawMessageDelivery", "true")]);
    let good: &[(&str, &str)] = &[("MessageGroupId", "g"), ("MessageDeduplicationId", "d1")];

    // Entry count and distinct ids come first, even without group ids.
    let eleven: Vec<(String, String)> = (0..11)
        .map(|i| (format!("Id_{i}"), "m".to_string()))
        .collect();
    let eleven: Vec<Entry> = eleven
        .iter()
        .map(|(id, m)| (id.as_str(), m.as_str(), &[][..]))
        .collect();
    expect_error(
        u,
        "PublishBatch",
        &pairs(&batch_params(&fifo, &eleven)),
        400,
        "TooManyEntriesInBatchRequest",
        "The batch request contains more entries than permissible.",
    );
    expect_error(
        u,
        "PublishBatch",
        &pairs(&batch_params(&fifo, &[("1", "a", &[]), ("1", "b", &[])])),
        400,
        "BatchEntryIdsNotDistinct",
        "Two or more batch entries in the request have the same Id.",
    );
    // These fail the whole request: nothing of it is published.
    for (entries, message) in [
        (
            vec![("ok", "a", good), ("bad", "b", &[][..])],
            "Invalid parameter: The MessageGroupId parameter is required for FIFO topics",
        ),
        (
            vec![
                ("ok", "a", good),
                ("bad", "b", &[("MessageGroupId", "g")][..]),
            ],
            "Invalid parameter: The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
        ),
        (
            vec![
                ("ok", "a", good),
                (
                    "bad",
                    r#"{"sqs": "x"}"#,
                    &[("MessageStructure", "json")][..],
                ),
            ],
            "Invalid parameter: Message Structure - No default entry in JSON message body",
        ),
    ] {
        expect_invalid(
            u,
            "PublishBatch",
            &pairs(&batch_params(&fifo, &entries)),
            message,
        );
    }
    assert!(drain(u, &q).is_empty());
    let ok = sns_ok(
        u,
        "PublishBatch",
        &pairs(&batch_params(
            &fifo,
            &[
                ("a", "one", good),
                (
                    "b",
                    "two",
                    &[("MessageGroupId", "g"), ("MessageDeduplicationId", "d2")],
                ),
            ],
        )),
    );
    assert_eq!(xml_all(&ok, "Id"), ["a", "b"]);
    assert_eq!(xml_all(&ok, "SequenceNumber").len(), 2, "{ok}");
    let bodies: Vec<Value> = drain(u, &q).iter().map(|m| m["Body"].clone()).collect();
    assert_eq!(bodies, [json!("one"), json!("two")]);

    // A bad Subject fails its entry only.
    sns_ok(u, "CreateTopic", &[("Name", "batch-std")]);
    let std = topic_arn("batch-std");
    let out = sns_ok(
        u,
        "PublishBatch",
        &pairs(&batch_params(
            &std,
            &[
                ("fine", "x", &[]),
                ("broken", "y", &[("Subject", "two\nlines")]),
            ],
        )),
    );
    let successful = xml_text(&out, "Successful").unwrap();
    assert_eq!(xml_all(&successful, "Id"), ["fine"]);
    let failed = xml_text(&out, "Failed").unwrap();
    assert_eq!(xml_all(&failed, "Id"), ["broken"]);
    assert_eq!(xml_all(&failed, "Code"), ["InvalidParameter"]);
    assert_eq!(xml_all(&failed, "Message"), ["Invalid parameter: Subject"]);
    assert_eq!(xml_all(&failed, "SenderFault"), ["true"]);
}

/// A message attribute without a DataType is a missing required member,
/// which SNS reports with the path AWS writes (`<key>.member` for a map
/// value), in a Publish and in a PublishBatch entry.
#[test]
fn a_message_attribute_without_a_data_type_is_reported_at_its_path() {
    let (s, _p) = start(None);
    let u = &s.url;
    sns_ok(u, "CreateTopic", &[("Name", "typeless")]);
    let topic = topic_arn("typeless");
    let got = error(
        u,
        "Publish",
        &[
            ("TopicArn", &topic),
            ("Message", "m"),
            ("MessageAttributes.entry.1.Name", "attr1"),
            ("MessageAttributes.entry.1.Value.StringValue", "v"),
        ],
    );
    assert_eq!(
        got,
        (
            400,
            "ValidationError".to_string(),
            "1 validation error detected: Value null at 'messageAttributes.attr1.member.dataType' failed to satisfy constraint: Member must not be null".to_string(),
            "Sender".to_string()
        )
    );
    let got = error(
        u,
        "PublishBatch",
        &[
            ("TopicArn", &topic),
            ("PublishBatchRequestEntries.member.1.Id", "one"),
            ("PublishBatchRequestEntries.member.1.Message", "m"),
            (
                "PublishBatchRequestEntries.member.1.MessageAttributes.entry.1.Name",
                "attr1",
            ),
            (
                "PublishBatchRequestEntries.member.1.MessageAttributes.entry.1.Value.StringValue",
                "v",
            ),
        ],
    );
    assert_eq!(
        got.2,
        "1 validation error detected: Value null at 'publishBatchRequestEntries.1.member.messageAttributes.attr1.member.dataType' failed to satisfy constraint: Member must not be null"
    );
}
