//! Hostile inputs: each answers AWS's error at once, changes nothing, and
//! the server answers the next request. Requests are sent over plain HTTP
//! with a client that gives up after a few seconds, so a request that hangs
//! or a server that stalls fails the test.

use ruststack_tests::{Server, aws_cli, cli_ok, json_call, quick_client, xml_text};
use serde_json::Value;

/// The next ordinary request is answered, within the client's timeout.
fn still_serves(url: &str) {
    let r = quick_client().get(format!("{url}/")).send().unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().unwrap());
}

fn keys(url: &str, bucket: &str) -> Vec<String> {
    let v = cli_ok(aws_cli(
        url,
        None,
        &["s3api", "list-objects-v2", "--bucket", bucket],
    ));
    v["Contents"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|o| o["Key"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn an_aws_chunked_size_near_2_to_the_64_is_an_incomplete_body() {
    let s = Server::start(&["--ephemeral"]);
    cli_ok(aws_cli(
        &s.url,
        None,
        &["s3api", "create-bucket", "--bucket", "chunks"],
    ));
    let body =
        b"ffffffffffffffee;chunk-signature=00\r\nabc\r\n0;chunk-signature=00\r\n\r\n".to_vec();
    // Several at once: none may hold up the others or a plain GET.
    let sent: Vec<_> = (0..8)
        .map(|i| {
            let url = format!("{}/chunks/k{i}", s.url);
            let body = body.clone();
            std::thread::spawn(move || {
                let r = quick_client()
                    .put(url)
                    .header("content-encoding", "aws-chunked")
                    .header("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD")
                    .header("x-amz-decoded-content-length", "3")
                    .body(body)
                    .send()
                    .unwrap();
                (r.status().as_u16(), r.text().unwrap())
            })
        })
        .collect();
    for t in sent {
        let (status, body) = t.join().unwrap();
        assert_eq!(status, 400, "{body}");
        assert_eq!(
            xml_text(&body, "Code").unwrap_or_default(),
            "IncompleteBody",
            "{body}"
        );
    }
    still_serves(&s.url);
    assert!(keys(&s.url, "chunks").is_empty());
}

#[test]
fn s3_keys_that_are_not_utf8_or_hold_a_nul_are_invalid_uris() {
    let s = Server::start(&["--ephemeral"]);
    cli_ok(aws_cli(
        &s.url,
        None,
        &["s3api", "create-bucket", "--bucket", "keys"],
    ));
    for path in ["/keys/%ff", "/keys/%fe", "/keys/a%c3", "/keys/a%00b"] {
        let r = quick_client()
            .put(format!("{}{path}", s.url))
            .body("data")
            .send()
            .unwrap();
        let status = r.status().as_u16();
        let body = r.text().unwrap();
        assert_eq!(status, 400, "{path}: {body}");
        assert_eq!(
            xml_text(&body, "Code").unwrap_or_default(),
            "InvalidURI",
            "{path}: {body}"
        );
        assert!(
            body.replace("&apos;", "'")
                .contains("<Message>Couldn't parse the specified URI.</Message>"),
            "{body}"
        );
    }
    // A valid escape is a key as before.
    let r = quick_client()
        .put(format!("{}/keys/caf%C3%A9", s.url))
        .body("data")
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(keys(&s.url, "keys"), vec!["café".to_string()]);
    still_serves(&s.url);
}

#[test]
fn s3_xml_nested_thousands_deep_is_malformed() {
    let s = Server::start(&["--ephemeral"]);
    cli_ok(aws_cli(
        &s.url,
        None,
        &["s3api", "create-bucket", "--bucket", "deep"],
    ));
    let tagging = format!(
        "<Tagging>{}{}</Tagging>",
        "<TagSet>".repeat(5000),
        "</TagSet>".repeat(5000)
    );
    let delete = format!(
        "<Delete>{}{}</Delete>",
        "<Object>".repeat(5000),
        "</Object>".repeat(5000)
    );
    for (query, body) in [("tagging", tagging), ("delete", delete)] {
        let method = if query == "tagging" {
            reqwest::Method::PUT
        } else {
            reqwest::Method::POST
        };
        let r = quick_client()
            .request(method, format!("{}/deep?{query}", s.url))
            .header("content-md5", "AAAAAAAAAAAAAAAAAAAAAA==")
            .body(body)
            .send()
            .unwrap();
        let status = r.status().as_u16();
        let text = r.text().unwrap();
        assert_eq!(status, 400, "{query}: {text}");
        assert_eq!(
            xml_text(&text, "Code").unwrap_or_default(),
            "MalformedXML",
            "{query}: {text}"
        );
    }
    still_serves(&s.url);
}

#[test]
fn a_dynamodb_binary_that_is_not_base64_is_a_serialization_error() {
    let s = Server::start(&["--ephemeral"]);
    let (st, body) = json_call(
        &s.url,
        "DynamoDB_20120810.CreateTable",
        r#"{"TableName":"bin","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"}],"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"}],"BillingMode":"PAY_PER_REQUEST"}"#,
    );
    assert_eq!(st, 200, "{body}");
    for (b, message) in [
        (
            "!!!",
            "Base64 encoded length is expected a multiple of 4 bytes but found: 3",
        ),
        ("!!!!", "Invalid Base64 character: '!'"),
    ] {
        let (st, body) = json_call(
            &s.url,
            "DynamoDB_20120810.PutItem",
            &format!(r#"{{"TableName":"bin","Item":{{"pk":{{"S":"k"}},"data":{{"B":"{b}"}}}}}}"#),
        );
        assert_eq!(st, 400, "{body}");
        assert!(
            body["__type"]
                .as_str()
                .is_some_and(|t| t.ends_with("#SerializationException")),
            "{body}"
        );
        let said = body["message"].as_str().or(body["Message"].as_str());
        assert_eq!(said, Some(message), "{body}");
    }
    // Nothing was stored.
    let scan = cli_ok(aws_cli(
        &s.url,
        None,
        &["dynamodb", "scan", "--table-name", "bin"],
    ));
    assert_eq!(scan["Count"], Value::from(0));
    // And a real binary is stored as its bytes.
    let (st, body) = json_call(
        &s.url,
        "DynamoDB_20120810.PutItem",
        r#"{"TableName":"bin","Item":{"pk":{"S":"k"},"data":{"B":"aGk="}}}"#,
    );
    assert_eq!(st, 200, "{body}");
    let item = cli_ok(aws_cli(
        &s.url,
        None,
        &[
            "dynamodb",
            "get-item",
            "--table-name",
            "bin",
            "--key",
            r#"{"pk":{"S":"k"}}"#,
        ],
    ));
    assert_eq!(item["Item"]["data"]["B"], "aGk=");
    still_serves(&s.url);
}
