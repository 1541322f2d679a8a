//! Objects: put, get/head (ranges, conditionals, overrides), delete, batch
//! delete, copy, attributes, tagging, ACL, retention and legal hold — and
//! the versioning rules every write and delete follows.

use ruststack_sdk::blobs::{self, DigestAlgorithm};
use ruststack_sdk::protocol::encoding::percent_decode;
use ruststack_sdk::protocol::shapes::s3::{
    ObjectIdentifier, ObjectLockConfiguration, ObjectLockRetention, input, out, output,
};
use ruststack_sdk::protocol::time;
use ruststack_sdk::protocol::typed::Map;
use ruststack_sdk::{AwsError, BlobSlice, Body, ids};
use serde_json::{Value, json};

use crate::chunked;
use crate::dispatch::{Ctx, OpResult, reply};
use crate::store::{self, Bucket, Obj};
use crate::util::{self, non_empty};
use ruststack_sdk::http::Reply;

/// `ChecksumCRC32`: the key of a stored CRC32 checksum (its model member).
pub const CRC32: &str = "ChecksumCRC32";
/// `ChecksumCRC32C`: the key of a stored CRC32C checksum.
pub const CRC32C: &str = "ChecksumCRC32C";
/// `ChecksumCRC64NVME`: the key of a stored CRC64NVME checksum.
pub const CRC64NVME: &str = "ChecksumCRC64NVME";
/// `ChecksumSHA1`: the key of a stored SHA1 checksum.
pub const SHA1: &str = "ChecksumSHA1";
/// `ChecksumSHA256`: the key of a stored SHA256 checksum.
pub const SHA256: &str = "ChecksumSHA256";

/// Checksum members (the keys checksums are stored under) and the digest
/// that computes each; [`SentChecksums::values`] follows this order.
pub const CHECKSUMS: [(&str, DigestAlgorithm, &str); 5] = [
    (CRC32, DigestAlgorithm::Crc32, "CRC32"),
    (CRC32C, DigestAlgorithm::Crc32c, "CRC32C"),
    (CRC64NVME, DigestAlgorithm::Crc64nvme, "CRC64NVME"),
    (SHA1, DigestAlgorithm::Sha1, "SHA1"),
    (SHA256, DigestAlgorithm::Sha256, "SHA256"),
];

/// Sets the stored checksums `$sums` (by [`CHECKSUMS`] key) on the output
/// builder `$out`, each through its generated setter.
macro_rules! set_checksums {
    ($out:expr, $sums:expr) => {
        for (name, value) in $sums {
            let value = value.as_str();
            match name.as_str() {
                $crate::object::CRC32 => {
                    $out.set_checksum_crc32(value);
                }
                $crate::object::CRC32C => {
                    $out.set_checksum_crc32_c(value);
                }
                $crate::object::CRC64NVME => {
                    $out.set_checksum_crc64_nvme(value);
                }
                $crate::object::SHA1 => {
                    $out.set_checksum_sha1(value);
                }
                $crate::object::SHA256 => {
                    $out.set_checksum_sha256(value);
                }
                _ => {}
            }
        }
    };
}
pub(crate) use set_checksums;

/// The checksums a write sends: the algorithm it asks for and the values
/// of [`CHECKSUMS`], in that order.
pub struct SentChecksums<'a> {
    /// `ChecksumAlgorithm`.
    pub algorithm: Option<&'a str>,
    /// `ChecksumCRC32` .. `ChecksumSHA256`.
    pub values: [Option<&'a str>; 5],
}

/// The [`SentChecksums`] of a PutObject or UploadPart input view.
macro_rules! sent_checksums {
    ($v:expr) => {{
        let v = $v;
        $crate::object::SentChecksums {
            algorithm: v.checksum_algorithm(),
            values: [
                v.checksum_crc32(),
                v.checksum_crc32_c(),
                v.checksum_crc64_nvme(),
                v.checksum_sha1(),
                v.checksum_sha256(),
            ],
        }
    }};
}
pub(crate) use sent_checksums;

/// `CacheControl`: stored representation headers are kept under their
/// model member names.
const CACHE_CONTROL: &str = "CacheControl";
/// `ContentDisposition`.
const CONTENT_DISPOSITION: &str = "ContentDisposition";
/// `ContentEncoding`.
const CONTENT_ENCODING: &str = "ContentEncoding";
/// `ContentLanguage`.
const CONTENT_LANGUAGE: &str = "ContentLanguage";
/// `Expires`.
const EXPIRES: &str = "Expires";
/// `WebsiteRedirectLocation`.
const WEBSITE_REDIRECT_LOCATION: &str = "WebsiteRedirectLocation";

/// Representation headers stored with an object, by model member name;
/// [`WriteInput::headers`] follows this order.
const STORED_HEADERS: [&str; 6] = [
    CACHE_CONTROL,
    CONTENT_DISPOSITION,
    CONTENT_ENCODING,
    CONTENT_LANGUAGE,
    EXPIRES,
    WEBSITE_REDIRECT_LOCATION,
];

fn io() -> AwsError {
    AwsError::internal_failure()
}

/// The bucket and key of an object operation (its `Bucket` and `Key`).
pub fn bucket_key(bucket: Option<&str>, key: Option<&str>) -> Result<(Bucket, String), AwsError> {
    let b = store::require_bucket(bucket.unwrap_or_default())?;
    Ok((b, key.unwrap_or_default().to_string()))
}

/// The version id an answer reports: the object's, in a bucket whose
/// versioning was ever set.
pub fn version_of(b: &Bucket, o: &Obj) -> Option<String> {
    b.versioning.is_some().then(|| o.vid())
}

/// What an object write (PutObject, CopyObject, CreateMultipartUpload) says
/// about the object to store.
pub struct WriteInput<'a> {
    /// `ContentType`.
    pub content_type: Option<&'a str>,
    /// The representation headers, in [`STORED_HEADERS`] order.
    pub headers: [Option<&'a str>; 6],
    /// `Metadata`.
    pub metadata: Option<Map<'a, &'a str>>,
    /// `StorageClass`.
    pub storage_class: Option<&'a str>,
    /// `Tagging` (the `x-amz-tagging` query string).
    pub tagging: Option<&'a str>,
    /// `ACL`.
    pub acl: Option<&'a str>,
    /// `ObjectLockMode`.
    pub lock_mode: Option<&'a str>,
    /// `ObjectLockRetainUntilDate`.
    pub lock_until: Option<f64>,
    /// `ObjectLockLegalHoldStatus`.
    pub legal_hold: Option<&'a str>,
}

/// The [`WriteInput`] of a PutObject, CopyObject or CreateMultipartUpload
/// input view.
macro_rules! write_input {
    ($v:expr) => {{
        let v = $v;
        $crate::object::WriteInput {
            content_type: v.content_type(),
            headers: [
                v.cache_control(),
                v.content_disposition(),
                v.content_encoding(),
                v.content_language(),
                v.expires(),
                v.website_redirect_location(),
            ],
            metadata: v.metadata(),
            storage_class: v.storage_class(),
            tagging: v.tagging(),
            acl: v.acl(),
            lock_mode: v.object_lock_mode(),
            lock_until: v.object_lock_retain_until_date(),
            legal_hold: v.object_lock_legal_hold_status(),
        }
    }};
}
pub(crate) use write_input;

/// The ACL headers of an object write (PutObject, CopyObject,
/// CreateMultipartUpload: no `GrantWrite`, no ACL document).
macro_rules! write_acl {
    ($v:expr) => {{
        let v = $v;
        $crate::config::AclInput::headers(
            v.acl(),
            &[
                v.grant_full_control(),
                v.grant_read(),
                v.grant_read_acp(),
                v.grant_write_acp(),
            ],
        )
    }};
}
pub(crate) use write_acl;

/// The storage classes S3 accepts.
const CLASSES: [&str; 9] = [
    "STANDARD",
    "REDUCED_REDUNDANCY",
    "STANDARD_IA",
    "ONEZONE_IA",
    "INTELLIGENT_TIERING",
    "GLACIER",
    "DEEP_ARCHIVE",
    "GLACIER_IR",
    "EXPRESS_ONEZONE",
];

/// The object's metadata from a write request (headers, user metadata,
/// storage class, tags).
pub fn template(w: &WriteInput<'_>, key: &str) -> Result<Obj, AwsError> {
    let mut o = Obj {
        key: key.to_string(),
        content_type: Some(w.content_type.unwrap_or("binary/octet-stream").to_string()),
        ..Obj::default()
    };
    for (h, v) in STORED_HEADERS.iter().zip(w.headers) {
        if let Some(v) = v {
            o.headers.insert(h.to_string(), Value::from(v));
        }
    }
    // aws-chunked is transport framing, not the object's encoding.
    if let Some(enc) = o.headers.get(CONTENT_ENCODING).and_then(Value::as_str) {
        let rest: Vec<&str> = enc
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty() && *e != "aws-chunked")
            .collect();
        if rest.is_empty() {
            o.headers.remove(CONTENT_ENCODING);
        } else {
            o.headers
                .insert(CONTENT_ENCODING.into(), json!(rest.join(",")));
        }
    }
    for (k, v) in w.metadata.iter().flat_map(|m| m.iter()) {
        o.metadata
            .insert(k.to_ascii_lowercase(), crate::metadata::decode(v));
    }
    if let Some(sc) = w.storage_class {
        if !CLASSES.contains(&sc) {
            return Err(AwsError::client(
                "InvalidStorageClass",
                "The storage class you specified is not valid",
            )
            .with_extra("StorageClassRequested", sc));
        }
        o.storage_class = Some(sc.to_string());
    }
    if let Some(t) = w.tagging {
        o.tags = util::check_tags(util::parse_tagging(t))?;
    }
    if let Some(acl) = w.acl {
        o.acl = Some(crate::config::canned_acl(acl));
    }
    if let Some(mode) = w.lock_mode {
        let until = w.lock_until.map(time::epoch_json);
        o.retention = Some(json!({"Mode": mode, "RetainUntilDate": until}));
    }
    if let Some(h) = w.legal_hold {
        o.legal_hold = Some(h.to_string());
    }
    Ok(o)
}

/// Writes a new version of `o.key` by the bucket's versioning state, and
/// returns it as stored. Replaced unversioned bytes are deleted.
pub fn write(b: &Bucket, mut o: Obj) -> Obj {
    o.seq = store::next_seq(&b.name);
    o.modified_ms = ids::now_ms();
    match b.versioning.as_deref() {
        None => {
            if let Some(old) = store::object(&b.name, &o.key) {
                store::drop_blob(&old);
            }
            o.version_id = None;
        }
        Some(status) => {
            if status == "Enabled" {
                o.version_id = Some(new_version_id());
            } else {
                o.version_id = None;
                remove_null_version(b, &o.key);
            }
            store::put_version(&b.name, &o);
        }
    }
    if o.delete_marker {
        store::delete_current(&b.name, &o.key);
    } else {
        store::put_object(&b.name, &o);
    }
    o
}

fn remove_null_version(b: &Bucket, key: &str) {
    for v in store::key_versions(&b.name, key) {
        if v.version_id.is_none() {
            store::drop_blob(&v);
            store::delete_version(&b.name, &v);
        }
    }
}

/// A version id in the shape S3 uses (32 URL-safe characters).
fn new_version_id() -> String {
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._";
    ids::random_bytes(32)
        .iter()
        .map(|b| alphabet[(*b as usize) % alphabet.len()] as char)
        .collect()
}

/// The version a request names (`versionId`), or the current one. Missing
/// keys are `NoSuchKey` (with the delete-marker headers when the latest
/// version is a marker); a version id that is not there is `NoSuchVersion`.
pub fn find(b: &Bucket, key: &str, vid: Option<&str>) -> Result<Obj, AwsError> {
    match vid {
        None => store::object(&b.name, key).ok_or_else(|| {
            let mut e = util::no_such_key(key);
            if b.versioning.is_some()
                && let Some(latest) = store::key_versions(&b.name, key).into_iter().next()
                && latest.delete_marker
            {
                e = e
                    .with_header("x-amz-delete-marker", "true")
                    .with_header("x-amz-version-id", latest.vid());
            }
            e
        }),
        Some(v) => {
            let found = if b.versioning.is_none() {
                store::object(&b.name, key).filter(|o| v == "null" && o.version_id.is_none())
            } else {
                store::key_versions(&b.name, key)
                    .into_iter()
                    .find(|o| o.vid() == v)
            };
            found.ok_or_else(|| {
                if v != "null" && v.len() != 32 {
                    util::invalid_argument("Invalid version id specified", "versionId", v)
                } else {
                    AwsError::new(
                        404,
                        "NoSuchVersion",
                        "The specified version does not exist.",
                    )
                    .with_extra("Key", key)
                    .with_extra("VersionId", v)
                }
            })
        }
    }
}

/// Whether an `If-Match`-style header value matches the ETag.
fn etag_matches(header: &str, etag: &str) -> bool {
    header
        .split(',')
        .map(|t| t.trim().trim_start_matches("W/").trim_matches('"'))
        .any(|t| t == "*" || t == etag)
}

/// The preconditions of a read (`If-*`) or of a copy's source
/// (`x-amz-copy-source-if-*`).
#[derive(Clone, Copy)]
pub struct Conditions<'a> {
    /// `IfMatch` / `CopySourceIfMatch`.
    pub if_match: Option<&'a str>,
    /// `IfNoneMatch` / `CopySourceIfNoneMatch`.
    pub if_none_match: Option<&'a str>,
    /// `IfModifiedSince` / `CopySourceIfModifiedSince`.
    pub if_modified_since: Option<f64>,
    /// `IfUnmodifiedSince` / `CopySourceIfUnmodifiedSince`.
    pub if_unmodified_since: Option<f64>,
}

/// The [`Conditions`] on the source of a CopyObject or UploadPartCopy input
/// view.
macro_rules! copy_conditions {
    ($v:expr) => {{
        let v = $v;
        $crate::object::Conditions {
            if_match: v.copy_source_if_match(),
            if_none_match: v.copy_source_if_none_match(),
            if_modified_since: v.copy_source_if_modified_since(),
            if_unmodified_since: v.copy_source_if_unmodified_since(),
        }
    }};
}
pub(crate) use copy_conditions;

/// Evaluates GET/HEAD conditions in S3's order: 412 for If-Match /
/// If-Unmodified-Since, 304 for If-None-Match / If-Modified-Since (a copy's
/// source conditions, `copy`, answer 412 for both).
fn check_conditions(o: &Obj, c: &Conditions<'_>, copy: bool) -> Result<(), AwsError> {
    let modified = (o.modified_ms / 1000) as f64;
    if let Some(m) = c.if_match {
        if !etag_matches(m, &o.etag) {
            return Err(util::precondition_failed("If-Match"));
        }
    } else if let Some(t) = c.if_unmodified_since
        && modified > t
    {
        return Err(util::precondition_failed("If-Unmodified-Since"));
    }
    let not_modified = || {
        if copy {
            util::precondition_failed("x-amz-copy-source-If-None-Match")
        } else {
            AwsError::new(304, "NotModified", "Not Modified")
                .with_header("ETag", util::quoted(&o.etag))
                .with_header("Last-Modified", time::format_rfc822(modified))
        }
    };
    if let Some(m) = c.if_none_match {
        if etag_matches(m, &o.etag) {
            return Err(not_modified());
        }
    } else if let Some(t) = c.if_modified_since
        && modified <= t
        && (c.if_match.is_none() || !copy)
    {
        return Err(not_modified());
    }
    Ok(())
}

/// Verifies Content-MD5 and the `x-amz-checksum-*` values sent (as headers
/// or trailers) against the stored bytes; computes the checksum an SDK asked
/// for without sending a value. Returns the checksums to store.
pub fn verify_body(
    ctx: &Ctx,
    sent: &SentChecksums<'_>,
    blob: &str,
    trailers: &[(String, String)],
) -> Result<std::collections::BTreeMap<String, String>, AwsError> {
    if let Some(md5) = ctx.header("content-md5") {
        let want = util::unb64(md5).filter(|b| b.len() == 16).ok_or_else(|| {
            AwsError::client(
                "InvalidDigest",
                "The Content-MD5 you specified was invalid.",
            )
            .with_extra("Content-MD5", md5)
        })?;
        let got = blobs::digest(blob, DigestAlgorithm::Md5).map_err(|_| io())?;
        if got != want {
            return Err(AwsError::client(
                "BadDigest",
                "The Content-MD5 you specified did not match what we received.",
            )
            .with_extra("ExpectedDigest", md5)
            .with_extra("CalculatedDigest", util::b64(&got)));
        }
    }
    let mut out = std::collections::BTreeMap::new();
    let asked = sent.algorithm.map(str::to_string).or_else(|| {
        ctx.header("x-amz-trailer")
            .and_then(|t| t.strip_prefix("x-amz-checksum-"))
            .map(str::to_ascii_uppercase)
    });
    for ((member, alg, name), value) in CHECKSUMS.into_iter().zip(sent.values) {
        let header = format!("x-amz-checksum-{}", name.to_ascii_lowercase());
        let sent = value.map(str::to_string).or_else(|| {
            trailers
                .iter()
                .find(|(k, _)| *k == header)
                .map(|(_, v)| v.clone())
        });
        let want = asked.as_deref() == Some(name);
        if sent.is_none() && !want {
            continue;
        }
        let got = util::b64(&blobs::digest(blob, alg).map_err(|_| io())?);
        if let Some(sent) = sent
            && sent != got
        {
            return Err(AwsError::client(
                "BadDigest",
                format!("The {name} you specified did not match the calculated checksum."),
            ));
        }
        out.insert(member.to_string(), got);
    }
    Ok(out)
}

/// Conditional writes: `If-None-Match: *` and `If-Match: <etag>` (the
/// input's `IfNoneMatch` and `IfMatch`).
pub fn check_write_conditions(
    b: &Bucket,
    key: &str,
    if_none_match: Option<&str>,
    if_match: Option<&str>,
) -> Result<(), AwsError> {
    let current = store::object(&b.name, key);
    if let Some(m) = if_none_match {
        if m.trim() != "*" {
            return Err(AwsError::new(
                501,
                "NotImplemented",
                "A header you provided implies functionality that is not implemented",
            )
            .with_extra("Header", "If-None-Match"));
        }
        if current.is_some() {
            return Err(util::precondition_failed("If-None-Match"));
        }
    }
    if let Some(m) = if_match {
        match &current {
            None => return Err(util::no_such_key(key)),
            Some(o) if !etag_matches(m, &o.etag) => {
                return Err(util::precondition_failed("If-Match"));
            }
            _ => {}
        }
    }
    Ok(())
}

/// S3 stores a body only when it knows its length up front: from
/// `Content-Length`, or for `aws-chunked` bodies `x-amz-decoded-content-length`.
pub fn require_content_length(ctx: &Ctx) -> Result<(), AwsError> {
    if ctx.header("content-length").is_some()
        || ctx.header("x-amz-decoded-content-length").is_some()
    {
        return Ok(());
    }
    Err(AwsError::new(
        411,
        "MissingContentLength",
        "You must provide the Content-Length HTTP header.",
    ))
}

/// PutObject.
pub fn put_object(ctx: &Ctx, input: input::PutObject<'_>) -> OpResult {
    let (b, key) = bucket_key(input.bucket(), input.key())?;
    if key.is_empty() {
        return Err(AwsError::client(
            "InvalidRequest",
            "A key must be specified",
        ));
    }
    if key.len() > 1024 {
        return Err(AwsError::client("KeyTooLongError", "Your key is too long")
            .with_extra("MaxSizeAllowed", "1024")
            .with_extra("Size", key.len().to_string()));
    }
    crate::config::check_acl_allowed(&b.name, &write_acl!(input))?;
    require_content_length(ctx)?;
    let mut o = template(&write_input!(input), &key)?;
    check_write_conditions(&b, &key, input.if_none_match(), input.if_match())?;
    let body = chunked::ingest(ctx.req)?;
    o.checksums = match verify_body(ctx, &sent_checksums!(input), &body.blob, &body.trailers) {
        Ok(c) => c,
        Err(e) => {
            let _ = blobs::delete(&body.blob);
            return Err(e);
        }
    };
    o.etag = util::hex(&blobs::digest(&body.blob, DigestAlgorithm::Md5).map_err(|_| io())?);
    o.blob = body.blob;
    o.size = body.size;
    default_retention(&b, &mut o);
    let o = write(&b, o);
    crate::notify::object_event(ctx, &b, "ObjectCreated:Put", &o);
    let mut out = output::PutObject::new()
        .e_tag(util::quoted(&o.etag))
        .server_side_encryption("AES256")
        .version_id(version_of(&b, &o));
    set_checksums!(out, &o.checksums);
    if !o.checksums.is_empty() {
        out.set_checksum_type("FULL_OBJECT");
    }
    Ok(reply(out))
}

/// The response overrides of a GetObject / HeadObject (`response-*` query
/// parameters), each replacing the member it names.
#[derive(Clone, Copy)]
struct Overrides<'a> {
    cache_control: Option<&'a str>,
    content_disposition: Option<&'a str>,
    content_encoding: Option<&'a str>,
    content_language: Option<&'a str>,
    content_type: Option<&'a str>,
    expires: Option<f64>,
}

/// What GetObject and HeadObject read from their inputs.
struct ObjectRead<'a> {
    bucket: Option<&'a str>,
    key: Option<&'a str>,
    version_id: Option<&'a str>,
    conditions: Conditions<'a>,
    checksum_mode: Option<&'a str>,
    part_number: Option<i64>,
    overrides: Overrides<'a>,
}

/// The [`ObjectRead`] of a GetObject or HeadObject input view.
macro_rules! object_read {
    ($v:expr) => {{
        let v = $v;
        ObjectRead {
            bucket: v.bucket(),
            key: v.key(),
            version_id: v.version_id(),
            conditions: Conditions {
                if_match: v.if_match(),
                if_none_match: v.if_none_match(),
                if_modified_since: v.if_modified_since(),
                if_unmodified_since: v.if_unmodified_since(),
            },
            checksum_mode: v.checksum_mode(),
            part_number: v.part_number(),
            overrides: Overrides {
                cache_control: v.response_cache_control(),
                content_disposition: v.response_content_disposition(),
                content_encoding: v.response_content_encoding(),
                content_language: v.response_content_language(),
                content_type: v.response_content_type(),
                expires: v.response_expires(),
            },
        }
    }};
}

/// What a GetObject / HeadObject answers besides the stored object: whether
/// checksums show, the part count and range of a part or range read, its
/// length, and the response overrides.
struct Shown<'a> {
    checksums: bool,
    parts_count: Option<usize>,
    content_range: Option<String>,
    content_length: u64,
    overrides: Overrides<'a>,
}

/// Defines `$name`, the `$builder` output of GetObject or HeadObject (whose
/// members are the same) describing object `o` as `shown`.
macro_rules! object_output {
    ($name:ident, $builder:ty) => {
        /// The output members describing a stored object.
        fn $name(b: &Bucket, o: &Obj, shown: &Shown<'_>) -> $builder {
            let mut m = <$builder>::new()
                .e_tag(util::quoted(&o.etag))
                .last_modified(util::ts(o.modified_ms))
                .accept_ranges("bytes")
                .server_side_encryption("AES256")
                .content_type(o.content_type.as_deref());
            for (k, v) in &o.headers {
                let v = v.clone();
                match k.as_str() {
                    CACHE_CONTROL => m.set_cache_control(v),
                    CONTENT_DISPOSITION => m.set_content_disposition(v),
                    CONTENT_ENCODING => m.set_content_encoding(v),
                    CONTENT_LANGUAGE => m.set_content_language(v),
                    EXPIRES => m.set_expires(v),
                    WEBSITE_REDIRECT_LOCATION => m.set_website_redirect_location(v),
                    _ => &mut m,
                };
            }
            if !o.metadata.is_empty() {
                m.set_metadata(metadata(o));
            }
            m.set_version_id(version_of(b, o));
            m.set_storage_class(o.storage_class.as_deref().filter(|s| *s != "STANDARD"));
            if !o.tags.is_empty() {
                m.set_tag_count(o.tags.len());
            }
            if let Some(r) = o.retention.as_ref().map(ObjectLockRetention) {
                m.set_object_lock_mode(r.mode());
                m.set_object_lock_retain_until_date(r.retain_until_date().map(time::epoch_json));
            }
            m.set_object_lock_legal_hold_status(o.legal_hold.as_deref());
            if shown.checksums {
                set_checksums!(m, &o.checksums);
                if !o.checksums.is_empty() {
                    m.set_checksum_type(crate::list::checksum_type(o));
                }
            }
            m.set_parts_count(shown.parts_count);
            m.set_content_range(shown.content_range.as_deref());
            m.set_content_length(shown.content_length);
            let ov = &shown.overrides;
            if let Some(v) = ov.cache_control {
                m.set_cache_control(v);
            }
            if let Some(v) = ov.content_disposition {
                m.set_content_disposition(v);
            }
            if let Some(v) = ov.content_encoding {
                m.set_content_encoding(v);
            }
            if let Some(v) = ov.content_language {
                m.set_content_language(v);
            }
            if let Some(v) = ov.content_type {
                m.set_content_type(v);
            }
            if let Some(v) = ov.expires {
                // `Expires` is a string member (a stored object's header is
                // kept as sent); `response-expires` is a timestamp, answered
                // as an HTTP date.
                m.set_expires(time::format_rfc822(v));
            }
            m
        }
    };
}
object_output!(get_output, output::GetObject);
object_output!(head_output, output::HeadObject);

/// The object's user metadata as the `Metadata` member.
fn metadata(o: &Obj) -> Value {
    Value::Object(
        o.metadata
            .iter()
            .map(|(k, v)| (k.clone(), Value::from(crate::metadata::encode(v))))
            .collect(),
    )
}

/// A parsed `Range` header: `Some(Ok((first, last)))`, `Some(Err)` when
/// unsatisfiable, `None` when absent or malformed (S3 then ignores it).
pub fn parse_range(h: &str, size: u64) -> Option<Result<(u64, u64), ()>> {
    let spec = h.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (a, z) = spec.split_once('-')?;
    let (a, z) = (a.trim(), z.trim());
    if a.is_empty() {
        let n: u64 = z.parse().ok()?;
        if n == 0 || size == 0 {
            return Some(Err(()));
        }
        return Some(Ok((size.saturating_sub(n), size - 1)));
    }
    let a: u64 = a.parse().ok()?;
    let z: Option<u64> = if z.is_empty() {
        None
    } else {
        Some(z.parse().ok()?)
    };
    if z.is_some_and(|z| z < a) {
        return None;
    }
    if a >= size {
        return Some(Err(()));
    }
    Some(Ok((a, z.unwrap_or(size - 1).min(size - 1))))
}

/// GetObject.
pub fn get_object(ctx: &Ctx, input: input::GetObject<'_>) -> OpResult {
    read(ctx, object_read!(input), false)
}

/// HeadObject.
pub fn head_object(ctx: &Ctx, input: input::HeadObject<'_>) -> OpResult {
    read(ctx, object_read!(input), true)
}

/// GetObject and HeadObject (`head`).
fn read(ctx: &Ctx, r: ObjectRead<'_>, head: bool) -> OpResult {
    let (b, key) = bucket_key(r.bucket, r.key)?;
    let o = find(&b, &key, r.version_id)?;
    if o.delete_marker {
        return Err(AwsError::new(
            405,
            "MethodNotAllowed",
            "The specified method is not allowed against this resource.",
        )
        .with_extra("Method", if head { "HEAD" } else { "GET" })
        .with_extra("ResourceType", "DeleteMarker")
        .with_header("x-amz-delete-marker", "true")
        .with_header("x-amz-version-id", o.vid())
        .with_header(
            "Last-Modified",
            time::format_rfc822((o.modified_ms / 1000) as f64),
        ));
    }
    check_conditions(&o, &r.conditions, false)?;
    let checksums = r.checksum_mode == Some("ENABLED");
    let mut window = (0, o.size);
    let mut status = None;
    let mut parts_count = None;
    let mut content_range = None;
    if let Some(pn) = r.part_number {
        let parts: Vec<u64> = if o.parts.is_empty() {
            vec![o.size]
        } else {
            o.parts.clone()
        };
        if pn < 1 || pn as usize > parts.len() {
            return Err(AwsError::new(
                416,
                "InvalidPartNumber",
                "The requested partnumber is not satisfiable",
            )
            .with_extra("PartNumberRequested", pn.to_string())
            .with_extra("ActualPartCount", parts.len().to_string()));
        }
        let start: u64 = parts[..pn as usize - 1].iter().sum();
        let len = parts[pn as usize - 1];
        window = (start, len);
        parts_count = Some(parts.len());
        if !o.parts.is_empty() {
            status = Some(206);
            content_range = Some(format!(
                "bytes {}-{}/{}",
                start,
                start + len.max(1) - 1,
                o.size
            ));
        }
    } else if let Some(rg) = ctx.header("range").and_then(|h| parse_range(h, o.size)) {
        let (a, z) = rg.map_err(|()| {
            AwsError::new(
                416,
                "InvalidRange",
                "The requested range is not satisfiable",
            )
            .with_extra("RangeRequested", ctx.header("range").unwrap_or_default())
            .with_extra("ActualObjectSize", o.size.to_string())
        })?;
        window = (a, z - a + 1);
        status = Some(206);
        content_range = Some(format!("bytes {a}-{z}/{}", o.size));
    }
    let shown = Shown {
        // A full-object checksum cannot describe part of the object.
        checksums: checksums && status != Some(206),
        parts_count,
        content_range,
        content_length: window.1,
        overrides: r.overrides,
    };
    let value = if head {
        Value::from(head_output(&b, &o, &shown))
    } else {
        Value::from(get_output(&b, &o, &shown))
    };
    let body = if head || window.1 == 0 {
        None
    } else {
        Some(Body::Blob(BlobSlice {
            blob: o.blob.clone(),
            offset: window.0,
            length: Some(window.1),
        }))
    };
    Ok(Reply {
        value,
        body,
        status,
        ..Reply::default()
    })
}

/// Returns (version id to report, whether a delete marker was made or
/// removed).
fn remove(
    ctx: &Ctx,
    b: &Bucket,
    key: &str,
    vid: Option<&str>,
) -> Result<(Option<String>, bool), AwsError> {
    match (b.versioning.as_deref(), vid) {
        (None, None) | (None, Some("null")) => {
            if let Some(o) = store::object(&b.name, key) {
                store::drop_blob(&o);
                store::delete_current(&b.name, key);
                crate::notify::object_event(ctx, b, "ObjectRemoved:Delete", &o);
            }
            Ok((None, false))
        }
        (None, Some(v)) => Err(util::invalid_argument(
            "Invalid version id specified",
            "versionId",
            v,
        )),
        (Some(_), None) => {
            let marker = write(
                b,
                Obj {
                    key: key.to_string(),
                    delete_marker: true,
                    ..Obj::default()
                },
            );
            crate::notify::object_event(ctx, b, "ObjectRemoved:DeleteMarkerCreated", &marker);
            Ok((Some(marker.vid()), true))
        }
        (Some(_), Some(v)) => {
            let versions = store::key_versions(&b.name, key);
            let Some(pos) = versions.iter().position(|o| o.vid() == v) else {
                if v != "null" && v.len() != 32 {
                    return Err(util::invalid_argument(
                        "Invalid version id specified",
                        "versionId",
                        v,
                    ));
                }
                return Ok((Some(v.to_string()), false));
            };
            let o = &versions[pos];
            check_lock(ctx, o)?;
            store::drop_blob(o);
            store::delete_version(&b.name, o);
            if pos == 0 {
                match versions.get(1) {
                    Some(next) if !next.delete_marker => store::put_object(&b.name, next),
                    _ => store::delete_current(&b.name, key),
                }
            }
            if !o.delete_marker {
                crate::notify::object_event(ctx, b, "ObjectRemoved:Delete", o);
            }
            Ok((Some(v.to_string()), o.delete_marker))
        }
    }
}

/// Object Lock: a version under legal hold, or retained until a future
/// date (GOVERNANCE can be bypassed with `x-amz-bypass-governance-retention`),
/// cannot be deleted.
fn check_lock(ctx: &Ctx, o: &Obj) -> Result<(), AwsError> {
    let denied = || {
        AwsError::new(
            403,
            "AccessDenied",
            "Access Denied because object protected by object lock.",
        )
    };
    if o.legal_hold.as_deref() == Some("ON") {
        return Err(denied());
    }
    if let Some(r) = o.retention.as_ref().map(ObjectLockRetention) {
        let until = r.retain_until_date().unwrap_or(0.0);
        let now = ctx.req.context.received_at_ms as f64 / 1000.0;
        let bypass = r.mode() == Some("GOVERNANCE")
            && ctx
                .header("x-amz-bypass-governance-retention")
                .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        if until > now && !bypass {
            return Err(denied());
        }
    }
    Ok(())
}

/// Applies the bucket's default retention (Object Lock configuration) to a
/// new version that names none.
pub fn default_retention(b: &Bucket, o: &mut Obj) {
    if !b.object_lock || o.retention.is_some() {
        return;
    }
    let Some(cfg) = store::config(&b.name, "ObjectLock") else {
        return;
    };
    let Some(d) = ObjectLockConfiguration(&cfg)
        .rule()
        .and_then(|r| r.default_retention())
    else {
        return;
    };
    let days = d
        .days()
        .map(|n| n as f64)
        .or_else(|| d.years().map(|y| y as f64 * 365.0));
    if let (Some(mode), Some(days)) = (d.mode(), days) {
        let until = (ids::now_ms() / 1000) as f64 + days * 86_400.0;
        o.retention = Some(json!({"Mode": mode, "RetainUntilDate": until}));
    }
}

/// DeleteObject.
pub fn delete_object(ctx: &Ctx, input: input::DeleteObject<'_>) -> OpResult {
    let (b, key) = bucket_key(input.bucket(), input.key())?;
    let (vid, marker) = remove(ctx, &b, &key, input.version_id())?;
    Ok(reply(
        output::DeleteObject::new()
            .version_id(vid)
            .delete_marker(marker.then_some(true)),
    ))
}

/// DeleteObjects (up to 1000 keys; `Quiet` reports errors only).
pub fn delete_objects(ctx: &Ctx, input: input::DeleteObjects<'_>) -> OpResult {
    let b = store::require_bucket(input.bucket().unwrap_or_default())?;
    let delete = input.delete();
    // Every object as decoded: one that is not a structure has no members.
    let objects = delete
        .and_then(|d| d.objects())
        .map(|l| l.values())
        .unwrap_or_default();
    if objects.len() > 1000 {
        return Err(AwsError::malformed_xml());
    }
    let quiet = delete.and_then(|d| d.quiet()).unwrap_or(false);
    let (mut deleted, mut errors) = (Vec::new(), Vec::new());
    for o in objects.iter().map(ObjectIdentifier) {
        let key = o.key().unwrap_or_default();
        let vid = o.version_id();
        match remove(ctx, &b, key, vid) {
            Ok((v, marker)) => {
                if !quiet {
                    deleted.push(deleted_entry(key, vid, v, marker));
                }
            }
            Err(e) => errors.push(
                out::Error::new()
                    .key(key)
                    .code(e.code)
                    .message(e.message)
                    .version_id(vid),
            ),
        }
    }
    Ok(reply(
        output::DeleteObjects::new()
            .deleted(non_empty(deleted))
            .errors(non_empty(errors)),
    ))
}

/// A `Deleted` entry of DeleteObjects: the key and version asked for
/// (`vid`), and the delete marker made (`made`) or removed.
fn deleted_entry(
    key: &str,
    vid: Option<&str>,
    made: Option<String>,
    marker: bool,
) -> out::DeletedObject {
    let mut d = out::DeletedObject::new().key(key);
    if vid.is_some() {
        d.set_version_id(vid);
        if marker {
            d.set_delete_marker(true);
            d.set_delete_marker_version_id(vid);
        }
    } else if marker {
        d.set_delete_marker(true);
        d.set_delete_marker_version_id(made);
    }
    d
}

/// Parses `x-amz-copy-source` (`[/]bucket/key[?versionId=v]`, URL-encoded:
/// the input's `CopySource`) and checks the source's conditions.
pub fn copy_source(
    source: Option<&str>,
    conditions: &Conditions<'_>,
) -> Result<(Bucket, Obj), AwsError> {
    let raw = source.unwrap_or_default();
    let (path, query) = raw.split_once('?').unwrap_or((raw, ""));
    let path = percent_decode(path.trim_start_matches('/'));
    let bad = || {
        AwsError::client("InvalidArgument", "Invalid copy source object key")
            .with_extra("ArgumentName", "x-amz-copy-source")
            .with_extra("ArgumentValue", raw)
    };
    let (bucket, key) = path.split_once('/').ok_or_else(bad)?;
    if key.is_empty() {
        return Err(bad());
    }
    let vid = query
        .split('&')
        .find_map(|p| p.strip_prefix("versionId="))
        .map(percent_decode);
    let b = store::require_bucket(bucket)?;
    let o = find(&b, key, vid.as_deref())?;
    if o.delete_marker {
        return Err(AwsError::client(
            "InvalidRequest",
            "The source of a copy request may not specifically refer to a delete marker by version id.",
        ));
    }
    check_conditions(&o, conditions, true)?;
    Ok((b, o))
}

/// CopyObject: a new blob composed from the source (no bytes copied), with
/// metadata and tags copied or replaced by the directives.
pub fn copy_object(ctx: &Ctx, input: input::CopyObject<'_>) -> OpResult {
    let (b, key) = bucket_key(input.bucket(), input.key())?;
    let (sb, src) = copy_source(input.copy_source(), &copy_conditions!(input))?;
    let replace_meta = input.metadata_directive() == Some("REPLACE");
    let replace_tags = input.tagging_directive() == Some("REPLACE");
    // (CopyObject's input has no `VersionId`: the source's is in CopySource.)
    let same = sb.name == b.name && src.key == key;
    let changes = replace_meta
        || input.storage_class().is_some()
        || input.website_redirect_location().is_some()
        || input.server_side_encryption().is_some()
        || input.ssekms_key_id().is_some();
    if same
        && !changes
        && input
            .copy_source()
            .is_some_and(|c| !c.contains("versionId"))
    {
        return Err(AwsError::client(
            "InvalidRequest",
            "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
        ));
    }
    check_write_conditions(&b, &key, input.if_none_match(), input.if_match())?;
    crate::config::check_acl_allowed(&b.name, &write_acl!(input))?;
    let mut o = if replace_meta {
        template(&write_input!(input), &key)?
    } else {
        let mut o = src.clone();
        o.key = key.clone();
        if let Some(sc) = input.storage_class() {
            o.storage_class = Some(sc.to_string());
        }
        o.retention = None;
        o.legal_hold = None;
        o
    };
    if replace_tags {
        o.tags = match input.tagging() {
            Some(t) => util::parse_tagging(t),
            None => Vec::new(),
        };
    } else {
        o.tags = src.tags.clone();
    }
    o.blob = blobs::compose(&[blobs::whole(&src.blob)]).map_err(|_| io())?;
    o.size = src.size;
    o.etag = src.etag.clone();
    o.parts = src.parts.clone();
    o.checksums = src.checksums.clone();
    o.version_id = None;
    o.delete_marker = false;
    let o = write(&b, o);
    crate::notify::object_event(ctx, &b, "ObjectCreated:Copy", &o);
    let mut result = out::CopyObjectResult::new()
        .e_tag(util::quoted(&o.etag))
        .last_modified(util::ts(o.modified_ms));
    set_checksums!(result, &o.checksums);
    Ok(reply(
        output::CopyObject::new()
            .copy_object_result(result)
            .server_side_encryption("AES256")
            .version_id(version_of(&b, &o))
            .copy_source_version_id(version_of(&sb, &src)),
    ))
}

/// GetObjectAttributes.
pub fn get_object_attributes(_ctx: &Ctx, input: input::GetObjectAttributes<'_>) -> OpResult {
    let (b, key) = bucket_key(input.bucket(), input.key())?;
    let o = find(&b, &key, input.version_id())?;
    if o.delete_marker {
        return Err(util::no_such_key(&key));
    }
    let wanted: Vec<&str> = input
        .object_attributes()
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    if wanted.is_empty() {
        return Err(AwsError::client(
            "InvalidArgument",
            "Invalid attribute name specified.",
        ));
    }
    let mut out = output::GetObjectAttributes::new()
        .last_modified(util::ts(o.modified_ms))
        .version_id(version_of(&b, &o));
    for w in wanted {
        match w {
            "ETag" => {
                out.set_e_tag(o.etag.as_str());
            }
            "ObjectSize" => {
                out.set_object_size(o.size);
            }
            "StorageClass" => {
                out.set_storage_class(o.storage_class.as_deref().unwrap_or("STANDARD"));
            }
            "Checksum" if !o.checksums.is_empty() => {
                let mut c = out::Checksum::new();
                set_checksums!(c, &o.checksums);
                out.set_checksum(c.checksum_type(crate::list::checksum_type(&o)));
            }
            "ObjectParts" if !o.parts.is_empty() => {
                let parts = out::GetObjectAttributesParts::new().total_parts_count(o.parts.len());
                out.set_object_parts(parts);
            }
            "Checksum" | "ObjectParts" => {}
            other => {
                return Err(util::invalid_argument(
                    "Invalid attribute name specified.",
                    "x-amz-object-attributes",
                    other,
                ));
            }
        }
    }
    Ok(reply(out))
}

/// Applies `f` to the version a request names and stores it back.
fn update_version(
    b: &Bucket,
    key: &str,
    vid: Option<&str>,
    f: impl FnOnce(&mut Obj),
) -> Result<Obj, AwsError> {
    let mut o = find(b, key, vid)?;
    if o.delete_marker {
        return Err(AwsError::new(
            405,
            "MethodNotAllowed",
            "The specified method is not allowed against this resource.",
        ));
    }
    f(&mut o);
    if b.versioning.is_some() {
        store::put_version(&b.name, &o);
    }
    if store::object(&b.name, key).is_some_and(|c| c.seq == o.seq) {
        store::put_object(&b.name, &o);
    }
    Ok(o)
}

/// GetObjectTagging (an untagged object has an empty TagSet).
pub fn get_object_tagging(_ctx: &Ctx, input: input::GetObjectTagging<'_>) -> OpResult {
    let (b, key) = bucket_key(input.bucket(), input.key())?;
    let o = find(&b, &key, input.version_id())?;
    Ok(reply(
        output::GetObjectTagging::new()
            .tag_set(util::tag_set(&o.tags))
            .version_id(version_of(&b, &o)),
    ))
}

/// PutObjectTagging.
pub fn put_object_tagging(_ctx: &Ctx, input: input::PutObjectTagging<'_>) -> OpResult {
    let (b, key) = bucket_key(input.bucket(), input.key())?;
    let tags = util::tags_from(input.tagging().and_then(|t| t.tag_set()))?;
    if tags.len() > 10 {
        return Err(AwsError::client(
            "BadRequest",
            "Object tags cannot be greater than 10",
        ));
    }
    let o = update_version(&b, &key, input.version_id(), |o| o.tags = tags)?;
    Ok(reply(
        output::PutObjectTagging::new().version_id(version_of(&b, &o)),
    ))
}

/// DeleteObjectTagging.
pub fn delete_object_tagging(_ctx: &Ctx, input: input::DeleteObjectTagging<'_>) -> OpResult {
    let (b, key) = bucket_key(input.bucket(), input.key())?;
    let o = update_version(&b, &key, input.version_id(), |o| o.tags.clear())?;
    Ok(reply(
        output::DeleteObjectTagging::new().version_id(version_of(&b, &o)),
    ))
}

/// GetObjectAcl: the stored ACL document is the output.
pub fn get_object_acl(_ctx: &Ctx, input: input::GetObjectAcl<'_>) -> OpResult {
    let (b, key) = bucket_key(input.bucket(), input.key())?;
    let o = find(&b, &key, input.version_id())?;
    let acl = o
        .acl
        .clone()
        .unwrap_or_else(|| crate::config::canned_acl("private"));
    Ok(reply(acl))
}

/// PutObjectAcl (canned ACL header or an AccessControlPolicy document).
pub fn put_object_acl(_ctx: &Ctx, input: input::PutObjectAcl<'_>) -> OpResult {
    let (b, key) = bucket_key(input.bucket(), input.key())?;
    let acl = crate::config::put_acl_input!(input);
    crate::config::check_acl_allowed(&b.name, &acl)?;
    let acl = crate::config::acl_from_input(&acl)?;
    update_version(&b, &key, input.version_id(), |o| o.acl = Some(acl))?;
    // (PutObjectAcl's output has no VersionId.)
    Ok(reply(output::PutObjectAcl::new()))
}

/// The bucket and key of an Object Lock operation, whose bucket must have
/// Object Lock.
fn locked(bucket: Option<&str>, key: Option<&str>) -> Result<(Bucket, String), AwsError> {
    let (b, key) = bucket_key(bucket, key)?;
    if !b.object_lock {
        return Err(AwsError::client(
            "InvalidRequest",
            "Bucket is missing Object Lock Configuration",
        ));
    }
    Ok((b, key))
}

/// S3's error for a version without retention or legal hold.
fn no_lock_configuration() -> AwsError {
    AwsError::new(
        404,
        "NoSuchObjectLockConfiguration",
        "The specified object does not have a ObjectLock configuration",
    )
}

/// GetObjectRetention.
pub fn get_object_retention(_ctx: &Ctx, input: input::GetObjectRetention<'_>) -> OpResult {
    let (b, key) = locked(input.bucket(), input.key())?;
    let o = find(&b, &key, input.version_id())?;
    let r = o.retention.ok_or_else(no_lock_configuration)?;
    Ok(reply(output::GetObjectRetention::new().retention(r)))
}

/// PutObjectRetention: the `Retention` document is stored as given.
pub fn put_object_retention(_ctx: &Ctx, input: input::PutObjectRetention<'_>) -> OpResult {
    let (b, key) = locked(input.bucket(), input.key())?;
    let r = input.retention().map_or_else(|| json!({}), |r| r.0.clone());
    update_version(&b, &key, input.version_id(), |o| o.retention = Some(r))?;
    Ok(Reply::default())
}

/// GetObjectLegalHold.
pub fn get_object_legal_hold(_ctx: &Ctx, input: input::GetObjectLegalHold<'_>) -> OpResult {
    let (b, key) = locked(input.bucket(), input.key())?;
    let o = find(&b, &key, input.version_id())?;
    let h = o.legal_hold.ok_or_else(no_lock_configuration)?;
    let hold = out::ObjectLockLegalHold::new().status(h);
    Ok(reply(output::GetObjectLegalHold::new().legal_hold(hold)))
}

/// PutObjectLegalHold.
pub fn put_object_legal_hold(_ctx: &Ctx, input: input::PutObjectLegalHold<'_>) -> OpResult {
    let (b, key) = locked(input.bucket(), input.key())?;
    let st = input
        .legal_hold()
        .and_then(|h| h.status())
        .ok_or_else(AwsError::malformed_xml)?
        .to_string();
    update_version(&b, &key, input.version_id(), |o| o.legal_hold = Some(st))?;
    Ok(Reply::default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges() {
        assert_eq!(parse_range("bytes=0-9", 100), Some(Ok((0, 9))));
        assert_eq!(parse_range("bytes=90-", 100), Some(Ok((90, 99))));
        assert_eq!(parse_range("bytes=-10", 100), Some(Ok((90, 99))));
        assert_eq!(parse_range("bytes=-200", 100), Some(Ok((0, 99))));
        assert_eq!(parse_range("bytes=50-500", 100), Some(Ok((50, 99))));
        assert_eq!(parse_range("bytes=100-", 100), Some(Err(())));
        assert_eq!(parse_range("bytes=9-1", 100), None);
        assert_eq!(parse_range("items=0-1", 100), None);
        assert_eq!(parse_range("bytes=0-1", 0), Some(Err(())));
    }

    #[test]
    fn etags() {
        assert!(etag_matches("\"abc\"", "abc"));
        assert!(etag_matches("*", "abc"));
        assert!(etag_matches("\"x\", \"abc\"", "abc"));
        assert!(!etag_matches("\"x\"", "abc"));
    }
}
