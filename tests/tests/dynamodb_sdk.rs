//! DynamoDB through the AWS SDK for Rust: its own serializers, parsers and
//! error mapping (typed errors, CancellationReasons, LastEvaluatedKey).

use std::collections::HashMap;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType, Put, ReturnValue,
    ScalarAttributeType, TransactWriteItem, Update,
};
use ruststack_tests::{Identity, Server, plugin_dir, sdk_config};

fn sdk(url: &str) -> Client {
    Client::new(&sdk_config(url, &Identity::default()))
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.into())
}

fn n(v: &str) -> AttributeValue {
    AttributeValue::N(v.into())
}

#[tokio::test(flavor = "multi_thread")]
async fn sdk_tables_items_queries_and_errors() {
    let plugins = plugin_dir(&["dynamodb"]);
    let server = Server::start(&["--ephemeral", "--plugins", plugins.path().to_str().unwrap()]);
    let c = sdk(&server.url);
    let created = c
        .create_table()
        .table_name("SdkT")
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("sk")
                .attribute_type(ScalarAttributeType::N)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("sk")
                .key_type(KeyType::Range)
                .build()
                .unwrap(),
        )
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .unwrap();
    let desc = created.table_description().unwrap();
    assert!(desc.creation_date_time().is_some());
    assert_eq!(
        desc.billing_mode_summary().unwrap().billing_mode(),
        Some(&BillingMode::PayPerRequest)
    );

    for i in 0..12 {
        c.put_item()
            .table_name("SdkT")
            .item("pk", s("p"))
            .item("sk", n(&i.to_string()))
            .item(
                "data",
                AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(vec![0, 1, i as u8])),
            )
            .item(
                "list",
                AttributeValue::L(vec![
                    s("x"),
                    AttributeValue::Bool(true),
                    AttributeValue::Null(true),
                ]),
            )
            .send()
            .await
            .unwrap();
    }
    let got = c
        .get_item()
        .table_name("SdkT")
        .key("pk", s("p"))
        .key("sk", n("3"))
        .send()
        .await
        .unwrap();
    let item = got.item().unwrap();
    assert_eq!(
        item["data"],
        AttributeValue::B(aws_sdk_dynamodb::primitives::Blob::new(vec![0, 1, 3]))
    );
    assert_eq!(item["list"].as_l().unwrap().len(), 3);

    // Query pages with Limit and ExclusiveStartKey.
    let mut start: Option<HashMap<String, AttributeValue>> = None;
    let mut all = Vec::new();
    loop {
        let out = c
            .query()
            .table_name("SdkT")
            .key_condition_expression("pk = :p AND sk >= :lo")
            .expression_attribute_values(":p", s("p"))
            .expression_attribute_values(":lo", n("2"))
            .limit(4)
            .set_exclusive_start_key(start.clone())
            .send()
            .await
            .unwrap();
        all.extend(out.items().iter().map(|i| i["sk"].as_n().unwrap().clone()));
        match out.last_evaluated_key() {
            Some(k) => start = Some(k.clone()),
            None => break,
        }
    }
    assert_eq!(all, (2..12).map(|i| i.to_string()).collect::<Vec<_>>());

    let up = c
        .update_item()
        .table_name("SdkT")
        .key("pk", s("p"))
        .key("sk", n("1"))
        .update_expression("SET #c = if_not_exists(#c, :z) + :inc")
        .expression_attribute_names("#c", "count")
        .expression_attribute_values(":z", n("0"))
        .expression_attribute_values(":inc", n("0.5"))
        .return_values(ReturnValue::AllNew)
        .send()
        .await
        .unwrap();
    assert_eq!(up.attributes().unwrap()["count"], n("0.5"));

    // Typed errors.
    let e = c
        .put_item()
        .table_name("SdkT")
        .item("pk", s("p"))
        .item("sk", n("1"))
        .condition_expression("attribute_not_exists(pk)")
        .send()
        .await
        .unwrap_err();
    assert!(
        e.as_service_error()
            .unwrap()
            .is_conditional_check_failed_exception(),
        "{e:?}"
    );
    let e = c
        .describe_table()
        .table_name("Missing")
        .send()
        .await
        .unwrap_err();
    assert!(
        e.as_service_error()
            .unwrap()
            .is_resource_not_found_exception(),
        "{e:?}"
    );
    let e = c
        .query()
        .table_name("SdkT")
        .key_condition_expression("pk = :p AND")
        .expression_attribute_values(":p", s("p"))
        .send()
        .await
        .unwrap_err();
    let msg = format!("{:?}", e.into_service_error());
    assert!(
        msg.contains("Invalid KeyConditionExpression: Syntax error"),
        "{msg}"
    );

    // A cancelled transaction reports its reasons.
    let e = c
        .transact_write_items()
        .transact_items(
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name("SdkT")
                        .item("pk", s("q"))
                        .item("sk", n("1"))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .transact_items(
            TransactWriteItem::builder()
                .update(
                    Update::builder()
                        .table_name("SdkT")
                        .key("pk", s("p"))
                        .key("sk", n("2"))
                        .update_expression("SET x = :v")
                        .condition_expression("attribute_not_exists(sk)")
                        .expression_attribute_values(":v", n("1"))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap_err();
    let se = e.into_service_error();
    let tc = match se {
        aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError::TransactionCanceledException(t) => t,
        other => panic!("{other:?}"),
    };
    let codes: Vec<&str> = tc
        .cancellation_reasons()
        .iter()
        .map(|r| r.code().unwrap_or(""))
        .collect();
    assert_eq!(codes, ["None", "ConditionalCheckFailed"]);
    let q = c
        .get_item()
        .table_name("SdkT")
        .key("pk", s("q"))
        .key("sk", n("1"))
        .send()
        .await
        .unwrap();
    assert!(q.item().is_none());

    let scan = c
        .scan()
        .table_name("SdkT")
        .select(aws_sdk_dynamodb::types::Select::Count)
        .send()
        .await
        .unwrap();
    assert_eq!(scan.count(), 12);
    c.delete_table().table_name("SdkT").send().await.unwrap();
    let tables = c.list_tables().send().await.unwrap();
    assert!(tables.table_names().is_empty());
}
