//! A replay of what the Terraform AWS provider sends for `aws_dynamodb_table`
//! (create, waiters, read, drift checks, destroy), see
//! ../shared/terraform-provider-calls.md.

use ruststack_tests::{Server, json_call, plugin_dir};
use serde_json::{Value, json};

fn call(url: &str, op: &str, body: Value) -> (u16, Value) {
    json_call(url, &format!("DynamoDB_20120810.{op}"), &body.to_string())
}

#[test]
fn terraform_aws_dynamodb_table_lifecycle() {
    let plugins = plugin_dir(&["dynamodb"]);
    let s = Server::start(&["--ephemeral", "--plugins", plugins.path().to_str().unwrap()]);
    let url = &s.url;
    // C1: CreateTable, PAY_PER_REQUEST, tags inline.
    let (st, b) = call(
        url,
        "CreateTable",
        json!({
            "TableName": "tf-table",
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "BillingMode": "PAY_PER_REQUEST",
            "Tags": [{"Key": "Name", "Value": "tf"}],
        }),
    );
    assert_eq!(st, 200, "{b}");
    // C2 + C3: waitTableActive (2 in a row) and waitTableWarmThroughputActive.
    for _ in 0..2 {
        let (st, d) = call(url, "DescribeTable", json!({"TableName": "tf-table"}));
        assert_eq!(st, 200);
        assert_eq!(d["Table"]["TableStatus"], "ACTIVE");
        assert_eq!(d["Table"]["WarmThroughput"]["Status"], "ACTIVE");
    }
    // R1..R5.
    let (_, d) = call(url, "DescribeTable", json!({"TableName": "tf-table"}));
    let t = &d["Table"];
    let arn = t["TableArn"].as_str().expect("TableArn").to_string();
    assert_eq!(t["BillingModeSummary"]["BillingMode"], "PAY_PER_REQUEST");
    assert_eq!(
        t["KeySchema"],
        json!([{"AttributeName": "id", "KeyType": "HASH"}])
    );
    assert_eq!(
        t["AttributeDefinitions"],
        json!([{"AttributeName": "id", "AttributeType": "S"}])
    );
    assert!(t.get("GlobalSecondaryIndexes").is_none() && t.get("LocalSecondaryIndexes").is_none());
    assert!(t.get("StreamSpecification").is_none());
    assert_eq!(t["DeletionProtectionEnabled"], false);
    assert_eq!(t["TableClassSummary"]["TableClass"], "STANDARD");
    assert!(t.get("SSEDescription").is_none());
    let (st, c) = call(
        url,
        "DescribeContinuousBackups",
        json!({"TableName": "tf-table"}),
    );
    assert_eq!(st, 200);
    assert_eq!(
        c["ContinuousBackupsDescription"]["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"],
        "DISABLED"
    );
    let (st, ttl) = call(url, "DescribeTimeToLive", json!({"TableName": "tf-table"}));
    assert_eq!(st, 200);
    assert_eq!(ttl["TimeToLiveDescription"]["TimeToLiveStatus"], "DISABLED");
    let (st, tags) = call(url, "ListTagsOfResource", json!({"ResourceArn": arn}));
    assert_eq!(st, 200);
    assert_eq!(tags["Tags"], json!([{"Key": "Name", "Value": "tf"}]));
    assert!(tags.get("NextToken").is_none());
    // Errors the provider tolerates.
    let (st, e) = call(
        url,
        "DescribeContinuousBackups",
        json!({"TableName": "nope-table"}),
    );
    assert_eq!(st, 400);
    assert_eq!(
        e["__type"],
        "com.amazonaws.dynamodb.v20120810#TableNotFoundException"
    );
    // D1 + D2.
    let (st, d) = call(url, "DeleteTable", json!({"TableName": "tf-table"}));
    assert_eq!(st, 200, "{d}");
    let (st, e) = call(url, "DescribeTable", json!({"TableName": "tf-table"}));
    assert_eq!(st, 400);
    assert_eq!(
        e["__type"],
        "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"
    );
    let (st, e) = call(url, "DeleteTable", json!({"TableName": "tf-table"}));
    assert_eq!(st, 400);
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .starts_with("Requested resource not found: Table: "),
        "{e}"
    );
}
