//! DynamoDB Streams through the AWS CLI: records of every write in order,
//! with the images the view type asks for; TTL deletions carry the
//! DynamoDB service principal.

use ruststack_tests::{Server, aws_cli, cli_ok as ok, plugin_dir};
use serde_json::json;

#[test]
fn stream_records_follow_writes() {
    let plugins = plugin_dir(&["dynamodb"]);
    let s = Server::start(&["--ephemeral", "--plugins", plugins.path().to_str().unwrap()]);
    let aws = |args: &[&str]| aws_cli(&s.url, None, args);
    let t = ok(aws(&[
        "dynamodb",
        "create-table",
        "--table-name",
        "Events",
        "--attribute-definitions",
        "AttributeName=id,AttributeType=S",
        "--key-schema",
        "AttributeName=id,KeyType=HASH",
        "--billing-mode",
        "PAY_PER_REQUEST",
        "--stream-specification",
        "StreamEnabled=true,StreamViewType=NEW_AND_OLD_IMAGES",
    ]));
    let arn = t["TableDescription"]["LatestStreamArn"]
        .as_str()
        .unwrap()
        .to_string();
    ok(aws(&[
        "dynamodb",
        "put-item",
        "--table-name",
        "Events",
        "--item",
        r#"{"id":{"S":"a"},"v":{"N":"1"}}"#,
    ]));
    ok(aws(&[
        "dynamodb",
        "update-item",
        "--table-name",
        "Events",
        "--key",
        r#"{"id":{"S":"a"}}"#,
        "--update-expression",
        "SET v = :two",
        "--expression-attribute-values",
        r#"{":two":{"N":"2"}}"#,
    ]));
    ok(aws(&[
        "dynamodb",
        "delete-item",
        "--table-name",
        "Events",
        "--key",
        r#"{"id":{"S":"a"}}"#,
    ]));

    let l = ok(aws(&[
        "dynamodbstreams",
        "list-streams",
        "--table-name",
        "Events",
    ]));
    assert_eq!(l["Streams"][0]["StreamArn"], arn);
    let d = ok(aws(&[
        "dynamodbstreams",
        "describe-stream",
        "--stream-arn",
        &arn,
    ]));
    assert_eq!(d["StreamDescription"]["StreamStatus"], "ENABLED");
    assert_eq!(
        d["StreamDescription"]["StreamViewType"],
        "NEW_AND_OLD_IMAGES"
    );
    let shard = d["StreamDescription"]["Shards"][0]["ShardId"]
        .as_str()
        .unwrap()
        .to_string();
    let it = ok(aws(&[
        "dynamodbstreams",
        "get-shard-iterator",
        "--stream-arn",
        &arn,
        "--shard-id",
        &shard,
        "--shard-iterator-type",
        "TRIM_HORIZON",
    ]));
    let r = ok(aws(&[
        "dynamodbstreams",
        "get-records",
        "--shard-iterator",
        it["ShardIterator"].as_str().unwrap(),
    ]));
    let recs = r["Records"].as_array().unwrap();
    let names: Vec<&str> = recs
        .iter()
        .map(|r| r["eventName"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["INSERT", "MODIFY", "REMOVE"]);
    assert_eq!(recs[1]["dynamodb"]["OldImage"]["v"], json!({"N": "1"}));
    assert_eq!(recs[1]["dynamodb"]["NewImage"]["v"], json!({"N": "2"}));
    assert_eq!(recs[2]["dynamodb"]["Keys"], json!({"id": {"S": "a"}}));
    assert!(
        recs[0]["dynamodb"]["SequenceNumber"].as_str().unwrap()
            < recs[1]["dynamodb"]["SequenceNumber"].as_str().unwrap()
    );
    // Nothing new after the last record; the next iterator sees later writes.
    let next = r["NextShardIterator"].as_str().unwrap().to_string();
    ok(aws(&[
        "dynamodb",
        "put-item",
        "--table-name",
        "Events",
        "--item",
        r#"{"id":{"S":"b"}}"#,
    ]));
    let r = ok(aws(&[
        "dynamodbstreams",
        "get-records",
        "--shard-iterator",
        &next,
    ]));
    assert_eq!(r["Records"].as_array().unwrap().len(), 1);
    assert!(r["Records"][0]["dynamodb"]["OldImage"].is_null());

    // TTL deletions are REMOVE records by the DynamoDB service principal.
    ok(aws(&[
        "dynamodb",
        "update-time-to-live",
        "--table-name",
        "Events",
        "--time-to-live-specification",
        "Enabled=true,AttributeName=exp",
    ]));
    let after = r["NextShardIterator"].as_str().unwrap().to_string();
    ok(aws(&[
        "dynamodb",
        "put-item",
        "--table-name",
        "Events",
        "--item",
        r#"{"id":{"S":"old"},"exp":{"N":"1700000000"}}"#,
    ]));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let r = ok(aws(&[
            "dynamodbstreams",
            "get-records",
            "--shard-iterator",
            &after,
        ]));
        let recs = r["Records"].as_array().unwrap().clone();
        if let Some(rm) = recs.iter().find(|r| r["eventName"] == "REMOVE") {
            assert_eq!(
                rm["userIdentity"],
                json!({"PrincipalId": "dynamodb.amazonaws.com", "Type": "Service"})
            );
            assert_eq!(rm["dynamodb"]["Keys"], json!({"id": {"S": "old"}}));
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no TTL REMOVE record: {recs:?}"
        );
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
}
