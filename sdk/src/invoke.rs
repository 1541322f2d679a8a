//! Calling another plugin (SNS delivering to SQS, S3 event notifications),
//! and outbound HTTP.

use crate::host;
use crate::{Request, Response};

/// Sends `req` to whichever plugin serves it, as a client would.
pub fn call(req: &Request) -> Response {
    host::invoke(req)
}

/// An answer from an HTTP server.
pub struct HttpAnswer {
    /// Status code.
    pub status: u16,
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Vec<u8>,
}

/// Sends an HTTP request to `url` (plain HTTP) and waits at most `timeout_ms`.
pub fn http(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: &[u8],
    timeout_ms: u32,
) -> Result<HttpAnswer, String> {
    host::http_send(method, url, headers, body, timeout_ms)
}
