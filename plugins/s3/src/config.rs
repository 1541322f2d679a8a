//! Bucket sub-resources (CORS, policy, tagging, website, lifecycle,
//! encryption, logging, accelerate, request payment, replication, object
//! lock, ownership controls, public access block, notifications, ACL).
//!
//! Each is stored as the decoded model value of the document its Put
//! operation carries, and its Get operation returns that value in its own
//! output shape, so the codec writes exactly the XML AWS writes. Absent
//! configurations answer AWS's "not configured" error or AWS's default.

use ruststack_sdk::AwsError;
use ruststack_sdk::protocol::models;
use serde_json::{Value, json};

use crate::dispatch::{Ctx, OpResult};
use crate::store;
use crate::util::{self, s};
use ruststack_sdk::http::Reply;
use ruststack_sdk::protocol::ops::s3::Op;

/// What a Get answers when the configuration was never set.
enum Absent {
    /// An error: status, code, message.
    Error(u16, &'static str, &'static str),
    /// A default document.
    Default(fn() -> Value),
}

/// One sub-resource: its storage name and its operations.
struct Sub {
    name: &'static str,
    put: Op,
    get: Op,
    /// `None` where the model has no delete operation.
    delete: Option<Op>,
    absent: Absent,
}

fn default_encryption() -> Value {
    json!({"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": false}]})
}

fn empty() -> Value {
    json!({})
}

fn bucket_owner_pays() -> Value {
    json!({"Payer": "BucketOwner"})
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
    },
    Sub {
        name: "Tagging",
        put: Op::PutBucketTagging,
        get: Op::GetBucketTagging,
        delete: Some(Op::DeleteBucketTagging),
        absent: Absent::Error(404, "NoSuchTagSet", "The TagSet does not exist"),
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
    },
    Sub {
        name: "Encryption",
        put: Op::PutBucketEncryption,
        get: Op::GetBucketEncryption,
        delete: Some(Op::DeleteBucketEncryption),
        absent: Absent::Default(default_encryption),
    },
    Sub {
        name: "Logging",
        put: Op::PutBucketLogging,
        get: Op::GetBucketLogging,
        delete: None,
        absent: Absent::Default(empty),
    },
    Sub {
        name: "Accelerate",
        put: Op::PutBucketAccelerateConfiguration,
        get: Op::GetBucketAccelerateConfiguration,
        delete: None,
        absent: Absent::Default(empty),
    },
    Sub {
        name: "RequestPayment",
        put: Op::PutBucketRequestPayment,
        get: Op::GetBucketRequestPayment,
        delete: None,
        absent: Absent::Default(bucket_owner_pays),
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
    },
    Sub {
        name: "Notification",
        put: Op::PutBucketNotificationConfiguration,
        get: Op::GetBucketNotificationConfiguration,
        delete: None,
        absent: Absent::Default(empty),
    },
    Sub {
        name: "Acl",
        put: Op::PutBucketAcl,
        get: Op::GetBucketAcl,
        delete: None,
        absent: Absent::Default(private_acl),
    },
];

/// Defaults AWS gives every new bucket (ownership enforced, public access
/// blocked); stored so that deleting them reads back as "not found".
pub fn new_bucket_defaults(bucket: &str) {
    store::put_config(
        bucket,
        "OwnershipControls",
        &json!({"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}),
    );
    store::put_config(
        bucket,
        "PublicAccessBlock",
        &json!({"BlockPublicAcls": true, "IgnorePublicAcls": true, "BlockPublicPolicy": true, "RestrictPublicBuckets": true}),
    );
}

/// The ACL document of a canned ACL.
pub fn canned_acl(name: &str) -> Value {
    let owner = util::owner();
    let grant = |grantee: Value, perm: &str| json!({"Grantee": grantee, "Permission": perm});
    let mut grants = vec![grant(
        json!({"Type": "CanonicalUser", "ID": owner["ID"], "DisplayName": "webfile"}),
        "FULL_CONTROL",
    )];
    let group = |uri: &str| json!({"Type": "Group", "URI": uri});
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
    json!({"Owner": owner, "Grants": grants})
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

/// The ACL a Put*Acl request sets: a canned `x-amz-acl` or a document.
pub fn acl_from_input(input: &Value) -> Result<Value, AwsError> {
    if let Some(c) = s(input, "ACL") {
        if !CANNED.contains(&c) {
            return Err(
                AwsError::client("InvalidArgument", "").with_extra("ArgumentName", "x-amz-acl")
            );
        }
        return Ok(canned_acl(c));
    }
    match input.get("AccessControlPolicy") {
        Some(p) => {
            let mut p = p.clone();
            if p.get("Owner").is_none() {
                p["Owner"] = util::owner();
            }
            Ok(p)
        }
        None => Ok(canned_acl("private")),
    }
}

/// Whether the bucket's ownership setting disables ACLs.
fn acls_disabled(bucket: &str) -> bool {
    store::config(bucket, "OwnershipControls")
        .and_then(|c| {
            c.pointer("/Rules/0/ObjectOwnership")
                .and_then(Value::as_str)
                .map(|o| o == "BucketOwnerEnforced")
        })
        .unwrap_or(false)
}

/// Rejects ACLs other than the owner's full control on buckets whose
/// ownership is `BucketOwnerEnforced` (the default of new buckets), as AWS
/// does: `AccessControlListNotSupported`.
pub fn check_acl_allowed(bucket: &str, input: &Value) -> Result<(), AwsError> {
    let canned_ok =
        s(input, "ACL").is_none_or(|a| a == "private" || a == "bucket-owner-full-control");
    let grants_ok = [
        "GrantRead",
        "GrantWrite",
        "GrantReadACP",
        "GrantWriteACP",
        "GrantFullControl",
    ]
    .iter()
    .all(|g| input.get(*g).is_none());
    let doc_ok = input
        .pointer("/AccessControlPolicy/Grants")
        .and_then(Value::as_array)
        .is_none_or(|g| {
            g.iter().all(|x| {
                x.get("Permission").and_then(Value::as_str) == Some("FULL_CONTROL")
                    && x.pointer("/Grantee/Type").and_then(Value::as_str) == Some("CanonicalUser")
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

/// The name of the input's payload member.
fn payload_of(op: Op) -> Option<String> {
    let model = models::s3();
    let op = model.operation(op.name())?;
    model.input_shape(op)?.payload.clone()
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
            util::tags_from(doc.get("TagSet"))?;
        }
        "Cors" => {
            let rules = doc.get("CORSRules").and_then(Value::as_array);
            if rules.is_none_or(|r| r.is_empty()) {
                return Err(AwsError::malformed_xml());
            }
            for r in rules.into_iter().flatten() {
                for m in r
                    .get("AllowedMethods")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
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
            let st = doc.get("Status").and_then(Value::as_str);
            if !matches!(st, Some("Enabled" | "Suspended")) {
                return Err(AwsError::malformed_xml());
            }
        }
        _ => {}
    }
    Ok(())
}

/// Serves the sub-resource operation `op`, if it is one.
pub fn handle(_ctx: &Ctx, op: Op, input: &Value) -> Option<OpResult> {
    let sub = SUBS
        .iter()
        .find(|x| x.put == op || x.get == op || x.delete == Some(op))?;
    Some(serve(sub, op, input))
}

fn serve(sub: &Sub, op: Op, input: &Value) -> OpResult {
    let name = s(input, "Bucket").unwrap_or_default();
    let mut bucket = store::require_bucket(name)?;
    if op == sub.put {
        let doc = if sub.name == "Acl" {
            check_acl_allowed(name, input)?;
            acl_from_input(input)?
        } else {
            let payload = payload_of(op).unwrap_or_default();
            input
                .get(&payload)
                .cloned()
                .ok_or_else(AwsError::malformed_xml)?
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
    let model = models::s3();
    let out_payload = model
        .operation(op.name())
        .and_then(|o| model.output_shape(o))
        .and_then(|s| s.payload.clone());
    Ok(match out_payload {
        Some(p) => json!({ p: doc }),
        None => doc,
    }
    .into())
}
