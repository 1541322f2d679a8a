//! SQS: the MD5 digests of message attributes, queue attribute checking
//! (ranges, redrive policies), and whole requests through the SQS plugin's
//! handler (both protocols).

use ruststack_sdk::testkit::{self, RequestBuilder};
use serde_json::Value;
use sqs::fuzzing::{apply, attributes_md5, check, from_input, initial, md5_hex, parse_redrive};

use super::{join, parts};
use crate::engine::{Layout, Target, class, fnv};
use crate::seeds;

const ATTR_DICT: &[&str] = &[
    "\"DataType\":\"String\"",
    "\"DataType\":\"Binary\"",
    "\"DataType\":\"Number.int\"",
    "\"StringValue\":\"\"",
    "\"BinaryValue\":\"AAEC\"",
    "\"BinaryValue\":\"!!\"",
    "\"VisibilityTimeout\":\"",
    "\"DelaySeconds\":\"900\"",
    "\"MaximumMessageSize\":\"1024\"",
    "\"MessageRetentionPeriod\":\"60\"",
    "\"ReceiveMessageWaitTimeSeconds\":\"20\"",
    "\"FifoQueue\":\"TRUE\"",
    "\"ContentBasedDeduplication\":\"true\"",
    "\"RedrivePolicy\":\"{\\\"deadLetterTargetArn\\\":\\\"a\\\",\\\"maxReceiveCount\\\":\\\"1000\\\"}\"",
    "\"RedriveAllowPolicy\":\"{\\\"redrivePermission\\\":\\\"byQueue\\\",\\\"sourceQueueArns\\\":[]}\"",
    "\"KmsMasterKeyId\":\"alias/aws/sqs\"",
    "\"Policy\":\"\"",
    "\"QueueArn\":\"x\"",
    "true",
    "false",
    "\u{1f}",
];

fn attr_seeds() -> Vec<Vec<u8>> {
    let msg = r#"{"color":{"DataType":"String","StringValue":"blue"},"bin":{"DataType":"Binary","BinaryValue":"AAECAw=="},"n":{"DataType":"Number.float","StringValue":"-1.5e3"},"ü":{"DataType":"String.custom","StringValue":"\u0000"}}"#;
    let queue = r#"{"VisibilityTimeout":"40","DelaySeconds":"0","MaximumMessageSize":"262144","MessageRetentionPeriod":"86400","ReceiveMessageWaitTimeSeconds":"0","RedrivePolicy":"{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:000000000000:dlq\",\"maxReceiveCount\":\"5\"}","Policy":"{}","SqsManagedSseEnabled":"TRUE"}"#;
    let fifo = r#"{"FifoQueue":"true","ContentBasedDeduplication":"True","DeduplicationScope":"messageGroup","FifoThroughputLimit":"perMessageGroupId","KmsMasterKeyId":"alias/aws/sqs","KmsDataKeyReusePeriodSeconds":"60","RedriveAllowPolicy":"{\"redrivePermission\":\"byQueue\",\"sourceQueueArns\":[\"arn:aws:sqs:us-east-1:000000000000:a\"]}"}"#;
    vec![
        join(&[msg, queue, "false"]),
        join(&[msg, fifo, "true"]),
        join(&[
            r#"{"a":{"DataType":"Binary","BinaryValue":"not base64"}}"#,
            r#"{"RedrivePolicy":"{\"deadLetterTargetArn\":\"a\",\"maxReceiveCount\":1001}"}"#,
            "false",
        ]),
        join(&[
            "{}",
            r#"{"RedrivePolicy":"","Policy":"","KmsMasterKeyId":""}"#,
            "false",
        ]),
    ]
}

/// Message attributes through the MD5 digest SDKs verify; queue attributes
/// (`Attributes` of CreateQueue / SetQueueAttributes) through `initial`,
/// `apply`, `check` and the redrive policy parser.
fn attr_run(input: &[u8]) -> u64 {
    let p = parts(input);
    let get = |i: usize| p.get(i).map(String::as_str).unwrap_or("");
    let mut c = 0u64;
    if let Ok(Value::Object(m)) = serde_json::from_str::<Value>(get(0)) {
        let digest = attributes_md5(&m);
        assert_eq!(digest.len(), 32, "an MD5 is 32 hex digits");
    }
    let _ = md5_hex(get(0).as_bytes());
    let fifo = get(2).trim() == "true";
    let requested = serde_json::from_str::<Value>(get(1))
        .map(|v| from_input(&v))
        .unwrap_or_default();
    match initial(&requested, fifo) {
        Ok(mut attrs) => {
            if let Err(e) = apply(&mut attrs, &requested, fifo) {
                panic!("attributes accepted once are refused the second time: {e:?}");
            }
            c ^= fnv(b"ok");
        }
        Err(e) => c ^= class(&e.code, &e.message),
    }
    for (k, v) in &requested {
        let _ = check(k, v, fifo);
        if let Some(r) = parse_redrive(v) {
            c = c.rotate_left(1) ^ u64::from(r.max_receive_count == 0) ^ r.target_arn.len() as u64;
        }
    }
    c
}

/// SQS attribute decoding and digests (`digest.rs`, `attributes.rs`).
pub fn attributes() -> Target {
    Target {
        name: "sqs-attributes",
        about: "SQS digest::attributes_md5 of message attributes; queue attributes through attributes::initial/apply/check/parse_redrive",
        seeds: attr_seeds,
        dict: ATTR_DICT,
        max_len: 8 * 1024,
        layout: Layout::Bytes,
        setup: None,
        reset_every: 0,
        run: attr_run,
    }
}

/// A fresh test kit with the seeds' queues and a message.
fn setup() {
    testkit::reset();
    let json =
        |op: &str, body: &str| RequestBuilder::json(&format!("AmazonSQS.{op}"), body).build();
    let must = crate::targets::s3::must::<sqs::Sqs>;
    must(
        json("CreateQueue", r#"{"QueueName":"dlq"}"#),
        "CreateQueue dlq",
    );
    must(
        json(
            "CreateQueue",
            r#"{"QueueName":"fuzz-queue","Attributes":{"RedrivePolicy":"{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:000000000000:dlq\",\"maxReceiveCount\":\"2\"}"}}"#,
        ),
        "CreateQueue",
    );
    must(
        json(
            "CreateQueue",
            r#"{"QueueName":"fuzz.fifo","Attributes":{"FifoQueue":"true","ContentBasedDeduplication":"true"}}"#,
        ),
        "CreateQueue fifo",
    );
    must(
        json(
            "SendMessage",
            &format!(
                r#"{{"QueueUrl":"{}","MessageBody":"seed","MessageAttributes":{{"a":{{"DataType":"String","StringValue":"b"}}}}}}"#,
                seeds::QUEUE_URL
            ),
        ),
        "SendMessage",
    );
}

/// Whole SQS requests (JSON and query) through the plugin's handler.
pub fn plugin() -> Target {
    fn run(input: &[u8]) -> u64 {
        crate::targets::s3::serve::<sqs::Sqs>(crate::targets::s3::request(input))
    }
    fn seeds() -> Vec<Vec<u8>> {
        let mut s = seeds::sqs_json();
        s.extend(seeds::sqs_query());
        s
    }
    Target {
        name: "plugin-sqs",
        about: "whole SQS requests (JSON and query) through the SQS plugin's handler (test kit storage)",
        seeds,
        dict: super::protocol::QUERY_DICT,
        max_len: 16 * 1024,
        layout: Layout::HttpJson,
        setup: Some(setup),
        reset_every: 1000,
        run,
    }
}
