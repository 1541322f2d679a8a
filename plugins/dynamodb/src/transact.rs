//! TransactWriteItems and TransactGetItems: every condition is checked
//! before anything is written, so a transaction is all or nothing; items
//! only checked are pinned with a compare-and-set of their unchanged bytes
//! so a concurrent writer forces the host to re-run the transaction.

use std::collections::BTreeSet;

use ruststack_sdk::AwsError;
use ruststack_sdk::keys::Key;
use ruststack_sdk::kv;
use ruststack_sdk::protocol::shapes::dynamodb::{self as ddb, input, out, output};
use ruststack_sdk::protocol::typed::each;
use serde_json::{Value, json};

use crate::Ctx;
use crate::attr::Item;
use crate::error::{DdbError, Res, validation};
use crate::expr::eval::{eval, project};
use crate::items::{ExprInput, parse_exprs, plan_key, plan_put, updated_item};
use crate::storage;
use crate::table::{self, TableMeta};
use crate::view::{AttrMap, attrs};

/// How long a ClientRequestToken is remembered.
const TOKEN_TTL_MS: u64 = 10 * 60 * 1000;

struct Step {
    meta: std::rc::Rc<TableMeta>,
    kv_key: Vec<u8>,
    old: Option<(Item, Vec<u8>)>,
    /// `Some(None)` deletes, `None` only checks.
    new: Option<Option<Item>>,
}

/// One entry of TransactWriteItems: exactly one of its four actions.
#[derive(Clone, Copy)]
enum Action<'a> {
    Check(ddb::ConditionCheck<'a>),
    Put(ddb::Put<'a>),
    Delete(ddb::Delete<'a>),
    Update(ddb::Update<'a>),
}

impl<'a> Action<'a> {
    /// The action of an entry, or AWS's error when it holds none or several.
    fn of(t: ddb::TransactWriteItem<'a>) -> Res<Action<'a>> {
        let check = t.condition_check().map(Action::Check);
        let put = t.put().map(Action::Put);
        let delete = t.delete().map(Action::Delete);
        let update = t.update().map(Action::Update);
        let mut actions = [check, put, delete, update].into_iter().flatten();
        match (actions.next(), actions.next()) {
            (Some(a), None) => Ok(a),
            _ => Err(validation(
                "TransactItems can only contain one of Check, Put, Update or Delete",
            )),
        }
    }

    /// `TableName`.
    fn table_name(self) -> Option<&'a str> {
        match self {
            Action::Check(a) => a.table_name(),
            Action::Put(a) => a.table_name(),
            Action::Delete(a) => a.table_name(),
            Action::Update(a) => a.table_name(),
        }
    }

    /// `Key` (a Put has none: its key is in its item).
    fn key(self) -> Option<AttrMap<'a>> {
        match self {
            Action::Check(a) => a.key(),
            Action::Put(_) => None,
            Action::Delete(a) => a.key(),
            Action::Update(a) => a.key(),
        }
    }

    /// `ReturnValuesOnConditionCheckFailure`.
    fn on_failure(self) -> Option<&'a str> {
        match self {
            Action::Check(a) => a.return_values_on_condition_check_failure(),
            Action::Put(a) => a.return_values_on_condition_check_failure(),
            Action::Delete(a) => a.return_values_on_condition_check_failure(),
            Action::Update(a) => a.return_values_on_condition_check_failure(),
        }
    }

    /// The expressions it carries.
    fn exprs(self) -> ExprInput<'a> {
        match self {
            Action::Check(a) => a.into(),
            Action::Put(a) => a.into(),
            Action::Delete(a) => a.into(),
            Action::Update(a) => a.into(),
        }
    }
}

/// A cancellation reason and its code.
fn reason(code: &'static str) -> (&'static str, out::CancellationReason) {
    (code, out::CancellationReason::new().code(code))
}

/// TransactWriteItems.
pub fn write(ctx: &Ctx, input: input::TransactWriteItems<'_>) -> Res<Value> {
    let list = input.transact_items();
    let len = list.map_or(0, |l| l.len());
    if len == 0 || len > 100 {
        return Err(validation(format!(
            "1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length {}",
            if len == 0 {
                "greater than or equal to 1"
            } else {
                "less than or equal to 100"
            }
        )));
    }
    let token_key = input
        .client_request_token()
        .map(|t| Key::new().str("tok").str(t).into_bytes());
    let fingerprint = serde_json::to_vec(&list.map(|l| l.values())).expect("JSON values serialize");
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
        return Ok(output::TransactWriteItems::new().into());
    }
    let mut steps = Vec::new();
    let mut reasons = Vec::new();
    let mut failed = false;
    let mut seen = BTreeSet::new();
    for (n, t) in each(list).enumerate() {
        let action = Action::of(t)?;
        let meta = table::require(action.table_name())?;
        let ex = parse_exprs(action.exprs())?;
        let (kv_key, key, put) = match action {
            Action::Put(p) => {
                let p = plan_put(&meta, attrs(p.item()))?;
                let key = storage::extract_key(&meta, &p.item, storage::KeyUse::Item)?;
                (p.kv_key, key, Some(p.item))
            }
            _ => {
                let (key, k) = plan_key(&meta, attrs(action.key()))?;
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
                if let Action::Check(_) = action {
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
        let new = match action {
            Action::Put(_) => Some(put),
            Action::Delete(_) => Some(None),
            Action::Update(_) if ok => {
                match updated_item(&meta, &key, old_item, ex.update.as_deref()) {
                    Ok((item, _)) => Some(Some(item)),
                    Err(e) => {
                        invalid = Some(e.error.message.clone());
                        None
                    }
                }
            }
            _ => None,
        };
        if let Some(msg) = invalid {
            failed = true;
            let (code, r) = reason("ValidationError");
            reasons.push((code, r.message(msg)));
        } else if ok {
            reasons.push(reason("None"));
        } else {
            failed = true;
            let (code, r) = reason("ConditionalCheckFailed");
            let item = old_item.filter(|_| action.on_failure() == Some("ALL_OLD"));
            reasons.push((
                code,
                r.message("The conditional request failed")
                    .item(item.cloned()),
            ));
        }
        steps.push(Step {
            meta,
            kv_key,
            old,
            new,
        });
    }
    if failed {
        let codes: Vec<&str> = reasons.iter().map(|(code, _)| *code).collect();
        let e: DdbError = AwsError::client(
            "TransactionCanceledException",
            format!(
                "Transaction cancelled, please refer cancellation reasons for specific reasons [{}]",
                codes.join(", ")
            ),
        )
        .into();
        let reasons: Vec<out::CancellationReason> = reasons.into_iter().map(|(_, r)| r).collect();
        return Err(e.with("CancellationReasons", reasons.into()));
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
    Ok(output::TransactWriteItems::new().into())
}

/// TransactGetItems.
pub fn get(input: input::TransactGetItems<'_>) -> Res<Value> {
    let list = input.transact_items();
    let len = list.map_or(0, |l| l.len());
    if len == 0 || len > 100 {
        return Err(validation(format!(
            "1 validation error detected: Value at 'transactItems' failed to satisfy constraint: Member must have length {}",
            if len == 0 {
                "greater than or equal to 1"
            } else {
                "less than or equal to 100"
            }
        )));
    }
    let mut out = Vec::new();
    for t in each(list) {
        let spec = t.get();
        let meta = table::require(spec.and_then(|g| g.table_name()))?;
        let ex = parse_exprs(spec.map(ExprInput::from).unwrap_or_default())?;
        let (_, k) = plan_key(&meta, attrs(spec.and_then(|g| g.key())))?;
        let item = storage::read_raw(&k).map(|(item, _)| match &ex.projection {
            Some(p) => project(&item, p),
            None => item,
        });
        out.push(out::ItemResponse::new().item(item));
    }
    Ok(output::TransactGetItems::new().responses(out).into())
}
