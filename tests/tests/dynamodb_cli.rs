//! DynamoDB through the AWS CLI (botocore signs and parses every call): the
//! seed's commands, expressions, indexes, batches, transactions and the
//! errors AWS gives for bad input.

use ruststack_tests::{Server, aws_cli, cli_err as err, cli_ok as ok, plugin_dir};
use serde_json::{Value, json};

fn server() -> (Server, tempfile::TempDir) {
    let plugins = plugin_dir(&["dynamodb"]);
    let s = Server::start(&["--ephemeral", "--plugins", plugins.path().to_str().unwrap()]);
    (s, plugins)
}

#[test]
fn seed_commands_and_expressions() {
    let (s, _p) = server();
    let aws = |args: &[&str]| aws_cli(&s.url, None, args);
    let t = ok(aws(&[
        "dynamodb",
        "create-table",
        "--table-name",
        "Music",
        "--attribute-definitions",
        "AttributeName=Artist,AttributeType=S",
        "AttributeName=Year,AttributeType=N",
        "--key-schema",
        "AttributeName=Artist,KeyType=HASH",
        "AttributeName=Year,KeyType=RANGE",
        "--billing-mode",
        "PAY_PER_REQUEST",
    ]));
    assert_eq!(t["TableDescription"]["TableStatus"], "ACTIVE");
    assert_eq!(
        t["TableDescription"]["TableArn"],
        "arn:aws:dynamodb:us-east-1:000000000000:table/Music"
    );
    err(
        aws(&[
            "dynamodb",
            "create-table",
            "--table-name",
            "Music",
            "--attribute-definitions",
            "AttributeName=Artist,AttributeType=S",
            "--key-schema",
            "AttributeName=Artist,KeyType=HASH",
            "--billing-mode",
            "PAY_PER_REQUEST",
        ]),
        "ResourceInUseException",
    );

    for y in ["1999", "2001", "1985", "2010", "990", "2001.5"] {
        ok(aws(&[
            "dynamodb",
            "put-item",
            "--table-name",
            "Music",
            "--item",
            &format!(r#"{{"Artist":{{"S":"Acme"}},"Year":{{"N":"{y}"}},"Plays":{{"N":"0"}}}}"#),
        ]));
    }
    let got = ok(aws(&[
        "dynamodb",
        "get-item",
        "--table-name",
        "Music",
        "--key",
        r#"{"Artist":{"S":"Acme"},"Year":{"N":"1999"}}"#,
    ]));
    assert_eq!(got["Item"]["Plays"], json!({"N": "0"}));

    // Sort keys order numerically, not as text.
    let q = ok(aws(&[
        "dynamodb",
        "query",
        "--table-name",
        "Music",
        "--key-condition-expression",
        "Artist = :a AND #y BETWEEN :lo AND :hi",
        "--expression-attribute-names",
        r##"{"#y":"Year"}"##,
        "--expression-attribute-values",
        r#"{":a":{"S":"Acme"},":lo":{"N":"1000"},":hi":{"N":"2005"}}"#,
    ]));
    let years: Vec<&str> = q["Items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["Year"]["N"].as_str().unwrap())
        .collect();
    assert_eq!(years, ["1985", "1999", "2001", "2001.5"]);

    let q = ok(aws(&[
        "dynamodb",
        "query",
        "--table-name",
        "Music",
        "--no-scan-index-forward",
        "--max-items",
        "2",
        "--key-condition-expression",
        "Artist = :a",
        "--expression-attribute-values",
        r#"{":a":{"S":"Acme"}}"#,
    ]));
    let years: Vec<&str> = q["Items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["Year"]["N"].as_str().unwrap())
        .collect();
    assert_eq!(years, ["2010", "2001.5"]);

    let u = ok(aws(&[
        "dynamodb",
        "update-item",
        "--table-name",
        "Music",
        "--key",
        r#"{"Artist":{"S":"Acme"},"Year":{"N":"1999"}}"#,
        "--update-expression",
        "SET Plays = Plays + :one, Tags = list_append(if_not_exists(Tags, :empty), :t) ADD Fans :f",
        "--condition-expression",
        "Plays < :ten",
        "--expression-attribute-values",
        r#"{":one":{"N":"1"},":ten":{"N":"10"},":empty":{"L":[]},":t":{"L":[{"S":"rock"}]},":f":{"SS":["ann"]}}"#,
        "--return-values",
        "UPDATED_NEW",
    ]));
    assert_eq!(u["Attributes"]["Plays"], json!({"N": "1"}));
    assert_eq!(u["Attributes"]["Tags"], json!({"L": [{"S": "rock"}]}));
    assert_eq!(u["Attributes"]["Fans"], json!({"SS": ["ann"]}));

    let e = err(
        aws(&[
            "dynamodb",
            "update-item",
            "--table-name",
            "Music",
            "--key",
            r#"{"Artist":{"S":"Acme"},"Year":{"N":"1999"}}"#,
            "--update-expression",
            "SET Plays = :ten",
            "--condition-expression",
            "Plays > :ten",
            "--expression-attribute-values",
            r#"{":ten":{"N":"10"}}"#,
        ]),
        "ConditionalCheckFailedException",
    );
    assert!(e.contains("The conditional request failed"), "{e}");

    let sc = ok(aws(&[
        "dynamodb",
        "scan",
        "--table-name",
        "Music",
        "--filter-expression",
        "Plays > :z",
        "--expression-attribute-values",
        r#"{":z":{"N":"0"}}"#,
        "--projection-expression",
        "Plays",
    ]));
    assert_eq!(sc["Count"], 1);
    assert_eq!(sc["ScannedCount"], 6);
    assert_eq!(sc["Items"][0], json!({"Plays": {"N": "1"}}));

    ok(aws(&[
        "dynamodb",
        "delete-item",
        "--table-name",
        "Music",
        "--key",
        r#"{"Artist":{"S":"Acme"},"Year":{"N":"990"}}"#,
    ]));
    let got = ok(aws(&[
        "dynamodb",
        "get-item",
        "--table-name",
        "Music",
        "--key",
        r#"{"Artist":{"S":"Acme"},"Year":{"N":"990"}}"#,
    ]));
    assert!(got.get("Item").is_none());
}

#[test]
fn bad_input_gets_aws_errors() {
    let (s, _p) = server();
    let aws = |args: &[&str]| aws_cli(&s.url, None, args);
    ok(aws(&[
        "dynamodb",
        "create-table",
        "--table-name",
        "Errs",
        "--attribute-definitions",
        "AttributeName=id,AttributeType=S",
        "--key-schema",
        "AttributeName=id,KeyType=HASH",
        "--billing-mode",
        "PAY_PER_REQUEST",
    ]));
    let e = err(
        aws(&[
            "dynamodb",
            "create-table",
            "--table-name",
            "Bad1",
            "--attribute-definitions",
            "AttributeName=x,AttributeType=S",
            "--key-schema",
            "AttributeName=id,KeyType=HASH",
            "--billing-mode",
            "PAY_PER_REQUEST",
        ]),
        "ValidationException",
    );
    assert!(
        e.contains("Some index key attributes are not defined in AttributeDefinitions"),
        "{e}"
    );
    let e = err(
        aws(&[
            "dynamodb",
            "put-item",
            "--table-name",
            "Errs",
            "--item",
            r#"{"id":{"N":"1"}}"#,
        ]),
        "ValidationException",
    );
    assert!(
        e.contains("Type mismatch for key id expected: S actual: N"),
        "{e}"
    );
    let e = err(
        aws(&[
            "dynamodb",
            "put-item",
            "--table-name",
            "Errs",
            "--item",
            r#"{"other":{"S":"1"}}"#,
        ]),
        "ValidationException",
    );
    assert!(e.contains("Missing the key id in the item"), "{e}");
    let e = err(
        aws(&[
            "dynamodb",
            "get-item",
            "--table-name",
            "Errs",
            "--key",
            r#"{"id":{"S":"1"},"x":{"S":"y"}}"#,
        ]),
        "ValidationException",
    );
    assert!(
        e.contains("The provided key element does not match the schema"),
        "{e}"
    );
    let e = err(
        aws(&[
            "dynamodb",
            "update-item",
            "--table-name",
            "Errs",
            "--key",
            r#"{"id":{"S":"1"}}"#,
            "--update-expression",
            "SET a = ",
        ]),
        "ValidationException",
    );
    assert!(
        e.contains("Invalid UpdateExpression: Syntax error; token: \"<EOF>\""),
        "{e}"
    );
    let e = err(
        aws(&[
            "dynamodb",
            "update-item",
            "--table-name",
            "Errs",
            "--key",
            r#"{"id":{"S":"1"}}"#,
            "--update-expression",
            "SET a = :v",
            "--expression-attribute-values",
            r#"{":v":{"S":"x"},":w":{"S":"y"}}"#,
        ]),
        "ValidationException",
    );
    assert!(
        e.contains("Value provided in ExpressionAttributeValues unused in expressions: keys: {:w}"),
        "{e}"
    );
    let e = err(
        aws(&[
            "dynamodb",
            "put-item",
            "--table-name",
            "Errs",
            "--item",
            r#"{"id":{"S":"1"}}"#,
            "--condition-expression",
            "attribute_exists(#nope)",
        ]),
        "ValidationException",
    );
    assert!(e.contains("An expression attribute name used in the document path is not defined; attribute name: #nope"), "{e}");
    let e = err(
        aws(&[
            "dynamodb",
            "put-item",
            "--table-name",
            "Errs",
            "--item",
            r#"{"id":{"S":"1"},"n":{"N":"12x"}}"#,
        ]),
        "ValidationException",
    );
    assert!(e.contains("cannot be converted to a numeric value"), "{e}");
    ok(aws(&[
        "dynamodb",
        "put-item",
        "--table-name",
        "Errs",
        "--item",
        r#"{"id":{"S":"s"},"a":{"S":"text"}}"#,
    ]));
    let e = err(
        aws(&[
            "dynamodb",
            "update-item",
            "--table-name",
            "Errs",
            "--key",
            r#"{"id":{"S":"s"}}"#,
            "--update-expression",
            "SET a = a + :one",
            "--expression-attribute-values",
            r#"{":one":{"N":"1"}}"#,
        ]),
        "ValidationException",
    );
    assert!(
        e.contains("An operand in the update expression has an incorrect data type"),
        "{e}"
    );
    let big = "x".repeat(410 * 1024);
    let item = format!(r#"{{"id":{{"S":"big"}},"blob":{{"S":"{big}"}}}}"#);
    let path = std::env::temp_dir().join(format!("ddb-big-{}.json", std::process::id()));
    std::fs::write(&path, item).unwrap();
    let e = err(
        aws(&[
            "dynamodb",
            "put-item",
            "--table-name",
            "Errs",
            "--item",
            &format!("file://{}", path.display()),
        ]),
        "ValidationException",
    );
    assert!(
        e.contains("Item size has exceeded the maximum allowed size"),
        "{e}"
    );
    let _ = std::fs::remove_file(path);
    let e = err(
        aws(&[
            "dynamodb",
            "get-item",
            "--table-name",
            "Nope",
            "--key",
            r#"{"id":{"S":"1"}}"#,
        ]),
        "ResourceNotFoundException",
    );
    assert!(e.contains("Requested resource not found"), "{e}");
}

#[test]
fn indexes_batches_and_transactions() {
    let (s, _p) = server();
    let aws = |args: &[&str]| aws_cli(&s.url, None, args);
    ok(aws(&[
        "dynamodb",
        "create-table",
        "--table-name",
        "Orders",
        "--attribute-definitions",
        "AttributeName=id,AttributeType=S",
        "AttributeName=cust,AttributeType=S",
        "AttributeName=total,AttributeType=N",
        "--key-schema",
        "AttributeName=id,KeyType=HASH",
        "--billing-mode",
        "PAY_PER_REQUEST",
        "--global-secondary-indexes",
        r#"[{"IndexName":"byCust","KeySchema":[{"AttributeName":"cust","KeyType":"HASH"},{"AttributeName":"total","KeyType":"RANGE"}],"Projection":{"ProjectionType":"KEYS_ONLY"}}]"#,
    ]));
    let writes: Vec<Value> = (0..10)
        .map(|i| json!({"PutRequest": {"Item": {"id": {"S": format!("o{i}")}, "cust": {"S": if i % 2 == 0 { "ann" } else { "bob" }}, "total": {"N": format!("{}", 100 - i * 7)}, "note": {"S": "n"}}}}))
        .collect();
    let b = ok(aws(&[
        "dynamodb",
        "batch-write-item",
        "--request-items",
        &json!({"Orders": writes}).to_string(),
    ]));
    assert_eq!(b["UnprocessedItems"], json!({}));
    let q = ok(aws(&[
        "dynamodb",
        "query",
        "--table-name",
        "Orders",
        "--index-name",
        "byCust",
        "--key-condition-expression",
        "cust = :c AND total >= :t",
        "--expression-attribute-values",
        r#"{":c":{"S":"ann"},":t":{"N":"50"}}"#,
    ]));
    let totals: Vec<&str> = q["Items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["total"]["N"].as_str().unwrap())
        .collect();
    assert_eq!(totals, ["58", "72", "86", "100"]);
    assert!(q["Items"][0].get("note").is_none(), "KEYS_ONLY projection");
    // The index follows updates and deletes.
    ok(aws(&[
        "dynamodb",
        "update-item",
        "--table-name",
        "Orders",
        "--key",
        r#"{"id":{"S":"o0"}}"#,
        "--update-expression",
        "SET cust = :b",
        "--expression-attribute-values",
        r#"{":b":{"S":"bob"}}"#,
    ]));
    ok(aws(&[
        "dynamodb",
        "delete-item",
        "--table-name",
        "Orders",
        "--key",
        r#"{"id":{"S":"o2"}}"#,
    ]));
    let q = ok(aws(&[
        "dynamodb",
        "query",
        "--table-name",
        "Orders",
        "--index-name",
        "byCust",
        "--select",
        "COUNT",
        "--key-condition-expression",
        "cust = :c",
        "--expression-attribute-values",
        r#"{":c":{"S":"ann"}}"#,
    ]));
    assert_eq!(q["Count"], 3);

    let g = ok(aws(&[
        "dynamodb",
        "batch-get-item",
        "--request-items",
        r#"{"Orders":{"Keys":[{"id":{"S":"o1"}},{"id":{"S":"o2"}},{"id":{"S":"o3"}}],"ProjectionExpression":"id, total"}}"#,
    ]));
    assert_eq!(g["Responses"]["Orders"].as_array().unwrap().len(), 2);

    let e = err(
        aws(&[
            "dynamodb",
            "transact-write-items",
            "--transact-items",
            r#"[
        {"Update":{"TableName":"Orders","Key":{"id":{"S":"o1"}},"UpdateExpression":"SET total = :z","ExpressionAttributeValues":{":z":{"N":"0"}}}},
        {"ConditionCheck":{"TableName":"Orders","Key":{"id":{"S":"o2"}},"ConditionExpression":"attribute_exists(id)"}}]"#,
        ]),
        "TransactionCanceledException",
    );
    assert!(e.contains("[None, ConditionalCheckFailed]"), "{e}");
    let got = ok(aws(&[
        "dynamodb",
        "get-item",
        "--table-name",
        "Orders",
        "--key",
        r#"{"id":{"S":"o1"}}"#,
    ]));
    assert_eq!(
        got["Item"]["total"],
        json!({"N": "93"}),
        "a cancelled transaction writes nothing"
    );
    ok(aws(&[
        "dynamodb",
        "transact-write-items",
        "--transact-items",
        r#"[
        {"Update":{"TableName":"Orders","Key":{"id":{"S":"o1"}},"UpdateExpression":"SET total = :z","ExpressionAttributeValues":{":z":{"N":"0"}}}},
        {"Put":{"TableName":"Orders","Item":{"id":{"S":"o2"},"cust":{"S":"cy"},"total":{"N":"1"}},"ConditionExpression":"attribute_not_exists(id)"}}]"#,
    ]));
    let tg = ok(aws(&[
        "dynamodb",
        "transact-get-items",
        "--transact-items",
        r#"[{"Get":{"TableName":"Orders","Key":{"id":{"S":"o1"}}}},{"Get":{"TableName":"Orders","Key":{"id":{"S":"o2"}}}},{"Get":{"TableName":"Orders","Key":{"id":{"S":"zz"}}}}]"#,
    ]));
    assert_eq!(tg["Responses"][0]["Item"]["total"], json!({"N": "0"}));
    assert_eq!(tg["Responses"][1]["Item"]["cust"], json!({"S": "cy"}));
    assert_eq!(tg["Responses"][2], json!({}));

    // Paginated scans with a page Limit see every item exactly once.
    let sc = ok(aws(&[
        "dynamodb",
        "scan",
        "--table-name",
        "Orders",
        "--page-size",
        "3",
    ]));
    assert_eq!(sc["Items"].as_array().unwrap().len(), 10);
    let mut seen = 0;
    for seg in 0..3 {
        let sc = ok(aws(&[
            "dynamodb",
            "scan",
            "--table-name",
            "Orders",
            "--segment",
            &seg.to_string(),
            "--total-segments",
            "3",
        ]));
        seen += sc["Items"].as_array().unwrap().len();
    }
    assert_eq!(seen, 10);

    let d = ok(aws(&[
        "dynamodb",
        "describe-table",
        "--table-name",
        "Orders",
    ]));
    assert_eq!(d["Table"]["ItemCount"], 10);
    assert_eq!(
        d["Table"]["GlobalSecondaryIndexes"][0]["IndexStatus"],
        "ACTIVE"
    );

    // Tags, TTL settings, table listing.
    let arn = d["Table"]["TableArn"].as_str().unwrap().to_string();
    ok(aws(&[
        "dynamodb",
        "tag-resource",
        "--resource-arn",
        &arn,
        "--tags",
        "Key=env,Value=dev",
        "Key=team,Value=a",
    ]));
    ok(aws(&[
        "dynamodb",
        "untag-resource",
        "--resource-arn",
        &arn,
        "--tag-keys",
        "team",
    ]));
    let tags = ok(aws(&[
        "dynamodb",
        "list-tags-of-resource",
        "--resource-arn",
        &arn,
    ]));
    assert_eq!(tags["Tags"], json!([{"Key": "env", "Value": "dev"}]));
    let ttl = ok(aws(&[
        "dynamodb",
        "update-time-to-live",
        "--table-name",
        "Orders",
        "--time-to-live-specification",
        "Enabled=true,AttributeName=exp",
    ]));
    assert_eq!(ttl["TimeToLiveSpecification"]["Enabled"], true);
    let ttl = ok(aws(&[
        "dynamodb",
        "describe-time-to-live",
        "--table-name",
        "Orders",
    ]));
    assert_eq!(
        ttl["TimeToLiveDescription"],
        json!({"TimeToLiveStatus": "ENABLED", "AttributeName": "exp"})
    );
    let l = ok(aws(&["dynamodb", "list-tables"]));
    assert_eq!(l["TableNames"], json!(["Orders"]));
    ok(aws(&["dynamodb", "delete-table", "--table-name", "Orders"]));
    err(
        aws(&["dynamodb", "describe-table", "--table-name", "Orders"]),
        "ResourceNotFoundException",
    );
}
