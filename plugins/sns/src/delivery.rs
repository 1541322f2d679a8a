//! Delivery: the envelope AWS wraps messages in, fan-out to SQS through
//! `invoke`, and HTTP(S) notifications through outbound HTTP with retries
//! driven by the delivery policy and the host's timers.

use base64::Engine;
use ruststack_sdk::ids::{parse_arn, random_bytes, uuid};
use ruststack_sdk::invoke;
use ruststack_sdk::log;
use ruststack_sdk::protocol::Value;
use ruststack_sdk::schedule;
use ruststack_sdk::{Body, Context, Request};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::filter;
use crate::publish::Message;
use crate::subscriptions::{self, Subscription, queue_arn};
use crate::topics::{self, DEFAULT_DELIVERY_POLICY};

/// Bound on one HTTP delivery attempt.
const HTTP_TIMEOUT_MS: u32 = 15_000;

/// Where AWS would publish its signing certificate.
fn signing_cert_url(region: &str) -> String {
    format!(
        "https://sns.{region}.amazonaws.com/SimpleNotificationService-0000000000000000000000000000000.pem"
    )
}

fn signature() -> String {
    base64::engine::general_purpose::STANDARD.encode(random_bytes(128))
}

fn region_of(topic_arn: &str) -> String {
    parse_arn(topic_arn)
        .map(|a| a.region)
        .unwrap_or_else(|| "us-east-1".into())
}

/// `2012-04-25T21:49:25.719Z` from ms since the epoch.
pub fn iso_timestamp(ms: u64) -> String {
    let secs = ms / 1000;
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ms % 1000
    )
}

/// Writes `{"K" : v, ...}` in AWS's envelope layout (fields in this order).
fn envelope_json(fields: &[(&str, Value)]) -> String {
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| {
            let v = match v {
                Value::Object(o) => {
                    let inner: Vec<String> = o
                        .iter()
                        .map(|(ik, iv)| format!("    {} : {}", json!(ik), iv))
                        .collect();
                    format!("{{\n{}\n  }}", inner.join(",\n"))
                }
                v => v.to_string(),
            };
            format!("  {} : {}", json!(k), v)
        })
        .collect();
    format!("{{\n{}\n}}", body.join(",\n"))
}

/// The Notification envelope of `msg` for `sub`, exactly as AWS lays it out.
pub fn notification(msg: &Message, sub: &Subscription) -> String {
    let mut f: Vec<(&str, Value)> = vec![
        ("Type", json!("Notification")),
        ("MessageId", json!(msg.id)),
    ];
    if let Some(s) = &msg.sequence {
        f.push(("SequenceNumber", json!(s)));
    }
    f.push(("TopicArn", json!(msg.topic_arn)));
    if let Some(s) = &msg.subject {
        f.push(("Subject", json!(s)));
    }
    f.push(("Message", json!(msg.text_for(&sub.protocol))));
    f.push(("Timestamp", json!(iso_timestamp(msg.timestamp_ms))));
    // FIFO topics' notifications are not signed: AWS leaves out all three
    // signature fields (and puts SequenceNumber after MessageId instead).
    if msg.sequence.is_none() {
        let version = if msg.signature_version.is_empty() {
            "1"
        } else {
            &msg.signature_version
        };
        f.push(("SignatureVersion", json!(version)));
        f.push(("Signature", json!(signature())));
        f.push((
            "SigningCertURL",
            json!(signing_cert_url(&region_of(&msg.topic_arn))),
        ));
    }
    f.push(("UnsubscribeURL", json!(sub.unsubscribe_url())));
    if !msg.attributes.is_empty() {
        let attrs: serde_json::Map<String, Value> = msg
            .attributes
            .iter()
            .map(|(k, a)| {
                let ty = if a.data_type.starts_with("Binary") {
                    "Binary"
                } else if a.data_type.starts_with("Number") {
                    "Number"
                } else if a.data_type == "String.Array" {
                    "String.Array"
                } else {
                    "String"
                };
                let value = a.string_value.clone().or(a.binary_value.clone());
                (k.clone(), json!({"Type": ty, "Value": value}))
            })
            .collect();
        f.push(("MessageAttributes", Value::Object(attrs)));
    }
    envelope_json(&f)
}

/// The document a subscription's filter policy is matched against.
fn filter_document(msg: &Message, sub: &Subscription) -> Option<Value> {
    if sub.attributes.get("FilterPolicyScope").map(String::as_str) == Some("MessageBody") {
        return serde_json::from_str::<Value>(msg.text_for(&sub.protocol))
            .ok()
            .filter(Value::is_object);
    }
    let attrs: serde_json::Map<String, Value> = msg
        .attributes
        .iter()
        .filter_map(|(k, a)| {
            let s = a.string_value.as_deref()?;
            let v = if a.data_type.starts_with("Number") {
                json!(s.parse::<f64>().ok()?)
            } else if a.data_type == "String.Array" {
                serde_json::from_str(s).unwrap_or_else(|_| json!(s))
            } else {
                json!(s)
            };
            Some((k.clone(), v))
        })
        .collect();
    Some(Value::Object(attrs))
}

/// Does `msg` pass `sub`'s filter policy (if any)?
pub fn passes_filter(msg: &Message, sub: &Subscription) -> bool {
    match sub.attributes.get("FilterPolicy") {
        None => true,
        Some(p) => filter_document(msg, sub).is_some_and(|doc| filter::matches(p, &doc)),
    }
}

/// Delivers `msg` to every confirmed subscription of its topic whose filter
/// policy it passes: SQS at once, HTTP(S) through a timer.
pub fn fan_out(req: &Request, msg: &Message) {
    for sub in subscriptions::of_topic(&msg.topic_arn) {
        if sub.pending || !passes_filter(msg, &sub) {
            continue;
        }
        match sub.protocol.as_str() {
            "sqs" => to_sqs(req, msg, &sub),
            "http" | "https" => {
                let (body, raw) = if sub.raw() {
                    (msg.text_for(&sub.protocol).to_string(), true)
                } else {
                    (notification(msg, &sub), false)
                };
                let job = HttpJob {
                    sub_arn: sub.arn.clone(),
                    kind: "Notification".into(),
                    message_id: msg.id.clone(),
                    topic_arn: msg.topic_arn.clone(),
                    endpoint: sub.endpoint.clone(),
                    body,
                    raw,
                    attempt: 0,
                };
                job.schedule(0);
            }
            // email, sms, lambda, firehose, application: nothing to reach locally.
            _ => {}
        }
    }
}

/// Sends `msg` to `sub`'s queue with SQS's SendMessage; when that fails and
/// the subscription has a RedrivePolicy, to its dead-letter queue instead.
fn to_sqs(req: &Request, msg: &Message, sub: &Subscription) {
    let Some(q) = queue_arn(&sub.endpoint, &req.context.region) else {
        return;
    };
    let mut body = json!({});
    if sub.raw() {
        body["MessageBody"] = json!(msg.text_for("sqs"));
        if !msg.attributes.is_empty() {
            let attrs: serde_json::Map<String, Value> = msg
                .attributes
                .iter()
                .map(|(k, a)| {
                    let mut v = json!({"DataType": a.data_type});
                    if let Some(s) = &a.string_value {
                        v["StringValue"] = json!(s);
                    }
                    if let Some(b) = &a.binary_value {
                        v["BinaryValue"] = json!(b);
                    }
                    (k.clone(), v)
                })
                .collect();
            body["MessageAttributes"] = Value::Object(attrs);
        }
    } else {
        body["MessageBody"] = json!(notification(msg, sub));
    }
    let status = send_message(req, &q, msg, body.clone());
    if status < 300 {
        return;
    }
    log::warn(&format!(
        "delivery of {} to {} failed with status {status}",
        msg.id, sub.endpoint
    ));
    let dlq = sub
        .attributes
        .get("RedrivePolicy")
        .and_then(|p| serde_json::from_str::<Value>(p).ok())
        .and_then(|p| p["deadLetterTargetArn"].as_str().map(str::to_string));
    if let Some(dlq) = dlq {
        let status = send_message(req, &dlq, msg, body);
        if status >= 300 {
            log::warn(&format!("dead-lettering {} to {dlq} failed", msg.id));
        }
    }
}

/// SendMessage of `body` (without QueueUrl) to the queue `queue_arn`; the status.
fn send_message(req: &Request, queue_arn: &str, msg: &Message, mut body: Value) -> u16 {
    if let Some(g) = &msg.group_id
        && queue_arn.ends_with(".fifo")
    {
        body["MessageGroupId"] = json!(g);
        if let Some(d) = &msg.dedup_id {
            body["MessageDeduplicationId"] = json!(d);
        }
    }
    send_with_context(&req.context, queue_arn, body)
}

/// SendMessage of `body` to `queue_arn`, addressed like the request `ctx` was.
fn send_with_context(ctx: &Context, queue_arn: &str, mut body: Value) -> u16 {
    let Some(q) = parse_arn(queue_arn) else {
        return 400;
    };
    let host = if ctx.host.is_empty() {
        "localhost"
    } else {
        &ctx.host
    };
    body["QueueUrl"] = json!(format!(
        "http://{host}:{}/{}/{}",
        ctx.port, q.account, q.resource
    ));
    let port = ctx.port;
    let mut ctx = ctx.clone();
    ctx.region = q.region.clone();
    ctx.account = q.account.clone();
    ctx.signing_service = Some("sqs".into());
    ctx.request_id = uuid();
    let call = Request {
        method: "POST".into(),
        path: "/".into(),
        query: String::new(),
        headers: vec![
            ("host".into(), format!("{host}:{port}")),
            ("content-type".into(), "application/x-amz-json-1.0".into()),
            ("x-amz-target".into(), "AmazonSQS.SendMessage".into()),
        ],
        body: Body::Bytes(body.to_string().into_bytes()),
        context: ctx,
    };
    invoke::call(&call).status
}

/// An HTTP(S) delivery waiting for its (next) attempt.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct HttpJob {
    /// The subscription it belongs to.
    pub sub_arn: String,
    /// `Notification`, `SubscriptionConfirmation` or `UnsubscribeConfirmation`.
    pub kind: String,
    /// The message id (header `x-amz-sns-message-id`).
    pub message_id: String,
    /// The topic (header `x-amz-sns-topic-arn`).
    pub topic_arn: String,
    /// The URL.
    pub endpoint: String,
    /// The body to POST.
    pub body: String,
    /// Raw delivery (header `x-amz-sns-rawdelivery`).
    pub raw: bool,
    /// Attempts made so far.
    pub attempt: u32,
}

impl HttpJob {
    fn schedule(&self, delay_ms: u64) {
        let payload = serde_json::to_vec(self).unwrap_or_default();
        schedule::after(delay_ms, &payload);
    }

    /// Makes one attempt; schedules the next on failure while retries remain.
    pub fn run(mut self) {
        let sub = subscriptions::table().get(&crate::subscriptions_key(&self.sub_arn));
        // Notifications stop when the subscription goes away.
        if self.kind == "Notification" && sub.is_none() {
            return;
        }
        let mut headers: Vec<(String, String)> = vec![
            ("content-type".into(), "text/plain; charset=UTF-8".into()),
            (
                "user-agent".into(),
                "Amazon Simple Notification Service Agent".into(),
            ),
            ("x-amz-sns-message-type".into(), self.kind.clone()),
            ("x-amz-sns-message-id".into(), self.message_id.clone()),
            ("x-amz-sns-topic-arn".into(), self.topic_arn.clone()),
        ];
        if self.kind != "SubscriptionConfirmation" {
            headers.push(("x-amz-sns-subscription-arn".into(), self.sub_arn.clone()));
        }
        if self.raw {
            headers.push(("x-amz-sns-rawdelivery".into(), "true".into()));
        }
        let ok = match invoke::http(
            "POST",
            &self.endpoint,
            &headers,
            self.body.as_bytes(),
            HTTP_TIMEOUT_MS,
        ) {
            Ok(a) => (200..300).contains(&a.status),
            Err(e) => {
                log::info(&format!("HTTP delivery to {} failed: {e}", self.endpoint));
                false
            }
        };
        if ok {
            return;
        }
        let policy = sub
            .as_ref()
            .map(retry_policy)
            .unwrap_or_else(|| default_retry_policy(&self.topic_arn));
        self.attempt += 1;
        if let Some(delay) = retry_delay(&policy, self.attempt) {
            self.schedule(delay);
        } else {
            log::warn(&format!(
                "gave up delivering {} to {} after {} attempts",
                self.message_id, self.endpoint, self.attempt
            ));
            if let Some(sub) = &sub {
                dead_letter(sub, &self.body);
            }
        }
    }
}

/// Sends a notification that exhausted its retries to the subscription's
/// dead-letter queue (RedrivePolicy), if it has one.
fn dead_letter(sub: &Subscription, body: &str) {
    let Some(dlq) = sub
        .attributes
        .get("RedrivePolicy")
        .and_then(|p| serde_json::from_str::<Value>(p).ok())
        .and_then(|p| p["deadLetterTargetArn"].as_str().map(str::to_string))
    else {
        return;
    };
    let Some(a) = parse_arn(&dlq) else {
        return;
    };
    // Timers have no request: address SQS the way the subscriber reached us.
    let authority = sub
        .base_url
        .strip_prefix("http://")
        .unwrap_or(&sub.base_url);
    let (host, port) = authority.rsplit_once(':').unwrap_or((authority, "4566"));
    let ctx = Context {
        region: a.region.clone(),
        account: a.account.clone(),
        access_key: None,
        signing_service: Some("sqs".into()),
        host: host.to_string(),
        port: port.parse().unwrap_or(4566),
        request_id: uuid(),
        received_at_ms: ruststack_sdk::ids::now_ms(),
        internal: true,
        final_call: false,
        attempt: 0,
    };
    if send_with_context(&ctx, &dlq, json!({"MessageBody": body})) >= 300 {
        log::warn(&format!("dead-lettering to {dlq} failed"));
    }
}

/// Sends a SubscriptionConfirmation or UnsubscribeConfirmation to an HTTP(S) endpoint.
pub fn confirmation(sub: &Subscription, kind: &str) {
    let token = sub
        .token
        .clone()
        .unwrap_or_else(|| ruststack_sdk::ids::random_hex(64));
    let subscribe_url = format!(
        "{}/?Action=ConfirmSubscription&TopicArn={}&Token={}",
        sub.base_url, sub.topic_arn, token
    );
    let text = if kind == "SubscriptionConfirmation" {
        format!(
            "You have chosen to subscribe to the topic {}.\nTo confirm the subscription, visit the SubscribeURL included in this message.",
            sub.topic_arn
        )
    } else {
        format!(
            "You have chosen to deactivate subscription {}.\nTo cancel this operation and restore the subscription, visit the SubscribeURL included in this message.",
            sub.arn
        )
    };
    let id = uuid();
    let body = envelope_json(&[
        ("Type", json!(kind)),
        ("MessageId", json!(id)),
        ("Token", json!(token)),
        ("TopicArn", json!(sub.topic_arn)),
        ("Message", json!(text)),
        ("SubscribeURL", json!(subscribe_url)),
        (
            "Timestamp",
            json!(iso_timestamp(ruststack_sdk::ids::now_ms())),
        ),
        ("SignatureVersion", json!("1")),
        ("Signature", json!(signature())),
        (
            "SigningCertURL",
            json!(signing_cert_url(&region_of(&sub.topic_arn))),
        ),
    ]);
    HttpJob {
        sub_arn: sub.arn.clone(),
        kind: kind.into(),
        message_id: id,
        topic_arn: sub.topic_arn.clone(),
        endpoint: sub.endpoint.clone(),
        body,
        raw: false,
        attempt: 0,
    }
    .schedule(0);
}

fn default_retry_policy(topic_arn: &str) -> Value {
    let topic_policy = topics::table()
        .get(&topics::key(topic_arn))
        .and_then(|t| t.attributes.get("DeliveryPolicy").cloned())
        .and_then(|p| serde_json::from_str::<Value>(&p).ok())
        .map(|p| p["http"]["defaultHealthyRetryPolicy"].clone())
        .filter(Value::is_object);
    topic_policy.unwrap_or_else(|| {
        serde_json::from_str::<Value>(DEFAULT_DELIVERY_POLICY).unwrap_or_default()["http"]
            ["defaultHealthyRetryPolicy"]
            .clone()
    })
}

/// The healthy retry policy that applies to `sub`.
fn retry_policy(sub: &Subscription) -> Value {
    sub.attributes
        .get("DeliveryPolicy")
        .and_then(|p| serde_json::from_str::<Value>(p).ok())
        .map(|p| p["healthyRetryPolicy"].clone())
        .filter(Value::is_object)
        .unwrap_or_else(|| default_retry_policy(&sub.topic_arn))
}

/// `EffectiveDeliveryPolicy` of an HTTP(S) subscription.
pub fn effective_policy(sub: &Subscription) -> String {
    json!({"healthyRetryPolicy": retry_policy(sub), "throttlePolicy": null, "requestPolicy": {"headerContentType": "text/plain; charset=UTF-8"}, "guaranteed": false})
        .to_string()
}

/// Delay before retry `n` (1-based), or `None` when retries are used up.
pub fn retry_delay(policy: &Value, n: u32) -> Option<u64> {
    let get = |k: &str, d: u64| policy[k].as_u64().unwrap_or(d);
    let retries = get("numRetries", 3);
    let n = u64::from(n);
    if n > retries {
        return None;
    }
    let min = get("minDelayTarget", 20);
    let max = get("maxDelayTarget", 20).max(min);
    let no_delay = get("numNoDelayRetries", 0);
    let min_delay = get("numMinDelayRetries", 0);
    let max_delay = get("numMaxDelayRetries", 0);
    let secs = if n <= no_delay {
        0
    } else if n <= no_delay + min_delay {
        min
    } else if n > retries.saturating_sub(max_delay) {
        max
    } else {
        let backoff = retries
            .saturating_sub(no_delay + min_delay + max_delay)
            .max(1);
        let k = n - no_delay - min_delay;
        min + (max - min) * k / backoff
    };
    Some(secs * 1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_iso() {
        assert_eq!(iso_timestamp(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso_timestamp(1_335_390_565_719), "2012-04-25T21:49:25.719Z");
    }

    #[test]
    fn retry_delays_follow_the_policy() {
        let p = json!({"numRetries": 3, "minDelayTarget": 1, "maxDelayTarget": 1});
        assert_eq!(retry_delay(&p, 1), Some(1000));
        assert_eq!(retry_delay(&p, 3), Some(1000));
        assert_eq!(retry_delay(&p, 4), None);
        let p = json!({"numRetries": 4, "numNoDelayRetries": 1, "minDelayTarget": 2, "maxDelayTarget": 10});
        assert_eq!(retry_delay(&p, 1), Some(0));
        assert!(retry_delay(&p, 4).unwrap() <= 10_000);
    }

    #[test]
    fn envelope_layout() {
        let s = envelope_json(&[
            ("Type", json!("Notification")),
            ("M", json!({"a": {"Type": "String"}})),
        ]);
        assert_eq!(
            s,
            "{\n  \"Type\" : \"Notification\",\n  \"M\" : {\n    \"a\" : {\"Type\":\"String\"}\n  }\n}"
        );
    }
}
