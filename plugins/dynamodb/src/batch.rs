//! BatchGetItem and BatchWriteItem: up to 100 keys / 25 writes, validated
//! as a whole before anything is written. Everything is processed at once,
//! so `UnprocessedKeys` / `UnprocessedItems` are always empty.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use crate::error::{Res, validation};
use crate::expr::eval::project;
use crate::items::{consumed, parse_exprs, plan_key, plan_put};
use crate::storage;
use crate::table;

/// BatchGetItem.
pub fn get(input: &Value) -> Res<Value> {
    let req = input["RequestItems"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let total: usize = req
        .values()
        .map(|t| t["Keys"].as_array().map_or(0, Vec::len))
        .sum();
    if total > 100 {
        return Err(validation(
            "Too many items requested for the BatchGetItem call",
        ));
    }
    if req.is_empty() {
        return Err(validation(
            "1 validation error detected: Value '{}' at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ));
    }
    let mut responses = Map::new();
    let mut caps = Vec::new();
    for (name, spec) in &req {
        let mut t = spec.clone();
        t["TableName"] = json!(name);
        let meta = table::require(&t)?;
        let ex = parse_exprs(&t)?;
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for k in spec["Keys"].as_array().into_iter().flatten() {
            let (_, kv_key) = plan_key(&meta, k)?;
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
        if let Some(c) = consumed(input, name, out.len() as f64 * 0.5) {
            caps.push(c);
        }
        responses.insert(name.clone(), Value::Array(out));
    }
    let mut out = json!({ "Responses": responses, "UnprocessedKeys": {} });
    if !caps.is_empty() {
        out["ConsumedCapacity"] = Value::Array(caps);
    }
    Ok(out)
}

/// BatchWriteItem.
pub fn write(input: &Value) -> Res<Value> {
    let req = input["RequestItems"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    let total: usize = req.values().map(|t| t.as_array().map_or(0, Vec::len)).sum();
    if req.is_empty()
        || total > 25
        || req
            .values()
            .any(|t| t.as_array().is_none_or(|a| a.is_empty()))
    {
        return Err(validation(
            "1 validation error detected: Value at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]",
        ));
    }
    let mut plans = Vec::new();
    let mut caps = Vec::new();
    for (name, writes) in &req {
        let meta = table::require(&json!({ "TableName": name }))?;
        let mut seen = BTreeSet::new();
        for w in writes.as_array().into_iter().flatten() {
            let (k, new) = match (w.get("PutRequest"), w.get("DeleteRequest")) {
                (Some(p), None) => {
                    let plan = plan_put(&meta, &p["Item"])?;
                    (plan.kv_key, Some(plan.item))
                }
                (None, Some(d)) => (plan_key(&meta, &d["Key"])?.1, None),
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
        if let Some(c) = consumed(input, name, writes.as_array().map_or(0, Vec::len) as f64) {
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
    let mut out = json!({ "UnprocessedItems": {} });
    if !caps.is_empty() {
        out["ConsumedCapacity"] = Value::Array(caps);
    }
    Ok(out)
}
