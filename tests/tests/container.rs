//! The container image as LocalStack's users run it: built with `just image`,
//! run with a volume and a mapped port, driven by the AWS CLI, restarted with
//! every resource still there; LocalStack's `SERVICES`, `PERSISTENCE`,
//! `DEFAULT_REGION` and `GATEWAY_LISTEN` settings, and a `ready.d` script in
//! `/etc/localstack/init` that has run before `Ready.` is logged.
//!
//! Without docker or podman the tests say so and pass, unless
//! `RUSTSTACK_REQUIRE_CONTAINER` is set (CI installs podman and sets it).

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

use ruststack_tests::container::{Volume, runtime_or_skip};
use ruststack_tests::{aws_cli, cli_err, cli_ok, get_json, tempdir};
use serde_json::json;

/// How long a container may take to log `Ready.`.
const READY_LIMIT: Duration = Duration::from_secs(60);

/// A `ready.d` folder with a script that makes the bucket and the queue
/// `made-when-ready` with what the image has (busybox's `nc` and `wget`: the
/// image carries no AWS CLI),
/// readable by the image's user. After a restart the bucket is there
/// already: re-creating it answers 200 in us-east-1 (409
/// `BucketAlreadyOwnedByYou` in other regions), so both are fine.
fn ready_scripts() -> tempfile::TempDir {
    let dir = tempdir();
    let script = dir.path().join("01-bucket.sh");
    std::fs::write(
        &script,
        r#"#!/bin/bash
set -e
# busybox's nc closes the connection when its input ends: keep it open for the answer.
{ printf 'PUT /made-when-ready HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'; sleep 2; } \
    | nc 127.0.0.1 "$RUSTSTACK_PORT" | head -n 1 | grep -qE ' (200|409) '
wget -q -O /dev/null --post-data 'Action=CreateQueue&QueueName=made-when-ready&Version=2012-11-05' "$AWS_ENDPOINT_URL/"
echo made the bucket and the queue
"#,
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

/// The acceptance commands: a bucket with an object, a table with an item,
/// and a topic fanning out to a queue, each answered as AWS does.
fn make_resources(u: &str) {
    cli_ok(aws_cli(
        u,
        None,
        &["s3api", "create-bucket", "--bucket", "kept-bucket"],
    ));
    let body = tempdir();
    let file = body.path().join("hello.txt");
    std::fs::write(&file, "hello from a container").unwrap();
    cli_ok(aws_cli(
        u,
        None,
        &[
            "s3api",
            "put-object",
            "--bucket",
            "kept-bucket",
            "--key",
            "hello.txt",
            "--body",
            file.to_str().unwrap(),
        ],
    ));
    ruststack_tests::cli_create_table(u, "kept-table");
    cli_ok(aws_cli(
        u,
        None,
        &[
            "dynamodb",
            "put-item",
            "--table-name",
            "kept-table",
            "--item",
            r#"{"pk":{"S":"k1"},"v":{"N":"42"}}"#,
        ],
    ));
    let queue = cli_ok(aws_cli(
        u,
        None,
        &["sqs", "create-queue", "--queue-name", "kept-queue"],
    ));
    let queue_url = queue["QueueUrl"].as_str().unwrap().to_string();
    let topic = cli_ok(aws_cli(
        u,
        None,
        &["sns", "create-topic", "--name", "kept-topic"],
    ));
    let topic_arn = topic["TopicArn"].as_str().unwrap();
    cli_ok(aws_cli(
        u,
        None,
        &[
            "sns",
            "subscribe",
            "--topic-arn",
            topic_arn,
            "--protocol",
            "sqs",
            "--notification-endpoint",
            "arn:aws:sqs:us-east-1:000000000000:kept-queue",
            "--attributes",
            "RawMessageDelivery=true",
        ],
    ));
    cli_ok(aws_cli(
        u,
        None,
        &[
            "sns",
            "publish",
            "--topic-arn",
            topic_arn,
            "--message",
            "fanned out",
        ],
    ));
    let got = cli_ok(aws_cli(
        u,
        None,
        &[
            "sqs",
            "receive-message",
            "--queue-url",
            &queue_url,
            "--wait-time-seconds",
            "5",
        ],
    ));
    assert_eq!(got["Messages"][0]["Body"], "fanned out", "{got}");
    // One message stays in the queue for after the restart.
    cli_ok(aws_cli(
        u,
        None,
        &[
            "sqs",
            "send-message",
            "--queue-url",
            &queue_url,
            "--message-body",
            "kept message",
        ],
    ));
}

/// Every resource of [`make_resources`] is there, with its data.
fn find_resources(u: &str) {
    let out = tempdir();
    let file = out.path().join("hello.txt");
    cli_ok(aws_cli(
        u,
        None,
        &[
            "s3api",
            "get-object",
            "--bucket",
            "kept-bucket",
            "--key",
            "hello.txt",
            file.to_str().unwrap(),
        ],
    ));
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "hello from a container"
    );
    let item = cli_ok(aws_cli(
        u,
        None,
        &[
            "dynamodb",
            "get-item",
            "--table-name",
            "kept-table",
            "--key",
            r#"{"pk":{"S":"k1"}}"#,
        ],
    ));
    assert_eq!(item["Item"]["v"], json!({"N": "42"}));
    let queue = cli_ok(aws_cli(
        u,
        None,
        &["sqs", "get-queue-url", "--queue-name", "kept-queue"],
    ));
    let got = cli_ok(aws_cli(
        u,
        None,
        &[
            "sqs",
            "receive-message",
            "--queue-url",
            queue["QueueUrl"].as_str().unwrap(),
            "--wait-time-seconds",
            "5",
        ],
    ));
    assert_eq!(got["Messages"][0]["Body"], "kept message", "{got}");
    let subs = cli_ok(aws_cli(u, None, &["sns", "list-subscriptions"]));
    let subs = subs["Subscriptions"].as_array().unwrap();
    assert_eq!(subs.len(), 1, "{subs:?}");
    assert_eq!(
        subs[0]["TopicArn"],
        "arn:aws:sns:us-east-1:000000000000:kept-topic"
    );
    assert_eq!(
        subs[0]["Endpoint"],
        "arn:aws:sqs:us-east-1:000000000000:kept-queue"
    );
}

fn bucket_names(u: &str) -> Vec<String> {
    let list = cli_ok(aws_cli(u, None, &["s3api", "list-buckets"]));
    list["Buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["Name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn the_image_keeps_its_data_in_a_volume_and_runs_localstack_init_scripts() {
    let Some(rt) = runtime_or_skip() else { return };
    let image = rt.build_image().unwrap();
    let size = rt.image_size(image);
    eprintln!("image size: {size} bytes");
    assert!(size <= 30_000_000, "the image is {size} bytes, over 30 MB");

    let volume = Volume::new(&rt, "ruststack-test-data");
    let ready = ready_scripts();
    let c = rt.start(
        "ruststack-test-volume",
        &[
            "-p",
            "127.0.0.1::4566",
            "-v",
            &format!("{}:/var/lib/ruststack", volume.name),
            "-v",
            &format!("{}:/etc/localstack/init/ready.d:ro", ready.path().display()),
            image,
        ],
    );
    c.wait_for_line("Ready.", 1, READY_LIMIT);
    let u = c.url(4566);
    // The ready.d script ran before `Ready.`.
    assert_eq!(bucket_names(&u), ["made-when-ready"]);
    cli_ok(aws_cli(
        &u,
        None,
        &["sqs", "get-queue-url", "--queue-name", "made-when-ready"],
    ));
    let init = get_json(&u, "/_localstack/init/ready");
    assert_eq!(init["scripts"][0]["state"], "SUCCESSFUL", "{init}");
    let health = get_json(&u, "/_localstack/health");
    for s in ["s3", "dynamodb", "sqs", "sns"] {
        assert_eq!(health["services"][s], "running", "{health}");
    }

    // Not root; the health check needs no curl.
    let id = c.exec(&["id", "-u"]);
    assert_eq!(String::from_utf8_lossy(&id.stdout).trim(), "1000");
    let health_check = c.exec(&["/usr/local/bin/docker-entrypoint.sh", "health"]);
    assert!(
        health_check.status.success(),
        "{}",
        String::from_utf8_lossy(&health_check.stderr)
    );

    make_resources(&u);
    c.restart();
    c.wait_for_line("Ready.", 2, READY_LIMIT);
    let u = c.url(4566);
    find_resources(&u);
    let mut names = bucket_names(&u);
    names.sort();
    assert_eq!(names, ["kept-bucket", "made-when-ready"]);
    // The server got SIGTERM as PID 1 and stopped cleanly (not killed after
    // the grace time), and nothing went wrong (the init script included).
    let logs = c.logs();
    assert!(logs.contains("ruststack: stopped"), "{logs}");
    assert!(!logs.contains("ERROR"), "{logs}");
}

#[test]
fn localstack_settings_choose_services_region_listener_and_persistence() {
    let Some(rt) = runtime_or_skip() else { return };
    let image = rt.build_image().unwrap();
    let c = rt.start(
        "ruststack-test-settings",
        &[
            "-p",
            "127.0.0.1::4510",
            "-e",
            "SERVICES=s3, sqs",
            "-e",
            "DEFAULT_REGION=eu-west-1",
            "-e",
            "GATEWAY_LISTEN=0.0.0.0:4510",
            "-e",
            "PERSISTENCE=0",
            image,
        ],
    );
    c.wait_for_line("Ready.", 1, READY_LIMIT);
    let u = c.url(4510);
    let err = cli_err(
        aws_cli(&u, None, &["dynamodb", "list-tables"]),
        "InternalFailure",
    );
    assert!(
        err.contains(
            "Service 'dynamodb' is not enabled. Please check your 'SERVICES' configuration variable."
        ),
        "{err}"
    );
    let health = get_json(&u, "/_localstack/health");
    assert_eq!(
        health["services"],
        json!({"s3": "running", "sqs": "running", "dynamodb": "disabled", "sns": "disabled"})
    );
    // An unsigned request names no region: DEFAULT_REGION's is used.
    let r = ruststack_tests::client()
        .post(format!("{u}/"))
        .form(&[
            ("Action", "CreateQueue"),
            ("QueueName", "regional"),
            ("Version", "2012-11-05"),
        ])
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let attrs = cli_ok(aws_cli(
        &u,
        None,
        &[
            "--region",
            "eu-west-1",
            "sqs",
            "get-queue-attributes",
            "--queue-url",
            &format!("{u}/000000000000/regional"),
            "--attribute-names",
            "QueueArn",
        ],
    ));
    assert_eq!(
        attrs["Attributes"]["QueueArn"],
        "arn:aws:sqs:eu-west-1:000000000000:regional"
    );
    cli_ok(aws_cli(
        &u,
        None,
        &["s3api", "create-bucket", "--bucket", "forgotten"],
    ));
    // PERSISTENCE=0: nothing survives a restart.
    c.restart();
    c.wait_for_line("Ready.", 2, READY_LIMIT);
    assert!(bucket_names(&c.url(4510)).is_empty());
}

/// Testcontainers' Java LocalStack module replaces the entrypoint with a
/// shell loop that waits for a `#!/bin/bash` start script it copies in, which
/// calls `/usr/local/bin/docker-entrypoint.sh`; the same steps here.
#[test]
fn the_java_testcontainers_start_sequence_reaches_ready() {
    let Some(rt) = runtime_or_skip() else { return };
    let image = rt.build_image().unwrap();
    let c = rt.start(
        "ruststack-test-java-start",
        &[
            "-p",
            "127.0.0.1::4566",
            "-e",
            "SERVICES=sqs",
            "--entrypoint",
            "sh",
            image,
            "-c",
            "while [ ! -f /testcontainers_start.sh ]; do sleep 0.1; done; /testcontainers_start.sh",
        ],
    );
    let dir = tempdir();
    let script = dir.path().join("testcontainers_start.sh");
    std::fs::write(
        &script,
        "#!/bin/bash\nexport LAMBDA_DOCKER_FLAGS=\"-l org.testcontainers=true\"\n/usr/local/bin/docker-entrypoint.sh\n",
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o777)).unwrap();
    rt.ok(&[
        "cp",
        script.to_str().unwrap(),
        &format!("{}:/testcontainers_start.sh", c.name),
    ]);
    c.wait_for_line("Ready.", 1, READY_LIMIT);
    let u = c.url(4566);
    let queue = cli_ok(aws_cli(
        &u,
        None,
        &["sqs", "create-queue", "--queue-name", "from-java"],
    ));
    assert!(
        queue["QueueUrl"]
            .as_str()
            .unwrap()
            .ends_with("/000000000000/from-java"),
        "{queue}"
    );
}
