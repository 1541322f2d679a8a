//! Query and Scan: key conditions become byte ranges over the
//! order-preserving item (or index) keys; pages stop at `Limit` evaluated
//! items or 1 MB, and resume after `ExclusiveStartKey`.

use ruststack_sdk::keys::{Key, prefix_end};
use ruststack_sdk::kv;
use ruststack_sdk::protocol::shapes::dynamodb::{input, output};
use serde_json::Value;

use crate::attr::{self, Item, type_of};
use crate::error::{Res, validation};
use crate::expr::ast::{CmpOp, Cond, Operand, Path, Step};
use crate::expr::eval::{eval, project};
use crate::items::{consumed, parse_exprs};
use crate::storage::{self, index_key, item_key, push};
use crate::table::{self, IndexDef, TableMeta};
use crate::view::{AttrMap, attrs};

const PAGE_BYTES: usize = 1024 * 1024;

/// A sort-key condition.
enum SkCond {
    Cmp(CmpOp, Value),
    Between(Value, Value),
    BeginsWith(Value),
}

fn flatten(c: &Cond, out: &mut Vec<Cond>) -> Res<()> {
    match c {
        Cond::And(a, b) => {
            flatten(a, out)?;
            flatten(b, out)
        }
        Cond::Or(..) => Err(validation(
            "Invalid operator used in KeyConditionExpression: OR",
        )),
        Cond::Not(..) => Err(validation(
            "Invalid operator used in KeyConditionExpression: NOT",
        )),
        other => {
            out.push(other.clone());
            Ok(())
        }
    }
}

fn top_name(o: &Operand) -> Option<&str> {
    match o {
        Operand::Path(p) if p.len() == 1 => match &p[0] {
            Step::Attr(a) => Some(a),
            _ => None,
        },
        _ => None,
    }
}

fn value(o: &Operand) -> Option<&Value> {
    if let Operand::Value(v) = o {
        Some(v)
    } else {
        None
    }
}

fn unsupported() -> crate::error::DdbError {
    validation("Query key condition not supported")
}

/// Splits a key condition into the partition value and the sort-key condition.
fn analyze(
    meta: &TableMeta,
    c: &Cond,
    hash: &str,
    range: Option<&str>,
) -> Res<(Value, Option<SkCond>)> {
    let mut parts = Vec::new();
    flatten(c, &mut parts)?;
    if parts.len() > 2 {
        return Err(validation(
            "KeyConditionExpressions must only contain one condition per key",
        ));
    }
    let mut pk = None;
    let mut sk = None;
    let typed = |name: &str, v: &Value| -> Res<()> {
        if type_of(v) != Some(meta.attr_type(name).as_str()) {
            return Err(validation(
                "One or more parameter values were invalid: Condition parameter type does not match schema type",
            ));
        }
        Ok(())
    };
    for p in &parts {
        let (name, cond) = match p {
            Cond::Cmp(a, op, b) => {
                let (name, v, op) = match (top_name(a), value(b), top_name(b), value(a)) {
                    (Some(n), Some(v), _, _) => (n, v, *op),
                    (_, _, Some(n), Some(v)) => (
                        n,
                        v,
                        match op {
                            CmpOp::Lt => CmpOp::Gt,
                            CmpOp::Le => CmpOp::Ge,
                            CmpOp::Gt => CmpOp::Lt,
                            CmpOp::Ge => CmpOp::Le,
                            o => *o,
                        },
                    ),
                    _ => return Err(unsupported()),
                };
                if op == CmpOp::Ne {
                    return Err(validation(
                        "Unsupported operator in KeyConditionExpression: <>",
                    ));
                }
                typed(name, v)?;
                (name, SkCond::Cmp(op, v.clone()))
            }
            Cond::Between(a, lo, hi) => {
                let (Some(n), Some(l), Some(h)) = (top_name(a), value(lo), value(hi)) else {
                    return Err(unsupported());
                };
                typed(n, l)?;
                typed(n, h)?;
                if attr::compare(l, h) == Some(std::cmp::Ordering::Greater) {
                    return Err(validation(format!(
                        "Invalid KeyConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {{{}:{}}}, upper bound operand: AttributeValue: {{{}:{}}}",
                        type_of(l).unwrap_or(""),
                        attr::inner(l).as_str().unwrap_or(""),
                        type_of(h).unwrap_or(""),
                        attr::inner(h).as_str().unwrap_or("")
                    )));
                }
                (n, SkCond::Between(l.clone(), h.clone()))
            }
            Cond::BeginsWith(a, b) => {
                let (Some(n), Some(v)) = (top_name(a), value(b)) else {
                    return Err(unsupported());
                };
                if !matches!(type_of(v), Some("S" | "B")) {
                    return Err(validation(format!(
                        "Invalid KeyConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: {}",
                        type_of(v).unwrap_or("")
                    )));
                }
                typed(n, v)?;
                (n, SkCond::BeginsWith(v.clone()))
            }
            _ => return Err(unsupported()),
        };
        if name == hash && pk.is_none() {
            match cond {
                SkCond::Cmp(CmpOp::Eq, v) => pk = Some(v),
                _ => return Err(unsupported()),
            }
        } else if Some(name) == range && sk.is_none() {
            sk = Some(cond);
        } else if name == hash || Some(name) == range {
            return Err(validation(
                "KeyConditionExpressions must only contain one condition per key",
            ));
        } else {
            return Err(unsupported());
        }
    }
    let pk =
        pk.ok_or_else(|| validation(format!("Query condition missed key schema element: {hash}")))?;
    Ok((pk, sk))
}

/// Top-level attribute names a condition reads.
fn cond_attrs(c: &Cond, out: &mut Vec<String>) {
    let op = |o: &Operand, out: &mut Vec<String>| match o {
        Operand::Path(p) | Operand::Size(p) => {
            if let Some(Step::Attr(a)) = p.first() {
                out.push(a.clone());
            }
        }
        _ => {}
    };
    match c {
        Cond::And(a, b) | Cond::Or(a, b) => {
            cond_attrs(a, out);
            cond_attrs(b, out);
        }
        Cond::Not(a) => cond_attrs(a, out),
        Cond::Exists(p) | Cond::NotExists(p) | Cond::Type(p, _) => {
            if let Some(Step::Attr(a)) = p.first() {
                out.push(a.clone());
            }
        }
        Cond::Cmp(a, _, b) | Cond::BeginsWith(a, b) | Cond::Contains(a, b) => {
            op(a, out);
            op(b, out);
        }
        Cond::Between(a, b, c) => {
            op(a, out);
            op(b, out);
            op(c, out);
        }
        Cond::In(a, l) => {
            op(a, out);
            for x in l {
                op(x, out);
            }
        }
    }
}

/// The `[start, end)` byte range of a partition and sort-key condition.
fn range_of(prefix: &[u8], sk: Option<&SkCond>) -> (Vec<u8>, Option<Vec<u8>>) {
    let all_end = prefix_end(prefix);
    let e = |v: &Value| push(prefix, v);
    match sk {
        None => (prefix.to_vec(), all_end),
        Some(SkCond::Cmp(op, v)) => match op {
            CmpOp::Eq => (e(v), prefix_end(&e(v))),
            CmpOp::Lt => (prefix.to_vec(), Some(e(v))),
            CmpOp::Le => (prefix.to_vec(), prefix_end(&e(v))),
            CmpOp::Gt => (prefix_end(&e(v)).unwrap_or_default(), all_end),
            _ => (e(v), all_end),
        },
        Some(SkCond::Between(a, b)) => (e(a), prefix_end(&e(b))),
        Some(SkCond::BeginsWith(v)) => {
            let mut t = prefix.to_vec();
            let enc = Key::new().bytes(&storage::encode_value(v)).into_bytes();
            t.extend_from_slice(&enc[..enc.len() - 2]);
            let end = prefix_end(&t);
            (t, end)
        }
    }
}

/// What a page reads: the table itself or one of its indexes.
struct Source<'a> {
    meta: &'a TableMeta,
    index: Option<IndexDef>,
}

impl Source<'_> {
    fn prefix(&self) -> Vec<u8> {
        match &self.index {
            Some(i) => storage::index_prefix(self.meta.name(), &i.name),
            None => storage::table_prefix(self.meta.name()),
        }
    }

    fn key_names(&self) -> Vec<String> {
        let mut names = self.meta.key_names();
        if let Some(i) = &self.index {
            for n in std::iter::once(&i.hash).chain(i.range.as_ref()) {
                if !names.contains(n) {
                    names.push(n.clone());
                }
            }
        }
        names
    }

    fn kv_key_of(&self, item: &Item) -> Option<Vec<u8>> {
        match &self.index {
            Some(i) => index_key(self.meta, i, item),
            None => {
                let names = self.meta.key_names();
                if names.iter().any(|n| !item.contains_key(n)) {
                    return None;
                }
                Some(item_key(self.meta, item))
            }
        }
    }

    fn item_of(&self, v: &[u8]) -> Option<Item> {
        match &self.index {
            Some(_) => storage::read_raw(v).map(|(i, _)| i),
            None => serde_json::from_slice(v).ok(),
        }
    }

    /// The attributes an index projects.
    fn projected(&self, item: Item) -> Item {
        let Some(i) = &self.index else { return item };
        if i.projection == "ALL" {
            return item;
        }
        let keep = self.key_names();
        item.into_iter()
            .filter(|(k, _)| {
                keep.contains(k) || (i.projection == "INCLUDE" && i.non_key.contains(k))
            })
            .collect()
    }
}

struct PageSpec<'a> {
    start: Vec<u8>,
    end: Option<Vec<u8>>,
    reverse: bool,
    limit: Option<usize>,
    filter: Option<&'a Cond>,
    projection: Option<&'a [Path]>,
    count_only: bool,
    segment: Option<(u64, u64)>,
}

fn segment_of(meta: &TableMeta, item: &Item) -> u64 {
    let bytes = item
        .get(&meta.hash_key())
        .map(storage::encode_value)
        .unwrap_or_default();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// One page of Query or Scan results.
struct Page {
    /// How many items matched (the filter kept).
    count: usize,
    /// How many items were read.
    scanned: usize,
    /// The matching items (none asked for with `Select: COUNT`).
    items: Option<Vec<Value>>,
    /// Where the next page starts, when there may be one.
    last_evaluated_key: Option<Item>,
}

fn run_page(src: &Source<'_>, spec: PageSpec<'_>, label: &str) -> Res<Page> {
    let PageSpec {
        mut start,
        mut end,
        reverse,
        limit,
        filter,
        projection,
        count_only,
        segment,
    } = spec;
    let mut items = Vec::new();
    let (mut scanned, mut bytes) = (0usize, 0usize);
    let mut last: Option<Item> = None;
    let key_names = src.key_names();
    let mut more = false;
    'outer: loop {
        let rows = kv::scan(&start, end.as_deref(), 128, reverse);
        let full = rows.len() == 128;
        for (k, v) in &rows {
            if limit.is_some_and(|l| scanned >= l) || bytes >= PAGE_BYTES {
                more = true;
                break 'outer;
            }
            if reverse {
                end = Some(k.clone());
            } else {
                start = k.clone();
                start.push(0);
            }
            let Some(item) = src.item_of(v) else { continue };
            if let Some((seg, total)) = segment
                && segment_of(src.meta, &item) % total != seg
            {
                continue;
            }
            scanned += 1;
            bytes += v.len();
            last = Some(
                key_names
                    .iter()
                    .filter_map(|n| item.get(n).map(|v| (n.clone(), v.clone())))
                    .collect(),
            );
            let keep = match filter {
                Some(f) => eval(&item, f, label).map_err(validation)?,
                None => true,
            };
            if keep && !count_only {
                let item = match projection {
                    Some(p) => project(&item, p),
                    None => src.projected(item),
                };
                items.push(Value::Object(item));
            } else if keep {
                items.push(Value::Null);
            }
        }
        if !full {
            break;
        }
    }
    if !more && (limit.is_some_and(|l| scanned >= l) || bytes >= PAGE_BYTES) {
        // AWS answers a LastEvaluatedKey whenever the page was cut short.
        more = kv::scan(&start, end.as_deref(), 1, reverse).len() == 1
            || limit.is_some_and(|l| scanned >= l);
    }
    Ok(Page {
        count: items.len(),
        scanned,
        items: (!count_only).then_some(items),
        last_evaluated_key: last.filter(|_| more),
    })
}

/// What Query and Scan read alike: the index, consistency, page size,
/// `Select` and where to start.
#[derive(Clone, Copy)]
struct ReadInput<'a> {
    index_name: Option<&'a str>,
    consistent_read: Option<bool>,
    limit: Option<i64>,
    select: Option<&'a str>,
    exclusive_start_key: Option<AttrMap<'a>>,
}

impl<'a> From<input::Query<'a>> for ReadInput<'a> {
    fn from(i: input::Query<'a>) -> Self {
        ReadInput {
            index_name: i.index_name(),
            consistent_read: i.consistent_read(),
            limit: i.limit(),
            select: i.select(),
            exclusive_start_key: i.exclusive_start_key(),
        }
    }
}

impl<'a> From<input::Scan<'a>> for ReadInput<'a> {
    fn from(i: input::Scan<'a>) -> Self {
        ReadInput {
            index_name: i.index_name(),
            consistent_read: i.consistent_read(),
            limit: i.limit(),
            select: i.select(),
            exclusive_start_key: i.exclusive_start_key(),
        }
    }
}

struct Common<'a> {
    src: Source<'a>,
    limit: Option<usize>,
    count_only: bool,
    start_key: Option<Vec<u8>>,
}

fn common<'a>(meta: &'a TableMeta, input: ReadInput<'_>, has_projection: bool) -> Res<Common<'a>> {
    let index = match input.index_name {
        Some(n) => Some(meta.index(n).ok_or_else(|| {
            validation(format!("The table does not have the specified index: {n}"))
        })?),
        None => None,
    };
    if let Some(i) = &index
        && input.consistent_read == Some(true)
        && meta.is_global_index(&i.name)
    {
        return Err(validation(
            "Consistent reads are not supported on global secondary indexes",
        ));
    }
    let limit = match input.limit {
        Some(l) if l < 1 => {
            return Err(validation(format!(
                "1 validation error detected: Value '{l}' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"
            )));
        }
        l => l.map(|l| l as usize),
    };
    let default = if has_projection {
        "SPECIFIC_ATTRIBUTES"
    } else if index.is_some() {
        "ALL_PROJECTED_ATTRIBUTES"
    } else {
        "ALL_ATTRIBUTES"
    };
    let select = input.select.unwrap_or(default);
    match select {
        "SPECIFIC_ATTRIBUTES" if !has_projection => {
            return Err(validation(
                "One or more parameter values were invalid: Select type SPECIFIC_ATTRIBUTES requires a ProjectionExpression or AttributesToGet",
            ));
        }
        "ALL_ATTRIBUTES" | "COUNT" | "ALL_PROJECTED_ATTRIBUTES" if has_projection => {
            return Err(validation(format!(
                "One or more parameter values were invalid: Cannot specify the ProjectionExpression when choosing to get {select}"
            )));
        }
        "ALL_PROJECTED_ATTRIBUTES" if index.is_none() => {
            return Err(validation(
                "One or more parameter values were invalid: Select type ALL_PROJECTED_ATTRIBUTES is supported only for index queries",
            ));
        }
        "ALL_ATTRIBUTES" => {
            if let Some(i) = &index
                && i.projection != "ALL"
                && meta.is_global_index(&i.name)
            {
                return Err(validation(format!(
                    "One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index {} because its projection type is not ALL",
                    i.name
                )));
            }
        }
        _ => {}
    }
    let src = Source { meta, index };
    let start_key = match attrs(input.exclusive_start_key) {
        Some(esk) => {
            let esk = attr::validate_map(Some(esk)).map_err(validation)?;
            let mismatch = || {
                validation(
                    "The provided starting key is invalid: The provided key element does not match the schema",
                )
            };
            // Exactly the key attributes (the table's, and the index's).
            let names = src.key_names();
            if esk.keys().any(|k| !names.contains(k)) {
                return Err(mismatch());
            }
            Some(src.kv_key_of(&esk).ok_or_else(mismatch)?)
        }
        None => None,
    };
    Ok(Common {
        src,
        limit,
        count_only: select == "COUNT",
        start_key,
    })
}

/// Query.
pub fn query(input: input::Query<'_>) -> Res<Value> {
    let meta = table::require(input.table_name())?;
    let ex = parse_exprs(input)?;
    let c = common(&meta, input.into(), ex.projection.is_some())?;
    let Some(kc) = &ex.key_condition else {
        return Err(validation(
            "Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.",
        ));
    };
    let (hash, range) = match &c.src.index {
        Some(i) => (i.hash.clone(), i.range.clone()),
        None => (meta.hash_key(), meta.range_key()),
    };
    let (pk, sk) = analyze(&meta, kc, &hash, range.as_deref())?;
    if let Some(f) = &ex.filter {
        let mut names = Vec::new();
        cond_attrs(f, &mut names);
        if let Some(k) = names
            .iter()
            .find(|n| **n == hash || Some(n.as_str()) == range.as_deref())
        {
            return Err(validation(format!(
                "Filter Expression can only contain non-primary key attributes: Primary key attribute: {k}"
            )));
        }
    }
    let prefix = push(&c.src.prefix(), &pk);
    let (mut start, mut end) = range_of(&prefix, sk.as_ref());
    let reverse = input.scan_index_forward() == Some(false);
    if let Some(k) = &c.start_key {
        // The start key must lie in what the key condition selects: its
        // partition, then its sort key range.
        if !k.starts_with(&prefix) {
            return Err(validation(
                "The provided starting key is outside query boundaries based on provided conditions",
            ));
        }
        if *k < start || end.as_ref().is_some_and(|e| k >= e) {
            return Err(validation(
                "The provided starting key does not match the range key predicate",
            ));
        }
        if reverse {
            if end.as_ref().is_none_or(|e| k < e) {
                end = Some(k.clone());
            }
        } else {
            let mut after = k.clone();
            after.push(0);
            if after > start {
                start = after;
            }
        }
    }
    let page = run_page(
        &c.src,
        PageSpec {
            start,
            end,
            reverse,
            limit: c.limit,
            filter: ex.filter.as_ref(),
            projection: ex.projection.as_deref(),
            count_only: c.count_only,
            segment: None,
        },
        "FilterExpression",
    )?;
    Ok(output::Query::new()
        .count(page.count)
        .scanned_count(page.scanned)
        .items(page.items)
        .last_evaluated_key(page.last_evaluated_key)
        .consumed_capacity(consumed(input.return_consumed_capacity(), meta.name(), 0.5))
        .into())
}

/// Scan (optionally one segment of a parallel scan).
pub fn scan(input: input::Scan<'_>) -> Res<Value> {
    let meta = table::require(input.table_name())?;
    let ex = parse_exprs(input)?;
    let c = common(&meta, input.into(), ex.projection.is_some())?;
    let segment = match (input.segment(), input.total_segments()) {
        (None, None) => None,
        (Some(_), None) => {
            return Err(validation(
                "The TotalSegments parameter is required but was not present in the request when parameter Segment is present",
            ));
        }
        (None, Some(_)) => {
            return Err(validation(
                "The Segment parameter is required but was not present in the request when parameter TotalSegments is present",
            ));
        }
        (Some(s), Some(t)) => {
            if !(1..=1_000_000).contains(&t) {
                return Err(validation(format!(
                    "1 validation error detected: Value '{t}' at 'totalSegments' failed to satisfy constraint: Member must have value {}",
                    if t < 1 {
                        "greater than or equal to 1"
                    } else {
                        "less than or equal to 1000000"
                    }
                )));
            }
            if s < 0 || s >= t {
                return Err(validation(format!(
                    "The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: {s} is not less than TotalSegments: {t}"
                )));
            }
            Some((s as u64, t as u64))
        }
    };
    let prefix = c.src.prefix();
    let mut start = prefix.clone();
    if let Some(k) = &c.start_key {
        start = k.clone();
        start.push(0);
    }
    let page = run_page(
        &c.src,
        PageSpec {
            start,
            end: prefix_end(&prefix),
            reverse: false,
            limit: c.limit,
            filter: ex.filter.as_ref(),
            projection: ex.projection.as_deref(),
            count_only: c.count_only,
            segment,
        },
        "FilterExpression",
    )?;
    Ok(output::Scan::new()
        .count(page.count)
        .scanned_count(page.scanned)
        .items(page.items)
        .last_evaluated_key(page.last_evaluated_key)
        .consumed_capacity(consumed(input.return_consumed_capacity(), meta.name(), 0.5))
        .into())
}
