//! Listings: ListObjects (v1), ListObjectsV2 and ListObjectVersions, in
//! exact UTF-8 binary key order, with Prefix, Delimiter (CommonPrefixes),
//! markers / continuation tokens, MaxKeys and `EncodingType=url`.

use ruststack_sdk::AwsError;
use ruststack_sdk::keys::prefix_end;
use serde_json::{Value, json};

use crate::dispatch::{Ctx, OpResult};
use crate::store::{self, Obj};
use crate::util::{self, s};

/// One listing row.
enum Entry {
    Object(Box<Obj>),
    Prefix(String),
}

fn check_encoding(input: &Value) -> Result<bool, AwsError> {
    match s(input, "EncodingType") {
        None => Ok(false),
        Some("url") => Ok(true),
        Some(other) => Err(util::invalid_argument(
            "Invalid Encoding Method specified in Request",
            "encoding-type",
            other,
        )),
    }
}

fn max_keys(input: &Value) -> Result<usize, AwsError> {
    let m = util::n(input, "MaxKeys").unwrap_or(1000);
    if m < 0 {
        return Err(util::invalid_argument(
            "Provided max-keys not an integer or within integer range",
            "max-keys",
            &m.to_string(),
        ));
    }
    Ok(m.min(1000) as usize)
}

/// The common prefix `key` rolls up into, if any.
fn common_prefix(key: &str, prefix: &str, delimiter: &str) -> Option<String> {
    if delimiter.is_empty() {
        return None;
    }
    let rest = key.get(prefix.len()..)?;
    rest.find(delimiter)
        .map(|i| key[..prefix.len() + i + delimiter.len()].to_string())
}

/// Walks current objects after `after`, rolling keys into common prefixes;
/// returns up to `max` entries and whether more follow.
fn walk(
    bucket: &str,
    prefix: &str,
    delimiter: &str,
    after: &str,
    max: usize,
) -> (Vec<Entry>, bool) {
    let mut out = Vec::new();
    if max == 0 {
        return (out, false);
    }
    let mut cursor: Vec<u8> = if after.is_empty() {
        Vec::new()
    } else {
        let mut c = after.as_bytes().to_vec();
        c.push(0);
        c
    };
    'scan: loop {
        // One more than the page still needs tells whether it is truncated
        // (keys that share a common prefix only take more rounds).
        let want = (max - out.len() + 1).min(1000) as u32;
        let batch = store::scan_objects(bucket, prefix, &cursor, want);
        if batch.is_empty() {
            return (out, false);
        }
        for o in batch {
            if let Some(cp) = common_prefix(&o.key, prefix, delimiter) {
                let next = prefix_end(cp.as_bytes()).unwrap_or_default();
                if cp.as_str() <= after {
                    cursor = next;
                    continue 'scan;
                }
                if out.len() == max {
                    return (out, true);
                }
                out.push(Entry::Prefix(cp));
                cursor = next;
                continue 'scan;
            }
            if out.len() == max {
                return (out, true);
            }
            cursor = o.key.as_bytes().to_vec();
            cursor.push(0);
            out.push(Entry::Object(Box::new(o)));
        }
    }
}

fn enc(url: bool, v: &str) -> String {
    if url {
        util::url_encode(v)
    } else {
        v.to_string()
    }
}

fn content(o: &Obj, url: bool, owner: bool) -> Value {
    let mut c = json!({
        "Key": enc(url, &o.key),
        "LastModified": util::ts(o.modified_ms),
        "ETag": util::quoted(&o.etag),
        "Size": o.size,
        "StorageClass": o.storage_class.clone().unwrap_or_else(|| "STANDARD".into()),
    });
    if let Some(alg) = o.checksums.keys().next() {
        c["ChecksumAlgorithm"] = json!([alg.trim_start_matches("Checksum")]);
        c["ChecksumType"] = json!(if o.parts.is_empty() {
            "FULL_OBJECT"
        } else {
            "COMPOSITE"
        });
    }
    if owner {
        c["Owner"] = util::owner();
    }
    c
}

/// ListObjects (`v2 = false`, Marker) and ListObjectsV2 (ContinuationToken,
/// StartAfter, FetchOwner).
pub fn list_objects(_ctx: &Ctx, input: &Value, v2: bool) -> OpResult {
    let name = s(input, "Bucket").unwrap_or_default();
    store::require_bucket(name)?;
    let url = check_encoding(input)?;
    let max = max_keys(input)?;
    let prefix = s(input, "Prefix").unwrap_or_default();
    let delimiter = s(input, "Delimiter").unwrap_or_default();
    let after = if v2 {
        match s(input, "ContinuationToken") {
            Some(t) => util::unb64(t)
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| {
                    util::invalid_argument(
                        "The continuation token provided is incorrect",
                        "continuation-token",
                        t,
                    )
                })?,
            None => s(input, "StartAfter").unwrap_or_default().to_string(),
        }
    } else {
        s(input, "Marker").unwrap_or_default().to_string()
    };
    let (entries, truncated) = walk(name, prefix, delimiter, &after, max);
    let owner = !v2 || util::flag(input, "FetchOwner");
    let mut contents = Vec::new();
    let mut prefixes = Vec::new();
    let mut last = String::new();
    for e in &entries {
        match e {
            Entry::Object(o) => {
                contents.push(content(o, url, owner));
                last = o.key.clone();
            }
            Entry::Prefix(p) => {
                prefixes.push(json!({"Prefix": enc(url, p)}));
                last = p.clone();
            }
        }
    }
    let mut out = json!({
        "Name": name,
        // ListObjects (v1) answers its Prefix as given even with
        // EncodingType=url; SDKs decode it only in ListObjectsV2.
        "Prefix": if v2 { enc(url, prefix) } else { prefix.to_string() },
        "MaxKeys": util::n(input, "MaxKeys").unwrap_or(1000),
        "IsTruncated": truncated,
    });
    if !contents.is_empty() {
        out["Contents"] = json!(contents);
    }
    if !prefixes.is_empty() {
        out["CommonPrefixes"] = json!(prefixes);
    }
    if !delimiter.is_empty() {
        out["Delimiter"] = json!(enc(url, delimiter));
    }
    if url {
        out["EncodingType"] = json!("url");
    }
    if v2 {
        out["KeyCount"] = json!(entries.len());
        if let Some(t) = s(input, "ContinuationToken") {
            out["ContinuationToken"] = json!(t);
        }
        if let Some(sa) = s(input, "StartAfter") {
            out["StartAfter"] = json!(enc(url, sa));
        }
        if truncated {
            out["NextContinuationToken"] = json!(util::b64(last.as_bytes()));
        }
    } else {
        out["Marker"] = json!(enc(url, s(input, "Marker").unwrap_or_default()));
        if truncated && !delimiter.is_empty() {
            out["NextMarker"] = json!(enc(url, &last));
        }
    }
    Ok(out.into())
}

/// ListObjectVersions: versions and delete markers, newest first per key.
/// Buckets that never had versioning list their objects as `null` versions.
pub fn list_object_versions(_ctx: &Ctx, input: &Value) -> OpResult {
    let name = s(input, "Bucket").unwrap_or_default();
    let b = store::require_bucket(name)?;
    let url = check_encoding(input)?;
    let max = max_keys(input)?;
    let prefix = s(input, "Prefix").unwrap_or_default();
    let delimiter = s(input, "Delimiter").unwrap_or_default();
    let key_marker = s(input, "KeyMarker").unwrap_or_default();
    let vid_marker = s(input, "VersionIdMarker").filter(|v| !v.is_empty());
    if vid_marker.is_some() && key_marker.is_empty() {
        return Err(util::invalid_argument(
            "A version-id marker cannot be specified without a key marker.",
            "version-id-marker",
            vid_marker.unwrap_or_default(),
        ));
    }
    let mut versions = Vec::new();
    let mut markers = Vec::new();
    let mut prefixes = Vec::new();
    let mut truncated = false;
    let (mut next_key, mut next_vid) = (String::new(), String::new());
    if b.versioning.is_none() {
        let (entries, t) = walk(name, prefix, delimiter, key_marker, max);
        truncated = t;
        for e in entries {
            match e {
                Entry::Object(o) => {
                    let mut v = content(&o, url, true);
                    v["VersionId"] = json!("null");
                    v["IsLatest"] = json!(true);
                    next_key = o.key.clone();
                    next_vid = "null".into();
                    versions.push(v);
                }
                Entry::Prefix(p) => {
                    next_key = p.clone();
                    prefixes.push(json!({"Prefix": enc(url, &p)}));
                }
            }
        }
    } else {
        let mut start: Option<Vec<u8>> = if key_marker.is_empty() {
            None
        } else {
            match vid_marker {
                Some(v) => store::key_versions(name, key_marker)
                    .into_iter()
                    .find(|o| o.vid() == v)
                    .map(|o| {
                        let mut k = store::version_raw_key(name, &o);
                        k.push(0);
                        k
                    })
                    .or_else(|| Some(store::versions_after_key(name, key_marker))),
                None => Some(store::versions_after_key(name, key_marker)),
            }
        };
        let mut prev_key: Option<String> = vid_marker.map(|_| key_marker.to_string());
        let mut count = 0;
        'scan: loop {
            let batch = store::scan_versions(name, prefix, start.as_deref(), 1000);
            if batch.is_empty() {
                break;
            }
            for (raw, o) in batch {
                if let Some(cp) = common_prefix(&o.key, prefix, delimiter) {
                    start = store::versions_past_prefix(name, &cp);
                    if cp.as_str() <= key_marker {
                        continue 'scan;
                    }
                    if count == max {
                        truncated = true;
                        break 'scan;
                    }
                    count += 1;
                    next_key = cp.clone();
                    next_vid.clear();
                    prefixes.push(json!({"Prefix": enc(url, &cp)}));
                    if start.is_none() {
                        break 'scan;
                    }
                    continue 'scan;
                }
                if count == max {
                    truncated = true;
                    break 'scan;
                }
                count += 1;
                let latest = prev_key.as_deref() != Some(o.key.as_str());
                prev_key = Some(o.key.clone());
                next_key = o.key.clone();
                next_vid = o.vid();
                let mut k = raw;
                k.push(0);
                start = Some(k);
                if o.delete_marker {
                    markers.push(json!({
                        "Key": enc(url, &o.key),
                        "VersionId": o.vid(),
                        "IsLatest": latest,
                        "LastModified": util::ts(o.modified_ms),
                        "Owner": util::owner(),
                    }));
                } else {
                    let mut v = content(&o, url, true);
                    v["VersionId"] = json!(o.vid());
                    v["IsLatest"] = json!(latest);
                    versions.push(v);
                }
            }
        }
    }
    let mut out = json!({
        "Name": name,
        "Prefix": enc(url, prefix),
        "KeyMarker": enc(url, key_marker),
        "MaxKeys": util::n(input, "MaxKeys").unwrap_or(1000),
        "IsTruncated": truncated,
    });
    if let Some(v) = vid_marker {
        out["VersionIdMarker"] = json!(v);
    }
    if !versions.is_empty() {
        out["Versions"] = json!(versions);
    }
    if !markers.is_empty() {
        out["DeleteMarkers"] = json!(markers);
    }
    if !prefixes.is_empty() {
        out["CommonPrefixes"] = json!(prefixes);
    }
    if !delimiter.is_empty() {
        out["Delimiter"] = json!(enc(url, delimiter));
    }
    if url {
        out["EncodingType"] = json!("url");
    }
    if truncated {
        out["NextKeyMarker"] = json!(enc(url, &next_key));
        if !next_vid.is_empty() {
            out["NextVersionIdMarker"] = json!(next_vid);
        }
    }
    Ok(out.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_prefixes() {
        assert_eq!(common_prefix("a/b/c", "", "/").as_deref(), Some("a/"));
        assert_eq!(common_prefix("a/b/c", "a/", "/").as_deref(), Some("a/b/"));
        assert_eq!(common_prefix("a/b", "a/b", "/"), None);
        assert_eq!(common_prefix("abc", "", ""), None);
    }
}
