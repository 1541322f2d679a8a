//! Multipart uploads: create, upload part (and part copy), complete (by
//! composing the parts' blobs, copying no bytes), abort, and the listings.

use md5::{Digest, Md5};
use ruststack_sdk::blobs::{self, DigestAlgorithm};
use ruststack_sdk::protocol::shapes::s3::{
    CompletedMultipartUpload, CompletedPart, input, out, output,
};
use ruststack_sdk::{AwsError, BlobSlice, ids};
use serde_json::Value;

use crate::chunked;
use crate::dispatch::{Ctx, OpResult, reply};
use crate::object::{self, copy_conditions, sent_checksums, set_checksums, write_acl, write_input};
use crate::store::{self, Part, Upload};
use crate::util::{self, non_empty};
use ruststack_sdk::http::Reply;

/// Parts other than the last must be at least this long.
const MIN_PART: u64 = 5 * 1024 * 1024;

fn io() -> AwsError {
    AwsError::internal_failure()
}

/// The upload an input names by `Bucket`, `Key` and `UploadId`.
fn find_upload(
    bucket: Option<&str>,
    key: Option<&str>,
    upload_id: Option<&str>,
) -> Result<(store::Bucket, Upload), AwsError> {
    let (b, key) = object::bucket_key(bucket, key)?;
    let id = upload_id.unwrap_or_default();
    let u = store::upload(&b.name, &key, id).ok_or_else(|| util::no_such_upload(id))?;
    Ok((b, u))
}

/// The input's `PartNumber`, which must be 1 to 10000.
fn part_number(number: Option<i64>) -> Result<u64, AwsError> {
    match number {
        Some(n @ 1..=10_000) => Ok(n as u64),
        other => Err(util::invalid_argument(
            "Part number must be an integer between 1 and 10000, inclusive",
            "partNumber",
            &other.map(|n| n.to_string()).unwrap_or_default(),
        )),
    }
}

/// CreateMultipartUpload.
pub fn create(_ctx: &Ctx, input: input::CreateMultipartUpload<'_>) -> OpResult {
    let (b, key) = object::bucket_key(input.bucket(), input.key())?;
    crate::config::check_acl_allowed(&b.name, &write_acl!(input))?;
    let template = object::template(&write_input!(input), &key)?;
    let u = Upload {
        id: ids::random_hex(32),
        key: key.clone(),
        initiated_ms: ids::now_ms(),
        template,
        checksum_algorithm: input.checksum_algorithm().map(str::to_string),
    };
    store::put_upload(&b.name, &u);
    let mut out = output::CreateMultipartUpload::new()
        .bucket(b.name.as_str())
        .key(key)
        .upload_id(u.id.as_str())
        .server_side_encryption("AES256");
    if let Some(a) = &u.checksum_algorithm {
        out.set_checksum_algorithm(a.as_str());
        out.set_checksum_type("COMPOSITE");
    }
    Ok(reply(out))
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
pub fn upload_part(ctx: &Ctx, input: input::UploadPart<'_>) -> OpResult {
    let (b, u) = find_upload(input.bucket(), input.key(), input.upload_id())?;
    let number = part_number(input.part_number())?;
    object::require_content_length(ctx)?;
    let body = chunked::ingest(ctx.req)?;
    let sent = sent_checksums!(input);
    let checksums = match object::verify_body(ctx, &sent, &body.blob, &body.trailers) {
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
    let mut out = output::UploadPart::new()
        .e_tag(util::quoted(&p.etag))
        .server_side_encryption("AES256");
    set_checksums!(out, &p.checksums);
    Ok(reply(out))
}

/// UploadPartCopy (with `x-amz-copy-source-range`).
pub fn upload_part_copy(_ctx: &Ctx, input: input::UploadPartCopy<'_>) -> OpResult {
    let (b, u) = find_upload(input.bucket(), input.key(), input.upload_id())?;
    let number = part_number(input.part_number())?;
    let (_, src) = object::copy_source(input.copy_source(), &copy_conditions!(input))?;
    let (offset, len) = match input.copy_source_range() {
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
    let result = out::CopyPartResult::new()
        .e_tag(util::quoted(&p.etag))
        .last_modified(util::ts(p.modified_ms));
    Ok(reply(
        output::UploadPartCopy::new().copy_part_result(result),
    ))
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
pub fn complete(ctx: &Ctx, input: input::CompleteMultipartUpload<'_>) -> OpResult {
    let (b, key) = object::bucket_key(input.bucket(), input.key())?;
    let id = input.upload_id().unwrap_or_default();
    let listed = listed_parts(input.multipart_upload());
    let Some(u) = store::upload(&b.name, &key, id) else {
        return completed_again(&b, &key, id, &listed)
            .map(Reply::from)
            .ok_or_else(|| util::no_such_upload(id));
    };
    if listed.is_empty() {
        return Err(AwsError::malformed_xml());
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
    object::check_write_conditions(&b, &u.key, input.if_none_match(), input.if_match())?;
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
    let mut out = output::CompleteMultipartUpload::new()
        .location(format!(
            "http://{host}/{}/{}",
            b.name,
            util::url_encode(&o.key)
        ))
        .bucket(b.name.as_str())
        .key(o.key.as_str())
        .e_tag(util::quoted(&o.etag))
        .server_side_encryption("AES256")
        .version_id(object::version_of(&b, &o));
    set_checksums!(out, &o.checksums);
    let out = Value::from(out);
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

/// (part number, unquoted ETag) of each part a completion lists (its
/// `MultipartUpload`).
fn listed_parts(upload: Option<CompletedMultipartUpload<'_>>) -> Vec<(u64, String)> {
    // Every part as decoded: one that is not a structure has no members.
    let parts = upload.and_then(|u| u.parts()).map(|l| l.values());
    parts
        .unwrap_or_default()
        .iter()
        .map(CompletedPart)
        .map(|p| {
            let n = p.part_number().unwrap_or(0) as u64;
            (
                n,
                p.e_tag().unwrap_or_default().trim_matches('"').to_string(),
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
pub fn abort(_ctx: &Ctx, input: input::AbortMultipartUpload<'_>) -> OpResult {
    let (b, u) = find_upload(input.bucket(), input.key(), input.upload_id())?;
    for p in store::parts(&u.id) {
        let _ = blobs::delete(&p.blob);
    }
    store::delete_upload(&b.name, &u);
    Ok(Reply::default())
}

/// ListMultipartUploads (Prefix, KeyMarker / UploadIdMarker, MaxUploads).
pub fn list_uploads(_ctx: &Ctx, input: input::ListMultipartUploads<'_>) -> OpResult {
    let name = input.bucket().unwrap_or_default();
    store::require_bucket(name)?;
    let prefix = input.prefix().unwrap_or_default();
    let key_marker = input.key_marker().unwrap_or_default();
    let id_marker = input.upload_id_marker().unwrap_or_default();
    let max = input.max_uploads().unwrap_or(1000).clamp(0, 1000) as usize;
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
    let uploads: Vec<out::MultipartUpload> = page
        .iter()
        .map(|u| {
            out::MultipartUpload::new()
                .upload_id(u.id.as_str())
                .key(u.key.as_str())
                .initiated(util::ts(u.initiated_ms))
                .storage_class(storage_class(u))
                .owner(util::owner())
                .initiator(util::initiator())
        })
        .collect();
    let mut out = output::ListMultipartUploads::new()
        .bucket(name)
        .key_marker(key_marker)
        .upload_id_marker(id_marker)
        .max_uploads(max)
        .is_truncated(truncated)
        .prefix(prefix)
        .uploads(non_empty(uploads));
    if let (true, Some(last)) = (truncated, page.last()) {
        out.set_next_key_marker(last.key.as_str());
        out.set_next_upload_id_marker(last.id.as_str());
    }
    Ok(reply(out))
}

/// The storage class an upload's object will have.
fn storage_class(u: &Upload) -> String {
    u.template
        .storage_class
        .clone()
        .unwrap_or_else(|| "STANDARD".into())
}

/// ListParts (PartNumberMarker, MaxParts).
pub fn list_parts(_ctx: &Ctx, input: input::ListParts<'_>) -> OpResult {
    let (b, u) = find_upload(input.bucket(), input.key(), input.upload_id())?;
    let marker = input.part_number_marker().unwrap_or(0).max(0) as u64;
    let max = input.max_parts().unwrap_or(1000).clamp(0, 1000) as usize;
    let all: Vec<Part> = store::parts(&u.id)
        .into_iter()
        .filter(|p| p.number > marker)
        .collect();
    let truncated = all.len() > max;
    let page = &all[..all.len().min(max)];
    let parts: Vec<out::Part> = page
        .iter()
        .map(|p| {
            let mut v = out::Part::new()
                .part_number(p.number)
                .last_modified(util::ts(p.modified_ms))
                .e_tag(util::quoted(&p.etag))
                .size(p.size);
            set_checksums!(v, &p.checksums);
            v
        })
        .collect();
    let mut out = output::ListParts::new()
        .bucket(b.name.as_str())
        .key(u.key.as_str())
        .upload_id(u.id.as_str())
        .part_number_marker(marker)
        .max_parts(max)
        .is_truncated(truncated)
        .owner(util::owner())
        .initiator(util::initiator())
        .storage_class(storage_class(&u))
        .parts(non_empty(parts))
        .checksum_algorithm(u.checksum_algorithm.as_deref());
    if let (true, Some(last)) = (truncated, page.last()) {
        out.set_next_part_number_marker(last.number);
    }
    Ok(reply(out))
}
