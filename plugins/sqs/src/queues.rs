//! Queues: the stored record, names and URLs, and the queue operations
//! (create, get URL, list, delete, purge, attributes, tags, permissions,
//! dead-letter sources).

use std::collections::BTreeMap;

use ruststack_sdk::ids::{arn, now_ms, parse_arn};
use ruststack_sdk::keys::Key;
use ruststack_sdk::protocol::shapes::sqs::{input, output};
use ruststack_sdk::protocol::typed::List;
use ruststack_sdk::table::Table;
use ruststack_sdk::{AwsError, Request};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::attributes::{self, from_map};
use crate::errors::{self, invalid_parameter, missing_parameter, no_queue};
use crate::messages;

/// A stored queue.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Queue {
    /// Queue name (ends in `.fifo` for FIFO queues).
    pub name: String,
    /// Region it lives in.
    pub region: String,
    /// Owning account.
    pub account: String,
    /// Settable attributes, with defaults filled in.
    pub attrs: BTreeMap<String, String>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// Creation time, epoch seconds.
    pub created_s: u64,
    /// Last attribute change, epoch seconds.
    pub modified_s: u64,
    /// Last PurgeQueue, ms (one purge per 60 s).
    #[serde(default)]
    pub last_purge_ms: u64,
}

impl Queue {
    /// Whether this is a FIFO queue.
    pub fn fifo(&self) -> bool {
        self.name.ends_with(".fifo")
    }

    /// The queue's ARN.
    pub fn arn(&self) -> String {
        arn("sqs", &self.region, &self.account, &self.name)
    }

    /// The queue's key in the queues table (and prefix of its messages).
    pub fn key(&self) -> Key {
        queue_key(&self.region, &self.name)
    }

    /// An integer attribute.
    pub fn int(&self, name: &str) -> u64 {
        attributes::int(&self.attrs, name)
    }

    /// A boolean attribute.
    pub fn flag(&self, name: &str) -> bool {
        self.attrs.get(name).is_some_and(|v| v == "true")
    }
}

/// The table of queues, keyed by (region, name).
pub fn table() -> Table<Queue> {
    Table::new("queues")
}

/// The key of a queue.
pub fn queue_key(region: &str, name: &str) -> Key {
    Key::new().str(region).str(name)
}

/// The URL of a queue as the caller addressed this server.
pub fn url(req: &Request, q: &Queue) -> String {
    let host = if req.context.host.is_empty() {
        "localhost"
    } else {
        &req.context.host
    };
    format!(
        "http://{host}:{}/{}/{}",
        req.context.port, q.account, q.name
    )
}

/// Where a `QueueUrl` points: the queue name, and the region when the URL
/// names one.
#[derive(Debug, PartialEq, Eq)]
pub struct QueueRef {
    /// Queue name.
    pub name: String,
    /// Region named by a LocalStack-style URL (host
    /// `sqs.<region>.localhost.localstack.cloud`,
    /// `<region>.queue.localhost.localstack.cloud`, or path
    /// `/queue/<region>/<account>/<name>`); otherwise the request's.
    pub region: Option<String>,
}

/// The region in a LocalStack-style queue host name, if it is one.
fn host_region(host: &str) -> Option<String> {
    let host = host.split(':').next().unwrap_or_default();
    let rest = host.strip_suffix(".localhost.localstack.cloud")?;
    let region = rest
        .strip_prefix("sqs.")
        .or_else(|| rest.strip_suffix(".queue"))?;
    (!region.is_empty() && !region.contains('.')).then(|| region.to_string())
}

/// Parses what a request gives as `QueueUrl`: `http://host/<account>/<name>`
/// (or just that path), the LocalStack forms with a region in the host or in
/// `/queue/<region>/<account>/<name>`, or a bare queue name, which AWS
/// accepts too.
pub fn parse_url(url: &str) -> Option<QueueRef> {
    let (host, path) = match url.find("://") {
        Some(i) => {
            let rest = &url[i + 3..];
            let slash = rest.find('/')?;
            (Some(&rest[..slash]), &rest[slash..])
        }
        None if !url.contains('/') => {
            return (!url.is_empty()).then(|| QueueRef {
                name: url.to_string(),
                region: None,
            });
        }
        None => (None, url),
    };
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let (path_region, account, name) = match parts.as_slice() {
        [account, name] => (None, *account, *name),
        ["queue", region, account, name] if !region.is_empty() => {
            (Some(region.to_string()), *account, *name)
        }
        _ => return None,
    };
    if account.is_empty() || name.is_empty() {
        return None;
    }
    Some(QueueRef {
        name: name.to_string(),
        region: path_region.or_else(|| host.and_then(host_region)),
    })
}

/// The region a request's `QueueUrl` names, when it names one other than
/// the request's: the operation must then run in that region's scope.
pub fn url_region(req: &Request, queue_url: Option<&str>) -> Option<String> {
    queue_url
        .and_then(parse_url)
        .and_then(|r| r.region)
        .filter(|r| *r != req.context.region)
}

/// The queue a request's `QueueUrl` names, or `QueueDoesNotExist`.
pub fn resolve(req: &Request, queue_url: Option<&str>) -> Result<(Queue, Vec<u8>), AwsError> {
    let url = queue_url.ok_or_else(|| missing_parameter("QueueUrl"))?;
    let r = parse_url(url).ok_or_else(no_queue)?;
    let region = r.region.as_deref().unwrap_or(&req.context.region);
    table()
        .get_raw(&queue_key(region, &r.name))
        .ok_or_else(no_queue)
}

/// The queue with this ARN (same account), if it exists.
pub fn by_arn(queue_arn: &str) -> Option<Queue> {
    let a = parse_arn(queue_arn)?;
    (a.service == "sqs").then(|| table().get(&queue_key(&a.region, &a.resource)))?
}

fn valid_name(name: &str) -> bool {
    let base = name.strip_suffix(".fifo").unwrap_or(name);
    name.len() <= 80 && ruststack_sdk::ids::is_short_name(base)
}

/// CreateQueue: idempotent for the same attributes, `QueueAlreadyExists`
/// when they differ.
pub fn create(req: &Request, input: input::CreateQueue<'_>) -> Result<Value, AwsError> {
    let name = input.queue_name().unwrap_or_default();
    let requested = from_map(input.attributes());
    let fifo_attr = requested
        .get("FifoQueue")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"));
    if !valid_name(name) || (fifo_attr && !name.ends_with(".fifo")) {
        return Err(invalid_parameter(if fifo_attr || name.ends_with(".fifo") {
            "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length."
        } else {
            "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length"
        }));
    }
    let fifo = name.ends_with(".fifo");
    if fifo && !fifo_attr {
        return Err(invalid_parameter(
            "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.",
        ));
    }
    let attrs = attributes::initial(&requested, fifo)?;
    let arn = ruststack_sdk::ids::arn("sqs", &req.context.region, &req.context.account, name);
    check_redrive_target(&req.context.region, &arn, &requested, fifo)?;
    let key = queue_key(&req.context.region, name);
    if let Some(existing) = table().get(&key) {
        for k in requested.keys() {
            let have = existing.attrs.get(k).map(String::as_str).unwrap_or("");
            let want = attrs.get(k).map(String::as_str).unwrap_or("");
            if have != want {
                return Err(errors::queue_exists(k));
            }
        }
        return Ok(output::CreateQueue::new()
            .queue_url(url(req, &existing))
            .into());
    }
    let tags = from_map(input.tags());
    check_tags(&tags)?;
    let now = now_ms() / 1000;
    let q = Queue {
        name: name.to_string(),
        region: req.context.region.clone(),
        account: req.context.account.clone(),
        attrs,
        tags,
        created_s: now,
        modified_s: now,
        last_purge_ms: 0,
    };
    if !table().insert_new(&key, &q) {
        return Err(errors::queue_exists("QueueName"));
    }
    Ok(output::CreateQueue::new().queue_url(url(req, &q)).into())
}

/// Checks a newly set RedrivePolicy: the dead-letter queue exists, is of
/// the same type, and its RedriveAllowPolicy lets `source_arn` use it.
fn check_redrive_target(
    region: &str,
    source_arn: &str,
    requested: &BTreeMap<String, String>,
    fifo: bool,
) -> Result<(), AwsError> {
    let Some(policy) = requested.get("RedrivePolicy").filter(|p| !p.is_empty()) else {
        return Ok(());
    };
    let r = attributes::parse_redrive(policy)
        .ok_or_else(|| errors::invalid_attribute_value("RedrivePolicy", None))?;
    let target = parse_arn(&r.target_arn)
        .filter(|a| a.service == "sqs" && a.region == region)
        .and_then(|a| table().get(&queue_key(&a.region, &a.resource)));
    match target {
        None => Err(errors::invalid_attribute_value(
            "RedrivePolicy",
            Some("Dead-letter target does not exist."),
        )),
        Some(t) if t.fifo() != fifo => Err(errors::invalid_attribute_value(
            "RedrivePolicy",
            Some("Dead-letter queue must be same type of queue as the source."),
        )),
        Some(t) => match t
            .attrs
            .get("RedriveAllowPolicy")
            .and_then(|p| serde_json::from_str::<Value>(p).ok())
        {
            Some(allow) if !redrive_allowed(&allow, source_arn) => {
                Err(errors::invalid_attribute_value(
                    "RedrivePolicy",
                    Some(
                        "Queue is not allowed to use the dead-letter queue by its RedriveAllowPolicy.",
                    ),
                ))
            }
            _ => Ok(()),
        },
    }
}

fn redrive_allowed(allow: &Value, source_arn: &str) -> bool {
    match allow["redrivePermission"].as_str() {
        Some("denyAll") => false,
        Some("byQueue") => allow["sourceQueueArns"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x == source_arn)),
        _ => true,
    }
}

/// GetQueueUrl.
pub fn get_url(req: &Request, input: input::GetQueueUrl<'_>) -> Result<Value, AwsError> {
    let name = input.queue_name().unwrap_or_default();
    let q = table()
        .get(&queue_key(&req.context.region, name))
        .ok_or_else(no_queue)?;
    Ok(output::GetQueueUrl::new().queue_url(url(req, &q)).into())
}

/// ListQueues: by name prefix, paginated when MaxResults is given.
pub fn list(req: &Request, input: input::ListQueues<'_>) -> Result<Value, AwsError> {
    let prefix = input.queue_name_prefix().unwrap_or_default();
    let max = match input.max_results() {
        Some(n) if !(1..=1000).contains(&n) => {
            return Err(invalid_parameter(format!(
                "Value {n} for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and 1000."
            )));
        }
        Some(n) => Some(n as usize),
        None => None,
    };
    let after = input.next_token().map(str::to_string);
    let mut names: Vec<Queue> = table()
        .list(&Key::new().str(&req.context.region), None, u32::MAX)
        .items
        .into_iter()
        .map(|(_, q)| q)
        .filter(|q| q.name.starts_with(prefix))
        .filter(|q| after.as_deref().is_none_or(|a| q.name.as_str() > a))
        .collect();
    let limit = max.unwrap_or(1000);
    let more = max.is_some() && names.len() > limit;
    names.truncate(limit);
    let urls: Vec<String> = names.iter().map(|q| url(req, q)).collect();
    let mut out = output::ListQueues::new();
    if !urls.is_empty() {
        out.set_queue_urls(urls);
    }
    if more && let Some(last) = names.last() {
        out.set_next_token(last.name.clone());
    }
    Ok(out.into())
}

/// DeleteQueue: the queue and all its messages.
pub fn delete(req: &Request, input: input::DeleteQueue<'_>) -> Result<Value, AwsError> {
    let (q, _) = resolve(req, input.queue_url())?;
    messages::delete_all(&q);
    table().delete(&q.key());
    Ok(json!({}))
}

/// PurgeQueue: every message, at most once a minute.
pub fn purge(req: &Request, input: input::PurgeQueue<'_>) -> Result<Value, AwsError> {
    let (mut q, raw) = resolve(req, input.queue_url())?;
    let now = now_ms();
    if q.last_purge_ms != 0 && now < q.last_purge_ms + 60_000 {
        return Err(errors::purge_in_progress(&q.name));
    }
    messages::delete_all(&q);
    q.last_purge_ms = now;
    table().replace(&q.key(), &raw, Some(&q));
    Ok(json!({}))
}

/// Names of the attributes to return for a list that may say `All`.
fn wanted(names: Option<List<'_, &str>>) -> Result<Option<Vec<String>>, AwsError> {
    let list: Vec<String> = names
        .map(|a| a.iter().map(str::to_string).collect())
        .unwrap_or_default();
    if list.iter().any(|n| n == "All") {
        return Ok(None);
    }
    for n in &list {
        let known = attributes::DEFAULTS.iter().any(|(k, _)| k == n)
            || attributes::FIFO_DEFAULTS.iter().any(|(k, _)| k == n)
            || attributes::COMPUTED.contains(&n.as_str())
            || matches!(
                n.as_str(),
                "Policy"
                    | "RedrivePolicy"
                    | "RedriveAllowPolicy"
                    | "FifoQueue"
                    | "KmsMasterKeyId"
                    | "KmsDataKeyReusePeriodSeconds"
            );
        if !known {
            return Err(errors::invalid_attribute_name(n));
        }
    }
    Ok(Some(list))
}

/// GetQueueAttributes, including the computed counts and timestamps.
pub fn get_attributes(
    req: &Request,
    input: input::GetQueueAttributes<'_>,
) -> Result<Value, AwsError> {
    let (q, _) = resolve(req, input.queue_url())?;
    let Some(wanted) = wanted(input.attribute_names())? else {
        return Ok(output::GetQueueAttributes::new()
            .attributes(all_attributes(&q, None))
            .into());
    };
    let mut out = output::GetQueueAttributes::new();
    if !wanted.is_empty() {
        let attrs = all_attributes(&q, Some(&wanted));
        if attrs.as_object().is_some_and(|o| !o.is_empty()) {
            out.set_attributes(attrs);
        }
    }
    Ok(out.into())
}

fn all_attributes(q: &Queue, only: Option<&[String]>) -> Value {
    let want = |n: &str| only.is_none_or(|o| o.iter().any(|x| x == n));
    let mut out = serde_json::Map::new();
    for (k, v) in &q.attrs {
        if want(k) {
            out.insert(k.clone(), json!(v));
        }
    }
    let counts_wanted = [
        "ApproximateNumberOfMessages",
        "ApproximateNumberOfMessagesNotVisible",
        "ApproximateNumberOfMessagesDelayed",
    ]
    .iter()
    .any(|n| want(n));
    if counts_wanted {
        let c = messages::counts(q);
        for (n, v) in [
            ("ApproximateNumberOfMessages", c.visible),
            ("ApproximateNumberOfMessagesNotVisible", c.in_flight),
            ("ApproximateNumberOfMessagesDelayed", c.delayed),
        ] {
            if want(n) {
                out.insert(n.into(), json!(v.to_string()));
            }
        }
    }
    for (n, v) in [
        ("CreatedTimestamp", q.created_s.to_string()),
        ("LastModifiedTimestamp", q.modified_s.to_string()),
        ("QueueArn", q.arn()),
    ] {
        if want(n) {
            out.insert(n.into(), json!(v));
        }
    }
    Value::Object(out)
}

/// SetQueueAttributes (an empty Policy removes it).
pub fn set_attributes(
    req: &Request,
    input: input::SetQueueAttributes<'_>,
) -> Result<Value, AwsError> {
    let (mut q, raw) = resolve(req, input.queue_url())?;
    let requested = from_map(input.attributes());
    let fifo = q.fifo();
    attributes::apply(&mut q.attrs, &requested, fifo)?;
    check_redrive_target(&q.region, &q.arn(), &requested, fifo)?;
    q.modified_s = now_ms() / 1000;
    if !table().replace(&q.key(), &raw, Some(&q)) {
        return Err(AwsError::internal_failure());
    }
    Ok(json!({}))
}

fn check_tags(tags: &BTreeMap<String, String>) -> Result<(), AwsError> {
    if tags.len() > 50 {
        return Err(invalid_parameter("Too many tags added for queue."));
    }
    for (k, v) in tags {
        if k.is_empty() || k.len() > 128 || v.len() > 256 {
            return Err(invalid_parameter(format!("Tag {k} is invalid.")));
        }
    }
    Ok(())
}

/// TagQueue.
pub fn tag(req: &Request, input: input::TagQueue<'_>) -> Result<Value, AwsError> {
    let (mut q, raw) = resolve(req, input.queue_url())?;
    let tags = from_map(input.tags());
    if tags.is_empty() {
        return Err(missing_parameter("Tags"));
    }
    q.tags.extend(tags);
    check_tags(&q.tags)?;
    table().replace(&q.key(), &raw, Some(&q));
    Ok(json!({}))
}

/// UntagQueue.
pub fn untag(req: &Request, input: input::UntagQueue<'_>) -> Result<Value, AwsError> {
    let (mut q, raw) = resolve(req, input.queue_url())?;
    let keys = input.tag_keys().filter(|k| !k.is_empty());
    let Some(keys) = keys else {
        return Err(missing_parameter("TagKeys"));
    };
    for k in keys.iter() {
        q.tags.remove(k);
    }
    table().replace(&q.key(), &raw, Some(&q));
    Ok(json!({}))
}

/// ListQueueTags.
pub fn list_tags(req: &Request, input: input::ListQueueTags<'_>) -> Result<Value, AwsError> {
    let (q, _) = resolve(req, input.queue_url())?;
    let mut out = output::ListQueueTags::new();
    if !q.tags.is_empty() {
        out.set_tags(json!(q.tags));
    }
    Ok(out.into())
}

/// AddPermission: a statement labelled `Label` in the queue's policy.
pub fn add_permission(req: &Request, input: input::AddPermission<'_>) -> Result<Value, AwsError> {
    let (mut q, raw) = resolve(req, input.queue_url())?;
    let label = input.label().unwrap_or_default();
    if !ruststack_sdk::ids::is_short_name(label) {
        return Err(invalid_parameter("Value for parameter Label is invalid."));
    }
    let accounts: Vec<&str> = input
        .aws_account_ids()
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    let actions: Vec<&str> = input
        .actions()
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    if accounts.is_empty() {
        return Err(missing_parameter("AWSAccountIds"));
    }
    if actions.is_empty() {
        return Err(missing_parameter("Actions"));
    }
    let mut policy: Value = q
        .attrs
        .get("Policy")
        .and_then(|p| serde_json::from_str(p).ok())
        .unwrap_or_else(|| json!({"Version": "2008-10-17", "Id": format!("{}/SQSDefaultPolicy", q.arn()), "Statement": []}));
    let statements = policy["Statement"].as_array().cloned().unwrap_or_default();
    if statements.iter().any(|s| s["Sid"] == label) {
        return Err(invalid_parameter(format!(
            "Value {label} for parameter Label is invalid. Reason: Already exists."
        )));
    }
    let principals: Vec<String> = accounts
        .iter()
        .map(|a| format!("arn:aws:iam::{a}:root"))
        .collect();
    let actions: Vec<String> = actions.iter().map(|a| format!("SQS:{a}")).collect();
    let mut statements = statements;
    statements.push(json!({
        "Sid": label,
        "Effect": "Allow",
        "Principal": {"AWS": if principals.len() == 1 { json!(principals[0]) } else { json!(principals) }},
        "Action": if actions.len() == 1 { json!(actions[0]) } else { json!(actions) },
        "Resource": q.arn(),
    }));
    policy["Statement"] = json!(statements);
    q.attrs.insert("Policy".into(), policy.to_string());
    table().replace(&q.key(), &raw, Some(&q));
    Ok(json!({}))
}

/// RemovePermission: drops the statement labelled `Label`.
pub fn remove_permission(
    req: &Request,
    input: input::RemovePermission<'_>,
) -> Result<Value, AwsError> {
    let (mut q, raw) = resolve(req, input.queue_url())?;
    let label = input.label().unwrap_or_default();
    let mut policy: Value = q
        .attrs
        .get("Policy")
        .and_then(|p| serde_json::from_str(p).ok())
        .unwrap_or_else(|| json!({"Statement": []}));
    let statements = policy["Statement"].as_array().cloned().unwrap_or_default();
    let kept: Vec<Value> = statements
        .iter()
        .filter(|s| s["Sid"] != label)
        .cloned()
        .collect();
    if kept.len() == statements.len() {
        return Err(invalid_parameter(format!(
            "Value {label} for parameter Label is invalid. Reason: can't find label."
        )));
    }
    if kept.is_empty() {
        q.attrs.remove("Policy");
    } else {
        policy["Statement"] = json!(kept);
        q.attrs.insert("Policy".into(), policy.to_string());
    }
    table().replace(&q.key(), &raw, Some(&q));
    Ok(json!({}))
}

/// ListDeadLetterSourceQueues: queues whose redrive policy targets this one.
pub fn dead_letter_sources(
    req: &Request,
    input: input::ListDeadLetterSourceQueues<'_>,
) -> Result<Value, AwsError> {
    let (q, _) = resolve(req, input.queue_url())?;
    let target = q.arn();
    let urls: Vec<String> = table()
        .list(&Key::new().str(&req.context.region), None, u32::MAX)
        .items
        .into_iter()
        .map(|(_, s)| s)
        .filter(|s| {
            s.attrs
                .get("RedrivePolicy")
                .and_then(|p| attributes::parse_redrive(p))
                .is_some_and(|r| r.target_arn == target)
        })
        .map(|s| url(req, &s))
        .collect();
    Ok(output::ListDeadLetterSourceQueues::new()
        .queue_urls(urls)
        .into())
}

/// The queues of this account and region with their visible message
/// counts, for the operator's console.
pub fn resources() -> Vec<ruststack_sdk::Resource> {
    table()
        .all()
        .into_iter()
        .map(|(_, q)| {
            let c = messages::counts(&q);
            ruststack_sdk::Resource {
                kind: "queue".into(),
                name: q.name.clone(),
                count: Some(c.visible),
                detail: format!(
                    "{}, {} in flight, {} delayed",
                    if q.name.ends_with(".fifo") {
                        "FIFO"
                    } else {
                        "standard"
                    },
                    c.in_flight,
                    c.delayed
                ),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name_from_url(url: &str) -> Option<String> {
        parse_url(url).map(|r| r.name)
    }

    #[test]
    fn names_from_urls() {
        assert_eq!(
            name_from_url("http://localhost:4566/000000000000/q1").as_deref(),
            Some("q1")
        );
        assert_eq!(
            name_from_url("/000000000000/q.fifo").as_deref(),
            Some("q.fifo")
        );
        assert_eq!(name_from_url("q1").as_deref(), Some("q1"));
        assert_eq!(
            parse_url("http://sqs.eu-west-1.localhost.localstack.cloud:4566/000000000000/q"),
            Some(QueueRef {
                name: "q".into(),
                region: Some("eu-west-1".into())
            })
        );
        assert_eq!(
            parse_url("http://eu-west-2.queue.localhost.localstack.cloud:4566/000000000000/q")
                .and_then(|r| r.region)
                .as_deref(),
            Some("eu-west-2")
        );
        assert_eq!(
            parse_url("http://localhost:4566/queue/ap-south-1/000000000000/q"),
            Some(QueueRef {
                name: "q".into(),
                region: Some("ap-south-1".into())
            })
        );
        assert_eq!(
            parse_url("http://localhost:4566/000000000000/q").and_then(|r| r.region),
            None
        );
        assert_eq!(name_from_url("http://localhost:4566/a/b/c"), None);
        assert_eq!(name_from_url("http://h/000000000000/q/extra"), None);
        assert!(valid_name("a-b_c.fifo"));
        assert!(!valid_name("a b"));
        assert!(!valid_name(&"x".repeat(81)));
    }
}
