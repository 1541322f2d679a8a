//! A misbehaving plugin never takes the server down: traps and endless loops
//! get an AWS-shaped 500, memory hogs AWS's throttling error, and the next
//! request is served.

use std::time::{Duration, Instant};

use ruststack_tests::{Server, counters, json_call, plugin_dir};

fn misbehave(url: &str, what: &str) -> (u16, serde_json::Value) {
    json_call(url, &format!("Misbehave.{what}"), "{}")
}

fn start(extra: &[&str]) -> (Server, tempfile::TempDir) {
    let plugins = plugin_dir(&["counters", "misbehave"]);
    let mut args = vec!["--ephemeral", "--plugins", plugins.path().to_str().unwrap()];
    args.extend_from_slice(extra);
    let args: Vec<String> = args.into_iter().map(String::from).collect();
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    (Server::start(&refs), plugins)
}

fn assert_internal_failure((status, body): (u16, serde_json::Value)) {
    assert_eq!(status, 500, "{body}");
    assert_eq!(body["__type"], "InternalFailure", "{body}");
}

/// Calls `Misbehave.<what>`: status, the error message and the request id
/// the client was given.
fn misbehave_failure(url: &str, what: &str) -> (u16, String, String) {
    let resp = ruststack_tests::client()
        .post(format!("{url}/"))
        .header("x-amz-target", format!("Misbehave.{what}"))
        .header("content-type", "application/x-amz-json-1.0")
        .body("{}")
        .send()
        .unwrap();
    let status = resp.status().as_u16();
    let id = resp.headers()["x-amzn-requestid"]
        .to_str()
        .unwrap()
        .to_string();
    let body: serde_json::Value = resp.json().unwrap();
    assert_eq!(body["__type"], "InternalFailure", "{body}");
    (
        status,
        body["message"].as_str().unwrap_or("").to_string(),
        id,
    )
}

/// The server's log line that names `request_id` (waiting briefly for it).
fn log_line_of(s: &Server, request_id: &str) -> String {
    let start = Instant::now();
    loop {
        if let Some(l) = s.log_lines().into_iter().find(|l| l.contains(request_id)) {
            return l;
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "no log line names {request_id}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A panic and a timeout are told apart in the client's error and in the
/// server's log line, which carries the request id the client got.
#[test]
fn a_panic_and_a_timeout_say_what_they_were_with_the_request_id() {
    let (s, _p) = start(&["--call-timeout-ms", "300"]);
    let (status, message, id) = misbehave_failure(&s.url, "Panic");
    assert_eq!(status, 500);
    assert!(
        message.starts_with(
            "The plugin misbehave panicked: asked to panic at tests/plugins/misbehave/src/lib.rs:"
        ),
        "{message}"
    );
    let line = log_line_of(&s, &id);
    assert!(line.contains("ERROR"), "{line}");
    assert!(line.contains("panicked: asked to panic at "), "{line}");

    let (status, message, id) = misbehave_failure(&s.url, "Spin");
    assert_eq!(status, 500);
    assert_eq!(
        message,
        "The plugin misbehave ran past its 300 ms time limit and was stopped."
    );
    let line = log_line_of(&s, &id);
    assert!(line.contains("ran past its 300ms deadline"), "{line}");
    assert!(!line.contains("panicked"), "{line}");
}

/// Looping calls hold at most one turn between them: with as many of them
/// running as the plugin has turns, its other requests are still answered.
#[test]
fn looping_calls_do_not_starve_the_plugins_other_requests() {
    let (s, _p) = start(&["--call-timeout-ms", "20000", "--max-concurrent-calls", "4"]);
    let url = s.url.clone();
    for _ in 0..4 {
        let url = url.clone();
        // Not joined: each is stopped at its deadline, or by the server's end.
        std::thread::spawn(move || {
            let _ = ruststack_tests::client()
                .post(format!("{url}/"))
                .header("x-amz-target", "Misbehave.Spin")
                .header("content-type", "application/x-amz-json-1.0")
                .body("{}")
                .send();
        });
    }
    // Let all four start spinning and pass their turn budget.
    std::thread::sleep(Duration::from_millis(1500));
    let started = Instant::now();
    assert_eq!(misbehave(&s.url, "Ok").0, 200);
    let took = started.elapsed();
    eprintln!("answered beside four looping calls in {took:?}");
    // Held turns would make it wait for a loop's 20 s deadline.
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[test]
fn a_trap_is_a_500_its_writes_are_discarded_and_serving_goes_on() {
    let (s, _p) = start(&[]);
    assert_internal_failure(misbehave(&s.url, "Panic"));
    assert_eq!(misbehave(&s.url, "Ok").0, 200);
    assert_internal_failure(misbehave(&s.url, "WriteThenPanic"));
    assert_eq!(misbehave(&s.url, "Read").1["Written"], false);
    assert_eq!(misbehave(&s.url, "Write").0, 200);
    assert_eq!(misbehave(&s.url, "Read").1["Written"], true);
    // Other plugins are unaffected.
    assert_eq!(
        counters(&s.url, "IncrementCounter", r#"{"Name":"n"}"#).0,
        200
    );
}

#[test]
fn an_endless_loop_is_cut_at_its_deadline() {
    let (s, _p) = start(&["--call-timeout-ms", "300"]);
    assert_internal_failure(misbehave(&s.url, "Spin"));
    assert_eq!(misbehave(&s.url, "Ok").0, 200);
    assert_eq!(
        counters(&s.url, "IncrementCounter", r#"{"Name":"n"}"#).0,
        200
    );
}

#[test]
fn a_memory_hog_is_stopped_at_its_cap() {
    let (s, _p) = start(&["--memory-limit-mb", "64"]);
    let (status, body) = misbehave(&s.url, "Grow");
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["__type"], "ThrottlingException", "{body}");
    assert_eq!(misbehave(&s.url, "Ok").0, 200);
}

#[test]
fn an_unclaimed_request_gets_an_aws_error_in_its_own_protocol() {
    let (s, _p) = start(&[]);
    let (st, body) = json_call(&s.url, "Nobody_2020.DoThing", "{}");
    assert_eq!(st, 400);
    assert_eq!(body["__type"], "UnknownOperationException");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("Nobody_2020.DoThing"),
        "{body}"
    );

    let resp = ruststack_tests::client()
        .post(format!("{}/", s.url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("Action=ListWidgets&Version=2099-01-01")
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let xml = resp.text().unwrap();
    assert!(xml.contains("<Code>InvalidAction</Code>"), "{xml}");
    assert!(xml.contains("ListWidgets"), "{xml}");
}
