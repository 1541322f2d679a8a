//! The AWS JSON protocol (1.0 and 1.1): `POST /` with
//! `X-Amz-Target: <targetPrefix>.<Operation>` and a JSON body of the input
//! shape; the response body is the output shape as JSON.
//!
//! Bodies are checked against the shape (types, required members), nulls are
//! dropped, and timestamps normalised to epoch seconds; member names are the
//! model's, so the decoded value is the body itself.

use serde_json::{Map, Value, json};

use crate::model::{Member, Model, Operation, Shape, ShapeType};
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
        .ok_or_else(|| AwsError::unknown_operation(None))?;
    let unknown = || AwsError::unknown_operation(Some(target));
    let (prefix, name) = target.rsplit_once('.').ok_or_else(unknown)?;
    if model
        .metadata
        .target_prefix
        .as_deref()
        .is_some_and(|p| p != prefix)
    {
        return Err(unknown());
    }
    model.operation(name).ok_or_else(unknown)
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
    check_required(model, shape, &value).map_err(|m| m.error(model, AwsError::validation))?;
    Ok(value)
}

/// Checks a JSON value against a shape, dropping nulls and unknown members
/// and normalising timestamps to epoch seconds.
pub fn read(model: &Model, shape: &Shape, mut v: Value) -> Result<Value, String> {
    read_in_place(model, shape, &mut v).map_err(|e| match e {
        ReadError::Shape(m) | ReadError::Value(m) => m,
    })?;
    Ok(v)
}

/// Why a value does not fit its shape.
enum ReadError {
    /// The JSON type is wrong: said with the member path that leads to it.
    Shape(String),
    /// The value cannot be read (a blob that is not base64): said in AWS's
    /// own words, which name the value rather than the member.
    Value(String),
}

/// Checks that a blob's text is standard base64, as AWS's JSON services
/// decode it: a payload that is not is refused, never stored as empty bytes.
fn check_base64(text: &str) -> Result<(), ReadError> {
    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    if !text.len().is_multiple_of(4) {
        return Err(ReadError::Value(format!(
            "Base64 encoded length is expected a multiple of 4 bytes but found: {}",
            text.len()
        )));
    }
    match STANDARD.decode(text) {
        Ok(_) => Ok(()),
        Err(base64::DecodeError::InvalidByte(_, b)) if b != b'=' => Err(ReadError::Value(format!(
            "Invalid Base64 character: '{}'",
            char::from(b)
        ))),
        Err(_) => Err(ReadError::Value(
            "Invalid last non-pad Base64 character dectected".into(),
        )),
    }
}

/// [`read`] on the value where it lies: a request's tree is checked and
/// trimmed without being rebuilt node by node.
fn read_in_place(model: &Model, shape: &Shape, v: &mut Value) -> Result<(), ReadError> {
    let wrong = |what: &str| match (&*v, java_type(shape.kind)) {
        // AWS's JSON framework names the token and the Java type it wanted,
        // always with "an" (recorded from SQS: `STRING_VALUE can not be
        // converted to an Integer`).
        (Value::String(_), Some(java)) => Err(ReadError::Value(format!(
            "STRING_VALUE can not be converted to an {java}"
        ))),
        _ => Err(ReadError::Shape(format!(
            "expected {what} for a {:?} shape",
            shape.kind
        ))),
    };
    match shape.kind {
        ShapeType::Structure => {
            let Value::Object(obj) = v else {
                return wrong("an object");
            };
            obj.retain(|k, v| !v.is_null() && shape.member_named(k).is_some());
            for (k, val) in obj.iter_mut() {
                let m = shape.member_named(k).expect("kept above");
                read_in_place(model, model.shape_of(m), val).map_err(|e| match e {
                    ReadError::Shape(m) => ReadError::Shape(format!("{k}: {m}")),
                    value => value,
                })?;
            }
            Ok(())
        }
        ShapeType::List => {
            let Value::Array(items) = v else {
                return wrong("an array");
            };
            let ms = model.shape_of(shape.member.as_ref().expect("list member"));
            for i in items.iter_mut().filter(|i| !i.is_null()) {
                read_in_place(model, ms, i)?;
            }
            Ok(())
        }
        ShapeType::Map => {
            let Value::Object(obj) = v else {
                return wrong("an object");
            };
            let vs = model.shape_of(shape.value.as_ref().expect("map value"));
            obj.retain(|_, v| !v.is_null());
            for val in obj.values_mut() {
                read_in_place(model, vs, val)?;
            }
            Ok(())
        }
        ShapeType::Boolean => match v {
            Value::Bool(_) => Ok(()),
            _ => wrong("a boolean"),
        },
        k if k.is_integer() => match &v {
            Value::Number(n) if n.is_i64() || n.is_u64() => Ok(()),
            _ => wrong("an integer"),
        },
        k if k.is_float() => match v {
            Value::Number(_) => Ok(()),
            _ => wrong("a number"),
        },
        ShapeType::Timestamp => match timestamp_seconds(v) {
            Some(secs) => {
                *v = time::epoch_json(secs);
                Ok(())
            }
            None => wrong("a timestamp"),
        },
        ShapeType::Document => Ok(()),
        ShapeType::Blob => match v {
            Value::String(text) => check_base64(text),
            _ => wrong("a string"),
        },
        _ => match v {
            Value::String(_) => Ok(()),
            _ => wrong("a string"),
        },
    }
}

/// The Java type AWS's JSON framework reads a number or boolean shape as,
/// for its type-mismatch message.
fn java_type(kind: ShapeType) -> Option<&'static str> {
    Some(match kind {
        ShapeType::Integer | ShapeType::Short | ShapeType::Byte => "Integer",
        ShapeType::Long => "Long",
        ShapeType::Boolean => "Boolean",
        ShapeType::Float => "Float",
        ShapeType::Double => "Double",
        _ => return None,
    })
}

/// A member's name in output JSON. Query-compatible models (SQS) carry
/// restored query wire names as locationName; JSON always uses the member
/// name there.
fn output_name<'m>(model: &Model, m: &'m Member) -> &'m str {
    match model.metadata.aws_query_compatible {
        Some(_) => &m.name,
        None => m.location_name.as_deref().unwrap_or(&m.name),
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
                    let name = output_name(model, m);
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

/// The JSON text of [`write`]'s value, written as the value is walked
/// instead of building the shaped tree first (a response's largest cost was
/// copying its output, an item or a page of them, node by node).
pub fn write_to(model: &Model, shape: &Shape, v: &Value, out: &mut Vec<u8>) {
    let text = |out: &mut Vec<u8>, v: &Value| {
        serde_json::to_writer(&mut *out, v).expect("JSON values serialize")
    };
    let key = |out: &mut Vec<u8>, k: &str| {
        serde_json::to_writer(&mut *out, k).expect("strings serialize");
        out.push(b':');
    };
    match (shape.kind, v) {
        (ShapeType::Structure, Value::Object(obj)) => {
            let mut fields: Vec<(&str, &Member, &Value)> = shape
                .members
                .iter()
                .filter_map(|m| {
                    let val = obj.get(&m.name).filter(|v| !v.is_null())?;
                    Some((output_name(model, m), m, val))
                })
                .collect();
            // The order `write`'s map has.
            fields.sort_by(|a, b| a.0.cmp(b.0));
            out.push(b'{');
            for (i, (name, m, val)) in fields.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                key(out, name);
                write_to(model, model.shape_of(m), val, out);
            }
            out.push(b'}');
        }
        (ShapeType::List, Value::Array(items)) => {
            let ms = model.shape_of(shape.member.as_ref().expect("list member"));
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_to(model, ms, item, out);
            }
            out.push(b']');
        }
        (ShapeType::Map, Value::Object(obj)) => {
            let vs = model.shape_of(shape.value.as_ref().expect("map value"));
            out.push(b'{');
            for (i, (k, val)) in obj.iter().filter(|(_, v)| !v.is_null()).enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                key(out, k);
                write_to(model, vs, val, out);
            }
            out.push(b'}');
        }
        (ShapeType::Timestamp, v) => match timestamp_seconds(v) {
            Some(secs) => text(out, &time::epoch_json(secs)),
            None => text(out, v),
        },
        (_, v) => text(out, v),
    }
}

/// A 200 response with the output shape as the JSON body.
pub fn encode_output(
    model: &Model,
    op: &Operation,
    output: &Value,
    request_id: &str,
) -> HttpResponse {
    let mut body = Vec::new();
    match model.output_shape(op) {
        Some(shape) => write_to(model, shape, output, &mut body),
        None => body.extend_from_slice(b"{}"),
    }
    HttpResponse {
        status: 200,
        headers: vec![
            ("Content-Type".into(), content_type(Some(model))),
            ("x-amzn-RequestId".into(), request_id.into()),
        ],
        body,
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
    for (k, v) in error.members() {
        body.insert(k.clone(), v.clone());
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
    fn blobs_that_are_not_base64_are_refused_in_aws_words() {
        let m = models::dynamodb();
        let put = |b: &str| {
            let body =
                format!(r#"{{"TableName":"t","Item":{{"pk":{{"S":"a"}},"x":{{"B":"{b}"}}}}}}"#);
            let mut h = vec![];
            let r = req("DynamoDB_20120810.PutItem", body.as_bytes(), &mut h);
            decode_request(m, &r, None).map(|_| ())
        };
        let err = put("!!!").unwrap_err();
        assert_eq!(err.code, "SerializationException");
        assert_eq!(
            err.message,
            "Base64 encoded length is expected a multiple of 4 bytes but found: 3"
        );
        assert_eq!(
            put("!!!!").unwrap_err().message,
            "Invalid Base64 character: '!'"
        );
        assert_eq!(put("AB==").unwrap_err().code, "SerializationException");
        assert!(put("aGk=").is_ok());
        assert!(put("").is_ok());
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
    fn a_string_for_a_number_is_worded_as_aws_json_services_do() {
        let mut h = vec![];
        let body = br#"{"QueueUrl":"u","VisibilityTimeout":"abc"}"#;
        let r = req("AmazonSQS.ReceiveMessage", body, &mut h);
        let err = decode_request(models::sqs(), &r, None).unwrap_err();
        assert_eq!(err.code, "SerializationException");
        assert_eq!(
            err.message,
            "STRING_VALUE can not be converted to an Integer"
        );
        // Other mismatches keep naming the member.
        let mut h = vec![];
        let body = br#"{"QueueUrl":"u","VisibilityTimeout":[1]}"#;
        let r = req("AmazonSQS.ReceiveMessage", body, &mut h);
        let err = decode_request(models::sqs(), &r, None).unwrap_err();
        assert!(
            err.message.starts_with("VisibilityTimeout: "),
            "{}",
            err.message
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

        let e = AwsError::client(
            "ConditionalCheckFailedException",
            "The conditional request failed",
        )
        .with_member("Item", json!({"pk": {"S": "a"}}));
        let resp = crate::Codec::new(models::dynamodb()).encode_error(&e, "rid");
        let body: Value = serde_json::from_slice(&resp.body).unwrap();
        assert_eq!(body["Item"], json!({"pk": {"S": "a"}}));

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

#[cfg(test)]
mod write_tests {
    use super::*;

    /// `write_to` writes exactly the text of `write`'s value, for every
    /// output shape of DynamoDB and SQS given a value with every member set.
    #[test]
    fn write_to_matches_write() {
        let item = json!({"pk": {"S": "a\"b"}, "n": {"N": "1.5"}, "l": {"L": [{"M": {"x": {"NULL": true}}}, null]}, "b": {"B": "AAE="}});
        for model in [crate::models::dynamodb(), crate::models::sqs()] {
            for op in model.operations.values() {
                let Some(shape) = model.output_shape(op) else {
                    continue;
                };
                let mut v = Map::new();
                for m in &shape.members {
                    let ms = model.shape_of(m);
                    let val = match ms.kind {
                        ShapeType::Structure | ShapeType::Map => {
                            json!({"Item": item, "k": item["pk"], "z": null})
                        }
                        ShapeType::List => json!([item, null, "s", 3]),
                        ShapeType::Timestamp => json!(1700000000.25),
                        ShapeType::Boolean => json!(true),
                        k if k.is_integer() || k.is_float() => json!(42),
                        _ => json!("text \u{e9}\n"),
                    };
                    v.insert(m.name.clone(), val);
                }
                v.insert("NotAMember".into(), json!(1));
                let v = Value::Object(v);
                let mut text = Vec::new();
                write_to(model, shape, &v, &mut text);
                let expected = serde_json::to_vec(&write(model, shape, &v)).unwrap();
                assert_eq!(
                    String::from_utf8(text).unwrap(),
                    String::from_utf8(expected).unwrap(),
                    "{}",
                    op.name
                );
            }
        }
    }
}
