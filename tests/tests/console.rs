//! The operator's console and the endpoints it reads: each plugin lists what
//! it stores (`/_ruststack/resources`: buckets, tables, queues, topics, and
//! a user plugin's own), recent calls come with their headers and bodies
//! while the feed is watched (`/_ruststack/calls`), and the page itself is
//! served from the binary.

use ruststack_tests::{Server, aws_cli, cli_ok, client, counters, example_plugins, get_json};
use serde_json::Value;

/// The listed resource of `plugin` named `name`.
fn resource<'a>(listed: &'a Value, plugin: &str, name: &str) -> &'a Value {
    listed["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["plugin"] == plugin && r["name"] == name)
        .unwrap_or_else(|| panic!("no {plugin} {name} in {listed}"))
}

#[test]
fn every_plugin_lists_what_it_stores() {
    let s = Server::start(&[
        "--ephemeral",
        "--plugins",
        example_plugins().join("counters.wasm").to_str().unwrap(),
    ]);
    let u = &s.url;
    cli_ok(aws_cli(
        u,
        None,
        &["s3api", "create-bucket", "--bucket", "shown"],
    ));
    for key in ["a", "b", "c"] {
        let r = client()
            .put(format!("{u}/shown/{key}"))
            .body("x")
            .send()
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    ruststack_tests::cli_create_table(u, "shown");
    for pk in ["1", "2"] {
        cli_ok(aws_cli(
            u,
            None,
            &[
                "dynamodb",
                "put-item",
                "--table-name",
                "shown",
                "--item",
                &format!(r#"{{"pk":{{"S":"{pk}"}}}}"#),
            ],
        ));
    }
    let q = cli_ok(aws_cli(
        u,
        None,
        &["sqs", "create-queue", "--queue-name", "shown"],
    ));
    let q = q["QueueUrl"].as_str().unwrap();
    cli_ok(aws_cli(
        u,
        None,
        &[
            "sqs",
            "send-message",
            "--queue-url",
            q,
            "--message-body",
            "hi",
        ],
    ));
    let t = cli_ok(aws_cli(
        u,
        None,
        &["sns", "create-topic", "--name", "shown"],
    ));
    let t = t["TopicArn"].as_str().unwrap();
    cli_ok(aws_cli(
        u,
        None,
        &[
            "sns",
            "subscribe",
            "--topic-arn",
            t,
            "--protocol",
            "sqs",
            "--notification-endpoint",
            "arn:aws:sqs:us-east-1:000000000000:shown",
        ],
    ));
    assert_eq!(counters(u, "CreateCounter", r#"{"Name":"visits"}"#).0, 200);

    let listed = get_json(u, "/_ruststack/resources");
    assert_eq!(listed["account"], "000000000000");
    assert_eq!(listed["region"], "us-east-1");
    let bucket = resource(&listed, "s3", "shown");
    assert_eq!(
        (&bucket["kind"], &bucket["count"]),
        (&"bucket".into(), &3.into())
    );
    let table = resource(&listed, "dynamodb", "shown");
    assert_eq!(
        (&table["kind"], &table["count"]),
        (&"table".into(), &2.into())
    );
    assert_eq!(table["detail"], "pk (HASH)");
    let queue = resource(&listed, "sqs", "shown");
    assert_eq!(
        (&queue["kind"], &queue["count"]),
        (&"queue".into(), &1.into())
    );
    let topic = resource(&listed, "sns", "shown");
    assert_eq!(
        (&topic["kind"], &topic["count"]),
        (&"topic".into(), &1.into())
    );
    let counter = resource(&listed, "counters", "visits");
    assert_eq!(counter["detail"], "value 0");
    // Another region holds none of them.
    let other = get_json(u, "/_ruststack/resources?region=eu-west-1");
    assert!(
        other["resources"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["plugin"] == "s3"),
        "{other}"
    );
    // Listing again lists the same.
    assert_eq!(get_json(u, "/_ruststack/resources"), listed);
}

#[test]
fn the_feed_keeps_headers_and_bodies_while_watched_and_the_page_is_served() {
    let s = Server::start(&["--ephemeral"]);
    let u = &s.url;
    // Not watched yet: summaries only.
    cli_ok(aws_cli(
        u,
        None,
        &["sqs", "create-queue", "--queue-name", "early"],
    ));
    let first = get_json(u, "/_ruststack/calls");
    let calls = first["calls"].as_array().unwrap();
    let early = calls
        .iter()
        .find(|c| c["operation"] == "CreateQueue")
        .unwrap();
    assert_eq!(early["plugin"], "sqs");
    assert_eq!(early["status"], 200);
    assert!(early.get("details").is_none(), "{early}");
    let after = early["seq"].as_u64().unwrap();
    // Watched now.
    cli_ok(aws_cli(
        u,
        None,
        &["sqs", "create-queue", "--queue-name", "watched"],
    ));
    let next = get_json(u, &format!("/_ruststack/calls?after={after}"));
    let calls = next["calls"].as_array().unwrap();
    assert_eq!(calls.len(), 1, "{next}");
    let d = &calls[0]["details"];
    assert!(
        d["request_body"].as_str().unwrap().contains("watched"),
        "{d}"
    );
    assert!(
        d["request_headers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h[0] == "x-amz-target" && h[1] == "AmazonSQS.CreateQueue"),
        "{d}"
    );
    assert!(
        d["response_body"].as_str().unwrap().contains("QueueUrl"),
        "{d}"
    );

    let page = client().get(format!("{u}/_ruststack/")).send().unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(page.headers()["content-type"], "text/html; charset=utf-8");
    let html = page.text().unwrap();
    assert!(html.contains("<title>RustStack console</title>"));
    // No external assets.
    assert!(
        !html.contains("http://") && !html.contains("https://"),
        "external asset"
    );
}
