//! Table-level settings and account facts: tags, continuous backups (PITR),
//! DescribeEndpoints and DescribeLimits.

use ruststack_sdk::AwsError;
use serde_json::{Value, json};

use crate::Ctx;
use crate::error::{Res, validation};
use crate::table::{self, TableMeta};

/// Validates tags as AWS does (at most 50, key 1–128 and value 0–256 characters).
pub fn check_tags(tags: &[Value]) -> Res<()> {
    if tags.len() > 50 {
        return Err(validation(
            "One or more parameter values were invalid: Too many tags",
        ));
    }
    for t in tags {
        let k = t["Key"].as_str().unwrap_or("");
        let v = t["Value"].as_str().unwrap_or("");
        if k.is_empty() || k.chars().count() > 128 {
            return Err(validation(format!(
                "1 validation error detected: Value '{k}' at 'tags.1.member.key' failed to satisfy constraint: Member must have length {}",
                if k.is_empty() {
                    "greater than or equal to 1"
                } else {
                    "less than or equal to 128"
                }
            )));
        }
        if v.chars().count() > 256 {
            return Err(validation(format!(
                "1 validation error detected: Value '{v}' at 'tags.1.member.value' failed to satisfy constraint: Member must have length less than or equal to 256"
            )));
        }
    }
    Ok(())
}

fn by_arn(input: &Value) -> Res<TableMeta> {
    let arn = input["ResourceArn"].as_str().unwrap_or("");
    let parsed = ruststack_sdk::ids::parse_arn(arn).filter(|a| a.service == "dynamodb");
    let Some(name) = parsed
        .as_ref()
        .and_then(|a| a.resource.strip_prefix("table/"))
    else {
        return Err(validation(format!(
            "Invalid TableArn: Invalid ResourceArn provided as input {arn}"
        )));
    };
    let name = name.split('/').next().unwrap_or("");
    match table::load(name) {
        Some(m) if m.arn() == arn => Ok(m),
        _ => Err(AwsError::client(
            "ResourceNotFoundException",
            format!("Requested resource not found: ResourcArn: {arn} not found"),
        )
        .into()),
    }
}

/// TagResource: adds or replaces tags.
pub fn tag(input: &Value) -> Res<Value> {
    let mut meta = by_arn(input)?;
    let new = input["Tags"].as_array().cloned().unwrap_or_default();
    check_tags(&new)?;
    for t in new {
        meta.tags.retain(|x| x["Key"] != t["Key"]);
        meta.tags.push(t);
    }
    check_tags(&meta.tags)?;
    table::save(&meta);
    Ok(json!({}))
}

/// UntagResource.
pub fn untag(input: &Value) -> Res<Value> {
    let mut meta = by_arn(input)?;
    let keys: Vec<Value> = input["TagKeys"].as_array().cloned().unwrap_or_default();
    meta.tags.retain(|t| !keys.contains(&t["Key"]));
    table::save(&meta);
    Ok(json!({}))
}

/// ListTagsOfResource (one page holds every tag: at most 50 exist).
pub fn list_tags(input: &Value) -> Res<Value> {
    let meta = by_arn(input)?;
    Ok(json!({ "Tags": meta.tags }))
}

fn backups_description(meta: &TableMeta) -> Value {
    let pitr = if meta.pitr {
        json!({
            "PointInTimeRecoveryStatus": "ENABLED",
            "RecoveryPeriodInDays": 35,
            "EarliestRestorableDateTime": meta.desc["CreationDateTime"],
            "LatestRestorableDateTime": ruststack_sdk::ids::now_ms() as f64 / 1000.0,
        })
    } else {
        json!({"PointInTimeRecoveryStatus": "DISABLED"})
    };
    json!({"ContinuousBackupsStatus": "ENABLED", "PointInTimeRecoveryDescription": pitr})
}

fn table_for_backups(input: &Value) -> Res<TableMeta> {
    let name = &crate::table::name_of(input);
    table::check_name(name, "tableName")?;
    table::load(name).ok_or_else(|| {
        AwsError::client("TableNotFoundException", format!("Table not found: {name}")).into()
    })
}

/// DescribeContinuousBackups.
pub fn describe_backups(input: &Value) -> Res<Value> {
    let meta = table_for_backups(input)?;
    Ok(json!({ "ContinuousBackupsDescription": backups_description(&meta) }))
}

/// UpdateContinuousBackups: turns point-in-time recovery on or off.
pub fn update_backups(input: &Value) -> Res<Value> {
    let mut meta = table_for_backups(input)?;
    let spec = &input["PointInTimeRecoverySpecification"];
    meta.pitr = spec["PointInTimeRecoveryEnabled"] == true;
    if let Some(days) = spec["RecoveryPeriodInDays"].as_i64()
        && !(1..=35).contains(&days)
    {
        return Err(validation(
            "1 validation error detected: Value at 'pointInTimeRecoverySpecification.recoveryPeriodInDays' failed to satisfy constraint: Member must have value between 1 and 35",
        ));
    }
    table::save(&meta);
    Ok(json!({ "ContinuousBackupsDescription": backups_description(&meta) }))
}

/// DescribeEndpoints.
pub fn endpoints(ctx: &Ctx) -> Value {
    json!({"Endpoints": [{"Address": format!("dynamodb.{}.amazonaws.com", ctx.region), "CachePeriodInMinutes": 1440}]})
}

/// DescribeLimits (AWS's default account quotas).
pub fn limits() -> Value {
    json!({
        "AccountMaxReadCapacityUnits": 80000,
        "AccountMaxWriteCapacityUnits": 80000,
        "TableMaxReadCapacityUnits": 40000,
        "TableMaxWriteCapacityUnits": 40000,
    })
}

/// DescribeKinesisStreamingDestination: no Kinesis destinations exist here.
pub fn kinesis_destinations(input: &Value) -> Res<Value> {
    let name = &crate::table::name_of(input);
    table::check_name(name, "tableName")?;
    table::load(name).ok_or_else(|| crate::error::table_not_found(name))?;
    Ok(json!({"TableName": name, "KinesisDataStreamDestinations": []}))
}

/// DescribeContributorInsights: contributor insights are never enabled.
pub fn contributor_insights(input: &Value) -> Res<Value> {
    let name = &crate::table::name_of(input);
    table::check_name(name, "tableName")?;
    let meta = table::load(name).ok_or_else(|| crate::error::table_not_found(name))?;
    let mut out = json!({"TableName": name, "ContributorInsightsStatus": "DISABLED"});
    if let Some(i) = input["IndexName"].as_str() {
        if meta.index(i).is_none() {
            return Err(AwsError::client(
                "ResourceNotFoundException",
                format!("Requested resource not found: Index: {i} not found"),
            )
            .into());
        }
        out["IndexName"] = json!(i);
    }
    Ok(out)
}

/// GetResourcePolicy: tables here never carry a resource policy.
pub fn resource_policy(input: &Value) -> Res<Value> {
    let arn = input["ResourceArn"].as_str().unwrap_or("");
    by_arn(input)?;
    Err(AwsError::client(
        "PolicyNotFoundException",
        format!("Resource-based policy not found for the provided ResourceArn: {arn}"),
    )
    .into())
}
