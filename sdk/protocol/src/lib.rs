//! AWS wire protocols for RustStack, driven by the AWS service models.
//!
//! Every service plugin uses this crate to turn an HTTP request into a
//! protocol-neutral JSON value of the operation's input shape
//! ([`decode_input`]) and an output value back into an HTTP response
//! ([`encode_output`]); errors become AWS-shaped responses with
//! [`encode_error`]. The host uses [`error_response`] (no model needed) when a
//! plugin traps, times out or no plugin claims a request.
//!
//! Supported protocols: rest-xml (S3), query (SNS, STS, legacy SQS), JSON 1.0
//! / 1.1 (DynamoDB, SQS) and rest-json. The value conventions (timestamps as
//! epoch seconds, blobs as base64, ...) are described in [`value`].
//!
//! ```
//! use ruststack_protocol::{models, HttpRequest, decode_request, encode_output};
//! let headers = vec![("x-amz-target".to_string(), "DynamoDB_20120810.ListTables".to_string())];
//! let req = HttpRequest { method: "POST", path: "/", query: "", headers: &headers, body: b"{}" };
//! let (op, input) = decode_request(models::dynamodb(), &req, None).unwrap();
//! assert_eq!(op.name, "ListTables");
//! let resp = encode_output(models::dynamodb(), op, &serde_json::json!({"TableNames": []}), "req-1");
//! assert_eq!(resp.body, br#"{"TableNames":[]}"#);
//! ```

pub mod aws_chunked;
pub mod browser;
pub mod encoding;
pub mod error;
pub mod json;
pub mod log_headers;
pub mod model;
pub mod models;
pub mod ops;
pub mod query;
pub mod region;
pub mod rest;
pub mod rest_json;
pub mod rest_xml;
pub mod shapes;
pub mod time;
pub mod typed;
pub mod validate;
pub mod value;
pub mod xml;
pub mod xml_shape;

pub use error::{AwsError, ErrorDetails};
pub use model::{Model, Operation, Shape};
pub use serde_json::Value;

/// The wire protocols AWS services speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// REST with XML bodies (S3).
    RestXml,
    /// Form-encoded `Action=...` requests, XML responses (SNS, STS, legacy SQS).
    Query,
    /// `X-Amz-Target` + JSON bodies (DynamoDB, SQS).
    Json,
    /// REST with JSON bodies (Lambda, API Gateway, ...).
    RestJson,
}

impl Protocol {
    /// The protocol named by a model's `metadata.protocol`.
    pub fn from_model_name(name: &str) -> Option<Protocol> {
        match name {
            "rest-xml" => Some(Protocol::RestXml),
            "query" | "ec2" => Some(Protocol::Query),
            "json" => Some(Protocol::Json),
            "rest-json" => Some(Protocol::RestJson),
            _ => None,
        }
    }

    /// Which protocol a request speaks, for services that accept two (SQS:
    /// JSON and legacy query): `X-Amz-Target` means JSON; a form body or an
    /// `Action` query parameter means query.
    pub fn of_request(req: &HttpRequest<'_>) -> Option<Protocol> {
        if req.header("x-amz-target").is_some() {
            return Some(Protocol::Json);
        }
        let form = req
            .header("content-type")
            .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
        let action_in_query = encoding::parse_form(req.query)
            .iter()
            .any(|(k, _)| k == "Action");
        (form || action_in_query).then_some(Protocol::Query)
    }
}

/// An HTTP request as the codecs see it, independent of the plugin bindings.
#[derive(Debug, Clone, Copy)]
pub struct HttpRequest<'a> {
    /// Upper-case method, e.g. `PUT`.
    pub method: &'a str,
    /// Raw, percent-encoded path, e.g. `/bucket/my%20key`.
    pub path: &'a str,
    /// Raw query string without `?`.
    pub query: &'a str,
    /// Headers with lower-case names.
    pub headers: &'a [(String, String)],
    /// Body bytes (empty when the host keeps a streamed body as a blob).
    pub body: &'a [u8],
}

impl HttpRequest<'_> {
    /// First header with this (lower-case) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// An HTTP response produced by the codecs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Headers (names as AWS writes them).
    pub headers: Vec<(String, String)>,
    /// Body bytes (empty for streaming payloads: the caller sets the body).
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// First header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A model paired with the protocol to speak, for services that speak more
/// than their model's protocol (SQS: JSON and legacy query). The free
/// functions use the model's own protocol.
#[derive(Debug, Clone, Copy)]
pub struct Codec<'m> {
    /// The service model.
    pub model: &'m Model,
    /// The protocol to decode and encode with.
    pub protocol: Protocol,
}

impl<'m> Codec<'m> {
    /// A codec speaking the model's own protocol.
    pub fn new(model: &'m Model) -> Self {
        Codec {
            model,
            protocol: model.protocol(),
        }
    }

    /// A codec speaking `protocol` with this model.
    pub fn with_protocol(model: &'m Model, protocol: Protocol) -> Self {
        Codec { model, protocol }
    }

    /// Finds the operation a request calls. `virtual_bucket`: for S3
    /// virtual-hosted requests, the bucket from the host name (the path is
    /// then the key part); ignored by non-REST protocols.
    pub fn resolve_operation(
        &self,
        req: &HttpRequest<'_>,
        virtual_bucket: Option<&str>,
    ) -> Result<&'m Operation, AwsError> {
        match self.protocol {
            Protocol::Json => json::resolve_operation(self.model, req),
            Protocol::Query => query::resolve_operation(self.model, req),
            Protocol::RestXml | Protocol::RestJson => {
                rest::resolve_operation(self.model, req, virtual_bucket)
            }
        }
    }

    /// Decodes the input of `op` from a request (path-style for S3; see
    /// [`Codec::decode_request`] for virtual-hosted requests).
    pub fn decode_input(&self, op: &Operation, req: &HttpRequest<'_>) -> Result<Value, AwsError> {
        match self.protocol {
            Protocol::Json => json::decode_input(self.model, op, req),
            Protocol::Query => query::decode_input(self.model, op, req),
            Protocol::RestXml => rest_xml::decode_input(self.model, op, req),
            Protocol::RestJson => rest_json::decode_input(self.model, op, req),
        }
    }

    /// Resolves the operation and decodes its input in one step.
    pub fn decode_request(
        &self,
        req: &HttpRequest<'_>,
        virtual_bucket: Option<&str>,
    ) -> Result<(&'m Operation, Value), AwsError> {
        let op = self.resolve_operation(req, virtual_bucket)?;
        let input = match (self.protocol, virtual_bucket) {
            (Protocol::RestXml | Protocol::RestJson, Some(bucket)) => {
                let path = rest::path_style(bucket, req.path);
                self.decode_input(
                    op,
                    &HttpRequest {
                        path: &path,
                        ..*req
                    },
                )?
            }
            _ => self.decode_input(op, req)?,
        };
        Ok((op, input))
    }

    /// Encodes an operation's output value as a success response.
    pub fn encode_output(&self, op: &Operation, output: &Value, request_id: &str) -> HttpResponse {
        match self.protocol {
            Protocol::Json => json::encode_output(self.model, op, output, request_id),
            Protocol::Query => query::encode_output(self.model, op, output, request_id),
            Protocol::RestXml => rest_xml::encode_output(self.model, op, output, request_id),
            Protocol::RestJson => rest_json::encode_output(self.model, op, output, request_id),
        }
    }

    /// Encodes an error, using the model for details the model-free
    /// [`encode_error`] cannot know: the service's XML namespace, the JSON
    /// `__type` namespace, and the legacy query code of query-compatible
    /// services (from the error shape's `error.code`).
    pub fn encode_error(&self, error: &AwsError, request_id: &str) -> HttpResponse {
        let mut error = error.clone();
        if error.query_code.is_none()
            && let Some((_, shape)) = self.model.error_shape(&error.code)
            && let Some(code) = shape.error.as_ref().and_then(|e| e.code.clone())
        {
            error.query_code = Some(code);
        }
        let mut resp = match self.protocol {
            Protocol::Json => json::encode_error(Some(self.model), &error, request_id),
            Protocol::Query => query::encode_error(Some(self.model), &error, request_id),
            Protocol::RestXml => rest_xml::encode_error(&error, request_id),
            Protocol::RestJson => rest_json::encode_error(&error, request_id),
        };
        resp.headers.extend(error.headers().iter().cloned());
        resp
    }
}

/// Finds the operation a request calls, by the model's protocol. See
/// [`Codec::resolve_operation`].
pub fn resolve_operation<'m>(
    model: &'m Model,
    req: &HttpRequest<'_>,
    virtual_bucket: Option<&str>,
) -> Result<&'m Operation, AwsError> {
    Codec::new(model).resolve_operation(req, virtual_bucket)
}

/// Decodes the input of `op` as a JSON value keyed by model member names.
/// See [`Codec::decode_input`].
pub fn decode_input(
    model: &Model,
    op: &Operation,
    req: &HttpRequest<'_>,
) -> Result<Value, AwsError> {
    Codec::new(model).decode_input(op, req)
}

/// Resolves and decodes in one step. See [`Codec::decode_request`].
pub fn decode_request<'m>(
    model: &'m Model,
    req: &HttpRequest<'_>,
    virtual_bucket: Option<&str>,
) -> Result<(&'m Operation, Value), AwsError> {
    Codec::new(model).decode_request(req, virtual_bucket)
}

/// Encodes an output value as the success response of `op`. See
/// [`Codec::encode_output`].
pub fn encode_output(
    model: &Model,
    op: &Operation,
    output: &Value,
    request_id: &str,
) -> HttpResponse {
    Codec::new(model).encode_output(op, output, request_id)
}

/// Encodes an error in the exact shape of `protocol`, without a model.
pub fn encode_error(protocol: Protocol, error: &AwsError, request_id: &str) -> HttpResponse {
    let mut resp = match protocol {
        Protocol::Json => json::encode_error(None, error, request_id),
        Protocol::Query => query::encode_error(None, error, request_id),
        Protocol::RestXml => rest_xml::encode_error(error, request_id),
        Protocol::RestJson => rest_json::encode_error(error, request_id),
    };
    resp.headers.extend(error.headers().iter().cloned());
    resp
}

/// What the host answers when a plugin traps, times out, or no plugin claims
/// a request: the same as [`encode_error`], needing no model.
pub fn error_response(protocol: Protocol, error: &AwsError, request_id: &str) -> HttpResponse {
    encode_error(protocol, error, request_id)
}
