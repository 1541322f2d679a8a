//! DynamoDB: the expression language (condition, key condition, filter,
//! update, projection) with placeholders, the request-level expression and
//! legacy-parameter handling, AttributeValue JSON (validation, sizes,
//! equality, order, numbers), the oversize walker, PartiQL, and whole
//! requests through the plugin's handler.

use arbitrary::Unstructured;
use dynamodb::attr::{self, Item, MAX_ITEM_SIZE};
use dynamodb::expr::eval::{eval, project};
use dynamodb::expr::parser::{Kind, Placeholders, parse_condition, parse_projection, parse_update};
use dynamodb::expr::update;
use dynamodb::number::Decimal;
use dynamodb::{Ctx, DynamoDb, items, oversize};
use ruststack_sdk::testkit::{self, RequestBuilder};
use serde_json::{Map, Value, json};

use super::{join, parts};
use crate::engine::{Layout, Target, class, fnv};
use crate::seeds;

/// The item expressions are evaluated against when an input brings none.
fn sample_item() -> Item {
    let v: Value = serde_json::from_str(seeds::ITEM).expect("seed item is JSON");
    attr::validate_item(&v).expect("seed item is valid")
}

const EXPR_DICT: &[&str] = &[
    " AND ",
    " OR ",
    "NOT ",
    " BETWEEN ",
    " IN (",
    " = ",
    " <> ",
    " <= ",
    " > ",
    "attribute_exists(",
    "attribute_not_exists(",
    "attribute_type(",
    "begins_with(",
    "contains(",
    "size(",
    "if_not_exists(",
    "list_append(",
    "SET ",
    "REMOVE ",
    "ADD ",
    "DELETE ",
    " + ",
    " - ",
    ", ",
    "[0]",
    "[4294967296]",
    "[99999999999999999999]",
    ".",
    "#n",
    "#p",
    ":v",
    ":lo",
    ":s",
    "address.geo[1]",
    "history[2][0]",
    "\"#n\":\"name\"",
    "\":v\":{\"S\":\"x\"}",
    "\":v\":{\"N\":\"1\"}",
    "\":s\":{\"SS\":[\"a\"]}",
    "\":l\":{\"L\":[]}",
    "condition",
    "key",
    "filter",
    "update",
    "projection",
    "\u{1f}",
];

fn expr_seeds() -> Vec<Vec<u8>> {
    let names = r##"{"#n":"name","#p":"pk","#a":"address"}"##;
    let values = r#"{":v":{"S":"Ada"},":lo":{"N":"1"},":hi":{"N":"99"},":s":{"SS":["a"]},":l":{"L":[{"S":"y"}]},":one":{"N":"1"},":t":{"S":"N"},":b":{"B":"AAEC"}}"#;
    let e = |kind: &str, expr: &str, n: &str, v: &str| join(&[kind, expr, n, v, seeds::ITEM]);
    vec![
        e(
            "condition",
            "#n = :v AND age BETWEEN :lo AND :hi",
            names,
            values,
        ),
        e(
            "condition",
            "attribute_not_exists(#p) OR NOT (contains(tags, :v) AND size(history) > :one)",
            names,
            values,
        ),
        e(
            "condition",
            "attribute_type(age, :t) AND begins_with(#n, :v) AND lsi_sk < :b",
            names,
            values,
        ),
        e(
            "condition",
            "#a.city IN (:v, :t) OR history[1].k <> :v",
            names,
            values,
        ),
        e(
            "filter",
            "(age >= :lo) AND (age <= :hi) AND attribute_exists(scores)",
            names,
            values,
        ),
        e("key", "#p = :v AND sk BETWEEN :lo AND :hi", names, values),
        e("key", "pk = :v AND begins_with(lsi_sk, :b)", "", values),
        e(
            "update",
            "SET #n = :v, age = if_not_exists(age, :lo) + :one, history = list_append(history, :l), #a.geo[0] = :hi REMOVE nothing, tags ADD scores :s DELETE tags :s",
            names,
            values,
        ),
        e(
            "update",
            "SET history[5] = :v, counter = counter - :one REMOVE history[0], #a.zip",
            names,
            values,
        ),
        e("update", "ADD newset :s, n :one", "", values),
        e("projection", "#n, #a.city, history[1].k, scores", names, ""),
        e(
            "projection",
            "pk, sk, address.geo[0], history[2][0]",
            "",
            "",
        ),
    ]
}

/// Parses one expression as the handlers do (over 4 KB refused, values
/// validated first, unused placeholders refused) and evaluates it against
/// the item.
fn expr_run(input: &[u8]) -> u64 {
    let p = parts(input);
    let get = |i: usize| p.get(i).map(String::as_str).unwrap_or("");
    let json = |i: usize| serde_json::from_str::<Value>(get(i)).ok();
    let (kind, text) = (get(0), get(1));
    let (names, values) = (json(2), json(3));
    let item = json(4)
        .and_then(|v| attr::validate_item(&v).ok())
        .unwrap_or_else(sample_item);
    if text.len() > items::MAX_EXPRESSION {
        // Refused before parsing, as `items::parse_exprs` does.
        return fnv(b"too long");
    }
    let mut ph = Placeholders::new(names.as_ref(), values.as_ref());
    for (k, v) in ph.values() {
        if let Err(e) = attr::validate(v) {
            return class(&format!("value {}", k.len().min(1)), &e);
        }
    }
    let keys = ["pk", "sk"];
    let r: Result<u64, String> = match kind {
        "update" => parse_update(text, &mut ph).and_then(|actions| {
            ph.check_unused()?;
            let (new, paths) = update::apply(&item, &actions, &keys)?;
            let _ = project(&new, &paths);
            let _ = attr::item_size(&new);
            Ok(fnv(b"update") ^ actions.len().min(4) as u64)
        }),
        "projection" => parse_projection(text, &mut ph).and_then(|paths| {
            ph.check_unused()?;
            let _ = project(&item, &paths);
            Ok(fnv(b"projection"))
        }),
        _ => {
            let k = match kind {
                "key" => Kind::KeyCondition,
                "filter" => Kind::Filter,
                _ => Kind::Condition,
            };
            parse_condition(text, k, &mut ph).and_then(|c| {
                ph.check_unused()?;
                let hit = eval(&item, &c, "ConditionExpression")?;
                let _ = eval(&Item::new(), &c, "ConditionExpression");
                Ok(fnv(b"cond") ^ hit as u64)
            })
        }
    };
    r.unwrap_or_else(|e| class(kind, &e))
}

/// The expression language on its own: parser, placeholders, evaluators.
pub fn expr() -> Target {
    Target {
        name: "dynamodb-expr",
        about: "DynamoDB expressions: parse_condition/update/projection with placeholders, then eval, update::apply, project",
        seeds: expr_seeds,
        dict: EXPR_DICT,
        max_len: 8 * 1024,
        layout: Layout::Bytes,
        setup: None,
        reset_every: 0,
        run: expr_run,
    }
}

fn request_seeds() -> Vec<Vec<u8>> {
    seeds::dynamodb()
        .into_iter()
        .filter_map(|r| {
            let req = crate::http::RawRequest::parse(&r);
            (!req.body.is_empty()).then_some(req.body)
        })
        .collect()
}

/// A request's expressions and legacy parameters (Expected, AttributeUpdates,
/// KeyConditions, QueryFilter, ScanFilter) as `items::parse_exprs` reads
/// them, evaluated against the request's item or the sample item.
fn request_run(input: &[u8]) -> u64 {
    let Ok(v) = serde_json::from_slice::<Value>(input) else {
        return fnv(b"not json");
    };
    match items::parse_exprs(&v) {
        Ok(exprs) => {
            let item = v
                .get("Item")
                .and_then(|i| attr::validate_item(i).ok())
                .unwrap_or_else(sample_item);
            let mut c = 0u64;
            for cond in [&exprs.condition, &exprs.filter, &exprs.key_condition]
                .into_iter()
                .flatten()
            {
                c = c.rotate_left(1) ^ u64::from(eval(&item, cond, "ConditionExpression").is_ok());
            }
            if let Some(actions) = &exprs.update
                && let Ok((new, paths)) = update::apply(&item, actions, &["pk", "sk"])
            {
                let _ = project(&new, &paths);
            }
            if let Some(p) = &exprs.projection {
                let _ = project(&item, p);
            }
            let kinds = [
                exprs.condition.is_some(),
                exprs.filter.is_some(),
                exprs.key_condition.is_some(),
                exprs.update.is_some(),
                exprs.projection.is_some(),
            ];
            fnv(b"ok") ^ c ^ fnv(&kinds.map(u8::from)).rotate_left(3)
        }
        Err(e) => class(&e.error.code, &e.error.message),
    }
}

/// Request-level expression handling (`items::parse_exprs`).
pub fn request_exprs() -> Target {
    Target {
        name: "dynamodb-request-exprs",
        about: "DynamoDB request bodies through items::parse_exprs (expressions + legacy conditions), then evaluated",
        seeds: request_seeds,
        dict: super::protocol::JSON_DICT,
        max_len: 16 * 1024,
        layout: Layout::Json,
        setup: None,
        reset_every: 0,
        run: request_run,
    }
}

/// Every AttributeValue map in a request body that the handlers validate:
/// items, keys, and expression attribute values.
fn collect_items<'a>(v: &'a Value, out: &mut Vec<&'a Value>) {
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                match k.as_str() {
                    "Item" | "Key" | "ExclusiveStartKey" | "ExpressionAttributeValues" => {
                        out.push(x)
                    }
                    _ => collect_items(x, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect_items(x, out)),
        _ => {}
    }
}

/// Checks what holds for every valid item: each value equals itself, order
/// is antisymmetric, numbers order as the sign of their exact difference
/// says, print and parse back to themselves, and add then subtract exactly.
fn check_item(item: &Item) -> u64 {
    let _ = attr::item_size(item);
    let values: Vec<&Value> = item.values().take(8).collect();
    let mut numbers = Vec::new();
    for a in &values {
        assert!(attr::equal(a, a), "a valid value equals itself: {a}");
        for b in &values {
            let ab = attr::compare(a, b);
            let ba = attr::compare(b, a);
            assert_eq!(
                ab,
                ba.map(|o| o.reverse()),
                "compare is antisymmetric: {a} {b}"
            );
            let _ = attr::equal(a, b);
        }
        if let Some(d) = attr::num(a) {
            numbers.push(d);
        }
    }
    for a in &numbers {
        let back = Decimal::parse(&a.to_text()).expect("canonical text parses");
        assert_eq!(back.to_text(), a.to_text(), "to_text round trip");
        for b in &numbers {
            // Order (by sort key) agrees with the sign of the exact difference.
            let diff = a.sub(b);
            let by_sign = if diff.is_zero() {
                std::cmp::Ordering::Equal
            } else if diff.to_text().starts_with('-') {
                std::cmp::Ordering::Less
            } else {
                std::cmp::Ordering::Greater
            };
            assert_eq!(
                a.cmp(b),
                by_sign,
                "sort keys order as numbers: {} {}",
                a.to_text(),
                b.to_text()
            );
            assert_eq!(
                a.add(b).sub(b).to_text(),
                a.to_text(),
                "(a + b) - b == a for {} {}",
                a.to_text(),
                b.to_text()
            );
        }
    }
    fnv(&[values.len().min(8) as u8, numbers.len().min(8) as u8])
}

fn attr_json_seeds() -> Vec<Vec<u8>> {
    let mut s = request_seeds();
    s.push(
        format!(
            r#"{{"TableName":"t","Item":{{"big":{{"S":"{}"}}}}}}"#,
            "x".repeat(2000)
        )
        .into_bytes(),
    );
    s.push(br#"{"TableName":"t","Item":{"n":{"N":"0000000000000000000000000000000000000000000001.5000000000"},"ns":{"NS":["1e125","-1E-129","99999999999999999999999999999999999999"]}}}"#.to_vec());
    s
}

/// Raw request bodies: the oversize walker first (as the handler runs it on
/// the raw bytes), then every item in them validated and checked.
fn attr_json_run(input: &[u8]) -> u64 {
    let big = oversize::has_oversized_item(input);
    let Ok(v) = serde_json::from_slice::<Value>(input) else {
        return fnv(b"not json") ^ big as u64;
    };
    let mut found = Vec::new();
    collect_items(&v, &mut found);
    let mut c = fnv(&[big as u8]);
    for it in found.into_iter().take(16) {
        c = c.rotate_left(5)
            ^ match attr::validate_item(it) {
                Ok(item) => check_item(&item),
                Err(e) => class("invalid", &e),
            };
    }
    c
}

/// AttributeValue JSON from raw request bodies.
pub fn attr_json() -> Target {
    Target {
        name: "dynamodb-attr-json",
        about: "DynamoDB oversize::has_oversized_item on raw bodies, attr::validate_item, sizes, equal/compare, numbers",
        seeds: attr_json_seeds,
        dict: super::protocol::JSON_DICT,
        max_len: 256 * 1024,
        layout: Layout::Json,
        setup: None,
        reset_every: 0,
        run: attr_json_run,
    }
}

thread_local! {
    /// Bytes of long strings one generated item may still hold: enough to
    /// cross the item size limit, not so many that building the item is
    /// what takes the time.
    static BIG_BUDGET: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Builds a string: arbitrary text, or a run of one character long
/// enough to matter for sizes.
fn gen_string(u: &mut Unstructured) -> arbitrary::Result<String> {
    Ok(match u.int_in_range(0..=7)? {
        0 => {
            let c: char = u.arbitrary()?;
            let n = u.int_in_range(1..=(MAX_ITEM_SIZE / 1024 + 8))? * 1024;
            let bytes = n * c.len_utf8();
            if BIG_BUDGET.get() < bytes {
                return u.arbitrary::<String>();
            }
            BIG_BUDGET.set(BIG_BUDGET.get() - bytes);
            c.to_string().repeat(n)
        }
        1 => String::new(),
        _ => u.arbitrary::<String>()?,
    })
}

/// Builds a DynamoDB number text: well formed most of the time (signs,
/// leading and trailing zeros, fractions, exponents near the limits), else
/// arbitrary text.
fn gen_number(u: &mut Unstructured) -> arbitrary::Result<String> {
    if u.ratio(1, 8)? {
        return u.arbitrary::<String>();
    }
    let mut s = String::new();
    match u.int_in_range(0..=3)? {
        0 => s.push('-'),
        1 => s.push('+'),
        _ => {}
    }
    let zeros = if u.ratio(1, 6)? {
        u.int_in_range(0..=300)?
    } else {
        0
    };
    s.push_str(&"0".repeat(zeros));
    let digits = |u: &mut Unstructured, max: usize| -> arbitrary::Result<String> {
        let n = u.int_in_range(0..=max)?;
        (0..n)
            .map(|_| Ok(char::from(b'0' + u.int_in_range(0..=9)?)))
            .collect()
    };
    s.push_str(&digits(u, 45)?);
    if u.arbitrary()? {
        s.push('.');
        s.push_str(&digits(u, 45)?);
    }
    if u.ratio(1, 3)? {
        s.push(if u.arbitrary()? { 'e' } else { 'E' });
        let e: i32 = match u.int_in_range(0..=2)? {
            0 => u.int_in_range(-140..=140)?,
            1 => u.arbitrary()?,
            _ => u.int_in_range(120..=130)?,
        };
        s.push_str(&e.to_string());
    }
    Ok(s)
}

/// Builds base64 text: of arbitrary bytes (valid), or arbitrary text.
fn gen_b64(u: &mut Unstructured) -> arbitrary::Result<String> {
    use base64::Engine;
    if u.ratio(1, 6)? {
        return u.arbitrary::<String>();
    }
    let bytes: Vec<u8> = u.arbitrary()?;
    Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// Builds an AttributeValue, sometimes malformed (wrong payload type, two
/// tags, an unknown tag), sometimes nested deeply.
fn gen_value(u: &mut Unstructured, depth: u32) -> arbitrary::Result<Value> {
    let set = |u: &mut Unstructured,
               f: fn(&mut Unstructured) -> arbitrary::Result<String>|
     -> arbitrary::Result<Vec<String>> {
        let n = u.int_in_range(0..=5)?;
        (0..n).map(|_| f(u)).collect()
    };
    Ok(match u.int_in_range(0..=13)? {
        0 => json!({"S": gen_string(u)?}),
        1 | 2 => json!({"N": gen_number(u)?}),
        3 => json!({"B": gen_b64(u)?}),
        4 => json!({"BOOL": u.arbitrary::<bool>()?}),
        5 => json!({"NULL": u.arbitrary::<bool>()?}),
        6 => json!({"SS": set(u, gen_string)?}),
        7 => json!({"NS": set(u, gen_number)?}),
        8 => json!({"BS": set(u, gen_b64)?}),
        9 if depth < 20 => {
            let n = u.int_in_range(0..=4)?;
            let mut m = Map::new();
            for _ in 0..n {
                m.insert(u.arbitrary()?, gen_value(u, depth + 1)?);
            }
            json!({ "M": m })
        }
        10 if depth < 20 => {
            let n = u.int_in_range(0..=4)?;
            let l: Vec<Value> = (0..n)
                .map(|_| gen_value(u, depth + 1))
                .collect::<arbitrary::Result<_>>()?;
            json!({ "L": l })
        }
        11 => {
            // A deep chain of maps and lists (serde_json reads 128 levels).
            let mut v = json!({"N": gen_number(u)?});
            for _ in 0..u.int_in_range(1..=60)? {
                v = if u.arbitrary()? {
                    json!({"L": [v]})
                } else {
                    json!({"M": {"k": v}})
                };
            }
            v
        }
        12 => match u.int_in_range(0..=4)? {
            0 => json!({"S": 1}),
            1 => json!({"N": "1", "S": "x"}),
            2 => json!({}),
            3 => json!({"X": "y"}),
            _ => json!({"SS": [1, "a"]}),
        },
        _ => {
            // Many small elements: sizes add up per element.
            let mut n = u.int_in_range(0..=4096)?;
            if BIG_BUDGET.get() < n * 100 {
                n = 1;
            }
            BIG_BUDGET.set(BIG_BUDGET.get().saturating_sub(n * 100));
            json!({"L": vec![json!({"N": "1"}); n]})
        }
    })
}

/// Whether every binary payload in a value is valid base64 (the oversize
/// walker counts decoded lengths; invalid text decodes to nothing).
fn binaries_decode(v: &Value) -> bool {
    use base64::Engine;
    let ok = |s: &Value| {
        s.as_str()
            .is_some_and(|s| base64::engine::general_purpose::STANDARD.decode(s).is_ok())
    };
    match v {
        Value::Object(o) => o.iter().all(|(k, x)| match k.as_str() {
            "B" => ok(x),
            "BS" => x.as_array().is_none_or(|a| a.iter().all(ok)),
            _ => binaries_decode(x),
        }),
        Value::Array(a) => a.iter().all(binaries_decode),
        _ => true,
    }
}

/// A structured item built from the input with `arbitrary`, checked like
/// `dynamodb-attr-json` does, plus the oversize walker's promise: an item
/// it refuses is over the limit by DynamoDB's count too.
fn attr_gen_run(input: &[u8]) -> u64 {
    BIG_BUDGET.set(2 * MAX_ITEM_SIZE);
    let mut u = Unstructured::new(input);
    let mut item = Map::new();
    let n = u.int_in_range(1..=8).unwrap_or(1);
    for _ in 0..n {
        let name: String = u.arbitrary().unwrap_or_default();
        let Ok(v) = gen_value(&mut u, 0) else { break };
        item.insert(name, v);
    }
    let item = Value::Object(item);
    let body = json!({"TableName": "t", "Item": item}).to_string();
    let big = oversize::has_oversized_item(body.as_bytes());
    match attr::validate_item(&item) {
        Ok(valid) => {
            if big && binaries_decode(&item) {
                let raw = item.as_object().expect("built as a map");
                assert!(
                    attr::item_size(raw) > MAX_ITEM_SIZE,
                    "the walker refused an item of {} bytes",
                    attr::item_size(raw)
                );
            }
            check_item(&valid) ^ big as u64
        }
        Err(e) => class("invalid", &e) ^ big as u64,
    }
}

/// Structured AttributeValues built with `arbitrary`.
pub fn attr_gen() -> Target {
    fn seeds() -> Vec<Vec<u8>> {
        let mut rng = fastrand::Rng::with_seed(1);
        (0..64)
            .map(|n| (0..(16 << (n % 6))).map(|_| rng.u8(..)).collect())
            .collect()
    }
    Target {
        name: "dynamodb-attr-gen",
        about: "DynamoDB AttributeValues built with arbitrary: validation, sizes, order, numbers, the oversize walker's bound",
        seeds,
        dict: &[],
        max_len: 4096,
        layout: Layout::Bytes,
        setup: None,
        reset_every: 0,
        run: attr_gen_run,
    }
}

fn ctx() -> Ctx {
    Ctx {
        region: "us-east-1".into(),
        account: "000000000000".into(),
        now_ms: 1_700_000_000_000,
    }
}

/// A fresh test kit with the seed table and item.
fn table_setup() {
    testkit::reset();
    let create: Value = serde_json::from_str(seeds::CREATE_TABLE).expect("seed JSON");
    dynamodb::dispatch(&ctx(), "CreateTable", create).expect("create the fuzz table");
    let item: Value = serde_json::from_str(seeds::ITEM).expect("seed JSON");
    dynamodb::dispatch(
        &ctx(),
        "PutItem",
        json!({"TableName": seeds::TABLE, "Item": item}),
    )
    .expect("put the seed item");
}

const PARTIQL_DICT: &[&str] = &[
    "SELECT ",
    "INSERT INTO ",
    "UPDATE ",
    "DELETE FROM ",
    " FROM ",
    " WHERE ",
    " VALUE ",
    " SET ",
    " REMOVE ",
    " RETURNING ALL OLD *",
    "\"fuzz-table\"",
    "\"fuzz-table\".\"by-gsi\"",
    " AND ",
    " OR ",
    " IN [",
    " BETWEEN ",
    "?",
    "'str'",
    "''''",
    "\"\"\"\"",
    "{'a': 1}",
    "[1, 'x']",
    "<<'a', 'b'>>",
    "<<1, 2>>",
    "MISSING",
    "NULL",
    "TRUE",
    "1.5e10",
    "-0.0",
    "begins_with(",
    "contains(",
    "attribute_exists(",
    "size(",
    "\u{1e}[{\"S\":\"x\"}]",
    "\u{1e}[{\"N\":\"1\"}]",
    "\u{1f}",
];

fn partiql_seeds() -> Vec<Vec<u8>> {
    let t = seeds::TABLE;
    [
        format!("SELECT * FROM \"{t}\" WHERE pk = 'user#1' AND sk = 1.5"),
        format!("SELECT pk, age, address.city, history[1] FROM \"{t}\" WHERE pk = ? AND sk BETWEEN 0 AND 10 AND contains(tags, 'a')\u{1e}[{{\"S\":\"user#1\"}}]"),
        format!("SELECT * FROM \"{t}\".\"by-gsi\" WHERE gsi_pk = 'g' OR age IN [1, 2, -36]"),
        format!("SELECT * FROM \"{t}\" WHERE begins_with(name, 'A') AND attribute_exists(tags) AND NOT nothing = NULL"),
        format!("INSERT INTO \"{t}\" VALUE {{'pk': 'p1', 'sk': 7, 'l': [1, 'two', true, null], 'm': {{'x': <<'a', 'b'>>, 'n': <<1, 2.5>>}}}}"),
        format!("INSERT INTO \"{t}\" VALUE {{'pk': ?, 'sk': ?}}\u{1e}[{{\"S\":\"p2\"}},{{\"N\":\"2\"}}]"),
        format!("UPDATE \"{t}\" SET age = age + 1 SET name = 'z' REMOVE nothing WHERE pk = 'user#1' AND sk = 1.5 RETURNING ALL NEW *"),
        format!("UPDATE \"{t}\" SET address.geo[0] = 3, tags = ? WHERE pk = 'user#1' AND sk = 1.5\u{1e}[{{\"SS\":[\"z\"]}}]"),
        format!("DELETE FROM \"{t}\" WHERE pk = 'user#1' AND sk = 1.5 AND age < 100"),
        format!("SELECT * FROM \"{t}\" WHERE pk = 'user#1' AND sk = 1.5\u{1f}UPDATE \"{t}\" SET v = 'w' WHERE pk = 'user#1' AND sk = 1.5\u{1f}DELETE FROM \"{t}\" WHERE pk = 'b' AND sk = 1"),
    ]
    .into_iter()
    .map(String::into_bytes)
    .collect()
}

/// One statement with its parameters: `statement[\x1e parameters JSON]`.
fn statement(part: &str) -> Value {
    let (text, params) = part.split_once('\u{1e}').unwrap_or((part, ""));
    let mut s = json!({ "Statement": text });
    if let Ok(p) = serde_json::from_str::<Value>(params) {
        s["Parameters"] = p;
    }
    s
}

/// PartiQL statements: one runs as ExecuteStatement; several (separated by
/// 0x1f) as BatchExecuteStatement and as ExecuteTransaction.
fn partiql_run(input: &[u8]) -> u64 {
    let list: Vec<Value> = parts(input).iter().map(|p| statement(p)).collect();
    let code = |r: Result<Value, dynamodb::DdbError>| match r {
        Ok(_) => fnv(b"ok"),
        Err(e) => class(&e.error.code, &e.error.message),
    };
    if list.len() == 1 {
        let mut input = list[0].clone();
        input["Limit"] = json!(50);
        return code(dynamodb::dispatch(&ctx(), "ExecuteStatement", input));
    }
    let a = code(dynamodb::dispatch(
        &ctx(),
        "BatchExecuteStatement",
        json!({ "Statements": list }),
    ));
    let b = code(dynamodb::dispatch(
        &ctx(),
        "ExecuteTransaction",
        json!({ "TransactStatements": list }),
    ));
    a ^ b.rotate_left(9)
}

/// The PartiQL lexer, parser and planner against a real table.
pub fn partiql() -> Target {
    Target {
        name: "dynamodb-partiql",
        about: "DynamoDB PartiQL (partiql.rs: lex, parse, plan) via ExecuteStatement / BatchExecuteStatement / ExecuteTransaction",
        seeds: partiql_seeds,
        dict: PARTIQL_DICT,
        max_len: 8 * 1024,
        layout: Layout::Bytes,
        setup: Some(table_setup),
        reset_every: 2000,
        run: partiql_run,
    }
}

/// A fresh test kit with the seed table and item, made through the handler.
fn plugin_setup() {
    testkit::reset();
    crate::targets::s3::must::<DynamoDb>(
        RequestBuilder::json("DynamoDB_20120810.CreateTable", seeds::CREATE_TABLE).build(),
        "CreateTable",
    );
    crate::targets::s3::must::<DynamoDb>(
        RequestBuilder::json(
            "DynamoDB_20120810.PutItem",
            &format!(
                r#"{{"TableName":"{}","Item":{}}}"#,
                seeds::TABLE,
                seeds::ITEM
            ),
        )
        .build(),
        "PutItem",
    );
}

/// Whole DynamoDB requests through the plugin's handler.
pub fn plugin() -> Target {
    fn run(input: &[u8]) -> u64 {
        crate::targets::s3::serve::<DynamoDb>(crate::targets::s3::request(input))
    }
    Target {
        name: "plugin-dynamodb",
        about: "whole DynamoDB requests through the DynamoDB plugin's handler (test kit storage)",
        seeds: seeds::dynamodb,
        dict: super::protocol::JSON_DICT,
        max_len: 16 * 1024,
        layout: Layout::HttpJson,
        setup: Some(plugin_setup),
        reset_every: 1000,
        run,
    }
}
