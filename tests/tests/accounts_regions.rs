//! Accounts and regions, as the AWS CLI sees them: a 12-digit access key id
//! is its account, the region is the one the request is signed for; each
//! account and region sees only its own tables, queues and topics, S3
//! bucket names are shared by every account but a bucket's contents are its
//! owner's, and ARNs, queue URLs and deliveries carry the right ones.

use ruststack_tests::{CliOutput, Identity, Server, aws_cli_with, cli_err};
use serde_json::Value;

const A: &str = "111111111111";
const B: &str = "222222222222";

struct Cloud {
    server: Server,
}

impl Cloud {
    fn start() -> Cloud {
        Cloud {
            server: Server::start(&["--ephemeral"]),
        }
    }

    fn run(&self, account: &str, region: &str, args: &[&str]) -> CliOutput {
        aws_cli_with(
            &self.server.url,
            None,
            &Identity::new(account, "secret", region),
            args,
        )
    }

    /// CreateBucket in eu-west-1 as `account`.
    fn create_bucket(&self, account: &str, bucket: &str) -> CliOutput {
        self.run(
            account,
            "eu-west-1",
            &[
                "s3api",
                "create-bucket",
                "--bucket",
                bucket,
                "--create-bucket-configuration",
                "LocationConstraint=eu-west-1",
            ],
        )
    }

    fn ok(&self, account: &str, region: &str, args: &[&str]) -> Value {
        let out = self.run(account, region, args);
        assert_eq!(
            out.code, 0,
            "{account}/{region} aws {args:?}: {}",
            out.stderr
        );
        if out.stdout.trim().is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&out.stdout).unwrap()
        }
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|x| x.as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn dynamodb_tables_belong_to_one_account_and_region() {
    let c = Cloud::start();
    let create = |account: &str, region: &str| {
        c.ok(
            account,
            region,
            &[
                "dynamodb",
                "create-table",
                "--table-name",
                "users",
                "--attribute-definitions",
                "AttributeName=pk,AttributeType=S",
                "--key-schema",
                "AttributeName=pk,KeyType=HASH",
                "--billing-mode",
                "PAY_PER_REQUEST",
            ],
        )
    };
    let t = create(A, "us-east-1");
    assert_eq!(
        t["TableDescription"]["TableArn"],
        format!("arn:aws:dynamodb:us-east-1:{A}:table/users")
    );
    c.ok(
        A,
        "us-east-1",
        &[
            "dynamodb",
            "put-item",
            "--table-name",
            "users",
            "--item",
            r#"{"pk":{"S":"a-east"}}"#,
        ],
    );
    // Another region of the same account, and another account, see no table.
    for (account, region) in [(A, "eu-west-1"), (B, "us-east-1")] {
        let l = c.ok(account, region, &["dynamodb", "list-tables"]);
        assert!(
            strings(&l["TableNames"]).is_empty(),
            "{account}/{region}: {l}"
        );
        cli_err(
            c.run(
                account,
                region,
                &[
                    "dynamodb",
                    "get-item",
                    "--table-name",
                    "users",
                    "--key",
                    r#"{"pk":{"S":"a-east"}}"#,
                ],
            ),
            "ResourceNotFoundException",
        );
    }
    // Each may have its own table of that name, with its own items.
    let t = create(B, "us-east-1");
    assert_eq!(
        t["TableDescription"]["TableArn"],
        format!("arn:aws:dynamodb:us-east-1:{B}:table/users")
    );
    let t = create(A, "eu-west-1");
    assert_eq!(
        t["TableDescription"]["TableArn"],
        format!("arn:aws:dynamodb:eu-west-1:{A}:table/users")
    );
    let scan = c.ok(
        B,
        "us-east-1",
        &["dynamodb", "scan", "--table-name", "users"],
    );
    assert_eq!(scan["Count"], 0, "{scan}");
    let scan = c.ok(
        A,
        "us-east-1",
        &["dynamodb", "scan", "--table-name", "users"],
    );
    assert_eq!(scan["Count"], 1, "{scan}");
}

#[test]
fn queues_topics_and_fan_out_stay_in_their_account_and_region() {
    let c = Cloud::start();
    let region = "eu-west-1";
    let queue = |account: &str, region: &str| -> (String, String) {
        let q = c.ok(
            account,
            region,
            &["sqs", "create-queue", "--queue-name", "orders"],
        );
        let url = q["QueueUrl"].as_str().unwrap().to_string();
        let a = c.ok(
            account,
            region,
            &[
                "sqs",
                "get-queue-attributes",
                "--queue-url",
                &url,
                "--attribute-names",
                "QueueArn",
            ],
        );
        (
            url,
            a["Attributes"]["QueueArn"].as_str().unwrap().to_string(),
        )
    };
    let (a_url, a_arn) = queue(A, region);
    assert!(a_url.ends_with(&format!("/{A}/orders")), "{a_url}");
    assert_eq!(a_arn, format!("arn:aws:sqs:{region}:{A}:orders"));
    let (b_url, b_arn) = queue(B, region);
    assert!(b_url.ends_with(&format!("/{B}/orders")), "{b_url}");
    assert_eq!(b_arn, format!("arn:aws:sqs:{region}:{B}:orders"));
    // Account A in another region has no queue.
    let l = c.ok(A, "us-east-1", &["sqs", "list-queues"]);
    assert!(strings(&l["QueueUrls"]).is_empty(), "{l}");
    let l = c.ok(B, region, &["sqs", "list-queues"]);
    assert_eq!(strings(&l["QueueUrls"]), vec![b_url.clone()]);

    let topic = c.ok(A, region, &["sns", "create-topic", "--name", "events"]);
    let topic_arn = topic["TopicArn"].as_str().unwrap().to_string();
    assert_eq!(topic_arn, format!("arn:aws:sns:{region}:{A}:events"));
    for (account, r) in [(B, region), (A, "us-east-1")] {
        let l = c.ok(account, r, &["sns", "list-topics"]);
        assert_eq!(l["Topics"].as_array().map_or(0, Vec::len), 0, "{l}");
    }
    // A topic of another region cannot be published to from here.
    let out = c.run(
        A,
        "us-east-1",
        &[
            "sns",
            "publish",
            "--topic-arn",
            &topic_arn,
            "--message",
            "x",
        ],
    );
    assert_ne!(out.code, 0, "publishing across regions: {}", out.stdout);

    c.ok(
        A,
        region,
        &[
            "sns",
            "subscribe",
            "--topic-arn",
            &topic_arn,
            "--protocol",
            "sqs",
            "--notification-endpoint",
            &a_arn,
            "--attributes",
            "RawMessageDelivery=true",
        ],
    );
    c.ok(
        A,
        region,
        &[
            "sns",
            "publish",
            "--topic-arn",
            &topic_arn,
            "--message",
            "order 42",
        ],
    );
    let got = c.ok(
        A,
        region,
        &[
            "sqs",
            "receive-message",
            "--queue-url",
            &a_url,
            "--wait-time-seconds",
            "5",
        ],
    );
    assert_eq!(got["Messages"][0]["Body"], "order 42", "{got}");
    // B's queue of the same name got nothing.
    let other = c.ok(
        B,
        region,
        &["sqs", "receive-message", "--queue-url", &b_url],
    );
    assert!(other["Messages"].is_null(), "{other}");
}

#[test]
fn buckets_share_one_namespace_but_only_their_owner_reads_them() {
    let c = Cloud::start();
    let region = "eu-west-1";
    assert_eq!(c.create_bucket(A, "shared-name").code, 0);
    let dir = ruststack_tests::tempdir();
    let f = dir.path().join("f");
    std::fs::write(&f, "owned by A").unwrap();
    c.ok(
        A,
        region,
        &[
            "s3api",
            "put-object",
            "--bucket",
            "shared-name",
            "--key",
            "k",
            "--body",
            f.to_str().unwrap(),
        ],
    );
    let mine = c.ok(A, region, &["s3api", "list-buckets"]);
    let names: Vec<&str> = mine["Buckets"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|b| b["Name"].as_str())
        .collect();
    assert_eq!(names, vec!["shared-name"]);
    let theirs = c.ok(B, region, &["s3api", "list-buckets"]);
    assert_eq!(
        theirs["Buckets"].as_array().map_or(0, Vec::len),
        0,
        "{theirs}"
    );
    cli_err(c.create_bucket(B, "shared-name"), "BucketAlreadyExists");
    cli_err(c.create_bucket(A, "shared-name"), "BucketAlreadyOwnedByYou");
    let out = dir.path().join("out");
    cli_err(
        c.run(
            B,
            region,
            &[
                "s3api",
                "get-object",
                "--bucket",
                "shared-name",
                "--key",
                "k",
                out.to_str().unwrap(),
            ],
        ),
        "AccessDenied",
    );
    cli_err(
        c.run(
            B,
            region,
            &[
                "s3api",
                "put-object",
                "--bucket",
                "shared-name",
                "--key",
                "k",
                "--body",
                f.to_str().unwrap(),
            ],
        ),
        "AccessDenied",
    );
    c.ok(
        A,
        region,
        &[
            "s3api",
            "get-object",
            "--bucket",
            "shared-name",
            "--key",
            "k",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "owned by A");
    let id = c.ok(B, region, &["sts", "get-caller-identity"]);
    assert_eq!(id["Account"], B);
}

#[test]
fn s3_notifications_reach_the_queue_of_the_buckets_account_and_region() {
    let c = Cloud::start();
    let region = "eu-west-1";
    let q = c.ok(
        A,
        region,
        &["sqs", "create-queue", "--queue-name", "events"],
    );
    let url = q["QueueUrl"].as_str().unwrap().to_string();
    // The same queue name in account B, which must stay empty.
    let q = c.ok(
        B,
        region,
        &["sqs", "create-queue", "--queue-name", "events"],
    );
    let b_url = q["QueueUrl"].as_str().unwrap().to_string();
    let arn = format!("arn:aws:sqs:{region}:{A}:events");
    assert_eq!(c.create_bucket(A, "notifying").code, 0);
    let cfg = format!(
        r#"{{"QueueConfigurations":[{{"QueueArn":"{arn}","Events":["s3:ObjectCreated:*"]}}]}}"#
    );
    c.ok(
        A,
        region,
        &[
            "s3api",
            "put-bucket-notification-configuration",
            "--bucket",
            "notifying",
            "--notification-configuration",
            &cfg,
        ],
    );
    let dir = ruststack_tests::tempdir();
    let f = dir.path().join("f");
    std::fs::write(&f, "x").unwrap();
    c.ok(
        A,
        region,
        &[
            "s3api",
            "put-object",
            "--bucket",
            "notifying",
            "--key",
            "new.txt",
            "--body",
            f.to_str().unwrap(),
        ],
    );
    let mut records = Vec::new();
    for _ in 0..5 {
        let got = c.ok(
            A,
            region,
            &[
                "sqs",
                "receive-message",
                "--queue-url",
                &url,
                "--wait-time-seconds",
                "2",
            ],
        );
        for m in got["Messages"].as_array().into_iter().flatten() {
            let body: Value = serde_json::from_str(m["Body"].as_str().unwrap()).unwrap();
            records.extend(body["Records"].as_array().cloned().unwrap_or_default());
        }
        if !records.is_empty() {
            break;
        }
    }
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["awsRegion"], region);
    assert_eq!(records[0]["s3"]["object"]["key"], "new.txt");
    let other = c.ok(
        B,
        region,
        &["sqs", "receive-message", "--queue-url", &b_url],
    );
    assert!(other["Messages"].is_null(), "{other}");
}
