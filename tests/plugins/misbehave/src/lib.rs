//! Test fixture for the host's isolation: answers `X-Amz-Target:
//! Misbehave.<What>` by behaving badly on purpose.

use ruststack_sdk::protocol::error_response;
use ruststack_sdk::{
    AwsError, Body, Description, Matcher, Outcome, Protocol, Request, Response, Service, kv,
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
        }
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
            "Read" => ok(if kv::get(b"written").is_some() {
                r#"{"Written":true}"#
            } else {
                r#"{"Written":false}"#
            }),
            _ => Outcome::respond(error_response(
                ruststack_sdk::protocol::Protocol::Json,
                &AwsError::unknown_operation(),
                &req.context.request_id,
            )),
        }
    }
}

ruststack_sdk::plugin!(Misbehave);
