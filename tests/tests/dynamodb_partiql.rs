//! PartiQL through the AWS CLI: ExecuteStatement (SELECT, INSERT, UPDATE,
//! DELETE), BatchExecuteStatement and ExecuteTransaction.

use ruststack_tests::{Server, aws_cli, cli_err as err, cli_ok as ok, plugin_dir};
use serde_json::json;

#[test]
fn partiql_statements() {
    let plugins = plugin_dir(&["dynamodb"]);
    let s = Server::start(&["--ephemeral", "--plugins", plugins.path().to_str().unwrap()]);
    let aws = |args: &[&str]| aws_cli(&s.url, None, args);
    ok(aws(&[
        "dynamodb",
        "create-table",
        "--table-name",
        "Pqt",
        "--attribute-definitions",
        "AttributeName=pk,AttributeType=S",
        "AttributeName=sk,AttributeType=N",
        "--key-schema",
        "AttributeName=pk,KeyType=HASH",
        "AttributeName=sk,KeyType=RANGE",
        "--billing-mode",
        "PAY_PER_REQUEST",
    ]));
    ok(aws(&[
        "dynamodb",
        "execute-statement",
        "--statement",
        r#"INSERT INTO "Pqt" VALUE {'pk': 'a', 'sk': 1, 'tags': <<'x', 'y'>>, 'n': 10}"#,
    ]));
    ok(aws(&[
        "dynamodb",
        "execute-statement",
        "--statement",
        r#"INSERT INTO Pqt VALUE {'pk': ?, 'sk': ?, 'n': 20}"#,
        "--parameters",
        r#"[{"S":"a"},{"N":"2"}]"#,
    ]));
    err(
        aws(&[
            "dynamodb",
            "execute-statement",
            "--statement",
            r#"INSERT INTO Pqt VALUE {'pk': 'a', 'sk': 1}"#,
        ]),
        "DuplicateItemException",
    );
    let r = ok(aws(&[
        "dynamodb",
        "execute-statement",
        "--statement",
        r#"SELECT sk, n FROM "Pqt" WHERE pk = 'a' AND n > 15"#,
    ]));
    assert_eq!(r["Items"], json!([{"sk": {"N": "2"}, "n": {"N": "20"}}]));
    ok(aws(&[
        "dynamodb",
        "execute-statement",
        "--statement",
        r#"UPDATE "Pqt" SET n = n + 5 REMOVE tags WHERE pk = 'a' AND sk = 1"#,
    ]));
    let r = ok(aws(&[
        "dynamodb",
        "execute-statement",
        "--statement",
        r#"SELECT * FROM Pqt WHERE pk = 'a' AND sk = 1"#,
    ]));
    assert_eq!(
        r["Items"],
        json!([{"pk": {"S": "a"}, "sk": {"N": "1"}, "n": {"N": "15"}}])
    );
    err(
        aws(&[
            "dynamodb",
            "execute-statement",
            "--statement",
            r#"UPDATE "Pqt" SET n = 1 WHERE pk = 'zz' AND sk = 1"#,
        ]),
        "ConditionalCheckFailedException",
    );
    let e = err(
        aws(&[
            "dynamodb",
            "execute-statement",
            "--statement",
            r#"DELETE FROM "Pqt" WHERE pk = 'a'"#,
        ]),
        "ValidationException",
    );
    assert!(
        e.contains("mandatory equality on all key attributes"),
        "{e}"
    );

    let b = ok(aws(&[
        "dynamodb",
        "batch-execute-statement",
        "--statements",
        r#"[
        {"Statement": "INSERT INTO Pqt VALUE {'pk': 'b', 'sk': 1}"},
        {"Statement": "INSERT INTO Pqt VALUE {'pk': 'a', 'sk': 1}"},
        {"Statement": "SELECT * FROM Pqt WHERE pk = 'a' AND sk = 2"}]"#,
    ]));
    assert_eq!(b["Responses"][0]["TableName"], "Pqt");
    assert_eq!(b["Responses"][1]["Error"]["Code"], "DuplicateItem");
    assert_eq!(b["Responses"][2]["Item"]["n"], json!({"N": "20"}));

    let e = err(
        aws(&[
            "dynamodb",
            "execute-transaction",
            "--transact-statements",
            r#"[
        {"Statement": "DELETE FROM Pqt WHERE pk = 'b' AND sk = 1"},
        {"Statement": "UPDATE Pqt SET n = 0 WHERE pk = 'a' AND sk = 2 AND n = 999"}]"#,
        ]),
        "TransactionCanceledException",
    );
    assert!(e.contains("[None, ConditionalCheckFailed]"), "{e}");
    let r = ok(aws(&[
        "dynamodb",
        "execute-statement",
        "--statement",
        "SELECT pk FROM Pqt WHERE pk = 'b'",
    ]));
    assert_eq!(
        r["Items"].as_array().unwrap().len(),
        1,
        "the cancelled transaction deleted nothing"
    );
    ok(aws(&[
        "dynamodb",
        "execute-transaction",
        "--transact-statements",
        r#"[
        {"Statement": "DELETE FROM Pqt WHERE pk = 'b' AND sk = 1"},
        {"Statement": "UPDATE Pqt SET n = 0 WHERE pk = 'a' AND sk = 2 AND n = 20"}]"#,
    ]));
    let r = ok(aws(&[
        "dynamodb",
        "execute-statement",
        "--statement",
        "SELECT * FROM Pqt",
    ]));
    assert_eq!(r["Items"].as_array().unwrap().len(), 2);
}
