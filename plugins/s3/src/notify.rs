//! Event notifications: `s3:ObjectCreated:*` / `s3:ObjectRemoved:*` events
//! in AWS's event JSON, delivered to the SQS queues and SNS topics of the
//! bucket's notification configuration through the host's `invoke`.
//!
//! Events are queued as timers in the request's own commit and delivered
//! from `on_timer`, so a request that fails (or is re-run on a conflict)
//! sends nothing, and deliveries survive a restart.

use ruststack_sdk::protocol::encoding::encode_form;
use ruststack_sdk::protocol::shapes::s3::{
    FilterRule, NotificationConfiguration, NotificationConfigurationFilter,
};
use ruststack_sdk::protocol::time;
use ruststack_sdk::protocol::typed::List;
use ruststack_sdk::{Body, Context, Request, ids, invoke, log, schedule};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::dispatch::Ctx;
use crate::store::{self, Bucket, Obj};
use crate::util;

/// One delivery waiting to be made.
#[derive(Serialize, Deserialize)]
struct Delivery {
    /// `sqs` or `sns`.
    kind: String,
    /// Queue or topic ARN.
    arn: String,
    /// The event JSON.
    message: String,
    /// Attempts so far.
    #[serde(default)]
    attempt: u32,
}

/// Whether a configured event name (`s3:ObjectCreated:*`) covers `event`.
fn covers(configured: &str, event: &str) -> bool {
    configured == event
        || configured
            .strip_suffix('*')
            .is_some_and(|p| event.starts_with(p))
}

/// Whether a configuration's key filter (prefix / suffix rules) lets `key`
/// through.
fn filter_allows(filter: Option<NotificationConfigurationFilter<'_>>, key: &str) -> bool {
    let rules = filter
        .and_then(|f| f.key())
        .and_then(|k| k.filter_rules())
        .map(|l| l.values());
    // Every rule as decoded: one that is not a structure allows anything.
    rules.into_iter().flatten().map(FilterRule).all(|r| {
        let v = r.value().unwrap_or_default();
        match r.name().map(str::to_ascii_lowercase).as_deref() {
            Some("prefix") => key.starts_with(v),
            Some("suffix") => key.ends_with(v),
            _ => true,
        }
    })
}

/// One queue or topic configuration of a bucket's notifications.
struct Target<'a> {
    /// `sqs` or `sns`.
    kind: &'static str,
    id: Option<&'a str>,
    arn: Option<&'a str>,
    events: Option<List<'a, &'a str>>,
    filter: Option<NotificationConfigurationFilter<'a>>,
}

/// The queue configurations, then the topic configurations, of `cfg`.
fn targets(cfg: NotificationConfiguration<'_>) -> Vec<Target<'_>> {
    let (queues, topics) = (cfg.queue_configurations(), cfg.topic_configurations());
    let topics = topics.iter().flat_map(|l| l.iter());
    queues
        .iter()
        .flat_map(|l| l.iter())
        .map(|c| Target {
            kind: "sqs",
            id: c.id(),
            arn: c.queue_arn(),
            events: c.events(),
            filter: c.filter(),
        })
        .chain(topics.map(|c| Target {
            kind: "sns",
            id: c.id(),
            arn: c.topic_arn(),
            events: c.events(),
            filter: c.filter(),
        }))
        .collect()
}

/// Queues the notifications `event` (e.g. `ObjectCreated:Put`) triggers.
pub fn object_event(ctx: &Ctx, b: &Bucket, event: &str, o: &Obj) {
    let Some(cfg) = store::config(&b.name, "Notification") else {
        return;
    };
    let full = format!("s3:{event}");
    for t in targets(NotificationConfiguration(&cfg)) {
        let hit = t.events.is_some_and(|l| l.iter().any(|e| covers(e, &full)));
        if !hit || !filter_allows(t.filter, &o.key) {
            continue;
        }
        let Some(arn) = t.arn else {
            continue;
        };
        let id = t.id.unwrap_or("notification");
        let message = record(ctx, b, event, o, id).to_string();
        let d = Delivery {
            kind: t.kind.into(),
            arn: arn.into(),
            message,
            attempt: 0,
        };
        schedule::after(0, &serde_json::to_vec(&d).expect("serializable"));
    }
}

fn record(ctx: &Ctx, b: &Bucket, event: &str, o: &Obj, config_id: &str) -> Value {
    let mut object = json!({
        "key": util::url_encode(&o.key).replace("%20", "+"),
        "sequencer": format!("{:016X}", o.seq),
    });
    if event.starts_with("ObjectCreated") {
        object["size"] = json!(o.size);
        object["eTag"] = json!(o.etag);
    }
    if let Some(v) = &o.version_id {
        object["versionId"] = json!(v);
    }
    let rid = &ctx.req.context.request_id;
    json!({"Records": [{
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": b.region,
        "eventTime": time::format_iso8601_millis(ids::now_ms() as i64),
        "eventName": event,
        "userIdentity": {"principalId": format!("AWS:{}", ctx.req.context.account)},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {"x-amz-request-id": rid, "x-amz-id-2": rid},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": config_id,
            "bucket": {
                "name": b.name,
                "ownerIdentity": {"principalId": "A3NL1KOZZKExample"},
                "arn": format!("arn:aws:s3:::{}", b.name),
            },
            "object": object,
        },
    }]})
}

/// Delivers one queued event (called from `on_timer`); retried with backoff
/// a few times when the target answers an error.
pub fn deliver(payload: &[u8]) {
    let Ok(mut d) = serde_json::from_slice::<Delivery>(payload) else {
        return;
    };
    let Some(arn) = ids::parse_arn(&d.arn) else {
        log::warn(&format!("s3 notification: bad target ARN {}", d.arn));
        return;
    };
    let form = if d.kind == "sqs" {
        let url = format!("http://localhost:4566/{}/{}", arn.account, arn.resource);
        encode_form([
            ("Action", "SendMessage"),
            ("Version", "2012-11-05"),
            ("QueueUrl", url.as_str()),
            ("MessageBody", d.message.as_str()),
        ])
    } else {
        encode_form([
            ("Action", "Publish"),
            ("Version", "2010-03-31"),
            ("TopicArn", d.arn.as_str()),
            ("Subject", "Amazon S3 Notification"),
            ("Message", d.message.as_str()),
        ])
    };
    let req = Request {
        method: "POST".into(),
        path: "/".into(),
        query: String::new(),
        headers: vec![
            (
                "content-type".into(),
                "application/x-www-form-urlencoded; charset=utf-8".into(),
            ),
            ("host".into(), "localhost:4566".into()),
        ],
        body: Body::Bytes(form.into_bytes()),
        context: Context {
            region: arn.region.clone(),
            account: arn.account.clone(),
            access_key: None,
            signing_service: Some(d.kind.clone()),
            host: "localhost".into(),
            port: 4566,
            request_id: ids::uuid(),
            received_at_ms: ids::now_ms(),
            internal: true,
            final_call: false,
            attempt: 0,
        },
    };
    let resp = invoke::call(&req);
    if resp.status >= 300 {
        log::warn(&format!(
            "s3 notification to {} failed with status {} (attempt {})",
            d.arn, resp.status, d.attempt
        ));
        if d.attempt < 3 && resp.status >= 500 {
            d.attempt += 1;
            let delay = 1000u64 << d.attempt;
            schedule::after(delay, &serde_json::to_vec(&d).expect("serializable"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_names() {
        assert!(covers("s3:ObjectCreated:*", "s3:ObjectCreated:Put"));
        assert!(covers("s3:ObjectCreated:Put", "s3:ObjectCreated:Put"));
        assert!(!covers("s3:ObjectRemoved:*", "s3:ObjectCreated:Put"));
    }
}
