//! The legacy (pre-expression) parameters — `Expected`, `AttributeUpdates`,
//! `KeyConditions`, `QueryFilter`, `ScanFilter` with `ConditionalOperator` —
//! translated into the same syntax trees the expression parser builds, so
//! one evaluator serves both.

use ruststack_sdk::protocol::shapes::dynamodb::{
    AttributeValue, AttributeValueUpdate, Condition, ExpectedAttributeValue,
};
use ruststack_sdk::protocol::typed::{List, Map};

use crate::attr;
use crate::expr::ast::{Action, CmpOp, Cond, Operand, Step};

fn arity_error(op: &str) -> String {
    format!(
        "One or more parameter values were invalid: Invalid number of argument(s) for the {op} ComparisonOperator"
    )
}

/// One `{ComparisonOperator, AttributeValueList}` condition on `name`.
fn condition(
    name: &str,
    op: Option<&str>,
    list: Option<List<'_, AttributeValue<'_>>>,
) -> Result<Cond, String> {
    let path = vec![Step::Attr(name.to_string())];
    let p = || Operand::Path(path.clone());
    let op = op.unwrap_or("");
    let mut vals = Vec::new();
    for v in list.map_or(&[][..], |l| l.values()) {
        vals.push(Operand::Value(attr::validate(v)?));
    }
    let want = match op {
        "NULL" | "NOT_NULL" => 0,
        "BETWEEN" => 2,
        "IN" => usize::MAX,
        _ => 1,
    };
    if (want == usize::MAX && vals.is_empty()) || (want != usize::MAX && vals.len() != want) {
        return Err(arity_error(op));
    }
    let one = || vals[0].clone();
    let cmp = |o| Cond::Cmp(p(), o, one());
    Ok(match op {
        "EQ" => cmp(CmpOp::Eq),
        "NE" => cmp(CmpOp::Ne),
        "LT" => cmp(CmpOp::Lt),
        "LE" => cmp(CmpOp::Le),
        "GT" => cmp(CmpOp::Gt),
        "GE" => cmp(CmpOp::Ge),
        "NULL" => Cond::NotExists(path),
        "NOT_NULL" => Cond::Exists(path),
        "CONTAINS" => Cond::Contains(p(), one()),
        "NOT_CONTAINS" => Cond::Not(Box::new(Cond::Contains(p(), one()))),
        "BEGINS_WITH" => Cond::BeginsWith(p(), one()),
        "IN" => Cond::In(p(), vals.clone()),
        "BETWEEN" => Cond::Between(p(), vals[0].clone(), vals[1].clone()),
        other => {
            return Err(format!(
                "1 validation error detected: Value '{other}' at 'comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: [IN, NULL, BETWEEN, LT, NOT_CONTAINS, EQ, GT, NOT_NULL, NE, LE, BEGINS_WITH, GE, CONTAINS]"
            ));
        }
    })
}

fn combine(conds: Vec<Cond>, operator: Option<&str>) -> Result<Option<Cond>, String> {
    let or = match operator {
        None | Some("AND") => false,
        Some("OR") => true,
        Some(o) => {
            return Err(format!(
                "1 validation error detected: Value '{o}' at 'conditionalOperator' failed to satisfy constraint: Member must satisfy enum value set: [OR, AND]"
            ));
        }
    };
    Ok(balanced(conds, or))
}

/// Joins conditions with AND (or OR) as a balanced tree, in order: a chain
/// of one node per condition was as deep as the request had conditions,
/// and evaluating or dropping a request's 200,000 overflowed the stack.
fn balanced(mut conds: Vec<Cond>, or: bool) -> Option<Cond> {
    if conds.len() <= 1 {
        return conds.pop();
    }
    let right = conds.split_off(conds.len() / 2);
    let (a, b) = (balanced(conds, or)?, balanced(right, or)?);
    Some(if or {
        Cond::Or(Box::new(a), Box::new(b))
    } else {
        Cond::And(Box::new(a), Box::new(b))
    })
}

/// `KeyConditions`, `QueryFilter` or `ScanFilter`.
pub fn conditions(
    map: Map<'_, Condition<'_>>,
    operator: Option<&str>,
) -> Result<Option<Cond>, String> {
    let mut out = Vec::new();
    for (name, spec) in map.values() {
        let spec = Condition(spec);
        out.push(condition(
            name,
            spec.comparison_operator(),
            spec.attribute_value_list(),
        )?);
    }
    combine(out, operator)
}

/// `Expected`: `{Exists, Value}` or `{ComparisonOperator, AttributeValueList}` per attribute.
pub fn expected(
    map: Map<'_, ExpectedAttributeValue<'_>>,
    operator: Option<&str>,
) -> Result<Option<Cond>, String> {
    let mut out = Vec::new();
    for (name, spec) in map.values() {
        let spec = ExpectedAttributeValue(spec);
        let path = vec![Step::Attr(name.clone())];
        if spec.comparison_operator().is_some() {
            if spec.value().is_some() {
                return Err("One or more parameter values were invalid: Value and ComparisonOperator cannot be used together".into());
            }
            out.push(condition(
                name,
                spec.comparison_operator(),
                spec.attribute_value_list(),
            )?);
            continue;
        }
        let exists = spec.exists().unwrap_or(true);
        match (exists, spec.value()) {
            (true, Some(v)) => out.push(Cond::Cmp(
                Operand::Path(path),
                CmpOp::Eq,
                Operand::Value(attr::validate(v.0)?),
            )),
            (false, None) => out.push(Cond::NotExists(path)),
            (true, None) => {
                return Err(
                    "One or more parameter values were invalid: Value must be provided when Exists is true for Attribute: "
                        .to_string()
                        + name,
                );
            }
            (false, Some(_)) => {
                return Err(
                    "One or more parameter values were invalid: Value cannot be used when Exists is false for Attribute: "
                        .to_string()
                        + name,
                );
            }
        }
    }
    combine(out, operator)
}

/// `AttributeUpdates`: PUT, ADD or DELETE per attribute.
pub fn attribute_updates(map: Map<'_, AttributeValueUpdate<'_>>) -> Result<Vec<Action>, String> {
    let mut out = Vec::new();
    for (name, spec) in map.values() {
        let spec = AttributeValueUpdate(spec);
        let path = vec![Step::Attr(name.clone())];
        let value = spec.value().map(|v| attr::validate(v.0)).transpose()?;
        out.push(match (spec.action().unwrap_or("PUT"), value) {
            ("PUT", Some(v)) => Action::Set(path, Operand::Value(v)),
            ("DELETE", None) => Action::Remove(path),
            ("DELETE", Some(v)) => Action::Delete(path, v),
            ("ADD", Some(v)) => Action::Add(path, v),
            (a, None) => {
                return Err(format!(
                    "One or more parameter values were invalid: Only DELETE action is allowed when no attribute value is specified; action: {a}"
                ));
            }
            (a, _) => {
                return Err(format!(
                    "1 validation error detected: Value '{a}' at 'attributeUpdates.{name}.member.action' failed to satisfy constraint: Member must satisfy enum value set: [ADD, PUT, DELETE]"
                ));
            }
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attr::Item;
    use crate::expr::eval::eval;
    use ruststack_sdk::protocol::typed::FromValue;
    use serde_json::json;

    /// A typed map over `v`, as the decoded input's accessors give one.
    fn map<'a, T: FromValue<'a>>(v: &'a serde_json::Value) -> Map<'a, T> {
        Map::from_value(v).expect("an object")
    }

    #[test]
    fn legacy_conditions_evaluate_like_expressions() {
        let item: Item =
            serde_json::from_value(json!({"a": {"N": "5"}, "s": {"S": "hello"}})).unwrap();
        let c = conditions(map(&json!({"a": {"ComparisonOperator": "BETWEEN", "AttributeValueList": [{"N": "1"}, {"N": "9"}]},
                    "s": {"ComparisonOperator": "BEGINS_WITH", "AttributeValueList": [{"S": "he"}]}})),
            None,
        )
        .unwrap()
        .unwrap();
        assert!(eval(&item, &c, "x").unwrap());
        let e = expected(
            map(&json!({"a": {"Value": {"N": "6"}}, "z": {"Exists": false}})),
            Some("OR"),
        )
        .unwrap()
        .unwrap();
        assert!(eval(&item, &e, "x").unwrap());
        let e = expected(
            map(&json!({"a": {"Value": {"N": "6"}}, "z": {"Exists": false}})),
            None,
        )
        .unwrap()
        .unwrap();
        assert!(!eval(&item, &e, "x").unwrap());
        assert!(
            conditions(map(&json!({"a": {"ComparisonOperator": "EQ"}})), None)
                .unwrap_err()
                .contains("Invalid number of argument")
        );
        assert_eq!(
            attribute_updates(map(&json!({"a": {"Action": "DELETE"}}))).unwrap(),
            vec![Action::Remove(vec![Step::Attr("a".into())])]
        );
    }

    #[test]
    fn many_conditions_nest_shallowly() {
        // Found by `just fuzz` (dynamodb-request-exprs, replayed large): an
        // Expected map of 200,000 entries overflowed the stack.
        let item: Item = serde_json::from_value(json!({"a5": {"S": "x"}})).unwrap();
        let many: serde_json::Map<String, serde_json::Value> = (0..200_000)
            .map(|i| (format!("a{i}"), json!({"ComparisonOperator": "NULL"})))
            .collect();
        let all = expected(map(&serde_json::Value::Object(many.clone())), None)
            .unwrap()
            .unwrap();
        assert!(!eval(&item, &all, "x").unwrap(), "a5 is not null");
        let any = expected(map(&serde_json::Value::Object(many)), Some("OR"))
            .unwrap()
            .unwrap();
        assert!(eval(&item, &any, "x").unwrap());
        // Order is kept: the first condition is the leftmost.
        let c = conditions(map(&json!({"a": {"ComparisonOperator": "NULL"}, "b": {"ComparisonOperator": "NULL"}, "c": {"ComparisonOperator": "NULL"}})),
            None,
        )
        .unwrap()
        .unwrap();
        let Cond::And(left, _) = c else {
            panic!("an AND")
        };
        assert_eq!(*left, Cond::NotExists(vec![Step::Attr("a".into())]));
    }
}
