//! DynamoDB details where AWS's behaviour is easy to get wrong, through the
//! AWS SDK for Rust: comparisons with missing attributes, and updates
//! without actions.

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, AttributeValueUpdate, BillingMode, KeySchemaElement,
    KeyType, ReturnValue, ScalarAttributeType,
};
use ruststack_tests::{Identity, Server, plugin_dir, sdk_config};

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.into())
}

/// A CreateTable of `name`, keyed by the string `pk`, billed on demand.
fn create(
    c: &Client,
    name: &str,
) -> aws_sdk_dynamodb::operation::create_table::builders::CreateTableFluentBuilder {
    c.create_table()
        .table_name(name)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
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
        .billing_mode(BillingMode::PayPerRequest)
}

async fn table(c: &Client, name: &str) {
    create(c, name).send().await.unwrap();
}

/// A table holding one item, `pk = "a"`.
async fn table_with_item(c: &Client, name: &str) {
    table(c, name).await;
    c.put_item()
        .table_name(name)
        .item("pk", s("a"))
        .send()
        .await
        .unwrap();
}

fn start() -> (Server, tempfile::TempDir, Client) {
    let plugins = plugin_dir(&["dynamodb"]);
    let server = Server::start(&["--ephemeral", "--plugins", plugins.path().to_str().unwrap()]);
    let c = Client::new(&sdk_config(&server.url, &Identity::default()));
    (server, plugins, c)
}

/// A missing attribute equals nothing, so `a <> :v` holds for it, in
/// conditions and filters alike, while `a = :v` does not.
#[tokio::test(flavor = "multi_thread")]
async fn not_equal_holds_for_a_missing_attribute() {
    let (_server, _plugins, c) = start();
    table(&c, "neq").await;
    for (pk, colour) in [("a", Some("red")), ("b", Some("blue")), ("c", None)] {
        let mut put = c.put_item().table_name("neq").item("pk", s(pk));
        if let Some(colour) = colour {
            put = put.item("colour", s(colour));
        }
        put.send().await.unwrap();
    }
    // Condition on an item without the attribute: `<>` passes, `=` fails.
    c.put_item()
        .table_name("neq")
        .item("pk", s("c"))
        .item("size", s("L"))
        .condition_expression("colour <> :v")
        .expression_attribute_values(":v", s("red"))
        .send()
        .await
        .expect("colour <> :v holds where colour is missing");
    let err = c
        .put_item()
        .table_name("neq")
        .item("pk", s("c"))
        .condition_expression("colour = :v")
        .expression_attribute_values(":v", s("red"))
        .send()
        .await
        .unwrap_err();
    let e = err.into_service_error();
    assert!(
        e.is_conditional_check_failed_exception(),
        "colour = :v must fail where colour is missing: {e:?}"
    );
    // Condition on an item that does not exist at all.
    c.put_item()
        .table_name("neq")
        .item("pk", s("new"))
        .condition_expression("colour <> :v")
        .expression_attribute_values(":v", s("red"))
        .send()
        .await
        .expect("colour <> :v holds on a new item");
    // Filter: every item but the red one.
    let out = c
        .scan()
        .table_name("neq")
        .filter_expression("colour <> :v")
        .expression_attribute_values(":v", s("red"))
        .send()
        .await
        .unwrap();
    let mut keys: Vec<String> = out
        .items()
        .iter()
        .map(|i| i["pk"].as_s().unwrap().clone())
        .collect();
    keys.sort();
    assert_eq!(keys, ["b", "c", "new"]);
}

/// UpdateItem with nothing to update leaves a missing item missing (and
/// returns no attributes); with an action it creates the item.
#[tokio::test(flavor = "multi_thread")]
async fn an_update_without_actions_does_not_create_the_item() {
    let (_server, _plugins, c) = start();
    table(&c, "upd").await;
    let out = c
        .update_item()
        .table_name("upd")
        .key("pk", s("ghost"))
        .return_values(ReturnValue::AllNew)
        .send()
        .await
        .unwrap();
    assert!(out.attributes().is_none(), "{out:?}");
    let got = c
        .get_item()
        .table_name("upd")
        .key("pk", s("ghost"))
        .send()
        .await
        .unwrap();
    assert!(got.item().is_none(), "{got:?}");
    // Legacy AttributeUpdates with an action does create it.
    c.update_item()
        .table_name("upd")
        .key("pk", s("real"))
        .attribute_updates(
            "n",
            AttributeValueUpdate::builder()
                .value(AttributeValue::N("1".into()))
                .build(),
        )
        .send()
        .await
        .unwrap();
    let got = c
        .get_item()
        .table_name("upd")
        .key("pk", s("real"))
        .send()
        .await
        .unwrap();
    assert_eq!(got.item().unwrap()["n"], AttributeValue::N("1".into()));
}

/// A global secondary index serves only eventually consistent reads; a
/// local one and the table serve both.
#[tokio::test(flavor = "multi_thread")]
async fn consistent_reads_are_refused_on_global_indexes() {
    use aws_sdk_dynamodb::types::{GlobalSecondaryIndex, Projection, ProjectionType};
    let (_server, _plugins, c) = start();
    create(&c, "gsi")
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("colour")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("by-colour")
                .key_schema(
                    KeySchemaElement::builder()
                        .attribute_name("colour")
                        .key_type(KeyType::Hash)
                        .build()
                        .unwrap(),
                )
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    c.put_item()
        .table_name("gsi")
        .item("pk", s("a"))
        .item("colour", s("red"))
        .send()
        .await
        .unwrap();
    fn message<E: aws_sdk_dynamodb::error::ProvideErrorMetadata, R>(
        e: aws_sdk_dynamodb::error::SdkError<E, R>,
    ) -> (String, String) {
        use aws_sdk_dynamodb::error::ProvideErrorMetadata;
        (
            e.code().unwrap_or_default().to_string(),
            e.message().unwrap_or_default().to_string(),
        )
    }
    let expected = (
        "ValidationException".to_string(),
        "Consistent reads are not supported on global secondary indexes".to_string(),
    );
    let err = c
        .query()
        .table_name("gsi")
        .index_name("by-colour")
        .key_condition_expression("colour = :c")
        .expression_attribute_values(":c", s("red"))
        .consistent_read(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(message(err), expected);
    let err = c
        .scan()
        .table_name("gsi")
        .index_name("by-colour")
        .consistent_read(true)
        .send()
        .await
        .unwrap_err();
    assert_eq!(message(err), expected);
    // Eventually consistent reads of the index, and consistent ones of the
    // table, are served.
    let out = c
        .query()
        .table_name("gsi")
        .index_name("by-colour")
        .key_condition_expression("colour = :c")
        .expression_attribute_values(":c", s("red"))
        .send()
        .await
        .unwrap();
    assert_eq!(out.count(), 1);
    let out = c
        .scan()
        .table_name("gsi")
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    assert_eq!(out.count(), 1);
}

/// Paths that overlap (one inside the other) or conflict (a list index and
/// a map key under one parent) are refused in projections and updates.
#[tokio::test(flavor = "multi_thread")]
async fn overlapping_and_conflicting_paths_are_refused() {
    use aws_sdk_dynamodb::error::ProvideErrorMetadata;
    let (_server, _plugins, c) = start();
    table_with_item(&c, "paths").await;
    let projection = |expr: &str| {
        c.get_item()
            .table_name("paths")
            .key("pk", s("a"))
            .projection_expression(expr)
            .send()
    };
    let e = projection("a, c, a.b").await.unwrap_err();
    assert_eq!(e.code(), Some("ValidationException"));
    assert_eq!(
        e.message(),
        Some(
            "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]"
        )
    );
    let e = projection("a[0], a.b").await.unwrap_err();
    assert_eq!(
        e.message(),
        Some(
            "Invalid ProjectionExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, [0]], path two: [a, b]"
        )
    );
    projection("a.b, a.c, d[1]").await.expect("separate paths");
    let e = c
        .update_item()
        .table_name("paths")
        .key("pk", s("a"))
        .update_expression("SET m[0] = :v, m.k = :v")
        .expression_attribute_values(":v", s("x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        e.message(),
        Some(
            "Invalid UpdateExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [m, [0]], path two: [m, k]"
        )
    );
}

/// An ExclusiveStartKey holds exactly the key attributes.
#[tokio::test(flavor = "multi_thread")]
async fn a_start_key_with_other_attributes_is_refused() {
    use aws_sdk_dynamodb::error::ProvideErrorMetadata;
    let (_server, _plugins, c) = start();
    table_with_item(&c, "esk").await;
    let expected = Some(
        "The provided starting key is invalid: The provided key element does not match the schema",
    );
    let e = c
        .scan()
        .table_name("esk")
        .exclusive_start_key("pk", s("a"))
        .exclusive_start_key("other", s("x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        (e.code(), e.message()),
        (Some("ValidationException"), expected)
    );
    let e = c
        .scan()
        .table_name("esk")
        .exclusive_start_key("other", s("x"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(e.message(), expected);
    let out = c
        .scan()
        .table_name("esk")
        .exclusive_start_key("pk", s("a"))
        .send()
        .await
        .unwrap();
    assert_eq!(out.count(), 0);
}

/// A Query's start key must lie in the partition and the sort key range
/// its key condition selects.
#[tokio::test(flavor = "multi_thread")]
async fn a_query_start_key_outside_the_condition_is_refused() {
    use aws_sdk_dynamodb::error::ProvideErrorMetadata;
    let (_server, _plugins, c) = start();
    create(&c, "esk-q")
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("sk")
                .attribute_type(ScalarAttributeType::N)
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
        .send()
        .await
        .unwrap();
    let n = |v: &str| AttributeValue::N(v.into());
    for (pk, sk) in [("a", "1"), ("a", "2"), ("a", "3"), ("b", "1")] {
        c.put_item()
            .table_name("esk-q")
            .item("pk", s(pk))
            .item("sk", n(sk))
            .send()
            .await
            .unwrap();
    }
    let query = |cond: &str| {
        let q = c
            .query()
            .table_name("esk-q")
            .key_condition_expression(cond)
            .expression_attribute_values(":p", s("a"));
        if cond.contains(":s") {
            q.expression_attribute_values(":s", n("2"))
        } else {
            q
        }
    };
    // A start key in partition "b" for a query of partition "a".
    let e = query("pk = :p")
        .exclusive_start_key("pk", s("b"))
        .exclusive_start_key("sk", n("1"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        (e.code(), e.message()),
        (
            Some("ValidationException"),
            Some(
                "The provided starting key is outside query boundaries based on provided conditions"
            )
        )
    );
    // A start key whose sort key the condition excludes.
    let e = query("pk = :p AND sk > :s")
        .exclusive_start_key("pk", s("a"))
        .exclusive_start_key("sk", n("1"))
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        (e.code(), e.message()),
        (
            Some("ValidationException"),
            Some("The provided starting key does not match the range key predicate")
        )
    );
    // Inside the range, the query resumes after it.
    let out = query("pk = :p AND sk >= :s")
        .exclusive_start_key("pk", s("a"))
        .exclusive_start_key("sk", n("2"))
        .send()
        .await
        .unwrap();
    let sks: Vec<_> = out.items().iter().map(|i| i["sk"].clone()).collect();
    assert_eq!(sks, [n("3")]);
}

/// DeleteTable describes the table without its schema, creation time and
/// indexes, as AWS does.
#[tokio::test(flavor = "multi_thread")]
async fn delete_table_describes_what_aws_describes() {
    let (_server, _plugins, c) = start();
    table_with_item(&c, "gone").await;
    let d = c
        .delete_table()
        .table_name("gone")
        .send()
        .await
        .unwrap()
        .table_description
        .unwrap();
    assert_eq!(d.table_name(), Some("gone"));
    assert_eq!(d.table_status().map(|s| s.as_str()), Some("DELETING"));
    assert!(d.table_arn().unwrap().ends_with(":table/gone"));
    assert!(d.table_id().is_some());
    assert_eq!(d.item_count(), Some(1));
    assert!(d.provisioned_throughput().is_some());
    assert!(d.attribute_definitions().is_empty());
    assert!(d.key_schema().is_empty());
    assert!(d.creation_date_time().is_none());
    assert!(d.global_secondary_indexes().is_empty());
}

/// Key sizes, numbers, tokens, functions, paths and schema definitions
/// that AWS refuses, each with AWS's message.
#[tokio::test(flavor = "multi_thread")]
async fn invalid_inputs_are_refused_in_aws_words() {
    use aws_sdk_dynamodb::types::{
        GlobalSecondaryIndex, Projection, ProjectionType, Put, Select, TransactWriteItem,
    };
    let (_server, _plugins, c) = start();
    let def = |name: &str| {
        AttributeDefinition::builder()
            .attribute_name(name)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .unwrap()
    };
    let key = |name: &str, t: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(name)
            .key_type(t)
            .build()
            .unwrap()
    };
    let gsi = GlobalSecondaryIndex::builder()
        .index_name("by-g")
        .key_schema(key("g", KeyType::Hash))
        .key_schema(key("h", KeyType::Range))
        .projection(
            Projection::builder()
                .projection_type(ProjectionType::All)
                .build(),
        )
        .build()
        .unwrap();
    create(&c, "limits")
        .attribute_definitions(def("sk"))
        .attribute_definitions(def("g"))
        .attribute_definitions(def("h"))
        .key_schema(key("sk", KeyType::Range))
        .global_secondary_indexes(gsi)
        .send()
        .await
        .unwrap();
    let put = |extra: &[(&str, AttributeValue)]| {
        let mut p = c
            .put_item()
            .table_name("limits")
            .item("pk", s("a"))
            .item("sk", s("b"));
        for (k, v) in extra {
            p = p.item(*k, v.clone());
        }
        p
    };
    let long = |n: usize| s(&"x".repeat(n));
    let mut got = Vec::new();
    let mut expect = Vec::new();
    let mut case = |e: String, want: &str| {
        got.push(e);
        expect.push(want.to_string());
    };

    let r = c
        .put_item()
        .table_name("limits")
        .item("pk", long(2049))
        .item("sk", s("b"))
        .send()
        .await;
    case(
        refused(r),
        "ValidationException: One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes",
    );
    let r = c
        .get_item()
        .table_name("limits")
        .key("pk", s("a"))
        .key("sk", long(1025))
        .send()
        .await;
    case(
        refused(r),
        "ValidationException: One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes",
    );
    let r = put(&[("g", long(2049))]).send().await;
    case(
        refused(r),
        "ValidationException: One or more parameter values were invalid: Size limit exceeded for Index Key g Actual Size: 2049 bytes Max Size: 2048 bytes IndexName: by-g",
    );
    let r = put(&[("g", s("g")), ("h", long(1025))]).send().await;
    case(
        refused(r),
        "ValidationException: One or more parameter values were invalid: Size limit exceeded for Index Key h Actual Size: 1025 bytes Max Size: 1024 bytes IndexName: by-g",
    );
    // At the limits, the item is stored.
    let r = put(&[
        ("g", long(2048)),
        ("h", long(1024)),
        ("l", AttributeValue::L(vec![])),
    ])
    .send()
    .await;
    case(refused(r), "accepted");
    let r = put(&[("n", AttributeValue::N("abc".into()))]).send().await;
    case(
        refused(r),
        "ValidationException: The parameter cannot be converted to a numeric value: abc",
    );
    let r = c
        .transact_write_items()
        .client_request_token("t".repeat(37))
        .transact_items(
            TransactWriteItem::builder()
                .put(
                    Put::builder()
                        .table_name("limits")
                        .item("pk", s("t"))
                        .item("sk", s("t"))
                        .build()
                        .unwrap(),
                )
                .build(),
        )
        .send()
        .await;
    case(
        refused(r),
        &format!(
            "ValidationException: 1 validation error detected: Value '{}' at 'clientRequestToken' failed to satisfy constraint: Member must have length less than or equal to 36",
            "t".repeat(37)
        ),
    );
    let r = put(&[]).condition_expression("foo(pk)").send().await;
    case(
        refused(r),
        "ValidationException: Invalid ConditionExpression: Invalid function name; function: foo",
    );
    let update = |expression: &str| {
        c.update_item()
            .table_name("limits")
            .key("pk", s("a"))
            .key("sk", s("b"))
            .update_expression(expression)
            .expression_attribute_values(":s", s("x"))
    };
    let r = update("SET l = list_append(:s, l)").send().await;
    case(
        refused(r),
        "ValidationException: Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: list_append, operand type: STRING",
    );
    let r = update("SET l.x = :s").send().await;
    case(
        refused(r),
        "ValidationException: The document path provided in the update expression is invalid for update",
    );
    let r = c
        .scan()
        .table_name("limits")
        .select(Select::Count)
        .projection_expression("pk")
        .send()
        .await;
    case(
        refused(r),
        "ValidationException: One or more parameter values were invalid: Cannot specify the ProjectionExpression when choosing to get COUNT",
    );
    let r = c
        .create_table()
        .table_name("twice")
        .attribute_definitions(def("pk"))
        .attribute_definitions(def("pk"))
        .key_schema(key("pk", KeyType::Hash))
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await;
    case(
        refused(r),
        "ValidationException: Cannot have two attributes with the same name. Attribute name: pk",
    );
    let r = create(&c, "keys-only")
        .attribute_definitions(def("g"))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("by-g")
                .key_schema(key("g", KeyType::Hash))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::KeysOnly)
                        .non_key_attributes("x")
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await;
    case(
        refused(r),
        "ValidationException: One or more parameter values were invalid: ProjectionType is ALL or KEYS_ONLY, but NonKeyAttributes is specified",
    );
    assert_eq!(got, expect);
}

/// `code: message` of an error answer, or `accepted`.
fn refused<T, E: aws_sdk_dynamodb::error::ProvideErrorMetadata>(r: Result<T, E>) -> String {
    match r {
        Ok(_) => "accepted".into(),
        Err(e) => format!(
            "{}: {}",
            e.code().unwrap_or("-"),
            e.message().unwrap_or("-")
        ),
    }
}
