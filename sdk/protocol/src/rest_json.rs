//! The rest-json protocol (Lambda, API Gateway, ...): REST bindings like
//! rest-xml with a JSON body. Provided for custom plugins; no built-in model
//! uses it yet.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Map, Value, json};

use crate::model::{Model, Operation, ShapeType};
use crate::rest::{decode_bindings, encode_bindings};
use crate::value::{check_required, is_streaming};
use crate::{AwsError, HttpRequest, HttpResponse, json as awsjson};

/// Decodes `op`'s input: bindings, then the JSON body (payload member or the
/// body members). Bad JSON is `SerializationException`.
pub fn decode_input(
    model: &Model,
    op: &Operation,
    req: &HttpRequest<'_>,
) -> Result<Value, AwsError> {
    let Some(shape) = model.input_shape(op) else {
        return Ok(json!({}));
    };
    let mut out = Map::new();
    decode_bindings(model, op, shape, req, &mut out)?;
    let has_body = !req.body.iter().all(|b| b.is_ascii_whitespace());
    let parse = || -> Result<Value, AwsError> {
        serde_json::from_slice(req.body).map_err(|e| AwsError::serialization(e.to_string()))
    };
    if let Some(payload) = &shape.payload {
        let m = shape.member_named(payload).expect("checked at model parse");
        let ms = model.shape_of(m);
        match ms.kind {
            _ if is_streaming(model, m) => {}
            ShapeType::Blob if !req.body.is_empty() => {
                out.insert(m.name.clone(), Value::String(B64.encode(req.body)));
            }
            ShapeType::String if !req.body.is_empty() => {
                out.insert(
                    m.name.clone(),
                    Value::String(String::from_utf8_lossy(req.body).into_owned()),
                );
            }
            _ if has_body => {
                let v = awsjson::read(model, ms, parse()?).map_err(AwsError::serialization)?;
                out.insert(m.name.clone(), v);
            }
            _ => {}
        }
    } else if has_body
        && let Value::Object(body) =
            awsjson::read(model, shape, parse()?).map_err(AwsError::serialization)?
    {
        for (k, v) in body {
            if shape.member_named(&k).is_some_and(|m| m.location.is_none()) {
                out.insert(k, v);
            }
        }
    }
    let value = Value::Object(out);
    check_required(model, shape, &value).map_err(|m| m.error(model, AwsError::validation))?;
    Ok(value)
}

/// Encodes `op`'s output: bindings, then the JSON body.
pub fn encode_output(
    model: &Model,
    op: &Operation,
    output: &Value,
    request_id: &str,
) -> HttpResponse {
    let mut resp = HttpResponse {
        status: op.http.response_code.unwrap_or(200),
        headers: vec![("x-amzn-RequestId".into(), request_id.into())],
        body: Vec::new(),
    };
    let Some(shape) = model.output_shape(op) else {
        return resp;
    };
    let empty = Map::new();
    let obj = output.as_object().unwrap_or(&empty);
    if let Some(s) = encode_bindings(model, shape, obj, &mut resp.headers) {
        resp.status = s;
    }
    let body = if let Some(payload) = &shape.payload {
        let m = shape.member_named(payload).expect("checked at model parse");
        let ms = model.shape_of(m);
        match (ms.kind, obj.get(&m.name)) {
            (_, None) => return resp,
            _ if is_streaming(model, m) => return resp,
            (ShapeType::Blob, Some(v)) => {
                resp.body = v
                    .as_str()
                    .and_then(|s| B64.decode(s).ok())
                    .unwrap_or_default();
                return resp;
            }
            (ShapeType::String, Some(v)) => {
                resp.body = v.as_str().unwrap_or_default().as_bytes().to_vec();
                return resp;
            }
            (_, Some(v)) => awsjson::write(model, ms, v),
        }
    } else {
        let mut body = Map::new();
        if let Value::Object(all) = awsjson::write(model, shape, output) {
            for m in shape.members.iter().filter(|m| m.location.is_none()) {
                let key = m.location_name.as_deref().unwrap_or(&m.name);
                if let Some(v) = all.get(key) {
                    body.insert(key.to_string(), v.clone());
                }
            }
        }
        Value::Object(body)
    };
    resp.headers
        .push(("Content-Type".into(), "application/json".into()));
    resp.body = serde_json::to_vec(&body).expect("JSON values serialize");
    resp
}

/// A rest-json error: `x-amzn-ErrorType: Code` and `{"message": ..}` (plus
/// `__type` and extra fields).
pub fn encode_error(error: &AwsError, request_id: &str) -> HttpResponse {
    let mut body = Map::new();
    body.insert("__type".into(), Value::String(error.code.clone()));
    body.insert("message".into(), Value::String(error.message.clone()));
    for (k, v) in &error.extra {
        body.insert(k.clone(), Value::String(v.clone()));
    }
    for (k, v) in error.members() {
        body.insert(k.clone(), v.clone());
    }
    HttpResponse {
        status: error.status,
        headers: vec![
            ("Content-Type".into(), "application/json".into()),
            ("x-amzn-RequestId".into(), request_id.into()),
            ("x-amzn-ErrorType".into(), error.code.clone()),
        ],
        body: serde_json::to_vec(&Value::Object(body)).expect("JSON values serialize"),
    }
}
