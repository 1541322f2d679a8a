//! Single-item operations: PutItem, GetItem, UpdateItem, DeleteItem, and
//! the request-level expression handling they share with Query, Scan and
//! transactions.

use ruststack_sdk::protocol::shapes::dynamodb::{self as ddb, input, out, output};
use ruststack_sdk::protocol::typed::{List, Map};
use serde_json::Value;

use crate::attr::{self, Item, MAX_ITEM_SIZE};
use crate::error::{DdbError, Res, condition_failed, validation};
use crate::expr::ast::{Action, Cond, Path, Step};
use crate::expr::eval::{eval, project};
use crate::expr::parser::{Kind, Placeholders, parse_condition, parse_projection, parse_update};
use crate::expr::update::apply;
use crate::storage::{self, KeyUse};
use crate::table::{self, TableMeta};
use crate::view::{AttrMap, attrs};

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

/// The expression and legacy-condition members of one request (or of one
/// part of it: a transaction's `Put`, a BatchGetItem table), read through
/// the model view of its shape. Members its shape lacks stay `None`.
#[derive(Clone, Copy, Default)]
pub struct ExprInput<'a> {
    /// `ExpressionAttributeNames`.
    pub names: Option<Map<'a, &'a str>>,
    /// `ExpressionAttributeValues`.
    pub values: Option<AttrMap<'a>>,
    /// `ConditionExpression`.
    pub condition: Option<&'a str>,
    /// `KeyConditionExpression`.
    pub key_condition: Option<&'a str>,
    /// `FilterExpression`.
    pub filter: Option<&'a str>,
    /// `UpdateExpression`.
    pub update: Option<&'a str>,
    /// `ProjectionExpression`.
    pub projection: Option<&'a str>,
    /// `AttributesToGet`.
    pub attributes_to_get: Option<List<'a, &'a str>>,
    /// `Expected`.
    pub expected: Option<Map<'a, ddb::ExpectedAttributeValue<'a>>>,
    /// `AttributeUpdates`.
    pub attribute_updates: Option<Map<'a, ddb::AttributeValueUpdate<'a>>>,
    /// `KeyConditions`.
    pub key_conditions: Option<Map<'a, ddb::Condition<'a>>>,
    /// `QueryFilter`.
    pub query_filter: Option<Map<'a, ddb::Condition<'a>>>,
    /// `ScanFilter`.
    pub scan_filter: Option<Map<'a, ddb::Condition<'a>>>,
    /// `ConditionalOperator`.
    pub conditional_operator: Option<&'a str>,
}

impl<'a> From<input::PutItem<'a>> for ExprInput<'a> {
    fn from(i: input::PutItem<'a>) -> Self {
        ExprInput {
            names: i.expression_attribute_names(),
            values: i.expression_attribute_values(),
            condition: i.condition_expression(),
            expected: i.expected(),
            conditional_operator: i.conditional_operator(),
            ..Default::default()
        }
    }
}

impl<'a> From<input::GetItem<'a>> for ExprInput<'a> {
    fn from(i: input::GetItem<'a>) -> Self {
        ExprInput {
            names: i.expression_attribute_names(),
            projection: i.projection_expression(),
            attributes_to_get: i.attributes_to_get(),
            ..Default::default()
        }
    }
}

impl<'a> From<input::UpdateItem<'a>> for ExprInput<'a> {
    fn from(i: input::UpdateItem<'a>) -> Self {
        ExprInput {
            names: i.expression_attribute_names(),
            values: i.expression_attribute_values(),
            condition: i.condition_expression(),
            update: i.update_expression(),
            expected: i.expected(),
            attribute_updates: i.attribute_updates(),
            conditional_operator: i.conditional_operator(),
            ..Default::default()
        }
    }
}

impl<'a> From<input::DeleteItem<'a>> for ExprInput<'a> {
    fn from(i: input::DeleteItem<'a>) -> Self {
        ExprInput {
            names: i.expression_attribute_names(),
            values: i.expression_attribute_values(),
            condition: i.condition_expression(),
            expected: i.expected(),
            conditional_operator: i.conditional_operator(),
            ..Default::default()
        }
    }
}

impl<'a> From<input::Query<'a>> for ExprInput<'a> {
    fn from(i: input::Query<'a>) -> Self {
        ExprInput {
            names: i.expression_attribute_names(),
            values: i.expression_attribute_values(),
            key_condition: i.key_condition_expression(),
            filter: i.filter_expression(),
            projection: i.projection_expression(),
            attributes_to_get: i.attributes_to_get(),
            key_conditions: i.key_conditions(),
            query_filter: i.query_filter(),
            conditional_operator: i.conditional_operator(),
            ..Default::default()
        }
    }
}

impl<'a> From<input::Scan<'a>> for ExprInput<'a> {
    fn from(i: input::Scan<'a>) -> Self {
        ExprInput {
            names: i.expression_attribute_names(),
            values: i.expression_attribute_values(),
            filter: i.filter_expression(),
            projection: i.projection_expression(),
            attributes_to_get: i.attributes_to_get(),
            scan_filter: i.scan_filter(),
            conditional_operator: i.conditional_operator(),
            ..Default::default()
        }
    }
}

impl<'a> From<ddb::KeysAndAttributes<'a>> for ExprInput<'a> {
    fn from(i: ddb::KeysAndAttributes<'a>) -> Self {
        ExprInput {
            names: i.expression_attribute_names(),
            projection: i.projection_expression(),
            attributes_to_get: i.attributes_to_get(),
            ..Default::default()
        }
    }
}

impl<'a> From<ddb::Get<'a>> for ExprInput<'a> {
    fn from(i: ddb::Get<'a>) -> Self {
        ExprInput {
            names: i.expression_attribute_names(),
            projection: i.projection_expression(),
            ..Default::default()
        }
    }
}

impl<'a> From<ddb::ConditionCheck<'a>> for ExprInput<'a> {
    fn from(i: ddb::ConditionCheck<'a>) -> Self {
        ExprInput {
            names: i.expression_attribute_names(),
            values: i.expression_attribute_values(),
            condition: i.condition_expression(),
            ..Default::default()
        }
    }
}

impl<'a> From<ddb::Put<'a>> for ExprInput<'a> {
    fn from(i: ddb::Put<'a>) -> Self {
        ExprInput {
            names: i.expression_attribute_names(),
            values: i.expression_attribute_values(),
            condition: i.condition_expression(),
            ..Default::default()
        }
    }
}

impl<'a> From<ddb::Delete<'a>> for ExprInput<'a> {
    fn from(i: ddb::Delete<'a>) -> Self {
        ExprInput {
            names: i.expression_attribute_names(),
            values: i.expression_attribute_values(),
            condition: i.condition_expression(),
            ..Default::default()
        }
    }
}

impl<'a> From<ddb::Update<'a>> for ExprInput<'a> {
    fn from(i: ddb::Update<'a>) -> Self {
        ExprInput {
            names: i.expression_attribute_names(),
            values: i.expression_attribute_values(),
            condition: i.condition_expression(),
            update: i.update_expression(),
            ..Default::default()
        }
    }
}

/// A request body of any item operation, not yet decoded (as the fuzz
/// targets hold one): every member [`parse_exprs`] reads, through the views
/// of the operations that declare it.
impl<'a> From<&'a Value> for ExprInput<'a> {
    fn from(v: &'a Value) -> Self {
        let (update, query) = (input::UpdateItem(v), input::Query(v));
        ExprInput {
            key_condition: query.key_condition_expression(),
            filter: query.filter_expression(),
            projection: query.projection_expression(),
            attributes_to_get: query.attributes_to_get(),
            key_conditions: query.key_conditions(),
            query_filter: query.query_filter(),
            scan_filter: input::Scan(v).scan_filter(),
            ..ExprInput::from(update)
        }
    }
}

/// Parses the expressions of `input`, resolving placeholders and rejecting
/// unused, undefined or invalid ones as AWS does.
pub fn parse_exprs<'a>(input: impl Into<ExprInput<'a>>) -> Res<Exprs> {
    let input: ExprInput<'a> = input.into();
    if input.names.is_some_and(|m| m.is_empty()) {
        return Err(validation("ExpressionAttributeNames must not be empty"));
    }
    if input.values.is_some_and(|m| m.is_empty()) {
        return Err(validation("ExpressionAttributeValues must not be empty"));
    }
    let mut ph = Placeholders::from_maps(
        input.names.map(|m| m.values()),
        input.values.map(|m| m.values()),
    );
    for (k, v) in ph.values() {
        attr::validate(v).map_err(|m| {
            validation(format!(
                "ExpressionAttributeValues contains invalid value: {m} for key {k}"
            ))
        })?;
    }
    let texts = [
        ("ConditionExpression", input.condition),
        ("KeyConditionExpression", input.key_condition),
        ("FilterExpression", input.filter),
        ("UpdateExpression", input.update),
        ("ProjectionExpression", input.projection),
    ];
    for (f, text) in texts {
        // AWS's limit, on the string as sent; it also bounds how deep the
        // parser and evaluators recurse (a 1 MB expression overflowed them).
        if let Some(s) = text.filter(|s| s.len() > MAX_EXPRESSION) {
            return Err(validation(format!(
                "Invalid {f}: Expression size has exceeded the maximum allowed size; expression size: {}",
                s.len()
            )));
        }
    }
    let mut out = Exprs::default();
    let parse = |s, kind, ph: &mut Placeholders| parse_condition(s, kind, ph).map_err(validation);
    if let Some(s) = input.condition {
        out.condition = Some(parse(s, Kind::Condition, &mut ph)?);
    }
    if let Some(s) = input.key_condition {
        out.key_condition = Some(parse(s, Kind::KeyCondition, &mut ph)?);
    }
    if let Some(s) = input.filter {
        out.filter = Some(parse(s, Kind::Filter, &mut ph)?);
    }
    if let Some(s) = input.update {
        out.update = Some(parse_update(s, &mut ph).map_err(validation)?);
    }
    if let Some(s) = input.projection {
        out.projection = Some(parse_projection(s, &mut ph).map_err(validation)?);
    }
    if texts.iter().all(|(_, t)| t.is_none()) {
        if input.names.is_some() {
            return Err(validation(
                "ExpressionAttributeNames can only be specified when using expressions",
            ));
        }
        if input.values.is_some() {
            return Err(validation(
                "ExpressionAttributeValues can only be specified when using expressions",
            ));
        }
    }
    ph.check_unused().map_err(validation)?;
    legacy(&input, &mut out)?;
    if let Some(list) = input.attributes_to_get {
        if out.projection.is_some() {
            return Err(validation(
                "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {AttributesToGet} Expression parameters: {ProjectionExpression}",
            ));
        }
        out.projection = Some(
            list.iter()
                .map(|s| vec![Step::Attr(s.to_string())])
                .collect(),
        );
    }
    Ok(out)
}

/// AWS's error for a legacy parameter sent with its expression.
fn mixed(old: &str, new: &str) -> DdbError {
    validation(format!(
        "Can not use both expression and non-expression parameters in the same request: Non-expression parameters: {{{old}}} Expression parameters: {{{new}}}"
    ))
}

/// Translates the legacy parameters into `out`, refusing to mix them with expressions.
fn legacy(input: &ExprInput<'_>, out: &mut Exprs) -> Res<()> {
    let op = input.conditional_operator;
    if let Some(v) = input.expected {
        if input.condition.is_some() {
            return Err(mixed("Expected", "ConditionExpression"));
        }
        out.condition = crate::legacy::expected(v, op).map_err(validation)?;
    }
    if let Some(v) = input.attribute_updates {
        if input.update.is_some() {
            return Err(mixed("AttributeUpdates", "UpdateExpression"));
        }
        out.update = Some(crate::legacy::attribute_updates(v).map_err(validation)?);
    }
    if let Some(v) = input.key_conditions {
        if input.key_condition.is_some() {
            return Err(mixed("KeyConditions", "KeyConditionExpression"));
        }
        out.key_condition = crate::legacy::conditions(v, None).map_err(validation)?;
    }
    for (old, filter) in [
        ("QueryFilter", input.query_filter),
        ("ScanFilter", input.scan_filter),
    ] {
        let Some(v) = filter else { continue };
        if input.filter.is_some() {
            return Err(mixed(old, "FilterExpression"));
        }
        out.filter = crate::legacy::conditions(v, op).map_err(validation)?;
    }
    Ok(())
}

/// The `ConsumedCapacity` member when the caller asked for it
/// (`ReturnConsumedCapacity`).
pub fn consumed(asked: Option<&str>, table: &str, units: f64) -> Option<Value> {
    let total = out::ConsumedCapacity::new()
        .table_name(table)
        .capacity_units(units);
    match asked {
        Some("TOTAL") => Some(total.into()),
        Some("INDEXES") => Some(
            total
                .table(out::Capacity::new().capacity_units(units))
                .into(),
        ),
        _ => None,
    }
}

/// Checks a condition against the current item (absent: an empty item);
/// on failure the error carries the old item if the caller asked for it
/// (`ReturnValuesOnConditionCheckFailure`).
pub fn check_condition(
    cond: Option<&Cond>,
    old: Option<&Item>,
    on_failure: Option<&str>,
) -> Res<()> {
    let Some(c) = cond else { return Ok(()) };
    let empty = Item::new();
    if eval(old.unwrap_or(&empty), c, "ConditionExpression").map_err(validation)? {
        return Ok(());
    }
    let mut e = condition_failed();
    if on_failure == Some("ALL_OLD")
        && let Some(o) = old
    {
        e = e.with("Item", Value::Object(o.clone()));
    }
    Err(e)
}

/// The request's `ReturnValues` (default `NONE`), if the operation allows it.
fn return_values(rv: Option<&str>, allowed: &[&str]) -> Res<String> {
    let rv = rv.unwrap_or("NONE").to_string();
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

/// Validates an `Item` for `meta` (`None`: the item is missing).
pub fn plan_put(meta: &TableMeta, item: Option<&Item>) -> Res<PutPlan> {
    let item = attr::validate_map(item).map_err(validation)?;
    let key = storage::extract_key(meta, &item, KeyUse::Item)?;
    storage::check_index_keys(meta, &item)?;
    check_size(&item)?;
    Ok(PutPlan {
        kv_key: storage::item_key(meta, &key),
        item,
    })
}

/// Validates a `Key` for `meta` (`None`: the key is missing) and returns
/// it with its kv key.
pub fn plan_key(meta: &TableMeta, key: Option<&Item>) -> Res<(Item, Vec<u8>)> {
    let key = attr::validate_map(key).map_err(validation)?;
    let key = storage::extract_key(meta, &key, KeyUse::Key)?;
    let k = storage::item_key(meta, &key);
    Ok((key, k))
}

/// PutItem.
pub fn put(input: input::PutItem<'_>) -> Res<Value> {
    let meta = table::require(input.table_name())?;
    let rv = return_values(input.return_values(), &["NONE", "ALL_OLD"])?;
    let plan = plan_put(&meta, attrs(input.item()))?;
    let ex = parse_exprs(input)?;
    let old = storage::read_raw(&plan.kv_key);
    let on_failure = input.return_values_on_condition_check_failure();
    check_condition(
        ex.condition.as_ref(),
        old.as_ref().map(|o| &o.0),
        on_failure,
    )?;
    storage::write_item(
        &meta,
        &plan.kv_key,
        old.as_ref().map(|(i, r)| (i, r.as_slice())),
        Some(&plan.item),
    );
    let attributes = old.filter(|_| rv == "ALL_OLD").map(|(o, _)| o);
    Ok(output::PutItem::new()
        .attributes(attributes)
        .consumed_capacity(consumed(input.return_consumed_capacity(), meta.name(), 1.0))
        .into())
}

/// GetItem.
pub fn get(input: input::GetItem<'_>) -> Res<Value> {
    let meta = table::require(input.table_name())?;
    let (_, k) = plan_key(&meta, attrs(input.key()))?;
    let ex = parse_exprs(input)?;
    let item = storage::read_raw(&k).map(|(item, _)| match &ex.projection {
        Some(p) => project(&item, p),
        None => item,
    });
    Ok(output::GetItem::new()
        .item(item)
        .consumed_capacity(consumed(input.return_consumed_capacity(), meta.name(), 0.5))
        .into())
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
pub fn update(input: input::UpdateItem<'_>) -> Res<Value> {
    let meta = table::require(input.table_name())?;
    let rv = return_values(
        input.return_values(),
        &["NONE", "ALL_OLD", "ALL_NEW", "UPDATED_OLD", "UPDATED_NEW"],
    )?;
    let (key, k) = plan_key(&meta, attrs(input.key()))?;
    let ex = parse_exprs(input)?;
    let old = storage::read_raw(&k);
    let old_item = old.as_ref().map(|o| &o.0);
    let on_failure = input.return_values_on_condition_check_failure();
    check_condition(ex.condition.as_ref(), old_item, on_failure)?;
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
    let returned = match rv.as_str() {
        _ if creates_nothing => None,
        "ALL_OLD" => old_item.cloned(),
        "ALL_NEW" => Some(new.clone()),
        "UPDATED_OLD" => old_item.map(|o| project(o, &paths)),
        "UPDATED_NEW" => Some(project(&new, &paths)),
        _ => None,
    };
    Ok(output::UpdateItem::new()
        .attributes(returned.filter(|a| !a.is_empty()))
        .consumed_capacity(consumed(input.return_consumed_capacity(), meta.name(), 1.0))
        .into())
}

/// DeleteItem.
pub fn delete(input: input::DeleteItem<'_>) -> Res<Value> {
    let meta = table::require(input.table_name())?;
    let rv = return_values(input.return_values(), &["NONE", "ALL_OLD"])?;
    let (_, k) = plan_key(&meta, attrs(input.key()))?;
    let ex = parse_exprs(input)?;
    let old = storage::read_raw(&k);
    let on_failure = input.return_values_on_condition_check_failure();
    check_condition(
        ex.condition.as_ref(),
        old.as_ref().map(|o| &o.0),
        on_failure,
    )?;
    let mut reply = output::DeleteItem::new();
    if let Some((o, raw)) = &old {
        storage::write_item(&meta, &k, Some((o, raw)), None);
        if rv == "ALL_OLD" {
            reply.set_attributes(o.clone());
        }
    }
    Ok(reply
        .consumed_capacity(consumed(input.return_consumed_capacity(), meta.name(), 1.0))
        .into())
}

/// An error from a request that names a table that does not exist.
pub fn missing_table() -> DdbError {
    crate::error::not_found()
}
