//! `--services` loads only the named built-in services, as LocalStack's
//! `SERVICES` does: a request for another answers LocalStack's 501 "not
//! enabled" error in the caller's protocol, and `/_localstack/health` says
//! `disabled`. `ruststack health` is a health check needing no curl.

use std::process::Command;

use ruststack_tests::{Server, aws_cli, binary, cli_err, cli_ok, get_json};

#[test]
fn only_the_named_services_load_and_the_others_say_they_are_not_enabled() {
    let s = Server::start(&["--ephemeral", "--services", "s3,sqs"]);
    let url = s.url.clone();
    let u = &url;
    cli_ok(aws_cli(
        u,
        None,
        &["s3api", "create-bucket", "--bucket", "enabled-bucket"],
    ));
    cli_ok(aws_cli(
        u,
        None,
        &["sqs", "create-queue", "--queue-name", "on"],
    ));
    let message =
        "Service 'dynamodb' is not enabled. Please check your 'SERVICES' configuration variable.";
    let err = cli_err(
        aws_cli(u, None, &["dynamodb", "list-tables"]),
        "InternalFailure",
    );
    assert!(err.contains(message), "{err}");
    // The query protocol (SNS) answers in XML.
    let r = ruststack_tests::client()
        .post(format!("{u}/"))
        .form(&[("Action", "ListTopics"), ("Version", "2010-03-31")])
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 501);
    let xml = ruststack_tests::xml_unescape(&r.text().unwrap());
    assert!(xml.contains("<Code>InternalFailure</Code>"), "{xml}");
    assert!(xml.contains("Service 'sns' is not enabled."), "{xml}");
    let health = get_json(u, "/_localstack/health");
    assert_eq!(
        health["services"],
        serde_json::json!({"s3": "running", "sqs": "running", "dynamodb": "disabled", "sns": "disabled"})
    );

    // `ruststack health` against it, and against nothing.
    let ok = Command::new(binary())
        .args(["health", "--url", u])
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(String::from_utf8_lossy(&ok.stdout).contains("\"status\":\"running\""));
    drop(s);
    let down = Command::new(binary())
        .args(["health", "--url", u])
        .output()
        .unwrap();
    assert!(!down.status.success());
}

#[test]
fn an_unknown_service_name_stops_the_start() {
    let out = Command::new(binary())
        .args([
            "serve",
            "--ephemeral",
            "--port",
            "0",
            "--services",
            "s3,lambda",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--services names lambda, which is not a built-in service"),
        "{err}"
    );
}

/// `--default-region` is the region of requests that name none (LocalStack's
/// `DEFAULT_REGION`); signed requests keep their own.
#[test]
fn unsigned_requests_take_the_default_region() {
    let s = Server::start(&["--ephemeral", "--default-region", "eu-west-1"]);
    let (status, made) = ruststack_tests::json_call(
        &s.url,
        "AmazonSQS.CreateQueue",
        r#"{"QueueName":"regional"}"#,
    );
    assert_eq!(status, 200, "{made}");
    let q = made["QueueUrl"].as_str().unwrap();
    let (_, attrs) = ruststack_tests::json_call(
        &s.url,
        "AmazonSQS.GetQueueAttributes",
        &serde_json::json!({"QueueUrl": q, "AttributeNames": ["QueueArn"]}).to_string(),
    );
    assert_eq!(
        attrs["Attributes"]["QueueArn"],
        "arn:aws:sqs:eu-west-1:000000000000:regional"
    );
    // The AWS CLI signs for us-east-1: not there.
    cli_err(
        aws_cli(
            &s.url,
            None,
            &["sqs", "get-queue-url", "--queue-name", "regional"],
        ),
        "AWS.SimpleQueueService.NonExistentQueue",
    );
}
