//! Counters: an example RustStack service, and the template for your own.
//!
//! - A JSON-protocol API (`X-Amz-Target: Counters_20261128.<Operation>`)
//!   described by its own service model (`model.json`), so requests are
//!   decoded, validated and answered by the sdk's codec. It has a conditional
//!   write (`SetCounter` with `ExpectedValue`), an atomic increment, a
//!   paginated list and a long poll (`WaitForCounter`).
//! - A small REST API under `/_counters/files/<name>` that stores request
//!   bodies as blobs and streams them back, to show big payloads that never
//!   enter plugin memory.

mod counters;
mod files;

use std::sync::OnceLock;

use ruststack_sdk::protocol::Model;
use ruststack_sdk::{Description, Matcher, Outcome, Protocol, Request, Service};

/// The plugin's version; the `v2` feature builds a distinguishable one.
#[cfg(not(feature = "v2"))]
pub const VERSION: &str = "1.0.0";
/// The plugin's version; the `v2` feature builds a distinguishable one.
#[cfg(feature = "v2")]
pub const VERSION: &str = "2.0.0";

/// Paths of the file API.
pub const FILES_PREFIX: &str = "/_counters/files/";

/// The service model, parsed once per instance.
pub fn model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| {
        // `describe` lists the model's operations, so a model that does not
        // parse stops the plugin from loading (a reload keeps the old version).
        Model::from_json(include_str!("../model.json"))
            .unwrap_or_else(|e| panic!("model.json: {e}"))
    })
}

/// The service.
pub struct Counters;

impl Service for Counters {
    fn describe() -> Description {
        Description {
            name: "counters".into(),
            version: VERSION.into(),
            protocol: Protocol::Json,
            matchers: vec![
                Matcher {
                    target_prefix: Some("Counters_20261128.".into()),
                    ..Matcher::none()
                },
                Matcher {
                    path_prefix: Some(FILES_PREFIX.into()),
                    ..Matcher::none()
                },
            ],
            fallback: false,
            // JSON documents stay in memory; bigger file bodies arrive as blobs.
            max_inline_body: 64 * 1024,
            // The host refuses longer bodies before they reach the plugin
            // (files are blobs on disk, so this bounds disk, not memory).
            body_limit: Some(ruststack_sdk::BodyLimit::new(
                1 << 30,
                &ruststack_sdk::AwsError::client(
                    "ValidationException",
                    "Request body is larger than 1 GiB",
                ),
            )),
            settings: Vec::new(),
            operations: model().operation_names(),
        }
    }

    fn resources() -> Vec<ruststack_sdk::Resource> {
        counters::resources()
    }

    fn handle(req: Request) -> Outcome {
        if req.path.starts_with(FILES_PREFIX) {
            files::handle(&req)
        } else {
            counters::handle(&req)
        }
    }
}

ruststack_sdk::plugin!(Counters);
