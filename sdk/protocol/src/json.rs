//! The AWS JSON protocol (1.0 and 1.1): `POST /` with
//! `X-Amz-Target: <targetPrefix>.<Operation>` and a JSON body of the input
//! shape; the response body is the output shape as JSON.
//!
//! Bodies are checked against the shape (types, required members), nulls are
//! dropped, and timestamps normalised to epoch seconds; member names are the
//! model's, so the decoded value is the body itself.

use serde_json::{Map, Value, json};

use crate::model::{Model, Operation, Shape, ShapeType};
use crate::value::{check_required, timestamp_seconds};
use crate::{AwsError, HttpRequest, HttpResponse, time};

/// Content type of a JSON-protocol response for the model's `jsonVersion`.
pub fn content_type(model: Option<&Model>) -> String {
    let v = model
        .and_then(|m| m.metadata.json_version.as_deref())
        .unwrap_or("1.0");
    format!("application/x-amz-json-{v}")
}

/// Finds the operation named by `X-Amz-Target`; `UnknownOperationException`
/// when it is absent, has another prefix, or names no operation.
pub fn resolve_operation<'m>(
    model: &'m Model,
    req: &HttpRequest<'_>,
) -> Result<&'m Operation, AwsError> {
    let target = req
        .header("x-amz-target")
        .ok_or_else(AwsError::unknown_operation)?;
    let (prefix, name) = target
        .rsplit_once('.')
        .ok_or_else(AwsError::unknown_operation)?;
    if model
        .metadata
        .target_prefix
        .as_deref()
        .is_some_and(|p| p != prefix)
    {
        return Err(AwsError::unknown_operation());
    }
    model
        .operation(name)
        .ok_or_else(AwsError::unknown_operation)
}

/// Parses and checks the JSON body of `op`'s input. An empty body is `{}`.
/// Bad JSON or wrong member types give `SerializationException`; missing
/// required members give `ValidationException`.
pub fn decode_input(
    model: &Model,
    op: &Operation,
    req: &HttpRequest<'_>,
) -> Result<Value, AwsError> {
    let Some(shape) = model.input_shape(op) else {
        return Ok(json!({}));
    };
    let body = if req.body.iter().all(|b| b.is_ascii_whitespace()) {
        Value::Object(Map::new())
    } else {
        serde_json::from_slice(req.body).map_err(|e| AwsError::serialization(e.to_string()))?
    };
    let value = read(model, shape, body).map_err(AwsError::serialization)?;
    check_required(model, shape, &value).map_err(|m| AwsError::validation(m.message()))?;
    Ok(value)
}

/// Checks a JSON value against a shape, dropping nulls and unknown members
/// and normalising timestamps to epoch seconds.
pub fn read(model: &Model, shape: &Shape, v: Value) -> Result<Value, String> {
    let wrong = |what: &str| Err(format!("expected {what} for a {:?} shape", shape.kind));
    match shape.kind {
        ShapeType::Structure => {
            let Value::Object(obj) = v else {
                return wrong("an object");
            };
            let mut out = Map::new();
            for (k, v) in obj {
                if v.is_null() {
                    continue;
                }
                if let Some(m) = shape.member_named(&k) {
                    let val = read(model, model.shape_of(m), v).map_err(|e| format!("{k}: {e}"))?;
                    out.insert(k, val);
                }
            }
            Ok(Value::Object(out))
        }
        ShapeType::List => {
            let Value::Array(items) = v else {
                return wrong("an array");
            };
            let ms = model.shape_of(shape.member.as_ref().expect("list member"));
            items
                .into_iter()
                .map(|i| {
                    if i.is_null() {
                        Ok(Value::Null)
                    } else {
                        read(model, ms, i)
                    }
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array)
        }
        ShapeType::Map => {
            let Value::Object(obj) = v else {
                return wrong("an object");
            };
            let vs = model.shape_of(shape.value.as_ref().expect("map value"));
            let mut out = Map::new();
            for (k, v) in obj {
                if !v.is_null() {
                    out.insert(k, read(model, vs, v)?);
                }
            }
            Ok(Value::Object(out))
        }
        ShapeType::Boolean => match v {
            Value::Bool(_) => Ok(v),
            _ => wrong("a boolean"),
        },
        k if k.is_integer() => match &v {
            Value::Number(n) if n.is_i64() || n.is_u64() => Ok(v),
            _ => wrong("an integer"),
        },
        k if k.is_float() => match v {
            Value::Number(_) => Ok(v),
            _ => wrong("a number"),
        },
        ShapeType::Timestamp => match timestamp_seconds(&v) {
            Some(secs) => Ok(time::epoch_json(secs)),
            None => wrong("a timestamp"),
        },
        ShapeType::Document => Ok(v),
        _ => match v {
            Value::String(_) => Ok(v),
            _ => wrong("a string"),
        },
    }
}

/// Best-effort shaping of an output value: unknown members and nulls are
/// dropped, timestamps written as epoch seconds; values of the wrong type are
/// passed through unchanged (the plugin's responsibility).
pub fn write(model: &Model, shape: &Shape, v: &Value) -> Value {
    match (shape.kind, v) {
        (ShapeType::Structure, Value::Object(obj)) => {
            let mut out = Map::new();
            for m in &shape.members {
                if let Some(val) = obj.get(&m.name).filter(|v| !v.is_null()) {
                    // Query-compatible models (SQS) carry restored query wire
                    // names as locationName; JSON always uses the member name.
                    let name = match model.metadata.aws_query_compatible {
                        Some(_) => &m.name,
                        None => m.location_name.as_deref().unwrap_or(&m.name),
                    };
                    out.insert(name.to_string(), write(model, model.shape_of(m), val));
                }
            }
            Value::Object(out)
        }
        (ShapeType::List, Value::Array(items)) => {
            let ms = model.shape_of(shape.member.as_ref().expect("list member"));
            Value::Array(items.iter().map(|i| write(model, ms, i)).collect())
        }
        (ShapeType::Map, Value::Object(obj)) => {
            let vs = model.shape_of(shape.value.as_ref().expect("map value"));
            Value::Object(
                obj.iter()
                    .filter(|(_, v)| !v.is_null())
                    .map(|(k, v)| (k.clone(), write(model, vs, v)))
                    .collect(),
            )
        }
        (ShapeType::Timestamp, v) => timestamp_seconds(v)
            .map(time::epoch_json)
            .unwrap_or(v.clone()),
        (_, v) => v.clone(),
    }
}

/// A 200 response with the output shape as the JSON body.
pub fn encode_output(
    model: &Model,
    op: &Operation,
    output: &Value,
    request_id: &str,
) -> HttpResponse {
    let body = match model.output_shape(op) {
        Some(shape) => write(model, shape, output),
        None => json!({}),
    };
    HttpResponse {
        status: 200,
        headers: vec![
            ("Content-Type".into(), content_type(Some(model))),
            ("x-amzn-RequestId".into(), request_id.into()),
        ],
        body: serde_json::to_vec(&body).expect("JSON values serialize"),
    }
}

/// The `__type` of an error: `com.amazonaws.<service>#Code` with a model
/// (DynamoDB's own `com.amazonaws.dynamodb.v20120810#Code`), just the code
/// without one (SDKs take the part after `#` either way).
fn error_type(model: Option<&Model>, code: &str) -> String {
    match model {
        Some(m) if m.metadata.target_prefix.as_deref() == Some("DynamoDB_20120810") => {
            format!("com.amazonaws.dynamodb.v20120810#{code}")
        }
        Some(m) => format!("com.amazonaws.{}#{code}", m.service_name()),
        None => code.to_string(),
    }
}

/// A JSON-protocol error: `{"__type": ..., "message": ...}` plus extra fields,
/// `x-amzn-RequestId`, and `x-amzn-query-error: <QueryCode>;Sender|Receiver`
/// when the error has a legacy query code (query-compatible services, SQS).
pub fn encode_error(model: Option<&Model>, error: &AwsError, request_id: &str) -> HttpResponse {
    let mut body = Map::new();
    body.insert(
        "__type".into(),
        Value::String(error_type(model, &error.code)),
    );
    body.insert("message".into(), Value::String(error.message.clone()));
    for (k, v) in &error.extra {
        body.insert(k.clone(), Value::String(v.clone()));
    }
    let mut headers = vec![
        ("Content-Type".into(), content_type(model)),
        ("x-amzn-RequestId".into(), request_id.into()),
    ];
    let query_compatible = model.is_some_and(|m| m.metadata.aws_query_compatible.is_some());
    if error.query_code.is_some() || query_compatible {
        let fault = if error.sender_fault {
            "Sender"
        } else {
            "Receiver"
        };
        headers.push((
            "x-amzn-query-error".into(),
            format!("{};{fault}", error.query_error_code()),
        ));
    }
    HttpResponse {
        status: error.status,
        headers,
        body: serde_json::to_vec(&Value::Object(body)).expect("JSON values serialize"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Protocol, decode_request, encode_output, models};

    fn req<'a>(
        target: &str,
        body: &'a [u8],
        headers: &'a mut Vec<(String, String)>,
    ) -> HttpRequest<'a> {
        headers.push(("x-amz-target".into(), target.into()));
        headers.push(("content-type".into(), "application/x-amz-json-1.0".into()));
        HttpRequest {
            method: "POST",
            path: "/",
            query: "",
            headers,
            body,
        }
    }

    #[test]
    fn dynamodb_put_item_passes_through() {
        let body = br#"{"TableName":"users","Item":{"pk":{"S":"u1"},"n":{"N":"12"},"tags":{"SS":["a","b"]},"nested":{"M":{"x":{"BOOL":true},"nul":{"NULL":true}}}},"ReturnValues":"ALL_OLD","Unknown":1}"#;
        let mut h = vec![];
        let r = req("DynamoDB_20120810.PutItem", body, &mut h);
        let (op, input) = decode_request(models::dynamodb(), &r, None).unwrap();
        assert_eq!(op.name, "PutItem");
        assert_eq!(
            input,
            json!({"TableName":"users","Item":{"pk":{"S":"u1"},"n":{"N":"12"},"tags":{"SS":["a","b"]},"nested":{"M":{"x":{"BOOL":true},"nul":{"NULL":true}}}},"ReturnValues":"ALL_OLD"})
        );
    }

    #[test]
    fn dynamodb_errors() {
        let m = models::dynamodb();
        let mut h = vec![];
        let r = req("DynamoDB_20120810.PutItem", b"{not json", &mut h);
        let err = decode_request(m, &r, None).unwrap_err();
        assert_eq!(err.code, "SerializationException");

        let mut h = vec![];
        let r = req(
            "DynamoDB_20120810.PutItem",
            br#"{"TableName":5,"Item":{}}"#,
            &mut h,
        );
        assert_eq!(
            decode_request(m, &r, None).unwrap_err().code,
            "SerializationException"
        );

        let mut h = vec![];
        let r = req("DynamoDB_20120810.PutItem", br#"{"Item":{}}"#, &mut h);
        let err = decode_request(m, &r, None).unwrap_err();
        assert_eq!(err.code, "ValidationException");
        assert!(err.message.contains("'tableName'"), "{}", err.message);

        let mut h = vec![];
        let r = req("DynamoDB_20120810.Nope", b"{}", &mut h);
        assert_eq!(
            decode_request(m, &r, None).unwrap_err().code,
            "UnknownOperationException"
        );
        let mut h = vec![];
        let r = req("AmazonSQS.ListQueues", b"{}", &mut h);
        assert_eq!(
            decode_request(m, &r, None).unwrap_err().code,
            "UnknownOperationException"
        );
    }

    #[test]
    fn describe_table_output_timestamps_are_epoch() {
        let m = models::dynamodb();
        let op = m.operation("DescribeTable").unwrap();
        let out = json!({"Table": {"TableName": "t", "CreationDateTime": "2015-10-21T07:28:00Z", "ItemCount": 3, "Junk": 1}});
        let resp = encode_output(m, op, &out, "rid");
        assert_eq!(resp.status, 200);
        assert_eq!(
            resp.header("content-type"),
            Some("application/x-amz-json-1.0")
        );
        assert_eq!(resp.header("x-amzn-requestid"), Some("rid"));
        let body: Value = serde_json::from_slice(&resp.body).unwrap();
        assert_eq!(
            body,
            json!({"Table": {"TableName": "t", "CreationDateTime": 1_445_412_480, "ItemCount": 3}})
        );
    }

    #[test]
    fn sqs_send_message_json() {
        let body = br#"{"QueueUrl":"http://localhost:4566/000000000000/q","MessageBody":"hi","DelaySeconds":5,"MessageAttributes":{"a":{"DataType":"String","StringValue":"v"}}}"#;
        let mut h = vec![];
        let r = req("AmazonSQS.SendMessage", body, &mut h);
        let (op, input) = decode_request(models::sqs(), &r, None).unwrap();
        assert_eq!(op.name, "SendMessage");
        assert_eq!(input["DelaySeconds"], json!(5));
        assert_eq!(input["MessageAttributes"]["a"]["StringValue"], json!("v"));
        let resp = encode_output(
            models::sqs(),
            op,
            &json!({"MessageId": "m1", "MD5OfMessageBody": "x"}),
            "rid",
        );
        assert_eq!(
            serde_json::from_slice::<Value>(&resp.body).unwrap(),
            json!({"MessageId": "m1", "MD5OfMessageBody": "x"})
        );
        // Members whose query name was restored keep their JSON name.
        let op = models::sqs().operation("GetQueueAttributes").unwrap();
        let resp = encode_output(
            models::sqs(),
            op,
            &json!({"Attributes": {"VisibilityTimeout": "30"}}),
            "rid",
        );
        assert_eq!(
            serde_json::from_slice::<Value>(&resp.body).unwrap(),
            json!({"Attributes": {"VisibilityTimeout": "30"}})
        );
    }

    #[test]
    fn errors() {
        let e = AwsError::client("ResourceNotFoundException", "Requested resource not found");
        let resp = crate::error_response(Protocol::Json, &e, "rid");
        assert_eq!(resp.status, 400);
        assert_eq!(
            serde_json::from_slice::<Value>(&resp.body).unwrap(),
            json!({"__type": "ResourceNotFoundException", "message": "Requested resource not found"})
        );
        assert_eq!(resp.header("x-amzn-query-error"), None);

        let resp = crate::Codec::new(models::dynamodb()).encode_error(&e, "rid");
        let body: Value = serde_json::from_slice(&resp.body).unwrap();
        assert_eq!(
            body["__type"],
            "com.amazonaws.dynamodb.v20120810#ResourceNotFoundException"
        );

        let e = AwsError::client("QueueDoesNotExist", "The specified queue does not exist.")
            .with_query_code("AWS.SimpleQueueService.NonExistentQueue");
        let resp = crate::Codec::new(models::sqs()).encode_error(&e, "rid");
        let body: Value = serde_json::from_slice(&resp.body).unwrap();
        assert_eq!(body["__type"], "com.amazonaws.sqs#QueueDoesNotExist");
        assert_eq!(
            resp.header("x-amzn-query-error"),
            Some("AWS.SimpleQueueService.NonExistentQueue;Sender")
        );
    }
}
