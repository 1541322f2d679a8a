//! Topics: create, delete, list, attributes, permissions, data protection.

use std::collections::BTreeMap;

use ruststack_sdk::ids::{arn, now_ms, parse_arn};
use ruststack_sdk::keys::Key;
use ruststack_sdk::protocol::Value;
use ruststack_sdk::protocol::shapes::sns::{input, out, output};
use ruststack_sdk::protocol::typed::{List, Map};
use ruststack_sdk::table::Table;
use ruststack_sdk::{AwsError, Request};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::errors::{
    arn_elements, in_attributes, invalid_parameter, resource_not_found, topic_not_found,
};
use crate::{next_token, page_after, subscriptions, tags};

/// Topics listed per page of ListTopics (as AWS).
const PAGE: u32 = 100;

/// A stored topic.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Topic {
    /// Its ARN (the key).
    pub arn: String,
    /// Its name (last part of the ARN).
    pub name: String,
    /// Owning account.
    pub account: String,
    /// Attributes set by the caller (`Policy` included once set).
    pub attributes: BTreeMap<String, String>,
    /// Tags in the order they were added.
    pub tags: Vec<(String, String)>,
    /// Next FIFO sequence number.
    #[serde(default)]
    pub sequence: u64,
    /// Creation time, ms since the epoch.
    pub created_ms: u64,
}

impl Topic {
    /// True for `.fifo` topics.
    pub fn fifo(&self) -> bool {
        self.attributes.get("FifoTopic").map(String::as_str) == Some("true")
    }

    /// True when FIFO deduplication ids come from the message body.
    pub fn content_based_dedup(&self) -> bool {
        self.attributes
            .get("ContentBasedDeduplication")
            .map(String::as_str)
            == Some("true")
    }

    /// The `SignatureVersion` notifications carry (`1` unless set).
    pub fn signature_version(&self) -> String {
        self.attributes
            .get("SignatureVersion")
            .cloned()
            .unwrap_or_else(|| "1".into())
    }

    /// The policy document: the one set, else AWS's default.
    pub fn policy(&self) -> String {
        self.attributes
            .get("Policy")
            .cloned()
            .unwrap_or_else(|| default_policy(&self.arn, &self.account))
    }
}

/// The topics table, keyed by ARN.
pub fn table() -> Table<Topic> {
    Table::new("topics")
}

/// The key of a topic.
pub fn key(topic_arn: &str) -> Key {
    Key::new().str(topic_arn)
}

/// The topic with this ARN, or `NotFound`.
pub fn get(topic_arn: &str) -> Result<Topic, AwsError> {
    table().get(&key(topic_arn)).ok_or_else(topic_not_found)
}

/// AWS's default topic policy: the owner account may do everything. Written
/// out rather than built from a map so the keys keep AWS's order (Version,
/// Id, Statement; Sid, Effect, Principal, Action, Resource, Condition), as
/// GetTopicAttributes returns it.
pub fn default_policy(topic_arn: &str, account: &str) -> String {
    let actions = [
        "SNS:GetTopicAttributes",
        "SNS:SetTopicAttributes",
        "SNS:AddPermission",
        "SNS:RemovePermission",
        "SNS:DeleteTopic",
        "SNS:Subscribe",
        "SNS:ListSubscriptionsByTopic",
        "SNS:Publish",
    ];
    format!(
        r#"{{"Version":"2008-10-17","Id":"__default_policy_ID","Statement":[{{"Sid":"__default_statement_ID","Effect":"Allow","Principal":{{"AWS":"*"}},"Action":{},"Resource":{},"Condition":{{"StringEquals":{{"AWS:SourceOwner":{}}}}}}}]}}"#,
        json!(actions),
        json!(topic_arn),
        json!(account)
    )
}

/// AWS's default delivery policy, what `EffectiveDeliveryPolicy` shows.
pub const DEFAULT_DELIVERY_POLICY: &str = r#"{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"disableSubscriptionOverrides":false,"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}}"#;

/// Attributes SetTopicAttributes and CreateTopic accept.
const SETTABLE: &[&str] = &[
    "DisplayName",
    "Policy",
    "DeliveryPolicy",
    "KmsMasterKeyId",
    "SignatureVersion",
    "TracingConfig",
    "ContentBasedDeduplication",
    "ArchivePolicy",
    "DataProtectionPolicy",
    "FifoThroughputScope",
    "ApplicationSuccessFeedbackRoleArn",
    "ApplicationSuccessFeedbackSampleRate",
    "ApplicationFailureFeedbackRoleArn",
    "FirehoseSuccessFeedbackRoleArn",
    "FirehoseSuccessFeedbackSampleRate",
    "FirehoseFailureFeedbackRoleArn",
    "HTTPSuccessFeedbackRoleArn",
    "HTTPSuccessFeedbackSampleRate",
    "HTTPFailureFeedbackRoleArn",
    "LambdaSuccessFeedbackRoleArn",
    "LambdaSuccessFeedbackSampleRate",
    "LambdaFailureFeedbackRoleArn",
    "SQSSuccessFeedbackRoleArn",
    "SQSSuccessFeedbackSampleRate",
    "SQSFailureFeedbackRoleArn",
];

/// Checks one attribute value; `fifo` says whether the topic is FIFO,
/// `create` whether CreateTopic asks (AWS then puts `Attributes Reason: `
/// before the attribute's name in the sample-rate message, which
/// SetTopicAttributes leaves out).
fn validate_attribute(name: &str, value: &str, fifo: bool, create: bool) -> Result<(), AwsError> {
    let bad = || invalid_parameter(format!("Attributes Reason: {name}"));
    match name {
        "Policy" | "DeliveryPolicy" | "ArchivePolicy" | "DataProtectionPolicy"
            if !value.is_empty() =>
        {
            let v: Value = serde_json::from_str(value)
                .map_err(|_| invalid_parameter(format!("{name}: failed to parse JSON")))?;
            if !v.is_object() {
                return Err(bad());
            }
        }
        n if n.ends_with("SampleRate") => match value.parse::<u32>() {
            Ok(0..=100) => {}
            _ => {
                let e = invalid_parameter(format!(
                    "{name}: {value} value provided is not an integer between 0-100"
                ));
                return Err(if create { in_attributes(e) } else { e });
            }
        },
        "ContentBasedDeduplication" => {
            if !matches!(value, "true" | "false") {
                return Err(bad());
            }
            if !fifo && value == "true" {
                return Err(invalid_parameter(
                    "Attributes Reason: Content based deduplication can only be set for FIFO topics",
                ));
            }
        }
        "SignatureVersion" if !matches!(value, "1" | "2") => return Err(bad()),
        "TracingConfig" if !matches!(value, "PassThrough" | "Active") => return Err(bad()),
        "FifoThroughputScope" if !matches!(value, "Topic" | "MessageGroup") => {
            return Err(bad());
        }
        _ => {}
    }
    Ok(())
}

fn valid_name(name: &str, fifo: bool) -> bool {
    let base = if fifo {
        match name.strip_suffix(".fifo") {
            Some(b) => b,
            None => return false,
        }
    } else {
        name
    };
    !base.is_empty()
        && name.len() <= 256
        && base
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// A string-to-string map input member (`Attributes`); a value that is not
/// a string reads as empty.
pub fn string_map(map: Option<Map<'_, &str>>) -> BTreeMap<String, String> {
    map.map(|m| {
        m.values()
            .iter()
            .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
            .collect()
    })
    .unwrap_or_default()
}

/// CreateTopic: idempotent for the same attributes and tags.
pub fn create(req: &Request, input: input::CreateTopic<'_>) -> Result<Value, AwsError> {
    let name = input.name().unwrap_or_default();
    let mut attrs = string_map(input.attributes());
    let fifo = attrs.get("FifoTopic").map(String::as_str) == Some("true");
    if let Some(v) = attrs.get("FifoTopic")
        && !matches!(v.as_str(), "true" | "false")
    {
        return Err(invalid_parameter("Attributes Reason: FifoTopic"));
    }
    if !fifo {
        attrs.remove("FifoTopic");
    }
    if !valid_name(name, fifo) {
        if !fifo && name.ends_with(".fifo") {
            return Err(invalid_parameter(
                "Topic Name: Fifo Topic names must end with .fifo and they must be FIFO topics",
            ));
        }
        return Err(invalid_parameter("Topic Name"));
    }
    for (k, v) in &attrs {
        if k != "FifoTopic" && !SETTABLE.contains(&k.as_str()) {
            return Err(invalid_parameter(format!(
                "Attributes Reason: Unknown attribute {k}"
            )));
        }
        validate_attribute(k, v, fifo, true)?;
    }
    let tags = tags::from_input(input.tags(), false)?;
    let ctx = &req.context;
    let topic_arn = arn("sns", &ctx.region, &ctx.account, name);
    if let Some(existing) = table().get(&key(&topic_arn)) {
        let same_attrs = attrs
            .iter()
            .all(|(k, v)| existing.attributes.get(k) == Some(v))
            && (fifo == existing.fifo());
        if !same_attrs {
            return Err(invalid_parameter(
                "Attributes Reason: Topic already exists with different attributes",
            ));
        }
        let same_tags = tags.iter().all(|t| existing.tags.iter().any(|e| e == t));
        if !same_tags {
            return Err(invalid_parameter(
                "Tags Reason: Topic already exists with different tags",
            ));
        }
        return Ok(output::CreateTopic::new().topic_arn(topic_arn).into());
    }
    let topic = Topic {
        arn: topic_arn.clone(),
        name: name.to_string(),
        account: ctx.account.clone(),
        attributes: attrs,
        tags,
        sequence: 0,
        created_ms: now_ms(),
    };
    // A compare-and-set: of two concurrent creates one wins, the other is
    // re-run and finds the topic.
    table().insert_new(&key(&topic_arn), &topic);
    Ok(output::CreateTopic::new().topic_arn(topic_arn).into())
}

/// DeleteTopic: removes the topic and its subscriptions; unknown topics are fine.
pub fn delete(input: input::DeleteTopic<'_>) -> Result<Value, AwsError> {
    let topic_arn = input.topic_arn().unwrap_or_default();
    check_arn(topic_arn)?;
    if table().delete(&key(topic_arn)) {
        subscriptions::delete_all_of_topic(topic_arn);
    }
    Ok(json!({}))
}

/// A topic ARN of this region, else AWS's `InvalidParameter`: `TopicArn
/// Reason: An ARN must have at least 6 elements, not N` for too few parts,
/// plain `TopicArn` for another service's or another region's ARN.
pub fn check_arn(topic_arn: &str) -> Result<(), AwsError> {
    check_arn_named("TopicArn", topic_arn)
}

/// [`check_arn`] for a parameter of another name (`TargetArn`).
pub fn check_arn_named(param: &str, topic_arn: &str) -> Result<(), AwsError> {
    arn_elements(param, topic_arn)?;
    let region = match ruststack_sdk::scope::current() {
        ruststack_sdk::scope::Scope::Regional { region, .. } => Some(region),
        ruststack_sdk::scope::Scope::Partition => None,
    };
    match parse_arn(topic_arn) {
        Some(a)
            if a.service == "sns"
                && !a.resource.is_empty()
                && region.is_none_or(|r| r == a.region) =>
        {
            Ok(())
        }
        _ => Err(invalid_parameter(param)),
    }
}

/// ListTopics, 100 per page.
pub fn list(input: input::ListTopics<'_>) -> Result<Value, AwsError> {
    let after = page_after(input.next_token())?;
    let page = table().list(&Key::new(), after.as_deref(), PAGE);
    let topics: Vec<out::Topic> = page
        .items
        .into_iter()
        .map(|(_, t)| out::Topic::new().topic_arn(t.arn))
        .collect();
    Ok(output::ListTopics::new()
        .topics(topics)
        .next_token(page.next.map(|n| next_token(&n)))
        .into())
}

/// GetTopicAttributes: the set attributes plus the computed ones.
pub fn get_attributes(input: input::GetTopicAttributes<'_>) -> Result<Value, AwsError> {
    let topic_arn = input.topic_arn().unwrap_or_default();
    check_arn(topic_arn)?;
    let t = get(topic_arn)?;
    let (confirmed, pending, deleted) = subscriptions::counts(topic_arn);
    let mut a: BTreeMap<String, String> = t.attributes.clone();
    a.insert("TopicArn".into(), t.arn.clone());
    a.insert("Owner".into(), t.account.clone());
    a.insert("Policy".into(), t.policy());
    a.entry("DisplayName".into()).or_default();
    a.insert("SubscriptionsConfirmed".into(), confirmed.to_string());
    a.insert("SubscriptionsPending".into(), pending.to_string());
    a.insert("SubscriptionsDeleted".into(), deleted.to_string());
    let effective = t
        .attributes
        .get("DeliveryPolicy")
        .filter(|p| !p.is_empty())
        .cloned()
        .unwrap_or_else(|| DEFAULT_DELIVERY_POLICY.to_string());
    a.insert("EffectiveDeliveryPolicy".into(), effective);
    if t.fifo() {
        a.entry("ContentBasedDeduplication".into())
            .or_insert_with(|| "false".into());
    }
    a.retain(|k, v| !(v.is_empty() && k != "DisplayName"));
    Ok(output::GetTopicAttributes::new()
        .attributes(Value::from_iter(a))
        .into())
}

/// SetTopicAttributes: one attribute; an empty value unsets it.
pub fn set_attributes(input: input::SetTopicAttributes<'_>) -> Result<Value, AwsError> {
    let topic_arn = input.topic_arn().unwrap_or_default();
    check_arn(topic_arn)?;
    let name = input.attribute_name().unwrap_or_default();
    let value = input.attribute_value().unwrap_or_default();
    let t = get(topic_arn)?;
    // FifoTopic is fixed at creation: AWS answers it like an unknown name.
    if !SETTABLE.contains(&name) {
        return Err(invalid_parameter("AttributeName"));
    }
    validate_attribute(name, value, t.fifo(), false)?;
    table().update(&key(topic_arn), |cur| {
        let mut t = cur?;
        if value.is_empty() {
            t.attributes.remove(name);
        } else {
            t.attributes.insert(name.to_string(), value.to_string());
        }
        Some(t)
    });
    Ok(json!({}))
}

/// AddPermission: a statement labelled `Label` in the topic policy.
pub fn add_permission(input: input::AddPermission<'_>) -> Result<Value, AwsError> {
    let topic_arn = input.topic_arn().unwrap_or_default();
    let label = input.label().unwrap_or_default();
    let t = get(topic_arn)?;
    let accounts: Vec<String> = strings(input.aws_account_id());
    let actions: Vec<String> = strings(input.action_name());
    // Account ids are twelve digits.
    if accounts
        .iter()
        .any(|a| a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(invalid_parameter("A provided account ID is not valid"));
    }
    if accounts.is_empty() || actions.is_empty() {
        return Err(invalid_parameter(
            "AWSAccountId and ActionName must not be empty",
        ));
    }
    let mut policy: Value =
        serde_json::from_str(&t.policy()).map_err(|_| invalid_parameter("Policy"))?;
    let statements = policy["Statement"]
        .as_array_mut()
        .ok_or_else(|| invalid_parameter("Policy"))?;
    if statements.iter().any(|s| s["Sid"] == label) {
        return Err(invalid_parameter("Statement already exists"));
    }
    let principals: Vec<String> = accounts
        .iter()
        .map(|a| format!("arn:aws:iam::{a}:root"))
        .collect();
    let actions: Vec<String> = actions.iter().map(|a| format!("SNS:{a}")).collect();
    statements.push(json!({
        "Sid": label,
        "Effect": "Allow",
        "Principal": {"AWS": if principals.len() == 1 { json!(principals[0]) } else { json!(principals) }},
        "Action": if actions.len() == 1 { json!(actions[0]) } else { json!(actions) },
        "Resource": topic_arn,
    }));
    store_policy(topic_arn, policy.to_string());
    Ok(json!({}))
}

/// RemovePermission: drops the statement labelled `Label`.
pub fn remove_permission(input: input::RemovePermission<'_>) -> Result<Value, AwsError> {
    let topic_arn = input.topic_arn().unwrap_or_default();
    let label = input.label().unwrap_or_default();
    let t = get(topic_arn)?;
    let mut policy: Value =
        serde_json::from_str(&t.policy()).map_err(|_| invalid_parameter("Policy"))?;
    if let Some(statements) = policy["Statement"].as_array_mut() {
        statements.retain(|s| s["Sid"] != label);
    }
    store_policy(topic_arn, policy.to_string());
    Ok(json!({}))
}

fn store_policy(topic_arn: &str, policy: String) {
    table().update(&key(topic_arn), |cur| {
        let mut t = cur?;
        t.attributes.insert("Policy".into(), policy.clone());
        Some(t)
    });
}

/// The strings of a string list member (none when it is absent).
fn strings(list: Option<List<'_, &str>>) -> Vec<String> {
    list.map(|a| a.iter().map(str::to_string).collect())
        .unwrap_or_default()
}

/// GetDataProtectionPolicy.
pub fn get_data_protection_policy(
    input: input::GetDataProtectionPolicy<'_>,
) -> Result<Value, AwsError> {
    let topic_arn = input.resource_arn().unwrap_or_default();
    let t = table()
        .get(&key(topic_arn))
        .ok_or_else(resource_not_found)?;
    let policy = t
        .attributes
        .get("DataProtectionPolicy")
        .cloned()
        .unwrap_or_default();
    Ok(output::GetDataProtectionPolicy::new()
        .data_protection_policy(policy)
        .into())
}

/// PutDataProtectionPolicy.
pub fn put_data_protection_policy(
    input: input::PutDataProtectionPolicy<'_>,
) -> Result<Value, AwsError> {
    let topic_arn = input.resource_arn().unwrap_or_default();
    let policy = input.data_protection_policy().unwrap_or_default();
    table()
        .get(&key(topic_arn))
        .ok_or_else(resource_not_found)?;
    validate_attribute("DataProtectionPolicy", policy, false, false)?;
    table().update(&key(topic_arn), |cur| {
        let mut t = cur?;
        t.attributes
            .insert("DataProtectionPolicy".into(), policy.to_string());
        Some(t)
    });
    Ok(json!({}))
}

/// The topics of this account and region with their subscription counts,
/// for the operator's console.
pub fn resources() -> Vec<ruststack_sdk::Resource> {
    table()
        .all()
        .into_iter()
        .map(|(_, t)| ruststack_sdk::Resource {
            kind: "topic".into(),
            count: Some(crate::subscriptions::count_for_topic(&t.arn)),
            detail: if t.name.ends_with(".fifo") {
                "FIFO"
            } else {
                "standard"
            }
            .into(),
            name: t.name,
        })
        .collect()
}
