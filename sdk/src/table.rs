//! Typed tables over kv: values are JSON (serde), keys are encoded with
//! [`keys`](crate::keys) under a table prefix, so one plugin can keep many
//! tables in its namespace and list them in order.
//!
//! # Evolving a stored type
//!
//! Records outlive the code that wrote them: a hot reload or an upgrade
//! brings new code to old data. So that old records stay readable:
//! - derive `#[serde(default)]` on the struct (with `Default`), so a field
//!   added later takes its default in records written before it existed,
//!   and fields removed later are ignored (serde's default);
//! - for a change defaults cannot bridge (a renamed field, a new type),
//!   give the table an upgrade with [`Table::upgrading`]: a function from
//!   the old record's JSON to the new type, used for every record that
//!   does not parse as the new type.
//!
//! A record that parses neither way is never taken for absent by a write:
//! [`Table::update`] stops the call (a panic, so none of its writes are
//! stored, and the client's error and the server's log say why), and
//! [`Table::insert_new`] does not overwrite it. Reads ([`Table::get`],
//! listings) skip it with a warning in the server's log naming its key.

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
    upgrade: Option<Upgrade<V>>,
    _v: PhantomData<fn() -> V>,
}

/// Turns a stored record of an older shape (as JSON) into the current type.
pub type Upgrade<V> = fn(serde_json::Value) -> Result<V, String>;

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
            upgrade: None,
            _v: PhantomData,
        }
    }

    /// This table, reading records that do not parse as `V` through
    /// `upgrade` (see the module's "Evolving a stored type"). An upgraded
    /// record is stored in the new shape when it is next written.
    pub fn upgrading(mut self, upgrade: Upgrade<V>) -> Self {
        self.upgrade = Some(upgrade);
        self
    }

    /// Parses the bytes stored at `full_key`: as `V`, else through the
    /// upgrade; the error says why neither worked.
    fn parse(&self, full_key: &[u8], bytes: &[u8]) -> Result<V, String> {
        let error = match serde_json::from_slice(bytes) {
            Ok(v) => return Ok(v),
            Err(e) => e.to_string(),
        };
        let upgraded = self.upgrade.map(|up| {
            serde_json::from_slice::<serde_json::Value>(bytes)
                .map_err(|e| e.to_string())
                .and_then(up)
        });
        match upgraded {
            Some(Ok(v)) => Ok(v),
            Some(Err(up)) => Err(format!(
                "the record under key {} does not parse as {} ({error}), nor through its upgrade ({up})",
                show_key(full_key),
                std::any::type_name::<V>()
            )),
            None => Err(format!(
                "the record under key {} does not parse as {} ({error})",
                show_key(full_key),
                std::any::type_name::<V>()
            )),
        }
    }

    /// Parses a record for a read: one that does not parse is logged and
    /// skipped.
    fn read(&self, full_key: &[u8], bytes: &[u8]) -> Option<V> {
        self.parse(full_key, bytes)
            .map_err(|e| crate::log::warn(&format!("{e}; reading it as absent")))
            .ok()
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

    /// The value under `key`; a value that no longer parses (see the
    /// module's "Evolving a stored type") is logged and counts as absent.
    pub fn get(&self, key: &Key) -> Option<V> {
        let k = self.full(key);
        kv::get(&k).and_then(|b| self.read(&k, &b))
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
        let k = self.full(key);
        let raw = kv::get(&k)?;
        self.read(&k, &raw).map(|v| (v, raw))
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
    ///
    /// # Panics
    /// If a value is stored under `key` that does not parse (see the
    /// module's "Evolving a stored type"): `f` must not take it for absent
    /// and overwrite or delete it. The panic discards the call's writes and
    /// its message reaches the client and the log.
    pub fn update(&self, key: &Key, mut f: impl FnMut(Option<V>) -> Option<V>) -> Option<V> {
        let k = self.full(key);
        loop {
            let raw = kv::get(&k);
            let current = raw.as_deref().map(|b| {
                self.parse(&k, b)
                    .unwrap_or_else(|e| panic!("refusing to update: {e}"))
            });
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
                let value = self.read(&k, &v)?;
                Some((k[self.prefix.len()..].to_vec(), value))
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
    /// longer parse are logged and skipped.
    pub fn for_each(&self, key_prefix: &Key, mut f: impl FnMut(&[u8], V) -> ControlFlow<()>) {
        let skip = self.prefix.len();
        kv::for_each_prefix(&self.full(key_prefix), |k, v| match self.read(k, v) {
            Some(v) => f(&k[skip..], v),
            None => ControlFlow::Continue(()),
        });
    }

    /// Every row (use only on tables known to be small).
    pub fn all(&self) -> Vec<(Vec<u8>, V)> {
        let end = prefix_end(&self.prefix);
        kv::scan(&self.prefix, end.as_deref(), u32::MAX, false)
            .into_iter()
            .filter_map(|(k, v)| {
                let value = self.read(&k, &v)?;
                Some((k[self.prefix.len()..].to_vec(), value))
            })
            .collect()
    }
}

/// A kv key for a log line: printable ASCII as it is, other bytes escaped.
fn show_key(key: &[u8]) -> String {
    key.escape_ascii().to_string()
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

    /// A record written before a field existed, by the old type.
    #[derive(serde::Serialize, serde::Deserialize)]
    struct V1 {
        name: String,
    }

    /// The same record type with a field added, defaulted for old records.
    #[derive(serde::Serialize, serde::Deserialize, Default, Debug, PartialEq)]
    #[serde(default)]
    struct V2 {
        name: String,
        colour: String,
    }

    /// A type old records do not fit, without defaults.
    #[derive(serde::Serialize, serde::Deserialize, Debug, PartialEq)]
    struct Strict {
        name: String,
        size: u32,
    }

    #[test]
    fn defaulted_fields_keep_old_records_readable_and_updatable() {
        crate::testkit::reset();
        Table::<V1>::new("w").put(&Key::new().str("a"), &V1 { name: "a".into() });
        let t: Table<V2> = Table::new("w");
        let k = Key::new().str("a");
        assert_eq!(
            t.get(&k),
            Some(V2 {
                name: "a".into(),
                colour: String::new()
            })
        );
        let updated = t.update(&k, |v| {
            v.map(|mut v| {
                v.colour = "red".into();
                v
            })
        });
        assert_eq!(updated.unwrap().colour, "red");
        assert_eq!(t.get(&k).unwrap().colour, "red");
    }

    #[test]
    fn a_record_that_does_not_parse_is_never_overwritten_as_absent() {
        crate::testkit::reset();
        Table::<V1>::new("w").put(&Key::new().str("a"), &V1 { name: "a".into() });
        let t: Table<Strict> = Table::new("w");
        let k = Key::new().str("a");
        let stored = crate::kv::get(&t.raw_key(&k));
        // Reads skip it, saying why.
        assert_eq!(t.get(&k), None);
        assert!(t.list(&Key::new(), None, 10).items.is_empty());
        let logs = crate::testkit::with(|h| h.logs.clone());
        assert!(
            logs.iter()
                .any(|l| l.contains("does not parse as") && l.contains("missing field `size`")),
            "{logs:?}"
        );
        // Writes do not take it for absent.
        assert!(!t.insert_new(
            &k,
            &Strict {
                name: "b".into(),
                size: 1
            }
        ));
        let refused = std::panic::catch_unwind(|| {
            t.update(&k, |_| None);
        })
        .unwrap_err();
        let message = refused.downcast_ref::<String>().unwrap();
        assert!(
            message.starts_with("refusing to update: the record under key"),
            "{message}"
        );
        assert_eq!(crate::kv::get(&t.raw_key(&k)), stored);
    }

    #[test]
    fn an_upgrade_reads_records_of_an_older_shape() {
        crate::testkit::reset();
        Table::<V1>::new("w").put(&Key::new().str("a"), &V1 { name: "a".into() });
        let t: Table<Strict> = Table::new("w").upgrading(|old| {
            let name = old["name"].as_str().ok_or("no name")?.to_string();
            Ok(Strict { name, size: 7 })
        });
        let k = Key::new().str("a");
        assert_eq!(t.get(&k).map(|v| v.size), Some(7));
        t.update(&k, |v| {
            v.map(|v| Strict {
                size: v.size + 1,
                ..v
            })
        });
        // Stored in the new shape now.
        assert_eq!(Table::<Strict>::new("w").get(&k).map(|v| v.size), Some(8));
    }
}
