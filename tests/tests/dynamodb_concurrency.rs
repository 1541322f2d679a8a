//! Concurrency: conditional writes racing from many clients lose no update,
//! and transactions stay all-or-nothing under concurrent writers.

use ruststack_tests::{Server, json_call, plugin_dir};
use serde_json::{Value, json};

fn call(url: &str, op: &str, body: Value) -> (u16, Value) {
    json_call(url, &format!("DynamoDB_20120810.{op}"), &body.to_string())
}

fn setup() -> (Server, tempfile::TempDir) {
    let plugins = plugin_dir(&["dynamodb"]);
    let s = Server::start(&["--ephemeral", "--plugins", plugins.path().to_str().unwrap()]);
    let (st, b) = call(
        &s.url,
        "CreateTable",
        json!({
            "TableName": "Race",
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
        }),
    );
    assert_eq!(st, 200, "{b}");
    (s, plugins)
}

#[test]
fn sixteen_clients_racing_conditional_updates_lose_nothing() {
    let (s, _p) = setup();
    let (st, _) = call(
        &s.url,
        "PutItem",
        json!({"TableName": "Race", "Item": {"id": {"S": "c"}, "n": {"N": "0"}}}),
    );
    assert_eq!(st, 200);
    const CLIENTS: usize = 16;
    const EACH: usize = 15;
    let threads: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let url = s.url.clone();
            std::thread::spawn(move || {
                let mut conflicts = 0;
                for _ in 0..EACH {
                    // Optimistic read-modify-write: read n, write n+1 only if n is unchanged.
                    loop {
                        let (_, got) = call(&url, "GetItem", json!({"TableName": "Race", "Key": {"id": {"S": "c"}}}));
                        let n: u64 = got["Item"]["n"]["N"].as_str().unwrap().parse().unwrap();
                        let (st, body) = call(&url, "UpdateItem", json!({
                            "TableName": "Race", "Key": {"id": {"S": "c"}},
                            "UpdateExpression": "SET n = :new",
                            "ConditionExpression": "n = :old",
                            "ExpressionAttributeValues": {":new": {"N": (n + 1).to_string()}, ":old": {"N": n.to_string()}},
                        }));
                        if st == 200 {
                            break;
                        }
                        assert!(body["__type"].as_str().unwrap().ends_with("#ConditionalCheckFailedException"), "{body}");
                        conflicts += 1;
                    }
                }
                conflicts
            })
        })
        .collect();
    let conflicts: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
    let (_, got) = call(
        &s.url,
        "GetItem",
        json!({"TableName": "Race", "Key": {"id": {"S": "c"}}, "ConsistentRead": true}),
    );
    assert_eq!(
        got["Item"]["n"]["N"],
        (CLIENTS * EACH).to_string(),
        "after {conflicts} lost races"
    );
}

#[test]
fn atomic_adds_from_many_clients_all_count() {
    let (s, _p) = setup();
    let threads: Vec<_> = (0..16)
        .map(|_| {
            let url = s.url.clone();
            std::thread::spawn(move || {
                for _ in 0..20 {
                    let (st, b) = call(&url, "UpdateItem", json!({
                        "TableName": "Race", "Key": {"id": {"S": "adds"}},
                        "UpdateExpression": "ADD n :one", "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }));
                    assert_eq!(st, 200, "{b}");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let (_, got) = call(
        &s.url,
        "GetItem",
        json!({"TableName": "Race", "Key": {"id": {"S": "adds"}}}),
    );
    assert_eq!(got["Item"]["n"]["N"], "320");
}

#[test]
fn transfers_in_transactions_keep_the_total_under_concurrent_writers() {
    let (s, _p) = setup();
    for id in ["a", "b"] {
        call(
            &s.url,
            "PutItem",
            json!({"TableName": "Race", "Item": {"id": {"S": id}, "bal": {"N": "100"}}}),
        );
    }
    let threads: Vec<_> = (0..8)
        .map(|i| {
            let url = s.url.clone();
            std::thread::spawn(move || {
                let (from, to) = if i % 2 == 0 { ("a", "b") } else { ("b", "a") };
                let mut done = 0;
                for _ in 0..15 {
                    let (st, body) = call(&url, "TransactWriteItems", json!({"TransactItems": [
                        {"Update": {"TableName": "Race", "Key": {"id": {"S": from}},
                            "UpdateExpression": "SET bal = bal - :x", "ConditionExpression": "bal >= :x",
                            "ExpressionAttributeValues": {":x": {"N": "7"}}}},
                        {"Update": {"TableName": "Race", "Key": {"id": {"S": to}},
                            "UpdateExpression": "SET bal = bal + :x",
                            "ExpressionAttributeValues": {":x": {"N": "7"}}}},
                    ]}));
                    if st == 200 {
                        done += 1;
                    } else {
                        assert!(body["__type"].as_str().unwrap().ends_with("#TransactionCanceledException"), "{body}");
                        assert_eq!(body["CancellationReasons"][0]["Code"], "ConditionalCheckFailed");
                    }
                }
                done
            })
        })
        .collect();
    // A concurrent plain writer touching a third attribute of the same items.
    for k in 0..30 {
        let (st, _) = call(
            &s.url,
            "UpdateItem",
            json!({"TableName": "Race", "Key": {"id": {"S": if k % 2 == 0 { "a" } else { "b" }}},
            "UpdateExpression": "ADD touched :one", "ExpressionAttributeValues": {":one": {"N": "1"}}}),
        );
        assert_eq!(st, 200);
    }
    let done: i32 = threads.into_iter().map(|t| t.join().unwrap()).sum();
    assert!(done > 0);
    let bal = |id: &str| -> i64 {
        let (_, got) = call(
            &s.url,
            "GetItem",
            json!({"TableName": "Race", "Key": {"id": {"S": id}}}),
        );
        got["Item"]["bal"]["N"].as_str().unwrap().parse().unwrap()
    };
    let (a, b) = (bal("a"), bal("b"));
    assert_eq!(a + b, 200, "a={a} b={b}");
    assert!(a >= 0 && b >= 0);
}
