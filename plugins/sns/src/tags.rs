//! Topic tags: TagResource, UntagResource, ListTagsForResource.

use ruststack_sdk::AwsError;
use ruststack_sdk::protocol::Value;
use serde_json::json;

use crate::errors::{invalid_parameter, resource_not_found};
use crate::topics;

/// Most tags a topic may carry.
const MAX_TAGS: usize = 50;

/// The `Tags` list of an input (`[{Key, Value}]`), validated. TagResource
/// refuses a key given twice (`Duplicated keys are not allowed.`, as AWS);
/// CreateTopic keeps the last value.
pub fn from_input(v: &Value, reject_duplicates: bool) -> Result<Vec<(String, String)>, AwsError> {
    let mut out: Vec<(String, String)> = Vec::new();
    for t in v.as_array().into_iter().flatten() {
        let k = t["Key"].as_str().unwrap_or_default();
        let val = t["Value"].as_str().unwrap_or_default();
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
pub fn tag(input: &Value) -> Result<Value, AwsError> {
    let arn = input["ResourceArn"].as_str().unwrap_or_default();
    let new = from_input(&input["Tags"], true)?;
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
    Ok(json!({}))
}

/// UntagResource: removes the named keys.
pub fn untag(input: &Value) -> Result<Value, AwsError> {
    let arn = input["ResourceArn"].as_str().unwrap_or_default();
    let keys: Vec<&str> = input["TagKeys"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    topics::table()
        .get(&topics::key(arn))
        .ok_or_else(resource_not_found)?;
    topics::table().update(&topics::key(arn), |cur| {
        let mut t = cur?;
        t.tags.retain(|(k, _)| !keys.contains(&k.as_str()));
        Some(t)
    });
    Ok(json!({}))
}

/// ListTagsForResource.
pub fn list(input: &Value) -> Result<Value, AwsError> {
    let arn = input["ResourceArn"].as_str().unwrap_or_default();
    let t = topics::table()
        .get(&topics::key(arn))
        .ok_or_else(resource_not_found)?;
    let tags: Vec<Value> = t
        .tags
        .iter()
        .map(|(k, v)| json!({"Key": k, "Value": v}))
        .collect();
    Ok(json!({"Tags": tags}))
}
