//! S3's answer to input outside the model's enums, checked against the
//! model before an operation runs, in S3's own words (S3 has no
//! `ValidationException`; responses recorded against AWS):
//! - an enum value inside the XML request body of a configuration whose
//!   answer is recorded (versioning, ownership controls, request payment,
//!   acceleration, inventory, object lock, retention, legal hold):
//!   `400 MalformedXML`, as for any document that does not fit S3's schema;
//! - a header or query parameter: the error S3 gives for that parameter,
//!   usually `InvalidArgument` naming it in `ArgumentName`.
//!
//! A parameter whose AWS answer is not known from a recording is not
//! checked here (its operation deals with it). S3 does not enforce the
//! model's lengths and patterns the way the model states them (object keys,
//! ARNs), and the model lacks the limits S3 does enforce (`max-keys`,
//! `partNumber`), so only enums are checked.

use ruststack_sdk::AwsError;
use ruststack_sdk::protocol::model::{Location, Operation};
use ruststack_sdk::protocol::validate::{self, Kind, Rules, Violation};
use ruststack_sdk::protocol::{Value, models};

use crate::util;

/// The enum checks of [`validate`], and only the first broken one: S3
/// answers one error per request.
const ENUMS: Rules = Rules {
    required: false,
    length: false,
    range: false,
    enums: true,
    patterns: false,
    max_violations: 1,
};

/// The checksum algorithms S3 takes, as its error for another one lists
/// them.
const CHECKSUM_ALGORITHMS: &str = "[CRC32, CRC32C, CRC64NVME, SHA1, SHA256]";

/// Checks `input` of `op` against the model's enums.
pub fn check(op: &Operation, input: &Value) -> Result<(), AwsError> {
    let model = models::s3();
    let violations = validate::check_operation(model, op, input, &ENUMS);
    match violations.first() {
        Some(v) => error_for(op, v).map_or(Ok(()), Err),
        None => Ok(()),
    }
}

/// S3's error for one broken enum, if S3's answer is known.
fn error_for(op: &Operation, v: &Violation) -> Option<AwsError> {
    if v.kind != Kind::Enum && v.kind != Kind::ListMembers {
        return None;
    }
    if v.path.contains('.') {
        // Below a top-level member: inside the XML document of the body.
        return body_error(op);
    }
    let shape = models::s3().input_shape(op)?;
    let member = shape.member_named(&v.member)?;
    let value = v.value.as_deref().unwrap_or_default();
    match member.location {
        Some(Location::Header | Location::Querystring) => {
            parameter_error(member.wire_name(), value)
        }
        // A member of the body's XML document.
        None => body_error(op),
        Some(_) => None,
    }
}

/// The operations whose XML documents S3 refuses as `MalformedXML` for a
/// value outside an enum (recorded); others answer errors of their own
/// (CreateBucket's `InvalidLocationConstraint`, notifications' events), so
/// their operations decide.
const MALFORMED_WHEN_OUT_OF_ENUM: &[&str] = &[
    "PutBucketVersioning",
    "PutBucketOwnershipControls",
    "PutBucketRequestPayment",
    "PutBucketAccelerateConfiguration",
    "PutBucketInventoryConfiguration",
    "PutObjectLockConfiguration",
    "PutObjectRetention",
    "PutObjectLegalHold",
];

/// S3's error for a value outside an enum in the XML body of `op`.
fn body_error(op: &Operation) -> Option<AwsError> {
    MALFORMED_WHEN_OUT_OF_ENUM
        .contains(&op.name.as_str())
        .then(AwsError::malformed_xml)
}

/// S3's error for a header or query parameter holding a value outside its
/// enum, for the parameters whose answer is recorded.
fn parameter_error(name: &str, value: &str) -> Option<AwsError> {
    Some(match name {
        // S3 leaves the message empty here.
        "x-amz-acl" => util::invalid_argument("", name, value),
        "x-amz-object-ownership" => AwsError::client(
            "InvalidArgument",
            format!("Invalid x-amz-object-ownership header: {value}"),
        )
        .with_extra("ArgumentName", name),
        "encoding-type" => {
            util::invalid_argument("Invalid Encoding Method specified in Request", name, value)
        }
        "x-amz-server-side-encryption" => util::invalid_argument(
            "The encryption method specified is not supported",
            name,
            value,
        ),
        "x-amz-checksum-algorithm" => AwsError::client(
            "InvalidRequest",
            format!(
                "Checksum algorithm provided is unsupported. Please try again with any of the valid types: {CHECKSUM_ALGORITHMS}"
            ),
        ),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn op(name: &str) -> &'static Operation {
        models::s3().operation(name).unwrap()
    }

    fn extra<'a>(e: &'a AwsError, name: &str) -> Option<&'a str> {
        e.extra
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    #[test]
    fn a_canned_acl_outside_the_enum_is_an_invalid_argument_without_a_message() {
        let e = check(
            op("PutObject"),
            &json!({"Bucket": "b", "Key": "k", "ACL": "fake-acl"}),
        )
        .unwrap_err();
        assert_eq!(
            (e.status, e.code.as_str(), e.message.as_str()),
            (400, "InvalidArgument", "")
        );
        assert_eq!(extra(&e, "ArgumentName"), Some("x-amz-acl"));
        assert_eq!(extra(&e, "ArgumentValue"), Some("fake-acl"));
    }

    #[test]
    fn object_ownership_names_the_header_but_not_the_value() {
        let e = check(
            op("CreateBucket"),
            &json!({"Bucket": "b", "ObjectOwnership": "RandomValue"}),
        )
        .unwrap_err();
        assert_eq!(
            e.message,
            "Invalid x-amz-object-ownership header: RandomValue"
        );
        assert_eq!(extra(&e, "ArgumentName"), Some("x-amz-object-ownership"));
        assert_eq!(extra(&e, "ArgumentValue"), None);
    }

    #[test]
    fn an_enum_inside_the_body_is_malformed_xml() {
        let e = check(
            op("PutBucketVersioning"),
            &json!({"Bucket": "b", "VersioningConfiguration": {"Status": "Disabled"}}),
        )
        .unwrap_err();
        assert_eq!(e.code, "MalformedXML");
    }

    #[test]
    fn checksum_algorithm_and_encryption_and_encoding() {
        let e = check(
            op("CreateMultipartUpload"),
            &json!({"Bucket": "b", "Key": "k", "ChecksumAlgorithm": "FOO"}),
        )
        .unwrap_err();
        assert_eq!(e.code, "InvalidRequest");
        assert!(
            e.message
                .starts_with("Checksum algorithm provided is unsupported.")
        );
        let e = check(
            op("PutObject"),
            &json!({"Bucket": "b", "Key": "k", "ServerSideEncryption": "foo"}),
        )
        .unwrap_err();
        assert_eq!(
            e.message,
            "The encryption method specified is not supported"
        );
        let e = check(
            op("ListObjectsV2"),
            &json!({"Bucket": "b", "EncodingType": "foo"}),
        )
        .unwrap_err();
        assert_eq!(extra(&e, "ArgumentName"), Some("encoding-type"));
    }

    #[test]
    fn create_bucket_leaves_its_location_constraint_to_the_operation() {
        let input = json!({"Bucket": "b", "CreateBucketConfiguration": {"LocationConstraint": "us-east-1"}});
        assert!(check(op("CreateBucket"), &input).is_ok());
    }

    #[test]
    fn values_in_the_enum_and_unrecorded_parameters_pass() {
        let ok = json!({"Bucket": "b", "Key": "k", "ACL": "private", "StorageClass": "STANDARD"});
        assert!(check(op("PutObject"), &ok).is_ok());
        // No recorded answer for a bad metadata directive: the operation decides.
        let other =
            json!({"Bucket": "b", "Key": "k", "CopySource": "b/x", "MetadataDirective": "FOO"});
        assert!(check(op("CopyObject"), &other).is_ok());
    }
}
