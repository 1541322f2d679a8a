//! SNS through the AWS CLI: topics, attributes, tags, subscriptions,
//! publishing, errors, and the seed's create-queue → subscribe → publish →
//! receive sequence.

mod sns_common;

use ruststack_tests::aws_cli;
use serde_json::Value;
use sns_common::*;

fn cli(url: &str, args: &[&str]) -> Value {
    let out = aws_cli(url, None, args);
    assert_eq!(out.code, 0, "aws {args:?}: {}", out.stderr);
    serde_json::from_str(&out.stdout).unwrap_or(Value::Null)
}

fn cli_err(url: &str, args: &[&str]) -> String {
    let out = aws_cli(url, None, args);
    assert_ne!(out.code, 0, "aws {args:?} should fail: {}", out.stdout);
    out.stderr
}

#[test]
fn seed_sequence_queue_url_endpoint() {
    let (s, _p) = start(None);
    let q = cli(&s.url, &["sqs", "create-queue", "--queue-name", "seed-q"]);
    let queue_url = q["QueueUrl"].as_str().unwrap().to_string();
    let t = cli(&s.url, &["sns", "create-topic", "--name", "seed-topic"]);
    let arn = t["TopicArn"].as_str().unwrap().to_string();
    assert_eq!(arn, topic_arn("seed-topic"));
    let sub = cli(
        &s.url,
        &[
            "sns",
            "subscribe",
            "--topic-arn",
            &arn,
            "--protocol",
            "sqs",
            "--notification-endpoint",
            &queue_url,
        ],
    );
    assert!(sub["SubscriptionArn"].as_str().unwrap().starts_with(&arn));
    let p = cli(
        &s.url,
        &[
            "sns",
            "publish",
            "--topic-arn",
            &arn,
            "--message",
            "test message",
        ],
    );
    let id = p["MessageId"].as_str().unwrap().to_string();
    let r = cli(
        &s.url,
        &["sqs", "receive-message", "--queue-url", &queue_url],
    );
    let body = r["Messages"][0]["Body"].as_str().unwrap();
    let env: Value = serde_json::from_str(body).unwrap();
    assert_eq!(env["Type"], "Notification");
    assert_eq!(env["Message"], "test message");
    assert_eq!(env["MessageId"], id.as_str());
    assert_eq!(env["TopicArn"], arn.as_str());
}

#[test]
fn topics_attributes_tags_and_errors() {
    let (s, _p) = start(None);
    let u = &s.url;
    let arn = cli(
        u,
        &[
            "sns",
            "create-topic",
            "--name",
            "t1",
            "--attributes",
            "DisplayName=Hello",
            "--tags",
            "Key=team,Value=core",
        ],
    )["TopicArn"]
        .as_str()
        .unwrap()
        .to_string();
    // Idempotent with the same attributes; an error with different ones.
    let again = cli(
        u,
        &[
            "sns",
            "create-topic",
            "--name",
            "t1",
            "--attributes",
            "DisplayName=Hello",
        ],
    );
    assert_eq!(again["TopicArn"], arn.as_str());
    let e = cli_err(
        u,
        &[
            "sns",
            "create-topic",
            "--name",
            "t1",
            "--attributes",
            "DisplayName=Other",
        ],
    );
    assert!(e.contains("InvalidParameter"), "{e}");
    let e = cli_err(u, &["sns", "create-topic", "--name", "bad name!"]);
    assert!(e.contains("InvalidParameter"), "{e}");

    let a = cli(u, &["sns", "get-topic-attributes", "--topic-arn", &arn])["Attributes"].clone();
    assert_eq!(a["DisplayName"], "Hello");
    assert_eq!(a["Owner"], ACCOUNT);
    assert_eq!(a["SubscriptionsConfirmed"], "0");
    let policy: Value = serde_json::from_str(a["Policy"].as_str().unwrap()).unwrap();
    assert!(policy["Statement"].is_array());
    assert!(
        a["EffectiveDeliveryPolicy"]
            .as_str()
            .unwrap()
            .contains("defaultHealthyRetryPolicy")
    );

    cli(
        u,
        &[
            "sns",
            "set-topic-attributes",
            "--topic-arn",
            &arn,
            "--attribute-name",
            "SQSSuccessFeedbackSampleRate",
            "--attribute-value",
            "0",
        ],
    );
    cli(
        u,
        &[
            "sns",
            "set-topic-attributes",
            "--topic-arn",
            &arn,
            "--attribute-name",
            "DisplayName",
            "--attribute-value",
            "Changed",
        ],
    );
    let a = cli(u, &["sns", "get-topic-attributes", "--topic-arn", &arn])["Attributes"].clone();
    assert_eq!(a["DisplayName"], "Changed");
    assert_eq!(a["SQSSuccessFeedbackSampleRate"], "0");
    let e = cli_err(
        u,
        &[
            "sns",
            "set-topic-attributes",
            "--topic-arn",
            &arn,
            "--attribute-name",
            "Bogus",
            "--attribute-value",
            "1",
        ],
    );
    assert!(e.contains("InvalidParameter"), "{e}");

    cli(
        u,
        &[
            "sns",
            "tag-resource",
            "--resource-arn",
            &arn,
            "--tags",
            "Key=env,Value=dev",
        ],
    );
    let tags = cli(
        u,
        &["sns", "list-tags-for-resource", "--resource-arn", &arn],
    );
    assert_eq!(tags["Tags"].as_array().unwrap().len(), 2);
    cli(
        u,
        &[
            "sns",
            "untag-resource",
            "--resource-arn",
            &arn,
            "--tag-keys",
            "team",
        ],
    );
    let tags = cli(
        u,
        &["sns", "list-tags-for-resource", "--resource-arn", &arn],
    );
    assert_eq!(
        tags["Tags"],
        serde_json::json!([{"Key": "env", "Value": "dev"}])
    );

    cli(
        u,
        &[
            "sns",
            "add-permission",
            "--topic-arn",
            &arn,
            "--label",
            "p1",
            "--aws-account-id",
            "111122223333",
            "--action-name",
            "Publish",
        ],
    );
    let a = cli(u, &["sns", "get-topic-attributes", "--topic-arn", &arn])["Attributes"].clone();
    assert!(a["Policy"].as_str().unwrap().contains("\"p1\""));
    cli(
        u,
        &[
            "sns",
            "remove-permission",
            "--topic-arn",
            &arn,
            "--label",
            "p1",
        ],
    );
    let a = cli(u, &["sns", "get-topic-attributes", "--topic-arn", &arn])["Attributes"].clone();
    assert!(!a["Policy"].as_str().unwrap().contains("\"p1\""));

    let topics = cli(u, &["sns", "list-topics"]);
    assert_eq!(topics["Topics"][0]["TopicArn"], arn.as_str());

    cli(u, &["sns", "delete-topic", "--topic-arn", &arn]);
    let e = cli_err(u, &["sns", "get-topic-attributes", "--topic-arn", &arn]);
    assert!(e.contains("NotFound"), "{e}");
    // Deleting again is fine.
    cli(u, &["sns", "delete-topic", "--topic-arn", &arn]);
    let e = cli_err(
        u,
        &["sns", "publish", "--topic-arn", &arn, "--message", "x"],
    );
    assert!(e.contains("NotFound"), "{e}");
    let e = cli_err(u, &["sns", "list-platform-applications"]);
    assert!(e.contains("NotImplemented"), "{e}");
}

#[test]
fn fifo_topics_need_group_ids_and_deduplicate() {
    let (s, _p) = start(None);
    let u = &s.url;
    let e = cli_err(u, &["sns", "create-topic", "--name", "f.fifo"]);
    assert!(e.contains("InvalidParameter"), "{e}");
    let arn = cli(
        u,
        &[
            "sns",
            "create-topic",
            "--name",
            "f.fifo",
            "--attributes",
            "FifoTopic=true,ContentBasedDeduplication=true",
        ],
    )["TopicArn"]
        .as_str()
        .unwrap()
        .to_string();
    let a = cli(u, &["sns", "get-topic-attributes", "--topic-arn", &arn])["Attributes"].clone();
    assert_eq!(a["FifoTopic"], "true");
    assert_eq!(a["ContentBasedDeduplication"], "true");
    let e = cli_err(
        u,
        &["sns", "publish", "--topic-arn", &arn, "--message", "x"],
    );
    assert!(e.contains("MessageGroupId"), "{e}");
    let p1 = cli(
        u,
        &[
            "sns",
            "publish",
            "--topic-arn",
            &arn,
            "--message",
            "x",
            "--message-group-id",
            "g",
        ],
    );
    let p2 = cli(
        u,
        &[
            "sns",
            "publish",
            "--topic-arn",
            &arn,
            "--message",
            "x",
            "--message-group-id",
            "g",
        ],
    );
    assert_eq!(p1["MessageId"], p2["MessageId"]);
    let p3 = cli(
        u,
        &[
            "sns",
            "publish",
            "--topic-arn",
            &arn,
            "--message",
            "y",
            "--message-group-id",
            "g",
        ],
    );
    assert_ne!(p1["MessageId"], p3["MessageId"]);
    let (s1, s3) = (
        p1["SequenceNumber"].as_str().unwrap(),
        p3["SequenceNumber"].as_str().unwrap(),
    );
    assert_eq!(s1.len(), 20);
    assert!(s3 > s1);
    // A standard queue may subscribe to a FIFO topic.
    cli(u, &["sqs", "create-queue", "--queue-name", "std"]);
    let sub = cli(
        u,
        &[
            "sns",
            "subscribe",
            "--topic-arn",
            &arn,
            "--protocol",
            "sqs",
            "--notification-endpoint",
            &queue_arn("std"),
        ],
    );
    assert!(
        sub["SubscriptionArn"]
            .as_str()
            .is_some_and(|a| a.starts_with(&arn)),
        "{sub}"
    );
}

#[test]
fn subscriptions_and_their_attributes() {
    let (s, _p) = start(None);
    let u = &s.url;
    let arn = cli(u, &["sns", "create-topic", "--name", "subs"])["TopicArn"]
        .as_str()
        .unwrap()
        .to_string();
    cli(u, &["sqs", "create-queue", "--queue-name", "sq"]);
    let sub = cli(
        u,
        &[
            "sns",
            "subscribe",
            "--topic-arn",
            &arn,
            "--protocol",
            "sqs",
            "--notification-endpoint",
            &queue_arn("sq"),
            "--attributes",
            "RawMessageDelivery=true",
            "--return-subscription-arn",
        ],
    )["SubscriptionArn"]
        .as_str()
        .unwrap()
        .to_string();
    // Subscribing again answers the same subscription.
    let again = cli(
        u,
        &[
            "sns",
            "subscribe",
            "--topic-arn",
            &arn,
            "--protocol",
            "sqs",
            "--notification-endpoint",
            &queue_arn("sq"),
        ],
    );
    assert_eq!(again["SubscriptionArn"], sub.as_str());
    let email = cli(
        u,
        &[
            "sns",
            "subscribe",
            "--topic-arn",
            &arn,
            "--protocol",
            "email",
            "--notification-endpoint",
            "me@example.com",
        ],
    );
    assert_eq!(email["SubscriptionArn"], "pending confirmation");
    let sms = cli(
        u,
        &[
            "sns",
            "subscribe",
            "--topic-arn",
            &arn,
            "--protocol",
            "sms",
            "--notification-endpoint",
            "+15555550100",
        ],
    );
    assert_eq!(sms["SubscriptionArn"], "pending confirmation");

    let a = cli(
        u,
        &[
            "sns",
            "get-subscription-attributes",
            "--subscription-arn",
            &sub,
        ],
    )["Attributes"]
        .clone();
    assert_eq!(a["PendingConfirmation"], "false");
    assert_eq!(a["RawMessageDelivery"], "true");
    assert_eq!(a["Endpoint"], queue_arn("sq").as_str());
    assert_eq!(a["Protocol"], "sqs");
    assert_eq!(a["TopicArn"], arn.as_str());

    cli(
        u,
        &[
            "sns",
            "set-subscription-attributes",
            "--subscription-arn",
            &sub,
            "--attribute-name",
            "FilterPolicy",
            "--attribute-value",
            r#"{"color": ["red"]}"#,
        ],
    );
    let a = cli(
        u,
        &[
            "sns",
            "get-subscription-attributes",
            "--subscription-arn",
            &sub,
        ],
    )["Attributes"]
        .clone();
    assert_eq!(a["FilterPolicyScope"], "MessageAttributes");
    let e = cli_err(
        u,
        &[
            "sns",
            "set-subscription-attributes",
            "--subscription-arn",
            &sub,
            "--attribute-name",
            "FilterPolicy",
            "--attribute-value",
            r#"{"color": "red"}"#,
        ],
    );
    assert!(e.contains("InvalidParameter"), "{e}");
    let e = cli_err(
        u,
        &[
            "sns",
            "set-subscription-attributes",
            "--subscription-arn",
            &sub,
            "--attribute-name",
            "RawMessageDelivery",
            "--attribute-value",
            "maybe",
        ],
    );
    assert!(e.contains("InvalidParameter"), "{e}");

    let all = cli(u, &["sns", "list-subscriptions"]);
    assert_eq!(all["Subscriptions"].as_array().unwrap().len(), 3);
    let by = cli(
        u,
        &["sns", "list-subscriptions-by-topic", "--topic-arn", &arn],
    );
    let arns: Vec<&str> = by["Subscriptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["SubscriptionArn"].as_str().unwrap())
        .collect();
    assert!(arns.contains(&sub.as_str()) && arns.contains(&"PendingConfirmation"));
    let t = cli(u, &["sns", "get-topic-attributes", "--topic-arn", &arn])["Attributes"].clone();
    assert_eq!(
        (
            t["SubscriptionsConfirmed"].as_str(),
            t["SubscriptionsPending"].as_str()
        ),
        (Some("1"), Some("2"))
    );

    let e = cli_err(
        u,
        &[
            "sns",
            "subscribe",
            "--topic-arn",
            &arn,
            "--protocol",
            "carrier-pigeon",
            "--notification-endpoint",
            "x",
        ],
    );
    assert!(e.contains("InvalidParameter"), "{e}");
    cli(u, &["sns", "unsubscribe", "--subscription-arn", &sub]);
    let e = cli_err(
        u,
        &[
            "sns",
            "get-subscription-attributes",
            "--subscription-arn",
            &sub,
        ],
    );
    assert!(e.contains("NotFound"), "{e}");
    let e = cli_err(
        u,
        &[
            "sns",
            "confirm-subscription",
            "--topic-arn",
            &arn,
            "--token",
            "nope",
        ],
    );
    assert!(e.contains("InvalidParameter"), "{e}");
}

#[test]
fn publish_validation_and_batches() {
    let (s, _p) = start(None);
    let u = &s.url;
    let arn = cli(u, &["sns", "create-topic", "--name", "pv"])["TopicArn"]
        .as_str()
        .unwrap()
        .to_string();
    let e = cli_err(
        u,
        &[
            "sns",
            "publish",
            "--topic-arn",
            &arn,
            "--message",
            "x",
            "--message-attributes",
            r#"{"n": {"DataType": "Number", "StringValue": "abc"}}"#,
        ],
    );
    assert!(e.contains("(ParameterValueInvalid)"), "{e}");
    let e = cli_err(
        u,
        &[
            "sns",
            "publish",
            "--topic-arn",
            &arn,
            "--message",
            "x",
            "--message-attributes",
            r#"{"n": {"DataType": "Weird", "StringValue": "abc"}}"#,
        ],
    );
    assert!(e.contains("(ParameterValueInvalid)"), "{e}");
    let e = cli_err(
        u,
        &[
            "sns",
            "publish",
            "--topic-arn",
            &arn,
            "--message",
            "{}",
            "--message-structure",
            "json",
        ],
    );
    assert!(e.contains("No default entry"), "{e}");
    let sms = cli(
        u,
        &[
            "sns",
            "publish",
            "--phone-number",
            "+15555550100",
            "--message",
            "hi",
        ],
    );
    assert!(sms["MessageId"].is_string());
    let b = cli(
        u,
        &[
            "sns",
            "publish-batch",
            "--topic-arn",
            &arn,
            "--publish-batch-request-entries",
            r#"[{"Id": "a", "Message": "one"}, {"Id": "b", "Message": "two", "MessageAttributes": {"n": {"DataType": "Number", "StringValue": "x"}}}]"#,
        ],
    );
    assert_eq!(b["Successful"].as_array().unwrap().len(), 1);
    assert_eq!(b["Failed"][0]["Id"], "b");
    assert_eq!(b["Failed"][0]["Code"], "ParameterValueInvalid");
    let e = cli_err(
        u,
        &[
            "sns",
            "publish-batch",
            "--topic-arn",
            &arn,
            "--publish-batch-request-entries",
            r#"[{"Id": "a", "Message": "one"}, {"Id": "a", "Message": "two"}]"#,
        ],
    );
    assert!(e.contains("BatchEntryIdsNotDistinct"), "{e}");
}

#[test]
fn list_topics_paginates_with_next_token() {
    let (s, _p) = start(None);
    for i in 0..105 {
        sns_ok(&s.url, "CreateTopic", &[("Name", &format!("page-{i:03}"))]);
    }
    let first = sns_ok(&s.url, "ListTopics", &[]);
    assert_eq!(xml_all(&first, "TopicArn").len(), 100);
    let token = xml_text(&first, "NextToken").expect("a NextToken");
    let second = sns_ok(&s.url, "ListTopics", &[("NextToken", &token)]);
    assert_eq!(xml_all(&second, "TopicArn").len(), 5);
    assert!(xml_text(&second, "NextToken").is_none());
    // The CLI follows the tokens itself.
    let all = cli(&s.url, &["sns", "list-topics"]);
    assert_eq!(all["Topics"].as_array().unwrap().len(), 105);
    let (status, body) = sns(&s.url, "ListTopics", &[("NextToken", "zz")]);
    assert_eq!(status, 400, "{body}");
}

#[test]
fn list_subscriptions_paginates_with_next_token() {
    let (s, _p) = start(None);
    let topic = topic_arn("many");
    sns_ok(&s.url, "CreateTopic", &[("Name", "many")]);
    for i in 0..103 {
        let q = queue_arn(&format!("q{i:03}"));
        sns_ok(
            &s.url,
            "Subscribe",
            &[("TopicArn", &topic), ("Protocol", "sqs"), ("Endpoint", &q)],
        );
    }
    for action in ["ListSubscriptions", "ListSubscriptionsByTopic"] {
        let first = sns_ok(&s.url, action, &[("TopicArn", &topic)]);
        assert_eq!(xml_all(&first, "SubscriptionArn").len(), 100, "{action}");
        let token = xml_text(&first, "NextToken").expect("a NextToken");
        let second = sns_ok(
            &s.url,
            action,
            &[("TopicArn", &topic), ("NextToken", &token)],
        );
        assert_eq!(xml_all(&second, "SubscriptionArn").len(), 3, "{action}");
        assert!(xml_text(&second, "NextToken").is_none());
    }
    let all = cli(
        &s.url,
        &["sns", "list-subscriptions-by-topic", "--topic-arn", &topic],
    );
    assert_eq!(all["Subscriptions"].as_array().unwrap().len(), 103);
}
