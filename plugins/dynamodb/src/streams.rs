//! DynamoDB Streams (`X-Amz-Target: DynamoDBStreams_20120810.*`): every item
//! write of a table whose stream is enabled appends a record under
//! `sr/<stream arn>/<sequence>`; ListStreams, DescribeStream,
//! GetShardIterator and GetRecords read them. Each stream has one shard.
//! Sequence numbers come from a per-stream counter advanced by
//! compare-and-set, so concurrent writers get distinct, ordered numbers.

use ruststack_sdk::AwsError;
use ruststack_sdk::keys::Key;
use ruststack_sdk::kv;
use ruststack_sdk::protocol::ops::dynamodbstreams::Op;
use ruststack_sdk::protocol::shapes::dynamodbstreams::{input, out, output};
use ruststack_sdk::table::Table;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::attr::Item;
use crate::error::{Res, validation};
use crate::table::TableMeta;

/// The id of a stream's only shard.
pub const SHARD_ID: &str = "shardId-00000000000000000001-00000001";

/// Sequence numbers are this base plus a counter (21 digits, as AWS's look).
const SEQ_BASE: u128 = 100_000_000_000_000_000_000;

/// How long a shard iterator stays valid.
const ITERATOR_TTL_MS: u64 = 15 * 60 * 1000;

/// A stream's registration.
#[derive(Serialize, Deserialize, Clone, Debug)]
pub struct StreamInfo {
    pub arn: String,
    pub table: String,
    pub label: String,
    pub view_type: String,
    pub key_schema: Value,
    pub created: f64,
    pub enabled: bool,
}

fn registry() -> Table<StreamInfo> {
    Table::new("st")
}

/// Registers a newly enabled stream.
pub fn register(info: StreamInfo) {
    registry().put(&Key::new().str(&info.arn), &info);
}

/// Marks a stream disabled (its records stay readable).
pub fn disable(arn: &str) {
    let k = Key::new().str(arn);
    if let Some(mut s) = registry().get(&k) {
        s.enabled = false;
        registry().put(&k, &s);
    }
}

fn counter_key(arn: &str) -> Vec<u8> {
    Key::new().str("sq").str(arn).into_bytes()
}

fn record_key(arn: &str, seq: u64) -> Vec<u8> {
    Key::new().str("sr").str(arn).u64(seq).into_bytes()
}

fn seq_text(seq: u64) -> String {
    (SEQ_BASE + seq as u128).to_string()
}

fn parse_seq(s: &str) -> Option<u64> {
    s.parse::<u128>()
        .ok()?
        .checked_sub(SEQ_BASE)
        .map(|n| n as u64)
}

/// Appends the stream record of one item change, if the table has an enabled stream.
/// `by_ttl` marks deletions made by the TTL sweep (service principal identity).
pub fn record(meta: &TableMeta, old: Option<&Item>, new: Option<&Item>, by_ttl: bool) {
    let spec = meta.view().stream_specification();
    if spec.and_then(|s| s.stream_enabled()) != Some(true) {
        return;
    }
    let Some(arn) = meta.view().latest_stream_arn() else {
        return;
    };
    let view = spec
        .and_then(|s| s.stream_view_type())
        .unwrap_or("NEW_AND_OLD_IMAGES");
    if let (Some(o), Some(n)) = (old, new)
        && o == n
    {
        // An unchanged item writes no stream record.
        return;
    }
    let event = match (old, new) {
        (None, Some(_)) => "INSERT",
        (Some(_), Some(_)) => "MODIFY",
        (Some(_), None) => "REMOVE",
        (None, None) => return,
    };
    let ck = counter_key(arn);
    let seq = loop {
        let raw = kv::get(&ck);
        let cur: u64 = raw
            .as_deref()
            .and_then(|b| std::str::from_utf8(b).ok()?.parse().ok())
            .unwrap_or(0);
        let next = (cur + 1).to_string();
        if kv::compare_and_set(&ck, raw.as_deref(), Some(next.as_bytes())) {
            break cur + 1;
        }
    };
    let any = new.or(old).expect("one image exists");
    let keys: Item = meta
        .key_names()
        .iter()
        .filter_map(|k| any.get(k).map(|v| (k.clone(), v.clone())))
        .collect();
    let mut d = json!({
        "ApproximateCreationDateTime": ruststack_sdk::ids::now_ms() / 1000,
        "Keys": keys,
        "SequenceNumber": seq_text(seq),
        "StreamViewType": view,
    });
    if matches!(view, "NEW_IMAGE" | "NEW_AND_OLD_IMAGES")
        && let Some(n) = new
    {
        d["NewImage"] = Value::Object(n.clone());
    }
    if matches!(view, "OLD_IMAGE" | "NEW_AND_OLD_IMAGES")
        && let Some(o) = old
    {
        d["OldImage"] = Value::Object(o.clone());
    }
    d["SizeBytes"] = json!(serde_json::to_vec(&d).map_or(0, |b| b.len()));
    let region = ruststack_sdk::ids::parse_arn(arn)
        .map(|a| a.region)
        .unwrap_or_default();
    let mut rec = json!({
        "eventID": ruststack_sdk::ids::random_hex(16),
        "eventName": event,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,
        "dynamodb": d,
    });
    if by_ttl {
        rec["userIdentity"] = json!({"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"});
    }
    kv::put(
        &record_key(arn, seq),
        &serde_json::to_vec(&rec).expect("JSON values serialize"),
    );
    if seq % 64 == 0 {
        trim(arn);
    }
}

/// How long stream records are kept, as on AWS.
const RETENTION_SECS: u64 = 24 * 3600;

/// Drops records older than the retention period (a few at a time, so
/// writes stay cheap).
fn trim(arn: &str) {
    let prefix = Key::new().str("sr").str(arn).into_bytes();
    let cutoff = (ruststack_sdk::ids::now_ms() / 1000).saturating_sub(RETENTION_SECS);
    for (k, v) in kv::scan_prefix(&prefix, None, 64) {
        let at = serde_json::from_slice::<Value>(&v)
            .ok()
            .and_then(|r| r["dynamodb"]["ApproximateCreationDateTime"].as_u64())
            .unwrap_or(u64::MAX);
        if at >= cutoff {
            break;
        }
        kv::delete(&k);
    }
}

fn stream_not_found(arn: &str) -> crate::error::DdbError {
    AwsError::client(
        "ResourceNotFoundException",
        format!("Requested resource not found: Stream: {arn} not found"),
    )
    .into()
}

fn load(arn: &str) -> Res<StreamInfo> {
    registry()
        .get(&Key::new().str(arn))
        .ok_or_else(|| stream_not_found(arn))
}

/// Runs one DynamoDB Streams operation on its decoded input: every one of
/// the model is handled, so a new model operation does not compile until it
/// has an arm. Each handler reads the typed view of its input shape.
pub fn dispatch(op: &str, decoded: &Value) -> Res<Value> {
    let Some(op) = Op::from_name(op) else {
        return Err(AwsError::not_implemented(op).into());
    };
    match op {
        Op::ListStreams => list(input::ListStreams(decoded)),
        Op::DescribeStream => describe(input::DescribeStream(decoded)),
        Op::GetShardIterator => iterator(input::GetShardIterator(decoded)),
        Op::GetRecords => records(input::GetRecords(decoded)),
    }
}

/// A `Limit` as a count from 1 to `max` (`default` when absent).
fn limit(asked: Option<i64>, default: u64, max: u64) -> u64 {
    asked
        .and_then(|l| u64::try_from(l).ok())
        .unwrap_or(default)
        .clamp(1, max)
}

fn list(input: input::ListStreams<'_>) -> Res<Value> {
    let limit = limit(input.limit(), 100, 100) as usize;
    let table = input.table_name();
    let after = input
        .exclusive_start_stream_arn()
        .map(|a| Key::new().str(a).into_bytes());
    let all = registry().all();
    let mut streams: Vec<&StreamInfo> = all
        .iter()
        .filter(|(k, _)| after.as_ref().is_none_or(|a| k > a))
        .map(|(_, s)| s)
        .filter(|s| table.is_none_or(|t| s.table == t))
        .collect();
    let more = streams.len() > limit;
    streams.truncate(limit);
    let last = streams.last().filter(|_| more).map(|s| s.arn.as_str());
    let listed: Vec<out::Stream> = streams
        .iter()
        .map(|s| {
            out::Stream::new()
                .stream_arn(s.arn.as_str())
                .table_name(s.table.as_str())
                .stream_label(s.label.as_str())
        })
        .collect();
    Ok(output::ListStreams::new()
        .streams(listed)
        .last_evaluated_stream_arn(last)
        .into())
}

fn first_seq(arn: &str) -> Option<u64> {
    let prefix = Key::new().str("sr").str(arn).into_bytes();
    kv::scan_prefix(&prefix, None, 1)
        .first()
        .and_then(|(k, _)| {
            let tail: [u8; 8] = k[k.len() - 8..].try_into().ok()?;
            Some(u64::from_be_bytes(tail))
        })
}

fn last_seq(arn: &str) -> u64 {
    kv::get(&counter_key(arn))
        .and_then(|b| String::from_utf8(b).ok()?.parse().ok())
        .unwrap_or(0)
}

fn describe(input: input::DescribeStream<'_>) -> Res<Value> {
    let arn = input.stream_arn().unwrap_or("");
    let s = load(arn)?;
    let mut range = out::SequenceNumberRange::new()
        .starting_sequence_number(seq_text(first_seq(arn).unwrap_or(last_seq(arn) + 1)));
    if !s.enabled {
        range.set_ending_sequence_number(seq_text(last_seq(arn)));
    }
    let shard = out::Shard::new()
        .shard_id(SHARD_ID)
        .sequence_number_range(range);
    let description = out::StreamDescription::new()
        .stream_arn(s.arn)
        .stream_label(s.label)
        .stream_status(if s.enabled { "ENABLED" } else { "DISABLED" })
        .stream_view_type(s.view_type)
        .creation_request_date_time(s.created)
        .table_name(s.table)
        .key_schema(s.key_schema)
        .shards(vec![shard]);
    Ok(output::DescribeStream::new()
        .stream_description(description)
        .into())
}

fn make_iterator(arn: &str, next: u64, now_ms: u64) -> String {
    format!("{next}|{now_ms}|{arn}")
}

fn iterator(input: input::GetShardIterator<'_>) -> Res<Value> {
    let arn = input.stream_arn().unwrap_or("");
    load(arn)?;
    let shard = input.shard_id().unwrap_or("");
    if shard != SHARD_ID {
        return Err(AwsError::client(
            "ResourceNotFoundException",
            "Requested resource not found: Shard does not exist",
        )
        .into());
    }
    let seq = || -> Res<u64> {
        input
            .sequence_number()
            .and_then(parse_seq)
            .ok_or_else(|| validation("Invalid SequenceNumber"))
    };
    let next = match input.shard_iterator_type().unwrap_or("") {
        "TRIM_HORIZON" => first_seq(arn).unwrap_or(last_seq(arn) + 1),
        "LATEST" => last_seq(arn) + 1,
        "AT_SEQUENCE_NUMBER" => seq()?,
        "AFTER_SEQUENCE_NUMBER" => seq()? + 1,
        other => {
            return Err(validation(format!(
                "1 validation error detected: Value '{other}' at 'shardIteratorType' failed to satisfy constraint: Member must satisfy enum value set: [AFTER_SEQUENCE_NUMBER, LATEST, AT_SEQUENCE_NUMBER, TRIM_HORIZON]"
            )));
        }
    };
    Ok(output::GetShardIterator::new()
        .shard_iterator(make_iterator(arn, next, ruststack_sdk::ids::now_ms()))
        .into())
}

fn records(input: input::GetRecords<'_>) -> Res<Value> {
    let it = input.shard_iterator().unwrap_or("");
    let mut parts = it.splitn(3, '|');
    let (Some(next), Some(issued), Some(arn)) = (
        parts.next().and_then(|n| n.parse::<u64>().ok()),
        parts.next().and_then(|n| n.parse::<u64>().ok()),
        parts.next(),
    ) else {
        return Err(validation("Invalid ShardIterator"));
    };
    let now = ruststack_sdk::ids::now_ms();
    if issued + ITERATOR_TTL_MS < now {
        return Err(AwsError::client("ExpiredIteratorException", "Iterator expired").into());
    }
    let s = load(arn)?;
    let limit = limit(input.limit(), 1000, 1000) as u32;
    let start = record_key(arn, next);
    let end = ruststack_sdk::keys::prefix_end(&Key::new().str("sr").str(arn).into_bytes());
    let rows = kv::scan(&start, end.as_deref(), limit, false);
    let mut last = next.saturating_sub(1);
    let recs: Vec<Value> = rows
        .iter()
        .filter_map(|(k, v)| {
            let tail: [u8; 8] = k[k.len() - 8..].try_into().ok()?;
            last = u64::from_be_bytes(tail);
            serde_json::from_slice(v).ok()
        })
        .collect();
    let closed = !s.enabled && last >= last_seq(arn);
    let next_iterator = (!closed).then(|| make_iterator(arn, last + 1, now));
    Ok(output::GetRecords::new()
        .records(recs)
        .next_shard_iterator(next_iterator)
        .into())
}
