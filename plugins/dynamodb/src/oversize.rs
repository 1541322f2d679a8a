//! Items over DynamoDB's 400 KB limit, found in a request's raw JSON before
//! it is decoded.
//!
//! A decoded item takes many times its JSON size in memory (every element of
//! a list becomes a map of its own), so a 15 MB item of small elements would
//! need hundreds of megabytes just to be refused. This walks the JSON once,
//! keeping nothing but a running size, and answers the item-size error
//! before anything is built. The size is a lower bound of DynamoDB's own
//! (a number counts one byte), so an item this refuses is one that the full
//! check would refuse too.

use std::borrow::Cow;
use std::fmt;

use ruststack_sdk::protocol::ops::dynamodb::Op;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::attr::MAX_ITEM_SIZE;

/// Whether an operation's requests carry whole items (under members named
/// `Item`), which are checked here before they are decoded.
pub fn writes_items(op: Op) -> bool {
    matches!(
        op,
        Op::PutItem | Op::BatchWriteItem | Op::TransactWriteItems
    )
}

/// True when some `Item` in the JSON `body` is surely over the item size
/// limit. Malformed JSON is left to the decoder to report (false).
pub fn has_oversized_item(body: &[u8]) -> bool {
    let mut de = serde_json::Deserializer::from_slice(body);
    Find.deserialize(&mut de).unwrap_or(false)
}

/// Any JSON value; true if an `Item` member inside it is over the limit.
struct Find;

impl<'de> DeserializeSeed<'de> for Find {
    type Value = bool;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Find {
    type Value = bool;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let mut found = false;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            if found {
                map.next_value::<IgnoredAny>()?;
            } else if key == "Item" {
                found = map.next_value_seed(Size(Kind::Item))? > MAX_ITEM_SIZE;
            } else {
                found = map.next_value_seed(Find)?;
            }
        }
        Ok(found)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        let mut found = false;
        while let Some(f) = seq.next_element_seed(Find)? {
            found |= f;
        }
        Ok(found)
    }
    fn visit_bool<E>(self, _: bool) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_i64<E>(self, _: i64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_u64<E>(self, _: u64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_f64<E>(self, _: f64) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_str<E>(self, _: &str) -> Result<bool, E> {
        Ok(false)
    }
    fn visit_unit<E>(self) -> Result<bool, E> {
        Ok(false)
    }
}

/// What a value being measured is.
#[derive(Clone, Copy)]
enum Kind {
    /// An item: attribute names to attribute values.
    Item,
    /// An attribute value: `{"<type>": <value>}`.
    Attr,
    /// The value of an `M`: names to attribute values, 3 bytes plus 1 per entry.
    Map,
    /// The value of an `L`: attribute values, 3 bytes plus 1 per element.
    List,
    /// The value of `S`: its UTF-8 length.
    Str,
    /// The value of `B`: its decoded length.
    Bin,
    /// The value of `N`, a `BOOL` or a `NULL`: at least one byte.
    Byte,
    /// The value of `SS` or `BS`: the sum of its strings (`bin`: decoded).
    Set { bin: bool },
}

/// The size (a lower bound of DynamoDB's) of a value of the given kind; a
/// value of another shape measures 0 (the decoder reports it).
struct Size(Kind);

impl<'de> DeserializeSeed<'de> for Size {
    type Value = usize;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        d.deserialize_any(self)
    }
}

/// Bytes that base64 text of `len` characters decodes to, at least.
fn decoded_len(len: usize) -> usize {
    (len / 4 * 3).saturating_sub(2)
}

impl<'de> Visitor<'de> for Size {
    type Value = usize;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a DynamoDB item")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<usize, A::Error> {
        let mut total = match self.0 {
            Kind::Map => 3,
            _ => 0,
        };
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            total += match self.0 {
                Kind::Item => key.len() + map.next_value_seed(Size(Kind::Attr))?,
                Kind::Map => key.len() + 1 + map.next_value_seed(Size(Kind::Attr))?,
                Kind::Attr => {
                    let kind = match &*key {
                        "S" => Kind::Str,
                        "B" => Kind::Bin,
                        "M" => Kind::Map,
                        "L" => Kind::List,
                        "SS" | "NS" => Kind::Set { bin: false },
                        "BS" => Kind::Set { bin: true },
                        _ => Kind::Byte,
                    };
                    map.next_value_seed(Size(kind))?
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    0
                }
            };
        }
        Ok(total)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<usize, A::Error> {
        let (mut total, element) = match self.0 {
            Kind::List => (3, Kind::Attr),
            Kind::Set { bin: true } => (0, Kind::Bin),
            Kind::Set { bin: false } => (0, Kind::Str),
            _ => (0, Kind::Byte),
        };
        let per_element = usize::from(matches!(self.0, Kind::List));
        while let Some(size) = seq.next_element_seed(Size(element))? {
            total += size + per_element;
        }
        Ok(total)
    }
    fn visit_str<E>(self, s: &str) -> Result<usize, E> {
        Ok(match self.0 {
            Kind::Str => s.len(),
            Kind::Bin => decoded_len(s.len()),
            Kind::Byte => 1,
            _ => 0,
        })
    }
    fn visit_bool<E>(self, _: bool) -> Result<usize, E> {
        Ok(usize::from(matches!(self.0, Kind::Byte)))
    }
    fn visit_i64<E>(self, _: i64) -> Result<usize, E> {
        Ok(0)
    }
    fn visit_u64<E>(self, _: u64) -> Result<usize, E> {
        Ok(0)
    }
    fn visit_f64<E>(self, _: f64) -> Result<usize, E> {
        Ok(0)
    }
    fn visit_unit<E>(self) -> Result<usize, E> {
        Ok(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn put(item: serde_json::Value) -> Vec<u8> {
        json!({"TableName": "t", "Item": item})
            .to_string()
            .into_bytes()
    }

    #[test]
    fn small_items_pass_and_big_ones_are_found_in_every_shape() {
        assert!(!has_oversized_item(&put(
            json!({"id": {"S": "a"}, "n": {"N": "1"}})
        )));
        let big = "x".repeat(MAX_ITEM_SIZE + 1);
        assert!(has_oversized_item(&put(json!({"id": {"S": big}}))));
        // A list of many small elements: 3 + 2 bytes each.
        let many: Vec<_> = (0..MAX_ITEM_SIZE / 2).map(|_| json!({"N": "1"})).collect();
        assert!(has_oversized_item(&put(json!({"l": {"L": many}}))));
        // Inside a batch and a transaction.
        let batch = json!({"RequestItems": {"t": [{"PutRequest": {"Item": {"id": {"S": big}}}}]}});
        assert!(has_oversized_item(batch.to_string().as_bytes()));
        let tx = json!({"TransactItems": [{"Put": {"TableName": "t", "Item": {"m": {"M": {"k": {"SS": [big]}}}}}}]});
        assert!(has_oversized_item(tx.to_string().as_bytes()));
    }

    #[test]
    fn sizes_are_lower_bounds_of_dynamodbs() {
        // Just under the limit in DynamoDB's count: not refused here.
        let name_and_value = MAX_ITEM_SIZE - "id".len();
        let item = json!({"id": {"S": "x".repeat(name_and_value)}});
        assert!(!has_oversized_item(&put(item)));
        // Long numbers count one byte, so they never tip an item over.
        let item = json!({"id": {"S": "x".repeat(name_and_value - 2)}, "n": {"N": "1".repeat(38)}});
        assert!(!has_oversized_item(&put(item)));
        // Binary counts its decoded length.
        let b64 = "QUFB".repeat(MAX_ITEM_SIZE / 3 + 2);
        assert!(has_oversized_item(&put(json!({"b": {"B": b64}}))));
    }

    #[test]
    fn malformed_json_is_left_to_the_decoder() {
        assert!(!has_oversized_item(b"{\"Item\": "));
        assert!(!has_oversized_item(b"[1, 2"));
    }
}
