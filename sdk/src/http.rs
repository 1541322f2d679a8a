//! Glue between the host's request/response records and the protocol codecs.

use ruststack_protocol::{AwsError, Codec, HttpRequest, HttpResponse, Model, Operation, Value};

use crate::{Body, BodyLimit, Outcome, Request, Response, Wait, blobs};

/// The headers [`answer`] sets for the host's request log.
pub use ruststack_protocol::log_headers::{ERROR_CODE_HEADER, OPERATION_HEADER};

thread_local! {
    /// The operation the running request was resolved to, for [`answer`].
    static OPERATION: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Records which operation the running request is, for the request log,
/// when a plugin resolves operations itself (not through [`decode`]): an
/// error answered before the handler runs then still names it.
pub fn note_operation(name: &str) {
    OPERATION.with(|o| *o.borrow_mut() = Some(name.to_string()));
}

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

/// What every operation handler returns, in every plugin: the output value
/// (encoded by the model), what the model cannot say (a streaming body, a
/// status of its own, headers it does not describe), or a wait.
#[derive(Default)]
pub struct Reply {
    /// The operation's output shape as a JSON value.
    pub value: Value,
    /// A body that replaces the encoded one (streamed blobs, e.g. GetObject).
    pub body: Option<Body>,
    /// A status other than the model's (206 for a range).
    pub status: Option<u16>,
    /// Headers the model does not describe.
    pub headers: Vec<(String, String)>,
    /// Set when the call should be made again later instead (long polling).
    pub wait: Option<Wait>,
}

impl Reply {
    /// Be called again when a key starting with `prefix` changes, or after
    /// `timeout_ms`.
    pub fn wait(prefix: &[u8], timeout_ms: u32) -> Self {
        Reply {
            wait: Some(Wait {
                prefix: crate::scope::scoped(prefix),
                timeout_ms,
            }),
            ..Reply::default()
        }
    }
}

impl From<Value> for Reply {
    fn from(value: Value) -> Self {
        Reply {
            value,
            ..Reply::default()
        }
    }
}

/// Decodes a request of `codec`'s model into its operation and input.
pub fn decode<'m>(
    codec: &Codec<'m>,
    req: &Request,
    body: &[u8],
) -> Result<(&'m Operation, Value), AwsError> {
    let decoded = req.with_http(body, |http| codec.decode_request(http, None));
    if let Ok((op, _)) = &decoded {
        note_operation(&op.name);
    }
    decoded
}

/// The one way an operation's result becomes the answer: the output encoded
/// by the model with the reply's status, headers and body, or the error in
/// the service's protocol. A 304 and any answer to HEAD carry no body, as
/// HTTP requires.
pub fn answer(
    req: &Request,
    codec: &Codec<'_>,
    result: Result<(&Operation, Reply), AwsError>,
) -> Outcome {
    let rid = req.context.request_id.as_str();
    let noted = OPERATION.with(|o| o.borrow_mut().take());
    let operation = match &result {
        Ok((op, _)) => Some(op.name.clone()),
        Err(_) => noted,
    };
    let code = result.as_ref().err().map(|e| e.code.clone());
    let mut resp: Response = match result {
        Ok((_, Reply { wait: Some(w), .. })) => return Outcome::Wait(w),
        Ok((op, reply)) => {
            let mut r = codec.encode_output(op, &reply.value, rid);
            if let Some(s) = reply.status {
                r.status = s;
            }
            r.headers.extend(reply.headers);
            let mut resp: Response = r.into();
            if let Some(b) = reply.body {
                resp.body = b;
            }
            resp
        }
        Err(e) => {
            // The error's headers (a delete marker, an ETag on a 304) are
            // written by the codec.
            let mut r: Response = codec.encode_error(&e, rid).into();
            if e.status == 304 {
                r.body = Body::Empty;
                r.headers
                    .retain(|(k, _)| !k.eq_ignore_ascii_case("content-type"));
            }
            r
        }
    };
    if req.method == "HEAD" {
        resp.body = Body::Empty;
    }
    if let Some(op) = operation {
        resp.headers.push((OPERATION_HEADER.to_string(), op));
    }
    if let Some(code) = code {
        resp.headers.push((ERROR_CODE_HEADER.to_string(), code));
    }
    Outcome::Respond(resp)
}

/// Serves a request of a model-described API: reads the body, decodes the
/// input by the model, calls `handler` with the operation and input, and
/// [`answer`]s with its reply or error.
pub fn serve_model(
    model: &Model,
    req: &Request,
    handler: impl FnOnce(&Operation, Value) -> Result<Reply, AwsError>,
) -> Outcome {
    let codec = Codec::new(model);
    let result = req.body_bytes().and_then(|body| {
        let (op, input) = decode(&codec, req, &body)?;
        handler(op, input).map(|r| (op, r))
    });
    answer(req, &codec, result)
}
