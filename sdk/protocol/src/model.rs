//! The AWS service model (botocore's `service-2.json` format): operations,
//! shapes and protocol metadata. Every codec is driven by it, so adding an
//! operation to a plugin never touches the codec.
//!
//! Parse a model once and keep it (`models::s3()` does, in a `OnceLock`); a
//! custom plugin brings its own JSON through [`Model::from_json`].

use std::collections::BTreeMap;
use std::fmt;

use serde::Deserialize;
use serde::de::{MapAccess, Visitor};

use crate::Protocol;

/// A parsed service model.
#[derive(Debug, Clone, Deserialize)]
pub struct Model {
    /// Service-wide protocol settings.
    pub metadata: Metadata,
    /// Operations by name.
    pub operations: BTreeMap<String, Operation>,
    /// Shapes by name. Looked up for every member of every request and
    /// response: by name through a fast hasher, and through the position
    /// each reference resolved to when the model loaded ([`Model::shape_of`]).
    pub shapes: indexmap::IndexMap<String, Shape, rustc_hash::FxBuildHasher>,
    /// REST resolution's view of the operations (built when the model loads).
    #[serde(skip)]
    pub(crate) routes: crate::rest::Routes,
}

/// Where a reference's target sits in [`Model::shapes`], found once when the
/// model loads; unresolved (a model built without [`Model::from_json`])
/// references are looked up by name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShapeIdx(u32);

impl Default for ShapeIdx {
    fn default() -> Self {
        ShapeIdx(u32::MAX)
    }
}

/// Service-wide settings from the model's `metadata`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct Metadata {
    /// `rest-xml`, `query`, `json`, `rest-json` (or `ec2`).
    pub protocol: String,
    /// API version, e.g. `2006-03-01`; query requests carry it as `Version`.
    pub api_version: String,
    /// JSON protocols: `1.0` or `1.1` (content type `application/x-amz-json-<v>`).
    pub json_version: Option<String>,
    /// JSON protocols: the `X-Amz-Target` prefix, e.g. `DynamoDB_20120810`.
    pub target_prefix: Option<String>,
    /// XML namespace of query / rest-xml responses.
    pub xml_namespace: Option<String>,
    /// Endpoint prefix, e.g. `s3`, `sqs`; also names the service in JSON error
    /// types (`com.amazonaws.<prefix>#Code`).
    pub endpoint_prefix: String,
    /// Service id, e.g. `S3`, `DynamoDB`.
    pub service_id: String,
    /// Signing name when it differs from the endpoint prefix.
    pub signing_name: Option<String>,
    /// Present for JSON services that were query services (SQS): errors then
    /// also carry `x-amzn-query-error`.
    pub aws_query_compatible: Option<serde_json::Value>,
}

/// One operation of the service.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Operation {
    /// The operation name, e.g. `PutObject`.
    pub name: String,
    /// HTTP binding (method, request URI template, success status).
    #[serde(default)]
    pub http: Http,
    /// Input shape reference.
    pub input: Option<ShapeRef>,
    /// Output shape reference.
    pub output: Option<ShapeRef>,
    /// Modelled errors.
    #[serde(default)]
    pub errors: Vec<ShapeRef>,
    /// Deprecated operations are still served.
    #[serde(default)]
    pub deprecated: bool,
}

/// The HTTP binding of an operation.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Http {
    /// HTTP method, e.g. `PUT`.
    pub method: String,
    /// URI template, e.g. `/{Bucket}/{Key+}?uploads`.
    pub request_uri: String,
    /// Success status when it is not 200 (e.g. 204).
    pub response_code: Option<u16>,
    /// `request_uri` parsed once when the model loads: REST requests are
    /// matched against every operation's template.
    #[serde(skip)]
    pub template: crate::rest::UriTemplate,
}

impl Default for Http {
    fn default() -> Self {
        Http {
            method: "POST".into(),
            request_uri: "/".into(),
            response_code: None,
            template: crate::rest::UriTemplate::default(),
        }
    }
}

/// An operation's reference to its input, output or error shape.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShapeRef {
    /// Shape name.
    pub shape: String,
    /// XML root element name override.
    pub location_name: Option<String>,
    /// XML namespace of the root element.
    pub xml_namespace: Option<XmlNamespace>,
    /// Query protocol: the `<OpResult>` element wrapping the output.
    pub result_wrapper: Option<String>,
    /// Where `shape` is in the model (set when it loads).
    #[serde(skip)]
    pub idx: ShapeIdx,
}

/// An XML namespace (`xmlns` or `xmlns:prefix`).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct XmlNamespace {
    /// Namespace prefix, if any.
    pub prefix: Option<String>,
    /// Namespace URI.
    pub uri: String,
}

/// A shape's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ShapeType {
    /// Members by name.
    Structure,
    /// Ordered values of one member shape.
    List,
    /// Key/value pairs.
    Map,
    /// Text.
    String,
    /// Whole number (32-bit).
    Integer,
    /// Whole number (64-bit).
    Long,
    /// Whole number (16-bit).
    Short,
    /// Whole number (8-bit).
    Byte,
    /// `true` / `false`.
    Boolean,
    /// A point in time.
    Timestamp,
    /// Binary data (base64 in JSON, XML and query).
    Blob,
    /// Floating point.
    Float,
    /// Floating point.
    Double,
    /// Arbitrary-precision number.
    Bigdecimal,
    /// Arbitrary-precision integer.
    Biginteger,
    /// A JSON document (rest-json / json only).
    Document,
    /// Anything newer this crate does not know; treated as a string.
    #[serde(other)]
    Unknown,
}

impl ShapeType {
    /// Whether values of this type are whole numbers.
    pub fn is_integer(self) -> bool {
        matches!(
            self,
            ShapeType::Integer
                | ShapeType::Long
                | ShapeType::Short
                | ShapeType::Byte
                | ShapeType::Biginteger
        )
    }

    /// Whether values of this type are floating point numbers.
    pub fn is_float(self) -> bool {
        matches!(
            self,
            ShapeType::Float | ShapeType::Double | ShapeType::Bigdecimal
        )
    }
}

/// How a shape is modelled as an error (`error` trait of exception shapes).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct ErrorTrait {
    /// Wire error code when it differs from the shape name.
    pub code: Option<String>,
    /// HTTP status.
    pub http_status_code: Option<u16>,
    /// Whether the caller is at fault.
    pub sender_fault: bool,
}

/// A named shape.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Shape {
    /// The type of values of this shape.
    #[serde(rename = "type")]
    pub kind: ShapeType,
    /// Structure members, in model order.
    #[serde(default, deserialize_with = "ordered_members")]
    pub members: Vec<Member>,
    /// Names of required structure members.
    #[serde(default)]
    pub required: Vec<String>,
    /// List member.
    pub member: Option<MemberRef>,
    /// Map key.
    pub key: Option<MemberRef>,
    /// Map value.
    pub value: Option<MemberRef>,
    /// Lists / maps: items are not wrapped in a container element (XML) /
    /// `member.N` / `entry.N` (query).
    #[serde(default)]
    pub flattened: bool,
    /// XML element name of the shape (roots of rest-xml bodies).
    pub location_name: Option<String>,
    /// XML namespace of the shape.
    pub xml_namespace: Option<XmlNamespace>,
    /// Structure: the member bound to the whole HTTP body (rest protocols).
    pub payload: Option<String>,
    /// Timestamp format override (`iso8601`, `rfc822`, `unixTimestamp`).
    pub timestamp_format: Option<String>,
    /// Blob: the body is streamed (S3 object bodies).
    #[serde(default)]
    pub streaming: bool,
    /// Exceptions: error metadata.
    pub error: Option<ErrorTrait>,
    /// Whether the shape is an exception.
    #[serde(default)]
    pub exception: bool,
    /// Whether it is a fault (server error).
    #[serde(default)]
    pub fault: bool,
    /// Allowed string values.
    #[serde(default, rename = "enum")]
    pub enum_values: Vec<String>,
    /// Minimum length / value.
    pub min: Option<f64>,
    /// Maximum length / value.
    pub max: Option<f64>,
    /// Regex the value must match (not enforced by the codecs).
    pub pattern: Option<String>,
    /// Union structure (exactly one member set).
    #[serde(default)]
    pub union: bool,
    /// Event-stream structure (not supported by the codecs).
    #[serde(default)]
    pub eventstream: bool,
    /// Document type marker.
    #[serde(default)]
    pub document: bool,
}

impl Shape {
    /// A structure member by name.
    pub fn member_named(&self, name: &str) -> Option<&Member> {
        self.members.iter().find(|m| m.name == name)
    }
}

/// Where a member travels in an HTTP message (the model's `location`). An
/// enum rather than the model's text: every request checks it for each
/// member of its input and output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Location {
    /// A label of the request URI.
    #[serde(rename = "uri")]
    Uri,
    /// A query-string parameter.
    #[serde(rename = "querystring")]
    Querystring,
    /// One header.
    #[serde(rename = "header")]
    Header,
    /// Every header with a prefix, as a map.
    #[serde(rename = "headers")]
    Headers,
    /// The response's status code.
    #[serde(rename = "statusCode")]
    StatusCode,
    /// A location no codec binds.
    #[serde(other)]
    Other,
}

/// A reference from a shape to another shape, with serialization traits.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(rename_all = "camelCase", default)]
pub struct MemberRef {
    /// Target shape name.
    pub shape: String,
    /// Where the member travels; `None` = the body.
    pub location: Option<Location>,
    /// Wire name (XML element, header, query key, URI label).
    pub location_name: Option<String>,
    /// Query protocol (ec2) name override.
    pub query_name: Option<String>,
    /// XML namespace written on this element.
    pub xml_namespace: Option<XmlNamespace>,
    /// XML: written as an attribute of the parent element.
    pub xml_attribute: bool,
    /// Lists / maps: flattened at this member.
    pub flattened: bool,
    /// Timestamp format override.
    pub timestamp_format: Option<String>,
    /// String carrying JSON in a header (base64-encoded).
    pub jsonvalue: bool,
    /// Client fills it with a UUID when absent.
    pub idempotency_token: bool,
    /// Streaming blob.
    pub streaming: bool,
    /// Event payload member.
    pub eventpayload: bool,
    /// Deprecated member.
    pub deprecated: bool,
    /// Where `shape` is in the model (set when it loads).
    #[serde(skip)]
    pub idx: ShapeIdx,
}

/// A structure member: a [`MemberRef`] with its name.
#[derive(Debug, Clone)]
pub struct Member {
    /// Member name (the key in decoded values).
    pub name: String,
    /// Target shape and traits.
    pub target: MemberRef,
}

impl std::ops::Deref for Member {
    type Target = MemberRef;
    fn deref(&self) -> &MemberRef {
        &self.target
    }
}

impl Member {
    /// The wire name: `locationName`, else the member name.
    pub fn wire_name(&self) -> &str {
        self.target.location_name.as_deref().unwrap_or(&self.name)
    }
}

fn ordered_members<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<Member>, D::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Vec<Member>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a map of members")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut out = Vec::new();
            while let Some((name, target)) = map.next_entry::<String, MemberRef>()? {
                out.push(Member { name, target });
            }
            Ok(out)
        }
    }
    d.deserialize_map(V)
}

/// Why a model could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModelError(pub String);

impl fmt::Display for ModelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid service model: {}", self.0)
    }
}

impl std::error::Error for ModelError {}

impl Model {
    /// Parses a botocore-format model and checks that every shape reference
    /// resolves, so the codecs can index shapes without failing later.
    pub fn from_json(json: &str) -> Result<Model, ModelError> {
        let mut model: Model = serde_json::from_str(json).map_err(|e| ModelError(e.to_string()))?;
        model.check()?;
        for op in model.operations.values_mut() {
            op.http.template = crate::rest::UriTemplate::parse(&op.http.request_uri);
        }
        model.resolve_references();
        model.routes = crate::rest::Routes::of(&model);
        Ok(model)
    }

    fn check(&self) -> Result<(), ModelError> {
        let known = |s: &str, from: &str| {
            if self.shapes.contains_key(s) {
                Ok(())
            } else {
                Err(ModelError(format!("{from} refers to unknown shape {s}")))
            }
        };
        for (name, op) in &self.operations {
            for r in op
                .input
                .iter()
                .chain(op.output.iter())
                .chain(op.errors.iter())
            {
                known(&r.shape, name)?;
            }
        }
        for (name, shape) in &self.shapes {
            for m in &shape.members {
                known(&m.shape, name)?;
            }
            for r in [&shape.member, &shape.key, &shape.value]
                .into_iter()
                .flatten()
            {
                known(&r.shape, name)?;
            }
            if let Some(p) = &shape.payload
                && shape.member_named(p).is_none()
            {
                return Err(ModelError(format!("{name}: payload {p} is not a member")));
            }
        }
        Protocol::from_model_name(&self.metadata.protocol).ok_or_else(|| {
            ModelError(format!("unsupported protocol {}", self.metadata.protocol))
        })?;
        Ok(())
    }

    /// Points every shape reference at its target's position, so codecs
    /// reach a member's shape without hashing its name.
    fn resolve_references(&mut self) {
        let positions: rustc_hash::FxHashMap<String, ShapeIdx> = self
            .shapes
            .keys()
            .enumerate()
            .map(|(i, name)| (name.clone(), ShapeIdx(i as u32)))
            .collect();
        let at = |name: &str| positions.get(name).copied().unwrap_or_default();
        for shape in self.shapes.values_mut() {
            for m in &mut shape.members {
                m.target.idx = at(&m.shape);
            }
            for r in [&mut shape.member, &mut shape.key, &mut shape.value]
                .into_iter()
                .flatten()
            {
                r.idx = at(&r.shape);
            }
        }
        for op in self.operations.values_mut() {
            for r in op
                .input
                .iter_mut()
                .chain(op.output.iter_mut())
                .chain(op.errors.iter_mut())
            {
                r.idx = at(&r.shape);
            }
        }
    }

    /// The target shape of a member (or list member, map key or value):
    /// found by position once the model is loaded, else by name.
    pub fn shape_of(&self, r: &MemberRef) -> &Shape {
        self.resolved(r.idx, &r.shape)
    }

    fn resolved(&self, idx: ShapeIdx, name: &str) -> &Shape {
        match self.shapes.get_index(idx.0 as usize) {
            Some((_, s)) => s,
            None => self.shape(name),
        }
    }

    /// The shape named `name`. Panics only for names not taken from this
    /// model (every reference inside the model was checked at parse time).
    pub fn shape(&self, name: &str) -> &Shape {
        self.shapes
            .get(name)
            .unwrap_or_else(|| panic!("shape {name} is not in the model"))
    }

    /// The names of the model's operations, in name order: what a plugin
    /// lists in its description.
    pub fn operation_names(&self) -> Vec<String> {
        self.operations.keys().cloned().collect()
    }

    /// An operation by name.
    pub fn operation(&self, name: &str) -> Option<&Operation> {
        self.operations.get(name)
    }

    /// The model's protocol.
    pub fn protocol(&self) -> Protocol {
        Protocol::from_model_name(&self.metadata.protocol).unwrap_or(Protocol::Json)
    }

    /// The service name used in JSON error types (`com.amazonaws.<name>#Code`).
    pub fn service_name(&self) -> &str {
        self.metadata
            .signing_name
            .as_deref()
            .unwrap_or(&self.metadata.endpoint_prefix)
    }

    /// The input shape of an operation, if it has one.
    pub fn input_shape(&self, op: &Operation) -> Option<&Shape> {
        op.input.as_ref().map(|r| self.resolved(r.idx, &r.shape))
    }

    /// The output shape of an operation, if it has one.
    pub fn output_shape(&self, op: &Operation) -> Option<&Shape> {
        op.output.as_ref().map(|r| self.resolved(r.idx, &r.shape))
    }

    /// The modelled error shape for an error code, if any (matches the shape
    /// name or its `error.code`).
    pub fn error_shape(&self, code: &str) -> Option<(&str, &Shape)> {
        self.shapes
            .iter()
            .find(|(name, s)| {
                s.exception
                    && (name.as_str() == code
                        || s.error.as_ref().and_then(|e| e.code.as_deref()) == Some(code))
            })
            .map(|(n, s)| (n.as_str(), s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reference_resolves_to_the_shape_it_names() {
        for model in [crate::models::s3(), crate::models::dynamodb()] {
            let mut refs = 0;
            for shape in model.shapes.values() {
                let inner = [&shape.member, &shape.key, &shape.value];
                let all = shape
                    .members
                    .iter()
                    .map(|m| &m.target)
                    .chain(inner.into_iter().flatten());
                for r in all {
                    assert_ne!(r.idx, ShapeIdx::default(), "{} unresolved", r.shape);
                    assert!(std::ptr::eq(model.shape_of(r), model.shape(&r.shape)));
                    refs += 1;
                }
            }
            assert!(refs > 100);
            for op in model.operations.values() {
                if let Some(r) = &op.input {
                    assert!(std::ptr::eq(
                        model.input_shape(op).unwrap(),
                        model.shape(&r.shape)
                    ));
                }
            }
        }
        // A reference made by hand (not from a loaded model) is found by name.
        let by_hand = MemberRef {
            shape: "GetObjectRequest".into(),
            ..MemberRef::default()
        };
        let s3 = crate::models::s3();
        assert!(std::ptr::eq(
            s3.shape_of(&by_hand),
            s3.shape("GetObjectRequest")
        ));
    }

    #[test]
    fn parses_minimal_model_in_member_order() {
        let m = Model::from_json(
            r#"{"metadata":{"protocol":"json","apiVersion":"2020-01-01","targetPrefix":"Svc","jsonVersion":"1.1","endpointPrefix":"svc"},
            "operations":{"Do":{"name":"Do","http":{"method":"POST","requestUri":"/"},"input":{"shape":"In"}}},
            "shapes":{"In":{"type":"structure","required":["Z"],"members":{"Z":{"shape":"S"},"A":{"shape":"S","locationName":"a"}}},
                      "S":{"type":"string"}}}"#,
        )
        .unwrap();
        let input = m.input_shape(m.operation("Do").unwrap()).unwrap();
        let names: Vec<_> = input.members.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["Z", "A"]);
        assert_eq!(input.members[1].wire_name(), "a");
        assert_eq!(m.protocol(), Protocol::Json);
    }

    #[test]
    fn rejects_dangling_references() {
        let err = Model::from_json(
            r#"{"metadata":{"protocol":"json"},"operations":{},
            "shapes":{"In":{"type":"structure","members":{"A":{"shape":"Missing"}}}}}"#,
        )
        .unwrap_err();
        assert!(err.0.contains("Missing"), "{err}");
    }
}
