//! What S3 keeps in kv, and the key layout.
//!
//! - `b/<bucket>`: the bucket record.
//! - `c/<bucket>/<config>`: a bucket sub-resource (CORS, policy, ...), stored
//!   as the decoded model value of its document.
//! - `o/<bucket>` + raw key bytes: the current (visible) version of each key.
//!   Raw key bytes make the kv order the exact UTF-8 binary order S3 lists in,
//!   and make a key prefix a kv prefix.
//! - `v/<bucket>/<key>/<!seq>`: every version of a key (newest first), kept
//!   for buckets whose versioning was ever set.
//! - `u/<bucket>/<key>/<upload id>` and `p/<upload id>/<part>`: multipart
//!   uploads in progress and their parts.

use std::collections::BTreeMap;

use ruststack_sdk::keys::{Key, prefix_end};
use ruststack_sdk::{AwsError, blobs, kv};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// A bucket.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Bucket {
    /// Bucket name.
    pub name: String,
    /// Region the bucket lives in.
    pub region: String,
    /// Creation time, epoch milliseconds.
    pub created_ms: u64,
    /// `Enabled` / `Suspended`; `None` when versioning was never set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub versioning: Option<String>,
    /// Whether the bucket was created with Object Lock.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub object_lock: bool,
    /// The account that owns it (stored before accounts: `000000000000`).
    #[serde(default = "default_owner")]
    pub owner: String,
}

fn default_owner() -> String {
    ruststack_sdk::scope::DEFAULT_ACCOUNT.to_string()
}

/// One version of an object (or a delete marker). Members at their default
/// are left out of the stored record: it is decoded on every GET and HEAD.
#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub struct Obj {
    /// The object key.
    pub key: String,
    /// Blob holding the bytes (empty for delete markers).
    pub blob: String,
    /// Length in bytes.
    pub size: u64,
    /// ETag without quotes.
    pub etag: String,
    /// Last-Modified, epoch milliseconds.
    pub modified_ms: u64,
    /// Content-Type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// Other stored representation headers (Cache-Control, Content-*,
    /// Expires, website redirect), as model member values by member name.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub headers: serde_json::Map<String, serde_json::Value>,
    /// User metadata (`x-amz-meta-*`), lower-case names.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, String>,
    /// Storage class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_class: Option<String>,
    /// Object tags, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<(String, String)>,
    /// Version id; `None` is the `null` version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// True for a delete marker.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub delete_marker: bool,
    /// Checksums by model member name (`ChecksumCRC32`, ...), base64.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub checksums: BTreeMap<String, String>,
    /// Part sizes when the object came from a multipart upload.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<u64>,
    /// Order of writes in the bucket, for version ordering.
    #[serde(default)]
    pub seq: u64,
    /// Object Lock retention and legal hold, as model values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention: Option<serde_json::Value>,
    /// Object Lock legal hold status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_hold: Option<String>,
    /// Canned ACL or grants given at write time, as a model value.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acl: Option<serde_json::Value>,
}

impl Obj {
    /// The version id as S3 reports it (`null` for the null version).
    pub fn vid(&self) -> String {
        self.version_id.clone().unwrap_or_else(|| "null".into())
    }
}

/// A multipart upload in progress.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Upload {
    /// Upload id.
    pub id: String,
    /// Object key.
    pub key: String,
    /// Initiation time, epoch milliseconds.
    pub initiated_ms: u64,
    /// The object as it will be written (headers, metadata, tags...).
    pub template: Obj,
    /// Checksum algorithm asked for at creation.
    #[serde(default)]
    pub checksum_algorithm: Option<String>,
}

/// A completed upload, remembered so that completing it again with the same
/// parts answers as the first completion did (AWS keeps answering 200 for a
/// while, and SDKs retry a completion whose answer they lost).
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Completed {
    /// The bucket it completed in.
    pub bucket: String,
    /// The key it completed.
    pub key: String,
    /// (part number, ETag) as listed in the completion.
    pub parts: Vec<(u64, String)>,
    /// The object's ETag (unquoted), to tell whether it was replaced since.
    pub etag: String,
    /// The completion's answer.
    pub answer: serde_json::Value,
    /// When, epoch milliseconds.
    pub at_ms: u64,
}

fn completed_key(id: &str) -> Vec<u8> {
    Key::new().str("c").str(id).into_bytes()
}

/// The completion of upload `id`, if remembered.
pub fn completed(id: &str) -> Option<Completed> {
    get_json(&completed_key(id))
}

/// Remembers the completion of upload `id`.
pub fn put_completed(id: &str, c: &Completed) {
    put_json(&completed_key(id), c);
}

/// An uploaded part.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Part {
    /// Part number.
    pub number: u64,
    /// Blob holding the part's bytes.
    pub blob: String,
    /// Length in bytes.
    pub size: u64,
    /// ETag (hex MD5, no quotes).
    pub etag: String,
    /// Upload time, epoch milliseconds.
    pub modified_ms: u64,
    /// Checksums by model member name, base64.
    #[serde(default)]
    pub checksums: BTreeMap<String, String>,
}

fn get_json<T: DeserializeOwned>(key: &[u8]) -> Option<T> {
    kv::get(key).and_then(|v| serde_json::from_slice(&v).ok())
}

fn put_json<T: Serialize>(key: &[u8], v: &T) {
    kv::put(key, &serde_json::to_vec(v).expect("serializable"));
}

/// Escapes a byte string the way [`Key::bytes`] does, without its terminator,
/// so that it is a prefix of every encoded string it is a prefix of.
pub fn escaped(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    for &x in b {
        out.push(x);
        if x == 0 {
            out.push(0xFF);
        }
    }
    out
}

// ----- buckets -----

fn bucket_key(name: &str) -> Vec<u8> {
    Key::new().str("b").str(name).into_bytes()
}

/// The bucket called `name`.
pub fn bucket(name: &str) -> Option<Bucket> {
    // Read by nearly every request: parsed once while its bytes stay the same.
    ruststack_sdk::table::get_shared::<Bucket>(bucket_key(name)).map(|b| (*b).clone())
}

/// The bucket called `name`, or `NoSuchBucket`.
pub fn require_bucket(name: &str) -> Result<Bucket, AwsError> {
    bucket(name).ok_or_else(|| crate::util::no_such_bucket(name))
}

/// Creates the bucket if absent; false if it exists.
pub fn insert_bucket(b: &Bucket) -> bool {
    let v = serde_json::to_vec(b).expect("serializable");
    kv::compare_and_set(&bucket_key(&b.name), None, Some(&v))
}

/// Stores a bucket record.
pub fn put_bucket(b: &Bucket) {
    put_json(&bucket_key(&b.name), b)
}

/// Removes a bucket record and its configurations.
pub fn delete_bucket(name: &str) {
    kv::delete(&bucket_key(name));
    let prefix = Key::new().str("c").str(name).into_bytes();
    for (k, _) in kv::scan_prefix(&prefix, None, u32::MAX) {
        kv::delete(&k);
    }
}

/// Every bucket, in name order.
pub fn buckets() -> Vec<Bucket> {
    let prefix = Key::new().str("b").into_bytes();
    kv::scan_prefix(&prefix, None, u32::MAX)
        .into_iter()
        .filter_map(|(_, v)| serde_json::from_slice(&v).ok())
        .collect()
}

/// Most objects counted per bucket for the console.
const COUNTED: u32 = 10_000;

/// The caller's buckets with their object counts (up to [`COUNTED`]), for
/// the operator's console.
pub fn resources() -> Vec<ruststack_sdk::Resource> {
    let account = ruststack_sdk::scope::caller_account();
    buckets()
        .into_iter()
        .filter(|b| b.owner == account)
        .map(|b| {
            let n = kv::scan_prefix(&objects_prefix(&b.name), None, COUNTED + 1).len() as u64;
            let more = n > u64::from(COUNTED);
            ruststack_sdk::Resource {
                kind: "bucket".into(),
                count: (!more).then_some(n),
                detail: if more {
                    format!("{}, over {COUNTED} objects", b.region)
                } else {
                    b.region.clone()
                },
                name: b.name,
            }
        })
        .collect()
}

// ----- configurations -----

fn config_key(bucket: &str, name: &str) -> Vec<u8> {
    Key::new().str("c").str(bucket).str(name).into_bytes()
}

/// A stored bucket configuration.
pub fn config(bucket: &str, name: &str) -> Option<serde_json::Value> {
    get_json(&config_key(bucket, name))
}

/// Stores a bucket configuration.
pub fn put_config(bucket: &str, name: &str, v: &serde_json::Value) {
    put_json(&config_key(bucket, name), v)
}

/// Removes a bucket configuration.
pub fn delete_config(bucket: &str, name: &str) {
    kv::delete(&config_key(bucket, name));
}

// ----- current objects -----

/// The kv prefix of a bucket's current objects.
pub fn objects_prefix(bucket: &str) -> Vec<u8> {
    Key::new().str("o").str(bucket).into_bytes()
}

fn object_key(bucket: &str, key: &str) -> Vec<u8> {
    let mut k = objects_prefix(bucket);
    k.extend_from_slice(key.as_bytes());
    k
}

/// The current version of `key`.
pub fn object(bucket: &str, key: &str) -> Option<Obj> {
    get_json(&object_key(bucket, key))
}

/// Sets the current version of `key`.
pub fn put_object(bucket: &str, o: &Obj) {
    put_json(&object_key(bucket, &o.key), o)
}

/// Removes the current version of `key` (the versions table is untouched).
pub fn delete_current(bucket: &str, key: &str) {
    kv::delete(&object_key(bucket, key));
}

/// Up to `limit` current objects whose key starts with `prefix`, from key
/// `start` (inclusive) on, in binary key order.
pub fn scan_objects(bucket: &str, prefix: &str, start: &[u8], limit: u32) -> Vec<Obj> {
    let base = objects_prefix(bucket);
    let mut p = base.clone();
    p.extend_from_slice(prefix.as_bytes());
    let mut from = base.clone();
    from.extend_from_slice(start);
    let from = from.max(p.clone());
    let end = prefix_end(&p);
    kv::scan(&from, end.as_deref(), limit, false)
        .into_iter()
        .filter_map(|(_, v)| serde_json::from_slice(&v).ok())
        .collect()
}

/// Whether the bucket holds any current object.
pub fn has_objects(bucket: &str) -> bool {
    !kv::scan_prefix(&objects_prefix(bucket), None, 1).is_empty()
        || !kv::scan_prefix(&versions_prefix(bucket), None, 1).is_empty()
}

// ----- versions -----

/// The kv prefix of a bucket's versions.
pub fn versions_prefix(bucket: &str) -> Vec<u8> {
    Key::new().str("v").str(bucket).into_bytes()
}

fn version_key(bucket: &str, key: &str, seq: u64) -> Vec<u8> {
    let mut k = versions_prefix(bucket);
    k.extend_from_slice(Key::new().str(key).u64(u64::MAX - seq).as_bytes());
    k
}

fn key_versions_prefix(bucket: &str, key: &str) -> Vec<u8> {
    let mut k = versions_prefix(bucket);
    k.extend_from_slice(Key::new().str(key).as_bytes());
    k
}

/// Stores one version.
pub fn put_version(bucket: &str, o: &Obj) {
    put_json(&version_key(bucket, &o.key, o.seq), o)
}

/// Removes one version.
pub fn delete_version(bucket: &str, o: &Obj) {
    kv::delete(&version_key(bucket, &o.key, o.seq));
}

/// Every version of `key`, newest first.
pub fn key_versions(bucket: &str, key: &str) -> Vec<Obj> {
    kv::scan_prefix(&key_versions_prefix(bucket, key), None, u32::MAX)
        .into_iter()
        .filter_map(|(_, v)| serde_json::from_slice(&v).ok())
        .collect()
}

/// Versions (all keys) whose key starts with `prefix`, from the raw kv key
/// `start` (inclusive) on, at most `limit`: (raw kv key, version).
pub fn scan_versions(
    bucket: &str,
    prefix: &str,
    start: Option<&[u8]>,
    limit: u32,
) -> Vec<(Vec<u8>, Obj)> {
    let mut p = versions_prefix(bucket);
    p.extend_from_slice(&escaped(prefix.as_bytes()));
    let from = match start {
        Some(s) if s > p.as_slice() => s.to_vec(),
        _ => p.clone(),
    };
    let end = prefix_end(&p);
    kv::scan(&from, end.as_deref(), limit, false)
        .into_iter()
        .filter_map(|(k, v)| serde_json::from_slice(&v).ok().map(|o| (k, o)))
        .collect()
}

/// The raw kv key just past every version of every key starting with
/// `prefix` (to skip a common prefix).
pub fn versions_past_prefix(bucket: &str, prefix: &str) -> Option<Vec<u8>> {
    let mut p = versions_prefix(bucket);
    p.extend_from_slice(&escaped(prefix.as_bytes()));
    prefix_end(&p)
}

/// A raw kv key above every version of `key` and below those of any later
/// key (the `after` of a listing that resumes past a KeyMarker).
pub fn versions_after_key(bucket: &str, key: &str) -> Vec<u8> {
    let mut k = key_versions_prefix(bucket, key);
    k.extend_from_slice(&[0xFF; 9]);
    k
}

/// The raw kv key of a version (for a VersionIdMarker).
pub fn version_raw_key(bucket: &str, o: &Obj) -> Vec<u8> {
    version_key(bucket, &o.key, o.seq)
}

/// The next write sequence number of a bucket.
pub fn next_seq(bucket: &str) -> u64 {
    let k = Key::new().str("seq").str(bucket).into_bytes();
    let n = kv::get(&k)
        .and_then(|v| v.try_into().ok().map(u64::from_be_bytes))
        .unwrap_or(0)
        + 1;
    kv::put(&k, &n.to_be_bytes());
    n
}

/// Deletes a version's blob (delete markers have none).
pub fn drop_blob(o: &Obj) {
    if !o.blob.is_empty() {
        let _ = blobs::delete(&o.blob);
    }
}

// ----- multipart -----

fn upload_key(bucket: &str, key: &str, id: &str) -> Vec<u8> {
    let mut k = uploads_prefix(bucket);
    k.extend_from_slice(Key::new().str(key).str(id).as_bytes());
    k
}

/// The kv prefix of a bucket's uploads.
pub fn uploads_prefix(bucket: &str) -> Vec<u8> {
    Key::new().str("u").str(bucket).into_bytes()
}

/// An upload in progress.
pub fn upload(bucket: &str, key: &str, id: &str) -> Option<Upload> {
    get_json(&upload_key(bucket, key, id))
}

/// Stores an upload.
pub fn put_upload(bucket: &str, u: &Upload) {
    put_json(&upload_key(bucket, &u.key, &u.id), u)
}

/// Removes an upload and its part records (not the part blobs).
pub fn delete_upload(bucket: &str, u: &Upload) {
    kv::delete(&upload_key(bucket, &u.key, &u.id));
    for (k, _) in kv::scan_prefix(&parts_prefix(&u.id), None, u32::MAX) {
        kv::delete(&k);
    }
}

/// Uploads of a bucket whose key starts with `prefix`, in key then id order.
pub fn scan_uploads(bucket: &str, prefix: &str) -> Vec<Upload> {
    let mut p = uploads_prefix(bucket);
    p.extend_from_slice(&escaped(prefix.as_bytes()));
    kv::scan_prefix(&p, None, u32::MAX)
        .into_iter()
        .filter_map(|(_, v)| serde_json::from_slice(&v).ok())
        .collect()
}

fn parts_prefix(id: &str) -> Vec<u8> {
    Key::new().str("p").str(id).into_bytes()
}

fn part_key(id: &str, n: u64) -> Vec<u8> {
    let mut k = parts_prefix(id);
    k.extend_from_slice(&n.to_be_bytes());
    k
}

/// A part of an upload.
pub fn part(id: &str, n: u64) -> Option<Part> {
    get_json(&part_key(id, n))
}

/// Stores a part.
pub fn put_part(id: &str, p: &Part) {
    put_json(&part_key(id, p.number), p)
}

/// Every part of an upload, by part number.
pub fn parts(id: &str) -> Vec<Part> {
    kv::scan_prefix(&parts_prefix(id), None, u32::MAX)
        .into_iter()
        .filter_map(|(_, v)| serde_json::from_slice(&v).ok())
        .collect()
}
