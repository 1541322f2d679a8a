//! {{Title}}: a RustStack service plugin.
//!
//! A plain REST API with JSON bodies under `/{{name}}/`, not shaped like an
//! AWS service: the plugin routes on method and path itself, reads bodies
//! with serde and writes its answers as JSON.
//!
//! - `lib.rs` (this file): what the plugin serves, for the host.
//! - `{{module}}.rs`: the routes, one function each, over a typed table.
//!
//! Build: `cargo build --release --target wasm32-wasip2`. Test: `cargo test`.
//!
//! (Paths are written out in full in this file, so that no name derived from
//! the service's can clash with an import.)

mod {{module}};

/// The plugin's version (from Cargo.toml), listed by `ruststack plugins`.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Every path this plugin serves starts with this.
pub const PATH_PREFIX: &str = "/{{name}}/";

/// The service.
pub struct {{Service}};

impl ruststack_sdk::Service for {{Service}} {
    fn describe() -> ruststack_sdk::Description {
        ruststack_sdk::Description {
            // Also the plugin's storage namespace: renaming it leaves the
            // data stored under the old name behind.
            name: "{{name}}".into(),
            version: VERSION.into(),
            // The shape of the errors the host makes for this plugin (a
            // timeout, a body over the limit): `{"__type": ..., "message": ...}`
            // with their status, as the plugin's own errors are.
            protocol: ruststack_sdk::Protocol::RestJson,
            matchers: vec![ruststack_sdk::Matcher {
                path_prefix: Some(PATH_PREFIX.into()),
                ..ruststack_sdk::Matcher::none()
            }],
            fallback: false,
            // JSON documents are small: up to 64 KiB arrive in memory.
            max_inline_body: 64 * 1024,
            // The host refuses longer bodies before they reach the plugin.
            body_limit: Some(ruststack_sdk::BodyLimit::new(
                1024 * 1024,
                &ruststack_sdk::AwsError::new(
                    413,
                    "PayloadTooLarge",
                    "Request body is larger than 1 MiB",
                ),
            )),
            settings: Vec::new(),
            // Listed by `ruststack plugins --operations`.
            operations: {{module}}::OPERATIONS.map(String::from).into(),
        }
    }

    fn handle(req: ruststack_sdk::Request) -> ruststack_sdk::Outcome {
        {{module}}::handle(&req)
    }
}

ruststack_sdk::plugin!({{Service}});
