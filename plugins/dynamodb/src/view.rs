//! Attribute maps read through the generated typed views of decoded inputs
//! (`ruststack_sdk::protocol::shapes`), handed to the attribute code as the
//! JSON they are.

use ruststack_sdk::protocol::shapes::dynamodb::AttributeValue;
use ruststack_sdk::protocol::typed::Map;

use crate::attr::Item;

/// A map of AttributeValues (`Item`, `Key`, `ExpressionAttributeValues`).
pub type AttrMap<'a> = Map<'a, AttributeValue<'a>>;

/// The decoded attribute map under a typed `Item`/`Key` member, for the
/// attribute code, which works on the JSON as it is.
pub fn attrs<'a>(m: Option<AttrMap<'a>>) -> Option<&'a Item> {
    m.map(|m| m.values())
}
