//! BatchGetItem and BatchWriteItem: up to 100 keys / 25 writes, validated
//! as a whole before anything is written. Everything is processed at once,
//! so `UnprocessedKeys` / `UnprocessedItems` are always empty.

use std::collections::BTreeSet;

use ruststack_sdk::protocol::shapes::dynamodb::{input, output};
use ruststack_sdk::protocol::typed::{each, entries};
use serde_json::{Map, Value};

use crate::error::{Res, validation};
use crate::expr::eval::project;
use crate::items::{consumed, parse_exprs, plan_key, plan_put};
use crate::storage;
use crate::table;
use crate::view::attrs;

/// BatchGetItem.
pub fn get(input: input::BatchGetItem<'_>) -> Res<Value> {
    let req = input.request_items();
    let tables = || entries(req);
    let total: usize = tables().map(|(_, t)| t.keys().map_or(0, |k| k.len())).sum();
    if total > 100 {
        return Err(validation(
            "Too many items requested for the BatchGetItem call",
        ));
    }
    if req.is_none_or(|m| m.is_empty()) {
        return Err(validation(
            "1 validation error detected: Value '{}' at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ));
    }
    let mut responses = Map::new();
    let mut caps = Vec::new();
    for (name, spec) in tables() {
        let meta = table::require(Some(name))?;
        let ex = parse_exprs(spec)?;
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for k in each(spec.keys()) {
            let (_, kv_key) = plan_key(&meta, attrs(Some(k)))?;
            if !seen.insert(kv_key.clone()) {
                return Err(validation("Provided list of item keys contains duplicates"));
            }
            if let Some((item, _)) = storage::read_raw(&kv_key) {
                let item = match &ex.projection {
                    Some(p) => project(&item, p),
                    None => item,
                };
                out.push(Value::Object(item));
            }
        }
        let units = out.len() as f64 * 0.5;
        if let Some(c) = consumed(input.return_consumed_capacity(), name, units) {
            caps.push(c);
        }
        responses.insert(name.to_string(), Value::Array(out));
    }
    Ok(output::BatchGetItem::new()
        .responses(responses)
        .unprocessed_keys(Map::new())
        .consumed_capacity((!caps.is_empty()).then_some(caps))
        .into())
}

/// BatchWriteItem.
pub fn write(input: input::BatchWriteItem<'_>) -> Res<Value> {
    let req = input.request_items();
    let tables = || entries(req);
    let total: usize = tables().map(|(_, writes)| writes.len()).sum();
    if req.is_none_or(|m| m.is_empty())
        || total > 25
        || tables().any(|(_, writes)| writes.is_empty())
    {
        return Err(validation(
            "1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]",
        ));
    }
    let mut plans = Vec::new();
    let mut caps = Vec::new();
    for (name, writes) in tables() {
        let meta = table::require(Some(name))?;
        let mut seen = BTreeSet::new();
        for w in writes.iter() {
            let (k, new) = match (w.put_request(), w.delete_request()) {
                (Some(p), None) => {
                    let plan = plan_put(&meta, attrs(p.item()))?;
                    (plan.kv_key, Some(plan.item))
                }
                (None, Some(d)) => (plan_key(&meta, attrs(d.key()))?.1, None),
                _ => {
                    return Err(validation(
                        "Supplied AttributeValue has more than one datatypes set, must contain exactly one of the supported datatypes",
                    ));
                }
            };
            if !seen.insert(k.clone()) {
                return Err(validation("Provided list of item keys contains duplicates"));
            }
            plans.push((meta.clone(), k, new));
        }
        let units = writes.len() as f64;
        if let Some(c) = consumed(input.return_consumed_capacity(), name, units) {
            caps.push(c);
        }
    }
    for (meta, k, new) in plans {
        let old = storage::read_raw(&k);
        if old.is_none() && new.is_none() {
            continue;
        }
        storage::write_item(
            &meta,
            &k,
            old.as_ref().map(|(i, r)| (i, r.as_slice())),
            new.as_ref(),
        );
    }
    Ok(output::BatchWriteItem::new()
        .unprocessed_items(Map::new())
        .consumed_capacity((!caps.is_empty()).then_some(caps))
        .into())
}
