//! Messages: stored one record per message under its queue, in send order
//! (see [`add`]), with visibility kept as an absolute time so that
//! in-flight messages, delays and retention are computed when read and
//! survive restarts without timers.
//!
//! Concurrency: every change to a message (receive, delete, visibility) is a
//! compare-and-set of its record against the bytes this request read. Two
//! receivers that pick the same message cannot both commit: the host re-runs
//! the loser on fresh data, where the message is in flight and skipped.

use std::collections::HashSet;
use std::ops::ControlFlow;

use base64::Engine;
use ruststack_sdk::http::Reply;
use ruststack_sdk::ids::{now_ms, now_us, random_hex, random_u64, uuid};
use ruststack_sdk::protocol::shapes::sqs::{
    ChangeMessageVisibilityBatchRequestEntry, DeleteMessageBatchRequestEntry,
    SendMessageBatchRequestEntry, input, out, output,
};
use ruststack_sdk::protocol::typed::{self, List};
use ruststack_sdk::table::Table;
use ruststack_sdk::{AwsError, Request};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sha2::Sha256;

use crate::attributes;
use crate::digest::{attributes_md5, md5_hex};
use crate::errors::{self, invalid_parameter, missing_parameter};
use crate::queues::{self, Queue};

/// What a message carries, stored apart from its (small, often rewritten)
/// state so that scans and compare-and-sets never touch bodies.
#[derive(Serialize, Deserialize, Clone, Debug, Default)]
pub struct Content {
    /// Body text.
    pub body: String,
    /// Message attributes as sent (`{name: {DataType, StringValue|BinaryValue}}`).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub attrs: Map<String, Value>,
    /// Message system attributes as sent (AWSTraceHeader).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub sys_attrs: Map<String, Value>,
}

/// The state of a stored message.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct Msg {
    /// MessageId.
    pub id: String,
    /// When it was sent, ms.
    pub sent_ms: u64,
    /// When it is (or becomes) visible, ms.
    pub visible_at: u64,
    /// Times received.
    pub receive_count: u64,
    /// First receive time, ms (0: never).
    pub first_receive_ms: u64,
    /// Changes on every receive; the receipt handle carries it.
    pub nonce: String,
    /// Who sent it.
    pub sender: String,
    /// FIFO: MessageGroupId.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// FIFO: MessageDeduplicationId.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dedup: Option<String>,
    /// ARN of the queue it was dead-lettered from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dlq_source: Option<String>,
}

/// A FIFO deduplication record.
#[derive(Serialize, Deserialize)]
struct Dedup {
    id: String,
    seq: u64,
    until_ms: u64,
}

/// Counts for the Approximate* attributes.
pub struct Counts {
    /// Receivable now.
    pub visible: u64,
    /// Received and not yet visible again.
    pub in_flight: u64,
    /// Sent with a delay that has not passed.
    pub delayed: u64,
}

fn msgs() -> Table<Msg> {
    Table::new("msgs")
}

fn bodies() -> Table<Content> {
    Table::new("bodies")
}

/// Moves a message's content from one queue to another.
fn move_content(from: &Queue, from_seq: u64, to: &Queue, to_seq: u64) {
    let c = bodies().get(&from.key().u64(from_seq)).unwrap_or_default();
    bodies().delete(&from.key().u64(from_seq));
    bodies().put(&to.key().u64(to_seq), &c);
}

fn seqs() -> Table<u64> {
    Table::new("seq")
}

fn notify() -> Table<u64> {
    Table::new("notify")
}

fn dedups() -> Table<Dedup> {
    Table::new("dedup")
}

const DEDUP_WINDOW_MS: u64 = 5 * 60 * 1000;

/// The key prefix whose writes wake long polls on `q`.
fn wake_key(q: &Queue) -> Vec<u8> {
    notify().raw_key(&q.key())
}

fn wake(q: &Queue) {
    notify().put(&q.key(), &now_ms());
}

/// Bits of a standard queue's sequence below the send time's microseconds
/// (which fit in the 52 above them until the year 2112).
const RANDOM_SEQ_BITS: u32 = 12;

/// Stores the record of a new message in `q` and returns its sequence (its
/// place in the queue). FIFO queues number messages from a per-queue counter:
/// their order is the contract, and `SequenceNumber` shows it. Standard
/// queues, whose order AWS keeps only best-effort, use the time in
/// microseconds with random low bits, so that concurrent sends do not all
/// race for one counter while one client's sends keep their order. The
/// record is inserted only where no record is, and two sends that drew the
/// same sequence cannot both commit (the host runs the loser again).
/// Sequences from the older counter are small, so those messages still come
/// first.
fn add(q: &Queue, m: &Msg) -> u64 {
    thread_local! {
        /// The last sequence this instance drew: the entries of one batch
        /// keep their order even when the clock does not move between them.
        static LAST: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
    }
    if q.fifo() {
        let seq = seqs()
            .update(&q.key(), |n| Some(n.unwrap_or(0) + 1))
            .expect("update stores a value");
        msgs().put(&q.key().u64(seq), m);
        return seq;
    }
    loop {
        let low = random_u64() & ((1 << RANDOM_SEQ_BITS) - 1);
        let seq = ((now_us() << RANDOM_SEQ_BITS) | low).max(LAST.get() + 1);
        LAST.set(seq);
        if msgs().insert_new(&q.key().u64(seq), m) {
            return seq;
        }
    }
}

fn seq_of(key: &[u8]) -> u64 {
    key.get(key.len().saturating_sub(8)..)
        .and_then(|b| b.try_into().ok())
        .map(u64::from_be_bytes)
        .unwrap_or(0)
}

/// Deletes every message of a queue (DeleteQueue, PurgeQueue).
pub fn delete_all(q: &Queue) {
    let mut prefixes = vec![msgs().raw_key(&q.key()), bodies().raw_key(&q.key())];
    if q.fifo() {
        prefixes.extend([dedups().raw_key(&q.key()), attempts().raw_key(&q.key())]);
    }
    for prefix in prefixes {
        ruststack_sdk::kv::for_each_prefix(&prefix, |k, _| {
            ruststack_sdk::kv::delete(k);
            ControlFlow::Continue(())
        });
    }
}

fn expired(q: &Queue, m: &Msg, now: u64) -> bool {
    m.sent_ms + q.int("MessageRetentionPeriod") * 1000 <= now
}

/// Visible, in-flight and delayed counts (expired messages excluded).
pub fn counts(q: &Queue) -> Counts {
    let now = now_ms();
    let mut c = Counts {
        visible: 0,
        in_flight: 0,
        delayed: 0,
    };
    msgs().for_each(&q.key(), |_, m| {
        if expired(q, &m, now) {
        } else if m.visible_at <= now {
            c.visible += 1;
        } else if m.receive_count > 0 {
            c.in_flight += 1;
        } else {
            c.delayed += 1;
        }
        ControlFlow::Continue(())
    });
    c
}

// ----- receipt handles -----

fn receipt(q: &Queue, seq: u64, nonce: &str) -> String {
    let raw = format!("{}\n{}\n{seq}\n{nonce}", q.region, q.name);
    base64::engine::general_purpose::STANDARD.encode(raw)
}

/// The message sequence and nonce in a receipt handle of queue `q`.
fn parse_receipt(q: &Queue, handle: &str) -> Result<(u64, String), AwsError> {
    let bad = || errors::receipt_invalid(handle);
    let raw = base64::engine::general_purpose::STANDARD
        .decode(handle)
        .map_err(|_| bad())?;
    let text = String::from_utf8(raw).map_err(|_| bad())?;
    let parts: Vec<&str> = text.split('\n').collect();
    let [region, name, seq, nonce] = parts.as_slice() else {
        return Err(bad());
    };
    if *region != q.region || *name != q.name {
        return Err(bad());
    }
    Ok((seq.parse().map_err(|_| bad())?, nonce.to_string()))
}

// ----- send -----

fn valid_body(body: &str) -> Result<(), AwsError> {
    for c in body.chars() {
        let ok = matches!(c as u32, 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10FFFF);
        if !ok {
            return Err(errors::invalid_contents(c));
        }
    }
    Ok(())
}

/// The service-wide limit on a message and on a whole batch (1 MiB since
/// 2025; a queue's MaximumMessageSize may only lower the former).
pub const MAX_PAYLOAD: u64 = 1_048_576;

/// Whether a message attribute name is one AWS takes: up to 256 of
/// `[A-Za-z0-9_.-]`, no leading, trailing or doubled period, no `AWS.` or
/// `Amazon.` prefix in any case.
fn valid_attr_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 256
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
        && !name.starts_with('.')
        && !name.ends_with('.')
        && !name.contains("..")
        && !name.to_ascii_lowercase().starts_with("aws.")
        && !name.to_ascii_lowercase().starts_with("amazon.")
}

/// Checks message attributes; returns their size in bytes (name, data
/// type and value, as AWS counts them toward the message size).
fn check_attrs(attrs: &Map<String, Value>) -> Result<usize, AwsError> {
    if attrs.len() > 10 {
        return Err(invalid_parameter(format!(
            "Number of message attributes [{}] exceeds the allowed maximum [10].",
            attrs.len()
        )));
    }
    let mut size = 0;
    for (name, a) in attrs {
        if !valid_attr_name(name) {
            return Err(invalid_parameter(format!(
                "Message attribute name '{name}' is invalid."
            )));
        }
        let dt = a["DataType"].as_str().unwrap_or_default();
        let base = dt.split('.').next().unwrap_or_default();
        if !matches!(base, "String" | "Number" | "Binary") {
            return Err(invalid_parameter(format!(
                "The type of message (user) attribute '{name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String."
            )));
        }
        let empty = || {
            invalid_parameter(format!(
                "Message (user) attribute '{name}' must contain a non-empty value of type '{base}'."
            ))
        };
        let value_len = if base == "Binary" {
            match a["BinaryValue"].as_str() {
                Some(b) if !b.is_empty() => base64::engine::general_purpose::STANDARD
                    .decode(b)
                    .map_or(b.len() * 3 / 4, |d| d.len()),
                _ => return Err(empty()),
            }
        } else {
            match a["StringValue"].as_str() {
                Some(s) if !s.is_empty() => {
                    if base == "Number" && s.trim().parse::<f64>().is_err() {
                        return Err(invalid_parameter(format!(
                            "Can't cast the value of message (user) attribute '{name}' to a number."
                        )));
                    }
                    valid_body(s)?;
                    s.len()
                }
                _ => return Err(empty()),
            }
        };
        size += name.len() + dt.len() + value_len;
    }
    Ok(size)
}

/// Checks a MessageGroupId or MessageDeduplicationId value: 1 to 128
/// characters, each alphanumeric or ASCII punctuation (no spaces). An empty
/// value is left to the callers (AWS's answer to it is not known).
fn check_message_id(param: &str, value: &str) -> Result<(), AwsError> {
    let valid = value.chars().count() <= 128 && value.chars().all(|c| c.is_ascii_graphic());
    if valid {
        return Ok(());
    }
    Err(errors::invalid_value(
        param,
        value,
        &format!(
            "{param} can only include alphanumeric and punctuation characters. 1 to 128 in length."
        ),
    ))
}

fn sha256_hex(s: &str) -> String {
    use sha2::Digest;
    Sha256::digest(s.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What a send knows beside its entry: whether the entry is part of a batch
/// (AWS words some per-entry failures differently) and the trace header the
/// request carried in `X-Amzn-Trace-Id`.
struct Sending<'a> {
    batch: bool,
    trace: Option<&'a str>,
}

impl<'a> Sending<'a> {
    fn of(req: &'a Request, batch: bool) -> Self {
        Sending {
            batch,
            trace: req.header("x-amzn-trace-id").filter(|t| !t.is_empty()),
        }
    }
}

/// One message to send: the members SendMessage and a SendMessageBatch
/// entry share, read through either's view.
struct Outgoing<'a> {
    body: Option<&'a str>,
    delay: Option<i64>,
    attrs: Option<&'a Map<String, Value>>,
    sys_attrs: Option<&'a Map<String, Value>>,
    group: Option<&'a str>,
    dedup: Option<&'a str>,
}

impl<'a> Outgoing<'a> {
    fn of_send(i: input::SendMessage<'a>) -> Self {
        Outgoing {
            body: i.message_body(),
            delay: i.delay_seconds(),
            attrs: i.message_attributes().map(|m| m.values()),
            sys_attrs: i.message_system_attributes().map(|m| m.values()),
            group: i.message_group_id(),
            dedup: i.message_deduplication_id(),
        }
    }

    fn of_entry(e: SendMessageBatchRequestEntry<'a>) -> Self {
        Outgoing {
            body: e.message_body(),
            delay: e.delay_seconds(),
            attrs: e.message_attributes().map(|m| m.values()),
            sys_attrs: e.message_system_attributes().map(|m| m.values()),
            group: e.message_group_id(),
            dedup: e.message_deduplication_id(),
        }
    }
}

/// What a send answers: SendMessage's result, or a batch entry's without
/// its `Id`.
struct Sent {
    message_id: String,
    md5_of_body: String,
    md5_of_attributes: Option<String>,
    md5_of_system_attributes: Option<String>,
    sequence_number: Option<String>,
}

/// One message to send, from SendMessage or a batch entry.
fn send_one(req: &Request, q: &Queue, entry: &Outgoing, how: &Sending) -> Result<Sent, AwsError> {
    let body = entry.body.unwrap_or_default();
    if body.is_empty() {
        return Err(if how.batch {
            errors::empty_value("MessageBody")
        } else {
            missing_parameter("MessageBody")
        });
    }
    valid_body(body)?;
    let attrs = entry.attrs.cloned().unwrap_or_default();
    let attrs_size = check_attrs(&attrs)?;
    let sent_sys_attrs = entry.sys_attrs.cloned().unwrap_or_default();
    for name in sent_sys_attrs.keys() {
        if name != "AWSTraceHeader" {
            return Err(invalid_parameter(format!(
                "Message system attribute name '{name}' is invalid."
            )));
        }
    }
    let max = q.int("MaximumMessageSize");
    if (body.len() + attrs_size) as u64 > max {
        return Err(invalid_parameter(format!(
            "One or more parameters are invalid. Reason: Message must be shorter than {max} bytes."
        )));
    }
    let delay = match entry.delay {
        Some(d) if !(0..=900).contains(&d) => {
            return Err(errors::invalid_value(
                "DelaySeconds",
                &d.to_string(),
                "DelaySeconds must be >= 0 and <= 900.",
            ));
        }
        // A FIFO queue takes no per-message delay, but an explicit 0 (what
        // some SDKs always send) is accepted and leaves the queue's own.
        Some(0) if q.fifo() => q.int("DelaySeconds"),
        Some(d) if q.fifo() => {
            return Err(errors::invalid_value(
                "DelaySeconds",
                &d.to_string(),
                "The request include parameter that is not valid for this queue type.",
            ));
        }
        Some(d) => d as u64,
        None => q.int("DelaySeconds"),
    };
    if !q.fifo()
        && let Some(d) = entry.dedup
    {
        // A batch entry fails with AWS's shorter per-entry wording.
        return Err(if how.batch {
            invalid_parameter("The request include parameter that is not valid for this queue type")
        } else {
            errors::invalid_value(
                "MessageDeduplicationId",
                d,
                "The request include parameter that is not valid for this queue type.",
            )
        });
    }
    let group = entry.group.map(str::to_string);
    let mut dedup = entry.dedup.map(str::to_string);
    if q.fifo() {
        if let Some(g) = group.as_deref() {
            check_message_id("MessageGroupId", g)?;
        }
        if let Some(d) = dedup.as_deref() {
            check_message_id("MessageDeduplicationId", d)?;
        }
    }
    // The trace header: a MessageSystemAttributes one wins over the HTTP
    // header's (as the X-Ray guide says); only a sent one has a digest.
    let mut sys_attrs = sent_sys_attrs.clone();
    if !sys_attrs.contains_key("AWSTraceHeader")
        && let Some(t) = how.trace
    {
        sys_attrs.insert(
            "AWSTraceHeader".into(),
            json!({"DataType": "String", "StringValue": t}),
        );
    }
    let now = now_ms();
    let mut out = Sent {
        message_id: String::new(),
        md5_of_body: md5_hex(body.as_bytes()),
        md5_of_attributes: (!attrs.is_empty()).then(|| attributes_md5(&attrs)),
        md5_of_system_attributes: (!sent_sys_attrs.is_empty())
            .then(|| attributes_md5(&sent_sys_attrs)),
        sequence_number: None,
    };
    let mut dedup_key = None;
    if q.fifo() {
        let Some(g) = group.as_deref() else {
            return Err(missing_parameter("MessageGroupId"));
        };
        if dedup.is_none() {
            if !q.flag("ContentBasedDeduplication") {
                return Err(no_dedup_id());
            }
            dedup = Some(sha256_hex(body));
        }
        let d = dedup.as_deref().unwrap_or_default();
        let scope = if q.attrs.get("DeduplicationScope").map(String::as_str) == Some("messageGroup")
        {
            g
        } else {
            ""
        };
        let key = q.key().str(scope).str(d);
        let existing = dedups().get_raw(&key);
        if let Some((prev, _)) = existing.as_ref().filter(|(p, _)| p.until_ms > now) {
            out.message_id = prev.id.clone();
            out.sequence_number = Some(format!("{:020}", prev.seq));
            return Ok(out);
        }
        dedup_key = Some((key, existing.map(|(_, raw)| raw)));
    }
    let m = Msg {
        id: uuid(),
        sent_ms: now,
        visible_at: now + delay * 1000,
        receive_count: 0,
        first_receive_ms: 0,
        nonce: String::new(),
        sender: req
            .context
            .access_key
            .clone()
            .unwrap_or_else(|| req.context.account.clone()),
        group: group.filter(|_| q.fifo()),
        dedup: dedup.filter(|_| q.fifo()),
        dlq_source: None,
    };
    let seq = add(q, &m);
    if let Some((key, expired_raw)) = dedup_key {
        // Compare-and-set: of two concurrent sends with one deduplication id,
        // the second is re-run and finds the first's record.
        let record = Dedup {
            id: m.id.clone(),
            seq,
            until_ms: now + DEDUP_WINDOW_MS,
        };
        match expired_raw {
            Some(raw) => dedups().replace(&key, &raw, Some(&record)),
            None => dedups().insert_new(&key, &record),
        };
        out.sequence_number = Some(format!("{seq:020}"));
    }
    out.message_id = m.id.clone();
    bodies().put(
        &q.key().u64(seq),
        &Content {
            body: body.to_string(),
            attrs,
            sys_attrs,
        },
    );
    wake(q);
    Ok(out)
}

/// A FIFO send without a deduplication id to a queue without
/// content-based deduplication.
fn no_dedup_id() -> AwsError {
    invalid_parameter(
        "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
    )
}

/// SendMessage.
pub fn send(req: &Request, input: input::SendMessage<'_>) -> Result<Value, AwsError> {
    let (q, _) = queues::resolve(req, input.queue_url())?;
    let sent = send_one(req, &q, &Outgoing::of_send(input), &Sending::of(req, false))?;
    Ok(output::SendMessage::new()
        .message_id(sent.message_id)
        .md5_of_message_body(sent.md5_of_body)
        .md5_of_message_attributes(sent.md5_of_attributes)
        .md5_of_message_system_attributes(sent.md5_of_system_attributes)
        .sequence_number(sent.sequence_number)
        .into())
}

/// The entries of a batch request, each through its view (an entry that is
/// not a structure reads as having no members).
fn entries<'a, T>(list: Option<List<'a, T>>, view: fn(&'a Value) -> T) -> Vec<T>
where
    T: ruststack_sdk::protocol::typed::FromValue<'a> + 'a,
{
    list.map(|l| l.values().iter().map(view).collect())
        .unwrap_or_default()
}

/// Checks the shape of a batch: 1 to 10 entries with distinct, valid ids.
fn check_batch(op: &str, ids: &[&str]) -> Result<(), AwsError> {
    if ids.is_empty() {
        return Err(errors::empty_batch(op));
    }
    if ids.len() > 10 {
        return Err(errors::too_many_entries(ids.len()));
    }
    let mut seen = HashSet::new();
    for &id in ids {
        if !ruststack_sdk::ids::is_short_name(id) {
            return Err(errors::invalid_batch_id());
        }
        if !seen.insert(id) {
            return Err(errors::ids_not_distinct(id));
        }
    }
    Ok(())
}

fn batch_error(id: &str, e: &AwsError) -> Value {
    out::BatchResultErrorEntry::new()
        .id(id)
        .code(e.query_error_code())
        .message(e.message.clone())
        .sender_fault(e.sender_fault)
        .into()
}

/// Splits per-entry results (successful entries already carrying their
/// `Id`) into AWS's Successful and Failed lists.
fn batch_output(results: Vec<(String, Result<Value, AwsError>)>) -> (Vec<Value>, Vec<Value>) {
    let mut ok = Vec::new();
    let mut failed = Vec::new();
    for (id, r) in results {
        match r {
            Ok(v) => ok.push(v),
            Err(e) => failed.push(batch_error(&id, &e)),
        }
    }
    (ok, failed)
}

/// SendMessageBatch. The whole request fails for a batch over the service
/// limit and, on a FIFO queue, for an entry without a group id or (without
/// content-based deduplication) a deduplication id, as on AWS; other
/// problems fail only their entry.
pub fn send_batch(req: &Request, input: input::SendMessageBatch<'_>) -> Result<Value, AwsError> {
    let (q, _) = queues::resolve(req, input.queue_url())?;
    let entries = entries(input.entries(), SendMessageBatchRequestEntry);
    let ids: Vec<&str> = entries.iter().map(|e| e.id().unwrap_or_default()).collect();
    check_batch("SendMessageBatch", &ids)?;
    let total: usize = entries
        .iter()
        .map(|e| {
            e.message_body().map_or(0, str::len)
                + e.message_attributes()
                    .map_or(Ok(0), |a| check_attrs(a.values()))
                    .unwrap_or(0)
        })
        .sum();
    if total as u64 > MAX_PAYLOAD {
        return Err(errors::batch_too_long(MAX_PAYLOAD, total as u64));
    }
    if q.fifo() {
        for e in &entries {
            if e.message_group_id().is_none() {
                return Err(invalid_parameter(
                    "The request must contain the parameter MessageGroupId.",
                ));
            }
            if e.message_deduplication_id().is_none() && !q.flag("ContentBasedDeduplication") {
                return Err(no_dedup_id());
            }
        }
    }
    let how = Sending::of(req, true);
    let results = entries
        .iter()
        .map(|e| {
            let id = e.id().unwrap_or_default();
            let sent = send_one(req, &q, &Outgoing::of_entry(*e), &how).map(|s| {
                out::SendMessageBatchResultEntry::new()
                    .id(id)
                    .message_id(s.message_id)
                    .md5_of_message_body(s.md5_of_body)
                    .md5_of_message_attributes(s.md5_of_attributes)
                    .md5_of_message_system_attributes(s.md5_of_system_attributes)
                    .sequence_number(s.sequence_number)
                    .into()
            });
            (id.to_string(), sent)
        })
        .collect();
    let (ok, failed) = batch_output(results);
    Ok(output::SendMessageBatch::new()
        .successful(ok)
        .failed(failed)
        .into())
}

// ----- receive -----

fn names(v: Option<List<'_, &str>>) -> Vec<String> {
    typed::each(v).map(str::to_string).collect()
}

/// The system attributes of a received message that were asked for.
fn system_attributes(
    q: &Queue,
    m: &Msg,
    c: &Content,
    seq: u64,
    wanted: &[String],
) -> Map<String, Value> {
    let all = wanted.iter().any(|n| n == "All");
    let want = |n: &str| all || wanted.iter().any(|w| w == n);
    let mut out = Map::new();
    let mut put = |n: &str, v: String| {
        if want(n) {
            out.insert(n.to_string(), json!(v));
        }
    };
    put("SenderId", m.sender.clone());
    put("SentTimestamp", m.sent_ms.to_string());
    put("ApproximateReceiveCount", m.receive_count.to_string());
    put(
        "ApproximateFirstReceiveTimestamp",
        m.first_receive_ms.to_string(),
    );
    if q.fifo() {
        put("SequenceNumber", format!("{seq:020}"));
        if let Some(d) = &m.dedup {
            put("MessageDeduplicationId", d.clone());
        }
        if let Some(g) = &m.group {
            put("MessageGroupId", g.clone());
        }
    }
    if let Some(t) = c
        .sys_attrs
        .get("AWSTraceHeader")
        .and_then(|a| a["StringValue"].as_str())
    {
        put("AWSTraceHeader", t.to_string());
    }
    if let Some(src) = &m.dlq_source {
        put("DeadLetterQueueSourceArn", src.clone());
    }
    out
}

/// The message attributes asked for: names, `All`, `*`, or `prefix.*`,
/// which AWS matches as a plain string prefix (`Hel.*` takes `Hello` and
/// `Help.Me`; `.*` takes all).
fn message_attributes(c: &Content, wanted: &[String]) -> Map<String, Value> {
    c.attrs
        .iter()
        .filter(|(name, _)| {
            wanted.iter().any(|w| {
                w == "All"
                    || w == "*"
                    || *w == **name
                    || w.strip_suffix(".*").is_some_and(|p| name.starts_with(p))
            })
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Whether a MessageAttributeNames entry is a filter AWS applies: `All`,
/// `*`, `.*`, `<prefix>.*` or a valid attribute name.
fn is_attr_filter(w: &str) -> bool {
    matches!(w, "All" | "*" | ".*") || valid_attr_name(w.strip_suffix(".*").unwrap_or(w))
}

/// How many visible messages a receive from `q` passes over before it claims
/// any: none on a first run or for a FIFO queue (its order is the contract);
/// after `attempt` lost races, a random number up to several times `max`
/// (enough for a few dozen consumers to land on different messages).
fn pass_over_count(q: &Queue, attempt: u32, max: usize) -> usize {
    if attempt == 0 || q.fifo() {
        return 0;
    }
    let span = attempt.min(8) as u64 * max as u64 * 8;
    (random_u64() % span) as usize
}

/// Moves a message to its queue's dead-letter queue (within this request).
fn dead_letter(q: &Queue, from_seq: u64, raw: &[u8], m: &Msg, target: &Queue) -> bool {
    if !msgs().replace(&q.key().u64(from_seq), raw, None) {
        return false;
    }
    let mut moved = m.clone();
    moved.receive_count = 0;
    moved.first_receive_ms = 0;
    moved.visible_at = now_ms();
    moved.dlq_source = Some(q.arn());
    let seq = add(target, &moved);
    move_content(q, from_seq, target, seq);
    wake(target);
    true
}

/// ReceiveMessage: claims up to MaxNumberOfMessages visible messages (FIFO:
/// in order per group, group by group, a group's messages only up to its
/// first one in flight, so a group with a message in flight gives nothing
/// later until that one is deleted or visible again); with
/// nothing to return and WaitTimeSeconds left, asks the host to wait on the
/// queue's wake key until a send or the next message becomes visible.
pub fn receive(req: &Request, input: input::ReceiveMessage<'_>) -> Result<Reply, AwsError> {
    let (q, _) = queues::resolve(req, input.queue_url())?;
    let max = match input.max_number_of_messages() {
        Some(n) if !(1..=10).contains(&n) => {
            return Err(invalid_parameter(format!(
                "Value {n} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided."
            )));
        }
        Some(n) => n as usize,
        None => 1,
    };
    let vt = match input.visibility_timeout() {
        Some(v) if !(0..=43_200).contains(&v) => {
            return Err(invalid_parameter(format!(
                "Value {v} for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200, if provided."
            )));
        }
        Some(v) => v as u64,
        None => q.int("VisibilityTimeout"),
    };
    let wait_s = match input.wait_time_seconds() {
        Some(w) if !(0..=20).contains(&w) => {
            return Err(invalid_parameter(format!(
                "Value {w} for parameter WaitTimeSeconds is invalid. Reason: Must be >= 0 and <= 20, if provided."
            )));
        }
        Some(w) => w as u64,
        None => q.int("ReceiveMessageWaitTimeSeconds"),
    };
    let mut sys_wanted = names(input.attribute_names());
    sys_wanted.extend(names(input.message_system_attribute_names()));
    let attr_wanted = names(input.message_attribute_names());
    let redrive = q
        .attrs
        .get("RedrivePolicy")
        .and_then(|p| attributes::parse_redrive(p))
        .and_then(|r| queues::by_arn(&r.target_arn).map(|t| (r.max_receive_count, t)));

    let now = now_ms();
    let attempt = input.receive_request_attempt_id().filter(|_| q.fifo());
    if let Some(id) = attempt
        && let Some(again) = repeat_attempt(&q, id, now, &sys_wanted, &attr_wanted)
    {
        return Ok(Value::from(output::ReceiveMessage::new().messages(again)).into());
    }
    let mut out = Vec::new();
    let mut claimed_seqs = Vec::new();
    let mut next_visible: Option<u64> = None;
    let mut blocked: HashSet<String> = HashSet::new();
    let mut after: Option<Vec<u8>> = None;
    // Claims a visible message for this receive; false if it is gone or went
    // to the dead-letter queue instead.
    let mut claim = |seq: u64, out: &mut Vec<Value>| {
        let key = q.key().u64(seq);
        let Some((current, raw)) = msgs().get_raw(&key) else {
            return false;
        };
        if let Some((max_receives, target)) = &redrive
            && current.receive_count >= *max_receives
        {
            dead_letter(&q, seq, &raw, &current, target);
            return false;
        }
        let mut claimed = current.clone();
        claimed.receive_count += 1;
        if claimed.first_receive_ms == 0 {
            claimed.first_receive_ms = now;
        }
        claimed.visible_at = now + vt * 1000;
        claimed.nonce = random_hex(8);
        if !msgs().replace(&key, &raw, Some(&claimed)) {
            return false;
        }
        out.push(render(&q, &claimed, seq, &sys_wanted, &attr_wanted));
        claimed_seqs.push((seq, claimed.nonce.clone()));
        true
    };
    // A standard queue's receive that lost races for the first visible
    // messages (other consumers claimed them) passes over a random number
    // of them when run again, and takes them only if it finds too few
    // further on, nearest first; uncontended receives keep the queue's order.
    let mut pass_over = pass_over_count(&q, req.context.attempt, max);
    let mut passed = Vec::new();
    // FIFO: the receivable messages of each group, groups in the order of
    // their first such message. AWS hands out a group's messages together
    // (g1-m1, g1-m2, then g2-m1), so they are claimed group by group once
    // enough are known (the rest of the page where that happened is still
    // looked at, for later messages of the groups already seen).
    let fifo = q.fifo();
    let mut groups: Vec<(String, Vec<u64>)> = Vec::new();
    let mut group_index: std::collections::HashMap<String, usize> = Default::default();
    let mut candidates = 0usize;
    // Pages start small (a receive usually finds its messages at the head of
    // the queue, and every listed record is parsed) and double up to
    // `SCAN_PAGE_MAX` while the scan goes on past messages in flight.
    let mut page_size = (2 * max as u32).max(4);
    'scan: loop {
        let page = msgs().list(&q.key(), after.as_deref(), page_size);
        page_size = (page_size * 2).min(SCAN_PAGE_MAX);
        for (short, m) in &page.items {
            let seq = seq_of(short);
            let key = q.key().u64(seq);
            if expired(&q, m, now) {
                if let Some((_, raw)) = msgs().get_raw(&key)
                    && msgs().replace(&key, &raw, None)
                {
                    bodies().delete(&key);
                }
                continue;
            }
            let group = m.group.clone().unwrap_or_default();
            if q.fifo() && blocked.contains(&group) {
                continue;
            }
            if m.visible_at > now {
                next_visible = Some(next_visible.map_or(m.visible_at, |n| n.min(m.visible_at)));
                if q.fifo() {
                    blocked.insert(group);
                }
                continue;
            }
            if fifo {
                match group_index.get(&group) {
                    Some(&i) => groups[i].1.push(seq),
                    None => {
                        group_index.insert(group.clone(), groups.len());
                        groups.push((group, vec![seq]));
                    }
                }
                candidates += 1;
                continue;
            }
            if pass_over > 0 {
                pass_over -= 1;
                passed.push(seq);
                continue;
            }
            if claim(seq, &mut out) && out.len() >= max {
                break 'scan;
            }
        }
        if fifo && candidates >= max {
            break;
        }
        match page.next {
            Some(n) => after = Some(n),
            None => break,
        }
    }
    'groups: for (_, seqs) in &groups {
        for &seq in seqs {
            if out.len() >= max {
                break 'groups;
            }
            claim(seq, &mut out);
        }
    }
    for seq in passed.into_iter().rev() {
        if out.len() >= max {
            break;
        }
        claim(seq, &mut out);
    }
    if out.is_empty() && wait_s > 0 && !req.context.final_call {
        let deadline = req.context.received_at_ms + wait_s * 1000;
        if now < deadline {
            let mut until = deadline;
            if let Some(v) = next_visible {
                until = until.min(v.max(now + 1));
            }
            let ms = (until - now).min(u32::MAX as u64) as u32;
            return Ok(Reply::wait(&wake_key(&q), ms.max(1)));
        }
    }
    if let Some(id) = attempt
        && !claimed_seqs.is_empty()
    {
        attempts().put(
            &q.key().str(id),
            &Attempt {
                messages: claimed_seqs,
                until_ms: now + DEDUP_WINDOW_MS,
            },
        );
    }
    let mut value = output::ReceiveMessage::new();
    if !out.is_empty() {
        value.set_messages(out);
    }
    Ok(Value::from(value).into())
}

/// The most message records a receive lists (and parses) at once.
const SCAN_PAGE_MAX: u32 = 256;

/// A FIFO receive attempt, remembered for 5 minutes so that a retried
/// ReceiveMessage with the same ReceiveRequestAttemptId gets the same
/// messages (and receipt handles) while they are still in flight.
#[derive(Serialize, Deserialize)]
struct Attempt {
    messages: Vec<(u64, String)>,
    until_ms: u64,
}

fn attempts() -> Table<Attempt> {
    Table::new("attempts")
}

fn repeat_attempt(
    q: &Queue,
    id: &str,
    now: u64,
    sys_wanted: &[String],
    attr_wanted: &[String],
) -> Option<Vec<Value>> {
    let a = attempts()
        .get(&q.key().str(id))
        .filter(|a| a.until_ms > now)?;
    let again: Vec<Value> = a
        .messages
        .iter()
        .filter_map(|(seq, nonce)| {
            let m = msgs().get(&q.key().u64(*seq))?;
            (m.nonce == *nonce && m.visible_at > now)
                .then(|| render(q, &m, *seq, sys_wanted, attr_wanted))
        })
        .collect();
    (!again.is_empty()).then_some(again)
}

fn render(q: &Queue, m: &Msg, seq: u64, sys_wanted: &[String], attr_wanted: &[String]) -> Value {
    let c = bodies().get(&q.key().u64(seq)).unwrap_or_default();
    let mut v = out::Message::new()
        .message_id(m.id.clone())
        .receipt_handle(receipt(q, seq, &m.nonce))
        .md5_of_body(md5_hex(c.body.as_bytes()));
    let sys = system_attributes(q, m, &c, seq, sys_wanted);
    if !sys.is_empty() {
        v.set_attributes(Value::Object(sys));
    }
    let attrs = message_attributes(&c, attr_wanted);
    if !attrs.is_empty() {
        v.set_md5_of_message_attributes(attributes_md5(&attrs));
        v.set_message_attributes(Value::Object(attrs));
    } else if !c.attrs.is_empty() && attr_wanted.iter().any(|w| is_attr_filter(w)) {
        // Names asked for that match none of the message's attributes: AWS
        // answers an empty map (and no digest); names that are no valid
        // filter (`AWS.`, `..foo`) are ignored.
        v.set_message_attributes(json!({}));
    }
    v.body(c.body).into()
}

// ----- delete and visibility -----

fn delete_one(q: &Queue, handle: &str) -> Result<Value, AwsError> {
    let (seq, nonce) = parse_receipt(q, handle)?;
    let key = q.key().u64(seq);
    let Some((m, raw)) = msgs().get_raw(&key) else {
        return Ok(json!({}));
    };
    // A FIFO queue holds its group for the receive a handle belongs to only
    // while that receive's visibility lasts; later the handle has expired.
    // A standard queue deletes with any handle of the message's last receive.
    if q.fifo() && (m.nonce != nonce || m.visible_at <= now_ms()) {
        return Err(invalid_parameter(format!(
            "Value {handle} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired."
        )));
    }
    if m.nonce == nonce && msgs().replace(&key, &raw, None) {
        bodies().delete(&key);
    }
    Ok(json!({}))
}

/// DeleteMessage: a stale or repeated handle succeeds without effect, as on AWS.
pub fn delete(req: &Request, input: input::DeleteMessage<'_>) -> Result<Value, AwsError> {
    let (q, _) = queues::resolve(req, input.queue_url())?;
    delete_one(&q, input.receipt_handle().unwrap_or_default())
}

/// DeleteMessageBatch.
pub fn delete_batch(
    req: &Request,
    input: input::DeleteMessageBatch<'_>,
) -> Result<Value, AwsError> {
    let (q, _) = queues::resolve(req, input.queue_url())?;
    let entries = entries(input.entries(), DeleteMessageBatchRequestEntry);
    let ids: Vec<&str> = entries.iter().map(|e| e.id().unwrap_or_default()).collect();
    check_batch("DeleteMessageBatch", &ids)?;
    let results = entries
        .iter()
        .map(|e| {
            let id = e.id().unwrap_or_default();
            let r = delete_one(&q, e.receipt_handle().unwrap_or_default())
                .map(|_| out::DeleteMessageBatchResultEntry::new().id(id).into());
            (id.to_string(), r)
        })
        .collect();
    let (ok, failed) = batch_output(results);
    Ok(output::DeleteMessageBatch::new()
        .successful(ok)
        .failed(failed)
        .into())
}

fn change_one(q: &Queue, handle: &str, timeout: Option<i64>) -> Result<Value, AwsError> {
    let (seq, nonce) = parse_receipt(q, handle)?;
    let timeout = match timeout {
        Some(t) if (0..=43_200).contains(&t) => t as u64,
        Some(t) => {
            return Err(invalid_parameter(format!(
                "Value {t} for parameter VisibilityTimeout is invalid. Reason: Must be >= 0 and <= 43200, if provided."
            )));
        }
        None => return Err(missing_parameter("VisibilityTimeout")),
    };
    let key = q.key().u64(seq);
    let Some((mut m, raw)) = msgs().get_raw(&key).filter(|(m, _)| m.nonce == nonce) else {
        return Err(invalid_parameter(format!(
            "Value {handle} for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change."
        )));
    };
    let now = now_ms();
    if m.visible_at <= now {
        // Visible again already: AWS answers 200 and changes nothing.
        return Ok(json!({}));
    }
    if now + timeout * 1000 > m.first_receive_ms + 43_200_000 {
        return Err(invalid_parameter(format!(
            "Value {timeout} for parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [43200 seconds]"
        )));
    }
    m.visible_at = now + timeout * 1000;
    msgs().replace(&key, &raw, Some(&m));
    if timeout == 0 {
        wake(q);
    }
    Ok(json!({}))
}

/// ChangeMessageVisibility.
pub fn change_visibility(
    req: &Request,
    input: input::ChangeMessageVisibility<'_>,
) -> Result<Value, AwsError> {
    let (q, _) = queues::resolve(req, input.queue_url())?;
    change_one(
        &q,
        input.receipt_handle().unwrap_or_default(),
        input.visibility_timeout(),
    )
}

/// ChangeMessageVisibilityBatch.
pub fn change_visibility_batch(
    req: &Request,
    input: input::ChangeMessageVisibilityBatch<'_>,
) -> Result<Value, AwsError> {
    let (q, _) = queues::resolve(req, input.queue_url())?;
    let entries = entries(input.entries(), ChangeMessageVisibilityBatchRequestEntry);
    let ids: Vec<&str> = entries.iter().map(|e| e.id().unwrap_or_default()).collect();
    check_batch("ChangeMessageVisibilityBatch", &ids)?;
    let results = entries
        .iter()
        .map(|e| {
            let id = e.id().unwrap_or_default();
            let r = change_one(
                &q,
                e.receipt_handle().unwrap_or_default(),
                e.visibility_timeout().or(Some(0)),
            )
            .map(|_| {
                out::ChangeMessageVisibilityBatchResultEntry::new()
                    .id(id)
                    .into()
            });
            (id.to_string(), r)
        })
        .collect();
    let (ok, failed) = batch_output(results);
    Ok(output::ChangeMessageVisibilityBatch::new()
        .successful(ok)
        .failed(failed)
        .into())
}

/// Moves every message of `source` to `destination`, or back to the queue
/// it was dead-lettered from; returns how many moved.
pub fn move_all(source: &Queue, destination: Option<&Queue>) -> u64 {
    let mut moved = 0;
    msgs().for_each(&source.key(), |short, m| {
        let target = match destination {
            Some(d) => Some(d.clone()),
            None => m.dlq_source.as_deref().and_then(queues::by_arn),
        };
        let Some(target) = target else {
            return ControlFlow::Continue(());
        };
        let from_seq = seq_of(short);
        let key = source.key().u64(from_seq);
        let Some((_, raw)) = msgs().get_raw(&key) else {
            return ControlFlow::Continue(());
        };
        if !msgs().replace(&key, &raw, None) {
            return ControlFlow::Continue(());
        }
        let mut m = m;
        m.receive_count = 0;
        m.first_receive_ms = 0;
        m.visible_at = now_ms();
        m.dlq_source = None;
        let seq = add(&target, &m);
        move_content(source, from_seq, &target, seq);
        wake(&target);
        moved += 1;
        ControlFlow::Continue(())
    });
    moved
}
