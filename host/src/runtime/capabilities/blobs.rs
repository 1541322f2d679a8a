//! `blobs`: large bodies on disk, handed to plugins by id.

use md5::Digest;

use crate::runtime::CallState;
use crate::store::TxnError;
use crate::wit::ruststack::plugin::blobs::{BlobError, DigestAlgorithm, Host};
use crate::wit::ruststack::plugin::types::BlobSlice;

fn wit_err(e: TxnError) -> BlobError {
    match e {
        TxnError::NotFound => BlobError::NotFound,
        TxnError::OutOfRange => BlobError::OutOfRange,
        TxnError::Io(m) => BlobError::Io(m),
    }
}

/// Computes a digest by streaming the blob once.
fn digest(
    state: &mut CallState,
    blob: &str,
    algorithm: DigestAlgorithm,
) -> Result<Vec<u8>, TxnError> {
    let txn = state.txn.as_ref().ok_or(TxnError::NotFound)?;
    if let (DigestAlgorithm::Md5, Some(hex)) = (algorithm, txn.known_md5(blob))
        && let Ok(bytes) = hex::decode(hex)
    {
        return Ok(bytes);
    }
    Ok(match algorithm {
        DigestAlgorithm::Md5 => {
            let mut h = md5::Md5::new();
            txn.blob_stream(blob, |b| h.update(b))?;
            h.finalize().to_vec()
        }
        DigestAlgorithm::Sha1 => {
            let mut h = sha1::Sha1::new();
            txn.blob_stream(blob, |b| h.update(b))?;
            h.finalize().to_vec()
        }
        DigestAlgorithm::Sha256 => {
            let mut h = sha2::Sha256::new();
            txn.blob_stream(blob, |b| h.update(b))?;
            h.finalize().to_vec()
        }
        DigestAlgorithm::Crc32 => {
            let mut h = crc32fast::Hasher::new();
            txn.blob_stream(blob, |b| h.update(b))?;
            h.finalize().to_be_bytes().to_vec()
        }
        DigestAlgorithm::Crc32c => {
            let mut c = 0u32;
            txn.blob_stream(blob, |b| c = crc32c::crc32c_append(c, b))?;
            c.to_be_bytes().to_vec()
        }
        DigestAlgorithm::Crc64nvme => {
            let mut h = crc64fast_nvme::Digest::new();
            txn.blob_stream(blob, |b| h.write(b))?;
            h.sum64().to_be_bytes().to_vec()
        }
    })
}

impl Host for CallState {
    async fn create(&mut self) -> wasmtime::Result<Result<String, BlobError>> {
        Ok(self.txn()?.blob_create().map_err(wit_err))
    }

    async fn append(
        &mut self,
        blob: String,
        data: Vec<u8>,
    ) -> wasmtime::Result<Result<(), BlobError>> {
        Ok(self.txn()?.blob_append(&blob, &data).map_err(wit_err))
    }

    async fn read(
        &mut self,
        blob: String,
        offset: u64,
        length: u32,
    ) -> wasmtime::Result<Result<Vec<u8>, BlobError>> {
        Ok(self
            .txn()?
            .blob_read(&blob, offset, length)
            .map_err(wit_err))
    }

    async fn size(&mut self, blob: String) -> wasmtime::Result<Result<u64, BlobError>> {
        Ok(self.txn()?.blob_size(&blob).map_err(wit_err))
    }

    async fn digest(
        &mut self,
        blob: String,
        algorithm: DigestAlgorithm,
    ) -> wasmtime::Result<Result<Vec<u8>, BlobError>> {
        self.txn()?;
        Ok(digest(self, &blob, algorithm).map_err(wit_err))
    }

    async fn compose(
        &mut self,
        parts: Vec<BlobSlice>,
    ) -> wasmtime::Result<Result<String, BlobError>> {
        let parts: Vec<(String, u64, Option<u64>)> = parts
            .into_iter()
            .map(|p| (p.blob, p.offset, p.length))
            .collect();
        Ok(self.txn()?.blob_compose(&parts).map_err(wit_err))
    }

    async fn keep(&mut self, blob: String) -> wasmtime::Result<Result<(), BlobError>> {
        Ok(self.txn()?.blob_keep(&blob).map_err(wit_err))
    }

    async fn delete(&mut self, blob: String) -> wasmtime::Result<Result<(), BlobError>> {
        Ok(self.txn()?.blob_delete(&blob).map_err(wit_err))
    }
}
