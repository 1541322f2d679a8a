//! Publish and PublishBatch: validation, FIFO sequencing and deduplication,
//! then fan-out through [`crate::delivery`].

use std::collections::BTreeMap;

use base64::Engine;
use ruststack_sdk::ids::{now_ms, uuid};
use ruststack_sdk::keys::Key;
use ruststack_sdk::protocol::Value;
use ruststack_sdk::protocol::shapes::sns::{
    MessageAttributeValue, PublishBatchRequestEntry, input, out, output,
};
use ruststack_sdk::protocol::typed::{FromValue, Map};
use ruststack_sdk::table::Table;
use ruststack_sdk::{AwsError, Request};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::delivery;
use crate::errors::{self, invalid_parameter, invalid_parameter_value, missing_parameter};
use crate::topics::{self, Topic};

/// Largest message (and attributes) SNS accepts.
const MAX_MESSAGE: usize = 256 * 1024;
/// FIFO deduplication window.
const DEDUP_WINDOW_MS: u64 = 5 * 60 * 1000;

/// One message attribute as published.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Attribute {
    /// `String`, `Number`, `Binary`, `String.Array`, optionally with a custom suffix.
    pub data_type: String,
    /// The value of String and Number types.
    pub string_value: Option<String>,
    /// Base64 of the value of Binary types.
    pub binary_value: Option<String>,
}

/// A message on its way to subscribers.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Message {
    /// Its id.
    pub id: String,
    /// The topic it was published to.
    pub topic_arn: String,
    /// Optional subject (shown in envelopes).
    pub subject: Option<String>,
    /// The message, or the `default` one of a `MessageStructure=json` message.
    pub message: String,
    /// Per-protocol messages of a `MessageStructure=json` message.
    pub per_protocol: BTreeMap<String, String>,
    /// Message attributes.
    pub attributes: BTreeMap<String, Attribute>,
    /// FIFO message group.
    pub group_id: Option<String>,
    /// FIFO deduplication id.
    pub dedup_id: Option<String>,
    /// FIFO sequence number.
    pub sequence: Option<String>,
    /// Publish time, ms since the epoch.
    pub timestamp_ms: u64,
    /// The topic's `SignatureVersion` (`1`: SHA1, `2`: SHA256).
    #[serde(default)]
    pub signature_version: String,
}

impl Message {
    /// The text a protocol gets (per-protocol or default).
    pub fn text_for(&self, protocol: &str) -> &str {
        self.per_protocol
            .get(protocol)
            .map(String::as_str)
            .unwrap_or(&self.message)
    }
}

/// A FIFO deduplication record.
#[derive(Serialize, Deserialize, Clone, Debug)]
struct Dedup {
    message_id: String,
    sequence: String,
    expires_ms: u64,
}

fn dedup_table() -> Table<Dedup> {
    Table::new("dedup")
}

/// An SMS "sent" with Publish(PhoneNumber), kept for inspection.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Sms {
    /// The phone number.
    pub phone_number: String,
    /// The text.
    pub message: String,
    /// Message id.
    pub message_id: String,
    /// When, ms since the epoch.
    pub timestamp_ms: u64,
}

fn sms_table() -> Table<Sms> {
    Table::new("sms")
}

/// A decoded `MessageAttributes` map.
type AttributeMap<'a> = Map<'a, MessageAttributeValue<'a>>;

/// Validates the `MessageAttributes` map of a Publish input, given as
/// decoded (anything but a map reads as no attributes).
pub fn attributes(v: &Value) -> Result<BTreeMap<String, Attribute>, AwsError> {
    validated(AttributeMap::from_value(v))
}

/// Validates a Publish input's `MessageAttributes` member.
fn validated(map: Option<AttributeMap<'_>>) -> Result<BTreeMap<String, Attribute>, AwsError> {
    let attrs = attributes_at(map, "")?;
    check_numbers(&attrs)?;
    Ok(attrs)
}

/// AWS's complaint about a message attribute name, if any: at most 256
/// bytes of letters, digits, `-`, `_` and `.`, no `.` first, last or twice
/// in a row.
fn check_name(name: &str) -> Result<(), AwsError> {
    if name.len() > 256 {
        return Err(invalid_parameter_value(
            "Length of message attribute name must be less than 256 bytes.",
        ));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    {
        return Err(invalid_parameter_value(format!(
            "Invalid non-alphanumeric character '#x{:X}' was found in the message attribute name. Can only include alphanumeric characters, hyphens, underscores, or dots.",
            u32::from(c)
        )));
    }
    if name.starts_with('.') {
        return Err(invalid_parameter_value(
            "Invalid message attribute name starting with character '.' was found.",
        ));
    }
    if name.ends_with('.') {
        return Err(invalid_parameter_value(
            "Invalid message attribute name ending with character '.' was found.",
        ));
    }
    if name.contains("..") {
        return Err(invalid_parameter_value(
            "Message attribute name can not have successive '.' character.",
        ));
    }
    Ok(())
}

/// The base type (`String`, `Number`, `Binary`) of a data type, which may
/// carry a custom suffix after a dot (`String.prefixed`, but not `String.`
/// nor `Stringprefixed`).
fn base_type(data_type: &str) -> Option<&'static str> {
    ["String", "Number", "Binary"].into_iter().find(|b| {
        data_type
            .strip_prefix(b)
            .is_some_and(|rest| rest.is_empty() || rest.len() > 1 && rest.starts_with('.'))
    })
}

/// Validates a `MessageAttributes` map except for the values of `Number`
/// attributes ([`check_numbers`]): names, types, and which value field is
/// used, in AWS's words. `path` is where the map sits in the request, for
/// the framework's message about a missing `DataType` (`""` for Publish,
/// `publishBatchRequestEntries.<n>.member.` in a batch).
pub fn attributes_at(
    map: Option<AttributeMap<'_>>,
    path: &str,
) -> Result<BTreeMap<String, Attribute>, AwsError> {
    let mut out = BTreeMap::new();
    // Every entry as decoded: one that is not a structure has no members.
    let Some(map) = map.map(|m| m.values()) else {
        return Ok(out);
    };
    if map.len() > 10 {
        return Err(invalid_parameter(format!(
            "MessageAttributes: Number of message attributes [{}] exceeds the allowed maximum [10].",
            map.len()
        )));
    }
    for (name, a) in map {
        let a = MessageAttributeValue(a);
        let Some(data_type) = a.data_type() else {
            return Err(AwsError::validation_error(format!(
                "1 validation error detected: Value null at '{path}messageAttributes.{name}.member.dataType' failed to satisfy constraint: Member must not be null"
            )));
        };
        check_name(name)?;
        let Some(base) = base_type(data_type) else {
            return Err(invalid_parameter_value(format!(
                "The message attribute '{name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String."
            )));
        };
        let string_value = a.string_value().map(str::to_string);
        let binary_value = a.binary_value().map(str::to_string);
        let empty = || {
            invalid_parameter_value(format!(
                "The message attribute '{name}' must contain non-empty message attribute value for message attribute type '{base}'."
            ))
        };
        let wrong_field = |field: &str| {
            invalid_parameter_value(format!(
                "The message attribute '{name}' with type '{base}' must use field '{field}'."
            ))
        };
        if base == "Binary" {
            match (&binary_value, &string_value) {
                (None, Some(_)) => return Err(wrong_field("Binary")),
                (Some(b), _) if !b.is_empty() => {}
                _ => return Err(empty()),
            }
        } else {
            match (&string_value, &binary_value) {
                (None, Some(_)) => return Err(wrong_field("String")),
                (Some(s), _) if !s.is_empty() => {}
                _ => return Err(empty()),
            }
            if data_type == "String.Array" {
                let s = string_value.as_deref().unwrap_or_default();
                match serde_json::from_str::<Value>(s) {
                    Ok(Value::Array(items))
                        if items.iter().all(|i| !i.is_array() && !i.is_object()) => {}
                    _ => {
                        return Err(invalid_parameter(format!(
                            "The message attribute '{name}' with type 'String.Array' has an invalid value."
                        )));
                    }
                }
            }
        }
        out.insert(
            name.clone(),
            Attribute {
                data_type: data_type.to_string(),
                string_value: if base == "Binary" { None } else { string_value },
                binary_value: if base == "Binary" { binary_value } else { None },
            },
        );
    }
    Ok(out)
}

/// The values of `Number` attributes must be numbers SNS can compare.
fn check_numbers(attrs: &BTreeMap<String, Attribute>) -> Result<(), AwsError> {
    for (name, a) in attrs {
        if base_type(&a.data_type) == Some("Number")
            && !a.string_value.as_deref().is_some_and(valid_number)
        {
            return Err(invalid_parameter_value(format!(
                "An error occurred while trying to deliver your message. Could not parse the number for message attribute '{name}'."
            )));
        }
    }
    Ok(())
}

/// The size AWS holds against its 256 KB limit: the message plus every
/// attribute's name, data type and value (binary values decoded).
fn message_size(message: &str, attrs: &BTreeMap<String, Attribute>) -> usize {
    let attrs: usize = attrs
        .iter()
        .map(|(name, a)| {
            let value = match (&a.string_value, &a.binary_value) {
                (Some(s), _) => s.len(),
                (None, Some(b)) => base64::engine::general_purpose::STANDARD
                    .decode(b)
                    .map_or(b.len(), |d| d.len()),
                (None, None) => 0,
            };
            name.len() + a.data_type.len() + value
        })
        .sum();
    message.len() + attrs
}

fn valid_number(s: &str) -> bool {
    s.parse::<f64>()
        .is_ok_and(|n| n.is_finite() && n.abs() <= 1e15)
}

/// What one publish needs besides the topic.
struct Input<'a> {
    message: &'a str,
    subject: Option<&'a str>,
    structure: Option<&'a str>,
    attributes: Option<AttributeMap<'a>>,
    group_id: Option<&'a str>,
    dedup_id: Option<&'a str>,
}

impl<'a> Input<'a> {
    /// The message of a Publish request.
    fn of_publish(v: input::Publish<'a>) -> Self {
        Input {
            message: v.message().unwrap_or_default(),
            subject: v.subject(),
            structure: v.message_structure(),
            attributes: v.message_attributes(),
            group_id: v.message_group_id(),
            dedup_id: v.message_deduplication_id(),
        }
    }

    /// The message of one PublishBatch entry.
    fn of_entry(e: PublishBatchRequestEntry<'a>) -> Self {
        Input {
            message: e.message().unwrap_or_default(),
            subject: e.subject(),
            structure: e.message_structure(),
            attributes: e.message_attributes(),
            group_id: e.message_group_id(),
            dedup_id: e.message_deduplication_id(),
        }
    }
}

/// Publish to a topic, a target ARN or a phone number.
pub fn publish(req: &Request, input: input::Publish<'_>) -> Result<Value, AwsError> {
    let (param, topic_arn) = match (input.topic_arn(), input.target_arn()) {
        (Some(t), _) => ("TopicArn", Some(t)),
        (None, Some(t)) => ("TargetArn", Some(t)),
        (None, None) => ("TopicArn", None),
    };
    let phone = input.phone_number();
    let one = Input::of_publish(input);
    match (topic_arn, phone) {
        (Some(_), Some(_)) => Err(invalid_parameter(
            "Only one of TopicArn, TargetArn or PhoneNumber may be set",
        )),
        (None, None) => Err(missing_parameter("TopicArn or TargetArn")),
        (None, Some(p)) => publish_sms(p, &one),
        (Some(arn), None) => {
            errors::arn_elements(param, arn)?;
            // Platform endpoints are not emulated, so none exists.
            if arn.contains(":endpoint/") {
                return Err(invalid_parameter(format!(
                    "{param} Reason: No endpoint found for the target arn specified"
                )));
            }
            topics::check_arn_named(param, arn)?;
            let topic = topics::get(arn)?;
            let (id, seq) = publish_one(req, &topic, &one)?;
            Ok(output::Publish::new()
                .message_id(id)
                .sequence_number(seq)
                .into())
        }
    }
}

fn publish_sms(phone: &str, input: &Input<'_>) -> Result<Value, AwsError> {
    let digits = phone.strip_prefix('+').unwrap_or(phone);
    if digits.is_empty() || digits.len() > 15 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(invalid_parameter(format!(
            "PhoneNumber Reason: {phone} is not valid to publish to"
        )));
    }
    if input.message.is_empty() {
        return Err(invalid_parameter("Empty message"));
    }
    let sms = Sms {
        phone_number: phone.to_string(),
        message: input.message.to_string(),
        message_id: uuid(),
        timestamp_ms: now_ms(),
    };
    sms_table().put(&Key::new().str(&sms.message_id), &sms);
    Ok(output::Publish::new().message_id(sms.message_id).into())
}

/// Validates, sequences and delivers one message: (message id, sequence number).
fn publish_one(
    req: &Request,
    topic: &Topic,
    input: &Input<'_>,
) -> Result<(String, Option<String>), AwsError> {
    if input.message.is_empty() {
        return Err(invalid_parameter("Empty message"));
    }
    if let Some(s) = input.subject
        && (s.is_empty()
            || s.len() > 100
            || !s.chars().all(|c| c.is_ascii() && !c.is_ascii_control()))
    {
        return Err(invalid_parameter("Subject"));
    }
    let attributes = validated(input.attributes)?;
    if message_size(input.message, &attributes) > MAX_MESSAGE {
        return Err(invalid_parameter("Message too long"));
    }
    let (message, per_protocol) = match input.structure {
        None => (input.message.to_string(), BTreeMap::new()),
        Some("json") => structured(input.message)?,
        Some(_) => {
            return Err(invalid_parameter(
                "MessageStructure: Invalid message structure. Supported value: json",
            ));
        }
    };
    let fifo = topic.fifo();
    let mut dedup_id = input.dedup_id.map(str::to_string);
    if fifo {
        if input.group_id.is_none_or(str::is_empty) {
            return Err(group_id_required());
        }
        if dedup_id.is_none() {
            if !topic.content_based_dedup() {
                return Err(dedup_id_required());
            }
            let hash = Sha256::digest(input.message.as_bytes());
            dedup_id = Some(hash.iter().map(|b| format!("{b:02x}")).collect());
        }
    } else if input.dedup_id.is_some() {
        return Err(invalid_parameter(
            "MessageDeduplicationId Reason: The request includes MessageDeduplicationId parameter that is not valid for this topic type",
        ));
    }
    let now = now_ms();
    let mut sequence = None;
    if fifo {
        let dkey = Key::new()
            .str(&topic.arn)
            .str(dedup_id.as_deref().unwrap_or_default());
        if let Some(d) = dedup_table().get(&dkey)
            && d.expires_ms > now
        {
            return Ok((d.message_id, Some(d.sequence)));
        }
        let updated = topics::table().update(&topics::key(&topic.arn), |cur| {
            let mut t = cur?;
            t.sequence += 1;
            Some(t)
        });
        let n = updated.map(|t| t.sequence).unwrap_or(1);
        let seq = format!("{:020}", 10_000_000_000_000_000u64 + n);
        sequence = Some(seq.clone());
        let id = uuid();
        dedup_table().put(
            &dkey,
            &Dedup {
                message_id: id.clone(),
                sequence: seq,
                expires_ms: now + DEDUP_WINDOW_MS,
            },
        );
        let msg = Message {
            id,
            topic_arn: topic.arn.clone(),
            subject: input.subject.map(str::to_string),
            message,
            per_protocol,
            attributes,
            group_id: input.group_id.map(str::to_string),
            dedup_id,
            sequence: sequence.clone(),
            timestamp_ms: now,
            signature_version: topic.signature_version(),
        };
        delivery::fan_out(req, &msg);
        return Ok((msg.id, sequence));
    }
    let msg = Message {
        id: uuid(),
        topic_arn: topic.arn.clone(),
        subject: input.subject.map(str::to_string),
        message,
        per_protocol,
        attributes,
        group_id: input.group_id.map(str::to_string),
        dedup_id: None,
        sequence: None,
        timestamp_ms: now,
        signature_version: topic.signature_version(),
    };
    delivery::fan_out(req, &msg);
    Ok((msg.id, sequence))
}

fn group_id_required() -> AwsError {
    invalid_parameter("The MessageGroupId parameter is required for FIFO topics")
}

fn dedup_id_required() -> AwsError {
    invalid_parameter(
        "The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
    )
}

/// What fails a whole PublishBatch rather than one entry, as recorded from
/// AWS: a `MessageStructure=json` message that does not parse or lacks its
/// default (checked first), and a FIFO entry without a group id, or without
/// a deduplication id on a topic without content-based deduplication.
fn check_batch_entry(topic: &Topic, input: &Input<'_>) -> Result<(), AwsError> {
    if input.structure == Some("json") {
        structured(input.message)?;
    }
    if topic.fifo() {
        if input.group_id.is_none_or(str::is_empty) {
            return Err(group_id_required());
        }
        if input.dedup_id.is_none() && !topic.content_based_dedup() {
            return Err(dedup_id_required());
        }
    }
    Ok(())
}

/// Splits a `MessageStructure=json` message into default and per-protocol texts.
fn structured(message: &str) -> Result<(String, BTreeMap<String, String>), AwsError> {
    let v: Value = serde_json::from_str(message)
        .map_err(|_| invalid_parameter("Message Structure - JSON message body failed to parse"))?;
    let obj = v.as_object().ok_or_else(|| {
        invalid_parameter("Message Structure - JSON message body failed to parse")
    })?;
    let default = obj.get("default").and_then(Value::as_str).ok_or_else(|| {
        invalid_parameter("Message Structure - No default entry in JSON message body")
    })?;
    let per = obj
        .iter()
        .filter(|(k, _)| *k != "default")
        .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
        .collect();
    Ok((default.to_string(), per))
}

/// PublishBatch: up to 10 entries with distinct ids. Malformed message
/// attributes in any entry, a batch over 256 KB in all and the problems of
/// [`check_batch_entry`] fail the whole request (as AWS); other problems
/// (a bad Subject, say) fail their entry only.
pub fn publish_batch(req: &Request, input: input::PublishBatch<'_>) -> Result<Value, AwsError> {
    let topic_arn = input.topic_arn().unwrap_or_default();
    // Every entry as decoded: one that is not a structure has no members.
    let entries: Vec<PublishBatchRequestEntry<'_>> = input
        .publish_batch_request_entries()
        .map(|l| l.values())
        .unwrap_or_default()
        .iter()
        .map(PublishBatchRequestEntry)
        .collect();
    if entries.is_empty() {
        return Err(AwsError::client(
            "EmptyBatchRequest",
            "The batch request doesn't contain any entries",
        ));
    }
    if entries.len() > 10 {
        return Err(AwsError::client(
            "TooManyEntriesInBatchRequest",
            "The batch request contains more entries than permissible.",
        ));
    }
    let mut ids: Vec<&str> = entries.iter().filter_map(|e| e.id()).collect();
    ids.sort_unstable();
    if ids.windows(2).any(|w| w[0] == w[1]) {
        return Err(AwsError::client(
            "BatchEntryIdsNotDistinct",
            "Two or more batch entries in the request have the same Id.",
        ));
    }
    for e in &entries {
        let id = e.id().unwrap_or_default();
        if !ruststack_sdk::ids::is_short_name(id) {
            return Err(AwsError::client(
                "InvalidBatchEntryId",
                "The Id of a batch entry in a batch request doesn't abide by the specification",
            ));
        }
    }
    topics::check_arn(topic_arn)?;
    let mut total = 0usize;
    for (i, e) in entries.iter().enumerate() {
        let path = format!("publishBatchRequestEntries.{}.member.", i + 1);
        let attrs = attributes_at(e.message_attributes(), &path)?;
        total += message_size(e.message().unwrap_or_default(), &attrs);
    }
    if total > MAX_MESSAGE {
        return Err(AwsError::client(
            "BatchRequestTooLong",
            "The length of all the messages put together is more than the limit.",
        ));
    }
    let topic = topics::get(topic_arn)?;
    for e in &entries {
        check_batch_entry(&topic, &Input::of_entry(*e))?;
    }
    let mut ok = Vec::new();
    let mut failed = Vec::new();
    for e in &entries {
        let id = e.id().unwrap_or_default();
        match publish_one(req, &topic, &Input::of_entry(*e)) {
            Ok((mid, seq)) => ok.push(
                out::PublishBatchResultEntry::new()
                    .id(id)
                    .message_id(mid)
                    .sequence_number(seq),
            ),
            Err(err) => failed.push(
                out::BatchResultErrorEntry::new()
                    .id(id)
                    .code(err.code)
                    .message(err.message)
                    .sender_fault(err.sender_fault),
            ),
        }
    }
    Ok(output::PublishBatch::new()
        .successful(ok)
        .failed(failed)
        .into())
}
