//! A misbehaving plugin never takes the server down: traps and endless loops
//! get an AWS-shaped 500, memory hogs AWS's throttling error, and the next
//! request is served.

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
