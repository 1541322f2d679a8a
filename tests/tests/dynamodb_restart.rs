//! Tables, items, index entries, TTL settings and stream records survive a SIGKILL; the TTL
//! sweep really deletes expired items, as often as `--set dynamodb.ttl-sweep-seconds` says.

use ruststack_tests::{Server, json_call, persistent_server};
use serde_json::{Value, json};

fn call(url: &str, op: &str, body: Value) -> (u16, Value) {
    json_call(url, &format!("DynamoDB_20120810.{op}"), &body.to_string())
}

/// A TTL attribute value: the epoch second `delta` seconds from now.
fn epoch_secs_from_now(delta: i64) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    (now + delta).to_string()
}

#[test]
fn state_survives_sigkill() {
    let (mut s, _data, _plugins) = persistent_server(&["dynamodb"]);
    let (st, b) = call(
        &s.url,
        "CreateTable",
        json!({
            "TableName": "Durable",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}, {"AttributeName": "g", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            "GlobalSecondaryIndexes": [{"IndexName": "byG", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}], "Projection": {"ProjectionType": "ALL"}}],
            "BillingMode": "PAY_PER_REQUEST",
            "StreamSpecification": {"StreamEnabled": true, "StreamViewType": "KEYS_ONLY"},
        }),
    );
    assert_eq!(st, 200, "{b}");
    for i in 0..5 {
        let (st, _) = call(
            &s.url,
            "PutItem",
            json!({"TableName": "Durable", "Item": {"pk": {"S": "p"}, "sk": {"N": i.to_string()}, "g": {"S": "grp"}}}),
        );
        assert_eq!(st, 200);
    }
    let (st, _) = call(
        &s.url,
        "UpdateTimeToLive",
        json!({"TableName": "Durable", "TimeToLiveSpecification": {"Enabled": true, "AttributeName": "exp"}}),
    );
    assert_eq!(st, 200);
    s.restart();
    let (_, d) = call(&s.url, "DescribeTable", json!({"TableName": "Durable"}));
    assert_eq!(d["Table"]["ItemCount"], 5, "{d}");
    let (_, q) = call(
        &s.url,
        "Query",
        json!({"TableName": "Durable", "IndexName": "byG",
        "KeyConditionExpression": "g = :g", "ExpressionAttributeValues": {":g": {"S": "grp"}}}),
    );
    assert_eq!(q["Count"], 5, "{q}");
    let arn = d["Table"]["LatestStreamArn"].as_str().unwrap().to_string();
    let it = json_call(
        &s.url,
        "DynamoDBStreams_20120810.GetShardIterator",
        &json!({"StreamArn": arn, "ShardId": "shardId-00000000000000000001-00000001", "ShardIteratorType": "TRIM_HORIZON"}).to_string(),
    )
    .1;
    let recs = json_call(
        &s.url,
        "DynamoDBStreams_20120810.GetRecords",
        &json!({"ShardIterator": it["ShardIterator"]}).to_string(),
    )
    .1;
    assert_eq!(
        recs["Records"].as_array().map(Vec::len),
        Some(5),
        "stream records survive: {recs}"
    );
    let (_, t) = call(
        &s.url,
        "DescribeTimeToLive",
        json!({"TableName": "Durable"}),
    );
    assert_eq!(t["TimeToLiveDescription"]["TimeToLiveStatus"], "ENABLED");

    // The sweep (a persisted timer chain) deletes expired items after the restart too.
    let past = epoch_secs_from_now(-60);
    let future = epoch_secs_from_now(3600);
    call(
        &s.url,
        "PutItem",
        json!({"TableName": "Durable", "Item": {"pk": {"S": "ttl"}, "sk": {"N": "1"}, "exp": {"N": past}}}),
    );
    call(
        &s.url,
        "PutItem",
        json!({"TableName": "Durable", "Item": {"pk": {"S": "ttl"}, "sk": {"N": "2"}, "exp": {"N": future}}}),
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let (_, q) = call(
            &s.url,
            "Query",
            json!({"TableName": "Durable",
            "KeyConditionExpression": "pk = :p", "ExpressionAttributeValues": {":p": {"S": "ttl"}}}),
        );
        if q["Count"] == 1 {
            assert_eq!(q["Items"][0]["sk"]["N"], "2");
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "expired item never swept: {q}"
        );
        std::thread::sleep(std::time::Duration::from_millis(500));
    }
}

/// `--set dynamodb.ttl-sweep-seconds` is read: with an hour between sweeps, an
/// item expired long ago is still there after the default interval (5 s) has
/// passed twice, in a table whose TTL was enabled before the item was written.
#[test]
fn ttl_sweep_interval_is_a_setting() {
    let s = Server::start(&["--ephemeral", "--set", "dynamodb.ttl-sweep-seconds=3600"]);
    let (st, b) = call(
        &s.url,
        "CreateTable",
        json!({
            "TableName": "Slow",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
        }),
    );
    assert_eq!(st, 200, "{b}");
    let (st, b) = call(
        &s.url,
        "UpdateTimeToLive",
        json!({"TableName": "Slow", "TimeToLiveSpecification": {"Enabled": true, "AttributeName": "exp"}}),
    );
    assert_eq!(st, 200, "{b}");
    let past = epoch_secs_from_now(-3600);
    let (st, b) = call(
        &s.url,
        "PutItem",
        json!({"TableName": "Slow", "Item": {"pk": {"S": "old"}, "exp": {"N": past}}}),
    );
    assert_eq!(st, 200, "{b}");
    std::thread::sleep(std::time::Duration::from_secs(11));
    let (st, got) = call(
        &s.url,
        "GetItem",
        json!({"TableName": "Slow", "Key": {"pk": {"S": "old"}}}),
    );
    assert_eq!(st, 200, "{got}");
    assert_eq!(
        got["Item"]["pk"]["S"], "old",
        "swept before the set interval: {got}"
    );
}
