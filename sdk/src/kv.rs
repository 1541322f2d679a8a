//! The plugin's ordered key-value namespace, seen through the scope of the
//! running call (see [`crate::scope`]): every key is stored under the call's
//! account and region (or partition), and a scan never leaves that scope.
//!
//! Reads see a snapshot taken when the request began plus this request's own
//! writes; all writes of a request commit together when it returns, or not
//! at all if it traps. Use [`compare_and_set`] for read-modify-write: the host
//! re-checks it at commit and re-runs the request if another one got there
//! first, so two requests never both win.

use std::ops::ControlFlow;

use crate::{host, scope};

/// The value under `key`.
pub fn get(key: &[u8]) -> Option<Vec<u8>> {
    host::kv_get(&scope::scoped(key))
}

/// Stores `value` under `key` (last writer wins).
pub fn put(key: &[u8], value: &[u8]) {
    host::kv_put(&scope::scoped(key), value)
}

/// Removes `key`; true if it existed.
pub fn delete(key: &[u8]) -> bool {
    host::kv_delete(&scope::scoped(key))
}

/// Entries with `start <= key < end` (`None`: to the end of the scope) in key
/// order (or reverse), at most `limit`.
pub fn scan(
    start: &[u8],
    end: Option<&[u8]>,
    limit: u32,
    reverse: bool,
) -> Vec<(Vec<u8>, Vec<u8>)> {
    scope::with_prefix(|p| {
        let start = [p, start].concat();
        let end = match end {
            Some(e) => Some([p, e].concat()),
            None => crate::keys::prefix_end(p),
        };
        let mut rows = host::kv_scan(&start, end.as_deref(), limit, reverse);
        for (k, _) in &mut rows {
            k.drain(..p.len());
        }
        rows
    })
}

/// Entries whose key starts with `prefix`, at most `limit`, from `after`
/// (exclusive) when given: one page of a prefix listing.
pub fn scan_prefix(prefix: &[u8], after: Option<&[u8]>, limit: u32) -> Vec<(Vec<u8>, Vec<u8>)> {
    let start = match after {
        Some(a) => {
            let mut s = a.to_vec();
            s.push(0);
            s
        }
        None => prefix.to_vec(),
    };
    let end = crate::keys::prefix_end(prefix);
    scan(&start, end.as_deref(), limit, false)
}

/// Entries [`for_each_prefix`] reads per scan: enough to amortise the call
/// to the host, few enough that a prefix of millions of entries never sits in
/// memory (the host's or the plugin's) all at once.
pub const PAGE: u32 = 512;

/// Calls `f` with every entry whose key starts with `prefix`, in key order,
/// reading [`PAGE`] entries at a time, until `f` breaks. Entries the call
/// deletes or adds behind the current key do not disturb the walk.
pub fn for_each_prefix(prefix: &[u8], mut f: impl FnMut(&[u8], &[u8]) -> ControlFlow<()>) {
    let mut after: Option<Vec<u8>> = None;
    loop {
        let page = scan_prefix(prefix, after.as_deref(), PAGE);
        let full = page.len() == PAGE as usize;
        for (k, v) in &page {
            if f(k, v).is_break() {
                return;
            }
        }
        if !full {
            return;
        }
        after = page.last().map(|(k, _)| k.clone());
    }
}

/// If the value equals `expected` (`None`: absent), replace it with `new`
/// (`None`: delete) and return true.
pub fn compare_and_set(key: &[u8], expected: Option<&[u8]>, new: Option<&[u8]>) -> bool {
    host::kv_cas(&scope::scoped(key), expected, new)
}

/// The namespace as stored, outside every scope: for moving data stored
/// before keys were scoped (see [`crate::migrate`]), and nothing else.
pub mod unscoped {
    use crate::host;

    /// The value under the stored key `key`.
    pub fn get(key: &[u8]) -> Option<Vec<u8>> {
        host::kv_get(key)
    }

    /// Stores `value` under the stored key `key`.
    pub fn put(key: &[u8], value: &[u8]) {
        host::kv_put(key, value)
    }

    /// Removes the stored key `key`; true if it existed.
    pub fn delete(key: &[u8]) -> bool {
        host::kv_delete(key)
    }

    /// Stored entries with `start <= key < end`, at most `limit`.
    pub fn scan(start: &[u8], end: Option<&[u8]>, limit: u32) -> Vec<(Vec<u8>, Vec<u8>)> {
        host::kv_scan(start, end, limit, false)
    }

    /// If the stored value equals `expected`, replace it with `new`.
    pub fn compare_and_set(key: &[u8], expected: Option<&[u8]>, new: Option<&[u8]>) -> bool {
        host::kv_cas(key, expected, new)
    }
}
