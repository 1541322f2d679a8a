//! Evaluating conditions and operands against an item, and projections.

use std::cmp::Ordering;

use serde_json::{Value, json};

use super::ast::{CmpOp, Cond, Operand, Path, Step};
use crate::attr::{self, Item, compare, equal, inner, type_of};

/// The value at `path` in `item`, if any.
pub fn resolve<'a>(item: &'a Item, path: &Path) -> Option<&'a Value> {
    let mut steps = path.iter();
    let Some(Step::Attr(first)) = steps.next() else {
        return None;
    };
    let mut cur = item.get(first)?;
    for s in steps {
        cur = match (s, type_of(cur)?) {
            (Step::Attr(k), "M") => inner(cur).as_object()?.get(k)?,
            (Step::Index(i), "L") => inner(cur).as_array()?.get(*i)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// The value of an operand (absent when it names a missing attribute).
pub fn operand(item: &Item, op: &Operand, label: &str) -> Result<Option<Value>, String> {
    Ok(match op {
        Operand::Path(p) => resolve(item, p).cloned(),
        Operand::Value(v) => Some(v.clone()),
        Operand::Size(p) => match resolve(item, p) {
            None => None,
            Some(v) => {
                let x = inner(v);
                let n = match type_of(v).unwrap_or("") {
                    "S" => x.as_str().map_or(0, |s| s.chars().count()),
                    "B" => attr::b64(x).len(),
                    "SS" | "NS" | "BS" | "L" => x.as_array().map_or(0, Vec::len),
                    "M" => x.as_object().map_or(0, |m| m.len()),
                    t => {
                        return Err(format!(
                            "Invalid {label}: Incorrect operand type for operator or function; operator or function: size, operand type: {t}"
                        ));
                    }
                };
                Some(json!({ "N": n.to_string() }))
            }
        },
        Operand::IfNotExists(p, dflt) => match resolve(item, p) {
            Some(v) => Some(v.clone()),
            None => operand(item, dflt, label)?,
        },
        Operand::ListAppend(a, b) => {
            let (a, b) = (need(item, a, label)?, need(item, b, label)?);
            match (type_of(&a), type_of(&b)) {
                (Some("L"), Some("L")) => {
                    let mut l = inner(&a).as_array().cloned().unwrap_or_default();
                    l.extend(inner(&b).as_array().cloned().unwrap_or_default());
                    Some(json!({ "L": l }))
                }
                _ => {
                    return Err(format!(
                        "Invalid {label}: Incorrect operand type for operator or function; operator or function: list_append, operand type: {}",
                        type_name(if type_of(&a) == Some("L") { &b } else { &a })
                    ));
                }
            }
        }
        Operand::Plus(a, b) | Operand::Minus(a, b) => {
            let (x, y) = (need(item, a, label)?, need(item, b, label)?);
            let (Some(dx), Some(dy)) = (attr::num(&x), attr::num(&y)) else {
                return Err(
                    "An operand in the update expression has an incorrect data type".into(),
                );
            };
            let r = if matches!(op, Operand::Plus(..)) {
                dx.add(&dy)
            } else {
                dx.sub(&dy)
            };
            r.check()?;
            Some(attr::n(&r))
        }
    })
}

fn need(item: &Item, op: &Operand, label: &str) -> Result<Value, String> {
    operand(item, op, label)?.ok_or_else(|| {
        "The provided expression refers to an attribute that does not exist in the item".to_string()
    })
}

/// The long type name AWS uses in operand type errors.
pub fn type_name(v: &Value) -> &'static str {
    match type_of(v).unwrap_or("") {
        "S" => "STRING",
        "N" => "NUMBER",
        "B" => "BINARY",
        "SS" => "STRING_SET",
        "NS" => "NUMBER_SET",
        "BS" => "BINARY_SET",
        "M" => "MAP",
        "L" => "LIST",
        "BOOL" => "BOOLEAN",
        _ => "NULL",
    }
}

/// Evaluates a condition; `label` names the expression in error messages.
pub fn eval(item: &Item, c: &Cond, label: &str) -> Result<bool, String> {
    Ok(match c {
        Cond::And(a, b) => eval(item, a, label)? && eval(item, b, label)?,
        Cond::Or(a, b) => eval(item, a, label)? || eval(item, b, label)?,
        Cond::Not(a) => !eval(item, a, label)?,
        Cond::Exists(p) => resolve(item, p).is_some(),
        Cond::NotExists(p) => resolve(item, p).is_none(),
        Cond::Cmp(a, op, b) => {
            let (Some(x), Some(y)) = (operand(item, a, label)?, operand(item, b, label)?) else {
                // A missing attribute equals nothing, so it differs from
                // everything: `a <> :v` holds where `a` is absent.
                return Ok(*op == CmpOp::Ne);
            };
            match op {
                CmpOp::Eq => equal(&x, &y),
                CmpOp::Ne => !equal(&x, &y),
                _ => match compare(&x, &y) {
                    None => false,
                    Some(o) => match op {
                        CmpOp::Lt => o == Ordering::Less,
                        CmpOp::Le => o != Ordering::Greater,
                        CmpOp::Gt => o == Ordering::Greater,
                        _ => o != Ordering::Less,
                    },
                },
            }
        }
        Cond::Between(a, lo, hi) => {
            let (Some(x), Some(l), Some(h)) = (
                operand(item, a, label)?,
                operand(item, lo, label)?,
                operand(item, hi, label)?,
            ) else {
                return Ok(false);
            };
            if compare(&l, &h) == Some(Ordering::Greater) {
                return Err(format!(
                    "Invalid {label}: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {}, upper bound operand: AttributeValue: {}",
                    short(&l),
                    short(&h)
                ));
            }
            compare(&x, &l).is_some_and(|o| o != Ordering::Less)
                && compare(&x, &h).is_some_and(|o| o != Ordering::Greater)
        }
        Cond::In(a, list) => {
            let Some(x) = operand(item, a, label)? else {
                return Ok(false);
            };
            for o in list {
                if operand(item, o, label)?.is_some_and(|y| equal(&x, &y)) {
                    return Ok(true);
                }
            }
            false
        }
        Cond::Type(p, t) => {
            let want = operand(item, t, label)?.unwrap_or(Value::Null);
            let name = match (type_of(&want), inner(&want).as_str()) {
                (Some("S"), Some(s))
                    if ["S", "SS", "N", "NS", "B", "BS", "BOOL", "NULL", "L", "M"].contains(&s) =>
                {
                    s.to_string()
                }
                (Some("S"), Some(s)) => {
                    return Err(format!(
                        "Invalid {label}: Invalid attribute type name found; type: {s}, valid types: {{B,NULL,SS,BOOL,L,BS,N,NS,S,M}}"
                    ));
                }
                _ => {
                    return Err(format!(
                        "Invalid {label}: Incorrect operand type for operator or function; operator or function: attribute_type, operand type: {}",
                        type_name(&want)
                    ));
                }
            };
            resolve(item, p).is_some_and(|v| type_of(v) == Some(name.as_str()))
        }
        Cond::BeginsWith(a, b) => {
            let (Some(x), Some(y)) = (operand(item, a, label)?, operand(item, b, label)?) else {
                return Ok(false);
            };
            if !matches!(type_of(&y), Some("S" | "B")) {
                return Err(format!(
                    "Invalid {label}: Incorrect operand type for operator or function; operator or function: begins_with, operand type: {}",
                    type_name(&y)
                ));
            }
            match (type_of(&x), type_of(&y)) {
                (Some("S"), Some("S")) => inner(&x)
                    .as_str()
                    .unwrap_or("")
                    .starts_with(inner(&y).as_str().unwrap_or("")),
                (Some("B"), Some("B")) => attr::b64(inner(&x)).starts_with(&attr::b64(inner(&y))),
                _ => false,
            }
        }
        Cond::Contains(a, b) => {
            let (Some(x), Some(y)) = (operand(item, a, label)?, operand(item, b, label)?) else {
                return Ok(false);
            };
            match (type_of(&x).unwrap_or(""), type_of(&y).unwrap_or("")) {
                ("S", "S") => inner(&x)
                    .as_str()
                    .unwrap_or("")
                    .contains(inner(&y).as_str().unwrap_or("")),
                ("B", "B") => {
                    let (h, n) = (attr::b64(inner(&x)), attr::b64(inner(&y)));
                    n.is_empty() || h.windows(n.len()).any(|w| w == n.as_slice())
                }
                ("SS", "S") | ("NS", "N") | ("BS", "B") => {
                    let t = &type_of(&y).unwrap_or("").to_string();
                    inner(&x)
                        .as_array()
                        .is_some_and(|l| l.iter().any(|e| equal(&json!({ t: e }), &y)))
                }
                ("L", _) => inner(&x)
                    .as_array()
                    .is_some_and(|l| l.iter().any(|e| equal(e, &y))),
                _ => false,
            }
        }
    })
}

/// `{N:5}` as AWS shows an AttributeValue in messages.
fn short(v: &Value) -> String {
    format!(
        "{{{}:{}}}",
        type_of(v).unwrap_or(""),
        inner(v).as_str().unwrap_or("")
    )
}

/// The item reduced to the attributes at `paths` (ProjectionExpression).
pub fn project(item: &Item, paths: &[Path]) -> Item {
    let mut out = Item::new();
    for p in paths {
        let Some(v) = resolve(item, p) else { continue };
        let Some(Step::Attr(first)) = p.first() else {
            continue;
        };
        if p.len() == 1 {
            out.insert(first.clone(), v.clone());
            continue;
        }
        // Rebuild the containers along the path, keeping what is already there.
        let source = item.get(first).expect("resolved");
        let existing = out.remove(first);
        out.insert(first.clone(), graft(existing, source, &p[1..], v));
    }
    out
}

fn graft(existing: Option<Value>, source: &Value, rest: &[Step], leaf: &Value) -> Value {
    let Some(step) = rest.first() else {
        return leaf.clone();
    };
    match step {
        Step::Attr(k) => {
            let mut m = existing
                .as_ref()
                .and_then(|e| inner(e).as_object().cloned())
                .unwrap_or_default();
            let src = inner(source)
                .as_object()
                .and_then(|o| o.get(k))
                .unwrap_or(&Value::Null);
            let prev = m.remove(k);
            m.insert(k.clone(), graft(prev, src, &rest[1..], leaf));
            json!({ "M": m })
        }
        Step::Index(i) => {
            let mut l = existing
                .as_ref()
                .and_then(|e| inner(e).as_array().cloned())
                .unwrap_or_default();
            let src = inner(source)
                .as_array()
                .and_then(|a| a.get(*i))
                .unwrap_or(&Value::Null);
            l.push(graft(None, src, &rest[1..], leaf));
            json!({ "L": l })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::parser::{Kind, Placeholders, parse_condition, parse_projection};

    fn item() -> Item {
        serde_json::from_value(json!({
            "pk": {"S": "a"}, "n": {"N": "10"}, "tags": {"SS": ["x", "y"]},
            "m": {"M": {"deep": {"L": [{"S": "zero"}, {"N": "1"}]}}}, "s": {"S": "hello"}
        }))
        .unwrap()
    }

    fn check(expr: &str) -> Result<bool, String> {
        let mut ph = Placeholders::new(
            None,
            Some(
                &json!({":5": {"N": "5"}, ":20": {"N": "20"}, ":x": {"S": "x"}, ":he": {"S": "he"}, ":SS": {"S": "SS"}, ":one": {"N": "1.0"}}),
            ),
        );
        let c = parse_condition(expr, Kind::Condition, &mut ph)?;
        eval(&item(), &c, "ConditionExpression")
    }

    #[test]
    fn conditions() {
        assert!(check("n BETWEEN :5 AND :20").unwrap());
        assert!(check("n > :5 AND NOT (n > :20)").unwrap());
        assert!(check("contains(tags, :x) AND begins_with(s, :he)").unwrap());
        assert!(check("attribute_type(tags, :SS) AND attribute_exists(m.deep[1])").unwrap());
        assert!(check("m.deep[1] = :one AND size(s) = :5").unwrap());
        assert!(!check("attribute_exists(m.deep[2]) OR n IN (:5, :20)").unwrap());
        assert!(!check("s < :5").unwrap(), "different types never compare");
        assert!(
            check("n BETWEEN :20 AND :5")
                .unwrap_err()
                .contains("BETWEEN operator requires upper bound")
        );
    }

    #[test]
    fn projections() {
        let mut ph = Placeholders::default();
        let p = parse_projection("pk, m.deep[1], nope", &mut ph).unwrap();
        let out = project(&item(), &p);
        assert_eq!(
            Value::Object(out),
            json!({"pk": {"S": "a"}, "m": {"M": {"deep": {"L": [{"N": "1"}]}}}})
        );
    }
}
