//! DynamoDB targets.

#[allow(unused_imports)]
use super::*;

pub(crate) fn ddb_request(addr: SocketAddr, op: &str, body: &serde_json::Value) -> Arc<[u8]> {
    json_request(addr, &format!("DynamoDB_20120810.{op}"), &body.to_string())
}

pub(crate) async fn bench_dynamodb(bench: &mut Bench) -> Result<()> {
    use serde_json::json;
    let addr = bench.addr;
    let mut conn = Conn::connect(addr).await?;
    let create = json!({
        "TableName": "bench",
        "AttributeDefinitions": [
            { "AttributeName": "pk", "AttributeType": "S" },
            { "AttributeName": "sk", "AttributeType": "N" },
        ],
        "KeySchema": [
            { "AttributeName": "pk", "KeyType": "HASH" },
            { "AttributeName": "sk", "KeyType": "RANGE" },
        ],
        "BillingMode": "PAY_PER_REQUEST",
    });
    expect_ok(
        &mut conn,
        &ddb_request(addr, "CreateTable", &create),
        "CreateTable",
    )
    .await?;
    let item = |pk: &str, sk: u64| {
        json!({
            "pk": { "S": pk },
            "sk": { "N": sk.to_string() },
            "v": { "N": "0" },
            "payload": { "S": "x".repeat(100) },
        })
    };
    setup_concurrently(addr, QUERY_ITEMS, "PutItem (query)", move |n| {
        let put = json!({ "TableName": "bench", "Item": item("q", n) });
        (ddb_request(addr, "PutItem", &put).to_vec(), Vec::new())
    })
    .await?;
    expect_ok(
        &mut conn,
        &ddb_request(
            addr,
            "PutItem",
            &json!({ "TableName": "bench", "Item": item("ctr", 0) }),
        ),
        "PutItem",
    )
    .await?;

    // Every request writes a new item.
    let head: HeadFn = Box::new(move |n| {
        let put = json!({ "TableName": "bench", "Item": item("put", n) });
        ddb_request(addr, "PutItem", &put).to_vec()
    });
    bench
        .measure(
            "DynamoDB",
            "PutItem",
            Work::Numbered {
                head,
                body: Arc::from(Vec::new()),
                units: 1,
            },
            None,
        )
        .await?;
    let get = json!({
        "TableName": "bench",
        "Key": { "pk": { "S": "q" }, "sk": { "N": "7" } },
    });
    bench
        .measure(
            "DynamoDB",
            "GetItem",
            Work::fixed(ddb_request(addr, "GetItem", &get)),
            None,
        )
        .await?;
    let query = json!({
        "TableName": "bench",
        "KeyConditionExpression": "pk = :p",
        "ExpressionAttributeValues": { ":p": { "S": "q" } },
        "Limit": 100,
    });
    let query = ddb_request(addr, "Query", &query);
    expect_ok(&mut conn, &query, "Query").await?;
    let answer: serde_json::Value = serde_json::from_slice(conn.body())?;
    if answer["Count"] != 100 {
        bail!("Query returned {} items, expected 100", answer["Count"]);
    }
    bench
        .measure(
            "DynamoDB",
            "Query (100-item page)",
            Work::fixed(query),
            None,
        )
        .await?;
    let update = json!({
        "TableName": "bench",
        "Key": { "pk": { "S": "ctr" }, "sk": { "N": "0" } },
        "UpdateExpression": "SET v = v + :one",
        "ConditionExpression": "attribute_exists(pk)",
        "ExpressionAttributeValues": { ":one": { "N": "1" } },
    });
    bench
        .measure(
            "DynamoDB",
            "UpdateItem (conditional, v = v + 1)",
            Work::fixed(ddb_request(addr, "UpdateItem", &update)),
            None,
        )
        .await
}
