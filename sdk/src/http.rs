//! Glue between the host's request/response records and the protocol codecs.

use ruststack_protocol::{AwsError, Codec, HttpRequest, HttpResponse, Model, Operation, Value};

use crate::{Body, BodyLimit, Outcome, Request, Response, Wait, blobs};

impl Request {
    /// The first header named `name` (lower-case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body in memory: bytes as they came, a blob read whole (use only
    /// where bodies are small, e.g. JSON and XML documents).
    pub fn body_bytes(&self) -> Result<Vec<u8>, AwsError> {
        match &self.body {
            Body::Empty => Ok(Vec::new()),
            Body::Bytes(b) => Ok(b.clone()),
            Body::Blob(s) => blobs::read_all(&s.blob).map_err(|_| AwsError::internal_failure()),
        }
    }

    /// Runs `f` with the codec's view of this request.
    pub fn with_http<R>(&self, body: &[u8], f: impl FnOnce(&HttpRequest<'_>) -> R) -> R {
        let http = HttpRequest {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers: &self.headers,
            body,
        };
        f(&http)
    }
}

impl BodyLimit {
    /// Bodies over `max_bytes` are refused with `error` (its status, code and
    /// message), by the host, before the plugin is called.
    pub fn new(max_bytes: u64, error: &AwsError) -> Self {
        BodyLimit {
            max_bytes,
            status: error.status,
            code: error.code.clone(),
            message: error.message.clone(),
        }
    }
}

impl From<HttpResponse> for Response {
    fn from(r: HttpResponse) -> Self {
        Response {
            status: r.status,
            headers: r.headers,
            body: if r.body.is_empty() {
                Body::Empty
            } else {
                Body::Bytes(r.body)
            },
        }
    }
}

impl Outcome {
    /// Answer with this response.
    pub fn respond(r: impl Into<Response>) -> Outcome {
        Outcome::Respond(r.into())
    }

    /// Be called again when a key starting with `prefix` changes, or after
    /// `timeout_ms` (long polling).
    pub fn wait(prefix: &[u8], timeout_ms: u32) -> Outcome {
        Outcome::Wait(Wait {
            prefix: crate::scope::scoped(prefix),
            timeout_ms,
        })
    }
}

/// What an operation handler returns: an output value, or a wait.
pub enum Reply {
    /// The operation's output shape as a JSON value.
    Output(Value),
    /// Call again later (long polling).
    Wait(Outcome),
}

impl From<Value> for Reply {
    fn from(v: Value) -> Self {
        Reply::Output(v)
    }
}

/// Serves a request of a model-described API whose bodies are documents
/// (JSON, query, or rest-xml without streaming payloads): decodes the input
/// by the model, calls `handler` with the operation and input, and encodes
/// its output or error in the model's protocol. Request ids come from the
/// request context.
pub fn serve_model(
    model: &Model,
    req: &Request,
    handler: impl FnOnce(&Operation, Value) -> Result<Reply, AwsError>,
) -> Outcome {
    let codec = Codec::new(model);
    let rid = req.context.request_id.as_str();
    let body = match req.body_bytes() {
        Ok(b) => b,
        Err(e) => return Outcome::respond(codec.encode_error(&e, rid)),
    };
    let decoded = req.with_http(&body, |http| {
        ruststack_protocol::decode_request(model, http, None)
    });
    let result = decoded.and_then(|(op, input)| handler(op, input).map(|r| (op, r)));
    match result {
        Ok((op, Reply::Output(v))) => Outcome::respond(codec.encode_output(op, &v, rid)),
        Ok((_, Reply::Wait(w))) => w,
        Err(e) => Outcome::respond(codec.encode_error(&e, rid)),
    }
}
