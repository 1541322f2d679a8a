//! Topic tags: TagResource, UntagResource, ListTagsForResource.

use ruststack_sdk::AwsError;
use ruststack_sdk::protocol::Value;
use ruststack_sdk::protocol::shapes::sns::{Tag, input, out, output};
use ruststack_sdk::protocol::typed::List;

use crate::errors::{invalid_parameter, resource_not_found};
use crate::topics;

/// Most tags a topic may carry.
const MAX_TAGS: usize = 50;

/// The `Tags` list of an input (`[{Key, Value}]`), validated. TagResource
/// refuses a key given twice (`Duplicated keys are not allowed.`, as AWS);
/// CreateTopic keeps the last value.
pub fn from_input(
    list: Option<List<'_, Tag<'_>>>,
    reject_duplicates: bool,
) -> Result<Vec<(String, String)>, AwsError> {
    let mut out: Vec<(String, String)> = Vec::new();
    // Every element, as decoded: one that is not a structure has neither member.
    for t in list.map(|l| l.values()).unwrap_or_default().iter().map(Tag) {
        let k = t.key().unwrap_or_default();
        let val = t.value().unwrap_or_default();
        if k.is_empty() || k.len() > 128 || val.len() > 256 || k.starts_with("aws:") {
            return Err(invalid_parameter("Tags Reason: invalid tag key or value"));
        }
        if reject_duplicates && out.iter().any(|(ek, _)| ek == k) {
            return Err(invalid_parameter("Duplicated keys are not allowed."));
        }
        out.retain(|(ek, _)| ek != k);
        out.push((k.to_string(), val.to_string()));
    }
    if out.len() > MAX_TAGS {
        return Err(AwsError::client(
            "TagLimitExceeded",
            "Could not complete request: tag quota of per resource exceeded",
        ));
    }
    Ok(out)
}

/// TagResource: adds or overwrites tags.
pub fn tag(input: input::TagResource<'_>) -> Result<Value, AwsError> {
    let arn = input.resource_arn().unwrap_or_default();
    let new = from_input(input.tags(), true)?;
    let t = topics::table()
        .get(&topics::key(arn))
        .ok_or_else(resource_not_found)?;
    let mut tags = t.tags;
    for (k, v) in new {
        match tags.iter_mut().find(|(ek, _)| *ek == k) {
            Some(e) => e.1 = v,
            None => tags.push((k, v)),
        }
    }
    if tags.len() > MAX_TAGS {
        return Err(AwsError::client(
            "TagLimitExceeded",
            "Could not complete request: tag quota of per resource exceeded",
        ));
    }
    topics::table().update(&topics::key(arn), |cur| {
        let mut t = cur?;
        t.tags = tags.clone();
        Some(t)
    });
    Ok(output::TagResource::new().into())
}

/// UntagResource: removes the named keys.
pub fn untag(input: input::UntagResource<'_>) -> Result<Value, AwsError> {
    let arn = input.resource_arn().unwrap_or_default();
    let keys: Vec<&str> = input
        .tag_keys()
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    topics::table()
        .get(&topics::key(arn))
        .ok_or_else(resource_not_found)?;
    topics::table().update(&topics::key(arn), |cur| {
        let mut t = cur?;
        t.tags.retain(|(k, _)| !keys.contains(&k.as_str()));
        Some(t)
    });
    Ok(output::UntagResource::new().into())
}

/// ListTagsForResource.
pub fn list(input: input::ListTagsForResource<'_>) -> Result<Value, AwsError> {
    let arn = input.resource_arn().unwrap_or_default();
    let t = topics::table()
        .get(&topics::key(arn))
        .ok_or_else(resource_not_found)?;
    let tags: Vec<out::Tag> = t
        .tags
        .into_iter()
        .map(|(k, v)| out::Tag::new().key(k).value(v))
        .collect();
    Ok(output::ListTagsForResource::new().tags(tags).into())
}
