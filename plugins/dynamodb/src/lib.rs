//! Amazon DynamoDB as a RustStack plugin (JSON 1.0,
//! `X-Amz-Target: DynamoDB_20120810.<Operation>`).
//!
//! Layout of the kv namespace (see [`storage`]): table descriptions under
//! `t/<name>`, items under `i/<table>/<partition key>/<sort key>` with an
//! order-preserving, type-aware key encoding so Query is a range scan, and
//! secondary-index entries under `x/<table>/<index>/<index keys>/<base keys>`
//! kept in step with every write. Every item write is a compare-and-set on
//! the bytes read, so concurrent conditional writes never both win.

pub mod admin;
pub mod attr;
pub mod batch;
pub mod error;
pub mod expr;
pub mod items;
pub mod legacy;
pub mod migration;
pub mod number;
pub mod oversize;
pub mod partiql;
pub mod query;
pub mod storage;
pub mod streams;
pub mod table;
pub mod transact;
pub mod ttl;
pub mod view;

use ruststack_sdk::http::{Reply, answer, decode};
use ruststack_sdk::protocol::ops::dynamodb::Op;
use ruststack_sdk::protocol::shapes::dynamodb::{input, output};
use ruststack_sdk::protocol::{Codec, Model, Value, models, validate};
use ruststack_sdk::{Description, Matcher, Outcome, Protocol, Request, Service};

pub use error::DdbError;

/// The plugin's version.
pub const VERSION: &str = "0.1.0";

/// DynamoDB's largest request (a batch of 16 MB).
pub const MAX_REQUEST_BODY: u64 = 16 * 1024 * 1024;

/// The service.
pub struct DynamoDb;

/// Facts about the request that operations need (region, clock).
pub struct Ctx {
    /// Region from the credential scope.
    pub region: String,
    /// Account id.
    pub account: String,
    /// Milliseconds since the epoch when the request arrived.
    pub now_ms: u64,
}

impl Service for DynamoDb {
    fn describe() -> Description {
        Description {
            name: "dynamodb".into(),
            version: VERSION.into(),
            protocol: Protocol::Json,
            matchers: vec![
                Matcher {
                    target_prefix: Some(TABLES_TARGET.into()),
                    ..Matcher::none()
                },
                Matcher {
                    target_prefix: Some(STREAMS_TARGET.into()),
                    ..Matcher::none()
                },
                Matcher {
                    signing_service: Some("dynamodb".into()),
                    ..Matcher::none()
                },
            ],
            fallback: false,
            max_inline_body: MAX_REQUEST_BODY as u32,
            body_limit: Some(ruststack_sdk::BodyLimit::new(
                MAX_REQUEST_BODY,
                &ruststack_sdk::AwsError::client(
                    "ValidationException",
                    format!("Request size exceeds the maximum of {MAX_REQUEST_BODY} bytes"),
                ),
            )),
            settings: vec![ttl::sweep_setting()],
            operations: [Api::Tables, Api::Streams]
                .iter()
                .flat_map(|api| api.model().operation_names())
                .collect(),
        }
    }

    fn resources() -> Vec<ruststack_sdk::Resource> {
        table::resources()
    }

    fn handle(req: Request) -> Outcome {
        let api = Api::of_target(req.header("x-amz-target"));
        let model = api.model();
        let codec = Codec::new(model);
        let body = match req.body_bytes() {
            Ok(b) => b,
            Err(e) => return answer(&req, &codec, Err(e)),
        };
        let writes_items = req
            .header("x-amz-target")
            .and_then(|t| t.strip_prefix(TABLES_TARGET))
            .and_then(Op::from_name)
            .is_some_and(oversize::writes_items);
        if writes_items && oversize::has_oversized_item(&body) {
            return answer(&req, &codec, Err(*items::item_too_large().error));
        }
        let (op, input) = match decode(&codec, &req, &body) {
            Ok(x) => x,
            Err(e) => return answer(&req, &codec, Err(e)),
        };
        // DynamoDB checks the input against its model before the
        // operation runs, reporting up to ten violations at once.
        let violations = validate::check_operation(model, op, &input, &validate::Rules::ALL);
        if let Some(e) = validate::validation_error(&violations) {
            return answer(&req, &codec, Err(e));
        }
        let ctx = Ctx {
            region: req.context.region.clone(),
            account: req.context.account.clone(),
            now_ms: ruststack_sdk::ids::now_ms(),
        };
        let result = match api {
            Api::Streams => streams::dispatch(&op.name, &input),
            Api::Tables => dispatch(&ctx, &op.name, input),
        };
        let result = result.map(|v| (op, Reply::from(v))).map_err(|e| *e.error);
        answer(&req, &codec, result)
    }

    fn on_timer(payload: Vec<u8>) {
        ttl::on_timer(&payload);
    }

    fn legacy_scope(key: &[u8], value: &[u8]) -> Option<ruststack_sdk::scope::Scope> {
        Some(migration::scope_of(key, value))
    }
}

/// Runs one operation on its decoded input: each handler reads it through
/// the typed view of its operation's input shape.
pub fn dispatch(ctx: &Ctx, op: &str, decoded: Value) -> Result<Value, DdbError> {
    let Some(op) = Op::from_name(op) else {
        return Err(ruststack_sdk::AwsError::not_implemented(op).into());
    };
    let v = &decoded;
    match op {
        Op::CreateTable => table::create(ctx, input::CreateTable(v)),
        Op::DescribeTable => table::describe(input::DescribeTable(v)),
        Op::ListTables => table::list(input::ListTables(v)),
        Op::UpdateTable => table::update(ctx, input::UpdateTable(v)),
        Op::DeleteTable => table::delete(input::DeleteTable(v)),
        Op::PutItem => items::put(input::PutItem(v)),
        Op::GetItem => items::get(input::GetItem(v)),
        Op::UpdateItem => items::update(input::UpdateItem(v)),
        Op::DeleteItem => items::delete(input::DeleteItem(v)),
        Op::Query => query::query(input::Query(v)),
        Op::Scan => query::scan(input::Scan(v)),
        Op::BatchGetItem => batch::get(input::BatchGetItem(v)),
        Op::BatchWriteItem => batch::write(input::BatchWriteItem(v)),
        Op::TransactWriteItems => transact::write(ctx, input::TransactWriteItems(v)),
        Op::TransactGetItems => transact::get(input::TransactGetItems(v)),
        Op::UpdateTimeToLive => ttl::update(input::UpdateTimeToLive(v)),
        Op::DescribeTimeToLive => ttl::describe(input::DescribeTimeToLive(v)),
        Op::DescribeContinuousBackups => {
            admin::describe_backups(input::DescribeContinuousBackups(v))
        }
        Op::UpdateContinuousBackups => admin::update_backups(input::UpdateContinuousBackups(v)),
        Op::TagResource => admin::tag(input::TagResource(v)),
        Op::UntagResource => admin::untag(input::UntagResource(v)),
        Op::ListTagsOfResource => admin::list_tags(input::ListTagsOfResource(v)),
        Op::ExecuteStatement => partiql::execute(input::ExecuteStatement(v)),
        Op::BatchExecuteStatement => partiql::batch(input::BatchExecuteStatement(v)),
        Op::ExecuteTransaction => partiql::transaction(ctx, input::ExecuteTransaction(v)),
        Op::DescribeKinesisStreamingDestination => {
            admin::kinesis_destinations(input::DescribeKinesisStreamingDestination(v))
        }
        Op::DescribeContributorInsights => {
            admin::contributor_insights(input::DescribeContributorInsights(v))
        }
        Op::GetResourcePolicy => admin::resource_policy(input::GetResourcePolicy(v)),
        Op::ListBackups => Ok(output::ListBackups::new()
            .backup_summaries(Vec::<Value>::new())
            .into()),
        Op::ListGlobalTables => Ok(output::ListGlobalTables::new()
            .global_tables(Vec::<Value>::new())
            .into()),
        Op::ListExports => Ok(output::ListExports::new()
            .export_summaries(Vec::<Value>::new())
            .into()),
        Op::ListImports => Ok(output::ListImports::new()
            .import_summary_list(Vec::<Value>::new())
            .into()),
        Op::DescribeEndpoints => Ok(admin::endpoints(ctx)),
        Op::DescribeLimits => Ok(admin::limits()),
        // Not emulated: AWS's NotImplemented-style answer.
        Op::CancelBulkOperation
        | Op::CreateBackup
        | Op::CreateGlobalTable
        | Op::DeleteBackup
        | Op::DeleteResourcePolicy
        | Op::DescribeBackup
        | Op::DescribeBulkOperation
        | Op::DescribeExport
        | Op::DescribeGlobalTable
        | Op::DescribeGlobalTableSettings
        | Op::DescribeImport
        | Op::DescribeTableReplicaAutoScaling
        | Op::DisableKinesisStreamingDestination
        | Op::EnableKinesisStreamingDestination
        | Op::ExportTableToPointInTime
        | Op::ImportTable
        | Op::ListBulkOperations
        | Op::ListContributorInsights
        | Op::PutResourcePolicy
        | Op::RestoreTableFromBackup
        | Op::RestoreTableToPointInTime
        | Op::SearchVectors
        | Op::StartBulkPutItems
        | Op::UpdateContributorInsights
        | Op::UpdateGlobalTable
        | Op::UpdateGlobalTableSettings
        | Op::UpdateKinesisStreamingDestination
        | Op::UpdateTableReplicaAutoScaling => {
            Err(ruststack_sdk::AwsError::not_implemented(op.name()).into())
        }
    }
}

/// `X-Amz-Target` prefix of DynamoDB's operations.
const TABLES_TARGET: &str = "DynamoDB_20120810.";
/// `X-Amz-Target` prefix of DynamoDB Streams' operations.
const STREAMS_TARGET: &str = "DynamoDBStreams_20120810.";

/// The two APIs this plugin serves, told apart by `X-Amz-Target`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Api {
    /// DynamoDB: tables, items, transactions.
    Tables,
    /// DynamoDB Streams: the change records of tables.
    Streams,
}

impl Api {
    /// The API a request's `X-Amz-Target` names (DynamoDB's when none does).
    pub fn of_target(target: Option<&str>) -> Api {
        if target.is_some_and(|t| t.starts_with(STREAMS_TARGET)) {
            Api::Streams
        } else {
            Api::Tables
        }
    }

    /// The API's service model.
    pub fn model(self) -> &'static Model {
        match self {
            Api::Tables => models::dynamodb(),
            Api::Streams => models::dynamodbstreams(),
        }
    }
}

ruststack_sdk::plugin!(DynamoDb);

#[cfg(test)]
mod tests {
    use ruststack_sdk::testkit::{self, RequestBuilder};
    use serde_json::{Value, json};

    use super::DynamoDb;

    fn call(op: &str, body: Value) -> (u16, Value) {
        let req =
            RequestBuilder::json(&format!("DynamoDB_20120810.{op}"), &body.to_string()).build();
        let (status, bytes) = testkit::respond::<DynamoDb>(req);
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    #[test]
    fn items_round_trip_through_the_codec_and_kv() {
        testkit::reset();
        let (st, _) = call(
            "CreateTable",
            json!({"TableName": "unit", "BillingMode": "PAY_PER_REQUEST",
                "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "N"}],
                "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]}),
        );
        assert_eq!(st, 200);
        let (st, _) = call(
            "PutItem",
            json!({"TableName": "unit", "Item": {"id": {"N": "1.50"}, "v": {"S": "x"}}}),
        );
        assert_eq!(st, 200);
        // Numbers are normalised, so 1.5 finds the item stored as 1.50.
        let (_, got) = call(
            "GetItem",
            json!({"TableName": "unit", "Key": {"id": {"N": "1.5"}}}),
        );
        assert_eq!(got["Item"], json!({"id": {"N": "1.5"}, "v": {"S": "x"}}));
        let (st, err) = call(
            "PutItem",
            json!({"TableName": "unit", "Item": {"id": {"N": "1.5"}}, "ConditionExpression": "attribute_not_exists(id)"}),
        );
        assert_eq!(st, 400);
        assert_eq!(
            err["__type"],
            "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException"
        );
        // Expressions over 4 KB are refused as AWS does (found by `just
        // fuzz`: a 1 MB one overflowed the stack).
        let long = vec!["v = :v"; 700].join(" AND ");
        let (st, err) = call(
            "Scan",
            json!({"TableName": "unit", "FilterExpression": long, "ExpressionAttributeValues": {":v": {"S": "x"}}}),
        );
        assert_eq!(st, 400);
        assert_eq!(
            err["message"],
            format!(
                "Invalid FilterExpression: Expression size has exceeded the maximum allowed size; expression size: {}",
                long.len()
            )
        );
        let fits = vec!["v = :v"; 4096 / 11].join(" AND ");
        let (st, _) = call(
            "Scan",
            json!({"TableName": "unit", "FilterExpression": fits, "ExpressionAttributeValues": {":v": {"S": "x"}}}),
        );
        assert_eq!(st, 200);
        let (st, err) = call("Frobnicate", json!({}));
        assert_eq!(st, 400);
        assert!(
            err["__type"]
                .as_str()
                .unwrap()
                .ends_with("UnknownOperationException")
        );
    }
}
