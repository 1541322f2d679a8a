//! rest-xml request decoding.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Map, Value};

use crate::model::{Model, Operation, ShapeType};
use crate::rest::decode_bindings;
use crate::value::{check_required, is_streaming};
use crate::xml_shape::{read_structure, read_value};
use crate::{AwsError, HttpRequest, xml};

/// Decodes `op`'s input from a path-style request: URI labels, query string,
/// headers (incl. `x-amz-meta-` prefix maps) and the XML body (a structure
/// payload member, or the body members of the input). A streaming blob
/// payload (PutObject / UploadPart body) is left out: the body is the
/// caller's. Malformed XML or a body that does not fit the shape is
/// `MalformedXML`; a missing required member is `MalformedXML` when it
/// belongs in the body, else `InvalidRequest`.
pub fn decode_input(
    model: &Model,
    op: &Operation,
    req: &HttpRequest<'_>,
) -> Result<Value, AwsError> {
    let Some(shape) = model.input_shape(op) else {
        return Ok(Value::Object(Map::new()));
    };
    let mut out = Map::new();
    decode_bindings(model, op, shape, req, &mut out)?;
    let has_body = !req.body.iter().all(|b| b.is_ascii_whitespace());
    if let Some(payload) = &shape.payload {
        let m = shape.member_named(payload).expect("checked at model parse");
        let ms = model.shape_of(m);
        match ms.kind {
            _ if is_streaming(model, m) => {}
            ShapeType::Blob if !req.body.is_empty() => {
                out.insert(m.name.clone(), Value::String(B64.encode(req.body)));
            }
            ShapeType::String if !req.body.is_empty() => {
                let s =
                    String::from_utf8(req.body.to_vec()).map_err(|_| AwsError::malformed_xml())?;
                out.insert(m.name.clone(), Value::String(s));
            }
            ShapeType::Structure | ShapeType::List | ShapeType::Map if has_body => {
                let root = xml::parse(req.body).map_err(|_| AwsError::malformed_xml())?;
                let v =
                    read_value(model, &m.target, &root).map_err(|_| AwsError::malformed_xml())?;
                out.insert(m.name.clone(), v);
            }
            _ => {}
        }
    } else if has_body && shape.members.iter().any(|m| m.location.is_none()) {
        let root = xml::parse(req.body).map_err(|_| AwsError::malformed_xml())?;
        let body =
            read_structure(model, shape, &root, true).map_err(|_| AwsError::malformed_xml())?;
        out.extend(body);
    }
    let value = Value::Object(out);
    if let Err(missing) = check_required(model, shape, &value) {
        let in_body = shape
            .member_named(&missing.member)
            .is_none_or(|m| m.location.is_none());
        return Err(if in_body {
            AwsError::malformed_xml()
        } else {
            AwsError::invalid_request(format!("Missing required parameter: {}", missing.member))
        });
    }
    Ok(value)
}
