//! The example plugin over real HTTP: its JSON API, its file API with big
//! bodies, and its long poll.

use std::time::{Duration, Instant};

use ruststack_tests::{Server, client, counters, plugin_dir};

fn server() -> (Server, tempfile::TempDir) {
    let plugins = plugin_dir(&["counters"]);
    let s = Server::start(&["--ephemeral", "--plugins", plugins.path().to_str().unwrap()]);
    (s, plugins)
}

#[test]
fn json_api_round_trips_with_conditions_pages_and_errors() {
    let (s, _p) = server();
    let (st, out) = counters(
        &s.url,
        "CreateCounter",
        r#"{"Name":"apples","InitialValue":5}"#,
    );
    assert_eq!(st, 200, "{out}");
    assert_eq!(out["Counter"]["Value"], 5);

    let (st, err) = counters(&s.url, "CreateCounter", r#"{"Name":"apples"}"#);
    assert_eq!(st, 400);
    assert!(
        err["__type"]
            .as_str()
            .unwrap()
            .ends_with("CounterAlreadyExistsException"),
        "{err}"
    );

    let (st, err) = counters(
        &s.url,
        "SetCounter",
        r#"{"Name":"apples","Value":7,"ExpectedValue":4}"#,
    );
    assert_eq!(st, 400);
    assert!(
        err["__type"]
            .as_str()
            .unwrap()
            .ends_with("ConditionalCheckFailedException"),
        "{err}"
    );
    let (st, out) = counters(
        &s.url,
        "SetCounter",
        r#"{"Name":"apples","Value":7,"ExpectedValue":5}"#,
    );
    assert_eq!((st, out["Counter"]["Value"].as_i64()), (200, Some(7)));

    for name in ["d", "b", "c", "a"] {
        assert_eq!(
            counters(
                &s.url,
                "IncrementCounter",
                &format!(r#"{{"Name":"{name}"}}"#)
            )
            .0,
            200
        );
    }
    let mut names = Vec::new();
    let mut token: Option<String> = None;
    let mut pages = 0;
    loop {
        let body = match &token {
            Some(t) => format!(r#"{{"MaxResults":2,"NextToken":"{t}"}}"#),
            None => r#"{"MaxResults":2}"#.to_string(),
        };
        let (st, page) = counters(&s.url, "ListCounters", &body);
        assert_eq!(st, 200, "{page}");
        pages += 1;
        for c in page["Counters"].as_array().unwrap() {
            names.push(c["Name"].as_str().unwrap().to_string());
        }
        match page["NextToken"].as_str() {
            Some(t) => token = Some(t.to_string()),
            None => break,
        }
    }
    assert_eq!(names, ["a", "apples", "b", "c", "d"]);
    assert_eq!(pages, 3);

    let (st, err) = counters(&s.url, "GetCounter", r#"{"Name":"nope"}"#);
    assert_eq!(st, 400);
    assert!(
        err["__type"]
            .as_str()
            .unwrap()
            .ends_with("ResourceNotFoundException"),
        "{err}"
    );
    let (st, err) = counters(&s.url, "GetCounter", r#"{"Name": 5"#);
    assert_eq!(st, 400);
    assert!(
        err["__type"]
            .as_str()
            .unwrap()
            .ends_with("SerializationException"),
        "{err}"
    );
    assert_eq!(
        counters(&s.url, "DeleteCounter", r#"{"Name":"apples"}"#).0,
        200
    );
    assert_eq!(
        counters(&s.url, "GetCounter", r#"{"Name":"apples"}"#).0,
        400
    );
}

#[test]
fn big_bodies_stream_through_blobs_byte_exact() {
    let (s, _p) = server();
    // 24 MiB of non-repeating bytes.
    let mut data = Vec::with_capacity(24 << 20);
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    while data.len() < 24 << 20 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        data.extend_from_slice(&x.to_le_bytes());
    }
    let url = format!("{}/_counters/files/big.bin", s.url);
    let put = client().put(&url).body(data.clone()).send().unwrap();
    assert_eq!(put.status(), 200);
    let etag = put.headers()["etag"].to_str().unwrap().to_string();
    let got = client().get(&url).send().unwrap();
    assert_eq!(got.status(), 200);
    assert_eq!(got.headers()["etag"].to_str().unwrap(), etag);
    let body = got.bytes().unwrap();
    assert_eq!(body.len(), data.len());
    assert!(body[..] == data[..], "downloaded bytes differ");
    let small = client()
        .put(format!("{}/_counters/files/small", s.url))
        .body("hi")
        .send()
        .unwrap();
    assert_eq!(small.status(), 200);
    assert_eq!(
        client()
            .get(format!("{}/_counters/files/small", s.url))
            .send()
            .unwrap()
            .text()
            .unwrap(),
        "hi"
    );
}

#[test]
fn a_waiter_wakes_on_a_commit_and_times_out_without_one() {
    let (s, _p) = server();
    let url = s.url.clone();
    let started = Instant::now();
    let waiter = std::thread::spawn(move || {
        counters(
            &url,
            "WaitForCounter",
            r#"{"Name":"w","AtLeast":2,"WaitTimeSeconds":20}"#,
        )
    });
    std::thread::sleep(Duration::from_millis(300));
    counters(&s.url, "IncrementCounter", r#"{"Name":"w"}"#);
    std::thread::sleep(Duration::from_millis(100));
    assert!(!waiter.is_finished(), "woke on a value below AtLeast");
    counters(&s.url, "IncrementCounter", r#"{"Name":"w"}"#);
    let (st, out) = waiter.join().unwrap();
    assert_eq!(st, 200, "{out}");
    assert_eq!(out["TimedOut"], false, "{out}");
    assert_eq!(out["Counter"]["Value"], 2);
    // Woken by the commit, not by the 20 s timeout.
    assert!(started.elapsed() < Duration::from_secs(15));

    let (st, out) = counters(
        &s.url,
        "WaitForCounter",
        r#"{"Name":"other","AtLeast":1,"WaitTimeSeconds":1}"#,
    );
    assert_eq!(st, 200);
    assert_eq!(out["TimedOut"], true, "{out}");
}

#[test]
fn sixteen_concurrent_increments_end_at_sixteen() {
    let (s, _p) = server();
    let threads: Vec<_> = (0..16)
        .map(|_| {
            let url = s.url.clone();
            std::thread::spawn(move || counters(&url, "IncrementCounter", r#"{"Name":"race"}"#).0)
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), 200);
    }
    let (_, out) = counters(&s.url, "GetCounter", r#"{"Name":"race"}"#);
    assert_eq!(out["Counter"]["Value"], 16, "{out}");
}
