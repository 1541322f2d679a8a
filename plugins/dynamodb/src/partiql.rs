//! PartiQL for DynamoDB: ExecuteStatement, BatchExecuteStatement and
//! ExecuteTransaction with SELECT, INSERT, UPDATE and DELETE.
//!
//! A statement is tokenized, its literals and `?` parameters become
//! expression attribute values and its attribute names become expression
//! attribute names, and the WHERE / SET / REMOVE parts are handed to the
//! expression parser as ordinary expressions, so PartiQL and the
//! expression API share one evaluator.

use serde_json::{Map, Value, json};

use ruststack_sdk::AwsError;
use ruststack_sdk::protocol::shapes::dynamodb::{
    self as ddb, AttributeValue, ScanOutput, input, out, output,
};
use ruststack_sdk::protocol::typed::{List, each};

use crate::Ctx;
use crate::attr::{self, Item};
use crate::error::{DdbError, Res, validation};
use crate::expr::ast::{CmpOp, Cond, Operand, Path, Step};
use crate::expr::eval::{eval, project};
use crate::expr::parser::{Kind, Placeholders, parse_condition, parse_projection, parse_update};
use crate::items::{plan_put, updated_item};
use crate::storage;
use crate::table::{self, TableMeta};

#[derive(Debug, Clone, PartialEq)]
enum T {
    Word(String),
    Quoted(String),
    Str(String),
    Num(String),
    Param,
    Sym(String),
}

fn syntax(msg: &str) -> DdbError {
    validation(format!(
        "Statement wasn't well formed, can't be processed: {msg}"
    ))
}

fn lex(src: &str) -> Res<Vec<T>> {
    let c: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < c.len() {
        let ch = c[i];
        if ch.is_whitespace() {
            i += 1;
        } else if ch == '\'' || ch == '"' {
            let mut s = String::new();
            i += 1;
            loop {
                match c.get(i) {
                    None => return Err(syntax("unterminated string")),
                    Some(&q) if q == ch && c.get(i + 1) == Some(&ch) => {
                        s.push(ch);
                        i += 2;
                    }
                    Some(&q) if q == ch => {
                        i += 1;
                        break;
                    }
                    Some(&x) => {
                        s.push(x);
                        i += 1;
                    }
                }
            }
            out.push(if ch == '\'' { T::Str(s) } else { T::Quoted(s) });
        } else if ch.is_ascii_digit()
            || (ch == '-' && c.get(i + 1).is_some_and(|d| d.is_ascii_digit()))
        {
            let st = i;
            i += 1;
            while i < c.len()
                && (c[i].is_ascii_alphanumeric()
                    || c[i] == '.'
                    || ((c[i] == '-' || c[i] == '+') && matches!(c[i - 1], 'e' | 'E')))
            {
                i += 1;
            }
            out.push(T::Num(c[st..i].iter().collect()));
        } else if ch.is_alphabetic() || ch == '_' {
            let st = i;
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                i += 1;
            }
            out.push(T::Word(c[st..i].iter().collect()));
        } else if ch == '?' {
            out.push(T::Param);
            i += 1;
        } else {
            let two: String = c[i..(i + 2).min(c.len())].iter().collect();
            let sym = if ["<=", ">=", "<>", "!=", "<<", ">>"].contains(&two.as_str()) {
                two
            } else {
                ch.to_string()
            };
            i += sym.chars().count();
            out.push(T::Sym(sym));
        }
    }
    Ok(out)
}

/// Turns tokens back into expression text with placeholders.
struct Builder<'a> {
    toks: &'a [T],
    pos: usize,
    params: &'a [Value],
    next_param: usize,
    names: Map<String, Value>,
    values: Map<String, Value>,
}

const KEYWORDS: &[&str] = &["AND", "OR", "NOT", "BETWEEN", "IN"];
const FUNCTIONS: &[&str] = &[
    "begins_with",
    "contains",
    "attribute_exists",
    "attribute_not_exists",
    "attribute_type",
    "size",
    "if_not_exists",
    "list_append",
];

impl Builder<'_> {
    fn peek(&self) -> Option<&T> {
        self.toks.get(self.pos)
    }

    fn is_word(&self, w: &str) -> bool {
        matches!(self.peek(), Some(T::Word(x)) if x.eq_ignore_ascii_case(w))
    }

    fn expect_word(&mut self, w: &str) -> Res<()> {
        if self.is_word(w) {
            self.pos += 1;
            Ok(())
        } else {
            Err(syntax(&format!("expected {w}")))
        }
    }

    fn name(&mut self, n: &str) -> String {
        let k = format!("#n{}", self.names.len());
        self.names.insert(k.clone(), json!(n));
        k
    }

    fn value(&mut self, v: Value) -> String {
        let k = format!(":v{}", self.values.len());
        self.values.insert(k.clone(), v);
        k
    }

    /// A literal value (or `?`).
    fn literal(&mut self) -> Res<Value> {
        let t = self
            .peek()
            .cloned()
            .ok_or_else(|| syntax("unexpected end of statement"))?;
        self.pos += 1;
        Ok(match t {
            T::Param => {
                let v = self.params.get(self.next_param).cloned().ok_or_else(|| {
                    validation("Number of parameters in request and statement don't match.")
                })?;
                self.next_param += 1;
                attr::validate(&v).map_err(validation)?
            }
            T::Str(s) => json!({ "S": s }),
            T::Num(n) => attr::validate(&json!({ "N": n })).map_err(validation)?,
            T::Word(w) if w.eq_ignore_ascii_case("true") => json!({"BOOL": true}),
            T::Word(w) if w.eq_ignore_ascii_case("false") => json!({"BOOL": false}),
            T::Word(w) if w.eq_ignore_ascii_case("null") => json!({"NULL": true}),
            T::Sym(s) if s == "{" => {
                let mut m = Map::new();
                while self.peek() != Some(&T::Sym("}".into())) {
                    let key = match self.peek().cloned() {
                        Some(T::Str(k)) | Some(T::Quoted(k)) => k,
                        _ => return Err(syntax("expected a map key")),
                    };
                    self.pos += 1;
                    if self.peek() != Some(&T::Sym(":".into())) {
                        return Err(syntax("expected ':'"));
                    }
                    self.pos += 1;
                    let v = self.literal()?;
                    m.insert(key, v);
                    if self.peek() == Some(&T::Sym(",".into())) {
                        self.pos += 1;
                    }
                }
                self.pos += 1;
                json!({ "M": m })
            }
            T::Sym(s) if s == "[" || s == "<<" => {
                let close = if s == "[" { "]" } else { ">>" };
                let mut l = Vec::new();
                while self.peek() != Some(&T::Sym(close.into())) {
                    l.push(self.literal()?);
                    if self.peek() == Some(&T::Sym(",".into())) {
                        self.pos += 1;
                    }
                }
                self.pos += 1;
                if s == "[" {
                    json!({ "L": l })
                } else {
                    let t = attr::type_of(l.first().unwrap_or(&Value::Null))
                        .unwrap_or("S")
                        .to_string();
                    let items: Vec<Value> = l.iter().map(|v| attr::inner(v).clone()).collect();
                    attr::validate(&json!({ format!("{t}S"): items })).map_err(validation)?
                }
            }
            other => return Err(syntax(&format!("unexpected token {other:?}"))),
        })
    }

    /// Expression text up to (not including) one of the `stop` keywords.
    fn expression(&mut self, stop: &[&str]) -> Res<String> {
        let mut out = String::new();
        while let Some(t) = self.peek().cloned() {
            if let T::Word(w) = &t
                && stop.iter().any(|s| s.eq_ignore_ascii_case(w))
            {
                break;
            }
            let piece = match t {
                T::Word(w) if KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(&w)) => {
                    self.pos += 1;
                    w.to_ascii_uppercase()
                }
                T::Word(w)
                    if FUNCTIONS.contains(&w.to_ascii_lowercase().as_str())
                        && self.toks.get(self.pos + 1) == Some(&T::Sym("(".into())) =>
                {
                    self.pos += 1;
                    w.to_ascii_lowercase()
                }
                T::Word(w)
                    if !["true", "false", "null"].contains(&w.to_ascii_lowercase().as_str()) =>
                {
                    self.pos += 1;
                    self.name(&w)
                }
                T::Quoted(q) => {
                    self.pos += 1;
                    self.name(&q)
                }
                T::Sym(s)
                    if s == "."
                        || s == "("
                        || s == ")"
                        || s == ","
                        || s == "="
                        || s == "<"
                        || s == ">"
                        || s == "<="
                        || s == ">="
                        || s == "<>"
                        || s == "+"
                        || s == "-" =>
                {
                    self.pos += 1;
                    s
                }
                T::Sym(s) if s == "!=" => {
                    self.pos += 1;
                    "<>".into()
                }
                T::Sym(s) if s == "[" && out.trim_end().ends_with("IN") => {
                    // IN [a, b] → IN (a, b)
                    self.pos += 1;
                    let mut parts = Vec::new();
                    while self.peek() != Some(&T::Sym("]".into())) {
                        let v = self.literal()?;
                        parts.push(self.value(v));
                        if self.peek() == Some(&T::Sym(",".into())) {
                            self.pos += 1;
                        }
                        if self.peek().is_none() {
                            return Err(syntax("unterminated list"));
                        }
                    }
                    self.pos += 1;
                    format!("({})", parts.join(", "))
                }
                T::Sym(s) if s == "[" && matches!(self.toks.get(self.pos + 1), Some(T::Num(_))) => {
                    // A list index in a path.
                    let Some(T::Num(n)) = self.toks.get(self.pos + 1).cloned() else {
                        unreachable!()
                    };
                    self.pos += 3;
                    format!("[{n}]")
                }
                _ => {
                    let v = self.literal()?;
                    self.value(v)
                }
            };
            let glue = matches!(piece.as_str(), "." | ")" | ",")
                || piece.starts_with('[')
                || out.ends_with('.')
                || out.ends_with('(')
                || (piece == "(" && FUNCTIONS.iter().any(|f| out.ends_with(f)));
            if !glue && !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&piece);
        }
        Ok(out)
    }

    fn table(&mut self) -> Res<(String, Option<String>)> {
        let name = match self.peek().cloned() {
            Some(T::Quoted(n)) | Some(T::Word(n)) => n,
            _ => return Err(syntax("expected a table name")),
        };
        self.pos += 1;
        let mut index = None;
        if self.peek() == Some(&T::Sym(".".into())) {
            self.pos += 1;
            index = match self.peek().cloned() {
                Some(T::Quoted(n)) | Some(T::Word(n)) => Some(n),
                _ => return Err(syntax("expected an index name")),
            };
            self.pos += 1;
        }
        Ok((name, index))
    }

    fn placeholders(&self) -> Placeholders {
        let n = Value::Object(self.names.clone());
        let v = Value::Object(self.values.clone());
        Placeholders::new(Some(&n), Some(&v))
    }
}

/// A parsed statement.
enum Stmt {
    Select {
        meta: TableMeta,
        index: Option<String>,
        projection: Option<Vec<Path>>,
        cond: Option<Cond>,
    },
    Insert {
        meta: TableMeta,
        item: Item,
    },
    Update {
        meta: TableMeta,
        cond: Cond,
        actions: String,
        ph: (Map<String, Value>, Map<String, Value>),
    },
    Delete {
        meta: TableMeta,
        cond: Cond,
    },
}

fn load(name: &str) -> Res<TableMeta> {
    table::load(name).ok_or_else(|| {
        AwsError::client(
            "ResourceNotFoundException",
            format!("Requested resource not found: Table: {name} not found"),
        )
        .into()
    })
}

/// The longest statement DynamoDB accepts (the model's `PartiQLStatement`
/// constraint); it also bounds the expressions a statement turns into.
const MAX_STATEMENT: usize = 8192;

fn parse(statement: &str, params: &[Value]) -> Res<Stmt> {
    if statement.len() > MAX_STATEMENT {
        return Err(validation(format!(
            "1 validation error detected: Value at 'statement' failed to satisfy constraint: Member must have length less than or equal to {MAX_STATEMENT}"
        )));
    }
    let toks = lex(statement)?;
    let mut b = Builder {
        toks: &toks,
        pos: 0,
        params,
        next_param: 0,
        names: Map::new(),
        values: Map::new(),
    };
    let verb = match b.peek() {
        Some(T::Word(w)) => w.to_ascii_uppercase(),
        _ => return Err(syntax("expected SELECT, INSERT, UPDATE or DELETE")),
    };
    b.pos += 1;
    let stmt = match verb.as_str() {
        "SELECT" => {
            let projection = if b.peek() == Some(&T::Sym("*".into())) {
                b.pos += 1;
                None
            } else {
                Some(b.expression(&["FROM"])?)
            };
            b.expect_word("FROM")?;
            let (name, index) = b.table()?;
            let meta = load(&name)?;
            let cond = if b.is_word("WHERE") {
                b.pos += 1;
                Some(b.expression(&[])?)
            } else {
                None
            };
            let mut ph = b.placeholders();
            let cond = cond
                .map(|c| parse_condition(&c, Kind::Condition, &mut ph).map_err(validation))
                .transpose()?;
            let projection = projection
                .map(|p| parse_projection(&p, &mut ph).map_err(validation))
                .transpose()?;
            Stmt::Select {
                meta,
                index,
                projection,
                cond,
            }
        }
        "INSERT" => {
            b.expect_word("INTO")?;
            let (name, _) = b.table()?;
            let meta = load(&name)?;
            b.expect_word("VALUE")?;
            let v = b.literal()?;
            let Some(item) = v.get("M").and_then(Value::as_object).cloned() else {
                return Err(syntax("INSERT needs a map value"));
            };
            Stmt::Insert { meta, item }
        }
        "UPDATE" => {
            let (name, _) = b.table()?;
            let meta = load(&name)?;
            let mut actions = String::new();
            while b.is_word("SET") || b.is_word("REMOVE") {
                let kw = if b.is_word("SET") { "SET" } else { "REMOVE" };
                b.pos += 1;
                let part = b.expression(&["SET", "REMOVE", "WHERE", "RETURNING"])?;
                actions.push_str(&format!(" {kw} {part}"));
            }
            b.expect_word("WHERE")?;
            let where_ = b.expression(&["RETURNING"])?;
            let mut ph = b.placeholders();
            let cond = parse_condition(&where_, Kind::Condition, &mut ph).map_err(validation)?;
            Stmt::Update {
                meta,
                cond,
                actions,
                ph: (b.names.clone(), b.values.clone()),
            }
        }
        "DELETE" => {
            b.expect_word("FROM")?;
            let (name, _) = b.table()?;
            let meta = load(&name)?;
            b.expect_word("WHERE")?;
            let where_ = b.expression(&["RETURNING"])?;
            let mut ph = b.placeholders();
            let cond = parse_condition(&where_, Kind::Condition, &mut ph).map_err(validation)?;
            Stmt::Delete { meta, cond }
        }
        _ => return Err(syntax("expected SELECT, INSERT, UPDATE or DELETE")),
    };
    if b.next_param != params.len() {
        return Err(validation(
            "Number of parameters in request and statement don't match.",
        ));
    }
    Ok(stmt)
}

/// The full primary key named by equalities in a WHERE clause; the rest of it
/// stays a condition on the item.
fn key_of(meta: &TableMeta, cond: &Cond) -> Res<Item> {
    let mut parts = Vec::new();
    flatten(cond, &mut parts);
    let mut key = Item::new();
    for c in parts {
        if let Cond::Cmp(Operand::Path(p), CmpOp::Eq, Operand::Value(v)) = c
            && let [Step::Attr(a)] = p.as_slice()
            && meta.key_names().contains(a)
        {
            key.insert(a.clone(), v.clone());
        }
    }
    if key.len() != meta.key_names().len() {
        return Err(validation(
            "Where clause does not contain a mandatory equality on all key attributes",
        ));
    }
    Ok(key)
}

fn flatten<'a>(c: &'a Cond, out: &mut Vec<&'a Cond>) {
    match c {
        Cond::And(a, b) => {
            flatten(a, out);
            flatten(b, out);
        }
        other => out.push(other),
    }
}

/// A planned write of a statement: table, kv key, old item and new item.
type Write = (TableMeta, Vec<u8>, Option<(Item, Vec<u8>)>, Option<Item>);

fn plan_write(stmt: Stmt) -> Res<Write> {
    match stmt {
        Stmt::Insert { meta, item } => {
            let plan = plan_put(&meta, Some(&item))?;
            let old = storage::read_raw(&plan.kv_key);
            if old.is_some() {
                return Err(AwsError::client(
                    "DuplicateItemException",
                    "Duplicate primary key exists in table",
                )
                .into());
            }
            Ok((meta, plan.kv_key, None, Some(plan.item)))
        }
        Stmt::Update {
            meta,
            cond,
            actions,
            ph,
        } => {
            let key = key_of(&meta, &cond)?;
            let k = storage::item_key(
                &meta,
                &storage::extract_key(&meta, &key, storage::KeyUse::Key)?,
            );
            let old = storage::read_raw(&k);
            let Some((item, _)) = &old else {
                return Err(crate::error::condition_failed());
            };
            if !eval(item, &cond, "ConditionExpression").map_err(validation)? {
                return Err(crate::error::condition_failed());
            }
            let acts = if actions.trim().is_empty() {
                None
            } else {
                let mut p =
                    Placeholders::new(Some(&Value::Object(ph.0)), Some(&Value::Object(ph.1)));
                Some(parse_update(actions.trim(), &mut p).map_err(validation)?)
            };
            let (new, _) = updated_item(&meta, &key, Some(item), acts.as_deref())?;
            Ok((meta, k, old, Some(new)))
        }
        Stmt::Delete { meta, cond } => {
            let key = key_of(&meta, &cond)?;
            let k = storage::item_key(
                &meta,
                &storage::extract_key(&meta, &key, storage::KeyUse::Key)?,
            );
            let old = storage::read_raw(&k);
            match &old {
                Some((item, _))
                    if !eval(item, &cond, "ConditionExpression").map_err(validation)? =>
                {
                    return Err(crate::error::condition_failed());
                }
                _ => {}
            }
            Ok((meta, k, old, None))
        }
        Stmt::Select { .. } => Err(validation("SELECT is not a write")),
    }
}

fn apply(w: Write) {
    let (meta, k, old, new) = w;
    if old.is_none() && new.is_none() {
        return;
    }
    storage::write_item(
        &meta,
        &k,
        old.as_ref().map(|(i, r)| (i, r.as_slice())),
        new.as_ref(),
    );
}

fn select(
    meta: &TableMeta,
    index: Option<&str>,
    projection: Option<&[Path]>,
    cond: Option<&Cond>,
    input: input::ExecuteStatement<'_>,
) -> Res<Value> {
    let mut q = out::ScanInput::new()
        .table_name(meta.name())
        .index_name(index)
        .limit(input.limit());
    if let Some(t) = input.next_token() {
        let start: Value = serde_json::from_str(t).map_err(|_| validation("Invalid NextToken"))?;
        q.set_exclusive_start_key(start);
    }
    let q = Value::from(q);
    let page = crate::query::scan(input::Scan(&q))?;
    let page = ScanOutput(&page);
    let mut items = Vec::new();
    for it in each(page.items()) {
        let item: Item = it.values().clone();
        if let Some(c) = cond
            && !eval(&item, c, "ConditionExpression").map_err(validation)?
        {
            continue;
        }
        let item = match projection {
            Some(p) => project(&item, p),
            None => item,
        };
        items.push(Value::Object(item));
    }
    let last = page
        .last_evaluated_key()
        .map(|k| Value::Object(k.values().clone()));
    Ok(output::ExecuteStatement::new()
        .items(items)
        .next_token(last.as_ref().map(Value::to_string))
        .last_evaluated_key(last)
        .into())
}

/// A statement's `Parameters` (none when absent).
fn params<'a>(p: Option<List<'a, AttributeValue<'a>>>) -> &'a [Value] {
    p.map_or(&[], |l| l.values())
}

/// ExecuteStatement.
pub fn execute(input: input::ExecuteStatement<'_>) -> Res<Value> {
    let stmt = parse(input.statement().unwrap_or(""), params(input.parameters()))?;
    match stmt {
        Stmt::Select {
            meta,
            index,
            projection,
            cond,
        } => select(
            &meta,
            index.as_deref(),
            projection.as_deref(),
            cond.as_ref(),
            input,
        ),
        other => {
            let w = plan_write(other)?;
            apply(w);
            Ok(output::ExecuteStatement::new().into())
        }
    }
}

/// The code a failed statement reports (in a batch or a transaction).
fn error_code(e: &DdbError) -> &'static str {
    match e.error.code.as_str() {
        "ConditionalCheckFailedException" => "ConditionalCheckFailed",
        "DuplicateItemException" => "DuplicateItem",
        "ResourceNotFoundException" => "ResourceNotFound",
        _ => "ValidationError",
    }
}

/// One statement of BatchExecuteStatement, run on its own.
fn batch_statement(s: ddb::BatchStatementRequest<'_>) -> Res<out::BatchStatementResponse> {
    let stmt = parse(s.statement().unwrap_or(""), params(s.parameters()))?;
    match stmt {
        Stmt::Select {
            meta,
            projection,
            cond,
            ..
        } => {
            let c = cond.as_ref().ok_or_else(|| {
                validation(
                    "Where clause does not contain a mandatory equality on all key attributes",
                )
            })?;
            let key = key_of(&meta, c)?;
            let k = storage::item_key(&meta, &key);
            let item = storage::read_raw(&k)
                .map(|(i, _)| i)
                .filter(|i| eval(i, c, "ConditionExpression").unwrap_or(false))
                .map(|i| match &projection {
                    Some(p) => project(&i, p),
                    None => i,
                });
            Ok(out::BatchStatementResponse::new()
                .table_name(meta.name())
                .item(item))
        }
        other => {
            let name = match &other {
                Stmt::Insert { meta, .. }
                | Stmt::Update { meta, .. }
                | Stmt::Delete { meta, .. }
                | Stmt::Select { meta, .. } => meta.name().to_string(),
            };
            apply(plan_write(other)?);
            Ok(out::BatchStatementResponse::new().table_name(name))
        }
    }
}

/// BatchExecuteStatement: each statement succeeds or fails on its own.
pub fn batch(input: input::BatchExecuteStatement<'_>) -> Res<Value> {
    let list = input.statements();
    let len = list.map_or(0, |l| l.len());
    if len == 0 || len > 25 {
        return Err(validation(
            "1 validation error detected: Value at 'statements' failed to satisfy constraint: Member must have length less than or equal to 25",
        ));
    }
    let mut out = Vec::new();
    for s in each(list) {
        out.push(batch_statement(s).unwrap_or_else(|e| {
            let error = out::BatchStatementError::new()
                .code(error_code(&e))
                .message(e.error.message.as_str());
            out::BatchStatementResponse::new().error(error)
        }));
    }
    Ok(output::BatchExecuteStatement::new().responses(out).into())
}

/// ExecuteTransaction: all statements apply, or none.
pub fn transaction(_ctx: &Ctx, input: input::ExecuteTransaction<'_>) -> Res<Value> {
    let list = input.transact_statements();
    let len = list.map_or(0, |l| l.len());
    if len == 0 || len > 100 {
        return Err(validation(
            "1 validation error detected: Value at 'transactStatements' failed to satisfy constraint: Member must have length less than or equal to 100",
        ));
    }
    let mut writes = Vec::new();
    let mut reads = Vec::new();
    let mut reasons: Vec<(&str, out::CancellationReason)> = Vec::new();
    let none = || ("None", out::CancellationReason::new().code("None"));
    let mut failed = false;
    for s in each(list) {
        let stmt = parse(s.statement().unwrap_or(""), params(s.parameters()))?;
        match stmt {
            Stmt::Select { meta, cond, .. } => {
                let c = cond.ok_or_else(|| {
                    validation(
                        "Where clause does not contain a mandatory equality on all key attributes",
                    )
                })?;
                let key = key_of(&meta, &c)?;
                let item = storage::read_raw(&storage::item_key(&meta, &key)).map(|(i, _)| i);
                reads.push(out::ItemResponse::new().item(item));
                reasons.push(none());
            }
            other => match plan_write(other) {
                Ok(w) => {
                    writes.push(w);
                    reasons.push(none());
                }
                Err(e) if e.error.code == "ValidationException" => return Err(e),
                Err(e) => {
                    failed = true;
                    let code = error_code(&e);
                    let reason = out::CancellationReason::new()
                        .code(code)
                        .message(e.error.message.as_str());
                    reasons.push((code, reason));
                }
            },
        }
    }
    if failed {
        let codes: Vec<&str> = reasons.iter().map(|(code, _)| *code).collect();
        let e: DdbError = AwsError::client(
            "TransactionCanceledException",
            format!("Transaction cancelled, please refer cancellation reasons for specific reasons [{}]", codes.join(", ")),
        )
        .into();
        let reasons: Vec<out::CancellationReason> = reasons.into_iter().map(|(_, r)| r).collect();
        return Err(e.with("CancellationReasons", reasons.into()));
    }
    if !writes.is_empty() && !reads.is_empty() {
        return Err(validation(
            "Transaction must contain either all read statements or all write statements",
        ));
    }
    for w in writes {
        apply(w);
    }
    Ok(output::ExecuteTransaction::new()
        .responses((!reads.is_empty()).then_some(reads))
        .into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lexes_and_builds_expressions() {
        let toks = lex(r#"SELECT * FROM "t" WHERE pk = ? AND n >= 5 AND s IN ['a', 'b'] AND begins_with(x, 'y')"#).unwrap();
        let params = vec![json!({"S": "k"})];
        let mut b = Builder {
            toks: &toks,
            pos: 4,
            params: &params,
            next_param: 0,
            names: Map::new(),
            values: Map::new(),
        };
        b.expect_word("WHERE").unwrap();
        let e = b.expression(&[]).unwrap();
        assert_eq!(
            e,
            "#n0 = :v0 AND #n1 >= :v1 AND #n2 IN (:v2, :v3) AND begins_with(#n3, :v4)"
        );
        assert_eq!(b.values[":v1"], json!({"N": "5"}));
        let mut ph = b.placeholders();
        parse_condition(&e, Kind::Condition, &mut ph).unwrap();
    }

    #[test]
    fn statements_over_the_limit_are_refused() {
        // Found by `just fuzz` (dynamodb-partiql, replayed large): a WHERE of
        // 150,000 ANDs, or 50,000 nested parentheses, overflowed the stack.
        let long = format!(
            "SELECT * FROM t WHERE {}",
            vec!["a = 1"; 150_000].join(" AND ")
        );
        let deep = format!(
            "SELECT * FROM t WHERE {}a = 1{}",
            "(".repeat(50_000),
            ")".repeat(50_000)
        );
        for s in [long, deep] {
            let e = parse(&s, &[]).err().expect("refused");
            assert_eq!(e.error.code, "ValidationException");
            assert!(
                e.error.message.contains("less than or equal to 8192"),
                "{}",
                e.error.message
            );
        }
    }

    #[test]
    fn literals() {
        let toks = lex("{'a': 1, 'b': [true, null], 'c': <<'x', 'y'>>}").unwrap();
        let mut b = Builder {
            toks: &toks,
            pos: 0,
            params: &[],
            next_param: 0,
            names: Map::new(),
            values: Map::new(),
        };
        let v = b.literal().unwrap();
        assert_eq!(
            v,
            json!({"M": {"a": {"N": "1"}, "b": {"L": [{"BOOL": true}, {"NULL": true}]}, "c": {"SS": ["x", "y"]}}})
        );
    }
}
