//! Every fuzz target: one per decoder that reads client bytes, plus one per
//! plugin that runs whole requests through its handler (so panics in the
//! operations themselves are found too).

pub mod auth;
pub mod dynamodb;
pub mod protocol;
pub mod s3;
pub mod sns;
pub mod sqs;

use crate::engine::{Target, fnv};

/// All targets, in the order `just fuzz` runs them.
pub fn all() -> Vec<Target> {
    vec![
        protocol::s3(),
        protocol::sqs(),
        protocol::sns(),
        protocol::dynamodb(),
        protocol::rest_json(),
        protocol::xml(),
        s3::chunked(),
        s3::aws_chunked(),
        dynamodb::expr(),
        dynamodb::request_exprs(),
        dynamodb::attr_json(),
        dynamodb::attr_gen(),
        dynamodb::partiql(),
        sns::filter(),
        sqs::attributes(),
        s3::plugin(),
        sqs::plugin(),
        sns::plugin(),
        dynamodb::plugin(),
        auth::auth(),
    ]
}

/// The byte that separates the parts of multi-part inputs (e.g. an
/// expression and its placeholder maps): the ASCII unit separator, which no
/// part needs.
pub const SEP: u8 = 0x1f;

/// Splits a multi-part input at [`SEP`] (parts as lossy UTF-8).
pub fn parts(input: &[u8]) -> Vec<String> {
    input
        .split(|&b| b == SEP)
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect()
}

/// Joins parts with [`SEP`] (for seeds).
pub fn join(parts: &[&str]) -> Vec<u8> {
    parts.join("\u{1f}").into_bytes()
}

/// The behaviour class of a plugin response: status and error code (taken
/// from an XML `<Code>` or a JSON `__type`), not the body, which carries
/// request ids and timestamps.
pub fn response_class(status: u16, body: &[u8]) -> u64 {
    let text = String::from_utf8_lossy(&body[..body.len().min(4096)]);
    let code = text
        .split_once("<Code>")
        .and_then(|(_, r)| r.split_once("</Code>"))
        .map(|(c, _)| c.to_string())
        .or_else(|| {
            serde_json::from_str::<serde_json::Value>(&text)
                .ok()
                .and_then(|v| v["__type"].as_str().map(str::to_string))
        })
        .unwrap_or_default();
    fnv(format!("{status} {code}").as_bytes())
}

#[cfg(test)]
mod tests {
    use ruststack_sdk::testkit;
    use ruststack_sdk::{Body, Outcome};

    /// Status of every seed of a plugin target, run in order on one setup.
    fn statuses<S: ruststack_sdk::Service>(t: &super::Target) -> Vec<(u16, String)> {
        (t.setup.expect("plugin targets set up"))();
        (t.seeds)()
            .iter()
            .map(|s| {
                let first = String::from_utf8_lossy(s)
                    .lines()
                    .next()
                    .unwrap_or("")
                    .to_string();
                match testkit::serve::<S>(super::s3::request(s)) {
                    Ok(Outcome::Respond(r)) => {
                        let body = match r.body {
                            Body::Bytes(b) => {
                                String::from_utf8_lossy(&b).chars().take(400).collect()
                            }
                            _ => String::new(),
                        };
                        (r.status, format!("{first} -> {body}"))
                    }
                    Ok(Outcome::Wait(_)) => (200, format!("{first} -> wait")),
                    Err(p) => panic!("{first}: {p}"),
                }
            })
            .collect()
    }

    fn report(name: &str, s: &[(u16, String)]) -> usize {
        for (st, line) in s {
            println!("{name} {st} {line}");
        }
        s.iter().filter(|(st, _)| *st < 300).count()
    }

    #[test]
    fn most_plugin_seeds_succeed() {
        let ok = report("s3", &statuses::<s3::S3>(&super::s3::plugin()));
        let n = (super::s3::plugin().seeds)().len();
        assert!(ok * 2 > n, "s3: {ok} of {n} seeds succeed");
        for (name, ok, n) in [
            (
                "sqs",
                report("sqs", &statuses::<sqs::Sqs>(&super::sqs::plugin())),
                (super::sqs::plugin().seeds)().len(),
            ),
            (
                "sns",
                report("sns", &statuses::<sns::Sns>(&super::sns::plugin())),
                (super::sns::plugin().seeds)().len(),
            ),
            (
                "dynamodb",
                report(
                    "dynamodb",
                    &statuses::<dynamodb::DynamoDb>(&super::dynamodb::plugin()),
                ),
                (super::dynamodb::plugin().seeds)().len(),
            ),
        ] {
            assert!(ok * 2 > n, "{name}: {ok} of {n} seeds succeed");
        }
    }
}
