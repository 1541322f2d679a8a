//! Single-item operations: PutItem, GetItem, UpdateItem, DeleteItem, and
//! the request-level expression handling they share with Query, Scan and
//! transactions.

use serde_json::{Value, json};

use crate::attr::{self, Item, MAX_ITEM_SIZE};
use crate::error::{DdbError, Res, condition_failed, validation};
use crate::expr::ast::{Action, Cond, Path, Step};
use crate::expr::eval::{eval, project};
use crate::expr::parser::{Kind, Placeholders, parse_condition, parse_projection, parse_update};
use crate::expr::update::apply;
use crate::storage::{self, KeyUse};
use crate::table::{self, TableMeta};

/// The parsed expressions of one request.
#[derive(Default)]
pub struct Exprs {
    pub condition: Option<Cond>,
    pub filter: Option<Cond>,
    pub key_condition: Option<Cond>,
    pub update: Option<Vec<Action>>,
    pub projection: Option<Vec<Path>>,
}

/// The longest expression string DynamoDB accepts (4 KB).
pub const MAX_EXPRESSION: usize = 4096;

/// Parses the expressions of `input` (those named in `fields`), resolving
/// placeholders and rejecting unused, undefined or invalid ones as AWS does.
pub fn parse_exprs(input: &Value) -> Res<Exprs> {
    let names = input.get("ExpressionAttributeNames");
    let values = input.get("ExpressionAttributeValues");
    if names
        .and_then(Value::as_object)
        .is_some_and(|m| m.is_empty())
    {
        return Err(validation("ExpressionAttributeNames must not be empty"));
    }
    if values
        .and_then(Value::as_object)
        .is_some_and(|m| m.is_empty())
    {
        return Err(validation("ExpressionAttributeValues must not be empty"));
    }
    let mut ph = Placeholders::new(names, values);
    for (k, v) in ph.values() {
        attr::validate(v).map_err(|m| {
            validation(format!(
                "ExpressionAttributeValues contains invalid value: {m} for key {k}"
            ))
        })?;
    }
    let mut out = Exprs::default();
    let mut any = false;
    let text = |f: &str| input.get(f).and_then(Value::as_str);
    for f in [
        "ConditionExpression",
        "KeyConditionExpression",
        "FilterExpression",
        "UpdateExpression",
        "ProjectionExpression",
    ] {
        // AWS's limit, on the string as sent; it also bounds how deep the
        // parser and evaluators recurse (a 1 MB expression overflowed them).
        if let Some(s) = text(f).filter(|s| s.len() > MAX_EXPRESSION) {
            return Err(validation(format!(
                "Invalid {f}: Expression size has exceeded the maximum allowed size; expression size: {}",
                s.len()
            )));
        }
    }
    if let Some(s) = text("ConditionExpression") {
        any = true;
        out.condition = Some(parse_condition(s, Kind::Condition, &mut ph).map_err(validation)?);
    }
    if let Some(s) = text("KeyConditionExpression") {
        any = true;
        out.key_condition =
            Some(parse_condition(s, Kind::KeyCondition, &mut ph).map_err(validation)?);
    }
    if let Some(s) = text("FilterExpression") {
        any = true;
        out.filter = Some(parse_condition(s, Kind::Filter, &mut ph).map_err(validation)?);
    }
    if let Some(s) = text("UpdateExpression") {
        any = true;
        out.update = Some(parse_update(s, &mut ph).map_err(validation)?);
    }
    if let Some(s) = text("ProjectionExpression") {
        any = true;
        out.projection = Some(parse_projection(s, &mut ph).map_err(validation)?);
    }
    if !any {
        if names.is_some() {
            return Err(validation(
                "ExpressionAttributeNames can only be specified when using expressions",
            ));
        }
        if values.is_some() {
            return Err(validation(
                "ExpressionAttributeValues can only be specified when using expressions",
            ));
        }
    }
    ph.check_unused().map_err(validation)?;
    legacy(input, &mut out)?;
    if let Some(list) = input.get("AttributesToGet").and_then(Value::as_array) {
        if out.projection.is_some() {
            return Err(validation(
                "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}",
            ));
        }
        out.projection = Some(
            list.iter()
                .filter_map(Value::as_str)
                .map(|s| vec![Step::Attr(s.to_string())])
                .collect(),
        );
    }
    Ok(out)
}

/// Translates the legacy parameters into `out`, refusing to mix them with expressions.
fn legacy(input: &Value, out: &mut Exprs) -> Res<()> {
    let pairs = [
        ("Expected", "ConditionExpression"),
        ("AttributeUpdates", "UpdateExpression"),
        ("KeyConditions", "KeyConditionExpression"),
        ("QueryFilter", "FilterExpression"),
        ("ScanFilter", "FilterExpression"),
    ];
    let op = input.get("ConditionalOperator").and_then(Value::as_str);
    for (old, new) in pairs {
        let Some(v) = input.get(old) else { continue };
        if input.get(new).is_some() {
            return Err(validation(format!(
                "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {{{old}}} Expression parameters: {{{new}}}"
            )));
        }
        match old {
            "Expected" => out.condition = crate::legacy::expected(v, op).map_err(validation)?,
            "AttributeUpdates" => {
                out.update = Some(crate::legacy::attribute_updates(v).map_err(validation)?)
            }
            "KeyConditions" => {
                out.key_condition = crate::legacy::conditions(v, None).map_err(validation)?
            }
            _ => out.filter = crate::legacy::conditions(v, op).map_err(validation)?,
        }
    }
    Ok(())
}

/// The `ConsumedCapacity` member when the caller asked for it.
pub fn consumed(input: &Value, table: &str, units: f64) -> Option<Value> {
    match input["ReturnConsumedCapacity"].as_str() {
        Some("TOTAL") => Some(json!({"TableName": table, "CapacityUnits": units})),
        Some("INDEXES") => Some(
            json!({"TableName": table, "CapacityUnits": units, "Table": {"CapacityUnits": units}}),
        ),
        _ => None,
    }
}

/// Checks a condition against the current item (absent: an empty item);
/// on failure the error carries the old item if the caller asked for it.
pub fn check_condition(cond: Option<&Cond>, old: Option<&Item>, input: &Value) -> Res<()> {
    let Some(c) = cond else { return Ok(()) };
    let empty = Item::new();
    if eval(old.unwrap_or(&empty), c, "ConditionExpression").map_err(validation)? {
        return Ok(());
    }
    let mut e = condition_failed();
    if input["ReturnValuesOnConditionCheckFailure"] == "ALL_OLD"
        && let Some(o) = old
    {
        e = e.with("Item", Value::Object(o.clone()));
    }
    Err(e)
}

fn return_values(input: &Value, allowed: &[&str]) -> Res<String> {
    let rv = input["ReturnValues"].as_str().unwrap_or("NONE").to_string();
    if !allowed.contains(&rv.as_str()) {
        return Err(validation("Return values set to invalid value"));
    }
    Ok(rv)
}

fn check_size(item: &Item) -> Res<()> {
    if attr::item_size(item) > MAX_ITEM_SIZE {
        return Err(item_too_large());
    }
    Ok(())
}

/// DynamoDB's error for an item over 400 KB.
pub fn item_too_large() -> DdbError {
    validation("Item size has exceeded the maximum allowed size")
}

/// A validated item ready to be put: its key and kv key.
pub struct PutPlan {
    pub item: Item,
    pub kv_key: Vec<u8>,
}

/// Validates an `Item` for `meta`.
pub fn plan_put(meta: &TableMeta, item: &Value) -> Res<PutPlan> {
    let item = attr::validate_item(item).map_err(validation)?;
    let key = storage::extract_key(meta, &item, KeyUse::Item)?;
    storage::check_index_keys(meta, &item)?;
    check_size(&item)?;
    Ok(PutPlan {
        kv_key: storage::item_key(meta, &key),
        item,
    })
}

/// Validates a `Key` for `meta` and returns its kv key.
pub fn plan_key(meta: &TableMeta, key: &Value) -> Res<(Item, Vec<u8>)> {
    let key = attr::validate_item(key).map_err(validation)?;
    let key = storage::extract_key(meta, &key, KeyUse::Key)?;
    let k = storage::item_key(meta, &key);
    Ok((key, k))
}

/// PutItem.
pub fn put(input: &Value) -> Res<Value> {
    let meta = table::require(input)?;
    let rv = return_values(input, &["NONE", "ALL_OLD"])?;
    let plan = plan_put(&meta, &input["Item"])?;
    let ex = parse_exprs(input)?;
    let old = storage::read_raw(&plan.kv_key);
    check_condition(ex.condition.as_ref(), old.as_ref().map(|o| &o.0), input)?;
    storage::write_item(
        &meta,
        &plan.kv_key,
        old.as_ref().map(|(i, r)| (i, r.as_slice())),
        Some(&plan.item),
    );
    let mut out = json!({});
    if rv == "ALL_OLD"
        && let Some((o, _)) = &old
    {
        out["Attributes"] = Value::Object(o.clone());
    }
    if let Some(c) = consumed(input, meta.name(), 1.0) {
        out["ConsumedCapacity"] = c;
    }
    Ok(out)
}

/// GetItem.
pub fn get(input: &Value) -> Res<Value> {
    let meta = table::require(input)?;
    let (_, k) = plan_key(&meta, &input["Key"])?;
    let ex = parse_exprs(input)?;
    let mut out = json!({});
    if let Some((item, _)) = storage::read_raw(&k) {
        let item = match &ex.projection {
            Some(p) => project(&item, p),
            None => item,
        };
        out["Item"] = Value::Object(item);
    }
    if let Some(c) = consumed(input, meta.name(), 0.5) {
        out["ConsumedCapacity"] = c;
    }
    Ok(out)
}

/// The item after an update (for UpdateItem and transactions).
pub fn updated_item(
    meta: &TableMeta,
    key: &Item,
    old: Option<&Item>,
    actions: Option<&[Action]>,
) -> Res<(Item, Vec<Path>)> {
    let base = old.cloned().unwrap_or_else(|| key.clone());
    let key_names = meta.key_names();
    let names: Vec<&str> = key_names.iter().map(String::as_str).collect();
    let (new, paths) = match actions {
        Some(a) => apply(&base, a, &names).map_err(validation)?,
        None => (base, Vec::new()),
    };
    for v in new.values() {
        attr::validate(v).map_err(validation)?;
    }
    storage::check_index_keys(meta, &new)?;
    check_size(&new)?;
    Ok((new, paths))
}

/// UpdateItem.
pub fn update(input: &Value) -> Res<Value> {
    let meta = table::require(input)?;
    let rv = return_values(
        input,
        &["NONE", "ALL_OLD", "ALL_NEW", "UPDATED_OLD", "UPDATED_NEW"],
    )?;
    let (key, k) = plan_key(&meta, &input["Key"])?;
    let ex = parse_exprs(input)?;
    let old = storage::read_raw(&k);
    let old_item = old.as_ref().map(|o| &o.0);
    check_condition(ex.condition.as_ref(), old_item, input)?;
    let (new, paths) = updated_item(&meta, &key, old_item, ex.update.as_deref())?;
    // Without update actions AWS leaves a missing item missing.
    let creates_nothing = old.is_none() && ex.update.as_ref().is_none_or(Vec::is_empty);
    if !creates_nothing {
        storage::write_item(
            &meta,
            &k,
            old.as_ref().map(|(i, r)| (i, r.as_slice())),
            Some(&new),
        );
    }
    let attrs = match rv.as_str() {
        _ if creates_nothing => None,
        "ALL_OLD" => old_item.cloned(),
        "ALL_NEW" => Some(new.clone()),
        "UPDATED_OLD" => old_item.map(|o| project(o, &paths)),
        "UPDATED_NEW" => Some(project(&new, &paths)),
        _ => None,
    };
    let mut out = json!({});
    if let Some(a) = attrs.filter(|a| !a.is_empty()) {
        out["Attributes"] = Value::Object(a);
    }
    if let Some(c) = consumed(input, meta.name(), 1.0) {
        out["ConsumedCapacity"] = c;
    }
    Ok(out)
}

/// DeleteItem.
pub fn delete(input: &Value) -> Res<Value> {
    let meta = table::require(input)?;
    let rv = return_values(input, &["NONE", "ALL_OLD"])?;
    let (_, k) = plan_key(&meta, &input["Key"])?;
    let ex = parse_exprs(input)?;
    let old = storage::read_raw(&k);
    check_condition(ex.condition.as_ref(), old.as_ref().map(|o| &o.0), input)?;
    let mut out = json!({});
    if let Some((o, raw)) = &old {
        storage::write_item(&meta, &k, Some((o, raw)), None);
        if rv == "ALL_OLD" {
            out["Attributes"] = Value::Object(o.clone());
        }
    }
    if let Some(c) = consumed(input, meta.name(), 1.0) {
        out["ConsumedCapacity"] = c;
    }
    Ok(out)
}

/// An error from a request that names a table that does not exist.
pub fn missing_table() -> DdbError {
    crate::error::not_found()
}
