//! Data stored before keys were scoped (see [`crate::scope`]) is moved into
//! its scope the first time a plugin runs with scoped keys: every key stored
//! outside a scope is copied under the scope [`Service::legacy_scope`] names
//! for it (by default the service's scope for account `000000000000` in
//! `us-east-1`), then removed, and a marker records that it is done. It runs
//! in the call that finds the data, so it commits with that call or not at all.

use std::cell::Cell;

use crate::Service;
use crate::kv::unscoped;
use crate::scope::{DEFAULT_ACCOUNT, DEFAULT_REGION, SDK_KEYS, Scope};

/// Present once the namespace holds only scoped keys.
const MARKER: &[u8] = b"\xFDlayout";
/// What the marker holds.
const SCOPED: &[u8] = b"scoped-1";
/// Entries read per scan while moving.
const PAGE: u32 = 512;

thread_local! {
    /// Set once this instance has seen the marker committed.
    static DONE: Cell<bool> = const { Cell::new(false) };
}

/// Forgets that this thread saw the move done (the test kit's reset).
pub(crate) fn forget() {
    DONE.set(false);
}

/// Moves data stored before keys were scoped, unless that is done already.
pub(crate) fn ensure<S: Service>() {
    if DONE.get() {
        return;
    }
    if unscoped::get(MARKER).is_some() {
        DONE.set(true);
        return;
    }
    let end = [SDK_KEYS];
    let mut after: Option<Vec<u8>> = None;
    let mut moved = 0u64;
    // First copy every key (so the plugin can still look up others while it
    // decides where each belongs), then remove the originals.
    loop {
        let start = after
            .as_ref()
            .map_or_else(Vec::new, |a| [a.as_slice(), &[0]].concat());
        let page = unscoped::scan(&start, Some(&end), PAGE);
        for (k, v) in &page {
            if let Some(scope) = S::legacy_scope(k, v) {
                unscoped::put(&[scope.prefix().as_slice(), k].concat(), v);
                moved += 1;
            }
        }
        if page.len() < PAGE as usize {
            break;
        }
        after = page.last().map(|(k, _)| k.clone());
    }
    loop {
        let page = unscoped::scan(&[], Some(&end), PAGE);
        for (k, _) in &page {
            unscoped::delete(k);
        }
        if page.len() < PAGE as usize {
            break;
        }
    }
    unscoped::compare_and_set(MARKER, None, Some(SCOPED));
    if moved > 0 {
        crate::log::info(&format!(
            "moved {moved} entries stored before accounts and regions were kept apart into their scopes"
        ));
    }
}

/// Where a regional service's entry stored before keys were scoped belongs:
/// account `000000000000`, in `region` when the entry names one, else
/// `us-east-1`.
pub fn legacy_regional(region: Option<&str>) -> Scope {
    Scope::regional(DEFAULT_ACCOUNT, region.unwrap_or(DEFAULT_REGION))
}

/// [`legacy_regional`] in the region the entry's key or value names
/// ([`region_in`]): a [`Service::legacy_scope`] for services whose keys or
/// values carry their region (queue URLs, topic ARNs).
pub fn legacy_regional_in(key: &[u8], value: &[u8]) -> Scope {
    legacy_regional(region_in(key, value).as_deref())
}

/// The region a stored entry names, for [`Service::legacy_scope`]: the first
/// component of its key that is a region or an ARN with one (`queues/
/// us-east-1/…`, `topics/arn:aws:sns:eu-west-1:…`), else the first ARN with a
/// region in its value.
pub fn region_in(key: &[u8], value: &[u8]) -> Option<String> {
    use ruststack_protocol::region::is_region;
    let of_arn = |s: &str| {
        crate::ids::parse_arn(s)
            .map(|a| a.region)
            .filter(|r| is_region(r))
    };
    let mut r = crate::keys::KeyReader::new(key);
    while let Some(part) = r.bytes() {
        let Ok(part) = String::from_utf8(part) else {
            break;
        };
        if is_region(&part) {
            return Some(part);
        }
        if let Some(region) = of_arn(&part) {
            return Some(region);
        }
    }
    let text = String::from_utf8_lossy(value);
    text.match_indices("arn:aws")
        .find_map(|(i, _)| of_arn(text[i..].split(['"', ' ', ',']).next().unwrap_or_default()))
}

#[cfg(test)]
mod tests {
    use super::region_in;
    use crate::keys::Key;

    #[test]
    fn regions_are_found_in_keys_and_values() {
        let k = Key::new()
            .str("queues")
            .str("eu-west-1")
            .str("q1")
            .into_bytes();
        assert_eq!(region_in(&k, b"{}").as_deref(), Some("eu-west-1"));
        let k = Key::new()
            .str("topics")
            .str("arn:aws:sns:ap-south-1:000000000000:t")
            .into_bytes();
        assert_eq!(region_in(&k, b"").as_deref(), Some("ap-south-1"));
        let k = Key::new().str("tokens").str("abc").into_bytes();
        let v = br#""arn:aws:sns:us-west-2:000000000000:t:1234""#;
        assert_eq!(region_in(&k, v).as_deref(), Some("us-west-2"));
        assert_eq!(region_in(&k, b"{\"x\":1}"), None);
    }
}
