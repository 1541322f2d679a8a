//! Conversions between wire text and decoded values for scalar shapes, and
//! the checks every protocol shares (required members).
//!
//! Conventions of decoded values (what plugins see and give back):
//! - structures are JSON objects keyed by model member names;
//! - integers and floats are JSON numbers, booleans are JSON booleans;
//! - timestamps are epoch seconds (a JSON number; fraction only when needed);
//!   on output a string in any format [`crate::time::parse_timestamp`] reads
//!   is accepted too;
//! - blobs are base64 strings (streaming blob payloads are left out: the body
//!   is the caller's);
//! - absent members are absent (`null` is treated as absent).

use serde_json::{Map, Value};

use crate::AwsError;
use crate::model::{Member, Model, Shape, ShapeType};
use crate::time;

/// Converts the wire text of a scalar to its decoded value; `Err` says why
/// the text does not fit the shape.
pub fn scalar_from_text(shape: &Shape, text: &str) -> Result<Value, String> {
    match shape.kind {
        k if k.is_integer() => text
            .trim()
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| format!("'{text}' is not an integer")),
        k if k.is_float() => {
            let v: f64 = text
                .trim()
                .parse()
                .map_err(|_| format!("'{text}' is not a number"))?;
            serde_json::Number::from_f64(v)
                .map(Value::Number)
                .ok_or_else(|| format!("'{text}' is not a finite number"))
        }
        ShapeType::Boolean => match text.trim() {
            t if t.eq_ignore_ascii_case("true") => Ok(Value::Bool(true)),
            t if t.eq_ignore_ascii_case("false") => Ok(Value::Bool(false)),
            _ => Err(format!("'{text}' is not a boolean")),
        },
        ShapeType::Timestamp => time::parse_timestamp(text)
            .map(time::epoch_json)
            .ok_or_else(|| format!("'{text}' is not a timestamp")),
        ShapeType::Structure | ShapeType::List | ShapeType::Map => {
            Err("expected a scalar".to_string())
        }
        _ => Ok(Value::String(text.to_string())),
    }
}

/// Timestamp wire formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimestampFormat {
    /// `2015-10-21T07:28:00.000Z`
    Iso8601,
    /// `Wed, 21 Oct 2015 07:28:00 GMT`
    Rfc822,
    /// `1445412480`
    Epoch,
}

impl TimestampFormat {
    /// The format a member uses: its own or its shape's `timestampFormat`,
    /// else the location's default.
    pub fn resolve(member_fmt: Option<&str>, shape: &Shape, default: TimestampFormat) -> Self {
        match member_fmt.or(shape.timestamp_format.as_deref()) {
            Some("iso8601") => TimestampFormat::Iso8601,
            Some("rfc822") => TimestampFormat::Rfc822,
            Some("unixTimestamp") => TimestampFormat::Epoch,
            _ => default,
        }
    }
}

/// Reads a decoded timestamp value (epoch number or timestamp text).
pub fn timestamp_seconds(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => time::parse_timestamp(s),
        _ => None,
    }
}

/// Writes a scalar value as wire text (XML, query, headers). `None` for values
/// that are not scalars.
pub fn scalar_to_text(shape: &Shape, v: &Value, ts: TimestampFormat) -> Option<String> {
    if shape.kind == ShapeType::Timestamp
        && let Some(secs) = timestamp_seconds(v)
    {
        return Some(match ts {
            TimestampFormat::Iso8601 => time::format_iso8601(secs),
            TimestampFormat::Rfc822 => time::format_rfc822(secs),
            TimestampFormat::Epoch => time::epoch_json(secs).to_string(),
        });
    }
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Lower-cases the first letter, as AWS's validation messages name members.
fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// Checks that every required member is present, recursively through
/// structures, lists and maps. Returns the path of the first missing member
/// (e.g. `createBucketConfiguration.locationConstraint`; list elements and
/// map values as `<n>.member` and `<key>.member`, e.g.
/// `messageAttributes.attr1.member.dataType`) in AWS's message
/// style: `Value null at 'tableName' failed to satisfy constraint: Member must
/// not be null`.
pub fn check_required(model: &Model, shape: &Shape, v: &Value) -> Result<(), MissingMember> {
    check(model, shape, v, "")
}

/// A required member that is absent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingMember {
    /// The member's name in the model.
    pub member: String,
    /// Dotted path, lower-camel, as AWS writes it.
    pub path: String,
}

impl MissingMember {
    /// The error a JSON or query service answers for it: a query-compatible
    /// service (SQS, on either protocol) `MissingParameter` "The request
    /// must contain the parameter X.", any other `validation(message)`.
    pub fn error(&self, model: &Model, validation: fn(String) -> AwsError) -> AwsError {
        let e = if model.metadata.aws_query_compatible.is_some() {
            AwsError::missing_parameter(format!(
                "The request must contain the parameter {}.",
                self.member
            ))
        } else {
            validation(self.message())
        };
        e.with_missing_member(self.member.clone())
    }

    /// AWS's validation message for it.
    pub fn message(&self) -> String {
        format!(
            "1 validation error detected: Value null at '{}' failed to satisfy constraint: Member must not be null",
            self.path
        )
    }
}

fn check(model: &Model, shape: &Shape, v: &Value, path: &str) -> Result<(), MissingMember> {
    match (shape.kind, v) {
        (ShapeType::Structure, Value::Object(obj)) => {
            for m in &shape.members {
                // Built only when needed: most members are present scalars.
                let here = || {
                    if path.is_empty() {
                        lower_first(&m.name)
                    } else {
                        format!("{path}.{}", lower_first(&m.name))
                    }
                };
                match obj.get(&m.name) {
                    None | Some(Value::Null) => {
                        if shape.required.contains(&m.name) && !is_streaming(model, m) {
                            return Err(MissingMember {
                                member: m.name.clone(),
                                path: here(),
                            });
                        }
                    }
                    Some(child) => {
                        let ms = model.shape_of(m);
                        if matches!(
                            ms.kind,
                            ShapeType::Structure | ShapeType::List | ShapeType::Map
                        ) {
                            check(model, ms, child, &here())?;
                        }
                    }
                }
            }
            Ok(())
        }
        (ShapeType::List, Value::Array(items)) => {
            let Some(member) = &shape.member else {
                return Ok(());
            };
            let ms = model.shape_of(member);
            for (i, item) in items.iter().enumerate() {
                check(model, ms, item, &format!("{path}.{}.member", i + 1))?;
            }
            Ok(())
        }
        (ShapeType::Map, Value::Object(obj)) => {
            let Some(value) = &shape.value else {
                return Ok(());
            };
            let vs = model.shape_of(value);
            for (k, item) in obj {
                check(model, vs, item, &format!("{path}.{k}.member"))?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Whether a member is a streaming blob (its data is the raw body, which the
/// codec leaves to the caller).
pub fn is_streaming(model: &Model, m: &Member) -> bool {
    m.streaming || model.shape_of(m).streaming
}

/// Removes `null` members of an object, recursively, so that "absent" has one
/// representation.
pub fn drop_nulls(v: Value) -> Value {
    match v {
        Value::Object(obj) => Value::Object(
            obj.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, drop_nulls(v)))
                .collect::<Map<_, _>>(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(drop_nulls).collect()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models;
    use serde_json::json;

    #[test]
    fn scalars() {
        let m = models::s3();
        let int = m.shape("MaxKeys");
        assert_eq!(scalar_from_text(int, "12"), Ok(json!(12)));
        assert!(scalar_from_text(int, "x").is_err());
        let b = m.shape("FetchOwner");
        assert_eq!(scalar_from_text(b, "true"), Ok(json!(true)));
        let ts = m.shape("LastModified");
        assert_eq!(
            scalar_from_text(ts, "2015-10-21T07:28:00.000Z"),
            Ok(json!(1_445_412_480))
        );
        assert_eq!(
            scalar_to_text(ts, &json!(1_445_412_480), TimestampFormat::Rfc822).unwrap(),
            "Wed, 21 Oct 2015 07:28:00 GMT"
        );
        assert_eq!(
            scalar_to_text(ts, &json!("2015-10-21T07:28:00Z"), TimestampFormat::Epoch).unwrap(),
            "1445412480"
        );
    }

    #[test]
    fn required_paths() {
        let m = models::dynamodb();
        let put = m.shape("PutItemInput");
        let err = check_required(m, put, &json!({"Item": {}})).unwrap_err();
        assert_eq!(err.path, "tableName");
        assert!(check_required(m, put, &json!({"TableName": "t", "Item": {}})).is_ok());
        let q = m.shape("QueryInput");
        let err = check_required(
            m,
            q,
            &json!({"TableName": "t", "KeyConditions": {"pk": {"AttributeValueList": []}}}),
        )
        .unwrap_err();
        assert_eq!(err.path, "keyConditions.pk.member.comparisonOperator");
    }
}
