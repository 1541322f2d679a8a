//! Table-level settings and account facts: tags, continuous backups (PITR),
//! DescribeEndpoints and DescribeLimits.

use ruststack_sdk::AwsError;
use ruststack_sdk::protocol::shapes::dynamodb::{Tag, input, out, output};
use ruststack_sdk::protocol::typed::each;
use serde_json::{Map, Value};

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
        let t = Tag(t);
        let k = t.key().unwrap_or("");
        let v = t.value().unwrap_or("");
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

/// The table a `ResourceArn` names.
fn by_arn(arn: Option<&str>) -> Res<TableMeta> {
    let arn = arn.unwrap_or("");
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
pub fn tag(input: input::TagResource<'_>) -> Res<Value> {
    let mut meta = by_arn(input.resource_arn())?;
    let new = input.tags().map_or_else(Vec::new, |l| l.values().to_vec());
    check_tags(&new)?;
    for t in new {
        meta.tags.retain(|x| Tag(x).key() != Tag(&t).key());
        meta.tags.push(t);
    }
    check_tags(&meta.tags)?;
    table::save(&meta);
    Ok(Value::Object(Map::new()))
}

/// UntagResource.
pub fn untag(input: input::UntagResource<'_>) -> Res<Value> {
    let mut meta = by_arn(input.resource_arn())?;
    let keys: Vec<&str> = each(input.tag_keys()).collect();
    meta.tags
        .retain(|t| Tag(t).key().is_none_or(|k| !keys.contains(&k)));
    table::save(&meta);
    Ok(Value::Object(Map::new()))
}

/// ListTagsOfResource (one page holds every tag: at most 50 exist).
pub fn list_tags(input: input::ListTagsOfResource<'_>) -> Res<Value> {
    let meta = by_arn(input.resource_arn())?;
    Ok(output::ListTagsOfResource::new().tags(meta.tags).into())
}

fn backups_description(meta: &TableMeta) -> out::ContinuousBackupsDescription {
    let pitr = if meta.pitr {
        out::PointInTimeRecoveryDescription::new()
            .point_in_time_recovery_status("ENABLED")
            .recovery_period_in_days(35)
            .earliest_restorable_date_time(meta.view().creation_date_time())
            .latest_restorable_date_time(ruststack_sdk::ids::now_ms() as f64 / 1000.0)
    } else {
        out::PointInTimeRecoveryDescription::new().point_in_time_recovery_status("DISABLED")
    };
    out::ContinuousBackupsDescription::new()
        .continuous_backups_status("ENABLED")
        .point_in_time_recovery_description(pitr)
}

fn table_for_backups(table_name: Option<&str>) -> Res<TableMeta> {
    let name = &table::name_of(table_name);
    table::check_name(name, "tableName")?;
    table::load(name).ok_or_else(|| {
        AwsError::client("TableNotFoundException", format!("Table not found: {name}")).into()
    })
}

/// DescribeContinuousBackups.
pub fn describe_backups(input: input::DescribeContinuousBackups<'_>) -> Res<Value> {
    let meta = table_for_backups(input.table_name())?;
    Ok(output::DescribeContinuousBackups::new()
        .continuous_backups_description(backups_description(&meta))
        .into())
}

/// UpdateContinuousBackups: turns point-in-time recovery on or off.
pub fn update_backups(input: input::UpdateContinuousBackups<'_>) -> Res<Value> {
    let mut meta = table_for_backups(input.table_name())?;
    let spec = input.point_in_time_recovery_specification();
    meta.pitr = spec.and_then(|s| s.point_in_time_recovery_enabled()) == Some(true);
    if let Some(days) = spec.and_then(|s| s.recovery_period_in_days())
        && !(1..=35).contains(&days)
    {
        return Err(validation(
            "1 validation error detected: Value at 'pointInTimeRecoverySpecification.recoveryPeriodInDays' failed to satisfy constraint: Member must have value between 1 and 35",
        ));
    }
    table::save(&meta);
    Ok(output::UpdateContinuousBackups::new()
        .continuous_backups_description(backups_description(&meta))
        .into())
}

/// DescribeEndpoints.
pub fn endpoints(ctx: &Ctx) -> Value {
    let endpoint = out::Endpoint::new()
        .address(format!("dynamodb.{}.amazonaws.com", ctx.region))
        .cache_period_in_minutes(1440);
    output::DescribeEndpoints::new()
        .endpoints(vec![endpoint])
        .into()
}

/// DescribeLimits (AWS's default account quotas).
pub fn limits() -> Value {
    output::DescribeLimits::new()
        .account_max_read_capacity_units(80000)
        .account_max_write_capacity_units(80000)
        .table_max_read_capacity_units(40000)
        .table_max_write_capacity_units(40000)
        .into()
}

/// DescribeKinesisStreamingDestination: no Kinesis destinations exist here.
pub fn kinesis_destinations(input: input::DescribeKinesisStreamingDestination<'_>) -> Res<Value> {
    let name = &table::name_of(input.table_name());
    table::check_name(name, "tableName")?;
    table::load(name).ok_or_else(|| crate::error::table_not_found(name))?;
    Ok(output::DescribeKinesisStreamingDestination::new()
        .table_name(name.as_str())
        .kinesis_data_stream_destinations(Vec::<Value>::new())
        .into())
}

/// DescribeContributorInsights: contributor insights are never enabled.
pub fn contributor_insights(input: input::DescribeContributorInsights<'_>) -> Res<Value> {
    let name = &table::name_of(input.table_name());
    table::check_name(name, "tableName")?;
    let meta = table::load(name).ok_or_else(|| crate::error::table_not_found(name))?;
    if let Some(i) = input.index_name()
        && meta.index(i).is_none()
    {
        return Err(AwsError::client(
            "ResourceNotFoundException",
            format!("Requested resource not found: Index: {i} not found"),
        )
        .into());
    }
    Ok(output::DescribeContributorInsights::new()
        .table_name(name.as_str())
        .contributor_insights_status("DISABLED")
        .index_name(input.index_name())
        .into())
}

/// GetResourcePolicy: tables here never carry a resource policy.
pub fn resource_policy(input: input::GetResourcePolicy<'_>) -> Res<Value> {
    let arn = input.resource_arn().unwrap_or("");
    by_arn(input.resource_arn())?;
    Err(AwsError::client(
        "PolicyNotFoundException",
        format!("Resource-based policy not found for the provided ResourceArn: {arn}"),
    )
    .into())
}
