//! Amazon S3 for RustStack (rest-xml), plus the minimal STS
//! (`GetCallerIdentity`) that the AWS CLI, SDKs and Terraform call first.
//!
//! Requests are resolved and decoded by the botocore S3 model
//! (`models::s3()`); each operation is one function in a file named by the
//! resource it touches. Object bodies stay in host blobs end to end: uploads
//! are kept (or composed, for `aws-chunked` framing and multipart) and
//! downloads are blob slices, so an object's size costs the plugin no memory.

mod bucket;
mod chunked;
mod config;
mod cors;
mod dispatch;
mod list;
mod metadata;
mod multipart;
mod notify;
mod object;
mod store;
mod sts;
#[cfg(test)]
mod tests;
mod util;
mod validation;

/// What `ruststack-fuzz` (`fuzz/`, run by `just fuzz`) calls directly: the
/// aws-chunked unframing of upload bodies, and the object store to seed
/// objects without an MD5-computing host. Not an API: may change at any time.
#[doc(hidden)]
pub mod fuzzing {
    pub use crate::chunked::{Ingested, ingest, is_chunked};
    pub use crate::store::{Obj, put_object};
}

use ruststack_sdk::{Description, Matcher, Outcome, Protocol, Request, Service};

/// The plugin's version.
pub const VERSION: &str = "0.1.0";

/// Request bodies longer than this arrive as blobs: object bodies never
/// enter plugin memory; XML documents (far smaller) stay inline.
pub const MAX_INLINE_BODY: u32 = 64 * 1024;

/// The S3 service.
pub struct S3;

impl Service for S3 {
    fn describe() -> Description {
        let host = |p: &str| Matcher {
            host_pattern: Some(p.into()),
            ..Matcher::none()
        };
        Description {
            name: "s3".into(),
            version: VERSION.into(),
            protocol: Protocol::RestXml,
            matchers: vec![
                Matcher {
                    signing_service: Some("s3".into()),
                    ..Matcher::none()
                },
                host("*.localhost"),
                host("*.s3.localhost.localstack.cloud"),
                host("**.s3.**"),
                host("**.s3-*.amazonaws.com"),
                Matcher {
                    signing_service: Some("sts".into()),
                    ..Matcher::none()
                },
                Matcher {
                    query_version: Some(sts::VERSION.into()),
                    query_actions: vec!["GetCallerIdentity".into()],
                    ..Matcher::none()
                },
            ],
            fallback: true,
            max_inline_body: MAX_INLINE_BODY,
            // The largest single PUT (object or part) S3 accepts.
            body_limit: Some(ruststack_sdk::BodyLimit::new(
                5 * 1024 * 1024 * 1024,
                &ruststack_sdk::AwsError::client(
                    "EntityTooLarge",
                    "Your proposed upload exceeds the maximum allowed size",
                ),
            )),
            settings: Vec::new(),
            // S3's operations, and the one STS operation it answers.
            operations: ruststack_sdk::protocol::models::s3()
                .operation_names()
                .into_iter()
                .chain(["GetCallerIdentity".to_string()])
                .collect(),
        }
    }

    fn resources() -> Vec<ruststack_sdk::Resource> {
        store::resources()
    }

    fn handle(req: Request) -> Outcome {
        if sts::is_sts(&req) {
            return sts::handle(&req);
        }
        dispatch::handle(&req)
    }

    fn on_timer(payload: Vec<u8>) {
        notify::deliver(&payload)
    }

    /// Bucket names are unique in the whole partition; each bucket records
    /// the account that owns it.
    fn scope_kind() -> ruststack_sdk::scope::ScopeKind {
        ruststack_sdk::scope::ScopeKind::Partition
    }
}

// Rust's default allocator (dlmalloc): S3's large listings and XML documents
// free big and small blocks in turn, and dlmalloc's merging of freed
// neighbours keeps an instance's peak memory lower than the sdk's size classes.
ruststack_sdk::plugin!(S3, system_allocator);
