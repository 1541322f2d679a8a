//! The one place that reaches the host: the WIT imports inside wasm, the
//! in-memory test kit everywhere else. Both sides have the same functions.

pub(crate) use imp::*;

#[cfg(target_arch = "wasm32")]
mod imp {
    use crate::bindings::ruststack::plugin as wit;
    use crate::invoke::HttpAnswer;
    use crate::{BlobSlice, Request, Response};
    pub use wit::blobs::{BlobError, DigestAlgorithm};

    pub fn kv_get(key: &[u8]) -> Option<Vec<u8>> {
        wit::kv::get(key)
    }
    pub fn kv_put(key: &[u8], value: &[u8]) {
        wit::kv::put(key, value)
    }
    pub fn kv_delete(key: &[u8]) -> bool {
        wit::kv::delete(key)
    }
    pub fn kv_scan(
        start: &[u8],
        end: Option<&[u8]>,
        limit: u32,
        reverse: bool,
    ) -> Vec<(Vec<u8>, Vec<u8>)> {
        wit::kv::scan(start, end, limit, reverse)
            .into_iter()
            .map(|e| (e.key, e.value))
            .collect()
    }
    pub fn kv_cas(key: &[u8], expected: Option<&[u8]>, new: Option<&[u8]>) -> bool {
        wit::kv::compare_and_set(key, expected, new)
    }
    pub fn blob_create() -> Result<String, BlobError> {
        wit::blobs::create()
    }
    pub fn blob_append(id: &str, data: &[u8]) -> Result<(), BlobError> {
        wit::blobs::append(id, data)
    }
    pub fn blob_read(id: &str, offset: u64, len: u32) -> Result<Vec<u8>, BlobError> {
        wit::blobs::read(id, offset, len)
    }
    pub fn blob_size(id: &str) -> Result<u64, BlobError> {
        wit::blobs::size(id)
    }
    pub fn blob_digest(id: &str, alg: DigestAlgorithm) -> Result<Vec<u8>, BlobError> {
        wit::blobs::digest(id, alg)
    }
    pub fn blob_compose(parts: &[BlobSlice]) -> Result<String, BlobError> {
        wit::blobs::compose(parts)
    }
    pub fn blob_keep(id: &str) -> Result<(), BlobError> {
        wit::blobs::keep(id)
    }
    pub fn blob_delete(id: &str) -> Result<(), BlobError> {
        wit::blobs::delete(id)
    }
    pub fn invoke(req: &Request) -> Response {
        wit::invoke::call(req)
    }
    pub fn http_send(
        method: &str,
        url: &str,
        headers: &[(String, String)],
        body: &[u8],
        timeout_ms: u32,
    ) -> Result<HttpAnswer, String> {
        wit::http_out::send(method, url, headers, body, timeout_ms).map(|r| HttpAnswer {
            status: r.status,
            headers: r.headers,
            body: r.body,
        })
    }
    pub fn schedule_after(delay_ms: u64, payload: &[u8]) {
        wit::schedule::after(delay_ms, payload)
    }
    pub fn setting(name: &str) -> Option<String> {
        wit::settings::get(name)
    }
    pub fn log(level: crate::log::Level, message: &str) {
        use crate::log::Level as L;
        use wit::log::Level as W;
        let l = match level {
            L::Trace => W::Trace,
            L::Debug => W::Debug,
            L::Info => W::Info,
            L::Warn => W::Warn,
            L::Error => W::Error,
        };
        wit::log::write(l, message)
    }
    pub fn panicked(message: &str) {
        wit::log::panicked(message)
    }
}

#[cfg(not(target_arch = "wasm32"))]
mod imp {
    pub use crate::bindings::ruststack::plugin::blobs::{BlobError, DigestAlgorithm};
    use crate::invoke::HttpAnswer;
    use crate::testkit::with;
    use crate::{BlobSlice, Request, Response};

    pub fn kv_get(key: &[u8]) -> Option<Vec<u8>> {
        with(|t| t.kv.get(key).cloned())
    }
    pub fn kv_put(key: &[u8], value: &[u8]) {
        with(|t| t.kv.insert(key.to_vec(), value.to_vec()));
    }
    pub fn kv_delete(key: &[u8]) -> bool {
        with(|t| t.kv.remove(key).is_some())
    }
    pub fn kv_scan(
        start: &[u8],
        end: Option<&[u8]>,
        limit: u32,
        reverse: bool,
    ) -> Vec<(Vec<u8>, Vec<u8>)> {
        with(|t| t.scan(start, end, limit, reverse))
    }
    pub fn kv_cas(key: &[u8], expected: Option<&[u8]>, new: Option<&[u8]>) -> bool {
        with(|t| {
            if t.kv.get(key).map(Vec::as_slice) != expected {
                return false;
            }
            match new {
                Some(v) => t.kv.insert(key.to_vec(), v.to_vec()),
                None => t.kv.remove(key),
            };
            true
        })
    }
    pub fn blob_create() -> Result<String, BlobError> {
        Ok(with(|t| t.new_blob(Vec::new())))
    }
    pub fn blob_append(id: &str, data: &[u8]) -> Result<(), BlobError> {
        with(|t| {
            t.blobs
                .get_mut(id)
                .ok_or(BlobError::NotFound)
                .map(|b| b.extend_from_slice(data))
        })
    }
    pub fn blob_read(id: &str, offset: u64, len: u32) -> Result<Vec<u8>, BlobError> {
        with(|t| {
            let b = t.blobs.get(id).ok_or(BlobError::NotFound)?;
            let start = usize::try_from(offset).map_err(|_| BlobError::OutOfRange)?;
            if start > b.len() {
                return Err(BlobError::OutOfRange);
            }
            let end = (start + len as usize).min(b.len());
            Ok(b[start..end].to_vec())
        })
    }
    pub fn blob_size(id: &str) -> Result<u64, BlobError> {
        with(|t| {
            t.blobs
                .get(id)
                .map(|b| b.len() as u64)
                .ok_or(BlobError::NotFound)
        })
    }
    pub fn blob_digest(id: &str, alg: DigestAlgorithm) -> Result<Vec<u8>, BlobError> {
        with(|t| {
            let b = t.blobs.get(id).ok_or(BlobError::NotFound)?;
            crate::testkit::digest(b, alg)
        })
    }
    pub fn blob_compose(parts: &[BlobSlice]) -> Result<String, BlobError> {
        with(|t| {
            let mut out = Vec::new();
            for p in parts {
                let b = t.blobs.get(&p.blob).ok_or(BlobError::NotFound)?;
                let start = usize::try_from(p.offset).map_err(|_| BlobError::OutOfRange)?;
                if start > b.len() {
                    return Err(BlobError::OutOfRange);
                }
                let end = p
                    .length
                    .map_or(b.len(), |l| (start + l as usize).min(b.len()));
                out.extend_from_slice(&b[start..end]);
            }
            Ok(t.new_blob(out))
        })
    }
    pub fn blob_keep(id: &str) -> Result<(), BlobError> {
        with(|t| {
            t.blobs
                .contains_key(id)
                .then_some(())
                .ok_or(BlobError::NotFound)
        })
    }
    pub fn blob_delete(id: &str) -> Result<(), BlobError> {
        with(|t| t.blobs.remove(id).map(|_| ()).ok_or(BlobError::NotFound))
    }
    pub fn invoke(req: &Request) -> Response {
        crate::testkit::invoke(req.clone())
    }
    pub fn http_send(
        method: &str,
        url: &str,
        headers: &[(String, String)],
        body: &[u8],
        _timeout_ms: u32,
    ) -> Result<HttpAnswer, String> {
        crate::testkit::http_send(method, url, headers, body)
    }
    pub fn schedule_after(delay_ms: u64, payload: &[u8]) {
        with(|t| t.timers.push((delay_ms, payload.to_vec())));
    }
    pub fn setting(name: &str) -> Option<String> {
        with(|t| t.settings.get(name).cloned())
    }
    pub fn log(level: crate::log::Level, message: &str) {
        with(|t| t.logs.push(format!("{level:?}: {message}")));
    }
    pub fn panicked(_message: &str) {
        // Natively a panic unwinds into the test that caused it.
    }
}
