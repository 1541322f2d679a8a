//! DynamoDB over raw JSON 1.0 HTTP: paging, legacy parameters, index
//! creation on a live table, error bodies with extra members, and the
//! account-level operations.

use ruststack_tests::{Server, json_call, plugin_dir};
use serde_json::{Value, json};

fn call(url: &str, op: &str, body: Value) -> (u16, Value) {
    json_call(url, &format!("DynamoDB_20120810.{op}"), &body.to_string())
}

fn ok(url: &str, op: &str, body: Value) -> Value {
    let (st, b) = call(url, op, body);
    assert_eq!(st, 200, "{op}: {b}");
    b
}

fn table(url: &str, name: &str) {
    ok(
        url,
        "CreateTable",
        json!({
            "TableName": name,
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}, {"AttributeName": "sk", "AttributeType": "N"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            "BillingMode": "PAY_PER_REQUEST",
        }),
    );
}

#[test]
fn paging_legacy_parameters_and_live_indexes() {
    let plugins = plugin_dir(&["dynamodb"]);
    let s = Server::start(&["--ephemeral", "--plugins", plugins.path().to_str().unwrap()]);
    let url = &s.url;
    for t in ["tab-a", "tab-b", "tab-c"] {
        table(url, t);
    }
    let l = ok(url, "ListTables", json!({"Limit": 2}));
    assert_eq!(l["TableNames"], json!(["tab-a", "tab-b"]));
    assert_eq!(l["LastEvaluatedTableName"], "tab-b");
    let l = ok(
        url,
        "ListTables",
        json!({"ExclusiveStartTableName": "tab-b"}),
    );
    assert_eq!(l["TableNames"], json!(["tab-c"]));
    assert!(l.get("LastEvaluatedTableName").is_none());

    for i in 0..25 {
        ok(
            url,
            "PutItem",
            json!({"TableName": "tab-a", "Item": {"pk": {"S": "p"}, "sk": {"N": i.to_string()}, "odd": {"BOOL": i % 2 == 1}, "g": {"S": format!("g{}", i % 3)}}}),
        );
    }
    // Pages of 10 evaluated items; the filter applies after the limit.
    let mut seen = Vec::new();
    let mut start: Option<Value> = None;
    let mut pages = 0;
    loop {
        let mut req = json!({"TableName": "tab-a", "KeyConditionExpression": "pk = :p", "FilterExpression": "odd = :t",
            "ExpressionAttributeValues": {":p": {"S": "p"}, ":t": {"BOOL": true}}, "Limit": 10, "ScanIndexForward": false});
        if let Some(k) = &start {
            req["ExclusiveStartKey"] = k.clone();
        }
        let q = ok(url, "Query", req);
        pages += 1;
        assert!(q["ScannedCount"].as_u64().unwrap() <= 10);
        seen.extend(
            q["Items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["sk"]["N"].as_str().unwrap().parse::<i32>().unwrap()),
        );
        match q.get("LastEvaluatedKey") {
            Some(k) => start = Some(k.clone()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(
        seen,
        (0..25).rev().filter(|i| i % 2 == 1).collect::<Vec<_>>()
    );

    // Legacy parameters.
    let q = ok(
        url,
        "Query",
        json!({"TableName": "tab-a",
        "KeyConditions": {"pk": {"ComparisonOperator": "EQ", "AttributeValueList": [{"S": "p"}]},
                          "sk": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "3"}, {"N": "6"}]}},
        "QueryFilter": {"odd": {"ComparisonOperator": "EQ", "AttributeValueList": [{"BOOL": false}]}},
        "AttributesToGet": ["sk"]}),
    );
    assert_eq!(q["Items"], json!([{"sk": {"N": "4"}}, {"sk": {"N": "6"}}]));
    let (st, e) = call(
        url,
        "PutItem",
        json!({"TableName": "tab-a", "Item": {"pk": {"S": "p"}, "sk": {"N": "1"}},
        "Expected": {"pk": {"Exists": false}}}),
    );
    assert_eq!(st, 400);
    assert_eq!(
        e["__type"],
        "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException"
    );
    ok(
        url,
        "UpdateItem",
        json!({"TableName": "tab-a", "Key": {"pk": {"S": "p"}, "sk": {"N": "1"}},
        "AttributeUpdates": {"count": {"Action": "ADD", "Value": {"N": "5"}}, "odd": {"Action": "DELETE"}}}),
    );
    let g = ok(
        url,
        "GetItem",
        json!({"TableName": "tab-a", "Key": {"pk": {"S": "p"}, "sk": {"N": "1"}}}),
    );
    assert_eq!(g["Item"]["count"], json!({"N": "5"}));
    assert!(g["Item"].get("odd").is_none());

    // The failed condition can return the item as it was.
    let (st, e) = call(
        url,
        "DeleteItem",
        json!({"TableName": "tab-a", "Key": {"pk": {"S": "p"}, "sk": {"N": "1"}},
        "ConditionExpression": "attribute_not_exists(#c)", "ExpressionAttributeNames": {"#c": "count"},
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}),
    );
    assert_eq!(st, 400);
    assert_eq!(e["Item"]["count"], json!({"N": "5"}), "{e}");

    // A GSI added to a live table is backfilled and then maintained.
    let d = ok(
        url,
        "UpdateTable",
        json!({"TableName": "tab-a",
        "AttributeDefinitions": [{"AttributeName": "g", "AttributeType": "S"}],
        "GlobalSecondaryIndexUpdates": [{"Create": {"IndexName": "byG", "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}], "Projection": {"ProjectionType": "ALL"}}}]}),
    );
    assert_eq!(
        d["TableDescription"]["GlobalSecondaryIndexes"][0]["IndexStatus"],
        "ACTIVE"
    );
    let q = ok(
        url,
        "Query",
        json!({"TableName": "tab-a", "IndexName": "byG", "KeyConditionExpression": "g = :g AND sk < :n",
        "ExpressionAttributeValues": {":g": {"S": "g0"}, ":n": {"N": "10"}}}),
    );
    let sks: Vec<&str> = q["Items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["sk"]["N"].as_str().unwrap())
        .collect();
    assert_eq!(sks, ["0", "3", "6", "9"]);
    let (st, e) = call(
        url,
        "Query",
        json!({"TableName": "tab-a", "IndexName": "nope", "KeyConditionExpression": "g = :g",
        "ExpressionAttributeValues": {":g": {"S": "g0"}}}),
    );
    assert_eq!(st, 400);
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("The table does not have the specified index: nope"),
        "{e}"
    );
    let (st, e) = call(
        url,
        "Query",
        json!({"TableName": "tab-a", "KeyConditionExpression": "sk = :n",
        "ExpressionAttributeValues": {":n": {"N": "1"}}}),
    );
    assert_eq!(st, 400);
    assert_eq!(
        e["__type"], "com.amazonaws.dynamodb.v20120810#ValidationException",
        "{e}"
    );

    // An update that cannot apply cancels the transaction with a ValidationError reason.
    ok(
        url,
        "PutItem",
        json!({"TableName": "tab-c", "Item": {"pk": {"S": "t"}, "sk": {"N": "1"}, "a": {"S": "text"}}}),
    );
    let (st, e) = call(
        url,
        "TransactWriteItems",
        json!({"TransactItems": [
        {"Put": {"TableName": "tab-c", "Item": {"pk": {"S": "t"}, "sk": {"N": "2"}}}},
        {"Update": {"TableName": "tab-c", "Key": {"pk": {"S": "t"}, "sk": {"N": "1"}},
            "UpdateExpression": "SET a = a + :one", "ExpressionAttributeValues": {":one": {"N": "1"}}}}]}),
    );
    assert_eq!(st, 400);
    assert_eq!(
        e["__type"],
        "com.amazonaws.dynamodb.v20120810#TransactionCanceledException"
    );
    assert_eq!(
        e["CancellationReasons"][1]["Code"], "ValidationError",
        "{e}"
    );
    let g = ok(
        url,
        "GetItem",
        json!({"TableName": "tab-c", "Key": {"pk": {"S": "t"}, "sk": {"N": "2"}}}),
    );
    assert!(g.get("Item").is_none());

    // Table ARNs work where table names do.
    let arn = d["TableDescription"]["TableArn"].as_str().unwrap();
    let dt = ok(url, "DescribeTable", json!({"TableName": arn}));
    assert_eq!(dt["Table"]["ItemCount"], 25);

    let pitr = ok(
        url,
        "UpdateContinuousBackups",
        json!({"TableName": "tab-a", "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": true}}),
    );
    assert_eq!(
        pitr["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"],
        "ENABLED"
    );
    let e = ok(url, "DescribeEndpoints", json!({}));
    assert_eq!(e["Endpoints"][0]["CachePeriodInMinutes"], 1440);
    let l = ok(url, "DescribeLimits", json!({}));
    assert_eq!(l["TableMaxReadCapacityUnits"], 40000);
    let (st, e) = call(
        url,
        "UpdateTable",
        json!({"TableName": "tab-b", "DeletionProtectionEnabled": true}),
    );
    assert_eq!(st, 200, "{e}");
    let (st, e) = call(url, "DeleteTable", json!({"TableName": "tab-b"}));
    assert_eq!(st, 400);
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("protected against deletion"),
        "{e}"
    );
}

#[test]
fn inputs_are_checked_against_the_model_with_every_violation_counted() {
    let s = Server::start(&["--ephemeral"]);
    let url = &s.url;
    table(url, "checked");
    let (st, b) = call(url, "Scan", json!({"TableName": "checked", "Limit": 0}));
    assert_eq!(st, 400, "{b}");
    assert!(
        b["__type"]
            .as_str()
            .is_some_and(|t| t.ends_with("#ValidationException")),
        "{b}"
    );
    assert_eq!(
        b["message"],
        "1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"
    );
    let (st, b) = call(
        url,
        "Scan",
        json!({"TableName": "checked", "Limit": 0, "Select": "EVERYTHING", "Segment": 2000000}),
    );
    assert_eq!(st, 400, "{b}");
    let message = b["message"].as_str().unwrap_or_default();
    assert!(
        message.starts_with("3 validation errors detected: "),
        "{message}"
    );
    for clause in [
        "Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
        "Value 'EVERYTHING' at 'select' failed to satisfy constraint: Member must satisfy enum value set: [",
        "Value '2000000' at 'segment' failed to satisfy constraint: Member must have value less than or equal to 999999",
    ] {
        assert!(message.contains(clause), "{clause} in {message}");
    }
    // Nothing was run: the table is still empty and a valid call works.
    let scan = ok(url, "Scan", json!({"TableName": "checked", "Limit": 1}));
    assert_eq!(scan["Count"], 0);
}
