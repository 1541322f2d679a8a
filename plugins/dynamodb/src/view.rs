//! Small helpers over the generated typed views of decoded inputs
//! (`ruststack_sdk::protocol::shapes`): optional list and map members
//! iterated without borrowing the member's handle, and attribute maps
//! handed to the attribute code as the JSON they are.

use ruststack_sdk::protocol::shapes::dynamodb::AttributeValue;
use ruststack_sdk::protocol::typed::{FromValue, List, Map};

use crate::attr::Item;

/// A map of AttributeValues (`Item`, `Key`, `ExpressionAttributeValues`).
pub type AttrMap<'a> = Map<'a, AttributeValue<'a>>;

/// The decoded attribute map under a typed `Item`/`Key` member, for the
/// attribute code, which works on the JSON as it is.
pub fn attrs<'a>(m: Option<AttrMap<'a>>) -> Option<&'a Item> {
    m.map(|m| m.values())
}

/// The elements of an optional list member, in order (none when it is
/// absent; an element of another type is skipped, as [`List::iter`] does).
pub fn each<'a, T: FromValue<'a> + 'a>(list: Option<List<'a, T>>) -> impl Iterator<Item = T> + 'a {
    list.map_or(&[][..], |l| l.values())
        .iter()
        .filter_map(T::from_value)
}

/// The entries of an optional map member, in decoded order (none when it
/// is absent; a value of another type is skipped, as [`Map::iter`] does).
pub fn entries<'a, T: FromValue<'a> + 'a>(
    map: Option<Map<'a, T>>,
) -> impl Iterator<Item = (&'a str, T)> + 'a {
    map.into_iter()
        .flat_map(|m| m.values().iter())
        .filter_map(|(k, v)| T::from_value(v).map(|v| (k.as_str(), v)))
}
