//! A web page the developer opens must not reach the server: requests naming
//! a `Host` the server does not answer to are refused (DNS rebinding), and
//! cross-site browser requests change nothing unless S3's CORS rules allow
//! them. AWS tools, which send no browser headers, are not affected.

use ruststack_tests::{Server, aws_cli, cli_ok, quick_client, xml_text};

/// Status and body of a GET / (S3 ListBuckets) naming `host`.
fn get_with_host(url: &str, host: &str) -> (u16, String) {
    let r = quick_client()
        .get(format!("{url}/"))
        .header("host", host)
        .send()
        .unwrap();
    (r.status().as_u16(), r.text().unwrap())
}

fn queue_names(url: &str) -> Vec<String> {
    let v = cli_ok(aws_cli(url, None, &["sqs", "list-queues"]));
    v["QueueUrls"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|u| u.as_str().unwrap().rsplit('/').next().unwrap().to_string())
        .collect()
}

#[test]
fn a_loopback_server_answers_only_local_and_aws_host_names() {
    let s = Server::start(&["--ephemeral"]);
    let port = s.url.rsplit(':').next().unwrap().to_string();
    for host in [
        format!("localhost:{port}"),
        format!("127.0.0.1:{port}"),
        "s3.localhost.localstack.cloud".to_string(),
        "s3.amazonaws.com".to_string(),
    ] {
        let (status, body) = get_with_host(&s.url, &host);
        assert_eq!(status, 200, "{host}: {body}");
    }
    for host in [
        "evil.example.com",
        "rebind.attacker.test:4566",
        "192.168.0.9",
    ] {
        let (status, body) = get_with_host(&s.url, host);
        assert_eq!(status, 403, "{host}: {body}");
        assert_eq!(
            xml_text(&body, "Code").unwrap_or_default(),
            "AccessDenied",
            "{body}"
        );
        assert!(body.contains("--allowed-hosts"), "{body}");
    }
}

#[test]
fn allowed_hosts_adds_names_and_other_addresses_answer_any() {
    let s = Server::start(&[
        "--ephemeral",
        "--allowed-hosts",
        "devbox.lan,*.corp.example",
    ]);
    assert_eq!(get_with_host(&s.url, "devbox.lan").0, 200);
    assert_eq!(get_with_host(&s.url, "s3.corp.example").0, 200);
    assert_eq!(get_with_host(&s.url, "evil.example.com").0, 403);

    // Listening on every address (as in a container): any name is served.
    let open = Server::start(&["--ephemeral", "--host", "0.0.0.0"]);
    let port = open.url.rsplit(':').next().unwrap().to_string();
    let local = format!("http://127.0.0.1:{port}");
    assert_eq!(get_with_host(&local, "ruststack.internal").0, 200);
}

#[test]
fn cross_site_query_requests_change_nothing() {
    let s = Server::start(&["--ephemeral"]);
    // A form on another site posting CreateQueue.
    let r = quick_client()
        .post(format!("{}/", s.url))
        .header("origin", "https://evil.example")
        .header("content-type", "application/x-www-form-urlencoded")
        .body("Action=CreateQueue&QueueName=planted&Version=2012-11-05")
        .send()
        .unwrap();
    let status = r.status().as_u16();
    let body = r.text().unwrap();
    assert_eq!(status, 403, "{body}");
    assert_eq!(
        xml_text(&body, "Code").unwrap_or_default(),
        "MissingAuthenticationToken",
        "{body}"
    );
    // An image tag on another site: a GET that browsers mark cross-site.
    let r = quick_client()
        .get(format!(
            "{}/?Action=CreateTopic&Name=planted&Version=2010-03-31",
            s.url
        ))
        .header("sec-fetch-site", "cross-site")
        .send()
        .unwrap();
    assert_eq!(r.status(), 403);
    assert!(queue_names(&s.url).is_empty());
    let topics = cli_ok(aws_cli(&s.url, None, &["sns", "list-topics"]));
    assert_eq!(topics["Topics"].as_array().map_or(0, Vec::len), 0);
    // The same form from the AWS CLI (no browser headers) works.
    cli_ok(aws_cli(
        &s.url,
        None,
        &["sqs", "create-queue", "--queue-name", "mine"],
    ));
    assert_eq!(queue_names(&s.url), vec!["mine".to_string()]);
}

#[test]
fn cross_site_s3_writes_need_the_buckets_cors_rules() {
    let s = Server::start(&["--ephemeral"]);
    cli_ok(aws_cli(
        &s.url,
        None,
        &["s3api", "create-bucket", "--bucket", "site"],
    ));
    let put = |origin: &str, key: &str| {
        let r = quick_client()
            .put(format!("{}/site/{key}", s.url))
            .header("origin", origin)
            .body("hello")
            .send()
            .unwrap();
        (r.status().as_u16(), r.text().unwrap())
    };
    let keys = || -> Vec<String> {
        let v = cli_ok(aws_cli(
            &s.url,
            None,
            &["s3api", "list-objects-v2", "--bucket", "site"],
        ));
        v["Contents"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|o| o["Key"].as_str().unwrap().to_string())
            .collect()
    };
    let (status, body) = put("https://evil.example", "planted");
    assert_eq!(status, 403, "{body}");
    assert_eq!(
        xml_text(&body, "Code").unwrap_or_default(),
        "AccessForbidden",
        "{body}"
    );
    assert!(keys().is_empty());
    // A cross-site DeleteObjects of an existing object changes nothing.
    let dir = ruststack_tests::tempdir();
    let f = dir.path().join("f");
    std::fs::write(&f, "keep").unwrap();
    cli_ok(aws_cli(
        &s.url,
        None,
        &[
            "s3api",
            "put-object",
            "--bucket",
            "site",
            "--key",
            "keep",
            "--body",
            f.to_str().unwrap(),
        ],
    ));
    let r = quick_client()
        .post(format!("{}/site?delete", s.url))
        .header("origin", "https://evil.example")
        .header("content-type", "text/plain")
        .body("<Delete><Object><Key>keep</Key></Object></Delete>")
        .send()
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(keys(), vec!["keep".to_string()]);

    // Once the bucket's CORS rules allow an origin, its writes are served.
    cli_ok(aws_cli(
        &s.url,
        None,
        &[
            "s3api",
            "put-bucket-cors",
            "--bucket",
            "site",
            "--cors-configuration",
            r#"{"CORSRules":[{"AllowedOrigins":["https://app.example"],"AllowedMethods":["PUT"]}]}"#,
        ],
    ));
    let (status, body) = put("https://app.example", "uploaded");
    assert_eq!(status, 200, "{body}");
    let (status, _) = put("https://evil.example", "planted");
    assert_eq!(status, 403);
    assert_eq!(keys(), vec!["keep".to_string(), "uploaded".to_string()]);
}
