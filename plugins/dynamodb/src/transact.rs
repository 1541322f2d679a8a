//! TransactWriteItems and TransactGetItems: every condition is checked
//! before anything is written, so a transaction is all or nothing; items
//! only checked are pinned with a compare-and-set of their unchanged bytes
//! so a concurrent writer forces the host to re-run the transaction.

use std::collections::BTreeSet;

use ruststack_sdk::AwsError;
use ruststack_sdk::keys::Key;
use ruststack_sdk::kv;
use serde_json::{Value, json};

use crate::Ctx;
use crate::attr::Item;
use crate::error::{DdbError, Res, validation};
use crate::expr::eval::{eval, project};
use crate::items::{parse_exprs, plan_key, plan_put, updated_item};
use crate::storage;
use crate::table::{self, TableMeta};

/// How long a ClientRequestToken is remembered.
const TOKEN_TTL_MS: u64 = 10 * 60 * 1000;

struct Step {
    meta: std::rc::Rc<TableMeta>,
    kv_key: Vec<u8>,
    old: Option<(Item, Vec<u8>)>,
    /// `Some(None)` deletes, `None` only checks.
    new: Option<Option<Item>>,
}

/// TransactWriteItems.
pub fn write(ctx: &Ctx, input: &Value) -> Res<Value> {
    let list = input["TransactItems"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if list.is_empty() || list.len() > 100 {
        return Err(validation(format!(
            "1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length {}",
            if list.is_empty() {
                "greater than or equal to 1"
            } else {
                "less than or equal to 100"
            }
        )));
    }
    let token_key = input["ClientRequestToken"]
        .as_str()
        .map(|t| Key::new().str("tok").str(t).into_bytes());
    let fingerprint = serde_json::to_vec(&input["TransactItems"]).expect("JSON values serialize");
    if let Some(tk) = &token_key
        && let Some(prev) = kv::get(tk)
        && let Ok(prev) = serde_json::from_slice::<Value>(&prev)
        && prev["at"].as_u64().unwrap_or(0) + TOKEN_TTL_MS > ctx.now_ms
    {
        if prev["req"].as_str() != Some(&String::from_utf8_lossy(&fingerprint)) {
            return Err(AwsError::client(
                "IdempotentParameterMismatchException",
                "The request uses the same client token as a previous, but non-identical request.",
            )
            .into());
        }
        return Ok(json!({}));
    }
    let mut steps = Vec::new();
    let mut reasons = Vec::new();
    let mut failed = false;
    let mut seen = BTreeSet::new();
    for (n, t) in list.iter().enumerate() {
        let obj = t.as_object().cloned().unwrap_or_default();
        if obj.len() != 1 {
            return Err(validation(
                "TransactItems can only contain one of Check, Put, Update or Delete",
            ));
        }
        let (kind, spec) = obj.into_iter().next().expect("one entry");
        let meta = table::require(&spec)?;
        let ex = parse_exprs(&spec)?;
        let (kv_key, key, put) = match kind.as_str() {
            "Put" => {
                let p = plan_put(&meta, &spec["Item"])?;
                let key = storage::extract_key(&meta, &p.item, storage::KeyUse::Item)?;
                (p.kv_key, key, Some(p.item))
            }
            _ => {
                let (key, k) = plan_key(&meta, &spec["Key"])?;
                (k, key, None)
            }
        };
        if !seen.insert(kv_key.clone()) {
            return Err(validation(
                "Transaction request cannot include multiple operations on one item",
            ));
        }
        let old = storage::read_raw(&kv_key);
        let old_item = old.as_ref().map(|o| &o.0);
        let ok = match &ex.condition {
            Some(c) => eval(old_item.unwrap_or(&Item::new()), c, "ConditionExpression")
                .map_err(validation)?,
            None => {
                if kind == "ConditionCheck" {
                    return Err(validation(format!(
                        "1 validation error detected: Value null at 'transactItems.{}.member.conditionCheck.conditionExpression' failed to satisfy constraint: Member must not be null",
                        n + 1
                    )));
                }
                true
            }
        };
        // An update that cannot apply to this item cancels the transaction
        // with a ValidationError reason, as on AWS.
        let mut invalid = None;
        let new = match kind.as_str() {
            "Put" => Some(put),
            "Delete" => Some(None),
            "Update" if ok => match updated_item(&meta, &key, old_item, ex.update.as_deref()) {
                Ok((item, _)) => Some(Some(item)),
                Err(e) => {
                    invalid = Some(e.error.message.clone());
                    None
                }
            },
            _ => None,
        };
        if let Some(msg) = invalid {
            failed = true;
            reasons.push(json!({"Code": "ValidationError", "Message": msg}));
        } else if ok {
            reasons.push(json!({"Code": "None"}));
        } else {
            failed = true;
            let mut r = json!({"Code": "ConditionalCheckFailed", "Message": "The conditional request failed"});
            if spec["ReturnValuesOnConditionCheckFailure"] == "ALL_OLD"
                && let Some(o) = old_item
            {
                r["Item"] = Value::Object(o.clone());
            }
            reasons.push(r);
        }
        steps.push(Step {
            meta,
            kv_key,
            old,
            new,
        });
    }
    if failed {
        let codes: Vec<&str> = reasons
            .iter()
            .map(|r| r["Code"].as_str().unwrap_or("None"))
            .collect();
        let e: DdbError = AwsError::client(
            "TransactionCanceledException",
            format!(
                "Transaction cancelled, please refer cancellation reasons for specific reasons [{}]",
                codes.join(", ")
            ),
        )
        .into();
        return Err(e.with("CancellationReasons", Value::Array(reasons)));
    }
    for s in steps {
        let old = s.old.as_ref().map(|(i, r)| (i, r.as_slice()));
        match s.new {
            Some(new) => {
                if old.is_some() || new.is_some() {
                    storage::write_item(&s.meta, &s.kv_key, old, new.as_ref());
                } else {
                    kv::compare_and_set(&s.kv_key, None, None);
                }
            }
            None => {
                let raw = s.old.as_ref().map(|(_, r)| r.as_slice());
                kv::compare_and_set(&s.kv_key, raw, raw);
            }
        }
    }
    if let Some(tk) = token_key {
        let rec = json!({"at": ctx.now_ms, "req": String::from_utf8_lossy(&fingerprint)});
        kv::put(
            &tk,
            &serde_json::to_vec(&rec).expect("JSON values serialize"),
        );
    }
    Ok(json!({}))
}

/// TransactGetItems.
pub fn get(input: &Value) -> Res<Value> {
    let list = input["TransactItems"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if list.is_empty() || list.len() > 100 {
        return Err(validation(format!(
            "1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length {}",
            if list.is_empty() {
                "greater than or equal to 1"
            } else {
                "less than or equal to 100"
            }
        )));
    }
    let mut out = Vec::new();
    for t in &list {
        let spec = &t["Get"];
        let meta = table::require(spec)?;
        let ex = parse_exprs(spec)?;
        let (_, k) = plan_key(&meta, &spec["Key"])?;
        match storage::read_raw(&k) {
            Some((item, _)) => {
                let item = match &ex.projection {
                    Some(p) => project(&item, p),
                    None => item,
                };
                out.push(json!({ "Item": item }));
            }
            None => out.push(json!({})),
        }
    }
    Ok(json!({ "Responses": out }))
}
