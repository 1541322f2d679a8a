//! {{Title}}: a RustStack service plugin.
//!
//! A JSON-protocol API (`X-Amz-Target: {{target}}.<Operation>`), as
//! DynamoDB and SQS speak, described by its own service model (`model.json`,
//! in the format of the AWS models that ship in botocore). The sdk's codec
//! decodes and validates requests and encodes answers and errors from the
//! model, and the same file makes the AWS CLI speak the service.
//!
//! - `lib.rs` (this file): what the plugin serves, for the host.
//! - `{{module}}.rs`: one function per operation, over a typed table.
//!
//! Build: `cargo build --release --target wasm32-wasip2`. Test: `cargo test`.
//!
//! (Paths are written out in full in this file, so that no name derived from
//! the service's can clash with an import.)

mod {{module}};

/// The plugin's version (from Cargo.toml), listed by `ruststack plugins`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// What every request of this service starts its `X-Amz-Target` with: the
/// model's `targetPrefix` and a dot.
pub const TARGET_PREFIX: &str = "{{target}}.";

/// The service model, parsed once per plugin instance.
pub fn model() -> &'static ruststack_sdk::protocol::Model {
    static MODEL: std::sync::OnceLock<ruststack_sdk::protocol::Model> = std::sync::OnceLock::new();
    MODEL.get_or_init(|| {
        ruststack_sdk::protocol::Model::from_json(include_str!("../model.json"))
            // `describe` lists the model's operations, so a model that does
            // not parse stops the plugin loading, with this message (a hot
            // reload keeps the running version).
            .unwrap_or_else(|e| panic!("model.json: {e}"))
    })
}

/// The service.
pub struct {{Service}};

impl ruststack_sdk::Service for {{Service}} {
    fn describe() -> ruststack_sdk::Description {
        ruststack_sdk::Description {
            // Also the plugin's storage namespace: renaming it leaves the
            // data stored under the old name behind.
            name: "{{name}}".into(),
            version: VERSION.into(),
            protocol: ruststack_sdk::Protocol::Json,
            matchers: vec![ruststack_sdk::Matcher {
                target_prefix: Some(TARGET_PREFIX.into()),
                ..ruststack_sdk::Matcher::none()
            }],
            fallback: false,
            // JSON documents are small: up to 64 KiB arrive in memory.
            max_inline_body: 64 * 1024,
            // The host refuses longer bodies before they reach the plugin.
            body_limit: Some(ruststack_sdk::BodyLimit::new(
                1024 * 1024,
                &ruststack_sdk::AwsError::validation("Request body is larger than 1 MiB"),
            )),
            settings: Vec::new(),
            // Listed by `ruststack plugins --operations`.
            operations: model().operation_names(),
        }
    }

    fn handle(req: ruststack_sdk::Request) -> ruststack_sdk::Outcome {
        {{module}}::handle(&req)
    }
}

ruststack_sdk::plugin!({{Service}});
