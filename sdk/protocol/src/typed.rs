//! The runtime half of the generated [`crate::shapes`] modules: typed views
//! of a decoded input and typed builders of an output.
//!
//! The codecs decode every request into a [`Value`] keyed by model member
//! names, and encode an output from one. Handlers that read members by
//! string (`input["QueueUrl"]`) and build outputs with `json!` compile with
//! any spelling: a misspelt input member reads as absent and a misspelt
//! output member is silently dropped by the encoder. The generated views and
//! builders name every member as a method, so a misspelling is a compile
//! error, while the decoded value stays the one representation (no copy, no
//! second decoder).
//!
//! ```
//! use ruststack_protocol::shapes::sqs::{SendMessageRequest, out};
//! let input = serde_json::json!({"QueueUrl": "q", "DelaySeconds": 5});
//! let view = SendMessageRequest(&input);
//! assert_eq!(view.queue_url(), Some("q"));
//! assert_eq!(view.delay_seconds(), Some(5));
//! assert_eq!(view.message_body(), None);
//! let reply = serde_json::Value::from(out::SendMessageResult::new().message_id("id-1"));
//! assert_eq!(reply, serde_json::json!({"MessageId": "id-1"}));
//! ```

use std::marker::PhantomData;

/// The decoded value views read and builders make (re-exported so generated
/// code names one path, whatever its crate depends on).
pub use serde_json::Value;

/// A decoded value read as a Rust type: the member types of the generated
/// views (`&str` for strings, enums and base64 blobs, `i64` for whole
/// numbers, `f64` for floats and timestamps in epoch seconds, `bool`,
/// structure views, [`List`] and [`Map`]). A value of another JSON type
/// reads as absent, as the codecs never decode one.
pub trait FromValue<'a>: Sized {
    /// `v` as this type, if it is one.
    fn from_value(v: &'a Value) -> Option<Self>;
}

impl<'a> FromValue<'a> for &'a str {
    fn from_value(v: &'a Value) -> Option<Self> {
        v.as_str()
    }
}

impl<'a> FromValue<'a> for i64 {
    fn from_value(v: &'a Value) -> Option<Self> {
        v.as_i64()
    }
}

impl<'a> FromValue<'a> for f64 {
    fn from_value(v: &'a Value) -> Option<Self> {
        crate::value::timestamp_seconds(v)
    }
}

impl<'a> FromValue<'a> for bool {
    fn from_value(v: &'a Value) -> Option<Self> {
        v.as_bool()
    }
}

impl<'a> FromValue<'a> for &'a Value {
    fn from_value(v: &'a Value) -> Option<Self> {
        Some(v)
    }
}

/// Member `name` of the structure `v`, as `T`; absent, `null` and values of
/// another type read as `None`.
pub fn member<'a, T: FromValue<'a>>(v: &'a Value, name: &str) -> Option<T> {
    v.get(name).and_then(T::from_value)
}

/// A list member: its elements as `T`.
pub struct List<'a, T> {
    items: &'a [Value],
    _t: PhantomData<fn() -> T>,
}

impl<T> Clone for List<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for List<'_, T> {}

impl<'a, T: FromValue<'a>> FromValue<'a> for List<'a, T> {
    fn from_value(v: &'a Value) -> Option<Self> {
        v.as_array().map(|items| List {
            items,
            _t: PhantomData,
        })
    }
}

impl<'a, T: FromValue<'a> + 'a> List<'a, T> {
    /// The elements, in order (an element of another type is skipped).
    /// Takes the (copyable) handle, so the iterator outlives it.
    pub fn iter(self) -> impl Iterator<Item = T> + 'a {
        self.items.iter().filter_map(T::from_value)
    }

    /// How many elements the list has.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The decoded elements, for code that passes them on as they are.
    pub fn values(&self) -> &'a [Value] {
        self.items
    }
}

/// A map member: its values as `T`, by key.
pub struct Map<'a, T> {
    map: &'a serde_json::Map<String, Value>,
    _t: PhantomData<fn() -> T>,
}

impl<T> Clone for Map<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Map<'_, T> {}

impl<'a, T: FromValue<'a>> FromValue<'a> for Map<'a, T> {
    fn from_value(v: &'a Value) -> Option<Self> {
        v.as_object().map(|map| Map {
            map,
            _t: PhantomData,
        })
    }
}

impl<'a, T: FromValue<'a> + 'a> Map<'a, T> {
    /// The entries, in the order they were decoded (a value of another
    /// type is skipped). Takes the (copyable) handle, so the iterator
    /// outlives it.
    pub fn iter(self) -> impl Iterator<Item = (&'a str, T)> + 'a {
        self.map
            .iter()
            .filter_map(|(k, v)| T::from_value(v).map(|v| (k.as_str(), v)))
    }

    /// The value under `key`.
    pub fn get(&self, key: &str) -> Option<T> {
        self.map.get(key).and_then(T::from_value)
    }

    /// How many entries the map has.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether the map is empty.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The decoded map, for code that passes it on as it is.
    pub fn values(&self) -> &'a serde_json::Map<String, Value> {
        self.map
    }
}

/// The elements of an optional list member, in order: none when it is
/// absent (most list members are optional).
pub fn each<'a, T: FromValue<'a> + 'a>(list: Option<List<'a, T>>) -> impl Iterator<Item = T> + 'a {
    list.into_iter().flat_map(List::iter)
}

/// The entries of an optional map member, in decoded order: none when it
/// is absent.
pub fn entries<'a, T: FromValue<'a> + 'a>(
    map: Option<Map<'a, T>>,
) -> impl Iterator<Item = (&'a str, T)> + 'a {
    map.into_iter().flat_map(Map::iter)
}

/// What the generated output builders hold: members by model name, in the
/// order they were set. `null` members are left out by the encoders, so an
/// `Option` set to `None` means absent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Members(pub serde_json::Map<String, Value>);

impl Members {
    /// Sets member `name` (an absent `None` is not stored at all).
    pub fn set(&mut self, name: &str, value: Value) {
        if value.is_null() {
            self.0.remove(name);
        } else {
            self.0.insert(name.to_string(), value);
        }
    }
}

impl From<Members> for Value {
    fn from(m: Members) -> Value {
        Value::Object(m.0)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::shapes::{dynamodb, sqs};

    #[test]
    fn views_read_each_member_type_and_absent_as_none() {
        let v = json!({
            "QueueUrl": "u",
            "MaxNumberOfMessages": 3,
            "AttributeNames": ["All", 7, "Policy"],
            "ReceiveRequestAttemptId": null,
        });
        let r = sqs::ReceiveMessageRequest(&v);
        assert_eq!(r.queue_url(), Some("u"));
        assert_eq!(r.max_number_of_messages(), Some(3));
        let names: Vec<&str> = r.attribute_names().unwrap().iter().collect();
        assert_eq!(names, ["All", "Policy"]);
        assert_eq!(r.attribute_names().unwrap().len(), 3);
        assert_eq!(r.receive_request_attempt_id(), None);
        assert_eq!(r.wait_time_seconds(), None);
    }

    #[test]
    fn nested_structures_maps_and_booleans() {
        let v = json!({
            "TableName": "t",
            "Key": {"pk": {"S": "a"}},
            "ConsistentRead": true,
        });
        let g = dynamodb::input::GetItem(&v);
        assert_eq!(g.consistent_read(), Some(true));
        let key = g.key().unwrap();
        assert_eq!(key.len(), 1);
        assert_eq!(key.get("pk").and_then(|a| a.s()), Some("a"));
    }

    #[test]
    fn builders_keep_set_members_and_drop_none() {
        let out = sqs::out::SendMessageResult::new()
            .message_id("m")
            .sequence_number(None::<String>)
            .md5_of_message_body("d");
        assert_eq!(
            serde_json::Value::from(out),
            json!({"MessageId": "m", "MD5OfMessageBody": "d"})
        );
    }
}
