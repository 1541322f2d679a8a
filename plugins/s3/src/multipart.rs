//! Multipart uploads: create, upload part (and part copy), complete (by
//! composing the parts' blobs, copying no bytes), abort, and the listings.

use md5::{Digest, Md5};
use ruststack_sdk::blobs::{self, DigestAlgorithm};
use ruststack_sdk::{AwsError, BlobSlice, ids};
use serde_json::{Value, json};

use crate::chunked;
use crate::dispatch::{Ctx, OpResult};
use crate::object;
use crate::store::{self, Part, Upload};
use crate::util::{self, s};
use ruststack_sdk::http::Reply;

/// Parts other than the last must be at least this long.
const MIN_PART: u64 = 5 * 1024 * 1024;

fn io() -> AwsError {
    AwsError::internal_failure()
}

fn find_upload(input: &Value) -> Result<(store::Bucket, Upload), AwsError> {
    let (b, key) = object::bucket_key(input)?;
    let id = s(input, "UploadId").unwrap_or_default();
    let u = store::upload(&b.name, &key, id).ok_or_else(|| util::no_such_upload(id))?;
    Ok((b, u))
}

fn part_number(input: &Value) -> Result<u64, AwsError> {
    match util::n(input, "PartNumber") {
        Some(n @ 1..=10_000) => Ok(n as u64),
        other => Err(util::invalid_argument(
            "Part number must be an integer between 1 and 10000, inclusive",
            "partNumber",
            &other.map(|n| n.to_string()).unwrap_or_default(),
        )),
    }
}

/// CreateMultipartUpload.
pub fn create(_ctx: &Ctx, input: &Value) -> OpResult {
    let (b, key) = object::bucket_key(input)?;
    crate::config::check_acl_allowed(&b.name, input)?;
    let template = object::template(input, &key)?;
    let u = Upload {
        id: ids::random_hex(32),
        key: key.clone(),
        initiated_ms: ids::now_ms(),
        template,
        checksum_algorithm: s(input, "ChecksumAlgorithm").map(str::to_string),
    };
    store::put_upload(&b.name, &u);
    let mut out =
        json!({"Bucket": b.name, "Key": key, "UploadId": u.id, "ServerSideEncryption": "AES256"});
    if let Some(a) = &u.checksum_algorithm {
        out["ChecksumAlgorithm"] = json!(a);
        out["ChecksumType"] = json!("COMPOSITE");
    }
    Ok(out.into())
}

fn store_part(b: &store::Bucket, u: &Upload, mut p: Part) -> Part {
    if let Some(old) = store::part(&u.id, p.number) {
        let _ = blobs::delete(&old.blob);
    }
    p.modified_ms = ids::now_ms();
    store::put_part(&u.id, &p);
    let _ = b;
    p
}

/// UploadPart.
pub fn upload_part(ctx: &Ctx, input: &Value) -> OpResult {
    let (b, u) = find_upload(input)?;
    let number = part_number(input)?;
    object::require_content_length(ctx)?;
    let body = chunked::ingest(ctx.req)?;
    let checksums = match object::verify_body(ctx, input, &body.blob, &body.trailers) {
        Ok(c) => c,
        Err(e) => {
            let _ = blobs::delete(&body.blob);
            return Err(e);
        }
    };
    let etag = util::hex(&blobs::digest(&body.blob, DigestAlgorithm::Md5).map_err(|_| io())?);
    let p = store_part(
        &b,
        &u,
        Part {
            number,
            blob: body.blob,
            size: body.size,
            etag,
            modified_ms: 0,
            checksums,
        },
    );
    let mut out = json!({"ETag": util::quoted(&p.etag), "ServerSideEncryption": "AES256"});
    for (k, v) in &p.checksums {
        out[k] = json!(v);
    }
    Ok(out.into())
}

/// UploadPartCopy (with `x-amz-copy-source-range`).
pub fn upload_part_copy(_ctx: &Ctx, input: &Value) -> OpResult {
    let (b, u) = find_upload(input)?;
    let number = part_number(input)?;
    let (_, src) = object::copy_source(input)?;
    let (offset, len) = match s(input, "CopySourceRange") {
        None => (0, src.size),
        Some(r) => match object::parse_range(r, src.size) {
            Some(Ok((a, z)))
                if r.trim_start_matches("bytes=")
                    .split('-')
                    .all(|p| !p.is_empty()) =>
            {
                if r.trim_start_matches("bytes=")
                    .split('-')
                    .nth(1)
                    .and_then(|z| z.parse::<u64>().ok())
                    .is_some_and(|z| z >= src.size)
                {
                    return Err(invalid_copy_range());
                }
                (a, z - a + 1)
            }
            _ => return Err(invalid_copy_range()),
        },
    };
    let blob = blobs::compose(&[BlobSlice {
        blob: src.blob.clone(),
        offset,
        length: Some(len),
    }])
    .map_err(|_| io())?;
    let etag = util::hex(&blobs::digest(&blob, DigestAlgorithm::Md5).map_err(|_| io())?);
    let p = store_part(
        &b,
        &u,
        Part {
            number,
            blob,
            size: len,
            etag,
            modified_ms: 0,
            checksums: Default::default(),
        },
    );
    Ok(json!({"CopyPartResult": {"ETag": util::quoted(&p.etag), "LastModified": util::ts(p.modified_ms)}}).into())
}

fn invalid_copy_range() -> AwsError {
    util::invalid_argument(
        "The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy",
        "x-amz-copy-source-range",
        "",
    )
}

/// CompleteMultipartUpload: checks the part list (`InvalidPart`,
/// `InvalidPartOrder`, `EntityTooSmall`) and composes the parts' blobs into
/// the object; ETag = MD5 of the parts' MD5s + `-N`.
pub fn complete(ctx: &Ctx, input: &Value) -> OpResult {
    let (b, key) = object::bucket_key(input)?;
    let id = s(input, "UploadId").unwrap_or_default();
    let listed = listed_parts(input);
    let Some(u) = store::upload(&b.name, &key, id) else {
        return completed_again(&b, &key, id, &listed)
            .map(Reply::from)
            .ok_or_else(|| util::no_such_upload(id));
    };
    if listed.is_empty() {
        return Err(AwsError::client(
            "MalformedXML",
            "The XML you provided was not well-formed or did not validate against our published schema",
        ));
    }
    let stored = store::parts(&u.id);
    let mut chosen: Vec<Part> = Vec::new();
    let mut last = 0;
    for (n, etag) in &listed {
        let (n, etag) = (*n, etag.as_str());
        if n <= last {
            return Err(AwsError::client(
                "InvalidPartOrder",
                "The list of parts was not in ascending order. Parts must be ordered by part number.",
            )
            .with_extra("UploadId", &u.id));
        }
        last = n;
        let found = stored.iter().find(|x| x.number == n && x.etag == etag);
        let Some(found) = found else {
            return Err(AwsError::client(
                "InvalidPart",
                "One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part's entity tag.",
            )
            .with_extra("UploadId", &u.id)
            .with_extra("PartNumber", n.to_string())
            .with_extra("ETag", etag));
        };
        chosen.push(found.clone());
    }
    for (i, p) in chosen.iter().enumerate() {
        if i + 1 < chosen.len() && p.size < MIN_PART {
            return Err(AwsError::client(
                "EntityTooSmall",
                "Your proposed upload is smaller than the minimum allowed size",
            )
            .with_extra("ProposedSize", p.size.to_string())
            .with_extra("MinSizeAllowed", MIN_PART.to_string())
            .with_extra("PartNumber", p.number.to_string())
            .with_extra("ETag", &p.etag));
        }
    }
    object::check_write_conditions(&b, &u.key, input)?;
    let slices: Vec<BlobSlice> = chosen.iter().map(|p| blobs::whole(&p.blob)).collect();
    let blob = blobs::compose(&slices).map_err(|_| io())?;
    let mut md5 = Md5::new();
    for p in &chosen {
        let raw: Vec<u8> = (0..p.etag.len() / 2)
            .filter_map(|i| u8::from_str_radix(&p.etag[2 * i..2 * i + 2], 16).ok())
            .collect();
        md5.update(&raw);
    }
    let etag = format!("{}-{}", util::hex(&md5.finalize()), chosen.len());
    let mut o = u.template.clone();
    o.blob = blob;
    o.size = chosen.iter().map(|p| p.size).sum();
    o.etag = etag;
    o.parts = chosen.iter().map(|p| p.size).collect();
    // Composite checksums: checksum of the parts' checksums, `-N`.
    if let Some(alg) = &u.checksum_algorithm
        && let Some((member, _, _)) = object::CHECKSUMS.iter().find(|(_, _, n)| n == alg)
        && chosen.iter().all(|p| p.checksums.contains_key(*member))
    {
        let joined: Vec<u8> = chosen
            .iter()
            .flat_map(|p| util::unb64(&p.checksums[*member]).unwrap_or_default())
            .collect();
        if let Ok(tmp) = blobs::create() {
            let _ = blobs::append(&tmp, &joined);
            let alg = object::CHECKSUMS
                .iter()
                .find(|(m, _, _)| m == member)
                .map(|c| c.1);
            if let Some(Ok(d)) = alg.map(|a| blobs::digest(&tmp, a)) {
                o.checksums.insert(
                    member.to_string(),
                    format!("{}-{}", util::b64(&d), chosen.len()),
                );
            }
            let _ = blobs::delete(&tmp);
        }
    }
    for p in &stored {
        let _ = blobs::delete(&p.blob);
    }
    store::delete_upload(&b.name, &u);
    let o = object::write(&b, o);
    crate::notify::object_event(ctx, &b, "ObjectCreated:CompleteMultipartUpload", &o);
    let host = &ctx.req.context.host;
    let mut out = json!({
        "Location": format!("http://{host}/{}/{}", b.name, util::url_encode(&o.key)),
        "Bucket": b.name,
        "Key": o.key,
        "ETag": util::quoted(&o.etag),
        "ServerSideEncryption": "AES256",
    });
    if b.versioning.is_some() {
        out["VersionId"] = json!(o.vid());
    }
    for (k, v) in &o.checksums {
        out[k] = json!(v);
    }
    store::put_completed(
        &u.id,
        &store::Completed {
            bucket: b.name.clone(),
            key: o.key.clone(),
            parts: listed,
            etag: o.etag.clone(),
            answer: out.clone(),
            at_ms: ids::now_ms(),
        },
    );
    Ok(out.into())
}

/// How long a completed upload answers a repeated completion.
const REPEAT_WINDOW_MS: u64 = 60 * 60 * 1000;

/// (part number, unquoted ETag) of each part a completion lists.
fn listed_parts(input: &Value) -> Vec<(u64, String)> {
    input
        .pointer("/MultipartUpload/Parts")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|p| {
            let n = util::n(p, "PartNumber").unwrap_or(0) as u64;
            (
                n,
                s(p, "ETag")
                    .unwrap_or_default()
                    .trim_matches('"')
                    .to_string(),
            )
        })
        .collect()
}

/// The first completion's answer when upload `id` was completed with these
/// same parts, lately, and its object is still the one it wrote.
fn completed_again(
    b: &store::Bucket,
    key: &str,
    id: &str,
    listed: &[(u64, String)],
) -> Option<Value> {
    let c = store::completed(id)?;
    let same = c.bucket == b.name
        && c.key == key
        && c.parts == listed
        && ids::now_ms().saturating_sub(c.at_ms) < REPEAT_WINDOW_MS
        && store::object(&b.name, key).is_some_and(|o| o.etag == c.etag);
    same.then_some(c.answer)
}

/// AbortMultipartUpload: drops the upload and its parts' bytes.
pub fn abort(_ctx: &Ctx, input: &Value) -> OpResult {
    let (b, u) = find_upload(input)?;
    for p in store::parts(&u.id) {
        let _ = blobs::delete(&p.blob);
    }
    store::delete_upload(&b.name, &u);
    Ok(Reply::default())
}

/// ListMultipartUploads (Prefix, KeyMarker / UploadIdMarker, MaxUploads).
pub fn list_uploads(_ctx: &Ctx, input: &Value) -> OpResult {
    let name = s(input, "Bucket").unwrap_or_default();
    store::require_bucket(name)?;
    let prefix = s(input, "Prefix").unwrap_or_default();
    let key_marker = s(input, "KeyMarker").unwrap_or_default();
    let id_marker = s(input, "UploadIdMarker").unwrap_or_default();
    let max = util::n(input, "MaxUploads").unwrap_or(1000).clamp(0, 1000) as usize;
    let all: Vec<Upload> = store::scan_uploads(name, prefix)
        .into_iter()
        .filter(|u| {
            key_marker.is_empty()
                || u.key.as_str() > key_marker
                || (u.key == key_marker && !id_marker.is_empty() && u.id.as_str() > id_marker)
        })
        .collect();
    let truncated = all.len() > max;
    let page = &all[..all.len().min(max)];
    let uploads: Vec<Value> = page
        .iter()
        .map(|u| {
            json!({
                "UploadId": u.id, "Key": u.key, "Initiated": util::ts(u.initiated_ms),
                "StorageClass": u.template.storage_class.clone().unwrap_or_else(|| "STANDARD".into()),
                "Owner": util::owner(), "Initiator": util::owner(),
            })
        })
        .collect();
    let mut out = json!({
        "Bucket": name, "KeyMarker": key_marker, "UploadIdMarker": id_marker,
        "MaxUploads": max, "IsTruncated": truncated, "Prefix": prefix,
    });
    if !uploads.is_empty() {
        out["Uploads"] = json!(uploads);
    }
    if let (true, Some(last)) = (truncated, page.last()) {
        out["NextKeyMarker"] = json!(last.key);
        out["NextUploadIdMarker"] = json!(last.id);
    }
    Ok(out.into())
}

/// ListParts (PartNumberMarker, MaxParts).
pub fn list_parts(_ctx: &Ctx, input: &Value) -> OpResult {
    let (b, u) = find_upload(input)?;
    let marker = util::n(input, "PartNumberMarker").unwrap_or(0).max(0) as u64;
    let max = util::n(input, "MaxParts").unwrap_or(1000).clamp(0, 1000) as usize;
    let all: Vec<Part> = store::parts(&u.id)
        .into_iter()
        .filter(|p| p.number > marker)
        .collect();
    let truncated = all.len() > max;
    let page = &all[..all.len().min(max)];
    let parts: Vec<Value> = page
        .iter()
        .map(|p| {
            let mut v = json!({"PartNumber": p.number, "LastModified": util::ts(p.modified_ms),
                               "ETag": util::quoted(&p.etag), "Size": p.size});
            for (k, c) in &p.checksums {
                v[k] = json!(c);
            }
            v
        })
        .collect();
    let mut out = json!({
        "Bucket": b.name, "Key": u.key, "UploadId": u.id, "PartNumberMarker": marker,
        "MaxParts": max, "IsTruncated": truncated, "Owner": util::owner(), "Initiator": util::owner(),
        "StorageClass": u.template.storage_class.clone().unwrap_or_else(|| "STANDARD".into()),
    });
    if !parts.is_empty() {
        out["Parts"] = json!(parts);
    }
    if let (true, Some(last)) = (truncated, page.last()) {
        out["NextPartNumberMarker"] = json!(last.number);
    }
    if let Some(a) = &u.checksum_algorithm {
        out["ChecksumAlgorithm"] = json!(a);
    }
    Ok(out.into())
}
