//! Queue attributes: which ones can be set, their defaults and the ranges
//! AWS enforces, checked the same way on CreateQueue and SetQueueAttributes.

use std::collections::BTreeMap;

use ruststack_sdk::AwsError;
use ruststack_sdk::protocol::typed::Map;
use serde_json::Value;

use crate::errors::{invalid_attribute_name, invalid_attribute_value};

/// Attributes every queue has, with their defaults.
pub const DEFAULTS: &[(&str, &str)] = &[
    ("DelaySeconds", "0"),
    // 1 MiB, the service maximum, since AWS raised it in 2025.
    ("MaximumMessageSize", "1048576"),
    ("MessageRetentionPeriod", "345600"),
    ("ReceiveMessageWaitTimeSeconds", "0"),
    ("VisibilityTimeout", "30"),
    ("SqsManagedSseEnabled", "true"),
];

/// Attributes only FIFO queues take, with their defaults.
pub const FIFO_DEFAULTS: &[(&str, &str)] = &[
    ("ContentBasedDeduplication", "false"),
    ("DeduplicationScope", "queue"),
    ("FifoThroughputLimit", "perQueue"),
];

/// Attributes that are computed, never set.
pub const COMPUTED: &[&str] = &[
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "ApproximateNumberOfMessagesDelayed",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
    "QueueArn",
];

fn int_range(name: &str, value: &str, lo: i64, hi: i64) -> Result<(), AwsError> {
    match value.trim().parse::<i64>() {
        Ok(n) if (lo..=hi).contains(&n) => Ok(()),
        _ => Err(invalid_attribute_value(name, None)),
    }
}

fn boolean(name: &str, value: &str) -> Result<(), AwsError> {
    match value.to_ascii_lowercase().as_str() {
        "true" | "false" => Ok(()),
        _ => Err(invalid_attribute_value(name, None)),
    }
}

/// Checks one settable attribute; `fifo` says whether the queue is FIFO.
/// Returns the value to store (booleans normalised to lower case).
pub fn check(name: &str, value: &str, fifo: bool) -> Result<String, AwsError> {
    match name {
        "DelaySeconds" => int_range(name, value, 0, 900)?,
        "MaximumMessageSize" => int_range(name, value, 1024, 1_048_576)?,
        "MessageRetentionPeriod" => int_range(name, value, 60, 1_209_600)?,
        "ReceiveMessageWaitTimeSeconds" => int_range(name, value, 0, 20)?,
        "VisibilityTimeout" => int_range(name, value, 0, 43_200)?,
        "KmsDataKeyReusePeriodSeconds" => int_range(name, value, 60, 86_400)?,
        "KmsMasterKeyId" => {}
        "SqsManagedSseEnabled" => boolean(name, value)?,
        "Policy" => {
            if !value.is_empty()
                && serde_json::from_str::<Value>(value)
                    .map(|v| !v.is_object())
                    .unwrap_or(true)
            {
                return Err(invalid_attribute_value(
                    name,
                    Some("Policy is not a valid JSON document."),
                ));
            }
        }
        "RedrivePolicy" => {
            if !value.is_empty() {
                check_redrive(value)?;
            }
        }
        "RedriveAllowPolicy" => {
            if !value.is_empty() {
                check_redrive_allow(value)?;
            }
        }
        "FifoQueue" => {
            boolean(name, value)?;
            if value.eq_ignore_ascii_case("true") != fifo {
                return Err(invalid_attribute_value(name, None));
            }
        }
        "ContentBasedDeduplication" | "DeduplicationScope" | "FifoThroughputLimit" if !fifo => {
            return Err(invalid_attribute_name(name));
        }
        "ContentBasedDeduplication" => boolean(name, value)?,
        "DeduplicationScope" => {
            if !matches!(value, "messageGroup" | "queue") {
                return Err(invalid_attribute_value(name, None));
            }
        }
        "FifoThroughputLimit" => {
            if !matches!(value, "perQueue" | "perMessageGroupId") {
                return Err(invalid_attribute_value(name, None));
            }
        }
        _ => return Err(invalid_attribute_name(name)),
    }
    Ok(match name {
        "SqsManagedSseEnabled" | "ContentBasedDeduplication" | "FifoQueue" => {
            value.to_ascii_lowercase()
        }
        _ => value.to_string(),
    })
}

/// The parsed redrive policy of a queue.
pub struct Redrive {
    /// ARN of the dead-letter queue.
    pub target_arn: String,
    /// Receives after which a message moves there.
    pub max_receive_count: u64,
}

/// Parses `{"deadLetterTargetArn": ..., "maxReceiveCount": ...}` (the count
/// may be a number or a numeric string, as AWS accepts both).
pub fn parse_redrive(value: &str) -> Option<Redrive> {
    let v: Value = serde_json::from_str(value).ok()?;
    let target_arn = v.get("deadLetterTargetArn")?.as_str()?.to_string();
    let count = v.get("maxReceiveCount")?;
    let max_receive_count = count.as_u64().or_else(|| count.as_str()?.parse().ok())?;
    Some(Redrive {
        target_arn,
        max_receive_count,
    })
}

fn check_redrive(value: &str) -> Result<(), AwsError> {
    let v: Value = serde_json::from_str(value).map_err(|_| {
        invalid_attribute_value(
            "RedrivePolicy",
            Some("Redrive policy is not a valid JSON map."),
        )
    })?;
    if v.get("deadLetterTargetArn").is_none() {
        return Err(invalid_attribute_value(
            "RedrivePolicy",
            Some("Redrive policy does not contain mandatory attribute: deadLetterTargetArn."),
        ));
    }
    if v.get("maxReceiveCount").is_none() {
        return Err(invalid_attribute_value(
            "RedrivePolicy",
            Some("Redrive policy does not contain mandatory attribute: maxReceiveCount."),
        ));
    }
    match parse_redrive(value) {
        Some(r) if (1..=1000).contains(&r.max_receive_count) => Ok(()),
        _ => Err(invalid_attribute_value(
            "RedrivePolicy",
            Some(
                "Value for parameter maxReceiveCount is invalid. Reason: Must be an integer from 1 to 1000.",
            ),
        )),
    }
}

fn check_redrive_allow(value: &str) -> Result<(), AwsError> {
    let v: Value = serde_json::from_str(value).map_err(|_| {
        invalid_attribute_value(
            "RedriveAllowPolicy",
            Some("Redrive allow policy is not a valid JSON map."),
        )
    })?;
    match v.get("redrivePermission").and_then(Value::as_str) {
        Some("allowAll" | "denyAll") => Ok(()),
        Some("byQueue") if v.get("sourceQueueArns").is_some_and(Value::is_array) => Ok(()),
        _ => Err(invalid_attribute_value(
            "RedriveAllowPolicy",
            Some(
                "Amazon SQS can't create the redrive allow policy, as it’s in an unsupported format.",
            ),
        )),
    }
}

/// The stored attributes of a new queue: defaults, then what was asked.
pub fn initial(
    requested: &BTreeMap<String, String>,
    fifo: bool,
) -> Result<BTreeMap<String, String>, AwsError> {
    let mut attrs: BTreeMap<String, String> = DEFAULTS
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    if fifo {
        attrs.extend(
            FIFO_DEFAULTS
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string())),
        );
        attrs.insert("FifoQueue".into(), "true".into());
    }
    apply(&mut attrs, requested, fifo)?;
    Ok(attrs)
}

/// Applies requested attribute changes (an empty Policy, RedrivePolicy or
/// RedriveAllowPolicy removes it).
pub fn apply(
    attrs: &mut BTreeMap<String, String>,
    requested: &BTreeMap<String, String>,
    fifo: bool,
) -> Result<(), AwsError> {
    for (name, value) in requested {
        if COMPUTED.contains(&name.as_str()) {
            return Err(invalid_attribute_name(name));
        }
        let value = check(name, value, fifo)?;
        if value.is_empty()
            && matches!(
                name.as_str(),
                "Policy" | "RedrivePolicy" | "RedriveAllowPolicy" | "KmsMasterKeyId"
            )
        {
            attrs.remove(name);
            continue;
        }
        if name == "FifoQueue" && !fifo {
            continue;
        }
        if name == "KmsMasterKeyId" {
            // A KMS key replaces SQS-managed encryption.
            attrs.insert("SqsManagedSseEnabled".into(), "false".into());
            if !attrs.contains_key("KmsDataKeyReusePeriodSeconds") {
                attrs.insert("KmsDataKeyReusePeriodSeconds".into(), "300".into());
            }
        }
        attrs.insert(name.clone(), value);
    }
    Ok(())
}

/// A stored integer attribute.
pub fn int(attrs: &BTreeMap<String, String>, name: &str) -> u64 {
    attrs.get(name).and_then(|v| v.parse().ok()).unwrap_or(0)
}

/// A JSON object of attributes given in a request as a map of strings.
pub fn from_input(v: &Value) -> BTreeMap<String, String> {
    raw_map(v.as_object())
}

/// [`from_input`] for a map member read through its typed view.
pub fn from_map(m: Option<Map<'_, &str>>) -> BTreeMap<String, String> {
    raw_map(m.map(|m| m.values()))
}

fn raw_map(m: Option<&serde_json::Map<String, Value>>) -> BTreeMap<String, String> {
    m.map(|o| {
        o.iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    v.as_str()
                        .map(str::to_string)
                        .unwrap_or_else(|| v.to_string()),
                )
            })
            .collect()
    })
    .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_and_fifo_only_attributes() {
        assert!(check("VisibilityTimeout", "43200", false).is_ok());
        assert_eq!(
            check("VisibilityTimeout", "43201", false).unwrap_err().code,
            "InvalidAttributeValue"
        );
        assert_eq!(
            check("ContentBasedDeduplication", "true", false)
                .unwrap_err()
                .code,
            "InvalidAttributeName"
        );
        assert_eq!(
            check("ContentBasedDeduplication", "TRUE", true).unwrap(),
            "true"
        );
        assert_eq!(
            check("Bogus", "1", false).unwrap_err().code,
            "InvalidAttributeName"
        );
        assert!(
            check(
                "RedrivePolicy",
                r#"{"deadLetterTargetArn":"a","maxReceiveCount":"3"}"#,
                false
            )
            .is_ok()
        );
        assert!(check("RedrivePolicy", r#"{"maxReceiveCount":3}"#, false).is_err());
    }

    #[test]
    fn empty_policy_disappears() {
        let mut a = initial(&BTreeMap::from([("Policy".into(), "{}".into())]), false).unwrap();
        assert!(a.contains_key("Policy"));
        apply(
            &mut a,
            &BTreeMap::from([("Policy".into(), String::new())]),
            false,
        )
        .unwrap();
        assert!(!a.contains_key("Policy"));
    }
}
