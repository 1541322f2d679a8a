//! The SNS filter policy language: validation and matching.
//!
//! A policy is a JSON object whose keys name message attributes (scope
//! `MessageAttributes`) or, possibly nested, keys of a JSON message body
//! (scope `MessageBody`). Each leaf is an array of conditions of which one
//! must match: exact strings and numbers, `prefix`, `suffix`,
//! `equals-ignore-case`, `anything-but`, `numeric` ranges, `exists`, `cidr`;
//! `$or` holds alternative policies. All keys must match.

use ruststack_sdk::AwsError;
use ruststack_sdk::protocol::Value;
use std::collections::HashMap;

use serde_json::Map;

use crate::errors::invalid_parameter;

/// Most leaf keys a policy may name (AWS's limit).
const MAX_KEYS: usize = 5;
/// Most value combinations a policy may expand to (AWS's limit).
const MAX_COMBINATIONS: usize = 150;
/// Numbers in `numeric` conditions must lie within ±this.
pub(crate) const MAX_NUMBER: f64 = 1e9;

fn err(reason: impl AsRef<str>) -> AwsError {
    invalid_parameter(format!("FilterPolicy: {}", reason.as_ref()))
}

/// Checks a policy document; `InvalidParameter` describes what is wrong.
/// Nested keys are only allowed when the policy applies to the message body.
pub fn validate(policy: &str, body_scope: bool) -> Result<(), AwsError> {
    let v: Value =
        serde_json::from_str(policy).map_err(|_| err(crate::jackson::parse_failure(policy)))?;
    let obj = v
        .as_object()
        .ok_or_else(|| err("Filter policy must be a JSON object"))?;
    if obj.is_empty() {
        return Err(err("Filter policy must not be empty"));
    }
    // First as AWS's rule compiler reads it: its complaints carry the
    // place they were found at.
    crate::ruler::check(policy).map_err(|c| err(c.message()))?;
    let (keys, combinations) = check_object(obj, 1, 0, body_scope)?;
    if keys > MAX_KEYS {
        return Err(err("Filter policy can not have more than 5 keys"));
    }
    if combinations > MAX_COMBINATIONS {
        return Err(err("Filter policy is too complex"));
    }
    Ok(())
}

/// (leaf keys, combinations) of an object at nesting `level` (1 for the
/// top), checking every condition. As AWS counts, each leaf array adds its
/// length times its nesting level as a factor, and `$or` adds up its
/// alternatives; `depth` bounds recursion.
fn check_object(
    obj: &Map<String, Value>,
    level: usize,
    depth: usize,
    nested_ok: bool,
) -> Result<(usize, usize), AwsError> {
    if depth > 10 {
        return Err(err("Filter policy is too deeply nested"));
    }
    let (mut keys, mut combinations) = (0usize, 1usize);
    for (k, v) in obj {
        if k == "$or" {
            let alts = v
                .as_array()
                .filter(|a| a.len() >= 2)
                .ok_or_else(|| err("$or must be an array of at least 2 objects"))?;
            let mut sum = 0usize;
            for alt in alts {
                let o = alt
                    .as_object()
                    .ok_or_else(|| err("$or must be an array of at least 2 objects"))?;
                let (k2, c2) = check_object(o, level, depth + 1, nested_ok)?;
                keys += k2;
                sum = sum.saturating_add(c2);
            }
            combinations = combinations.saturating_mul(sum);
            continue;
        }
        match v {
            Value::Object(_) if !nested_ok => {
                return Err(invalid_parameter(
                    "Filter policy scope MessageAttributes does not support nested filter policy",
                ));
            }
            Value::Object(o) => {
                let (k2, c2) = check_object(o, level + 1, depth + 1, nested_ok)?;
                keys += k2;
                combinations = combinations.saturating_mul(c2);
            }
            Value::Array(conds) => {
                if conds.is_empty() {
                    return Err(err(format!("Empty arrays are not allowed ({k})")));
                }
                for c in conds {
                    check_condition(c)?;
                }
                keys += 1;
                combinations = combinations.saturating_mul(conds.len().saturating_mul(level));
            }
            _ => return Err(err(format!("\"{k}\" must be an object or an array"))),
        }
    }
    Ok((keys, combinations))
}

fn check_condition(c: &Value) -> Result<(), AwsError> {
    let o = match c {
        Value::String(_) | Value::Number(_) | Value::Null | Value::Bool(_) => return Ok(()),
        Value::Array(_) => {
            return Err(err(
                "Match value must be String, number, true, false, or null",
            ));
        }
        Value::Object(o) => o,
    };
    if o.len() != 1 {
        return Err(err("Only one key allowed in match expression"));
    }
    let (op, arg) = o.iter().next().expect("one key");
    match op.as_str() {
        "prefix" | "suffix" | "equals-ignore-case" => {
            if !arg.is_string() {
                return Err(err(format!("{op} match pattern must be a string")));
            }
        }
        "exists" => {
            if !arg.is_boolean() {
                return Err(err("exists match pattern must be either true or false."));
            }
        }
        "anything-but" => match arg {
            Value::String(_) | Value::Number(_) => {}
            Value::Array(a)
                if !a.is_empty() && a.iter().all(|x| x.is_string() || x.is_number()) => {}
            Value::Object(inner) if inner.len() == 1 => {
                let (iop, iarg) = inner.iter().next().expect("one key");
                if !matches!(iop.as_str(), "prefix" | "suffix") || !iarg.is_string() {
                    return Err(err(format!("Unsupported anything-but pattern: {iop}")));
                }
            }
            _ => {
                return Err(err(
                    "Value of anything-but must be an array or single string/number value.",
                ));
            }
        },
        "numeric" => check_numeric(arg)?,
        "cidr" => {
            let s = arg
                .as_str()
                .ok_or_else(|| err("Malformed CIDR, one '/' required"))?;
            parse_cidr(s).ok_or_else(|| err(format!("Malformed CIDR: {s}")))?;
        }
        other => return Err(err(format!("Unrecognized match type {other}"))),
    }
    Ok(())
}

fn check_numeric(arg: &Value) -> Result<(), AwsError> {
    let a = arg
        .as_array()
        .filter(|a| !a.is_empty() && a.len() % 2 == 0 && a.len() <= 4)
        .ok_or_else(|| err("Value of numeric must be an array."))?;
    let mut lower = false;
    let mut upper = false;
    let mut prev: Option<f64> = None;
    for pair in a.chunks(2) {
        let op = pair[0]
            .as_str()
            .ok_or_else(|| err("Unrecognized numeric range operator"))?;
        let n = pair[1]
            .as_f64()
            .ok_or_else(|| err(format!("Value of {op} must be numeric")))?;
        if !(-MAX_NUMBER..=MAX_NUMBER).contains(&n) {
            return Err(err("Numeric value must be between -1.0E9 and 1.0E9"));
        }
        match op {
            "=" if a.len() == 2 => {}
            ">" | ">=" if !lower && !upper => lower = true,
            "<" | "<=" if !upper => upper = true,
            _ => return Err(err(format!("Bad numeric range operator: {op}"))),
        }
        if let Some(p) = prev
            && n <= p
        {
            return Err(err("Bottom must be less than top"));
        }
        prev = Some(n);
    }
    Ok(())
}

/// Does `policy` (a validated document) match `doc`, a JSON object holding
/// the message attributes or the message body?
///
/// Both sides are flattened to dotted paths, as AWS does: a policy key
/// `a.b` and nested keys `{"a": {"b": ..}}` name the same path, as do a
/// body key `a.b` and nested objects; arrays (also of objects, and arrays
/// of arrays) contribute each element, and a key matches when any of its
/// values does.
pub fn matches(policy: &str, doc: &Value) -> bool {
    let Ok(Value::Object(p)) = serde_json::from_str::<Value>(policy) else {
        return false;
    };
    let mut values: HashMap<String, Vec<&Value>> = HashMap::new();
    flatten(doc, String::new(), &mut values, 0);
    match_object(&p, "", &values)
}

/// Most levels of a message body [`flatten`] descends (serde_json parses
/// at most 128; this bounds the stack for hand-built values).
const MAX_FLATTEN_DEPTH: usize = 256;

/// Collects every scalar of `v` under its dotted path.
fn flatten<'a>(
    v: &'a Value,
    path: String,
    out: &mut HashMap<String, Vec<&'a Value>>,
    depth: usize,
) {
    if depth > MAX_FLATTEN_DEPTH {
        return;
    }
    match v {
        Value::Object(o) => {
            for (k, child) in o {
                let p = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                flatten(child, p, out, depth + 1);
            }
        }
        Value::Array(items) => {
            for item in items {
                flatten(item, path.clone(), out, depth + 1);
            }
        }
        scalar => out.entry(path).or_default().push(scalar),
    }
}

fn match_object(
    policy: &Map<String, Value>,
    prefix: &str,
    values: &HashMap<String, Vec<&Value>>,
) -> bool {
    policy.iter().all(|(k, cond)| {
        if k == "$or" {
            return cond.as_array().is_some_and(|alts| {
                alts.iter().any(|alt| {
                    alt.as_object()
                        .is_some_and(|o| match_object(o, prefix, values))
                })
            });
        }
        let path = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match cond {
            Value::Object(o) => match_object(o, &path, values),
            Value::Array(conds) => {
                let found = values.get(&path).map(Vec::as_slice).unwrap_or_default();
                conds.iter().any(|c| match_leaf(c, found))
            }
            _ => false,
        }
    })
}

/// Does one condition match the values found at its path (none: absent)?
fn match_leaf(cond: &Value, found: &[&Value]) -> bool {
    if let Some(exists) = cond.get("exists").and_then(Value::as_bool) {
        return found.is_empty() != exists;
    }
    found.iter().any(|v| match_scalar(cond, v))
}

fn num_eq(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

fn match_scalar(cond: &Value, v: &Value) -> bool {
    match cond {
        Value::String(s) => v.as_str() == Some(s),
        Value::Number(n) => match (n.as_f64(), v.as_f64()) {
            (Some(a), Some(b)) => num_eq(a, b),
            _ => false,
        },
        Value::Null => v.is_null(),
        Value::Bool(b) => v.as_bool() == Some(*b),
        Value::Array(_) => false,
        Value::Object(o) => {
            let Some((op, arg)) = o.iter().next() else {
                return false;
            };
            let s = v.as_str();
            match op.as_str() {
                "prefix" => s.zip(arg.as_str()).is_some_and(|(s, p)| s.starts_with(p)),
                "suffix" => s.zip(arg.as_str()).is_some_and(|(s, p)| s.ends_with(p)),
                "equals-ignore-case" => s
                    .zip(arg.as_str())
                    .is_some_and(|(s, p)| s.eq_ignore_ascii_case(p)),
                "anything-but" => anything_but(arg, v),
                "numeric" => v.as_f64().is_some_and(|n| numeric(arg, n)),
                "cidr" => s.zip(arg.as_str()).is_some_and(|(ip, c)| in_cidr(ip, c)),
                _ => false,
            }
        }
    }
}

fn anything_but(arg: &Value, v: &Value) -> bool {
    match arg {
        Value::Object(o) => {
            let s = v.as_str();
            match o.iter().next() {
                Some((op, p)) if op == "prefix" => {
                    s.zip(p.as_str()).is_some_and(|(s, p)| !s.starts_with(p))
                }
                Some((op, p)) if op == "suffix" => {
                    s.zip(p.as_str()).is_some_and(|(s, p)| !s.ends_with(p))
                }
                _ => false,
            }
        }
        Value::Array(a) => !a.iter().any(|x| match_scalar(x, v)),
        x => !match_scalar(x, v),
    }
}

fn numeric(arg: &Value, n: f64) -> bool {
    let Some(a) = arg.as_array() else {
        return false;
    };
    a.chunks(2).all(|pair| {
        let bound = pair.get(1).and_then(Value::as_f64).unwrap_or(f64::NAN);
        match pair[0].as_str() {
            Some("=") => num_eq(n, bound),
            Some("<") => n < bound,
            Some("<=") => n <= bound,
            Some(">") => n > bound,
            Some(">=") => n >= bound,
            _ => false,
        }
    })
}

/// An IPv4 or IPv6 network as (address bits, prefix length, bit width).
fn parse_cidr(s: &str) -> Option<(u128, u32, u32)> {
    let (ip, len) = s.split_once('/')?;
    let len: u32 = len.parse().ok()?;
    let (bits, width) = parse_ip(ip)?;
    (len <= width).then_some((bits, len, width))
}

fn parse_ip(s: &str) -> Option<(u128, u32)> {
    if let Ok(v4) = s.parse::<std::net::Ipv4Addr>() {
        return Some((u32::from(v4) as u128, 32));
    }
    s.parse::<std::net::Ipv6Addr>()
        .ok()
        .map(|v6| (u128::from(v6), 128))
}

fn in_cidr(ip: &str, cidr: &str) -> bool {
    let (Some((net, len, width)), Some((addr, w2))) = (parse_cidr(cidr), parse_ip(ip)) else {
        return false;
    };
    if width != w2 {
        return false;
    }
    if len == 0 {
        return true;
    }
    let shift = width - len;
    (net >> shift) == (addr >> shift)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn m(policy: Value, doc: Value) -> bool {
        let p = policy.to_string();
        validate(&p, true).unwrap();
        matches(&p, &doc)
    }

    #[test]
    fn exact_prefix_suffix_and_case() {
        assert!(m(
            json!({"color": ["red", "blue"]}),
            json!({"color": "blue"})
        ));
        assert!(!m(json!({"color": ["red"]}), json!({"color": "blue"})));
        assert!(!m(json!({"color": ["red"]}), json!({})));
        assert!(m(json!({"c": [{"prefix": "bl"}]}), json!({"c": "blue"})));
        assert!(m(json!({"c": [{"suffix": "ue"}]}), json!({"c": "blue"})));
        assert!(m(
            json!({"c": [{"equals-ignore-case": "BLUE"}]}),
            json!({"c": "blue"})
        ));
        assert!(m(json!({"c": ["x", "y"]}), json!({"c": ["a", "y"]})));
    }

    #[test]
    fn numbers_anything_but_exists_cidr() {
        let range = json!({"n": [{"numeric": [">", 0, "<=", 5]}]});
        assert!(m(range.clone(), json!({"n": 5})));
        assert!(!m(range.clone(), json!({"n": 0})));
        assert!(!m(range, json!({"n": "3"})));
        assert!(m(json!({"n": [3]}), json!({"n": 3.0})));
        assert!(m(
            json!({"c": [{"anything-but": ["red"]}]}),
            json!({"c": "blue"})
        ));
        assert!(!m(
            json!({"c": [{"anything-but": "red"}]}),
            json!({"c": "red"})
        ));
        assert!(!m(
            json!({"c": [{"anything-but": {"prefix": "re"}}]}),
            json!({"c": "red"})
        ));
        assert!(!m(json!({"c": [{"anything-but": "red"}]}), json!({})));
        assert!(m(json!({"c": [{"exists": false}]}), json!({})));
        assert!(!m(json!({"c": [{"exists": true}]}), json!({})));
        assert!(m(
            json!({"ip": [{"cidr": "10.0.0.0/24"}]}),
            json!({"ip": "10.0.0.7"})
        ));
        assert!(!m(
            json!({"ip": [{"cidr": "10.0.0.0/24"}]}),
            json!({"ip": "10.0.1.7"})
        ));
    }

    #[test]
    fn nested_keys_and_or() {
        let p = json!({"a": {"b": ["x"]}, "$or": [{"c": ["1"]}, {"d": [{"exists": true}]}]});
        assert!(m(p.clone(), json!({"a": {"b": "x"}, "d": 1})));
        assert!(m(p.clone(), json!({"a": {"b": "x"}, "c": "1"})));
        assert!(!m(p.clone(), json!({"a": {"b": "y"}, "c": "1"})));
        assert!(!m(p, json!({"a": {"b": "x"}})));
    }

    #[test]
    fn paths_flatten_dots_and_arrays_of_objects() {
        let p = json!({"a.b": ["x"]});
        assert!(m(p.clone(), json!({"a": {"b": "x"}})));
        assert!(m(p.clone(), json!({"a.b": "x"})));
        assert!(!m(p, json!({"a": {"b": "y"}})));
        let p = json!({"r": {"k": [{"prefix": "auto-"}], "e": ["put"]}});
        assert!(m(
            p.clone(),
            json!({"r": [{"k": "home", "e": "del"}, {"k": "auto-1", "e": "put"}]})
        ));
        assert!(m(
            p.clone(),
            json!({"r": [[{"k": "auto-1"}]], "r.e": "put"})
        ));
        assert!(!m(p, json!({"r": [{"k": "home", "e": "put"}]})));
    }

    #[test]
    fn nested_leaves_count_times_their_depth() {
        let vals = |n: usize| json!((0..n).map(|i| i.to_string()).collect::<Vec<_>>());
        // 3 x 4 x 2 x 3 x 1 x 3 = 216 > 150
        let p = json!({"a": {"b": {"c": vals(4)}}, "d": {"e": vals(3)}, "f": vals(3)});
        assert!(validate(&p.to_string(), true).is_err());
        // 2 x 4 x 1 x 3 = 24
        let p = json!({"a": {"c": vals(4)}, "f": vals(3)});
        assert!(validate(&p.to_string(), true).is_ok());
    }

    #[test]
    fn invalid_policies() {
        for bad in [
            "nope",
            "[]",
            "{}",
            r#"{"a": "x"}"#,
            r#"{"a": []}"#,
            r#"{"a": [{"numeric": [">", "x"]}]}"#,
            r#"{"a": [{"numeric": ["<", 5, ">", 1]}]}"#,
            r#"{"a": [{"numeric": [">", 5, "<", 1]}]}"#,
            r#"{"a": [{"exists": "yes"}]}"#,
            r#"{"a": [{"bogus": 1}]}"#,
            r#"{"a": [{"cidr": "10.0.0.0/99"}]}"#,
            r#"{"a":[1],"b":[1],"c":[1],"d":[1],"e":[1],"f":[1]}"#,
        ] {
            let e = validate(bad, true).unwrap_err();
            assert_eq!(e.code, "InvalidParameter", "{bad}");
        }
        let many: Vec<i32> = (0..13).collect();
        let p = json!({"a": many, "b": many}).to_string();
        assert!(validate(&p, true).is_err());
        // Nested keys need the MessageBody scope.
        assert!(validate(r#"{"a": {"b": ["x"]}}"#, false).is_err());
        assert!(validate(r#"{"a": {"b": ["x"]}}"#, true).is_ok());
    }
}
