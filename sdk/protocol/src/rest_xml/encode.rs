//! rest-xml response encoding.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Map, Value};

use crate::model::{Model, Operation, ShapeType};
use crate::rest::encode_bindings;
use crate::value::is_streaming;
use crate::xml::XmlWriter;
use crate::xml_shape::{write_members, write_value};
use crate::{AwsError, HttpResponse};

/// Encodes `op`'s output: status (`statusCode` member, else the model's
/// `responseCode`, else 200), header members (timestamps as RFC 822), and the
/// body: the payload member (XML for structures, raw text for strings,
/// base64-decoded for blobs, nothing for streaming blobs: the caller sets the
/// body) or the output structure under its XML root name (e.g.
/// `ListAllMyBucketsResult`) with the service namespace.
pub fn encode_output(
    model: &Model,
    op: &Operation,
    output: &Value,
    request_id: &str,
) -> HttpResponse {
    let mut resp = HttpResponse {
        status: op.http.response_code.unwrap_or(200),
        headers: vec![("x-amz-request-id".into(), request_id.into())],
        body: Vec::new(),
    };
    let (Some(out_ref), Some(shape)) = (&op.output, model.output_shape(op)) else {
        return resp;
    };
    let empty = Map::new();
    let obj = output.as_object().unwrap_or(&empty);
    if let Some(status) = encode_bindings(model, shape, obj, &mut resp.headers) {
        resp.status = status;
    }
    let ns = model.metadata.xml_namespace.clone();
    let root_attrs: Vec<(String, String)> = ns
        .iter()
        .map(|n| ("xmlns".to_string(), n.clone()))
        .collect();
    if let Some(payload) = &shape.payload {
        let m = shape.member_named(payload).expect("checked at model parse");
        let ms = model.shape_of(m);
        let Some(v) = obj.get(&m.name).filter(|v| !v.is_null()) else {
            return resp;
        };
        match ms.kind {
            _ if is_streaming(model, m) => {}
            ShapeType::Blob => {
                resp.body = v
                    .as_str()
                    .and_then(|s| B64.decode(s).ok())
                    .unwrap_or_default();
            }
            ShapeType::String => resp.body = v.as_str().unwrap_or_default().as_bytes().to_vec(),
            _ => {
                let name = m
                    .location_name
                    .as_deref()
                    .or(ms.location_name.as_deref())
                    .unwrap_or(&m.name);
                let mut w = XmlWriter::with_declaration();
                let attrs = if m.xml_namespace.is_some() || ms.xml_namespace.is_some() {
                    Vec::new()
                } else {
                    root_attrs
                };
                write_value(&mut w, model, &m.target, name, v, &attrs);
                set_xml(&mut resp, w);
            }
        }
        return resp;
    }
    if !shape.members.iter().any(|m| m.location.is_none()) {
        return resp;
    }
    let root = ms_root(
        out_ref.location_name.as_deref(),
        shape.location_name.as_deref(),
        &out_ref.shape,
    );
    let attrs: Vec<(&str, &str)> = root_attrs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let mut w = XmlWriter::with_declaration();
    // GetBucketLocation: the root element is the only member's value.
    if shape.members.len() == 1 && shape.members[0].wire_name() == root {
        let text = obj
            .get(&shape.members[0].name)
            .and_then(Value::as_str)
            .unwrap_or("");
        w.start(root, &attrs).text(text).end(root);
    } else {
        w.start(root, &attrs);
        write_members(&mut w, model, shape, obj);
        w.end(root);
    }
    set_xml(&mut resp, w);
    resp
}

fn ms_root<'a>(
    op_loc: Option<&'a str>,
    shape_loc: Option<&'a str>,
    shape_name: &'a str,
) -> &'a str {
    op_loc.or(shape_loc).unwrap_or(shape_name)
}

fn set_xml(resp: &mut HttpResponse, w: XmlWriter) {
    resp.headers
        .push(("Content-Type".into(), "application/xml".into()));
    resp.body = w.finish().into_bytes();
}

/// An S3-style error: `<Error><Code/><Message/>..extra..<RequestId/>
/// <HostId/></Error>` with `x-amz-request-id` / `x-amz-id-2` headers. (For
/// HEAD requests the caller drops the body.)
pub fn encode_error(error: &AwsError, request_id: &str) -> HttpResponse {
    let mut w = XmlWriter::with_declaration();
    w.start("Error", &[])
        .element("Code", &error.code)
        .element("Message", &error.message);
    for (k, v) in &error.extra {
        w.element(k, v);
    }
    w.element("RequestId", request_id)
        .element("HostId", request_id)
        .end("Error");
    HttpResponse {
        status: error.status,
        headers: vec![
            ("Content-Type".into(), "application/xml".into()),
            ("x-amz-request-id".into(), request_id.into()),
            ("x-amz-id-2".into(), request_id.into()),
        ],
        body: w.finish().into_bytes(),
    }
}
