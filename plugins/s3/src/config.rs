//! Bucket sub-resources (CORS, policy, tagging, website, lifecycle,
//! encryption, logging, accelerate, request payment, replication, object
//! lock, ownership controls, public access block, notifications, ACL).
//!
//! Each is stored as the decoded model value of the document its Put
//! operation carries, and its Get operation returns that value in its own
//! output shape, so the codec writes exactly the XML AWS writes. Absent
//! configurations answer AWS's "not configured" error or AWS's default.

use ruststack_sdk::AwsError;
use ruststack_sdk::protocol::shapes::s3::{
    AccelerateConfiguration, AccessControlPolicy, CORSConfiguration, CORSRule, Grant,
    OwnershipControls, OwnershipControlsRule, Tagging, input, out, output,
};
use serde_json::{Value, json};

use crate::dispatch::{Ctx, OpResult, reply};
use crate::store;
use crate::util;
use ruststack_sdk::http::Reply;
use ruststack_sdk::protocol::ops::s3::Op;

/// What a Get answers when the configuration was never set.
enum Absent {
    /// An error: status, code, message.
    Error(u16, &'static str, &'static str),
    /// A default document.
    Default(fn() -> Value),
}

/// The document a Put operation carries (its payload member, read through
/// the operation's input view), if it has one.
type Document = fn(&Value) -> Option<Value>;

/// One sub-resource: its storage name and its operations.
struct Sub {
    name: &'static str,
    put: Op,
    get: Op,
    /// `None` where the model has no delete operation.
    delete: Option<Op>,
    absent: Absent,
    /// The Put's document; `None` for the ACL, set by a canned ACL or a
    /// document (see [`acl_from_input`]).
    document: Option<Document>,
    /// The Get's output holding the stored document: its payload member, or
    /// the document itself where the output has the document's members.
    answer: fn(Value) -> Value,
}

/// A Get output that is the stored document as it stands.
fn as_stored(doc: Value) -> Value {
    doc
}

fn default_encryption() -> Value {
    let by_default = out::ServerSideEncryptionByDefault::new().sse_algorithm("AES256");
    let rule = out::ServerSideEncryptionRule::new()
        .apply_server_side_encryption_by_default(by_default)
        .bucket_key_enabled(false);
    out::ServerSideEncryptionConfiguration::new()
        .rules(vec![rule])
        .into()
}

fn empty() -> Value {
    json!({})
}

fn bucket_owner_pays() -> Value {
    out::RequestPaymentConfiguration::new()
        .payer("BucketOwner")
        .into()
}

fn private_acl() -> Value {
    canned_acl("private")
}

const SUBS: &[Sub] = &[
    Sub {
        name: "Cors",
        put: Op::PutBucketCors,
        get: Op::GetBucketCors,
        delete: Some(Op::DeleteBucketCors),
        absent: Absent::Error(
            404,
            "NoSuchCORSConfiguration",
            "The CORS configuration does not exist",
        ),
        document: Some(|v| {
            input::PutBucketCors(v)
                .cors_configuration()
                .map(|d| d.0.clone())
        }),
        answer: as_stored,
    },
    Sub {
        name: "Policy",
        put: Op::PutBucketPolicy,
        get: Op::GetBucketPolicy,
        delete: Some(Op::DeleteBucketPolicy),
        absent: Absent::Error(
            404,
            "NoSuchBucketPolicy",
            "The bucket policy does not exist",
        ),
        document: Some(|v| input::PutBucketPolicy(v).policy().map(Value::from)),
        answer: |doc| output::GetBucketPolicy::new().policy(doc).into(),
    },
    Sub {
        name: "Tagging",
        put: Op::PutBucketTagging,
        get: Op::GetBucketTagging,
        delete: Some(Op::DeleteBucketTagging),
        absent: Absent::Error(404, "NoSuchTagSet", "The TagSet does not exist"),
        document: Some(|v| input::PutBucketTagging(v).tagging().map(|d| d.0.clone())),
        answer: as_stored,
    },
    Sub {
        name: "Website",
        put: Op::PutBucketWebsite,
        get: Op::GetBucketWebsite,
        delete: Some(Op::DeleteBucketWebsite),
        absent: Absent::Error(
            404,
            "NoSuchWebsiteConfiguration",
            "The specified bucket does not have a website configuration",
        ),
        document: Some(|v| {
            input::PutBucketWebsite(v)
                .website_configuration()
                .map(|d| d.0.clone())
        }),
        answer: as_stored,
    },
    Sub {
        name: "Lifecycle",
        put: Op::PutBucketLifecycleConfiguration,
        get: Op::GetBucketLifecycleConfiguration,
        delete: Some(Op::DeleteBucketLifecycle),
        absent: Absent::Error(
            404,
            "NoSuchLifecycleConfiguration",
            "The lifecycle configuration does not exist",
        ),
        document: Some(|v| {
            input::PutBucketLifecycleConfiguration(v)
                .lifecycle_configuration()
                .map(|d| d.0.clone())
        }),
        answer: as_stored,
    },
    Sub {
        name: "Encryption",
        put: Op::PutBucketEncryption,
        get: Op::GetBucketEncryption,
        delete: Some(Op::DeleteBucketEncryption),
        absent: Absent::Default(default_encryption),
        document: Some(|v| {
            input::PutBucketEncryption(v)
                .server_side_encryption_configuration()
                .map(|d| d.0.clone())
        }),
        answer: |doc| {
            output::GetBucketEncryption::new()
                .server_side_encryption_configuration(doc)
                .into()
        },
    },
    Sub {
        name: "Logging",
        put: Op::PutBucketLogging,
        get: Op::GetBucketLogging,
        delete: None,
        absent: Absent::Default(empty),
        document: Some(|v| {
            input::PutBucketLogging(v)
                .bucket_logging_status()
                .map(|d| d.0.clone())
        }),
        answer: as_stored,
    },
    Sub {
        name: "Accelerate",
        put: Op::PutBucketAccelerateConfiguration,
        get: Op::GetBucketAccelerateConfiguration,
        delete: None,
        absent: Absent::Default(empty),
        document: Some(|v| {
            input::PutBucketAccelerateConfiguration(v)
                .accelerate_configuration()
                .map(|d| d.0.clone())
        }),
        answer: as_stored,
    },
    Sub {
        name: "RequestPayment",
        put: Op::PutBucketRequestPayment,
        get: Op::GetBucketRequestPayment,
        delete: None,
        absent: Absent::Default(bucket_owner_pays),
        document: Some(|v| {
            input::PutBucketRequestPayment(v)
                .request_payment_configuration()
                .map(|d| d.0.clone())
        }),
        answer: as_stored,
    },
    Sub {
        name: "Replication",
        put: Op::PutBucketReplication,
        get: Op::GetBucketReplication,
        delete: Some(Op::DeleteBucketReplication),
        absent: Absent::Error(
            404,
            "ReplicationConfigurationNotFoundError",
            "The replication configuration was not found",
        ),
        document: Some(|v| {
            input::PutBucketReplication(v)
                .replication_configuration()
                .map(|d| d.0.clone())
        }),
        answer: |doc| {
            output::GetBucketReplication::new()
                .replication_configuration(doc)
                .into()
        },
    },
    Sub {
        name: "ObjectLock",
        put: Op::PutObjectLockConfiguration,
        get: Op::GetObjectLockConfiguration,
        delete: None,
        absent: Absent::Error(
            404,
            "ObjectLockConfigurationNotFoundError",
            "Object Lock configuration does not exist for this bucket",
        ),
        document: Some(|v| {
            input::PutObjectLockConfiguration(v)
                .object_lock_configuration()
                .map(|d| d.0.clone())
        }),
        answer: |doc| {
            output::GetObjectLockConfiguration::new()
                .object_lock_configuration(doc)
                .into()
        },
    },
    Sub {
        name: "OwnershipControls",
        put: Op::PutBucketOwnershipControls,
        get: Op::GetBucketOwnershipControls,
        delete: Some(Op::DeleteBucketOwnershipControls),
        absent: Absent::Error(
            404,
            "OwnershipControlsNotFoundError",
            "The bucket ownership controls were not found",
        ),
        document: Some(|v| {
            input::PutBucketOwnershipControls(v)
                .ownership_controls()
                .map(|d| d.0.clone())
        }),
        answer: |doc| {
            output::GetBucketOwnershipControls::new()
                .ownership_controls(doc)
                .into()
        },
    },
    Sub {
        name: "PublicAccessBlock",
        put: Op::PutPublicAccessBlock,
        get: Op::GetPublicAccessBlock,
        delete: Some(Op::DeletePublicAccessBlock),
        absent: Absent::Error(
            404,
            "NoSuchPublicAccessBlockConfiguration",
            "The public access block configuration was not found",
        ),
        document: Some(|v| {
            input::PutPublicAccessBlock(v)
                .public_access_block_configuration()
                .map(|d| d.0.clone())
        }),
        answer: |doc| {
            output::GetPublicAccessBlock::new()
                .public_access_block_configuration(doc)
                .into()
        },
    },
    Sub {
        name: "Notification",
        put: Op::PutBucketNotificationConfiguration,
        get: Op::GetBucketNotificationConfiguration,
        delete: None,
        absent: Absent::Default(empty),
        document: Some(|v| {
            input::PutBucketNotificationConfiguration(v)
                .notification_configuration()
                .map(|d| d.0.clone())
        }),
        answer: as_stored,
    },
    Sub {
        name: "Acl",
        put: Op::PutBucketAcl,
        get: Op::GetBucketAcl,
        delete: None,
        absent: Absent::Default(private_acl),
        document: None,
        answer: as_stored,
    },
];

/// Defaults AWS gives every new bucket (ownership enforced, public access
/// blocked); stored so that deleting them reads back as "not found".
pub fn new_bucket_defaults(bucket: &str) {
    store::put_config(
        bucket,
        "OwnershipControls",
        &ownership("BucketOwnerEnforced"),
    );
    let block = out::PublicAccessBlockConfiguration::new()
        .block_public_acls(true)
        .ignore_public_acls(true)
        .block_public_policy(true)
        .restrict_public_buckets(true);
    store::put_config(bucket, "PublicAccessBlock", &block.into());
}

/// The ownership controls document of one `ObjectOwnership` setting.
pub fn ownership(object_ownership: &str) -> Value {
    let rule = out::OwnershipControlsRule::new().object_ownership(object_ownership);
    out::OwnershipControls::new().rules(vec![rule]).into()
}

/// The ACL document of a canned ACL.
pub fn canned_acl(name: &str) -> Value {
    let grant =
        |grantee: out::Grantee, perm: &str| out::Grant::new().grantee(grantee).permission(perm);
    let me = out::Grantee::new()
        .r#type("CanonicalUser")
        .id(util::caller_id())
        .display_name("webfile");
    let mut grants = vec![grant(me, "FULL_CONTROL")];
    let group = |uri: &str| out::Grantee::new().r#type("Group").uri(uri);
    let all = "http://acs.amazonaws.com/groups/global/AllUsers";
    match name {
        "public-read" => grants.push(grant(group(all), "READ")),
        "public-read-write" => {
            grants.push(grant(group(all), "READ"));
            grants.push(grant(group(all), "WRITE"));
        }
        "authenticated-read" => grants.push(grant(
            group("http://acs.amazonaws.com/groups/global/AuthenticatedUsers"),
            "READ",
        )),
        "log-delivery-write" => {
            let ld = "http://acs.amazonaws.com/groups/s3/LogDelivery";
            grants.push(grant(group(ld), "WRITE"));
            grants.push(grant(group(ld), "READ_ACP"));
        }
        _ => {}
    }
    out::AccessControlPolicy::new()
        .owner(util::owner())
        .grants(grants)
        .into()
}

const CANNED: [&str; 8] = [
    "private",
    "public-read",
    "public-read-write",
    "authenticated-read",
    "aws-exec-read",
    "bucket-owner-read",
    "bucket-owner-full-control",
    "log-delivery-write",
];

/// What a request says about an ACL: the canned `x-amz-acl` (`ACL`),
/// whether any `x-amz-grant-*` header (`Grant*`) was sent, and the
/// `AccessControlPolicy` document of Put*Acl.
pub struct AclInput<'a> {
    /// `ACL`.
    pub canned: Option<&'a str>,
    /// Whether any `Grant*` member is present.
    pub grants: bool,
    /// `AccessControlPolicy`.
    pub policy: Option<AccessControlPolicy<'a>>,
}

impl<'a> AclInput<'a> {
    /// The ACL headers of a write: the canned ACL and the grant headers.
    pub fn headers(canned: Option<&'a str>, grants: &[Option<&'a str>]) -> Self {
        AclInput {
            canned,
            grants: grants.iter().any(Option::is_some),
            policy: None,
        }
    }
}

/// The [`AclInput`] of a PutBucketAcl or PutObjectAcl input view (two
/// generated types with the same ACL members).
macro_rules! put_acl_input {
    ($input:expr) => {{
        let input = $input;
        $crate::config::AclInput {
            policy: input.access_control_policy(),
            ..$crate::config::AclInput::headers(
                input.acl(),
                &[
                    input.grant_read(),
                    input.grant_write(),
                    input.grant_read_acp(),
                    input.grant_write_acp(),
                    input.grant_full_control(),
                ],
            )
        }
    }};
}
pub(crate) use put_acl_input;

/// The ACL a Put*Acl request sets: a canned `x-amz-acl` or a document.
pub fn acl_from_input(acl: &AclInput<'_>) -> Result<Value, AwsError> {
    if let Some(c) = acl.canned {
        if !CANNED.contains(&c) {
            return Err(
                AwsError::client("InvalidArgument", "").with_extra("ArgumentName", "x-amz-acl")
            );
        }
        return Ok(canned_acl(c));
    }
    match acl.policy {
        // The document as given, owned by the caller when it names no owner.
        Some(p) => Ok(out::AccessControlPolicy::new()
            .grants(p.grants().map(|g| g.values().to_vec()))
            .owner(
                p.owner()
                    .map_or_else(|| util::owner().into(), |o| o.0.clone()),
            )
            .into()),
        None => Ok(canned_acl("private")),
    }
}

/// Whether the bucket's ownership setting disables ACLs.
fn acls_disabled(bucket: &str) -> bool {
    store::config(bucket, "OwnershipControls")
        .and_then(|c| {
            let rules = OwnershipControls(&c).rules()?;
            let first = rules.values().first().map(OwnershipControlsRule)?;
            first.object_ownership().map(|o| o == "BucketOwnerEnforced")
        })
        .unwrap_or(false)
}

/// Rejects ACLs other than the owner's full control on buckets whose
/// ownership is `BucketOwnerEnforced` (the default of new buckets), as AWS
/// does: `AccessControlListNotSupported`.
pub fn check_acl_allowed(bucket: &str, acl: &AclInput<'_>) -> Result<(), AwsError> {
    let canned_ok = acl
        .canned
        .is_none_or(|a| a == "private" || a == "bucket-owner-full-control");
    let grants_ok = !acl.grants;
    // Every grant as decoded: one that is not a structure grants nothing.
    let doc_ok = acl.policy.and_then(|p| p.grants()).is_none_or(|g| {
        g.values().iter().map(Grant).all(|x| {
            x.permission() == Some("FULL_CONTROL")
                && x.grantee().and_then(|g| g.r#type()) == Some("CanonicalUser")
        })
    });
    if (canned_ok && grants_ok && doc_ok) || !acls_disabled(bucket) {
        return Ok(());
    }
    Err(AwsError::client(
        "AccessControlListNotSupported",
        "The bucket does not allow ACLs",
    ))
}

/// Validates a document before it is stored.
fn validate(sub: &Sub, doc: &Value, bucket: &store::Bucket) -> Result<(), AwsError> {
    match sub.name {
        "Policy" => {
            let text = doc.as_str().unwrap_or_default();
            let ok = text.trim_start().starts_with('{')
                && serde_json::from_str::<Value>(text).is_ok_and(|v| v.is_object());
            if !ok {
                return Err(AwsError::client(
                    "MalformedPolicy",
                    "Policies must be valid JSON and the first byte must be '{'",
                ));
            }
        }
        "Tagging" => {
            util::tags_from(Tagging(doc).tag_set())?;
        }
        "Cors" => {
            let rules = CORSConfiguration(doc).cors_rules().map(|l| l.values());
            if rules.is_none_or(|r| r.is_empty()) {
                return Err(AwsError::malformed_xml());
            }
            for r in rules.into_iter().flatten().map(CORSRule) {
                let methods = r.allowed_methods().map(|l| l.values());
                for m in methods.into_iter().flatten() {
                    // A method that is not a string is not a supported one.
                    let m = m.as_str().unwrap_or_default();
                    if !["GET", "PUT", "HEAD", "POST", "DELETE"].contains(&m) {
                        return Err(AwsError::client(
                            "InvalidRequest",
                            format!(
                                "Found unsupported HTTP method in CORS config. Unsupported method is {m}"
                            ),
                        ));
                    }
                }
            }
        }
        "ObjectLock" if bucket.versioning.as_deref() != Some("Enabled") => {
            return Err(AwsError::new(
                409,
                "InvalidBucketState",
                "Versioning must be 'Enabled' on the bucket to apply a Object Lock configuration",
            ));
        }
        "Accelerate" => {
            let st = AccelerateConfiguration(doc).status();
            if !matches!(st, Some("Enabled" | "Suspended")) {
                return Err(AwsError::malformed_xml());
            }
        }
        _ => {}
    }
    Ok(())
}

/// Serves the sub-resource operation `op`, if it is one. `input` is the
/// decoded input of whichever of these operations it is: each part is read
/// through that operation's view (see [`Sub::document`], [`bucket_acl`]).
pub fn handle(_ctx: &Ctx, op: Op, input: &Value) -> Option<OpResult> {
    let sub = SUBS
        .iter()
        .find(|x| x.put == op || x.get == op || x.delete == Some(op))?;
    Some(serve(sub, op, input))
}

/// The ACL input of a PutBucketAcl.
fn bucket_acl(input: input::PutBucketAcl<'_>) -> AclInput<'_> {
    put_acl_input!(input)
}

/// Put, Get or Delete of one sub-resource.
fn serve(sub: &Sub, op: Op, input: &Value) -> OpResult {
    let name = crate::dispatch::bucket_of(op, input).unwrap_or_default();
    let mut bucket = store::require_bucket(name)?;
    if op == sub.put {
        let doc = match sub.document {
            None => {
                let acl = bucket_acl(input::PutBucketAcl(input));
                check_acl_allowed(name, &acl)?;
                acl_from_input(&acl)?
            }
            Some(document) => document(input).ok_or_else(AwsError::malformed_xml)?,
        };
        validate(sub, &doc, &bucket)?;
        if sub.name == "ObjectLock" {
            bucket.object_lock = true;
            store::put_bucket(&bucket);
        }
        store::put_config(name, sub.name, &doc);
        // AWS answers these two with 204 No Content.
        let status = matches!(sub.name, "Policy" | "Tagging").then_some(204);
        return Ok(Reply {
            status,
            ..Reply::default()
        });
    }
    if Some(op) == sub.delete {
        store::delete_config(name, sub.name);
        return Ok(Reply::default());
    }
    let doc = match store::config(name, sub.name) {
        Some(d) => d,
        None => match sub.absent {
            Absent::Error(status, code, msg) => {
                return Err(AwsError::new(status, code, msg).with_extra("BucketName", name));
            }
            Absent::Default(f) => f(),
        },
    };
    Ok(reply((sub.answer)(doc)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ruststack_sdk::protocol::models;

    /// Each Put reads the model's payload member of its input, and each Get
    /// answers the document under its output's payload member (or as the
    /// output itself where the output has none), as the model says.
    #[test]
    fn documents_follow_the_model_payloads() {
        let model = models::s3();
        let payload = |op: Op, input: bool| {
            let o = model.operation(op.name()).unwrap();
            let shape = if input {
                model.input_shape(o)
            } else {
                model.output_shape(o)
            };
            shape.and_then(|s| s.payload.clone())
        };
        for sub in SUBS {
            let doc = if sub.name == "Policy" {
                json!("{}")
            } else {
                json!({"X": 1})
            };
            if let Some(document) = sub.document {
                let p = payload(sub.put, true).unwrap();
                assert_eq!(
                    document(&json!({ p: doc.clone() })),
                    Some(doc.clone()),
                    "{}",
                    sub.name
                );
                assert_eq!(document(&json!({})), None, "{}", sub.name);
            }
            let want = match payload(sub.get, false) {
                Some(p) => json!({ p: doc.clone() }),
                None => doc.clone(),
            };
            assert_eq!((sub.answer)(doc), want, "{}", sub.name);
        }
    }
}
