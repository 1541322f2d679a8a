//! The AWS query protocol (SNS, STS, legacy SQS): requests are form fields
//! (`Action=Publish&TopicArn=...&MessageAttributes.entry.1.Name=...`) in the
//! body or the query string; responses are XML
//! `<OpResponse><OpResult>...</OpResult><ResponseMetadata>...`.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use crate::encoding::parse_form;
use crate::model::{MemberRef, Model, Operation, Shape, ShapeType};
use crate::value::{check_required, scalar_from_text};
use crate::xml::XmlWriter;
use crate::xml_shape::write_members;
use crate::{AwsError, HttpRequest, HttpResponse};

/// All form fields of a request: query-string fields, then form-body fields.
pub fn params(req: &HttpRequest<'_>) -> Vec<(String, String)> {
    let mut out = parse_form(req.query);
    let form = req
        .header("content-type")
        .is_none_or(|c| c.starts_with("application/x-www-form-urlencoded"));
    if form && !req.body.is_empty() {
        out.extend(parse_form(&String::from_utf8_lossy(req.body)));
    }
    out
}

/// Finds the operation named by the `Action` field; `InvalidAction` otherwise
/// (`MissingAction` when there is none).
pub fn resolve_operation<'m>(
    model: &'m Model,
    req: &HttpRequest<'_>,
) -> Result<&'m Operation, AwsError> {
    let params = params(req);
    let action = params
        .iter()
        .find(|(k, _)| k == "Action")
        .map(|(_, v)| v.as_str())
        .ok_or_else(|| AwsError::client("MissingAction", "Missing Action"))?;
    model
        .operation(action)
        .ok_or_else(|| AwsError::invalid_action(action))
}

/// Decodes `op`'s input from the form fields. Type errors give
/// `InvalidParameterValue`; missing required members `MissingParameter`
/// (query-compatible SQS) or `ValidationError` (SNS, STS).
pub fn decode_input(
    model: &Model,
    op: &Operation,
    req: &HttpRequest<'_>,
) -> Result<Value, AwsError> {
    let Some(shape) = model.input_shape(op) else {
        return Ok(Value::Object(Map::new()));
    };
    let values: HashMap<String, String> = params(req).into_iter().collect();
    let fields = Fields::new(&values);
    let value = Value::Object(
        read_structure(model, shape, &fields, "").map_err(AwsError::invalid_parameter_value)?,
    );
    check_required(model, shape, &value).map_err(|m| m.error(model, AwsError::validation_error))?;
    Ok(value)
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

/// Dotted prefixes indexed per field name, at most this many components
/// deep (model shapes nest a handful): indexing every prefix of a name made
/// of a million dots would itself be quadratic.
const INDEXED_DEPTH: usize = 32;

/// The form fields, with the dotted prefixes of their names indexed
/// (`A` and `A.member` for `A.member.1`), so "is any field under this
/// prefix" is one lookup: scanning every field for each list item made
/// decoding a request of many fields quadratic (seconds for 2 MB).
struct Fields<'a> {
    values: &'a HashMap<String, String>,
    /// Each name's prefixes that end before one of its first
    /// [`INDEXED_DEPTH`] dots.
    parents: HashSet<&'a str>,
}

impl<'a> Fields<'a> {
    fn new(values: &'a HashMap<String, String>) -> Self {
        let parents = values
            .keys()
            .flat_map(|k| {
                k.match_indices('.')
                    .take(INDEXED_DEPTH)
                    .map(|(i, _)| &k[..i])
            })
            .collect();
        Fields { values, parents }
    }

    fn get(&self, key: &str) -> Option<&'a String> {
        self.values.get(key)
    }

    /// Whether some field's name is `key` followed by `.` and more.
    fn has_children(&self, key: &str) -> bool {
        if key.matches('.').count() < INDEXED_DEPTH {
            return self.parents.contains(key);
        }
        let dotted = format!("{key}.");
        self.values.keys().any(|k| k.starts_with(&dotted))
    }
}

fn has_prefix(fields: &Fields<'_>, prefix: &str) -> bool {
    fields.values.contains_key(prefix) || fields.has_children(prefix)
}

fn read_structure(
    model: &Model,
    shape: &Shape,
    fields: &Fields<'_>,
    prefix: &str,
) -> Result<Map<String, Value>, String> {
    let mut out = Map::new();
    for m in &shape.members {
        let name = m.query_name.as_deref().unwrap_or(m.wire_name());
        let key = join(prefix, name);
        if let Some(v) = read_value(model, &m.target, fields, &key)? {
            out.insert(m.name.clone(), v);
        }
    }
    Ok(out)
}

fn read_value(
    model: &Model,
    via: &MemberRef,
    fields: &Fields<'_>,
    key: &str,
) -> Result<Option<Value>, String> {
    let shape = model.shape_of(via);
    let flat = via.flattened || shape.flattened;
    match shape.kind {
        ShapeType::Structure => {
            if !has_prefix(fields, key) {
                return Ok(None);
            }
            read_structure(model, shape, fields, key).map(|o| Some(Value::Object(o)))
        }
        ShapeType::List => {
            let item = shape.member.as_ref().expect("list member");
            if fields.get(key).is_some_and(|v| v.is_empty()) && !has_prefix_dot(fields, key) {
                return Ok(Some(Value::Array(vec![]))); // `Key=` is an empty list
            }
            let list_prefix = if flat {
                match &item.location_name {
                    Some(n) => match key.rsplit_once('.') {
                        Some((parent, _)) => format!("{parent}.{n}"),
                        None => n.clone(),
                    },
                    None => key.to_string(),
                }
            } else {
                join(key, item.location_name.as_deref().unwrap_or("member"))
            };
            let mut items = Vec::new();
            for i in 1.. {
                match read_value(model, item, fields, &format!("{list_prefix}.{i}"))? {
                    Some(v) => items.push(v),
                    None => break,
                }
            }
            Ok((!items.is_empty()).then_some(Value::Array(items)))
        }
        ShapeType::Map => {
            let (Some(k), Some(v)) = (&shape.key, &shape.value) else {
                return Ok(None);
            };
            let entry_prefix = if flat {
                key.to_string()
            } else {
                join(key, "entry")
            };
            let key_name = k.location_name.as_deref().unwrap_or("key");
            let value_name = v.location_name.as_deref().unwrap_or("value");
            let mut map = Map::new();
            for i in 1.. {
                let base = format!("{entry_prefix}.{i}");
                let Some(name) = fields.get(&format!("{base}.{key_name}")) else {
                    break;
                };
                let value = read_value(model, v, fields, &format!("{base}.{value_name}"))?
                    .unwrap_or(Value::Null);
                map.insert(name.clone(), value);
            }
            Ok((!map.is_empty()).then_some(Value::Object(map)))
        }
        _ => match fields.get(key) {
            Some(text) => scalar_from_text(shape, text)
                .map(Some)
                .map_err(|e| format!("Value for parameter {key} is invalid: {e}")),
            None => Ok(None),
        },
    }
}

fn has_prefix_dot(fields: &Fields<'_>, key: &str) -> bool {
    fields.has_children(key)
}

fn namespace(model: Option<&Model>) -> Option<String> {
    let m = model?;
    m.metadata.xml_namespace.clone().or_else(|| {
        (!m.metadata.endpoint_prefix.is_empty()).then(|| {
            format!(
                "http://{}.amazonaws.com/doc/{}/",
                m.metadata.endpoint_prefix, m.metadata.api_version
            )
        })
    })
}

/// `<OpResponse xmlns=ns><OpResult>...</OpResult><ResponseMetadata>
/// <RequestId>..</RequestId></ResponseMetadata></OpResponse>`, `text/xml`.
/// Operations without output have no `<OpResult>`.
pub fn encode_output(
    model: &Model,
    op: &Operation,
    output: &Value,
    request_id: &str,
) -> HttpResponse {
    let mut w = XmlWriter::with_declaration();
    let root = format!("{}Response", op.name);
    let ns = namespace(Some(model));
    let attrs: Vec<(&str, &str)> = ns.iter().map(|n| ("xmlns", n.as_str())).collect();
    w.start(&root, &attrs);
    if let (Some(out_ref), Some(shape)) = (&op.output, model.output_shape(op)) {
        let wrapper = out_ref
            .result_wrapper
            .clone()
            .unwrap_or_else(|| format!("{}Result", op.name));
        w.start(&wrapper, &[]);
        if let Value::Object(obj) = output {
            write_members(&mut w, model, shape, obj);
        }
        w.end(&wrapper);
    }
    w.start("ResponseMetadata", &[])
        .element("RequestId", request_id)
        .end("ResponseMetadata");
    w.end(&root);
    HttpResponse {
        status: 200,
        headers: vec![
            ("Content-Type".into(), "text/xml".into()),
            ("x-amzn-RequestId".into(), request_id.into()),
        ],
        body: w.finish().into_bytes(),
    }
}

/// `<ErrorResponse xmlns=ns><Error><Type>Sender|Receiver</Type><Code>..</Code>
/// <Message>..</Message>..extra..</Error><RequestId>..</RequestId></ErrorResponse>`.
/// The code is the legacy query code when the error has one.
pub fn encode_error(model: Option<&Model>, error: &AwsError, request_id: &str) -> HttpResponse {
    let mut w = XmlWriter::with_declaration();
    let ns = namespace(model);
    let attrs: Vec<(&str, &str)> = ns.iter().map(|n| ("xmlns", n.as_str())).collect();
    w.start("ErrorResponse", &attrs).start("Error", &[]);
    w.element(
        "Type",
        if error.sender_fault {
            "Sender"
        } else {
            "Receiver"
        },
    )
    .element("Code", error.query_error_code())
    .element("Message", &error.message);
    for (k, v) in &error.extra {
        w.element(k, v);
    }
    w.end("Error")
        .element("RequestId", request_id)
        .end("ErrorResponse");
    HttpResponse {
        status: error.status,
        headers: vec![
            ("Content-Type".into(), "text/xml".into()),
            ("x-amzn-RequestId".into(), request_id.into()),
        ],
        body: w.finish().into_bytes(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Codec, Protocol, decode_request, encode_output, models, xml};
    use serde_json::json;

    fn form<'a>(body: &'a str, headers: &'a mut Vec<(String, String)>) -> HttpRequest<'a> {
        headers.push((
            "content-type".into(),
            "application/x-www-form-urlencoded; charset=utf-8".into(),
        ));
        HttpRequest {
            method: "POST",
            path: "/",
            query: "",
            headers,
            body: body.as_bytes(),
        }
    }

    #[test]
    fn many_list_entries_decode_in_linear_time() {
        // Found by `just fuzz` (protocol-sns, replayed large): 40,000 batch
        // entries (1.9 MB, under SNS's body limit) took 4 s to decode, each
        // entry scanning every field.
        let mut body = String::from(
            "Action=PublishBatch&Version=2010-03-31&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3At",
        );
        for i in 1..=40_000 {
            body.push_str(&format!(
                "&PublishBatchRequestEntries.member.{i}.Id=e{i}&PublishBatchRequestEntries.member.{i}.Message=m"
            ));
        }
        let mut h = vec![];
        let (_, input) = decode_request(models::sns(), &form(&body, &mut h), None).unwrap();
        let entries = input["PublishBatchRequestEntries"].as_array().unwrap();
        assert_eq!(entries.len(), 40_000);
        assert_eq!(entries[39_999], json!({"Id": "e40000", "Message": "m"}));
        // A name of a million dots is only indexed so deep.
        let deep = format!(
            "Action=ListTopics&Version=2010-03-31&NextToken=x&{}=1",
            "a.".repeat(1_000_000)
        );
        let mut h = vec![];
        let (_, input) = decode_request(models::sns(), &form(&deep, &mut h), None).unwrap();
        assert_eq!(input, json!({"NextToken": "x"}));
    }

    #[test]
    fn sns_publish_with_message_attributes() {
        // As botocore serializes sns.publish(..., MessageAttributes={...}).
        let body = "Action=Publish&Version=2010-03-31&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3At\
            &Message=hello+world&Subject=s\
            &MessageAttributes.entry.1.Name=color&MessageAttributes.entry.1.Value.DataType=String\
            &MessageAttributes.entry.1.Value.StringValue=blue\
            &MessageAttributes.entry.2.Name=n&MessageAttributes.entry.2.Value.DataType=Number\
            &MessageAttributes.entry.2.Value.StringValue=3";
        let mut h = vec![];
        let r = form(body, &mut h);
        let (op, input) = decode_request(models::sns(), &r, None).unwrap();
        assert_eq!(op.name, "Publish");
        assert_eq!(
            input,
            json!({
                "TopicArn": "arn:aws:sns:us-east-1:000000000000:t",
                "Message": "hello world",
                "Subject": "s",
                "MessageAttributes": {
                    "color": {"DataType": "String", "StringValue": "blue"},
                    "n": {"DataType": "Number", "StringValue": "3"}
                }
            })
        );
        let resp = encode_output(models::sns(), op, &json!({"MessageId": "m-1"}), "rid-1");
        assert_eq!(resp.header("content-type"), Some("text/xml"));
        assert_eq!(
            String::from_utf8(resp.body).unwrap(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><PublishResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\">\
             <PublishResult><MessageId>m-1</MessageId></PublishResult>\
             <ResponseMetadata><RequestId>rid-1</RequestId></ResponseMetadata></PublishResponse>"
        );
    }

    #[test]
    fn sns_lists_and_maps_in_output() {
        let m = models::sns();
        let op = m.operation("ListTopics").unwrap();
        let resp = encode_output(
            m,
            op,
            &json!({"Topics": [{"TopicArn": "a"}, {"TopicArn": "b"}]}),
            "r",
        );
        let root = xml::parse(&resp.body).unwrap();
        let topics = root
            .child("ListTopicsResult")
            .unwrap()
            .child("Topics")
            .unwrap();
        let arns: Vec<_> = topics
            .children_named("member")
            .map(|t| t.child_text("TopicArn").unwrap())
            .collect();
        assert_eq!(arns, ["a", "b"]);

        let op = m.operation("GetTopicAttributes").unwrap();
        let resp = encode_output(m, op, &json!({"Attributes": {"Policy": "{}"}}), "r");
        let root = xml::parse(&resp.body).unwrap();
        let entry = root
            .child("GetTopicAttributesResult")
            .unwrap()
            .child("Attributes")
            .unwrap()
            .child("entry")
            .unwrap();
        assert_eq!(entry.child_text("key"), Some("Policy"));
        assert_eq!(entry.child_text("value"), Some("{}"));
        // No output shape: only ResponseMetadata.
        let op = m.operation("DeleteTopic").unwrap();
        let resp = encode_output(m, op, &json!({}), "r");
        let root = xml::parse(&resp.body).unwrap();
        assert_eq!(root.children.len(), 1);
    }

    #[test]
    fn sqs_legacy_query_send_message_and_batch() {
        let codec = Codec::with_protocol(models::sqs(), Protocol::Query);
        let body = "Action=SendMessage&Version=2012-11-05&QueueUrl=http%3A%2F%2Flocalhost%3A4566%2F000000000000%2Fq\
            &MessageBody=hi&DelaySeconds=2\
            &MessageAttribute.1.Name=a&MessageAttribute.1.Value.DataType=String&MessageAttribute.1.Value.StringValue=v";
        let mut h = vec![];
        let r = form(body, &mut h);
        assert_eq!(Protocol::of_request(&r), Some(Protocol::Query));
        let (op, input) = codec.decode_request(&r, None).unwrap();
        assert_eq!(op.name, "SendMessage");
        assert_eq!(
            input,
            json!({"QueueUrl": "http://localhost:4566/000000000000/q", "MessageBody": "hi", "DelaySeconds": 2,
                   "MessageAttributes": {"a": {"DataType": "String", "StringValue": "v"}}})
        );

        let body = "Action=DeleteMessageBatch&QueueUrl=q\
            &DeleteMessageBatchRequestEntry.1.Id=a&DeleteMessageBatchRequestEntry.1.ReceiptHandle=r1\
            &DeleteMessageBatchRequestEntry.2.Id=b&DeleteMessageBatchRequestEntry.2.ReceiptHandle=r2";
        let mut h = vec![];
        let (_, input) = codec.decode_request(&form(body, &mut h), None).unwrap();
        assert_eq!(
            input["Entries"],
            json!([{"Id": "a", "ReceiptHandle": "r1"}, {"Id": "b", "ReceiptHandle": "r2"}])
        );

        let body = "Action=ReceiveMessage&QueueUrl=q&AttributeName.1=All&MaxNumberOfMessages=3";
        let mut h = vec![];
        let (op, input) = codec.decode_request(&form(body, &mut h), None).unwrap();
        assert_eq!(input["AttributeNames"], json!(["All"]));
        let out = json!({"Messages": [{"MessageId": "m", "Body": "b", "Attributes": {"SentTimestamp": "1"}}]});
        let resp = codec.encode_output(op, &out, "r");
        let s = String::from_utf8(resp.body).unwrap();
        assert!(s.contains("<ReceiveMessageResponse xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\"><ReceiveMessageResult><Message><MessageId>m</MessageId><Body>b</Body><Attribute><Name>SentTimestamp</Name><Value>1</Value></Attribute></Message></ReceiveMessageResult>"), "{s}");
    }

    #[test]
    fn query_input_errors() {
        let m = models::sns();
        let mut h = vec![];
        let err = decode_request(m, &form("Action=Nope", &mut h), None).unwrap_err();
        assert_eq!(err.code, "InvalidAction");
        let mut h = vec![];
        let err = decode_request(m, &form("Action=Publish", &mut h), None).unwrap_err();
        assert_eq!(err.code, "ValidationError");
        let codec = Codec::with_protocol(models::sqs(), Protocol::Query);
        let mut h = vec![];
        let err = codec
            .decode_request(&form("Action=SendMessage&QueueUrl=q", &mut h), None)
            .unwrap_err();
        assert_eq!(err.code, "MissingParameter");
        let mut h = vec![];
        let err = codec
            .decode_request(
                &form(
                    "Action=SendMessage&QueueUrl=q&MessageBody=x&DelaySeconds=soon",
                    &mut h,
                ),
                None,
            )
            .unwrap_err();
        assert_eq!(err.code, "InvalidParameterValue");
    }

    #[test]
    fn error_shape() {
        let e = AwsError::client("NotFound", "Topic does not exist").with_extra("Detail", "x");
        let resp = crate::error_response(Protocol::Query, &e, "rid");
        assert_eq!(resp.status, 400);
        assert_eq!(
            String::from_utf8(resp.body).unwrap(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><ErrorResponse><Error><Type>Sender</Type><Code>NotFound</Code>\
             <Message>Topic does not exist</Message><Detail>x</Detail></Error><RequestId>rid</RequestId></ErrorResponse>"
        );
        let e = AwsError::client("QueueDoesNotExist", "gone")
            .with_query_code("AWS.SimpleQueueService.NonExistentQueue");
        let resp = Codec::with_protocol(models::sqs(), Protocol::Query).encode_error(&e, "rid");
        let root = xml::parse(&resp.body).unwrap();
        assert_eq!(
            root.attr("xmlns"),
            Some("http://queue.amazonaws.com/doc/2012-11-05/")
        );
        assert_eq!(
            root.child("Error").unwrap().child_text("Code"),
            Some("AWS.SimpleQueueService.NonExistentQueue")
        );
        let resp = crate::error_response(Protocol::Query, &AwsError::internal_failure(), "rid");
        assert_eq!(resp.status, 500);
        assert!(
            String::from_utf8(resp.body)
                .unwrap()
                .contains("<Type>Receiver</Type>")
        );
    }
}
