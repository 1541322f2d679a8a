//! Where items and index entries live in kv, and the one function that
//! writes an item (compare-and-set on the bytes read, index entries kept in
//! step).
//!
//! Keys are built with the sdk's order-preserving [`Key`]: each key
//! attribute becomes one byte-string component whose bytes sort as the
//! value does — S as its UTF-8 bytes, B as its bytes, N through
//! [`Decimal::sort_key`] — so a partition is a key prefix and a sort-key
//! condition is a byte range.

use ruststack_sdk::keys::{Key, prefix_end};
use ruststack_sdk::kv;
use serde_json::Value;

use crate::attr::{self, Item, inner, type_of};
use crate::error::{Res, validation};
use crate::number::Decimal;
use crate::table::{IndexDef, TableMeta};

/// The key bytes of one key attribute value (`S`, `N` or `B`).
pub fn encode_value(v: &Value) -> Vec<u8> {
    match type_of(v) {
        Some("N") => attr::num(v).unwrap_or_else(Decimal::zero).sort_key(),
        Some("B") => attr::b64(inner(v)),
        _ => inner(v).as_str().unwrap_or("").as_bytes().to_vec(),
    }
}

/// Prefix of every item of a table.
pub fn table_prefix(table: &str) -> Vec<u8> {
    Key::new().str("i").str(table).into_bytes()
}

/// Prefix of every entry of an index.
pub fn index_prefix(table: &str, index: &str) -> Vec<u8> {
    Key::new().str("x").str(table).str(index).into_bytes()
}

/// Appends one encoded component to a key prefix.
pub fn push(prefix: &[u8], v: &Value) -> Vec<u8> {
    let mut k = prefix.to_vec();
    k.extend_from_slice(Key::new().bytes(&encode_value(v)).as_bytes());
    k
}

/// The kv key of the item with primary key `key`.
pub fn item_key(meta: &TableMeta, key: &Item) -> Vec<u8> {
    let mut k = push(&table_prefix(meta.name()), &key[&meta.hash_key()]);
    if let Some(r) = meta.range_key() {
        k = push(&k, &key[&r]);
    }
    k
}

/// The kv key of `item`'s entry in `idx`, if the item has the index's keys.
pub fn index_key(meta: &TableMeta, idx: &IndexDef, item: &Item) -> Option<Vec<u8>> {
    let mut k = push(&index_prefix(meta.name(), &idx.name), item.get(&idx.hash)?);
    if let Some(r) = &idx.range {
        k = push(&k, item.get(r)?);
    }
    k = push(&k, item.get(&meta.hash_key())?);
    if let Some(r) = meta.range_key() {
        k = push(&k, item.get(&r)?);
    }
    Some(k)
}

/// How a key is being supplied, which decides AWS's wording of errors.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum KeyUse {
    /// The `Key` member: exactly the key attributes.
    Key,
    /// An `Item`: the key attributes among others.
    Item,
}

fn check_key_attr(meta: &TableMeta, name: &str, v: &Value, how: KeyUse, range: bool) -> Res<()> {
    let want = meta.attr_type(name);
    let got = type_of(v).unwrap_or("");
    if got != want {
        return Err(validation(match how {
            KeyUse::Key => "The provided key element does not match the schema".to_string(),
            KeyUse::Item => format!(
                "One or more parameter values were invalid: Type mismatch for key {name} expected: {want} actual: {got}"
            ),
        }));
    }
    let bytes = encode_value(v);
    if bytes.is_empty() && got != "N" {
        return Err(validation(format!(
            "One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty {} value. Key: {name}",
            if got == "S" { "string" } else { "binary" }
        )));
    }
    let len = key_len(v, &bytes);
    if !range && len > 2048 {
        return Err(validation(
            "One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes",
        ));
    }
    if range && len > 1024 {
        return Err(validation(
            "One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes",
        ));
    }
    Ok(())
}

/// The primary key of `m` (a `Key` or an `Item`), validated against the schema.
pub fn extract_key(meta: &TableMeta, m: &Item, how: KeyUse) -> Res<Item> {
    let names = meta.key_names();
    if how == KeyUse::Key && (m.len() != names.len() || !names.iter().all(|n| m.contains_key(n))) {
        return Err(validation(
            "The provided key element does not match the schema",
        ));
    }
    let mut out = Item::new();
    for (i, n) in names.iter().enumerate() {
        let Some(v) = m.get(n) else {
            return Err(validation(format!(
                "One or more parameter values were invalid: Missing the key {n} in the item"
            )));
        };
        check_key_attr(meta, n, v, how, i == 1)?;
        out.insert(n.clone(), v.clone());
    }
    Ok(out)
}

/// The size a key attribute counts against its limit: a binary's bytes,
/// a string's UTF-8 bytes (`encoded` is `encode_value(v)`).
fn key_len(v: &Value, encoded: &[u8]) -> usize {
    if type_of(v) == Some("B") {
        encoded.len()
    } else {
        inner(v).as_str().map_or(0, str::len)
    }
}

/// Checks an item's index key attributes have their declared types and
/// fit the key size limits (2048 bytes for a partition key, 1024 for a
/// sort key).
pub fn check_index_keys(meta: &TableMeta, item: &Item) -> Res<()> {
    for idx in meta.indexes() {
        let keys = std::iter::once((&idx.hash, 2048)).chain(idx.range.as_ref().map(|r| (r, 1024)));
        for (k, max) in keys {
            if let Some(v) = item.get(k) {
                let want = meta.attr_type(k);
                let got = type_of(v).unwrap_or("");
                if got != want {
                    return Err(validation(format!(
                        "One or more parameter values were invalid: Type mismatch for Index Key {k} Expected: {want} Actual: {got} IndexName: {}",
                        idx.name
                    )));
                }
                let encoded = encode_value(v);
                if encoded.is_empty() && got != "N" {
                    return Err(validation(format!(
                        "One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty string value. IndexName: {}, IndexKey: {k}",
                        idx.name
                    )));
                }
                let size = key_len(v, &encoded);
                if got != "N" && size > max {
                    return Err(validation(format!(
                        "One or more parameter values were invalid: Size limit exceeded for Index Key {k} Actual Size: {size} bytes Max Size: {max} bytes IndexName: {}",
                        idx.name
                    )));
                }
            }
        }
    }
    Ok(())
}

/// The stored item at kv key `k` and its raw bytes.
pub fn read_raw(k: &[u8]) -> Option<(Item, Vec<u8>)> {
    let raw = kv::get(k)?;
    let item = serde_json::from_slice(&raw).ok()?;
    Some((item, raw))
}

/// Replaces the item at `k` (whose stored bytes were `old_raw`) with `new`
/// (`None` deletes), updating every secondary index. The compare-and-set
/// makes the host re-run the request if another one changed the item meanwhile.
pub fn write_item(meta: &TableMeta, k: &[u8], old: Option<(&Item, &[u8])>, new: Option<&Item>) {
    write_item_by(meta, k, old, new, false)
}

/// [`write_item`], saying whether the TTL sweep makes the change (its stream
/// records then carry the DynamoDB service principal).
pub fn write_item_by(
    meta: &TableMeta,
    k: &[u8],
    old: Option<(&Item, &[u8])>,
    new: Option<&Item>,
    by_ttl: bool,
) {
    crate::streams::record(meta, old.map(|(i, _)| i), new, by_ttl);
    let bytes = new.map(|i| serde_json::to_vec(i).expect("JSON values serialize"));
    kv::compare_and_set(k, old.map(|(_, raw)| raw), bytes.as_deref());
    for idx in meta.indexes() {
        let before = old.and_then(|(i, _)| index_key(meta, &idx, i));
        let after = new.and_then(|i| index_key(meta, &idx, i));
        if before != after
            && let Some(b) = &before
        {
            kv::delete(b);
        }
        if let Some(a) = &after {
            kv::put(a, k);
        }
    }
}

fn count(prefix: &[u8]) -> (u64, u64) {
    let end = prefix_end(prefix);
    let mut start = prefix.to_vec();
    let (mut n, mut size) = (0u64, 0u64);
    loop {
        let rows = kv::scan(&start, end.as_deref(), 256, false);
        for (_, v) in &rows {
            n += 1;
            size += v.len() as u64;
        }
        match rows.last() {
            Some((k, _)) if rows.len() == 256 => {
                start = k.clone();
                start.push(0);
            }
            _ => return (n, size),
        }
    }
}

/// Number of items of a table and their approximate size.
pub fn count_items(table: &str) -> (u64, u64) {
    count(&table_prefix(table))
}

/// Number of entries of an index.
pub fn count_index(table: &str, index: &str) -> (u64, u64) {
    let (n, _) = count(&index_prefix(table, index));
    (n, 0)
}

fn delete_prefix(prefix: &[u8]) {
    let end = prefix_end(prefix);
    loop {
        let rows = kv::scan(prefix, end.as_deref(), 512, false);
        for (k, _) in &rows {
            kv::delete(k);
        }
        if rows.len() < 512 {
            return;
        }
    }
}

/// Removes every item and index entry of a table.
pub fn drop_table(table: &str) {
    delete_prefix(&table_prefix(table));
    delete_prefix(&Key::new().str("x").str(table).into_bytes());
}

/// Removes every entry of an index.
pub fn drop_index(table: &str, index: &str) {
    delete_prefix(&index_prefix(table, index));
}

/// Builds a new index's entries from the table's items.
pub fn backfill_index(meta: &TableMeta, index: &str) {
    let Some(idx) = meta.index(index) else { return };
    let prefix = table_prefix(meta.name());
    let end = prefix_end(&prefix);
    let mut start = prefix.clone();
    loop {
        let rows = kv::scan(&start, end.as_deref(), 256, false);
        for (k, v) in &rows {
            if let Ok(item) = serde_json::from_slice::<Item>(v)
                && let Some(ik) = index_key(meta, &idx, &item)
            {
                kv::put(&ik, k);
            }
        }
        match rows.last() {
            Some((k, _)) if rows.len() == 256 => {
                start = k.clone();
                start.push(0);
            }
            _ => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numeric_sort_keys_order_as_numbers() {
        let ks: Vec<Vec<u8>> = ["-10", "-2.5", "0", "3", "20", "100"]
            .iter()
            .map(|n| push(b"p", &json!({ "N": n })))
            .collect();
        for w in ks.windows(2) {
            assert!(w[0] < w[1]);
        }
        let a = push(b"p", &json!({"S": "a"}));
        let ab = push(b"p", &json!({"S": "ab"}));
        let b = push(b"p", &json!({"S": "b"}));
        assert!(a < ab && ab < b);
    }
}
