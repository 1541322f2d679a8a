//! Signature verification (`--verify-signatures`), with real clients: the
//! AWS CLI and the AWS SDK for Rust sign with the right secret and are
//! served by all four services (a multipart `aws s3 cp`, a presigned GET
//! with curl); a wrong secret or an unknown key gets AWS's error for each
//! protocol; without the flag nothing is checked.

use std::process::Command;

use aws_sdk_s3::primitives::ByteStream;
use ruststack_tests::{CliOutput, Identity, Server, aws_cli_with, cli_err, sdk_config, tempdir};
use serde_json::Value;

const KEY: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

fn start() -> Server {
    Server::start(&[
        "--ephemeral",
        "--verify-signatures",
        "--credentials",
        &format!("{KEY}:{SECRET}"),
    ])
}

fn right() -> Identity {
    Identity::new(KEY, SECRET, "us-east-1")
}

fn ok(out: CliOutput) -> Value {
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    serde_json::from_str(&out.stdout).unwrap_or(Value::Null)
}

/// The signed commands of a day's work, one or two per service.
fn daily_work(url: &str, who: &Identity) -> Vec<CliOutput> {
    let run = |args: &[&str]| aws_cli_with(url, None, who, args);
    vec![
        run(&["s3api", "list-buckets"]),
        run(&["dynamodb", "list-tables"]),
        run(&["sqs", "list-queues"]),
        run(&["sns", "list-topics"]),
    ]
}

#[test]
fn the_cli_with_the_right_secret_works_for_every_service() {
    let s = start();
    let who = right();
    let run = |args: &[&str]| aws_cli_with(&s.url, None, &who, args);
    for out in daily_work(&s.url, &who) {
        ok(out);
    }
    // The default pair is always known.
    for out in daily_work(&s.url, &Identity::default()) {
        ok(out);
    }
    ok(run(&["s3api", "create-bucket", "--bucket", "signed"]));
    // A multipart upload (the CLI splits files over 8 MiB) and back.
    let dir = tempdir();
    let big = dir.path().join("big");
    let data: Vec<u8> = (0..20 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&big, &data).unwrap();
    let out = run(&["s3", "cp", big.to_str().unwrap(), "s3://signed/big"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let back = dir.path().join("back");
    let out = run(&["s3", "cp", "s3://signed/big", back.to_str().unwrap()]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(std::fs::read(&back).unwrap() == data, "round trip differs");

    let t = ok(run(&[
        "dynamodb",
        "create-table",
        "--table-name",
        "signed",
        "--attribute-definitions",
        "AttributeName=pk,AttributeType=S",
        "--key-schema",
        "AttributeName=pk,KeyType=HASH",
        "--billing-mode",
        "PAY_PER_REQUEST",
    ]));
    assert_eq!(t["TableDescription"]["TableName"], "signed");
    let q = ok(run(&["sqs", "create-queue", "--queue-name", "signed"]));
    let queue = q["QueueUrl"].as_str().unwrap().to_string();
    ok(run(&[
        "sqs",
        "send-message",
        "--queue-url",
        &queue,
        "--message-body",
        "hello",
    ]));
    let t = ok(run(&["sns", "create-topic", "--name", "signed"]));
    let topic = t["TopicArn"].as_str().unwrap().to_string();
    ok(run(&[
        "sns",
        "publish",
        "--topic-arn",
        &topic,
        "--message",
        "hello",
    ]));
}

#[test]
fn presigned_urls_work_with_curl_until_they_expire() {
    let s = start();
    let who = right();
    let run = |args: &[&str]| aws_cli_with(&s.url, None, &who, args);
    ok(run(&["s3api", "create-bucket", "--bucket", "shared"]));
    let dir = tempdir();
    let f = dir.path().join("f");
    std::fs::write(&f, "presigned body").unwrap();
    ok(run(&[
        "s3api",
        "put-object",
        "--bucket",
        "shared",
        "--key",
        "doc.txt",
        "--body",
        f.to_str().unwrap(),
    ]));
    let curl = |url: &str| {
        let out = Command::new("curl")
            .args(["-s", "-w", "\n%{http_code}", url])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, status) = text.rsplit_once('\n').unwrap();
        (status.to_string(), body.to_string())
    };
    let presign = |expires: &str| {
        let out = run(&[
            "s3",
            "presign",
            "s3://shared/doc.txt",
            "--expires-in",
            expires,
        ]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        out.stdout.trim().to_string()
    };
    let url = presign("300");
    let (status, body) = curl(&url);
    assert_eq!((status.as_str(), body.as_str()), ("200", "presigned body"));
    // The same URL with its signature changed (SigV4 `X-Amz-Signature=`
    // or SigV2 `Signature=`, whichever the CLI chose).
    let tampered = url.replacen("Signature=", "Signature=AA", 1);
    assert_ne!(tampered, url);
    let (status, body) = curl(&tampered);
    assert_eq!(status, "403", "{body}");
    assert!(
        body.contains("<Code>SignatureDoesNotMatch</Code>"),
        "{body}"
    );
    let short = presign("1");
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let (status, body) = curl(&short);
    assert_eq!(status, "403", "{body}");
    assert!(body.contains("<Code>AccessDenied</Code>"), "{body}");
    assert!(body.contains("Request has expired"), "{body}");
    // Unsigned, it is anonymous: refused.
    let (status, body) = curl(&format!("{}/shared/doc.txt", s.url));
    assert_eq!(status, "403", "{body}");
    assert!(body.contains("<Code>AccessDenied</Code>"), "{body}");
}

#[test]
fn a_wrong_secret_or_an_unknown_key_gets_each_protocols_error() {
    let s = start();
    let wrong = Identity::new(KEY, "not-the-secret", "us-east-1");
    let expected = [
        "SignatureDoesNotMatch",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
        "SignatureDoesNotMatch",
    ];
    for (out, code) in daily_work(&s.url, &wrong).into_iter().zip(expected) {
        cli_err(out, code);
    }
    let unknown = Identity::new("AKIDUNKNOWNKEY000000", "whatever", "us-east-1");
    let expected = [
        "InvalidAccessKeyId",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "InvalidClientTokenId",
    ];
    for (out, code) in daily_work(&s.url, &unknown).into_iter().zip(expected) {
        cli_err(out, code);
    }
}

#[test]
fn without_the_flag_no_signature_is_checked() {
    let s = Server::start(&["--ephemeral"]);
    let wrong = Identity::new(KEY, "not-the-secret", "us-east-1");
    for out in daily_work(&s.url, &wrong) {
        ok(out);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_rust_sdk_signs_and_is_checked() {
    let s = start();
    let sqs = |secret: &str| {
        aws_sdk_sqs::Client::new(&sdk_config(
            &s.url,
            &Identity::new(KEY, secret, "eu-west-1"),
        ))
    };
    let q = sqs(SECRET)
        .create_queue()
        .queue_name("sdk")
        .send()
        .await
        .unwrap();
    let url = q.queue_url().unwrap().to_string();
    sqs(SECRET)
        .send_message()
        .queue_url(&url)
        .message_body("signed by the sdk")
        .send()
        .await
        .unwrap();
    let err = sqs("wrong")
        .send_message()
        .queue_url(&url)
        .message_body("x")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err.as_service_error().and_then(|e| e.meta().code()),
        Some("SignatureDoesNotMatch"),
        "{err:?}"
    );

    let s3 = |secret: &str| {
        let conf = sdk_config(&s.url, &Identity::new(KEY, secret, "us-east-1"));
        aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::config::Builder::from(&conf)
                .force_path_style(true)
                .build(),
        )
    };
    s3(SECRET)
        .create_bucket()
        .bucket("sdk")
        .send()
        .await
        .unwrap();
    s3(SECRET)
        .put_object()
        .bucket("sdk")
        .key("k")
        .body(ByteStream::from(vec![7u8; 100_000]))
        .send()
        .await
        .unwrap();
    let got = s3(SECRET)
        .get_object()
        .bucket("sdk")
        .key("k")
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.body.collect().await.unwrap().into_bytes().len(),
        100_000
    );
    let err = s3("wrong")
        .put_object()
        .bucket("sdk")
        .key("k2")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err.as_service_error().and_then(|e| e.meta().code()),
        Some("SignatureDoesNotMatch"),
        "{err:?}"
    );
}
