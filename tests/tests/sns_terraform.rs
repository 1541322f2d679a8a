//! Replays the calls Terraform's AWS provider makes for `aws_sns_topic` and
//! `aws_sns_topic_subscription` (see terraform-provider-calls.md) and checks
//! every answer the way the provider does, including the drift checks.

mod sns_common;

use sns_common::*;

const SAMPLE_RATES: [&str; 5] = [
    "ApplicationSuccessFeedbackSampleRate",
    "FirehoseSuccessFeedbackSampleRate",
    "HTTPSuccessFeedbackSampleRate",
    "LambdaSuccessFeedbackSampleRate",
    "SQSSuccessFeedbackSampleRate",
];

fn read_topic(u: &str, arn: &str) {
    let a = attributes(&sns_ok(u, "GetTopicAttributes", &[("TopicArn", arn)]));
    // A missing or non-JSON Policy, or a Statement that is not an array, fails the read.
    let policy: serde_json::Value = serde_json::from_str(&a["Policy"]).expect("Policy is JSON");
    let statements = policy["Statement"]
        .as_array()
        .expect("Statement is an array");
    for st in statements {
        let p = &st["Principal"]["AWS"];
        assert!(p == "*" || p.as_str().is_some_and(|s| s.starts_with("arn:aws:iam::")));
    }
    for k in [
        "SubscriptionsConfirmed",
        "SubscriptionsPending",
        "SubscriptionsDeleted",
    ] {
        a[k].parse::<i64>().unwrap_or_else(|_| panic!("{k} parses"));
    }
    for k in SAMPLE_RATES {
        assert_eq!(a.get(k).map(String::as_str), Some("0"), "{k}");
    }
    for k in ["FifoTopic", "ContentBasedDeduplication"] {
        assert!(a.get(k).is_none_or(|v| v == "false"), "{k}");
    }
    assert_eq!(a.get("DisplayName").map(String::as_str).unwrap_or(""), "");
    for k in [
        "DeliveryPolicy",
        "KmsMasterKeyId",
        "ArchivePolicy",
        "SQSSuccessFeedbackRoleArn",
        "SQSFailureFeedbackRoleArn",
        "HTTPSuccessFeedbackRoleArn",
        "LambdaSuccessFeedbackRoleArn",
    ] {
        assert!(a.get(k).is_none_or(String::is_empty), "{k} should be unset");
    }
    assert_eq!(a["TopicArn"], arn);
    // The name comes from the ARN's resource part.
    assert_eq!(arn.rsplit(':').next(), Some("tf-topic"));
    let tags = sns_ok(u, "ListTagsForResource", &[("ResourceArn", arn)]);
    assert_eq!(xml_all(&tags, "Key"), ["Name"]);
    assert_eq!(xml_all(&tags, "Value"), ["tf-topic"]);
}

fn read_subscription(u: &str, sub: &str, topic: &str, queue: &str) {
    let a = attributes(&sns_ok(
        u,
        "GetSubscriptionAttributes",
        &[("SubscriptionArn", sub)],
    ));
    assert_eq!(a["Endpoint"], queue);
    assert_eq!(a["Protocol"], "sqs");
    assert_eq!(a["TopicArn"], topic);
    for k in [
        "RawMessageDelivery",
        "PendingConfirmation",
        "ConfirmationWasAuthenticated",
    ] {
        a[k].parse::<bool>()
            .unwrap_or_else(|_| panic!("{k} is a boolean"));
    }
    assert_eq!(a["RawMessageDelivery"], "false");
    for k in [
        "FilterPolicy",
        "RedrivePolicy",
        "ReplayPolicy",
        "SubscriptionRoleArn",
    ] {
        assert!(!a.contains_key(k), "{k} should be unset");
    }
}

#[test]
fn aws_sns_topic_and_subscription_apply_refresh_destroy() {
    let (s, _p) = start(None);
    let u = &s.url;

    // aws_sns_topic: create.
    let created = sns_ok(
        u,
        "CreateTopic",
        &[
            ("Name", "tf-topic"),
            ("Tags.member.1.Key", "Name"),
            ("Tags.member.1.Value", "tf-topic"),
        ],
    );
    let topic = xml_text(&created, "TopicArn").unwrap();
    for k in SAMPLE_RATES {
        sns_ok(
            u,
            "SetTopicAttributes",
            &[
                ("TopicArn", &topic),
                ("AttributeName", k),
                ("AttributeValue", "0"),
            ],
        );
    }
    read_topic(u, &topic);

    // aws_sns_topic_subscription (protocol sqs): create.
    create_queue(u, "tf-queue");
    let queue = queue_arn("tf-queue");
    let sub = sns_ok(
        u,
        "Subscribe",
        &[
            ("TopicArn", &topic),
            ("Protocol", "sqs"),
            ("Endpoint", &queue),
            ("ReturnSubscriptionArn", "true"),
        ],
    );
    let sub = xml_text(&sub, "SubscriptionArn").unwrap();
    assert!(
        sub.starts_with("arn:aws:sns:us-east-1:000000000000:tf-topic:"),
        "{sub}"
    );
    // waitSubscriptionConfirmed.
    let a = attributes(&sns_ok(
        u,
        "GetSubscriptionAttributes",
        &[("SubscriptionArn", &sub)],
    ));
    assert_eq!(a["PendingConfirmation"], "false");
    read_subscription(u, &sub, &topic, &queue);

    // Refresh: the same reads, still no drift.
    read_topic(u, &topic);
    read_subscription(u, &sub, &topic, &queue);

    // Destroy the subscription, then wait for NotFound.
    sns_ok(u, "Unsubscribe", &[("SubscriptionArn", &sub)]);
    let (status, body) = sns(u, "GetSubscriptionAttributes", &[("SubscriptionArn", &sub)]);
    assert_eq!(status, 404);
    assert_eq!(xml_text(&body, "Code").as_deref(), Some("NotFound"));

    // Destroy the topic; NotFound afterwards, and a second delete is fine.
    sns_ok(u, "DeleteTopic", &[("TopicArn", &topic)]);
    let (status, body) = sns(u, "GetTopicAttributes", &[("TopicArn", &topic)]);
    assert_eq!(status, 404);
    assert_eq!(xml_text(&body, "Code").as_deref(), Some("NotFound"));
    sns_ok(u, "DeleteTopic", &[("TopicArn", &topic)]);
}
