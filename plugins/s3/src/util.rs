//! Small helpers shared by the operations: S3's errors, names, encodings.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ruststack_sdk::AwsError;
use ruststack_sdk::protocol::shapes::s3::{Tag, out};
use ruststack_sdk::protocol::typed::List;
use serde_json::{Value, json};

/// The canonical user id of account `000000000000` (the one LocalStack uses).
pub const DEFAULT_OWNER_ID: &str =
    "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a";

/// The canonical user id of `account`: 64 hex digits, as AWS's are, the same
/// for an account every time.
pub fn owner_id(account: &str) -> String {
    if account == ruststack_sdk::scope::DEFAULT_ACCOUNT {
        return DEFAULT_OWNER_ID.to_string();
    }
    use md5::{Digest, Md5};
    let half = |salt: &str| hex(&Md5::digest(format!("{salt}:{account}").as_bytes()));
    half("ruststack-owner") + &half("ruststack-owner-2")
}

/// The canonical user id of the calling account.
pub fn caller_id() -> String {
    owner_id(&ruststack_sdk::scope::caller_account())
}

/// The display name S3 gives every owner here.
const DISPLAY_NAME: &str = "webfile";

/// The `Owner` of what the calling account owns (a request reaches a
/// bucket's contents only as its owner).
pub fn owner() -> out::Owner {
    out::Owner::new().id(caller_id()).display_name(DISPLAY_NAME)
}

/// The `Initiator` of the calling account's multipart uploads.
pub fn initiator() -> out::Initiator {
    out::Initiator::new()
        .id(caller_id())
        .display_name(DISPLAY_NAME)
}

/// `NoSuchBucket` (404).
pub fn no_such_bucket(name: &str) -> AwsError {
    AwsError::new(404, "NoSuchBucket", "The specified bucket does not exist")
        .with_extra("BucketName", name)
}

/// `NoSuchKey` (404).
pub fn no_such_key(key: &str) -> AwsError {
    AwsError::new(404, "NoSuchKey", "The specified key does not exist.").with_extra("Key", key)
}

/// `NoSuchUpload` (404).
pub fn no_such_upload(id: &str) -> AwsError {
    AwsError::new(
        404,
        "NoSuchUpload",
        "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
    )
    .with_extra("UploadId", id)
}

/// `InvalidArgument` (400) naming the offending argument.
pub fn invalid_argument(msg: &str, name: &str, value: &str) -> AwsError {
    AwsError::client("InvalidArgument", msg)
        .with_extra("ArgumentName", name)
        .with_extra("ArgumentValue", value)
}

/// `PreconditionFailed` (412).
pub fn precondition_failed(condition: &str) -> AwsError {
    AwsError::new(
        412,
        "PreconditionFailed",
        "At least one of the pre-conditions you specified did not hold",
    )
    .with_extra("Condition", condition)
}

/// Lower-case hex.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Standard base64.
pub fn b64(b: &[u8]) -> String {
    B64.encode(b)
}

/// Decodes standard base64.
pub fn unb64(s: &str) -> Option<Vec<u8>> {
    B64.decode(s.trim()).ok()
}

/// Epoch milliseconds as the epoch-seconds JSON number the codec expects.
pub fn ts(ms: u64) -> Value {
    json!(ms / 1000)
}

/// Whether `name` follows S3's general purpose bucket naming rules.
pub fn valid_bucket_name(name: &str) -> bool {
    let b = name.as_bytes();
    if !(3..=63).contains(&b.len()) {
        return false;
    }
    let ok_char = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'.' || c == b'-';
    let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    if !b.iter().all(|&c| ok_char(c)) || !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    if name.contains("..") || name.contains(".-") || name.contains("-.") {
        return false;
    }
    let ip = name.split('.').count() == 4 && name.split('.').all(|p| p.parse::<u8>().is_ok());
    let reserved = ["xn--", "sthree-", "amzn-s3-demo-"]
        .iter()
        .any(|p| name.starts_with(p))
        || ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"]
            .iter()
            .any(|p| name.ends_with(p));
    !ip && !reserved
}

pub use ruststack_sdk::protocol::rest::virtual_bucket;

/// An ETag as S3 sends it: the stored hex digest in double quotes.
pub fn quoted(etag: &str) -> String {
    ["\"", etag, "\""].concat()
}

/// Parses a query string / `x-amz-tagging` header into tag pairs.
pub fn parse_tagging(s: &str) -> Vec<(String, String)> {
    ruststack_sdk::protocol::encoding::parse_form(s)
}

/// Tags as the model's `TagSet` value.
pub fn tag_set(tags: &[(String, String)]) -> Vec<out::Tag> {
    tags.iter()
        .map(|(k, v)| out::Tag::new().key(k.as_str()).value(v.as_str()))
        .collect()
}

/// Reads a model `TagSet` value into pairs, validating as S3 does.
pub fn tags_from(set: Option<List<'_, Tag<'_>>>) -> Result<Vec<(String, String)>, AwsError> {
    // Every tag as decoded: one that is not a structure has no members.
    let tags = set.map(|l| l.values()).unwrap_or_default();
    check_tags(tags.iter().map(Tag).map(|t| {
        (
            t.key().unwrap_or_default().to_string(),
            t.value().unwrap_or_default().to_string(),
        )
    }))
}

/// Validates tag pairs as S3 does (key length, value length, no repeated
/// key), keeping them in order.
pub fn check_tags(
    tags: impl IntoIterator<Item = (String, String)>,
) -> Result<Vec<(String, String)>, AwsError> {
    let mut out: Vec<(String, String)> = Vec::new();
    for (k, val) in tags {
        if k.is_empty() || k.chars().count() > 128 || val.chars().count() > 256 {
            return Err(AwsError::client(
                "InvalidTag",
                "The TagKey you have provided is invalid",
            ));
        }
        if out.iter().any(|(x, _)| *x == k) {
            return Err(AwsError::client(
                "InvalidTag",
                "Cannot provide multiple Tags with the same key",
            ));
        }
        out.push((k, val));
    }
    Ok(out)
}

/// `v` when it has elements: answers leave empty lists out.
pub fn non_empty<T>(v: Vec<T>) -> Option<Vec<T>> {
    (!v.is_empty()).then_some(v)
}

/// Percent-encodes a key for `EncodingType=url` listings.
pub fn url_encode(s: &str) -> String {
    ruststack_sdk::protocol::encoding::uri_encode(s, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_names() {
        for ok in ["abc", "my-bucket.1", "a1b", "0ab"] {
            assert!(valid_bucket_name(ok), "{ok}");
        }
        for bad in [
            "ab",
            "ABC",
            "a..b",
            "-ab",
            "ab-",
            "192.168.1.1",
            "xn--ab",
            "a_b",
            "ab-s3alias",
            &"a".repeat(64),
        ] {
            assert!(!valid_bucket_name(bad), "{bad}");
        }
    }

    #[test]
    fn virtual_hosts() {
        assert_eq!(virtual_bucket("b1.localhost").as_deref(), Some("b1"));
        assert_eq!(virtual_bucket("localhost"), None);
        assert_eq!(virtual_bucket("127.0.0.1"), None);
        assert_eq!(
            virtual_bucket("my.b.s3.localhost.localstack.cloud").as_deref(),
            Some("my.b")
        );
        assert_eq!(virtual_bucket("s3.localhost.localstack.cloud"), None);
        assert_eq!(
            virtual_bucket("b.s3.us-east-1.amazonaws.com").as_deref(),
            Some("b")
        );
        assert_eq!(virtual_bucket("s3.amazonaws.com"), None);
    }
}
