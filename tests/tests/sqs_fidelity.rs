//! SQS details as real AWS answers them (recorded behaviour: codes, HTTP
//! status and messages in both protocols), end to end against the binary:
//! FIFO delays, group and deduplication ids, message sizes, batch shapes,
//! message attributes, the AWSTraceHeader, visibility changes, queue URLs,
//! queue attributes and permissions, attribute filters and FIFO group
//! delivery.

mod sqs_common;

use std::collections::BTreeSet;

use md5::{Digest, Md5};
use ruststack_tests::{client, xml_all, xml_text, xml_unescape};
use serde_json::{Value, json};
use sqs_common::{create, ok, query, query_with, start};

const V: (&str, &str) = ("Version", "2012-11-05");

/// A JSON call with extra headers: status, `x-amzn-query-error` and body.
fn json_with(u: &str, op: &str, body: &Value, headers: &[(&str, &str)]) -> (u16, String, Value) {
    let mut r = client()
        .post(format!("{u}/"))
        .header("x-amz-target", format!("AmazonSQS.{op}"))
        .header("content-type", "application/x-amz-json-1.0");
    for (k, v) in headers {
        r = r.header(*k, *v);
    }
    let resp = r.body(body.to_string()).send().expect("request failed");
    let status = resp.status().as_u16();
    let qe = resp
        .headers()
        .get("x-amzn-query-error")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let text = resp.text().unwrap_or_default();
    (
        status,
        qe,
        serde_json::from_str(&text).unwrap_or(Value::String(text)),
    )
}

/// Asserts a JSON-protocol error: status, the query code in
/// `x-amzn-query-error`, the `__type` after `#`, and the exact message.
fn json_err(u: &str, op: &str, body: Value, status: u16, query_code: &str, ty: &str, msg: &str) {
    let (st, qe, v) = json_with(u, op, &body, &[]);
    assert_eq!(st, status, "{op} {body}: {v}");
    assert_eq!(qe, format!("{query_code};Sender"), "{op}: {v}");
    let t = v["__type"].as_str().unwrap_or_default();
    assert_eq!(t.rsplit('#').next(), Some(ty), "{op}: {v}");
    assert_eq!(v["message"], msg, "{op}: {v}");
}

/// Asserts a query-protocol error: status, `<Code>`, `<Type>` and `<Message>`.
fn query_err(u: &str, form: &[(&str, &str)], status: u16, code: &str, msg: &str) {
    let (st, _, x) = query(u, "/", form);
    assert_eq!(st, status, "{}: {x}", form_summary(form));
    assert_eq!(xml_text(&x, "Code"), Some(code), "{x}");
    assert_eq!(xml_text(&x, "Type"), Some("Sender"), "{x}");
    assert_eq!(
        xml_text(&x, "Message").map(xml_unescape).as_deref(),
        Some(msg),
        "{x}"
    );
}

/// A form for a failure message, long values cut short.
fn form_summary(form: &[(&str, &str)]) -> String {
    form.iter()
        .map(|(k, v)| {
            let v: String = v.chars().take(60).collect();
            format!("{k}={v}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// A query-protocol form post signed for `sqs` (a credential scope only:
/// the server checks no signatures). The server routes a form body too
/// large to keep in memory by its signature, as real clients sign.
fn signed_query_err(u: &str, form: &[(&str, &str)], status: u16, code: &str, msg: &str) {
    let scope = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=00";
    let (st, _, x) = query_with(u, "/", &[("authorization", scope)], form);
    assert_eq!(st, status, "{}: {x}", form_summary(form));
    assert_eq!(xml_text(&x, "Code"), Some(code), "{x}");
    assert_eq!(xml_text(&x, "Message"), Some(msg), "{x}");
}

/// A query call that must succeed; its XML.
fn query_ok(u: &str, form: &[(&str, &str)]) -> String {
    let (st, _, x) = query(u, "/", form);
    assert_eq!(st, 200, "{}: {x}", form_summary(form));
    x
}

/// A queue attribute as a string.
fn attr(u: &str, q: &str, name: &str) -> String {
    let v = ok(
        u,
        "GetQueueAttributes",
        json!({"QueueUrl": q, "AttributeNames": [name]}),
    );
    v["Attributes"][name]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// Every message that can be received now (VisibilityTimeout 0 keeps them there).
fn peek_bodies(u: &str, q: &str) -> Vec<String> {
    let v = ok(
        u,
        "ReceiveMessage",
        json!({"QueueUrl": q, "MaxNumberOfMessages": 10, "VisibilityTimeout": 0}),
    );
    bodies(&v)
}

fn bodies(v: &Value) -> Vec<String> {
    v["Messages"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|m| m["Body"].as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// AWS's MD5 of message attributes, computed here independently of the
/// plugin (names sorted, each part length-prefixed, transport byte 1 for
/// strings).
fn attrs_md5(attrs: &[(&str, &str, &str)]) -> String {
    let mut sorted = attrs.to_vec();
    sorted.sort();
    let mut buf = Vec::new();
    for (name, ty, value) in sorted {
        for part in [name, ty] {
            buf.extend_from_slice(&(part.len() as u32).to_be_bytes());
            buf.extend_from_slice(part.as_bytes());
        }
        buf.push(1);
        buf.extend_from_slice(&(value.len() as u32).to_be_bytes());
        buf.extend_from_slice(value.as_bytes());
    }
    format!("{:x}", Md5::digest(&buf))
}

fn md5_hex(s: &str) -> String {
    format!("{:x}", Md5::digest(s.as_bytes()))
}

const IPV: &str = "InvalidParameterValue";
const IPVE: &str = "InvalidParameterValueException";

// ----- 1. DelaySeconds on FIFO queues -----

#[test]
fn fifo_takes_a_zero_delay_and_refuses_a_positive_one_in_aws_words() {
    let (s, _p) = start(&[]);
    let u = &s.url;
    let q = create(
        u,
        "delays.fifo",
        json!({"FifoQueue": "true", "ContentBasedDeduplication": "true"}),
    );
    let v = ok(
        u,
        "SendMessage",
        json!({"QueueUrl": q, "MessageBody": "zero", "DelaySeconds": 0,
            "MessageGroupId": "g", "MessageDeduplicationId": "d1"}),
    );
    assert_eq!(v["MD5OfMessageBody"], md5_hex("zero"));
    query_ok(
        u,
        &[
            ("Action", "SendMessage"),
            V,
            ("QueueUrl", &q),
            ("MessageBody", "zero-query"),
            ("DelaySeconds", "0"),
            ("MessageGroupId", "g"),
        ],
    );
    // Both are receivable at once, in order.
    assert_eq!(peek_bodies(u, &q), ["zero", "zero-query"]);

    let reason = "Value 2 for parameter DelaySeconds is invalid. Reason: The request include parameter that is not valid for this queue type.";
    json_err(
        u,
        "SendMessage",
        json!({"QueueUrl": q, "MessageBody": "late", "DelaySeconds": 2, "MessageGroupId": "1"}),
        400,
        IPV,
        IPVE,
        reason,
    );
    query_err(
        u,
        &[
            ("Action", "SendMessage"),
            V,
            ("QueueUrl", &q),
            ("MessageBody", "late"),
            ("DelaySeconds", "2"),
            ("MessageGroupId", "1"),
        ],
        400,
        IPV,
        reason,
    );
    assert_eq!(attr(u, &q, "ApproximateNumberOfMessages"), "2");
    assert_eq!(attr(u, &q, "ApproximateNumberOfMessagesDelayed"), "0");
    // A standard queue still range-checks per-message delays.
    let std_q = create(u, "delays-std", json!({}));
    json_err(
        u,
        "SendMessage",
        json!({"QueueUrl": std_q, "MessageBody": "x", "DelaySeconds": 901}),
        400,
        IPV,
        IPVE,
        "Value 901 for parameter DelaySeconds is invalid. Reason: DelaySeconds must be >= 0 and <= 900.",
    );
}

// ----- 2. MessageGroupId / MessageDeduplicationId -----

fn id_reason(param: &str, value: &str) -> String {
    format!(
        "Value {value} for parameter {param} is invalid. Reason: {param} can only include alphanumeric and punctuation characters. 1 to 128 in length."
    )
}

#[test]
fn group_and_deduplication_ids_are_checked_as_aws_does() {
    let (s, _p) = start(&[]);
    let u = &s.url;
    let q = create(
        u,
        "ids.fifo",
        json!({"FifoQueue": "true", "ContentBasedDeduplication": "true"}),
    );
    let spaced = "CTC#QA-P3-ERR5 INTERIOR";
    json_err(
        u,
        "SendMessage",
        json!({"QueueUrl": q, "MessageBody": "b", "MessageGroupId": spaced}),
        400,
        IPV,
        IPVE,
        &id_reason("MessageGroupId", spaced),
    );
    query_err(
        u,
        &[
            ("Action", "SendMessage"),
            V,
            ("QueueUrl", &q),
            ("MessageBody", "b"),
            ("MessageGroupId", spaced),
        ],
        400,
        IPV,
        &id_reason("MessageGroupId", spaced),
    );
    let long = "1".repeat(129);
    json_err(
        u,
        "SendMessage",
        json!({"QueueUrl": q, "MessageBody": "b", "MessageGroupId": long}),
        400,
        IPV,
        IPVE,
        &id_reason("MessageGroupId", &long),
    );
    json_err(
        u,
        "SendMessage",
        json!({"QueueUrl": q, "MessageBody": "b", "MessageGroupId": "g", "MessageDeduplicationId": long}),
        400,
        IPV,
        IPVE,
        &id_reason("MessageDeduplicationId", &long),
    );
    query_err(
        u,
        &[
            ("Action", "SendMessage"),
            V,
            ("QueueUrl", &q),
            ("MessageBody", "b"),
            ("MessageGroupId", "g"),
            ("MessageDeduplicationId", " lead"),
        ],
        400,
        IPV,
        &id_reason("MessageDeduplicationId", " lead"),
    );
    // Every punctuation character, padded to exactly 128, is fine.
    let punct = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
    let edge = format!("{punct}{}", "a".repeat(128 - punct.len()));
    ok(
        u,
        "SendMessage",
        json!({"QueueUrl": q, "MessageBody": "edge", "MessageGroupId": edge, "MessageDeduplicationId": edge}),
    );
    // In a batch only the bad entry fails, in the same words.
    let v = ok(
        u,
        "SendMessageBatch",
        json!({"QueueUrl": q, "Entries": [
            {"Id": "good", "MessageBody": "fine", "MessageGroupId": "g"},
            {"Id": "bad", "MessageBody": "nope", "MessageGroupId": spaced}]}),
    );
    assert_eq!(v["Successful"].as_array().map(Vec::len), Some(1), "{v}");
    assert_eq!(v["Successful"][0]["Id"], "good");
    assert_eq!(
        v["Failed"],
        json!([{"Id": "bad", "Code": IPV, "SenderFault": true,
            "Message": id_reason("MessageGroupId", spaced)}])
    );
    let x = query_ok(
        u,
        &[
            ("Action", "SendMessageBatch"),
            V,
            ("QueueUrl", &q),
            ("SendMessageBatchRequestEntry.1.Id", "bad"),
            ("SendMessageBatchRequestEntry.1.MessageBody", "nope"),
            ("SendMessageBatchRequestEntry.1.MessageGroupId", "g"),
            (
                "SendMessageBatchRequestEntry.1.MessageDeduplicationId",
                &long,
            ),
        ],
    );
    assert_eq!(xml_text(&x, "Code"), Some(IPV), "{x}");
    assert_eq!(
        xml_text(&x, "Message"),
        Some(id_reason("MessageDeduplicationId", &long).as_str())
    );
    assert_eq!(peek_bodies(u, &q), ["edge", "fine"]);
}

#[test]
fn fifo_batches_without_group_or_deduplication_id_fail_whole() {
    let (s, _p) = start(&[]);
    let u = &s.url;
    let q = create(u, "strict.fifo", json!({"FifoQueue": "true"}));
    let no_group = "The request must contain the parameter MessageGroupId.";
    let no_dedup = "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly";
    json_err(
        u,
        "SendMessageBatch",
        json!({"QueueUrl": q, "Entries": [
            {"Id": "a", "MessageBody": "a", "MessageGroupId": "g", "MessageDeduplicationId": "a"},
            {"Id": "b", "MessageBody": "b", "MessageDeduplicationId": "b"}]}),
        400,
        IPV,
        IPVE,
        no_group,
    );
    query_err(
        u,
        &[
            ("Action", "SendMessageBatch"),
            V,
            ("QueueUrl", &q),
            ("SendMessageBatchRequestEntry.1.Id", "a"),
            ("SendMessageBatchRequestEntry.1.MessageBody", "a"),
            ("SendMessageBatchRequestEntry.1.MessageDeduplicationId", "a"),
        ],
        400,
        IPV,
        no_group,
    );
    json_err(
        u,
        "SendMessageBatch",
        json!({"QueueUrl": q, "Entries": [
            {"Id": "a", "MessageBody": "a", "MessageGroupId": "g", "MessageDeduplicationId": "a"},
            {"Id": "b", "MessageBody": "b", "MessageGroupId": "g"}]}),
        400,
        IPV,
        IPVE,
        no_dedup,
    );
    // The valid entries were not sent either.
    assert_eq!(attr(u, &q, "ApproximateNumberOfMessages"), "0");
    // SendMessage keeps MissingParameter for a missing group id.
    json_err(
        u,
        "SendMessage",
        json!({"QueueUrl": q, "MessageBody": "a", "MessageDeduplicationId": "a"}),
        400,
        "MissingParameter",
        "MissingParameter",
        no_group,
    );
}

#[test]
fn standard_queues_take_group_ids_but_not_deduplication_ids() {
    let (s, _p) = start(&[]);
    let u = &s.url;
    let q = create(u, "fair", json!({}));
    ok(
        u,
        "SendMessage",
        json!({"QueueUrl": q, "MessageBody": "tenant", "MessageGroupId": "tenant-1"}),
    );
    query_ok(
        u,
        &[
            ("Action", "SendMessage"),
            V,
            ("QueueUrl", &q),
            ("MessageBody", "tenant-q"),
            ("MessageGroupId", "tenant-2"),
        ],
    );
    let id = "eIxLAC5m5bdjLE8rNzX7tMb74ST9YUGvC8RcnsL0D3M=";
    let reason = format!(
        "Value {id} for parameter MessageDeduplicationId is invalid. Reason: The request include parameter that is not valid for this queue type."
    );
    json_err(
        u,
        "SendMessage",
        json!({"QueueUrl": q, "MessageBody": "d", "MessageDeduplicationId": id}),
        400,
        IPV,
        IPVE,
        &reason,
    );
    query_err(
        u,
        &[
            ("Action", "SendMessage"),
            V,
            ("QueueUrl", &q),
            ("MessageBody", "d"),
            ("MessageDeduplicationId", id),
        ],
        400,
        IPV,
        &reason,
    );
    let v = ok(
        u,
        "SendMessageBatch",
        json!({"QueueUrl": q, "Entries": [
            {"Id": "ok", "MessageBody": "batched", "MessageGroupId": "t"},
            {"Id": "dedup", "MessageBody": "d", "MessageDeduplicationId": "x"}]}),
    );
    assert_eq!(
        v["Failed"],
        json!([{"Id": "dedup", "Code": IPV, "SenderFault": true,
            "Message": "The request include parameter that is not valid for this queue type"}])
    );
    let mut got = peek_bodies(u, &q);
    got.sort();
    assert_eq!(got, ["batched", "tenant", "tenant-q"]);
}

// ----- 3. Message size -----

#[test]
fn message_size_limits_are_one_mib_and_follow_the_queue_limit() {
    let (s, _p) = start(&[]);
    let u = &s.url;
    let q = create(u, "sizes", json!({}));
    assert_eq!(attr(u, &q, "MaximumMessageSize"), "1048576");
    let k = json!({"k": {"DataType": "String", "StringValue": "x"}});
    // Body plus attribute name, type and value: exactly the limit is fine.
    let exact = "a".repeat(1_048_576 - 8);
    ok(
        u,
        "SendMessage",
        json!({"QueueUrl": q, "MessageBody": exact, "MessageAttributes": k}),
    );
    let over = "a".repeat(1_048_576 - 7);
    let too_big =
        "One or more parameters are invalid. Reason: Message must be shorter than 1048576 bytes.";
    json_err(
        u,
        "SendMessage",
        json!({"QueueUrl": q, "MessageBody": over, "MessageAttributes": k}),
        400,
        IPV,
        IPVE,
        too_big,
    );
    let over_plain = "a".repeat(1_048_577);
    signed_query_err(
        u,
        &[
            ("Action", "SendMessage"),
            V,
            ("QueueUrl", &q),
            ("MessageBody", &over_plain),
        ],
        400,
        IPV,
        too_big,
    );
    // A batch over 1 MiB in total fails whole, telling what was sent.
    let batch_msg =
        "Batch requests cannot be longer than 1048576 bytes. You have sent 1048577 bytes.";
    let entries = json!([
        {"Id": "big", "MessageBody": exact, "MessageAttributes": k},
        {"Id": "small", "MessageBody": "a"}]);
    json_err(
        u,
        "SendMessageBatch",
        json!({"QueueUrl": q, "Entries": entries}),
        400,
        "AWS.SimpleQueueService.BatchRequestTooLong",
        "BatchRequestTooLong",
        batch_msg,
    );
    signed_query_err(
        u,
        &[
            ("Action", "SendMessageBatch"),
            V,
            ("QueueUrl", &q),
            ("SendMessageBatchRequestEntry.1.Id", "big"),
            ("SendMessageBatchRequestEntry.1.MessageBody", &exact),
            ("SendMessageBatchRequestEntry.2.Id", "small"),
            ("SendMessageBatchRequestEntry.2.MessageBody", "123456789"),
        ],
        400,
        "AWS.SimpleQueueService.BatchRequestTooLong",
        batch_msg,
    );
    assert_eq!(attr(u, &q, "ApproximateNumberOfMessages"), "1");

    // A lowered MaximumMessageSize is the limit of one message...
    ok(
        u,
        "SetQueueAttributes",
        json!({"QueueUrl": q, "Attributes": {"MaximumMessageSize": "1024"}}),
    );
    ok(
        u,
        "SendMessage",
        json!({"QueueUrl": q, "MessageBody": "b".repeat(1024)}),
    );
    let too_big =
        "One or more parameters are invalid. Reason: Message must be shorter than 1024 bytes.";
    json_err(
        u,
        "SendMessage",
        json!({"QueueUrl": q, "MessageBody": "b".repeat(1025)}),
        400,
        IPV,
        IPVE,
        too_big,
    );
    query_err(
        u,
        &[
            ("Action", "SendMessage"),
            V,
            ("QueueUrl", &q),
            ("MessageBody", &"b".repeat(1017)),
            ("MessageAttribute.1.Name", "k"),
            ("MessageAttribute.1.Value.DataType", "String"),
            ("MessageAttribute.1.Value.StringValue", "x"),
        ],
        400,
        IPV,
        too_big,
    );
    // ...but not of a batch: an entry of exactly 2048 and one more pass.
    ok(
        u,
        "SetQueueAttributes",
        json!({"QueueUrl": q, "Attributes": {"MaximumMessageSize": "2048"}}),
    );
    let v = ok(
        u,
        "SendMessageBatch",
        json!({"QueueUrl": q, "Entries": [
            {"Id": "e1", "MessageBody": "c".repeat(2040), "MessageAttributes": k},
            {"Id": "e2", "MessageBody": "a"}]}),
    );
    assert_eq!(v["Successful"].as_array().map(Vec::len), Some(2), "{v}");
    assert_eq!(v["Failed"], json!([]));
    assert_eq!(attr(u, &q, "ApproximateNumberOfMessages"), "4");
    // The FIFO default is the same.
    let f = create(u, "sizes.fifo", json!({"FifoQueue": "true"}));
    assert_eq!(attr(u, &f, "MaximumMessageSize"), "1048576");
}

// ----- 4. Batch shapes -----

#[test]
fn batch_ids_and_shapes_fail_as_on_aws() {
    let (s, _p) = start(&[]);
    let u = &s.url;
    let q = create(u, "batches", json!({}));
    let bad_id = "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.";
    for id in ["message:xyz", &"testLongId".repeat(10)] {
        json_err(
            u,
            "SendMessageBatch",
            json!({"QueueUrl": q, "Entries": [{"Id": id, "MessageBody": "m"}]}),
            400,
            "AWS.SimpleQueueService.InvalidBatchEntryId",
            "InvalidBatchEntryId",
            bad_id,
        );
    }
    json_err(
        u,
        "DeleteMessageBatch",
        json!({"QueueUrl": q, "Entries": [{"Id": "", "ReceiptHandle": "h"}]}),
        400,
        "AWS.SimpleQueueService.InvalidBatchEntryId",
        "InvalidBatchEntryId",
        bad_id,
    );
    query_err(
        u,
        &[
            ("Action", "SendMessageBatch"),
            V,
            ("QueueUrl", &q),
            ("SendMessageBatchRequestEntry.1.Id", "message:xyz"),
            ("SendMessageBatchRequestEntry.1.MessageBody", "m"),
        ],
        400,
        "AWS.SimpleQueueService.InvalidBatchEntryId",
        bad_id,
    );
    json_err(
        u,
        "SendMessageBatch",
        json!({"QueueUrl": q, "Entries": [
            {"Id": "idA", "MessageBody": "1"}, {"Id": "idB", "MessageBody": "2"},
            {"Id": "idA", "MessageBody": "3"}]}),
        400,
        "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
        "BatchEntryIdsNotDistinct",
        "Id idA repeated.",
    );
    json_err(
        u,
        "DeleteMessageBatch",
        json!({"QueueUrl": q, "Entries": [
            {"Id": "idA", "ReceiptHandle": "1"}, {"Id": "idA", "ReceiptHandle": "2"}]}),
        400,
        "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
        "BatchEntryIdsNotDistinct",
        "Id idA repeated.",
    );
    query_err(
        u,
        &[
            ("Action", "SendMessageBatch"),
            V,
            ("QueueUrl", &q),
            ("SendMessageBatchRequestEntry.1.Id", "idA"),
            ("SendMessageBatchRequestEntry.1.MessageBody", "1"),
            ("SendMessageBatchRequestEntry.2.Id", "idA"),
            ("SendMessageBatchRequestEntry.2.MessageBody", "2"),
        ],
        400,
        "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
        "Id idA repeated.",
    );
    json_err(
        u,
        "SendMessageBatch",
        json!({"QueueUrl": q, "Entries": []}),
        400,
        "AWS.SimpleQueueService.EmptyBatchRequest",
        "EmptyBatchRequest",
        "There should be at least one SendMessageBatchRequestEntry in the request.",
    );
    // The query protocol cannot send an empty list: the first id is missing.
    query_err(
        u,
        &[("Action", "SendMessageBatch"), V, ("QueueUrl", &q)],
        400,
        "MissingParameter",
        "The request must contain the parameter SendMessageBatchRequestEntry.1.Id.",
    );
    let eleven: Vec<Value> = (0..11)
        .map(|i| json!({"Id": format!("m{i}"), "MessageBody": "x"}))
        .collect();
    json_err(
        u,
        "SendMessageBatch",
        json!({"QueueUrl": q, "Entries": eleven}),
        400,
        "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
        "TooManyEntriesInBatchRequest",
        "Maximum number of entries per request are 10. You have sent 11.",
    );
    let mut form: Vec<(String, String)> = vec![
        ("Action".into(), "SendMessageBatch".into()),
        ("Version".into(), "2012-11-05".into()),
        ("QueueUrl".into(), q.clone()),
    ];
    for i in 1..=11 {
        form.push((
            format!("SendMessageBatchRequestEntry.{i}.Id"),
            format!("m{i}"),
        ));
        form.push((
            format!("SendMessageBatchRequestEntry.{i}.MessageBody"),
            "x".into(),
        ));
    }
    let form_ref: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    query_err(
        u,
        &form_ref,
        400,
        "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
        "Maximum number of entries per request are 10. You have sent 11.",
    );
    // The other batches are shaped the same way.
    for (op, entry) in [
        ("DeleteMessageBatch", json!({"ReceiptHandle": "h"})),
        (
            "ChangeMessageVisibilityBatch",
            json!({"ReceiptHandle": "h", "VisibilityTimeout": 1}),
        ),
    ] {
        let many: Vec<Value> = (0..20)
            .map(|i| {
                let mut e = entry.clone();
                e["Id"] = json!(format!("e{i}"));
                e
            })
            .collect();
        json_err(
            u,
            op,
            json!({"QueueUrl": q, "Entries": many}),
            400,
            "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
            "TooManyEntriesInBatchRequest",
            "Maximum number of entries per request are 10. You have sent 20.",
        );
        json_err(
            u,
            op,
            json!({"QueueUrl": q, "Entries": []}),
            400,
            "AWS.SimpleQueueService.EmptyBatchRequest",
            "EmptyBatchRequest",
            &format!("There should be at least one {op}RequestEntry in the request."),
        );
        query_err(
            u,
            &[("Action", op), V, ("QueueUrl", &q)],
            400,
            "MissingParameter",
            &format!("The request must contain the parameter {op}RequestEntry.1.Id."),
        );
    }
    assert_eq!(attr(u, &q, "ApproximateNumberOfMessages"), "0");

    // An empty body fails only its entry, with code EmptyValue.
    let v = ok(
        u,
        "SendMessageBatch",
        json!({"QueueUrl": q, "Entries": [
            {"Id": "full", "MessageBody": "here"}, {"Id": "empty", "MessageBody": ""}]}),
    );
    assert_eq!(v["Successful"].as_array().map(Vec::len), Some(1), "{v}");
    assert_eq!(v["Successful"][0]["Id"], "full");
    assert_eq!(v["Failed"].as_array().map(Vec::len), Some(1), "{v}");
    assert_eq!(v["Failed"][0]["Id"], "empty");
    assert_eq!(v["Failed"][0]["Code"], "EmptyValue");
    assert_eq!(v["Failed"][0]["SenderFault"], true);
    let x = query_ok(
        u,
        &[
            ("Action", "SendMessageBatch"),
            V,
            ("QueueUrl", &q),
            ("SendMessageBatchRequestEntry.1.Id", "empty"),
            ("SendMessageBatchRequestEntry.1.MessageBody", ""),
            ("SendMessageBatchRequestEntry.2.Id", "full2"),
            ("SendMessageBatchRequestEntry.2.MessageBody", "here too"),
        ],
    );
    assert_eq!(xml_text(&x, "Code"), Some("EmptyValue"), "{x}");
    assert_eq!(xml_text(&x, "SenderFault"), Some("true"), "{x}");
    assert_eq!(x.matches("<SendMessageBatchResultEntry>").count(), 1, "{x}");
    let mut got = peek_bodies(u, &q);
    got.sort();
    assert_eq!(got, ["here", "here too"]);
}

// ----- 5. Message attributes -----

#[test]
fn message_attribute_values_and_types_fail_in_aws_words() {
    let (s, _p) = start(&[]);
    let u = &s.url;
    let q = create(u, "attrs", json!({}));
    let empty =
        "Message (user) attribute 'ErrorDetails' must contain a non-empty value of type 'String'.";
    json_err(
        u,
        "SendMessage",
        json!({"QueueUrl": q, "MessageBody": "m", "MessageAttributes":
            {"ErrorDetails": {"DataType": "String", "StringValue": ""}}}),
        400,
        IPV,
        IPVE,
        empty,
    );
    query_err(
        u,
        &[
            ("Action", "SendMessage"),
            V,
            ("QueueUrl", &q),
            ("MessageBody", "m"),
            ("MessageAttribute.1.Name", "ErrorDetails"),
            ("MessageAttribute.1.Value.DataType", "String"),
            ("MessageAttribute.1.Value.StringValue", ""),
        ],
        400,
        IPV,
        empty,
    );
    let bad_type = "The type of message (user) attribute 'invalidAttribute' is invalid. You must use only the following supported type prefixes: Binary, Number, String.";
    for ty in ["InvalidType", "string"] {
        json_err(
            u,
            "SendMessage",
            json!({"QueueUrl": q, "MessageBody": "m", "MessageAttributes":
                {"invalidAttribute": {"DataType": ty, "StringValue": "v"}}}),
            400,
            IPV,
            IPVE,
            bad_type,
        );
    }
    query_err(
        u,
        &[
            ("Action", "SendMessage"),
            V,
            ("QueueUrl", &q),
            ("MessageBody", "m"),
            ("MessageAttribute.1.Name", "invalidAttribute"),
            ("MessageAttribute.1.Value.DataType", "InvalidType"),
            ("MessageAttribute.1.Value.StringValue", "v"),
        ],
        400,
        IPV,
        bad_type,
    );
    // In a batch the entry fails with the same words.
    let v = ok(
        u,
        "SendMessageBatch",
        json!({"QueueUrl": q, "Entries": [{"Id": "e", "MessageBody": "m", "MessageAttributes":
            {"ErrorDetails": {"DataType": "String", "StringValue": ""}}}]}),
    );
    assert_eq!(
        v["Failed"],
        json!([{"Id": "e", "Code": IPV, "SenderFault": true, "Message": empty}])
    );
    // Custom type suffixes are fine.
    let v = ok(
        u,
        "SendMessage",
        json!({"QueueUrl": q, "MessageBody": "typed", "MessageAttributes": {
            "n": {"DataType": "Number.double", "StringValue": "1.5"},
            "c": {"DataType": "String.Color", "StringValue": "red"}}}),
    );
    assert_eq!(
        v["MD5OfMessageAttributes"],
        attrs_md5(&[("n", "Number.double", "1.5"), ("c", "String.Color", "red")])
    );
    assert_eq!(peek_bodies(u, &q), ["typed"]);
}

// ----- 6. AWSTraceHeader -----

const TRACE: &str = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";

#[test]
fn trace_header_comes_from_the_system_attribute_or_the_http_header() {
    let (s, _p) = start(&[]);
    let u = &s.url;
    let q = create(u, "traced", json!({}));
    let sys = json!({"AWSTraceHeader": {"DataType": "String", "StringValue": TRACE}});
    let (st, _, v) = json_with(
        u,
        "SendMessage",
        &json!({"QueueUrl": q, "MessageBody": "by-attribute", "MessageSystemAttributes": sys}),
        &[],
    );
    assert_eq!(st, 200, "{v}");
    // AWS's digest for this value; no message attribute digest.
    assert_eq!(
        v["MD5OfMessageSystemAttributes"], "5ae4d5d7636402d80f4eb6d213245a88",
        "{v}"
    );
    assert!(v.get("MD5OfMessageAttributes").is_none(), "{v}");
    // From the HTTP header alone: no system attribute digest.
    let (st, _, v) = json_with(
        u,
        "SendMessage",
        &json!({"QueueUrl": q, "MessageBody": "by-header"}),
        &[("X-Amzn-Trace-Id", "Root=1-aaaaaaaa-header")],
    );
    assert_eq!(st, 200, "{v}");
    assert!(v.get("MD5OfMessageSystemAttributes").is_none(), "{v}");
    // Both: the system attribute wins.
    let (st, _, v) = json_with(
        u,
        "SendMessage",
        &json!({"QueueUrl": q, "MessageBody": "both", "MessageSystemAttributes": sys}),
        &[("X-Amzn-Trace-Id", "Root=1-aaaaaaaa-loses")],
    );
    assert_eq!(st, 200, "{v}");
    // A batch: the header goes to every entry without one of its own.
    let (st, _, v) = json_with(
        u,
        "SendMessageBatch",
        &json!({"QueueUrl": q, "Entries": [
            {"Id": "a", "MessageBody": "batch-header"},
            {"Id": "b", "MessageBody": "batch-own", "MessageSystemAttributes": sys}]}),
        &[("X-Amzn-Trace-Id", "Root=1-bbbbbbbb-batch")],
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["Failed"], json!([]), "{v}");
    // The query protocol, from the header.
    let (st, _, x) = query_with(
        u,
        "/",
        &[("X-Amzn-Trace-Id", "Root=1-cccccccc-query")],
        &[
            ("Action", "SendMessage"),
            V,
            ("QueueUrl", q.as_str()),
            ("MessageBody", "query-header"),
        ],
    );
    assert_eq!(st, 200, "{x}");
    // And one without any trace.
    ok(
        u,
        "SendMessage",
        json!({"QueueUrl": q, "MessageBody": "untraced"}),
    );

    let expected = [
        ("by-attribute", Some(TRACE)),
        ("by-header", Some("Root=1-aaaaaaaa-header")),
        ("both", Some(TRACE)),
        ("batch-header", Some("Root=1-bbbbbbbb-batch")),
        ("batch-own", Some(TRACE)),
        ("query-header", Some("Root=1-cccccccc-query")),
        ("untraced", None),
    ];
    // By name: only the trace header in Attributes.
    let v = ok(
        u,
        "ReceiveMessage",
        json!({"QueueUrl": q, "MaxNumberOfMessages": 10, "VisibilityTimeout": 0,
            "MessageSystemAttributeNames": ["AWSTraceHeader"]}),
    );
    let msgs = v["Messages"].as_array().cloned().unwrap_or_default();
    assert_eq!(msgs.len(), expected.len(), "{v}");
    for (body, trace) in expected {
        let m = msgs.iter().find(|m| m["Body"] == body).expect(body);
        match trace {
            Some(t) => assert_eq!(m["Attributes"], json!({"AWSTraceHeader": t}), "{body}"),
            None => assert!(m.get("Attributes").is_none(), "{body}: {m}"),
        }
        assert!(m.get("MessageSystemAttributes").is_none(), "{m}");
    }
    // All (through the older AttributeNames too): the trace header beside the rest.
    for field in ["MessageSystemAttributeNames", "AttributeNames"] {
        let v = ok(
            u,
            "ReceiveMessage",
            json!({"QueueUrl": q, "MaxNumberOfMessages": 10, "VisibilityTimeout": 0, field: ["All"]}),
        );
        let msgs = v["Messages"].as_array().cloned().unwrap_or_default();
        assert_eq!(msgs.len(), expected.len(), "{v}");
        for (body, trace) in expected {
            let m = msgs.iter().find(|m| m["Body"] == body).expect(body);
            let keys: BTreeSet<&str> = m["Attributes"]
                .as_object()
                .map(|o| o.keys().map(String::as_str).collect())
                .unwrap_or_default();
            let mut want = BTreeSet::from([
                "ApproximateFirstReceiveTimestamp",
                "ApproximateReceiveCount",
                "SenderId",
                "SentTimestamp",
            ]);
            if trace.is_some() {
                want.insert("AWSTraceHeader");
            }
            assert_eq!(keys, want, "{body}: {m}");
            if let Some(t) = trace {
                assert_eq!(m["Attributes"]["AWSTraceHeader"], t);
            }
        }
    }
    // Other names alone do not bring it.
    let v = ok(
        u,
        "ReceiveMessage",
        json!({"QueueUrl": q, "MaxNumberOfMessages": 10, "VisibilityTimeout": 0,
            "AttributeNames": ["SenderId"]}),
    );
    for m in v["Messages"].as_array().unwrap() {
        assert_eq!(m["Attributes"].as_object().map(|o| o.len()), Some(1), "{m}");
    }
    // The query protocol returns it as an Attribute.
    let x = query_ok(
        u,
        &[
            ("Action", "ReceiveMessage"),
            V,
            ("QueueUrl", &q),
            ("MaxNumberOfMessages", "10"),
            ("VisibilityTimeout", "0"),
            ("AttributeName.1", "AWSTraceHeader"),
        ],
    );
    assert_eq!(xml_all(&x, "Body").len(), expected.len(), "{x}");
    assert!(
        x.contains(&format!(
            "<Attribute><Name>AWSTraceHeader</Name><Value>{TRACE}</Value></Attribute>"
        )),
        "{x}"
    );
    assert!(
        x.contains(
            "<Attribute><Name>AWSTraceHeader</Name><Value>Root=1-cccccccc-query</Value></Attribute>"
        ),
        "{x}"
    );
    assert_eq!(x.matches("<Name>AWSTraceHeader</Name>").count(), 6, "{x}");
}

// ----- 7. ChangeMessageVisibility after the visibility expired -----

#[test]
fn changing_an_expired_visibility_is_accepted_and_does_nothing() {
    let (s, _p) = start(&[]);
    let u = &s.url;
    let q = create(u, "expiry", json!({}));
    ok(u, "SendMessage", json!({"QueueUrl": q, "MessageBody": "m"}));
    let v = ok(
        u,
        "ReceiveMessage",
        json!({"QueueUrl": q, "VisibilityTimeout": 1}),
    );
    let handle = v["Messages"][0]["ReceiptHandle"]
        .as_str()
        .unwrap()
        .to_string();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    // Visible again: both protocols answer 200...
    ok(
        u,
        "ChangeMessageVisibility",
        json!({"QueueUrl": q, "ReceiptHandle": handle, "VisibilityTimeout": 600}),
    );
    let x = query_ok(
        u,
        &[
            ("Action", "ChangeMessageVisibility"),
            V,
            ("QueueUrl", &q),
            ("ReceiptHandle", &handle),
            ("VisibilityTimeout", "600"),
        ],
    );
    assert!(x.contains("<ChangeMessageVisibilityResponse"), "{x}");
    let v = ok(
        u,
        "ChangeMessageVisibilityBatch",
        json!({"QueueUrl": q, "Entries": [{"Id": "e", "ReceiptHandle": handle, "VisibilityTimeout": 600}]}),
    );
    assert_eq!(v["Failed"], json!([]), "{v}");
    // ...and the message stayed visible.
    assert_eq!(attr(u, &q, "ApproximateNumberOfMessages"), "1");
    let v = ok(
        u,
        "ReceiveMessage",
        json!({"QueueUrl": q, "AttributeNames": ["ApproximateReceiveCount"]}),
    );
    assert_eq!(bodies(&v), ["m"]);
    assert_eq!(
        v["Messages"][0]["Attributes"]["ApproximateReceiveCount"],
        "2"
    );
    // A deleted message still fails as recorded.
    let h2 = v["Messages"][0]["ReceiptHandle"]
        .as_str()
        .unwrap()
        .to_string();
    ok(
        u,
        "DeleteMessage",
        json!({"QueueUrl": q, "ReceiptHandle": h2}),
    );
    json_err(
        u,
        "ChangeMessageVisibility",
        json!({"QueueUrl": q, "ReceiptHandle": h2, "VisibilityTimeout": 5}),
        400,
        IPV,
        IPVE,
        &format!(
            "Value {h2} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change."
        ),
    );
}

// ----- 8. Queue names and LocalStack URLs as QueueUrl -----

#[test]
fn a_bare_name_and_localstack_urls_name_a_queue() {
    let (s, _p) = start(&[]);
    let u = &s.url;
    create(u, "plain", json!({}));
    let v = ok(
        u,
        "SendMessage",
        json!({"QueueUrl": "plain", "MessageBody": "by name"}),
    );
    assert_eq!(v["MD5OfMessageBody"], md5_hex("by name"));
    query_ok(
        u,
        &[
            ("Action", "SendMessage"),
            V,
            ("QueueUrl", "plain"),
            ("MessageBody", "by name too"),
        ],
    );
    assert_eq!(peek_bodies(u, "plain"), ["by name", "by name too"]);
    json_err(
        u,
        "SendMessage",
        json!({"QueueUrl": "missing", "MessageBody": "x"}),
        400,
        "AWS.SimpleQueueService.NonExistentQueue",
        "QueueDoesNotExist",
        "The specified queue does not exist.",
    );

    // A queue in eu-west-1, created through a LocalStack host name.
    let host = format!("sqs.eu-west-1.localhost.localstack.cloud:{}", s.port);
    let (_, _, x) = query_with(
        u,
        "/",
        &[("host", &host)],
        &[("Action", "CreateQueue"), V, ("QueueName", "regional")],
    );
    assert_eq!(
        xml_text(&x, "QueueUrl"),
        Some(format!("http://{host}/000000000000/regional").as_str()),
        "{x}"
    );
    // From a us-east-1 request, each LocalStack form reaches it.
    let urls = [
        "http://sqs.eu-west-1.localhost.localstack.cloud:4566/000000000000/regional".to_string(),
        "http://eu-west-1.queue.localhost.localstack.cloud:4566/000000000000/regional".to_string(),
        "http://localhost:4566/queue/eu-west-1/000000000000/regional".to_string(),
    ];
    for (i, url) in urls.iter().enumerate() {
        ok(
            u,
            "SendMessage",
            json!({"QueueUrl": url, "MessageBody": format!("json {i}")}),
        );
        query_ok(
            u,
            &[
                ("Action", "SendMessage"),
                V,
                ("QueueUrl", url),
                ("MessageBody", &format!("query {i}")),
            ],
        );
        assert_eq!(
            attr(u, url, "QueueArn"),
            "arn:aws:sqs:eu-west-1:000000000000:regional"
        );
    }
    // A plain URL or the bare name stays in the request's region.
    json_err(
        u,
        "SendMessage",
        json!({"QueueUrl": format!("{u}/000000000000/regional"), "MessageBody": "x"}),
        400,
        "AWS.SimpleQueueService.NonExistentQueue",
        "QueueDoesNotExist",
        "The specified queue does not exist.",
    );
    json_err(
        u,
        "SendMessage",
        json!({"QueueUrl": "regional", "MessageBody": "x"}),
        400,
        "AWS.SimpleQueueService.NonExistentQueue",
        "QueueDoesNotExist",
        "The specified queue does not exist.",
    );
    // Received through one form, and deleted through another.
    let v = ok(
        u,
        "ReceiveMessage",
        json!({"QueueUrl": urls[2], "MaxNumberOfMessages": 10}),
    );
    let mut got = bodies(&v);
    got.sort();
    assert_eq!(
        got,
        [
            "json 0", "json 1", "json 2", "query 0", "query 1", "query 2"
        ]
    );
    let handle = v["Messages"][0]["ReceiptHandle"].as_str().unwrap();
    ok(
        u,
        "DeleteMessage",
        json!({"QueueUrl": urls[1], "ReceiptHandle": handle}),
    );
    assert_eq!(
        attr(u, &urls[0], "ApproximateNumberOfMessagesNotVisible"),
        "5"
    );
    // A request sent to the /queue/<region>/<account>/<name> path names it too.
    let (st, _, x) = query(
        u,
        "/queue/eu-west-1/000000000000/regional",
        &[
            ("Action", "GetQueueAttributes"),
            V,
            ("AttributeName.1", "QueueArn"),
        ],
    );
    assert_eq!(st, 200, "{x}");
    assert_eq!(
        xml_text(&x, "Value"),
        Some("arn:aws:sqs:eu-west-1:000000000000:regional"),
        "{x}"
    );
}

// ----- 9. Queue attributes, permissions, attribute filters -----

const STANDARD_KEYS: [&str; 12] = [
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesDelayed",
    "ApproximateNumberOfMessagesNotVisible",
    "CreatedTimestamp",
    "DelaySeconds",
    "LastModifiedTimestamp",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "QueueArn",
    "ReceiveMessageWaitTimeSeconds",
    "SqsManagedSseEnabled",
    "VisibilityTimeout",
];

/// GetQueueAttributes(All) without the values that vary (timestamps).
fn all_attributes(u: &str, q: &str) -> Value {
    let v = ok(
        u,
        "GetQueueAttributes",
        json!({"QueueUrl": q, "AttributeNames": ["All"]}),
    );
    let mut a = v["Attributes"].clone();
    let o = a.as_object_mut().expect("Attributes");
    for t in ["CreatedTimestamp", "LastModifiedTimestamp"] {
        let ts = o.remove(t).unwrap_or_else(|| panic!("{t} missing: {v}"));
        assert!(
            ts.as_str().and_then(|s| s.parse::<u64>().ok()).is_some(),
            "{t}: {ts}"
        );
    }
    a
}

fn standard_defaults(name: &str) -> Value {
    json!({
        "ApproximateNumberOfMessages": "0",
        "ApproximateNumberOfMessagesDelayed": "0",
        "ApproximateNumberOfMessagesNotVisible": "0",
        "DelaySeconds": "0",
        "MaximumMessageSize": "1048576",
        "MessageRetentionPeriod": "345600",
        "QueueArn": format!("arn:aws:sqs:us-east-1:000000000000:{name}"),
        "ReceiveMessageWaitTimeSeconds": "0",
        "SqsManagedSseEnabled": "true",
        "VisibilityTimeout": "30",
    })
}

#[test]
fn queue_attribute_sets_are_aws_defaults_also_after_resetting() {
    let (s, _p) = start(&[]);
    let u = &s.url;
    let q = create(u, "plain-attrs", json!({}));
    assert_eq!(all_attributes(u, &q), standard_defaults("plain-attrs"));
    let v = ok(
        u,
        "GetQueueAttributes",
        json!({"QueueUrl": q, "AttributeNames": ["All"]}),
    );
    let mut keys: Vec<&str> = v["Attributes"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    assert_eq!(keys, STANDARD_KEYS);
    let x = query_ok(
        u,
        &[
            ("Action", "GetQueueAttributes"),
            V,
            ("QueueUrl", &q),
            ("AttributeName.1", "All"),
        ],
    );
    let mut names = xml_all(&x, "Name");
    names.sort();
    assert_eq!(names, STANDARD_KEYS);

    let dlq = create(u, "plain-dlq", json!({}));
    let dlq_arn = attr(u, &dlq, "QueueArn");
    let policy = json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": "*", "Action": "sqs:SendMessage", "Resource": "*"}]})
    .to_string();
    let redrive = json!({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 7}).to_string();
    ok(
        u,
        "SetQueueAttributes",
        json!({"QueueUrl": q, "Attributes": {"VisibilityTimeout": "69", "MaximumMessageSize": "2048",
            "DelaySeconds": "420", "Policy": policy, "RedrivePolicy": redrive}}),
    );
    let mut changed = standard_defaults("plain-attrs");
    changed["VisibilityTimeout"] = json!("69");
    changed["MaximumMessageSize"] = json!("2048");
    changed["DelaySeconds"] = json!("420");
    changed["Policy"] = json!(policy);
    changed["RedrivePolicy"] = json!(redrive);
    assert_eq!(all_attributes(u, &q), changed);
    // Back to the defaults: the same twelve keys as a new queue.
    ok(
        u,
        "SetQueueAttributes",
        json!({"QueueUrl": q, "Attributes": {"VisibilityTimeout": "30", "MaximumMessageSize": "1048576",
            "DelaySeconds": "0", "Policy": "", "RedrivePolicy": ""}}),
    );
    assert_eq!(all_attributes(u, &q), standard_defaults("plain-attrs"));
    let v = ok(
        u,
        "GetQueueAttributes",
        json!({"QueueUrl": q, "AttributeNames": ["Policy"]}),
    );
    assert_eq!(v, json!({}));
    let v = ok(u, "GetQueueAttributes", json!({"QueueUrl": q}));
    assert_eq!(v, json!({}));

    // FIFO: four more keys.
    let f = create(u, "fifo-attrs.fifo", json!({"FifoQueue": "true"}));
    let mut fifo = standard_defaults("fifo-attrs.fifo");
    for (k, val) in [
        ("ContentBasedDeduplication", "false"),
        ("DeduplicationScope", "queue"),
        ("FifoQueue", "true"),
        ("FifoThroughputLimit", "perQueue"),
    ] {
        fifo[k] = json!(val);
    }
    assert_eq!(all_attributes(u, &f), fifo);
    ok(
        u,
        "SetQueueAttributes",
        json!({"QueueUrl": f, "Attributes": {"ContentBasedDeduplication": "true"}}),
    );
    let mut cbd = fifo.clone();
    cbd["ContentBasedDeduplication"] = json!("true");
    assert_eq!(all_attributes(u, &f), cbd);
    ok(
        u,
        "SetQueueAttributes",
        json!({"QueueUrl": f, "Attributes": {"ContentBasedDeduplication": "false",
            "DeduplicationScope": "queue", "FifoThroughputLimit": "perQueue"}}),
    );
    assert_eq!(all_attributes(u, &f), fifo);
}

#[test]
fn add_permission_writes_aws_policy_document() {
    let (s, _p) = start(&[]);
    let u = &s.url;
    let q = create(u, "shared", json!({}));
    let arn = "arn:aws:sqs:us-east-1:000000000000:shared";
    ok(
        u,
        "AddPermission",
        json!({"QueueUrl": q, "Label": "crossaccountpermission",
            "AWSAccountIds": ["668614515564"], "Actions": ["ReceiveMessage"]}),
    );
    let policy = |u: &str| -> Value {
        let p = attr(u, &q, "Policy");
        serde_json::from_str(&p).unwrap_or_else(|e| panic!("{e}: {p}"))
    };
    let first = json!({"Sid": "crossaccountpermission", "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::668614515564:root"},
        "Action": "SQS:ReceiveMessage", "Resource": arn});
    assert_eq!(
        policy(u),
        json!({"Version": "2008-10-17", "Id": format!("{arn}/SQSDefaultPolicy"),
            "Statement": [first]})
    );
    // Query protocol, two accounts and two actions: lists.
    query_ok(
        u,
        &[
            ("Action", "AddPermission"),
            V,
            ("QueueUrl", &q),
            ("Label", "second"),
            ("AWSAccountId.1", "668614515564"),
            ("AWSAccountId.2", "111111111111"),
            ("ActionName.1", "SendMessage"),
            ("ActionName.2", "DeleteMessage"),
        ],
    );
    let second = json!({"Sid": "second", "Effect": "Allow",
        "Principal": {"AWS": ["arn:aws:iam::668614515564:root", "arn:aws:iam::111111111111:root"]},
        "Action": ["SQS:SendMessage", "SQS:DeleteMessage"], "Resource": arn});
    assert_eq!(
        policy(u),
        json!({"Version": "2008-10-17", "Id": format!("{arn}/SQSDefaultPolicy"),
            "Statement": [first, second]})
    );
    json_err(
        u,
        "AddPermission",
        json!({"QueueUrl": q, "Label": "crossaccountpermission",
            "AWSAccountIds": ["668614515564"], "Actions": ["ReceiveMessage"]}),
        400,
        IPV,
        IPVE,
        "Value crossaccountpermission for parameter Label is invalid. Reason: Already exists.",
    );
    json_err(
        u,
        "RemovePermission",
        json!({"QueueUrl": q, "Label": "crossaccountpermission2"}),
        400,
        IPV,
        IPVE,
        "Value crossaccountpermission2 for parameter Label is invalid. Reason: can't find label.",
    );
    query_err(
        u,
        &[
            ("Action", "RemovePermission"),
            V,
            ("QueueUrl", &q),
            ("Label", "crossaccountpermission2"),
        ],
        400,
        IPV,
        "Value crossaccountpermission2 for parameter Label is invalid. Reason: can't find label.",
    );
    ok(
        u,
        "RemovePermission",
        json!({"QueueUrl": q, "Label": "crossaccountpermission"}),
    );
    assert_eq!(
        policy(u),
        json!({"Version": "2008-10-17", "Id": format!("{arn}/SQSDefaultPolicy"),
            "Statement": [second]})
    );
    ok(
        u,
        "RemovePermission",
        json!({"QueueUrl": q, "Label": "second"}),
    );
    let v = ok(
        u,
        "GetQueueAttributes",
        json!({"QueueUrl": q, "AttributeNames": ["Policy"]}),
    );
    assert_eq!(v, json!({}));
    assert_eq!(all_attributes(u, &q), standard_defaults("shared"));
}

#[test]
fn message_attribute_name_filters_match_as_on_aws() {
    let (s, _p) = start(&[]);
    let u = &s.url;
    let q = create(u, "filters", json!({"VisibilityTimeout": "0"}));
    let all = [
        ("Help.Me", "String", "Me"),
        ("Hello", "String", "There"),
        ("General", "String", "Kenobi"),
    ];
    let attrs: serde_json::Map<String, Value> = all
        .iter()
        .map(|(n, t, v)| (n.to_string(), json!({"DataType": t, "StringValue": v})))
        .collect();
    let v = ok(
        u,
        "SendMessage",
        json!({"QueueUrl": q, "MessageBody": "msg", "MessageAttributes": attrs}),
    );
    // AWS's recorded digests for these attributes (all, and Hello with General).
    assert_eq!(
        v["MD5OfMessageAttributes"],
        "4c360f3fdafd970e05fae2f149d997f5"
    );
    assert_eq!(attrs_md5(&all), "4c360f3fdafd970e05fae2f149d997f5");
    assert_eq!(
        attrs_md5(&[all[1], all[2]]),
        "fca026605781cb4126a1e9044df24232"
    );
    let receive = |names: Value| -> Value {
        let v = ok(
            u,
            "ReceiveMessage",
            json!({"QueueUrl": q, "MessageAttributeNames": names}),
        );
        assert_eq!(bodies(&v), ["msg"], "{v}");
        v["Messages"][0].clone()
    };
    let check = |names: Value, expect: &[(&str, &str, &str)]| {
        let m = receive(names.clone());
        let got: BTreeSet<&str> = m["MessageAttributes"]
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let want: BTreeSet<&str> = expect.iter().map(|(n, _, _)| *n).collect();
        assert_eq!(got, want, "{names}: {m}");
        if expect.is_empty() {
            assert!(m.get("MD5OfMessageAttributes").is_none(), "{names}: {m}");
        } else {
            assert_eq!(m["MD5OfMessageAttributes"], attrs_md5(expect), "{names}");
            for (n, t, val) in expect {
                assert_eq!(
                    m["MessageAttributes"][n],
                    json!({"DataType": t, "StringValue": val})
                );
            }
        }
        m
    };
    let m = check(json!([]), &[]);
    assert!(m.get("MessageAttributes").is_none(), "{m}");
    check(json!(["All"]), &all);
    check(json!(["*"]), &all);
    check(json!([".*"]), &all);
    let m = check(json!(["Foo", "Help"]), &[]);
    assert_eq!(m["MessageAttributes"], json!({}), "{m}");
    let m = check(json!(["Hello", "General"]), &[all[1], all[2]]);
    assert_eq!(
        m["MD5OfMessageAttributes"],
        "fca026605781cb4126a1e9044df24232"
    );
    check(json!(["Foo", "Hello"]), &[all[1]]);
    check(json!(["Hel.*"]), &[all[0], all[1]]);
    check(json!(["Help.*"]), &[all[0]]);
    for illegal in ["AWS.", "..foo"] {
        let m = check(json!([illegal]), &[]);
        assert!(m.get("MessageAttributes").is_none(), "{m}");
    }
    // The query protocol filters the same way.
    let x = query_ok(
        u,
        &[
            ("Action", "ReceiveMessage"),
            V,
            ("QueueUrl", &q),
            ("MessageAttributeName.1", "Hel.*"),
        ],
    );
    let mut names = xml_all(&x, "Name");
    names.sort();
    assert_eq!(names, ["Hello", "Help.Me"], "{x}");
    assert_eq!(
        xml_text(&x, "MD5OfMessageAttributes"),
        Some(attrs_md5(&[all[0], all[1]]).as_str())
    );
    let x = query_ok(
        u,
        &[
            ("Action", "ReceiveMessage"),
            V,
            ("QueueUrl", &q),
            ("MessageAttributeName.1", "Foo"),
        ],
    );
    assert_eq!(xml_text(&x, "Body"), Some("msg"), "{x}");
    assert!(!x.contains("MessageAttribute"), "{x}");
}

// ----- 10. FIFO message groups -----

/// One receive of up to `max` (JSON protocol): the bodies in order and
/// their receipt handles.
fn receive_fifo(u: &str, q: &str, max: u32, vt: Option<u32>) -> (Vec<String>, Vec<String>) {
    let mut body = json!({"QueueUrl": q, "MaxNumberOfMessages": max});
    if let Some(vt) = vt {
        body["VisibilityTimeout"] = json!(vt);
    }
    let v = ok(u, "ReceiveMessage", body);
    let handles = v["Messages"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|m| m["ReceiptHandle"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default();
    (bodies(&v), handles)
}

#[test]
fn fifo_groups_wait_for_their_message_in_flight() {
    let (s, _p) = start(&[]);
    let u = &s.url;
    let q = create(
        u,
        "groups.fifo",
        json!({"FifoQueue": "true", "ContentBasedDeduplication": "true", "VisibilityTimeout": "60"}),
    );
    // Interleaved sends across three groups.
    for (g, body) in [
        ("g1", "g1-m1"),
        ("g2", "g2-m1"),
        ("g1", "g1-m2"),
        ("g3", "g3-m1"),
        ("g2", "g2-m2"),
        ("g1", "g1-m3"),
        ("g3", "g3-m2"),
    ] {
        ok(
            u,
            "SendMessage",
            json!({"QueueUrl": q, "MessageBody": body, "MessageGroupId": g}),
        );
    }
    // One receive hands out a group's messages together, in order.
    let (b, g1) = receive_fifo(u, &q, 2, None);
    assert_eq!(b, ["g1-m1", "g1-m2"]);
    // g1 has messages in flight: g1-m3 waits, the other groups come.
    let (b, g2) = receive_fifo(u, &q, 1, None);
    assert_eq!(b, ["g2-m1"]);
    let (b, g3) = receive_fifo(u, &q, 10, None);
    assert_eq!(b, ["g3-m1", "g3-m2"]);
    let (b, _) = receive_fifo(u, &q, 10, None);
    assert!(b.is_empty(), "every group is blocked: {b:?}");
    // The query protocol sees the same.
    let x = query_ok(
        u,
        &[
            ("Action", "ReceiveMessage"),
            V,
            ("QueueUrl", &q),
            ("MaxNumberOfMessages", "10"),
        ],
    );
    assert!(xml_all(&x, "Body").is_empty(), "{x}");

    // Deleting one of g1's two in-flight messages keeps it blocked.
    ok(
        u,
        "DeleteMessage",
        json!({"QueueUrl": q, "ReceiptHandle": g1[0]}),
    );
    let (b, _) = receive_fifo(u, &q, 10, None);
    assert!(b.is_empty(), "g1 still has g1-m2 in flight: {b:?}");
    // Deleting the other releases g1, and only g1.
    ok(
        u,
        "DeleteMessage",
        json!({"QueueUrl": q, "ReceiptHandle": g1[1]}),
    );
    let (b, g1) = receive_fifo(u, &q, 10, None);
    assert_eq!(b, ["g1-m3"]);

    // Visibility 0 on g2-m1 releases g2 from that message on, in order.
    ok(
        u,
        "ChangeMessageVisibility",
        json!({"QueueUrl": q, "ReceiptHandle": g2[0], "VisibilityTimeout": 0}),
    );
    let (b, g2) = receive_fifo(u, &q, 10, None);
    assert_eq!(b, ["g2-m1", "g2-m2"]);

    // g3-m1 visible again while g3-m2 is in flight: only g3-m1 comes.
    ok(
        u,
        "ChangeMessageVisibilityBatch",
        json!({"QueueUrl": q, "Entries": [{"Id": "e", "ReceiptHandle": g3[0], "VisibilityTimeout": 0}]}),
    );
    let (b, g3_first) = receive_fifo(u, &q, 10, Some(2));
    assert_eq!(b, ["g3-m1"]);
    // Expiry releases the group: with both in flight for two more seconds,
    // nothing comes, then both do, in order.
    ok(
        u,
        "ChangeMessageVisibility",
        json!({"QueueUrl": q, "ReceiptHandle": g3[1], "VisibilityTimeout": 2}),
    );
    let (b, _) = receive_fifo(u, &q, 10, None);
    assert!(b.is_empty(), "g3 is in flight: {b:?}");
    std::thread::sleep(std::time::Duration::from_millis(2500));
    let (b, _) = receive_fifo(u, &q, 10, None);
    assert_eq!(b, ["g3-m1", "g3-m2"]);
    // Nothing else is receivable: g1-m3, g2's two and g3's two are in flight.
    let (b, _) = receive_fifo(u, &q, 10, None);
    assert!(b.is_empty(), "{b:?}");
    assert_eq!(attr(u, &q, "ApproximateNumberOfMessagesNotVisible"), "5");
    assert_eq!(attr(u, &q, "ApproximateNumberOfMessages"), "0");
    // The handles of the first receive of g3-m1 are stale now: a change
    // through one is the recorded error.
    json_err(
        u,
        "ChangeMessageVisibility",
        json!({"QueueUrl": q, "ReceiptHandle": g3_first[0], "VisibilityTimeout": 0}),
        400,
        IPV,
        IPVE,
        &format!(
            "Value {} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.",
            g3_first[0]
        ),
    );
    drop((g1, g2));
}

/// Two errors whose HTTP status is not 400 on AWS: a second PurgeQueue
/// within a minute (403) and a receipt handle that is not one (404).
#[test]
fn purge_in_progress_is_403_and_an_invalid_receipt_handle_404() {
    let (s, _p) = start(&[]);
    let u = &s.url;
    let url = create(u, "statuses", json!({}));
    ok(u, "PurgeQueue", json!({"QueueUrl": url}));
    json_err(
        u,
        "PurgeQueue",
        json!({"QueueUrl": url}),
        403,
        "AWS.SimpleQueueService.PurgeQueueInProgress",
        "PurgeQueueInProgress",
        "Only one PurgeQueue operation on statuses is allowed every 60 seconds.",
    );
    query_err(
        u,
        &[("Action", "PurgeQueue"), V, ("QueueUrl", &url)],
        403,
        "AWS.SimpleQueueService.PurgeQueueInProgress",
        "Only one PurgeQueue operation on statuses is allowed every 60 seconds.",
    );
    json_err(
        u,
        "DeleteMessage",
        json!({"QueueUrl": url, "ReceiptHandle": "garbage"}),
        404,
        "ReceiptHandleIsInvalid",
        "ReceiptHandleIsInvalid",
        "The input receipt handle \"garbage\" is not a valid receipt handle.",
    );
    query_err(
        u,
        &[
            ("Action", "DeleteMessage"),
            V,
            ("QueueUrl", &url),
            ("ReceiptHandle", "garbage"),
        ],
        404,
        "ReceiptHandleIsInvalid",
        "The input receipt handle \"garbage\" is not a valid receipt handle.",
    );
}

/// Once its visibility has run out, a FIFO receipt handle has expired and
/// DeleteMessage refuses it; a standard queue still deletes with it.
#[test]
fn an_expired_fifo_receipt_handle_cannot_delete() {
    let (s, _p) = start(&[]);
    let u = &s.url;
    let fifo = create(
        u,
        "expiring.fifo",
        json!({"FifoQueue": "true", "ContentBasedDeduplication": "true"}),
    );
    let plain = create(u, "expiring", json!({}));
    ok(
        u,
        "SendMessage",
        json!({"QueueUrl": fifo, "MessageBody": "f", "MessageGroupId": "g"}),
    );
    ok(
        u,
        "SendMessage",
        json!({"QueueUrl": plain, "MessageBody": "p"}),
    );
    let handle = |q: &str| {
        let r = ok(
            u,
            "ReceiveMessage",
            json!({"QueueUrl": q, "VisibilityTimeout": 1}),
        );
        r["Messages"][0]["ReceiptHandle"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let (hf, hp) = (handle(&fifo), handle(&plain));
    std::thread::sleep(std::time::Duration::from_millis(1500));
    json_err(
        u,
        "DeleteMessage",
        json!({"QueueUrl": fifo, "ReceiptHandle": hf}),
        400,
        "InvalidParameterValue",
        "InvalidParameterValueException",
        &format!(
            "Value {hf} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired."
        ),
    );
    query_err(
        u,
        &[
            ("Action", "DeleteMessage"),
            V,
            ("QueueUrl", &fifo),
            ("ReceiptHandle", &hf),
        ],
        400,
        "InvalidParameterValue",
        &format!(
            "Value {hf} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired."
        ),
    );
    ok(
        u,
        "DeleteMessage",
        json!({"QueueUrl": plain, "ReceiptHandle": hp}),
    );
    assert_eq!(attr(u, &plain, "ApproximateNumberOfMessages"), "0");
    assert_eq!(attr(u, &fifo, "ApproximateNumberOfMessages"), "1");
}

// ----- wrong JSON types -----

#[test]
fn a_string_for_a_number_is_a_serialization_exception_in_aws_words() {
    let (s, _p) = start(&[]);
    let u = &s.url;
    let q = create(u, "typed", json!({}));
    json_err(
        u,
        "ReceiveMessage",
        json!({"QueueUrl": q, "VisibilityTimeout": "abc"}),
        400,
        "SerializationException",
        "SerializationException",
        "STRING_VALUE can not be converted to an Integer",
    );
}
