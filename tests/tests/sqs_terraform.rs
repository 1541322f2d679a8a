//! A replay of the calls Terraform's AWS provider (aws-sdk-go-v2, JSON
//! protocol) makes for `aws_sqs_queue` and `aws_sqs_queue_policy`, checked
//! the way the provider checks the answers.

mod sqs_common;

use ruststack_tests::client;
use serde_json::{Value, json};
use sqs_common::start;

/// A call shaped like aws-sdk-go-v2's: signed for `sqs`, query mode header.
fn go_call(url: &str, op: &str, body: Value) -> (u16, Option<String>, Value) {
    let resp = client()
        .post(format!("{url}/"))
        .header("x-amz-target", format!("AmazonSQS.{op}"))
        .header("content-type", "application/x-amz-json-1.0")
        .header("x-amzn-query-mode", "true")
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=test/20261128/us-east-1/sqs/aws4_request, SignedHeaders=host;x-amz-date, Signature=0",
        )
        .body(body.to_string())
        .send()
        .unwrap();
    let status = resp.status().as_u16();
    let qe = resp
        .headers()
        .get("x-amzn-query-error")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    (status, qe, resp.json().unwrap_or(Value::Null))
}

/// The error code aws-sdk-go-v2 reports: the query code from the header.
fn go_error_code(qe: &Option<String>) -> Option<&str> {
    qe.as_deref().and_then(|h| h.split(';').next())
}

fn atoi(v: &Value) -> i64 {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an integer: {v}"))
}

#[test]
fn aws_sqs_queue_and_policy_create_read_destroy() {
    let (s, _p) = start(&[]);
    let u = &s.url;
    // aws_sqs_queue C1: CreateQueue with the attrmap defaults and tags.
    let sent = json!({"DelaySeconds": "0", "MaximumMessageSize": "262144", "MessageRetentionPeriod": "345600",
        "ReceiveMessageWaitTimeSeconds": "0", "VisibilityTimeout": "30"});
    let (st, _, out) = go_call(
        u,
        "CreateQueue",
        json!({"QueueName": "tf-queue", "Attributes": sent, "tags": {"Name": "tf"}}),
    );
    assert_eq!(st, 200, "{out}");
    let queue_url = out["QueueUrl"].as_str().unwrap().to_string();
    // queueNameFromURL: the path must be exactly /<account>/<name>.
    let path = queue_url.splitn(4, '/').nth(3).unwrap();
    assert_eq!(path, "000000000000/tf-queue");

    // C2: waitQueueAttributesPropagated, 6 consecutive matches.
    for _ in 0..6 {
        let (st, _, out) = go_call(
            u,
            "GetQueueAttributes",
            json!({"QueueUrl": queue_url, "AttributeNames": ["All"]}),
        );
        assert_eq!(st, 200);
        for (k, v) in sent.as_object().unwrap() {
            assert_eq!(&out["Attributes"][k], v, "{k}");
        }
    }
    // R: ints parse like strconv.Atoi, QueueArn present, not FIFO.
    let (_, _, out) = go_call(
        u,
        "GetQueueAttributes",
        json!({"QueueUrl": queue_url, "AttributeNames": ["All"]}),
    );
    let a = &out["Attributes"];
    for k in [
        "DelaySeconds",
        "MaximumMessageSize",
        "MessageRetentionPeriod",
        "ReceiveMessageWaitTimeSeconds",
        "VisibilityTimeout",
    ] {
        atoi(&a[k]);
    }
    assert_eq!(a["QueueArn"], "arn:aws:sqs:us-east-1:000000000000:tf-queue");
    assert!(a.get("FifoQueue").is_none_or(|f| f == "false"));
    assert_eq!(
        a["SqsManagedSseEnabled"]
            .as_str()
            .unwrap()
            .parse::<bool>()
            .ok(),
        Some(true)
    );
    let (st, _, tags) = go_call(u, "ListQueueTags", json!({"QueueUrl": queue_url}));
    assert_eq!((st, &tags["Tags"]), (200, &json!({"Name": "tf"})));

    // aws_sqs_queue_policy C1 + C2 + R.
    let policy = json!({"Version": "2012-10-17", "Id": "tf", "Statement": [{"Sid": "s", "Effect": "Allow",
        "Principal": {"AWS": "*"}, "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:us-east-1:000000000000:tf-queue"}]});
    let (st, _, out) = go_call(
        u,
        "SetQueueAttributes",
        json!({"QueueUrl": queue_url, "Attributes": {"Policy": policy.to_string()}}),
    );
    assert_eq!(st, 200, "{out}");
    for _ in 0..6 {
        let (_, _, out) = go_call(
            u,
            "GetQueueAttributes",
            json!({"QueueUrl": queue_url, "AttributeNames": ["All"]}),
        );
        let got: Value =
            serde_json::from_str(out["Attributes"]["Policy"].as_str().unwrap()).unwrap();
        assert_eq!(got, policy);
    }
    let (_, _, out) = go_call(
        u,
        "GetQueueAttributes",
        json!({"QueueUrl": queue_url, "AttributeNames": ["Policy"]}),
    );
    assert_eq!(out["Attributes"].as_object().unwrap().len(), 1, "{out}");
    // A policy that is not JSON is refused with InvalidAttributeValue.
    let (st, qe, _) = go_call(
        u,
        "SetQueueAttributes",
        json!({"QueueUrl": queue_url, "Attributes": {"Policy": "{not json"}}),
    );
    assert_eq!(
        (st, go_error_code(&qe)),
        (400, Some("InvalidAttributeValue"))
    );

    // aws_sqs_queue_policy D: Policy "" makes the key disappear.
    let (st, _, _) = go_call(
        u,
        "SetQueueAttributes",
        json!({"QueueUrl": queue_url, "Attributes": {"Policy": ""}}),
    );
    assert_eq!(st, 200);
    for _ in 0..6 {
        let (_, _, out) = go_call(
            u,
            "GetQueueAttributes",
            json!({"QueueUrl": queue_url, "AttributeNames": ["All"]}),
        );
        assert!(out["Attributes"].get("Policy").is_none(), "{out}");
    }

    // aws_sqs_queue D1 + D2: NonExistentQueue 15 times in a row, by header.
    let (st, _, _) = go_call(u, "DeleteQueue", json!({"QueueUrl": queue_url}));
    assert_eq!(st, 200);
    for _ in 0..15 {
        let (st, qe, out) = go_call(
            u,
            "GetQueueAttributes",
            json!({"QueueUrl": queue_url, "AttributeNames": ["All"]}),
        );
        assert_eq!(st, 400);
        assert_eq!(
            qe.as_deref(),
            Some("AWS.SimpleQueueService.NonExistentQueue;Sender")
        );
        assert_eq!(out["__type"], "com.amazonaws.sqs#QueueDoesNotExist");
    }
    // Deleting again (and the policy destroy on a gone queue) count as done.
    let (_, qe, _) = go_call(u, "DeleteQueue", json!({"QueueUrl": queue_url}));
    assert_eq!(
        go_error_code(&qe),
        Some("AWS.SimpleQueueService.NonExistentQueue")
    );
    let (_, qe, _) = go_call(
        u,
        "SetQueueAttributes",
        json!({"QueueUrl": queue_url, "Attributes": {"Policy": ""}}),
    );
    assert_eq!(
        go_error_code(&qe),
        Some("AWS.SimpleQueueService.NonExistentQueue")
    );
    // Recreating with the same name works right away.
    let (st, _, _) = go_call(
        u,
        "CreateQueue",
        json!({"QueueName": "tf-queue", "Attributes": sent}),
    );
    assert_eq!(st, 200);
}

#[test]
fn aws_sqs_queue_fifo_with_dead_letter_queue() {
    let (s, _p) = start(&[]);
    let u = &s.url;
    let (st, _, out) = go_call(
        u,
        "CreateQueue",
        json!({"QueueName": "tf-dlq.fifo", "Attributes": {"FifoQueue": "true"}}),
    );
    assert_eq!(st, 200, "{out}");
    let redrive = json!({"deadLetterTargetArn": "arn:aws:sqs:us-east-1:000000000000:tf-dlq.fifo", "maxReceiveCount": 4}).to_string();
    let attrs = json!({"FifoQueue": "true", "ContentBasedDeduplication": "true", "DeduplicationScope": "messageGroup",
        "FifoThroughputLimit": "perMessageGroupId", "RedrivePolicy": redrive, "VisibilityTimeout": "30"});
    let (st, _, out) = go_call(
        u,
        "CreateQueue",
        json!({"QueueName": "tf-main.fifo", "Attributes": attrs}),
    );
    assert_eq!(st, 200, "{out}");
    let url = out["QueueUrl"].as_str().unwrap().to_string();
    let (_, _, out) = go_call(
        u,
        "GetQueueAttributes",
        json!({"QueueUrl": url, "AttributeNames": ["All"]}),
    );
    let a = &out["Attributes"];
    for k in [
        "FifoQueue",
        "ContentBasedDeduplication",
        "DeduplicationScope",
        "FifoThroughputLimit",
        "RedrivePolicy",
    ] {
        assert_eq!(a[k], attrs[k], "{k}");
    }
    assert_eq!(
        a["FifoQueue"].as_str().unwrap().parse::<bool>().ok(),
        Some(true)
    );
    // A redrive policy naming a missing queue is refused.
    let bad = json!({"deadLetterTargetArn": "arn:aws:sqs:us-east-1:000000000000:nope.fifo", "maxReceiveCount": 4}).to_string();
    let (st, qe, _) = go_call(
        u,
        "SetQueueAttributes",
        json!({"QueueUrl": url, "Attributes": {"RedrivePolicy": bad}}),
    );
    assert_eq!(
        (st, go_error_code(&qe)),
        (400, Some("InvalidAttributeValue"))
    );
}
