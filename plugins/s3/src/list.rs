//! Listings: ListObjects (v1), ListObjectsV2 and ListObjectVersions, in
//! exact UTF-8 binary key order, with Prefix, Delimiter (CommonPrefixes),
//! markers / continuation tokens, MaxKeys and `EncodingType=url`.

use ruststack_sdk::AwsError;
use ruststack_sdk::keys::prefix_end;
use ruststack_sdk::protocol::shapes::s3::{input, out, output};

use crate::dispatch::{Ctx, OpResult, reply};
use crate::store::{self, Obj};
use crate::util::{self, non_empty};

/// One listing row.
enum Entry {
    Object(Box<Obj>),
    Prefix(String),
}

/// Whether the input's `EncodingType` asks for URL-encoded keys.
fn check_encoding(encoding_type: Option<&str>) -> Result<bool, AwsError> {
    match encoding_type {
        None => Ok(false),
        Some("url") => Ok(true),
        Some(other) => Err(util::invalid_argument(
            "Invalid Encoding Method specified in Request",
            "encoding-type",
            other,
        )),
    }
}

/// The page size the input's `MaxKeys` asks for (at most 1000).
fn max_keys(max_keys: Option<i64>) -> Result<usize, AwsError> {
    let m = max_keys.unwrap_or(1000);
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

/// An object's storage class as listings report it.
fn storage_class(o: &Obj) -> String {
    o.storage_class.clone().unwrap_or_else(|| "STANDARD".into())
}

/// An object's checksum type: composite for multipart uploads.
pub fn checksum_type(o: &Obj) -> &'static str {
    if o.parts.is_empty() {
        "FULL_OBJECT"
    } else {
        "COMPOSITE"
    }
}

/// The members an `Object` and an `ObjectVersion` listing entry share, set
/// on the builder `$entry`.
macro_rules! entry {
    ($entry:expr, $o:expr, $url:expr) => {{
        let o: &Obj = $o;
        let mut e = $entry
            .key(enc($url, &o.key))
            .last_modified(util::ts(o.modified_ms))
            .e_tag(util::quoted(&o.etag))
            .size(o.size)
            .storage_class(storage_class(o));
        if let Some(alg) = o.checksums.keys().next() {
            e.set_checksum_algorithm(vec![alg.trim_start_matches("Checksum")]);
            e.set_checksum_type(checksum_type(o));
        }
        e
    }};
}

/// A `Contents` entry of ListObjects / ListObjectsV2.
fn content(o: &Obj, url: bool, owner: bool) -> out::Object {
    entry!(out::Object::new(), o, url).owner(owner.then(util::owner))
}

/// A `Versions` entry of ListObjectVersions: version `vid` of `o`.
fn version(o: &Obj, url: bool, vid: String, latest: bool) -> out::ObjectVersion {
    entry!(out::ObjectVersion::new(), o, url)
        .owner(util::owner())
        .version_id(vid)
        .is_latest(latest)
}

/// A `CommonPrefixes` entry.
fn common(url: bool, p: &str) -> out::CommonPrefix {
    out::CommonPrefix::new().prefix(enc(url, p))
}

/// One page of current objects: contents, common prefixes, whether more
/// follow, how many entries it has, and the last key or prefix in it.
struct Page {
    contents: Vec<out::Object>,
    prefixes: Vec<out::CommonPrefix>,
    truncated: bool,
    count: usize,
    last: String,
}

/// What ListObjects and ListObjectsV2 read from their inputs.
struct Listing<'a> {
    bucket: &'a str,
    prefix: &'a str,
    delimiter: &'a str,
    max_keys: Option<i64>,
    encoding_type: Option<&'a str>,
}

/// The [`Listing`] of a ListObjects or ListObjectsV2 input view (two
/// generated types with these members in common).
macro_rules! listing {
    ($input:expr) => {
        Listing {
            bucket: $input.bucket().unwrap_or_default(),
            prefix: $input.prefix().unwrap_or_default(),
            delimiter: $input.delimiter().unwrap_or_default(),
            max_keys: $input.max_keys(),
            encoding_type: $input.encoding_type(),
        }
    };
}

/// Checks a listing's bucket, encoding and page size (in S3's order) and
/// returns whether keys are URL-encoded and the page size.
fn check_listing(l: &Listing<'_>) -> Result<(bool, usize), AwsError> {
    store::require_bucket(l.bucket)?;
    let url = check_encoding(l.encoding_type)?;
    Ok((url, max_keys(l.max_keys)?))
}

/// The page of current objects after `after`.
fn page(l: &Listing<'_>, after: &str, max: usize, url: bool, owner: bool) -> Page {
    let (entries, truncated) = walk(l.bucket, l.prefix, l.delimiter, after, max);
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
                prefixes.push(common(url, p));
                last = p.clone();
            }
        }
    }
    Page {
        contents,
        prefixes,
        truncated,
        count: entries.len(),
        last,
    }
}

/// ListObjects (v1: Marker, NextMarker only with a delimiter).
pub fn list_objects(_ctx: &Ctx, input: input::ListObjects<'_>) -> OpResult {
    let l = listing!(input);
    let (url, max) = check_listing(&l)?;
    let marker = input.marker().unwrap_or_default();
    let p = page(&l, marker, max, url, true);
    let next_marker = (p.truncated && !l.delimiter.is_empty()).then(|| enc(url, &p.last));
    Ok(reply(
        output::ListObjects::new()
            .name(l.bucket)
            // ListObjects (v1) answers its Prefix as given even with
            // EncodingType=url; SDKs decode it only in ListObjectsV2.
            .prefix(l.prefix)
            .max_keys(l.max_keys.unwrap_or(1000))
            .is_truncated(p.truncated)
            .contents(non_empty(p.contents))
            .common_prefixes(non_empty(p.prefixes))
            .delimiter((!l.delimiter.is_empty()).then(|| enc(url, l.delimiter)))
            .encoding_type(url.then_some("url"))
            .marker(enc(url, marker))
            .next_marker(next_marker),
    ))
}

/// ListObjectsV2 (ContinuationToken, StartAfter, FetchOwner).
pub fn list_objects_v2(_ctx: &Ctx, input: input::ListObjectsV2<'_>) -> OpResult {
    let l = listing!(input);
    let (url, max) = check_listing(&l)?;
    let after = match input.continuation_token() {
        Some(t) => util::unb64(t)
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(|| {
                util::invalid_argument(
                    "The continuation token provided is incorrect",
                    "continuation-token",
                    t,
                )
            })?,
        None => input.start_after().unwrap_or_default().to_string(),
    };
    let owner = input.fetch_owner().unwrap_or(false);
    let p = page(&l, &after, max, url, owner);
    let next = p.truncated.then(|| util::b64(p.last.as_bytes()));
    Ok(reply(
        output::ListObjectsV2::new()
            .name(l.bucket)
            .prefix(enc(url, l.prefix))
            .max_keys(l.max_keys.unwrap_or(1000))
            .is_truncated(p.truncated)
            .contents(non_empty(p.contents))
            .common_prefixes(non_empty(p.prefixes))
            .delimiter((!l.delimiter.is_empty()).then(|| enc(url, l.delimiter)))
            .encoding_type(url.then_some("url"))
            .key_count(p.count)
            .continuation_token(input.continuation_token())
            .start_after(input.start_after().map(|sa| enc(url, sa)))
            .next_continuation_token(next),
    ))
}

/// What ListObjectVersions collects: versions, delete markers, common
/// prefixes, whether more follow, and where the next page starts.
#[derive(Default)]
struct VersionPage {
    versions: Vec<out::ObjectVersion>,
    markers: Vec<out::DeleteMarkerEntry>,
    prefixes: Vec<out::CommonPrefix>,
    truncated: bool,
    next_key: String,
    next_vid: String,
}

/// ListObjectVersions: versions and delete markers, newest first per key.
/// Buckets that never had versioning list their objects as `null` versions.
pub fn list_object_versions(_ctx: &Ctx, input: input::ListObjectVersions<'_>) -> OpResult {
    let name = input.bucket().unwrap_or_default();
    let b = store::require_bucket(name)?;
    let url = check_encoding(input.encoding_type())?;
    let max = max_keys(input.max_keys())?;
    let prefix = input.prefix().unwrap_or_default();
    let delimiter = input.delimiter().unwrap_or_default();
    let key_marker = input.key_marker().unwrap_or_default();
    let vid_marker = input.version_id_marker().filter(|v| !v.is_empty());
    if vid_marker.is_some() && key_marker.is_empty() {
        return Err(util::invalid_argument(
            "A version-id marker cannot be specified without a key marker.",
            "version-id-marker",
            vid_marker.unwrap_or_default(),
        ));
    }
    let l = Listing {
        bucket: name,
        prefix,
        delimiter,
        max_keys: input.max_keys(),
        encoding_type: input.encoding_type(),
    };
    let p = if b.versioning.is_none() {
        null_versions(&l, key_marker, max, url)
    } else {
        versions(&l, key_marker, vid_marker, max, url)
    };
    let mut out = output::ListObjectVersions::new()
        .name(name)
        .prefix(enc(url, prefix))
        .key_marker(enc(url, key_marker))
        .max_keys(input.max_keys().unwrap_or(1000))
        .is_truncated(p.truncated)
        .version_id_marker(vid_marker)
        .versions(non_empty(p.versions))
        .delete_markers(non_empty(p.markers))
        .common_prefixes(non_empty(p.prefixes))
        .delimiter((!delimiter.is_empty()).then(|| enc(url, delimiter)))
        .encoding_type(url.then_some("url"));
    if p.truncated {
        out.set_next_key_marker(enc(url, &p.next_key));
        if !p.next_vid.is_empty() {
            out.set_next_version_id_marker(p.next_vid);
        }
    }
    Ok(reply(out))
}

/// The versions page of a bucket that never had versioning: its objects,
/// as `null` versions.
fn null_versions(l: &Listing<'_>, key_marker: &str, max: usize, url: bool) -> VersionPage {
    let mut p = VersionPage::default();
    let (entries, t) = walk(l.bucket, l.prefix, l.delimiter, key_marker, max);
    p.truncated = t;
    for e in entries {
        match e {
            Entry::Object(o) => {
                p.versions.push(version(&o, url, "null".into(), true));
                p.next_key = o.key.clone();
                p.next_vid = "null".into();
            }
            Entry::Prefix(cp) => {
                p.next_key = cp.clone();
                p.prefixes.push(common(url, &cp));
            }
        }
    }
    p
}

/// The versions page of a versioned bucket, from the key and version-id
/// markers on.
fn versions(
    l: &Listing<'_>,
    key_marker: &str,
    vid_marker: Option<&str>,
    max: usize,
    url: bool,
) -> VersionPage {
    let (name, prefix, delimiter) = (l.bucket, l.prefix, l.delimiter);
    let mut p = VersionPage::default();
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
                    p.truncated = true;
                    break 'scan;
                }
                count += 1;
                p.next_key = cp.clone();
                p.next_vid.clear();
                p.prefixes.push(common(url, &cp));
                if start.is_none() {
                    break 'scan;
                }
                continue 'scan;
            }
            if count == max {
                p.truncated = true;
                break 'scan;
            }
            count += 1;
            let latest = prev_key.as_deref() != Some(o.key.as_str());
            prev_key = Some(o.key.clone());
            p.next_key = o.key.clone();
            p.next_vid = o.vid();
            let mut k = raw;
            k.push(0);
            start = Some(k);
            if o.delete_marker {
                p.markers.push(
                    out::DeleteMarkerEntry::new()
                        .key(enc(url, &o.key))
                        .version_id(o.vid())
                        .is_latest(latest)
                        .last_modified(util::ts(o.modified_ms))
                        .owner(util::owner()),
                );
            } else {
                p.versions.push(version(&o, url, o.vid(), latest));
            }
        }
    }
    p
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
