//! Large byte sequences kept by the host on disk, named by id.
//!
//! Store the id in kv; read in ranges. A request body over the plugin's
//! `max-inline-body` arrives as [`Body::Blob`](crate::Body); call [`keep`] to
//! keep it beyond the request, else the host deletes it afterwards.

use crate::BlobSlice;
use crate::host;

pub use crate::bindings::ruststack::plugin::blobs::{BlobError, DigestAlgorithm};

/// A new empty blob to [`append`] to.
pub fn create() -> Result<String, BlobError> {
    host::blob_create()
}

/// Appends to a blob created by this request.
pub fn append(id: &str, data: &[u8]) -> Result<(), BlobError> {
    host::blob_append(id, data)
}

/// Up to `len` bytes from `offset`.
pub fn read(id: &str, offset: u64, len: u32) -> Result<Vec<u8>, BlobError> {
    host::blob_read(id, offset, len)
}

/// Every byte of a blob; only for blobs known to be small.
pub fn read_all(id: &str) -> Result<Vec<u8>, BlobError> {
    let size = size(id)?;
    let mut out = Vec::with_capacity(size as usize);
    while (out.len() as u64) < size {
        let chunk = read(id, out.len() as u64, 1 << 20)?;
        if chunk.is_empty() {
            break;
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

/// Length in bytes.
pub fn size(id: &str) -> Result<u64, BlobError> {
    host::blob_size(id)
}

/// A digest of the whole blob, computed by the host.
pub fn digest(id: &str, algorithm: DigestAlgorithm) -> Result<Vec<u8>, BlobError> {
    host::blob_digest(id, algorithm)
}

/// A new blob made of slices of others, without copying bytes.
pub fn compose(parts: &[BlobSlice]) -> Result<String, BlobError> {
    host::blob_compose(parts)
}

/// Keeps the incoming request body blob after the request.
pub fn keep(id: &str) -> Result<(), BlobError> {
    host::blob_keep(id)
}

/// Deletes a blob.
pub fn delete(id: &str) -> Result<(), BlobError> {
    host::blob_delete(id)
}

/// A slice covering all of blob `id`.
pub fn whole(id: &str) -> BlobSlice {
    BlobSlice {
        blob: id.to_string(),
        offset: 0,
        length: None,
    }
}
