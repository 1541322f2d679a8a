//! The request log: one line per call, `<plugin>.<Operation> <status> <ms>
//! <request-id>` and the error code on failures, for every service; off
//! with `--log-requests=false`.

use std::time::{Duration, Instant};

use ruststack_tests::{Server, aws_cli, cli_err, cli_ok};

/// The request log lines (the part after the `requests:` target) so far.
fn request_lines(s: &Server) -> Vec<String> {
    s.log_lines()
        .iter()
        .filter_map(|l| {
            l.split_once(" requests: ")
                .map(|(_, rest)| rest.to_string())
        })
        .collect()
}

/// Waits until a request line starting with `prefix` is written; returns it.
fn line_for(s: &Server, prefix: &str) -> String {
    let start = Instant::now();
    loop {
        if let Some(l) = request_lines(s).into_iter().find(|l| l.starts_with(prefix)) {
            return l;
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "no request line starts with {prefix:?}: {:?}",
            request_lines(s)
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// `<status> <ms>ms <request-id>[ <code>]` after the operation.
fn fields(line: &str) -> Vec<&str> {
    line.split(' ').skip(1).collect()
}

fn is_request_id(s: &str) -> bool {
    s.len() == 36 && s.chars().filter(|c| *c == '-').count() == 4
}

#[test]
fn every_call_of_every_service_is_one_line() {
    let s = Server::start(&["--ephemeral"]);
    let u = &s.url;
    cli_ok(aws_cli(
        u,
        None,
        &["s3api", "create-bucket", "--bucket", "logged"],
    ));
    cli_ok(aws_cli(u, None, &["dynamodb", "list-tables"]));
    cli_ok(aws_cli(
        u,
        None,
        &["sqs", "create-queue", "--queue-name", "logged"],
    ));
    cli_ok(aws_cli(
        u,
        None,
        &["sns", "create-topic", "--name", "logged"],
    ));
    cli_err(
        aws_cli(
            u,
            None,
            &["sqs", "get-queue-url", "--queue-name", "missing"],
        ),
        "AWS.SimpleQueueService.NonExistentQueue",
    );
    for (prefix, status) in [
        ("s3.CreateBucket ", "200"),
        ("dynamodb.ListTables ", "200"),
        ("sqs.CreateQueue ", "200"),
        ("sns.CreateTopic ", "200"),
    ] {
        let line = line_for(&s, prefix);
        let f = fields(&line);
        assert_eq!(f.len(), 3, "{line}");
        assert_eq!(f[0], status, "{line}");
        assert!(
            f[1].ends_with("ms") && f[1].trim_end_matches("ms").parse::<f64>().is_ok(),
            "{line}"
        );
        assert!(is_request_id(f[2]), "{line}");
    }
    let line = line_for(&s, "sqs.GetQueueUrl ");
    let f = fields(&line);
    assert_eq!(f.len(), 4, "{line}");
    assert_eq!(f[0], "400", "{line}");
    assert!(is_request_id(f[2]), "{line}");
    assert_eq!(f[3], "QueueDoesNotExist", "{line}");
    // The private headers that carry the operation do not reach clients.
    let resp = ruststack_tests::client()
        .post(format!("{u}/"))
        .header("x-amz-target", "DynamoDB_20120810.ListTables")
        .header("content-type", "application/x-amz-json-1.0")
        .body("{}")
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    assert!(
        resp.headers()
            .keys()
            .all(|k| !k.as_str().starts_with("x-ruststack")),
        "{:?}",
        resp.headers()
    );
}

#[test]
fn the_request_log_can_be_switched_off() {
    let s = Server::start(&["--ephemeral", "--log-requests=false"]);
    cli_ok(aws_cli(
        &s.url,
        None,
        &["sqs", "create-queue", "--queue-name", "quiet"],
    ));
    cli_ok(aws_cli(&s.url, None, &["sqs", "list-queues"]));
    std::thread::sleep(Duration::from_millis(200));
    assert!(request_lines(&s).is_empty(), "{:?}", request_lines(&s));
}
