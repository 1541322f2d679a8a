//! Typed tables over kv: values are JSON (serde), keys are encoded with
//! [`keys`](crate::keys) under a table prefix, so one plugin can keep many
//! tables in its namespace and list them in order.

use std::any::Any;
use std::cell::RefCell;
use std::collections::HashMap;
use std::marker::PhantomData;
use std::ops::ControlFlow;
use std::rc::Rc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::keys::{Key, prefix_end};
use crate::kv;

/// Most values [`Table::get_shared`] keeps parsed per instance.
const PARSED_CACHE: usize = 64;

/// Values parsed by [`Table::get_shared`]: full kv key → (stored bytes,
/// parsed value).
type ParsedCache = HashMap<Vec<u8>, (Vec<u8>, Rc<dyn Any>)>;

thread_local! {
    static PARSED: RefCell<ParsedCache> = RefCell::new(HashMap::new());
}

/// A named collection of `V` values keyed by [`Key`]s.
pub struct Table<V> {
    prefix: Vec<u8>,
    _v: PhantomData<fn() -> V>,
}

/// One page of a listing.
pub struct Page<V> {
    /// Rows in key order: (key without the table prefix, value).
    pub items: Vec<(Vec<u8>, V)>,
    /// Pass back as `after` for the next page; `None` on the last page.
    pub next: Option<Vec<u8>>,
}

impl<V: Serialize + DeserializeOwned> Table<V> {
    /// The table called `name`.
    pub fn new(name: &str) -> Self {
        Self {
            prefix: Key::new().str(name).into_bytes(),
            _v: PhantomData,
        }
    }

    fn full(&self, key: &Key) -> Vec<u8> {
        let mut k = self.prefix.clone();
        k.extend_from_slice(key.as_bytes());
        k
    }

    /// The full kv key of `key` (e.g. to wait on it).
    pub fn raw_key(&self, key: &Key) -> Vec<u8> {
        self.full(key)
    }

    /// The kv prefix of every row (e.g. to wait on the whole table).
    pub fn raw_prefix(&self) -> &[u8] {
        &self.prefix
    }

    /// The value under `key`; a value that no longer parses counts as absent.
    pub fn get(&self, key: &Key) -> Option<V> {
        kv::get(&self.full(key)).and_then(|b| serde_json::from_slice(&b).ok())
    }

    /// The value under `key`, parsed once per instance for as long as its
    /// stored bytes stay the same. For values read by nearly every request (a
    /// table's or a queue's settings), whose parsing would otherwise cost more
    /// than the request's own work. The bytes are still read through kv on
    /// every call, so a change made by any instance is seen at once and the
    /// read takes part in the call's transaction like any other.
    pub fn get_shared(&self, key: &Key) -> Option<Rc<V>>
    where
        V: 'static,
    {
        get_shared(self.full(key))
    }

    /// The value and its stored bytes (for a later [`Table::replace`]).
    pub fn get_raw(&self, key: &Key) -> Option<(V, Vec<u8>)> {
        let raw = kv::get(&self.full(key))?;
        serde_json::from_slice(&raw).ok().map(|v| (v, raw))
    }

    /// Stores `value` under `key`.
    pub fn put(&self, key: &Key, value: &V) {
        kv::put(&self.full(key), &to_json(value));
    }

    /// Removes `key`; true if it existed.
    pub fn delete(&self, key: &Key) -> bool {
        kv::delete(&self.full(key))
    }

    /// Stores `value` only if `key` is absent; false if it exists.
    pub fn insert_new(&self, key: &Key, value: &V) -> bool {
        kv::compare_and_set(&self.full(key), None, Some(&to_json(value)))
    }

    /// Replaces the value whose stored bytes are `expected` (from
    /// [`Table::get_raw`]); false if it changed since. `None` deletes.
    pub fn replace(&self, key: &Key, expected: &[u8], value: Option<&V>) -> bool {
        let new = value.map(to_json);
        kv::compare_and_set(&self.full(key), Some(expected), new.as_deref())
    }

    /// Applies `f` to the current value (absent: `None`) until the
    /// compare-and-set holds; `f` returning `None` deletes. Returns the new value.
    pub fn update(&self, key: &Key, mut f: impl FnMut(Option<V>) -> Option<V>) -> Option<V> {
        let k = self.full(key);
        loop {
            let raw = kv::get(&k);
            let current = raw.as_deref().and_then(|b| serde_json::from_slice(b).ok());
            let next = f(current);
            let bytes = next.as_ref().map(to_json);
            if kv::compare_and_set(&k, raw.as_deref(), bytes.as_deref()) {
                return next;
            }
        }
    }

    /// Up to `limit` rows whose key starts with `key_prefix`, after `after`.
    pub fn list(&self, key_prefix: &Key, after: Option<&[u8]>, limit: u32) -> Page<V> {
        let prefix = self.full(key_prefix);
        let after_full = after.map(|a| {
            let mut k = self.prefix.clone();
            k.extend_from_slice(a);
            k
        });
        let rows = kv::scan_prefix(&prefix, after_full.as_deref(), limit.saturating_add(1));
        let more = rows.len() > limit as usize;
        let items: Vec<(Vec<u8>, V)> = rows
            .into_iter()
            .take(limit as usize)
            .filter_map(|(k, v)| {
                let short = k[self.prefix.len()..].to_vec();
                serde_json::from_slice(&v).ok().map(|v| (short, v))
            })
            .collect();
        let next = if more {
            items.last().map(|(k, _)| k.clone())
        } else {
            None
        };
        Page { items, next }
    }

    /// Calls `f` with every row whose key starts with `key_prefix` (its key
    /// below the table's prefix, and its value), in key order, a page at a
    /// time (see [`kv::for_each_prefix`]), until `f` breaks. Rows that no
    /// longer parse are skipped.
    pub fn for_each(&self, key_prefix: &Key, mut f: impl FnMut(&[u8], V) -> ControlFlow<()>) {
        let skip = self.prefix.len();
        kv::for_each_prefix(
            &self.full(key_prefix),
            |k, v| match serde_json::from_slice(v) {
                Ok(v) => f(&k[skip..], v),
                Err(_) => ControlFlow::Continue(()),
            },
        );
    }

    /// Every row (use only on tables known to be small).
    pub fn all(&self) -> Vec<(Vec<u8>, V)> {
        let end = prefix_end(&self.prefix);
        kv::scan(&self.prefix, end.as_deref(), u32::MAX, false)
            .into_iter()
            .filter_map(|(k, v)| {
                serde_json::from_slice(&v)
                    .ok()
                    .map(|v| (k[self.prefix.len()..].to_vec(), v))
            })
            .collect()
    }
}

fn to_json<V: Serialize>(v: &V) -> Vec<u8> {
    serde_json::to_vec(v).expect("a serde value always serializes to JSON")
}

/// Whether two byte strings are equal, compared eight bytes at a time: on
/// wasm32 `==` on slices calls a byte-by-byte `memcmp`, and the values
/// [`Table::get_shared`] compares on every call run to kilobytes.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let (wa, wb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tails_equal = wa.remainder() == wb.remainder();
    tails_equal
        && wa.zip(wb).all(|(x, y)| {
            u64::from_ne_bytes(x.try_into().expect("8 bytes"))
                == u64::from_ne_bytes(y.try_into().expect("8 bytes"))
        })
}

/// [`Table::get_shared`] for a plugin that keeps values under kv keys of its
/// own layout: the JSON value stored at `key`, parsed once per instance for
/// as long as its bytes stay the same.
pub fn get_shared<V: DeserializeOwned + 'static>(key: Vec<u8>) -> Option<Rc<V>> {
    let raw = kv::get(&key)?;
    let hit = PARSED.with(|c| {
        c.borrow()
            .get(&key)
            .filter(|(seen, _)| same_bytes(seen, &raw))
            .and_then(|(_, v)| v.clone().downcast::<V>().ok())
    });
    if hit.is_some() {
        return hit;
    }
    let value: Rc<V> = Rc::new(serde_json::from_slice(&raw).ok()?);
    PARSED.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() >= PARSED_CACHE {
            c.clear();
        }
        c.insert(key, (raw, value.clone() as Rc<dyn Any>));
    });
    Some(value)
}

#[cfg(test)]
mod tests {
    #[test]
    fn same_bytes_matches_slice_equality() {
        let base: Vec<u8> = (0..=40u8).collect();
        for len in 0..base.len() {
            let a = &base[..len];
            assert!(super::same_bytes(a, a));
            for at in 0..len {
                let mut b = a.to_vec();
                b[at] ^= 1;
                assert!(!super::same_bytes(a, &b), "differs at {at} of {len}");
            }
            assert!(!super::same_bytes(a, &base[..len + 1]));
        }
    }

    use super::*;

    #[test]
    fn pages_in_key_order_and_isolated_from_other_tables() {
        crate::testkit::reset();
        let t: Table<u32> = Table::new("t");
        let other: Table<u32> = Table::new("t2");
        for i in [3u64, 1, 2, 5, 4] {
            t.put(&Key::new().u64(i), &(i as u32));
        }
        other.put(&Key::new().u64(0), &99);
        let p1 = t.list(&Key::new(), None, 2);
        assert_eq!(
            p1.items.iter().map(|(_, v)| *v).collect::<Vec<_>>(),
            vec![1, 2]
        );
        let p2 = t.list(&Key::new(), p1.next.as_deref(), 10);
        assert_eq!(
            p2.items.iter().map(|(_, v)| *v).collect::<Vec<_>>(),
            vec![3, 4, 5]
        );
        assert!(p2.next.is_none());
        assert!(t.insert_new(&Key::new().u64(9), &9));
        assert!(!t.insert_new(&Key::new().u64(9), &10));
        assert_eq!(t.update(&Key::new().u64(9), |v| v.map(|n| n + 1)), Some(10));
    }
}
