//! Subscriptions: subscribe, confirm, unsubscribe, list, attributes.

use std::collections::BTreeMap;

use ruststack_sdk::ids::{parse_arn, random_hex, uuid};
use ruststack_sdk::keys::Key;
use ruststack_sdk::protocol::Value;
use ruststack_sdk::protocol::shapes::sns::{input, out, output};
use ruststack_sdk::table::Table;
use ruststack_sdk::{AwsError, Request};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::errors::{
    arn_elements, in_attributes, invalid_parameter, missing_parameter, subscription_not_found,
};
use crate::topics::{self, Topic, string_map};
use crate::{base_url, delivery, filter, next_token, page_after};

/// Random bytes in a confirmation token (written as twice as many hex digits).
const TOKEN_BYTES: usize = 64;

/// Subscriptions listed per page (as AWS).
const PAGE: u32 = 100;

/// A stored subscription.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Subscription {
    /// Its ARN (`<topic arn>:<uuid>`).
    pub arn: String,
    /// The topic it belongs to.
    pub topic_arn: String,
    /// `sqs`, `http`, `https`, `email`, ...
    pub protocol: String,
    /// Where messages go, as given.
    pub endpoint: String,
    /// Owning account.
    pub owner: String,
    /// Waiting for ConfirmSubscription.
    pub pending: bool,
    /// The confirmation token while pending.
    pub token: Option<String>,
    /// Base URL of this server, for SubscribeURL/UnsubscribeURL.
    pub base_url: String,
    /// Attributes set by the caller.
    pub attributes: BTreeMap<String, String>,
}

impl Subscription {
    /// True when messages go out unwrapped.
    pub fn raw(&self) -> bool {
        self.attributes
            .get("RawMessageDelivery")
            .map(String::as_str)
            == Some("true")
    }

    /// The URL that unsubscribes this subscription, in AWS's form: no
    /// `Version`, the ARN as it is (its characters need no escaping in a query).
    pub fn unsubscribe_url(&self) -> String {
        format!(
            "{}/?Action=Unsubscribe&SubscriptionArn={}",
            self.base_url, self.arn
        )
    }
}

/// Subscriptions by ARN.
pub fn table() -> Table<Subscription> {
    Table::new("subs")
}

/// (topic ARN, subscription ARN) → subscription ARN, to list a topic's.
fn by_topic() -> Table<String> {
    Table::new("subs-by-topic")
}

/// How many subscriptions a topic has (for the console).
pub fn count_for_topic(topic_arn: &str) -> u64 {
    by_topic()
        .list(&Key::new().str(topic_arn), None, u32::MAX)
        .items
        .len() as u64
}

/// Confirmation token → subscription ARN.
fn tokens() -> Table<String> {
    Table::new("tokens")
}

/// (topic, protocol, endpoint) → subscription ARN: one subscription per endpoint.
fn by_endpoint() -> Table<String> {
    Table::new("subs-by-endpoint")
}

fn endpoint_key(s: &Subscription) -> Key {
    Key::new()
        .str(&s.topic_arn)
        .str(&s.protocol)
        .str(&s.endpoint)
}

fn key(sub_arn: &str) -> Key {
    Key::new().str(sub_arn)
}

fn topic_key(topic_arn: &str, sub_arn: &str) -> Key {
    Key::new().str(topic_arn).str(sub_arn)
}

/// Every subscription of a topic.
pub fn of_topic(topic_arn: &str) -> Vec<Subscription> {
    let t = table();
    let mut out = Vec::new();
    let mut after: Option<Vec<u8>> = None;
    loop {
        let page = by_topic().list(&Key::new().str(topic_arn), after.as_deref(), 500);
        out.extend(page.items.iter().filter_map(|(_, a)| t.get(&key(a))));
        match page.next {
            Some(n) => after = Some(n),
            None => return out,
        }
    }
}

/// (confirmed, pending, deleted) counts of a topic.
pub fn counts(topic_arn: &str) -> (usize, usize, usize) {
    let subs = of_topic(topic_arn);
    let pending = subs.iter().filter(|s| s.pending).count();
    (subs.len() - pending, pending, 0)
}

/// Removes a subscription and its index rows.
fn remove(s: &Subscription) {
    table().delete(&key(&s.arn));
    by_topic().delete(&topic_key(&s.topic_arn, &s.arn));
    by_endpoint().delete(&endpoint_key(s));
    if let Some(t) = &s.token {
        tokens().delete(&Key::new().str(t));
    }
}

/// Deletes every subscription of a deleted topic.
pub fn delete_all_of_topic(topic_arn: &str) {
    for s in of_topic(topic_arn) {
        remove(&s);
    }
}

const PROTOCOLS: &[&str] = &[
    "http",
    "https",
    "email",
    "email-json",
    "sms",
    "sqs",
    "application",
    "lambda",
    "firehose",
];

/// Attributes Subscribe and SetSubscriptionAttributes accept.
const SETTABLE: &[&str] = &[
    "DeliveryPolicy",
    "FilterPolicy",
    "FilterPolicyScope",
    "RawMessageDelivery",
    "RedrivePolicy",
    "SubscriptionRoleArn",
    "ReplayPolicy",
];

/// The queue ARN an sqs endpoint names (ARN, or queue URL `.../<account>/<name>`).
pub fn queue_arn(endpoint: &str, region: &str) -> Option<String> {
    if let Some(a) = parse_arn(endpoint) {
        return (a.service == "sqs" && !a.resource.is_empty()).then(|| endpoint.to_string());
    }
    let rest = endpoint
        .strip_prefix("http://")
        .or_else(|| endpoint.strip_prefix("https://"))?;
    let mut parts = rest.split('/');
    let host = parts.next()?;
    let (account, name) = (parts.next()?, parts.next()?);
    if parts.next().is_some_and(|p| !p.is_empty()) || account.is_empty() || name.is_empty() {
        return None;
    }
    // `sqs.<region>.amazonaws.com` URLs carry their region.
    let region = host
        .strip_prefix("sqs.")
        .and_then(|h| h.split('.').next())
        .filter(|r| r.contains('-'))
        .unwrap_or(region);
    Some(format!("arn:aws:sqs:{region}:{account}:{name}"))
}

/// Checks one subscription attribute, in SetSubscriptionAttributes' words
/// (Subscribe adds `Attributes Reason: `, see [`in_attributes`]).
fn validate_attribute(name: &str, value: &str, protocol: &str) -> Result<(), AwsError> {
    match name {
        "RawMessageDelivery" => {
            if !matches!(value.to_ascii_lowercase().as_str(), "true" | "false") {
                return Err(invalid_parameter(format!(
                    "RawMessageDelivery: Invalid value [{value}]. Must be true or false."
                )));
            }
            if !matches!(protocol, "sqs" | "http" | "https" | "firehose") {
                return Err(invalid_parameter(format!(
                    "Delivery protocol [{protocol}] does not support raw message delivery."
                )));
            }
        }
        "FilterPolicyScope" if !matches!(value, "MessageAttributes" | "MessageBody") => {
            return Err(invalid_parameter(format!(
                "FilterPolicyScope: Invalid value [{value}]. Please use either MessageBody or MessageAttributes"
            )));
        }
        "DeliveryPolicy" | "RedrivePolicy" | "ReplayPolicy" if !value.is_empty() => {
            let v: Value = serde_json::from_str(value).map_err(|_| {
                invalid_parameter(format!("{name}: {}", crate::jackson::parse_failure(value)))
            })?;
            if !v.is_object() {
                return Err(invalid_parameter(format!("{name}: must be a JSON object")));
            }
            if name == "RedrivePolicy" {
                match v["deadLetterTargetArn"].as_str() {
                    None => {
                        return Err(invalid_parameter(
                            "RedrivePolicy: deadLetterTargetArn is missing or invalid",
                        ));
                    }
                    Some(dlq) if parse_arn(dlq).is_none_or(|a| a.service != "sqs") => {
                        return Err(invalid_parameter(
                            "RedrivePolicy: deadLetterTargetArn is an invalid arn",
                        ));
                    }
                    Some(_) => {}
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// Checks the filter policy against the scope it will apply to.
fn validate_filter(attrs: &BTreeMap<String, String>) -> Result<(), AwsError> {
    match attrs.get("FilterPolicy").filter(|p| !p.is_empty()) {
        Some(p) => filter::validate(
            p,
            attrs.get("FilterPolicyScope").map(String::as_str) == Some("MessageBody"),
        ),
        None => Ok(()),
    }
}

/// The value an attribute has for the purpose of comparing subscriptions:
/// what is stored, else the default AWS reports (an explicit default equals
/// an omitted attribute, an empty policy equals none).
fn effective(attrs: &BTreeMap<String, String>, name: &str) -> String {
    match attrs.get(name).filter(|v| !v.is_empty()) {
        Some(v) if name == "RawMessageDelivery" => v.to_ascii_lowercase(),
        Some(v) => v.clone(),
        None => match name {
            "RawMessageDelivery" => "false".into(),
            "FilterPolicyScope" => "MessageAttributes".into(),
            _ => String::new(),
        },
    }
}

/// The attributes a new subscription stores: empty values are none and
/// `RawMessageDelivery` is kept lower-case (AWS answers `TrUe` as `true`).
fn normalized(attrs: BTreeMap<String, String>) -> BTreeMap<String, String> {
    attrs
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| {
            let v = if k == "RawMessageDelivery" {
                v.to_ascii_lowercase()
            } else {
                v
            };
            (k, v)
        })
        .collect()
}

/// Checks a subscription ARN the way AWS does before looking it up: at
/// least six `:`-separated parts, an SNS ARN, and a subscription id after
/// the topic name (`Invalid parameter: SubscriptionId` without one).
fn check_sub_arn(sub_arn: &str) -> Result<(), AwsError> {
    arn_elements("SubscriptionArn", sub_arn)?;
    match parse_arn(sub_arn) {
        Some(a) if a.service == "sns" => {
            if a.resource.split(':').nth(1).is_none_or(str::is_empty) {
                return Err(invalid_parameter("SubscriptionId"));
            }
            Ok(())
        }
        _ => Err(invalid_parameter("SubscriptionArn")),
    }
}

/// Subscribe: sqs (and lambda, firehose, application) confirm at once;
/// http(s) get a SubscriptionConfirmation; email and sms stay pending.
pub fn subscribe(req: &Request, input: input::Subscribe<'_>) -> Result<Value, AwsError> {
    let topic_arn = input.topic_arn().unwrap_or_default();
    topics::check_arn(topic_arn)?;
    let protocol = input.protocol().unwrap_or_default().to_string();
    let endpoint = input.endpoint().unwrap_or_default().to_string();
    let topic = topics::get(topic_arn)?;
    if !PROTOCOLS.contains(&protocol.as_str()) {
        return Err(invalid_parameter(format!(
            "Amazon SNS does not support this protocol string: {protocol}"
        )));
    }
    check_endpoint(&topic, &protocol, &endpoint, &req.context.region)?;
    let attrs = string_map(input.attributes());
    for (k, v) in &attrs {
        if !SETTABLE.contains(&k.as_str()) {
            return Err(invalid_parameter(format!(
                "Attributes Reason: Unknown attribute {k}"
            )));
        }
        validate_attribute(k, v, &protocol).map_err(in_attributes)?;
    }
    validate_filter(&attrs).map_err(in_attributes)?;
    check_fifo_dlq(&topic, &endpoint, &attrs).map_err(in_attributes)?;
    let return_arn = input.return_subscription_arn().unwrap_or(false);
    // Subscribing the same endpoint twice answers the existing subscription
    // unless a given attribute differs from what it has (omitted ones are
    // not compared).
    if let Some(existing) = of_topic(topic_arn)
        .into_iter()
        .find(|s| s.protocol == protocol && s.endpoint == endpoint)
    {
        let differs = attrs
            .keys()
            .any(|k| effective(&existing.attributes, k) != effective(&attrs, k));
        if differs {
            return Err(invalid_parameter(
                "Attributes Reason: Subscription already exists with different attributes",
            ));
        }
        return Ok(arn_answer(&existing, return_arn));
    }
    let needs_confirmation = matches!(
        protocol.as_str(),
        "http" | "https" | "email" | "email-json" | "sms"
    );
    let attrs = normalized(attrs);
    let sub = Subscription {
        arn: format!("{topic_arn}:{}", uuid()),
        topic_arn: topic_arn.to_string(),
        protocol: protocol.clone(),
        endpoint,
        owner: req.context.account.clone(),
        pending: needs_confirmation,
        token: needs_confirmation.then(|| random_hex(TOKEN_BYTES)),
        base_url: base_url(req),
        attributes: attrs,
    };
    // A compare-and-set, so two concurrent subscribes of one endpoint
    // cannot both create a subscription (the loser re-runs and finds it).
    if !by_endpoint().insert_new(&endpoint_key(&sub), &sub.arn) {
        return Err(AwsError::internal_failure());
    }
    table().put(&key(&sub.arn), &sub);
    by_topic().put(&topic_key(topic_arn, &sub.arn), &sub.arn);
    if let Some(t) = &sub.token {
        tokens().put(&Key::new().str(t), &sub.arn);
    }
    if matches!(protocol.as_str(), "http" | "https") {
        delivery::confirmation(&sub, "SubscriptionConfirmation");
    }
    Ok(arn_answer(&sub, return_arn))
}

/// Subscribe's answer: the subscription's ARN, or `pending confirmation`
/// while it waits unless the caller asked for the ARN.
fn arn_answer(s: &Subscription, return_arn: bool) -> Value {
    let arn = if s.pending && !return_arn {
        "pending confirmation"
    } else {
        s.arn.as_str()
    };
    output::Subscribe::new().subscription_arn(arn).into()
}

fn check_endpoint(
    topic: &Topic,
    protocol: &str,
    endpoint: &str,
    region: &str,
) -> Result<(), AwsError> {
    let bad = || invalid_parameter("Endpoint");
    match protocol {
        "sqs" => {
            let q =
                queue_arn(endpoint, region).ok_or_else(|| invalid_parameter("SQS endpoint ARN"))?;
            // A FIFO topic may deliver to a standard queue (in publish
            // order, deduplicated by the topic); a standard topic has no
            // group ids to give a FIFO queue. AWS doubles the prefix.
            if !topic.fifo() && q.ends_with(".fifo") {
                return Err(invalid_parameter(
                    "Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics",
                ));
            }
        }
        "http" if !endpoint.starts_with("http://") => {
            return Err(invalid_parameter(
                "Endpoint must match the specified protocol",
            ));
        }
        "https" if !endpoint.starts_with("https://") => {
            return Err(invalid_parameter(
                "Endpoint must match the specified protocol",
            ));
        }
        "email" | "email-json" if !endpoint.contains('@') => {
            return Err(invalid_parameter("Email address"));
        }
        // AWS's words, without the usual prefix.
        "sms" if !valid_sms_endpoint(endpoint) => {
            return Err(AwsError::client(
                "InvalidParameter",
                format!("Invalid SMS endpoint: {endpoint}"),
            ));
        }
        "lambda" | "firehose" | "application" if parse_arn(endpoint).is_none() => {
            return Err(bad());
        }
        _ => {}
    }
    if topic.fifo() && protocol != "sqs" {
        return Err(invalid_parameter(format!(
            "Invalid protocol type: {protocol}"
        )));
    }
    Ok(())
}

/// A phone number SNS can text: E.164 (`+` optional, up to 15 digits, no
/// leading zero) once single `.`, `/` or `-` separators between digits are
/// taken out.
pub fn valid_sms_endpoint(endpoint: &str) -> bool {
    let seps = |c: char| matches!(c, '.' | '/' | '-');
    if endpoint.starts_with(seps)
        || endpoint.ends_with(seps)
        || endpoint
            .as_bytes()
            .windows(2)
            .any(|w| seps(w[0] as char) && seps(w[1] as char))
    {
        return false;
    }
    let digits: String = endpoint.chars().filter(|c| !seps(*c)).collect();
    let digits = digits.strip_prefix('+').unwrap_or(&digits);
    (2..=15).contains(&digits.len())
        && !digits.starts_with('0')
        && digits.bytes().all(|b| b.is_ascii_digit())
}

/// A FIFO subscription of a FIFO topic dead-letters in order only to a
/// FIFO queue; AWS refuses a standard one (a standard queue's subscription
/// may have either).
fn check_fifo_dlq(
    topic: &Topic,
    endpoint: &str,
    attrs: &BTreeMap<String, String>,
) -> Result<(), AwsError> {
    let dlq = attrs
        .get("RedrivePolicy")
        .and_then(|p| serde_json::from_str::<Value>(p).ok())
        .and_then(|p| p["deadLetterTargetArn"].as_str().map(str::to_string));
    match dlq {
        Some(dlq) if topic.fifo() && endpoint.ends_with(".fifo") && !dlq.ends_with(".fifo") => {
            Err(invalid_parameter(
                "RedrivePolicy: must use a FIFO queue as DLQ for a FIFO Subscription to a FIFO Topic.",
            ))
        }
        _ => Ok(()),
    }
}

/// ConfirmSubscription: the token from the SubscriptionConfirmation.
pub fn confirm(input: input::ConfirmSubscription<'_>) -> Result<Value, AwsError> {
    let topic_arn = input.topic_arn().unwrap_or_default();
    let token = input.token().unwrap_or_default();
    topics::get(topic_arn)?;
    // A token that is not one SNS could have issued is plain `Invalid
    // token`; one of the right form that confirms nothing here (another
    // topic's, say) is `Invalid parameter: Token`, as AWS answers.
    let issued_form =
        token.len() == 2 * TOKEN_BYTES && token.bytes().all(|b| b.is_ascii_hexdigit());
    if !issued_form {
        return Err(AwsError::client("InvalidParameter", "Invalid token"));
    }
    let invalid = || invalid_parameter("Token");
    let sub_arn = tokens().get(&Key::new().str(token)).ok_or_else(invalid)?;
    let mut sub = table().get(&key(&sub_arn)).ok_or_else(invalid)?;
    if sub.topic_arn != topic_arn {
        return Err(invalid());
    }
    sub.pending = false;
    table().put(&key(&sub.arn), &sub);
    Ok(output::ConfirmSubscription::new()
        .subscription_arn(sub.arn)
        .into())
}

/// Unsubscribe: http(s) endpoints get an UnsubscribeConfirmation. Like
/// AWS, unsubscribing a subscription that does not exist (any more) succeeds.
pub fn unsubscribe(input: input::Unsubscribe<'_>) -> Result<Value, AwsError> {
    let Some(sub_arn) = input.subscription_arn() else {
        return Err(missing_parameter("SubscriptionArn"));
    };
    check_sub_arn(sub_arn)?;
    let Some(sub) = table().get(&key(sub_arn)) else {
        return Ok(json!({}));
    };
    remove(&sub);
    if !sub.pending && matches!(sub.protocol.as_str(), "http" | "https") {
        delivery::confirmation(&sub, "UnsubscribeConfirmation");
    }
    Ok(json!({}))
}

/// A subscription as the listings show it (`PendingConfirmation` for the
/// ARN of one waiting for confirmation).
fn summary(s: &Subscription) -> out::Subscription {
    out::Subscription::new()
        .subscription_arn(if s.pending {
            "PendingConfirmation"
        } else {
            s.arn.as_str()
        })
        .owner(s.owner.as_str())
        .protocol(s.protocol.as_str())
        .endpoint(s.endpoint.as_str())
        .topic_arn(s.topic_arn.as_str())
}

/// ListSubscriptions, 100 per page.
pub fn list(input: input::ListSubscriptions<'_>) -> Result<Value, AwsError> {
    let after = page_after(input.next_token())?;
    let page = table().list(&Key::new(), after.as_deref(), PAGE);
    let subs: Vec<out::Subscription> = page.items.iter().map(|(_, s)| summary(s)).collect();
    Ok(output::ListSubscriptions::new()
        .subscriptions(subs)
        .next_token(page.next.map(|n| next_token(&n)))
        .into())
}

/// ListSubscriptionsByTopic, 100 per page.
pub fn list_by_topic(input: input::ListSubscriptionsByTopic<'_>) -> Result<Value, AwsError> {
    let topic_arn = input.topic_arn().unwrap_or_default();
    topics::check_arn(topic_arn)?;
    topics::get(topic_arn)?;
    let after = page_after(input.next_token())?;
    let page = by_topic().list(&Key::new().str(topic_arn), after.as_deref(), PAGE);
    let subs: Vec<out::Subscription> = page
        .items
        .iter()
        .filter_map(|(_, a)| table().get(&key(a)))
        .map(|s| summary(&s))
        .collect();
    Ok(output::ListSubscriptionsByTopic::new()
        .subscriptions(subs)
        .next_token(page.next.map(|n| next_token(&n)))
        .into())
}

/// GetSubscriptionAttributes: the attributes AWS reports for every
/// subscription (the subscriber's principal, confirmation state, raw
/// delivery), those set, and `FilterPolicyScope` only alongside a
/// `FilterPolicy` (AWS keeps a scope set earlier but shows it only then).
pub fn get_attributes(input: input::GetSubscriptionAttributes<'_>) -> Result<Value, AwsError> {
    let sub_arn = input.subscription_arn().unwrap_or_default();
    check_sub_arn(sub_arn)?;
    let s = table()
        .get(&key(sub_arn))
        .ok_or_else(subscription_not_found)?;
    let mut a: BTreeMap<String, String> = s
        .attributes
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    a.insert("SubscriptionArn".into(), s.arn.clone());
    a.insert("TopicArn".into(), s.topic_arn.clone());
    a.insert("Owner".into(), s.owner.clone());
    // The caller that subscribed: locally every account acts as its root.
    a.insert(
        "SubscriptionPrincipal".into(),
        format!("arn:aws:iam::{}:root", s.owner),
    );
    a.insert("Protocol".into(), s.protocol.clone());
    a.insert("Endpoint".into(), s.endpoint.clone());
    a.insert("PendingConfirmation".into(), s.pending.to_string());
    a.insert(
        "ConfirmationWasAuthenticated".into(),
        (!s.pending).to_string(),
    );
    a.entry("RawMessageDelivery".into())
        .or_insert_with(|| "false".into());
    if a.contains_key("FilterPolicy") {
        a.entry("FilterPolicyScope".into())
            .or_insert_with(|| "MessageAttributes".into());
    } else {
        a.remove("FilterPolicyScope");
    }
    if matches!(s.protocol.as_str(), "http" | "https") {
        let effective = delivery::effective_policy(&s);
        a.insert("EffectiveDeliveryPolicy".into(), effective);
    }
    Ok(output::GetSubscriptionAttributes::new()
        .attributes(Value::from_iter(a))
        .into())
}

/// SetSubscriptionAttributes: one attribute; an empty policy unsets it.
pub fn set_attributes(input: input::SetSubscriptionAttributes<'_>) -> Result<Value, AwsError> {
    let sub_arn = input.subscription_arn().unwrap_or_default();
    let name = input.attribute_name().unwrap_or_default();
    let value = input.attribute_value().unwrap_or_default();
    check_sub_arn(sub_arn)?;
    let s = table()
        .get(&key(sub_arn))
        .ok_or_else(subscription_not_found)?;
    if !SETTABLE.contains(&name) {
        return Err(invalid_parameter("AttributeName"));
    }
    validate_attribute(name, value, &s.protocol)?;
    let value = if name == "RawMessageDelivery" {
        value.to_ascii_lowercase()
    } else {
        value.to_string()
    };
    let mut after = s.attributes.clone();
    after.insert(name.to_string(), value.clone());
    validate_filter(&after)?;
    if let Ok(topic) = topics::get(&s.topic_arn) {
        check_fifo_dlq(&topic, &s.endpoint, &after)?;
    }
    table().update(&key(sub_arn), |cur| {
        let mut s = cur?;
        if value.is_empty() {
            s.attributes.remove(name);
        } else {
            s.attributes.insert(name.to_string(), value.clone());
        }
        Some(s)
    });
    Ok(json!({}))
}

/// The subscription a SubscribeURL/ConfirmSubscription token confirms (for tests).
#[cfg(test)]
pub fn by_token(token: &str) -> Option<Subscription> {
    tokens()
        .get(&Key::new().str(token))
        .and_then(|a| table().get(&key(&a)))
}
