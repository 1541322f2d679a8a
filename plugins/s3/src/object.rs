//! Objects: put, get/head (ranges, conditionals, overrides), delete, batch
//! delete, copy, attributes, tagging, ACL, retention and legal hold — and
//! the versioning rules every write and delete follows.

use ruststack_sdk::blobs::{self, DigestAlgorithm};
use ruststack_sdk::protocol::encoding::percent_decode;
use ruststack_sdk::protocol::ops::s3::Op;
use ruststack_sdk::{AwsError, BlobSlice, Body, ids};
use serde_json::{Map, Value, json};

use crate::chunked;
use crate::dispatch::{Ctx, OpResult};
use crate::store::{self, Bucket, Obj};
use crate::util::{self, s};
use ruststack_sdk::http::Reply;

/// Checksum members and the digest that computes each.
pub const CHECKSUMS: [(&str, DigestAlgorithm, &str); 5] = [
    ("ChecksumCRC32", DigestAlgorithm::Crc32, "CRC32"),
    ("ChecksumCRC32C", DigestAlgorithm::Crc32c, "CRC32C"),
    ("ChecksumCRC64NVME", DigestAlgorithm::Crc64nvme, "CRC64NVME"),
    ("ChecksumSHA1", DigestAlgorithm::Sha1, "SHA1"),
    ("ChecksumSHA256", DigestAlgorithm::Sha256, "SHA256"),
];

/// Representation headers stored with an object, by model member name.
const STORED_HEADERS: [&str; 6] = [
    "CacheControl",
    "ContentDisposition",
    "ContentEncoding",
    "ContentLanguage",
    "Expires",
    "WebsiteRedirectLocation",
];

fn io() -> AwsError {
    AwsError::internal_failure()
}

/// The bucket and key of an object operation.
pub fn bucket_key(input: &Value) -> Result<(Bucket, String), AwsError> {
    let b = store::require_bucket(s(input, "Bucket").unwrap_or_default())?;
    Ok((b, s(input, "Key").unwrap_or_default().to_string()))
}

/// The object's metadata from a write request (headers, user metadata,
/// storage class, tags).
pub fn template(input: &Value, key: &str) -> Result<Obj, AwsError> {
    let mut o = Obj {
        key: key.to_string(),
        content_type: Some(
            s(input, "ContentType")
                .unwrap_or("binary/octet-stream")
                .to_string(),
        ),
        ..Obj::default()
    };
    for h in STORED_HEADERS {
        if let Some(v) = input.get(h) {
            o.headers.insert(h.to_string(), v.clone());
        }
    }
    // aws-chunked is transport framing, not the object's encoding.
    if let Some(enc) = o.headers.get("ContentEncoding").and_then(Value::as_str) {
        let rest: Vec<&str> = enc
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty() && *e != "aws-chunked")
            .collect();
        if rest.is_empty() {
            o.headers.remove("ContentEncoding");
        } else {
            o.headers
                .insert("ContentEncoding".into(), json!(rest.join(",")));
        }
    }
    if let Some(Value::Object(m)) = input.get("Metadata") {
        for (k, v) in m {
            if let Some(v) = v.as_str() {
                o.metadata
                    .insert(k.to_ascii_lowercase(), crate::metadata::decode(v));
            }
        }
    }
    if let Some(sc) = s(input, "StorageClass") {
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
        if !CLASSES.contains(&sc) {
            return Err(AwsError::client(
                "InvalidStorageClass",
                "The storage class you specified is not valid",
            )
            .with_extra("StorageClassRequested", sc));
        }
        o.storage_class = Some(sc.to_string());
    }
    if let Some(t) = s(input, "Tagging") {
        let tags = util::parse_tagging(t);
        let set = util::tag_set(&tags);
        o.tags = util::tags_from(Some(&set))?;
    }
    if let Some(acl) = s(input, "ACL") {
        o.acl = Some(crate::config::canned_acl(acl));
    }
    if let Some(mode) = s(input, "ObjectLockMode") {
        o.retention =
            Some(json!({"Mode": mode, "RetainUntilDate": input.get("ObjectLockRetainUntilDate")}));
    }
    if let Some(h) = s(input, "ObjectLockLegalHoldStatus") {
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

/// Evaluates GET/HEAD conditions in S3's order: 412 for If-Match /
/// If-Unmodified-Since, 304 for If-None-Match / If-Modified-Since.
fn check_conditions(o: &Obj, input: &Value, prefix: &str) -> Result<(), AwsError> {
    let modified = (o.modified_ms / 1000) as f64;
    let get = |n: &str| match prefix {
        "" => input.get(n),
        _ => input.get(format!("{prefix}{n}").as_str()),
    };
    let if_match = get("IfMatch").and_then(Value::as_str);
    if let Some(m) = if_match {
        if !etag_matches(m, &o.etag) {
            return Err(util::precondition_failed("If-Match"));
        }
    } else if let Some(t) = get("IfUnmodifiedSince").and_then(Value::as_f64)
        && modified > t
    {
        return Err(util::precondition_failed("If-Unmodified-Since"));
    }
    let not_modified = || {
        if prefix.is_empty() {
            AwsError::new(304, "NotModified", "Not Modified")
                .with_header("ETag", util::quoted(&o.etag))
                .with_header(
                    "Last-Modified",
                    ruststack_sdk::protocol::time::format_rfc822(modified),
                )
        } else {
            util::precondition_failed("x-amz-copy-source-If-None-Match")
        }
    };
    if let Some(m) = get("IfNoneMatch").and_then(Value::as_str) {
        if etag_matches(m, &o.etag) {
            return Err(not_modified());
        }
    } else if let Some(t) = get("IfModifiedSince").and_then(Value::as_f64)
        && modified <= t
        && (if_match.is_none() || prefix.is_empty())
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
    input: &Value,
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
    let asked = s(input, "ChecksumAlgorithm")
        .map(str::to_string)
        .or_else(|| {
            ctx.header("x-amz-trailer")
                .and_then(|t| t.strip_prefix("x-amz-checksum-"))
                .map(str::to_ascii_uppercase)
        });
    for (member, alg, name) in CHECKSUMS {
        let header = format!("x-amz-checksum-{}", name.to_ascii_lowercase());
        let sent = s(input, member).map(str::to_string).or_else(|| {
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

/// Conditional writes: `If-None-Match: *` and `If-Match: <etag>`.
pub fn check_write_conditions(b: &Bucket, key: &str, input: &Value) -> Result<(), AwsError> {
    let current = store::object(&b.name, key);
    if let Some(m) = s(input, "IfNoneMatch") {
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
    if let Some(m) = s(input, "IfMatch") {
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
pub fn put_object(ctx: &Ctx, input: &Value) -> OpResult {
    let (b, key) = bucket_key(input)?;
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
    crate::config::check_acl_allowed(&b.name, input)?;
    require_content_length(ctx)?;
    let mut o = template(input, &key)?;
    check_write_conditions(&b, &key, input)?;
    let body = chunked::ingest(ctx.req)?;
    o.checksums = match verify_body(ctx, input, &body.blob, &body.trailers) {
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
    let mut out = json!({
        "ETag": util::quoted(&o.etag),
        "ServerSideEncryption": "AES256",
    });
    if b.versioning.is_some() {
        out["VersionId"] = json!(o.vid());
    }
    for (k, v) in &o.checksums {
        out[k] = json!(v);
    }
    if !o.checksums.is_empty() {
        out["ChecksumType"] = json!("FULL_OBJECT");
    }
    Ok(out.into())
}

/// The output members describing a stored object (GetObject / HeadObject).
pub fn describe(b: &Bucket, o: &Obj, checksums: bool) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("ETag".into(), json!(util::quoted(&o.etag)));
    m.insert("LastModified".into(), util::ts(o.modified_ms));
    m.insert("ContentLength".into(), json!(o.size));
    m.insert("AcceptRanges".into(), json!("bytes"));
    m.insert("ServerSideEncryption".into(), json!("AES256"));
    if let Some(ct) = &o.content_type {
        m.insert("ContentType".into(), json!(ct));
    }
    for (k, v) in &o.headers {
        m.insert(k.clone(), v.clone());
    }
    if !o.metadata.is_empty() {
        let encoded: std::collections::BTreeMap<&String, String> = o
            .metadata
            .iter()
            .map(|(k, v)| (k, crate::metadata::encode(v)))
            .collect();
        m.insert("Metadata".into(), json!(encoded));
    }
    if b.versioning.is_some() {
        m.insert("VersionId".into(), json!(o.vid()));
    }
    if let Some(sc) = o.storage_class.as_deref().filter(|s| *s != "STANDARD") {
        m.insert("StorageClass".into(), json!(sc));
    }
    if !o.tags.is_empty() {
        m.insert("TagCount".into(), json!(o.tags.len()));
    }
    if let Some(r) = &o.retention {
        if let Some(mode) = r.get("Mode") {
            m.insert("ObjectLockMode".into(), mode.clone());
        }
        if let Some(d) = r.get("RetainUntilDate").filter(|d| !d.is_null()) {
            m.insert("ObjectLockRetainUntilDate".into(), d.clone());
        }
    }
    if let Some(h) = &o.legal_hold {
        m.insert("ObjectLockLegalHoldStatus".into(), json!(h));
    }
    if checksums {
        for (k, v) in &o.checksums {
            m.insert(k.clone(), json!(v));
        }
        if !o.checksums.is_empty() {
            m.insert(
                "ChecksumType".into(),
                json!(if o.parts.is_empty() {
                    "FULL_OBJECT"
                } else {
                    "COMPOSITE"
                }),
            );
        }
    }
    m
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

/// GetObject and HeadObject.
pub fn get_object(ctx: &Ctx, input: &Value, head: bool) -> OpResult {
    let (b, key) = bucket_key(input)?;
    let o = find(&b, &key, s(input, "VersionId"))?;
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
            ruststack_sdk::protocol::time::format_rfc822((o.modified_ms / 1000) as f64),
        ));
    }
    check_conditions(&o, input, "")?;
    let checksums = s(input, "ChecksumMode") == Some("ENABLED");
    let mut out = describe(&b, &o, checksums);
    let mut window = (0, o.size);
    let mut status = None;
    if let Some(pn) = util::n(input, "PartNumber") {
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
        out.insert("PartsCount".into(), json!(parts.len()));
        if !o.parts.is_empty() {
            status = Some(206);
            out.insert(
                "ContentRange".into(),
                json!(format!(
                    "bytes {}-{}/{}",
                    start,
                    start + len.max(1) - 1,
                    o.size
                )),
            );
        }
    } else if let Some(r) = ctx.header("range").and_then(|h| parse_range(h, o.size)) {
        let (a, z) = r.map_err(|()| {
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
        out.insert(
            "ContentRange".into(),
            json!(format!("bytes {a}-{z}/{}", o.size)),
        );
    }
    out.insert("ContentLength".into(), json!(window.1));
    if status == Some(206) {
        // A full-object checksum cannot describe part of the object.
        out.retain(|k, _| !k.starts_with("Checksum"));
    }
    for (q, member) in [
        ("ResponseCacheControl", "CacheControl"),
        ("ResponseContentDisposition", "ContentDisposition"),
        ("ResponseContentEncoding", "ContentEncoding"),
        ("ResponseContentLanguage", "ContentLanguage"),
        ("ResponseContentType", "ContentType"),
        ("ResponseExpires", "Expires"),
    ] {
        if let Some(v) = input.get(q) {
            out.insert(member.into(), v.clone());
        }
    }
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
        value: Value::Object(out),
        body,
        status,
        ..Reply::default()
    })
}

/// Removes `key` (or one version of it) by the bucket's versioning state.
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
    if let Some(r) = &o.retention {
        let until = r
            .get("RetainUntilDate")
            .and_then(Value::as_f64)
            .unwrap_or(0.0);
        let now = ctx.req.context.received_at_ms as f64 / 1000.0;
        let bypass = r.get("Mode").and_then(Value::as_str) == Some("GOVERNANCE")
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
    let Some(d) = cfg.pointer("/Rule/DefaultRetention") else {
        return;
    };
    let days = d
        .get("Days")
        .and_then(Value::as_f64)
        .or_else(|| d.get("Years").and_then(Value::as_f64).map(|y| y * 365.0));
    if let (Some(mode), Some(days)) = (d.get("Mode"), days) {
        let until = (ids::now_ms() / 1000) as f64 + days * 86_400.0;
        o.retention = Some(json!({"Mode": mode, "RetainUntilDate": until}));
    }
}

/// DeleteObject.
pub fn delete_object(ctx: &Ctx, input: &Value) -> OpResult {
    let (b, key) = bucket_key(input)?;
    let (vid, marker) = remove(ctx, &b, &key, s(input, "VersionId"))?;
    let mut out = json!({});
    if let Some(v) = vid {
        out["VersionId"] = json!(v);
    }
    if marker {
        out["DeleteMarker"] = json!(true);
    }
    Ok(out.into())
}

/// DeleteObjects (up to 1000 keys; `Quiet` reports errors only).
pub fn delete_objects(ctx: &Ctx, input: &Value) -> OpResult {
    let b = store::require_bucket(s(input, "Bucket").unwrap_or_default())?;
    let objects = input
        .pointer("/Delete/Objects")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if objects.len() > 1000 {
        return Err(AwsError::malformed_xml());
    }
    let quiet = input
        .pointer("/Delete/Quiet")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let (mut deleted, mut errors) = (Vec::new(), Vec::new());
    for o in objects {
        let key = s(&o, "Key").unwrap_or_default();
        let vid = s(&o, "VersionId");
        match remove(ctx, &b, key, vid) {
            Ok((v, marker)) => {
                if quiet {
                    continue;
                }
                let mut d = json!({"Key": key});
                if vid.is_some() {
                    d["VersionId"] = json!(vid);
                    if marker {
                        d["DeleteMarker"] = json!(true);
                        d["DeleteMarkerVersionId"] = json!(vid);
                    }
                } else if marker {
                    d["DeleteMarker"] = json!(true);
                    d["DeleteMarkerVersionId"] = json!(v);
                }
                deleted.push(d);
            }
            Err(e) => {
                let mut er = json!({"Key": key, "Code": e.code, "Message": e.message});
                if let Some(v) = vid {
                    er["VersionId"] = json!(v);
                }
                errors.push(er);
            }
        }
    }
    let mut out = json!({});
    if !deleted.is_empty() {
        out["Deleted"] = json!(deleted);
    }
    if !errors.is_empty() {
        out["Errors"] = json!(errors);
    }
    Ok(out.into())
}

/// Parses `x-amz-copy-source` (`[/]bucket/key[?versionId=v]`, URL-encoded).
pub fn copy_source(input: &Value) -> Result<(Bucket, Obj), AwsError> {
    let raw = s(input, "CopySource").unwrap_or_default();
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
    check_conditions(&o, input, "CopySource")?;
    Ok((b, o))
}

/// CopyObject: a new blob composed from the source (no bytes copied), with
/// metadata and tags copied or replaced by the directives.
pub fn copy_object(ctx: &Ctx, input: &Value) -> OpResult {
    let (b, key) = bucket_key(input)?;
    let (sb, src) = copy_source(input)?;
    let replace_meta = s(input, "MetadataDirective") == Some("REPLACE");
    let replace_tags = s(input, "TaggingDirective") == Some("REPLACE");
    let same = sb.name == b.name && src.key == key && s(input, "VersionId").is_none();
    let changes = replace_meta
        || input.get("StorageClass").is_some()
        || input.get("WebsiteRedirectLocation").is_some()
        || input.get("ServerSideEncryption").is_some()
        || input.get("SSEKMSKeyId").is_some();
    if same && !changes && s(input, "CopySource").is_some_and(|c| !c.contains("versionId")) {
        return Err(AwsError::client(
            "InvalidRequest",
            "This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.",
        ));
    }
    check_write_conditions(&b, &key, input)?;
    crate::config::check_acl_allowed(&b.name, input)?;
    let mut o = if replace_meta {
        template(input, &key)?
    } else {
        let mut o = src.clone();
        o.key = key.clone();
        if let Some(sc) = s(input, "StorageClass") {
            o.storage_class = Some(sc.to_string());
        }
        o.retention = None;
        o.legal_hold = None;
        o
    };
    if replace_tags {
        o.tags = match s(input, "Tagging") {
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
    let mut result =
        json!({"ETag": util::quoted(&o.etag), "LastModified": util::ts(o.modified_ms)});
    for (k, v) in &o.checksums {
        result[k] = json!(v);
    }
    let mut out = json!({"CopyObjectResult": result, "ServerSideEncryption": "AES256"});
    if b.versioning.is_some() {
        out["VersionId"] = json!(o.vid());
    }
    if sb.versioning.is_some() {
        out["CopySourceVersionId"] = json!(src.vid());
    }
    Ok(out.into())
}

/// GetObjectAttributes.
pub fn get_object_attributes(_ctx: &Ctx, input: &Value) -> OpResult {
    let (b, key) = bucket_key(input)?;
    let o = find(&b, &key, s(input, "VersionId"))?;
    if o.delete_marker {
        return Err(util::no_such_key(&key));
    }
    let wanted: Vec<String> = input
        .get("ObjectAttributes")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    if wanted.is_empty() {
        return Err(AwsError::client(
            "InvalidArgument",
            "Invalid attribute name specified.",
        ));
    }
    let mut out = json!({"LastModified": util::ts(o.modified_ms)});
    if b.versioning.is_some() {
        out["VersionId"] = json!(o.vid());
    }
    for w in &wanted {
        match w.as_str() {
            "ETag" => out["ETag"] = json!(o.etag),
            "ObjectSize" => out["ObjectSize"] = json!(o.size),
            "StorageClass" => {
                out["StorageClass"] = json!(o.storage_class.clone().unwrap_or("STANDARD".into()))
            }
            "Checksum" if !o.checksums.is_empty() => {
                let mut c = json!(o.checksums);
                c["ChecksumType"] = json!(if o.parts.is_empty() {
                    "FULL_OBJECT"
                } else {
                    "COMPOSITE"
                });
                out["Checksum"] = c;
            }
            "ObjectParts" if !o.parts.is_empty() => {
                out["ObjectParts"] = json!({"TotalPartsCount": o.parts.len()});
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
    Ok(out.into())
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

fn with_version(b: &Bucket, o: &Obj, mut v: Value) -> Value {
    if b.versioning.is_some() {
        v["VersionId"] = json!(o.vid());
    }
    v
}

/// GetObjectTagging (an untagged object has an empty TagSet).
pub fn get_object_tagging(_ctx: &Ctx, input: &Value) -> OpResult {
    let (b, key) = bucket_key(input)?;
    let o = find(&b, &key, s(input, "VersionId"))?;
    Ok(with_version(&b, &o, json!({"TagSet": util::tag_set(&o.tags)})).into())
}

/// PutObjectTagging.
pub fn put_object_tagging(_ctx: &Ctx, input: &Value) -> OpResult {
    let (b, key) = bucket_key(input)?;
    let tags = util::tags_from(input.pointer("/Tagging/TagSet"))?;
    if tags.len() > 10 {
        return Err(AwsError::client(
            "BadRequest",
            "Object tags cannot be greater than 10",
        ));
    }
    let o = update_version(&b, &key, s(input, "VersionId"), |o| o.tags = tags)?;
    Ok(with_version(&b, &o, json!({})).into())
}

/// DeleteObjectTagging.
pub fn delete_object_tagging(_ctx: &Ctx, input: &Value) -> OpResult {
    let (b, key) = bucket_key(input)?;
    let o = update_version(&b, &key, s(input, "VersionId"), |o| o.tags.clear())?;
    Ok(with_version(&b, &o, json!({})).into())
}

/// GetObjectAcl.
pub fn get_object_acl(_ctx: &Ctx, input: &Value) -> OpResult {
    let (b, key) = bucket_key(input)?;
    let o = find(&b, &key, s(input, "VersionId"))?;
    let acl = o
        .acl
        .clone()
        .unwrap_or_else(|| crate::config::canned_acl("private"));
    Ok(acl.into())
}

/// PutObjectAcl (canned ACL header or an AccessControlPolicy document).
pub fn put_object_acl(_ctx: &Ctx, input: &Value) -> OpResult {
    let (b, key) = bucket_key(input)?;
    crate::config::check_acl_allowed(&b.name, input)?;
    let acl = crate::config::acl_from_input(input)?;
    let o = update_version(&b, &key, s(input, "VersionId"), |o| o.acl = Some(acl))?;
    Ok(with_version(&b, &o, json!({})).into())
}

/// Get/PutObjectRetention and Get/PutObjectLegalHold.
pub fn lock(_ctx: &Ctx, op: Op, input: &Value) -> OpResult {
    let (b, key) = bucket_key(input)?;
    if !b.object_lock {
        return Err(AwsError::client(
            "InvalidRequest",
            "Bucket is missing Object Lock Configuration",
        ));
    }
    let vid = s(input, "VersionId");
    match op {
        Op::GetObjectRetention => {
            let o = find(&b, &key, vid)?;
            let r = o.retention.ok_or_else(|| {
                AwsError::new(
                    404,
                    "NoSuchObjectLockConfiguration",
                    "The specified object does not have a ObjectLock configuration",
                )
            })?;
            Ok(json!({"Retention": r}).into())
        }
        Op::PutObjectRetention => {
            let r = input.get("Retention").cloned().unwrap_or(json!({}));
            update_version(&b, &key, vid, |o| o.retention = Some(r))?;
            Ok(Reply::default())
        }
        Op::GetObjectLegalHold => {
            let o = find(&b, &key, vid)?;
            let h = o.legal_hold.ok_or_else(|| {
                AwsError::new(
                    404,
                    "NoSuchObjectLockConfiguration",
                    "The specified object does not have a ObjectLock configuration",
                )
            })?;
            Ok(json!({"LegalHold": {"Status": h}}).into())
        }
        _ => {
            let st = input
                .pointer("/LegalHold/Status")
                .and_then(Value::as_str)
                .ok_or_else(AwsError::malformed_xml)?
                .to_string();
            update_version(&b, &key, vid, |o| o.legal_hold = Some(st))?;
            Ok(Reply::default())
        }
    }
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
