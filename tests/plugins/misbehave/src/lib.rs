//! Test fixture for the host: answers `X-Amz-Target: Misbehave.<What>` by
//! behaving badly on purpose (traps, endless loops, memory hogs) or by
//! exercising one host capability (invoke, outbound HTTP, timers).

use ruststack_sdk::protocol::error_response;
use ruststack_sdk::{
    AwsError, Body, Description, Matcher, Outcome, Protocol, Request, Response, Service, invoke,
    kv, schedule,
};

struct Misbehave;

fn ok(body: &str) -> Outcome {
    Outcome::respond(Response {
        status: 200,
        headers: vec![("content-type".into(), "application/x-amz-json-1.0".into())],
        body: Body::Bytes(body.as_bytes().to_vec()),
    })
}

impl Service for Misbehave {
    fn describe() -> Description {
        Description {
            name: "misbehave".into(),
            version: "0.1.0".into(),
            protocol: Protocol::Json,
            matchers: vec![Matcher {
                target_prefix: Some("Misbehave.".into()),
                ..Matcher::none()
            }],
            fallback: false,
            max_inline_body: 1 << 20,
            body_limit: None,
            settings: Vec::new(),
            operations: [
                "Ok",
                "Panic",
                "Spin",
                "Grow",
                "WriteThenPanic",
                "Write",
                "Invoke",
                "Fetch",
                "Schedule",
                "Ticked",
                "Read",
            ]
            .map(String::from)
            .to_vec(),
        }
    }

    fn on_timer(payload: Vec<u8>) {
        kv::put(b"ticked", &payload);
    }

    fn handle(req: Request) -> Outcome {
        let what = req
            .header("x-amz-target")
            .unwrap_or("")
            .trim_start_matches("Misbehave.")
            .to_string();
        match what.as_str() {
            "Ok" => ok("{}"),
            "Panic" => panic!("asked to panic"),
            "Spin" => {
                let mut n: u64 = 0;
                loop {
                    n = std::hint::black_box(n.wrapping_add(1));
                }
            }
            "Grow" => {
                let mut hog: Vec<Vec<u8>> = Vec::new();
                loop {
                    hog.push(vec![1u8; 16 << 20]);
                    std::hint::black_box(&hog);
                }
            }
            "WriteThenPanic" => {
                kv::put(b"written", b"1");
                panic!("asked to panic after writing");
            }
            "Write" => {
                kv::put(b"written", b"1");
                ok("{}")
            }
            "Invoke" => {
                // Ask the counters plugin to increment `via-invoke`, as a client would.
                let mut call = req.clone();
                call.headers = vec![
                    (
                        "x-amz-target".into(),
                        "Counters_20261128.IncrementCounter".into(),
                    ),
                    ("content-type".into(), "application/x-amz-json-1.0".into()),
                ];
                call.body = Body::Bytes(br#"{"Name":"via-invoke"}"#.to_vec());
                let answer = invoke::call(&call);
                let body = match answer.body {
                    Body::Bytes(b) => String::from_utf8_lossy(&b).into_owned(),
                    _ => String::new(),
                };
                ok(&format!(
                    r#"{{"Status":{},"Served":{}}}"#,
                    answer.status,
                    body.contains("Counter")
                ))
            }
            "Fetch" => {
                let url =
                    String::from_utf8(req.body_bytes().unwrap_or_default()).unwrap_or_default();
                match invoke::http("GET", &url, &[], &[], 5_000) {
                    Ok(a) => ok(&format!(
                        r#"{{"Status":{},"Body":{:?}}}"#,
                        a.status,
                        String::from_utf8_lossy(&a.body)
                    )),
                    Err(e) => ok(&format!(r#"{{"Error":{e:?}}}"#)),
                }
            }
            "Schedule" => {
                schedule::after(200, b"tick");
                ok("{}")
            }
            "Ticked" => ok(if kv::get(b"ticked").is_some() {
                r#"{"Ticked":true}"#
            } else {
                r#"{"Ticked":false}"#
            }),
            "Read" => ok(if kv::get(b"written").is_some() {
                r#"{"Written":true}"#
            } else {
                r#"{"Written":false}"#
            }),
            _ => Outcome::respond(error_response(
                ruststack_sdk::protocol::Protocol::Json,
                &AwsError::unknown_operation(req.header("x-amz-target")),
                &req.context.request_id,
            )),
        }
    }
}

ruststack_sdk::plugin!(Misbehave);
