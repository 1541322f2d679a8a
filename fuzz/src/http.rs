//! The text form of an HTTP request that request-level targets mutate, so a
//! mutation can reach every part a client controls (method, path, query,
//! headers, body) at once:
//!
//! ```text
//! PUT /bucket?tagging HTTP/1.1
//! content-type: application/xml
//!
//! <Tagging>...</Tagging>
//! ```
//!
//! The head ends at the first empty line; everything after it is the body,
//! byte for byte. The head is read leniently (invalid UTF-8 replaced), as an
//! HTTP server would have refused what it cannot read as text anyway.

use ruststack_protocol::HttpRequest;

/// A request read from its text form.
#[derive(Debug, Clone, Default)]
pub struct RawRequest {
    /// Method as written (e.g. `PUT`).
    pub method: String,
    /// Raw path, without the query.
    pub path: String,
    /// Raw query string, without `?`.
    pub query: String,
    /// Headers, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl RawRequest {
    /// Reads the text form (never fails: a missing part is empty).
    pub fn parse(input: &[u8]) -> RawRequest {
        let (head, body) = split_head(input);
        let head = String::from_utf8_lossy(head);
        let mut lines = head.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l));
        let first = lines.next().unwrap_or("");
        let mut words = first.splitn(3, ' ');
        let method = words.next().unwrap_or("").to_string();
        let target = words.next().unwrap_or("/");
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let headers = lines
            .filter(|l| !l.is_empty())
            .map(|l| match l.split_once(':') {
                Some((k, v)) => (k.trim().to_ascii_lowercase(), v.trim_start().to_string()),
                None => (l.trim().to_ascii_lowercase(), String::new()),
            })
            .collect();
        RawRequest {
            method,
            path: path.to_string(),
            query: query.to_string(),
            headers,
            body: body.to_vec(),
        }
    }

    /// The codecs' view of this request.
    pub fn http(&self) -> HttpRequest<'_> {
        HttpRequest {
            method: &self.method,
            path: &self.path,
            query: &self.query,
            headers: &self.headers,
            body: &self.body,
        }
    }

    /// The first header with this (lower-case) name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Head and body: split at the first `\n\n` or `\r\n\r\n`.
fn split_head(input: &[u8]) -> (&[u8], &[u8]) {
    let mut i = 0;
    while i < input.len() {
        if input[i] == b'\n' {
            if input.get(i + 1) == Some(&b'\n') {
                return (&input[..i], &input[i + 2..]);
            }
            if input.get(i + 1..i + 3) == Some(b"\r\n") {
                return (&input[..i], &input[i + 3..]);
            }
        }
        i += 1;
    }
    (input, &[])
}

/// Writes the text form of a request (for seeds).
pub fn text(request_line: &str, headers: &[(&str, &str)], body: &str) -> Vec<u8> {
    let mut out = format!("{request_line} HTTP/1.1\n");
    for (k, v) in headers {
        out.push_str(&format!("{k}: {v}\n"));
    }
    out.push('\n');
    out.push_str(body);
    out.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_text_form() {
        let r =
            RawRequest::parse(b"PUT /b/k?x=1&y HTTP/1.1\r\nX-Amz-Meta-A: 1\r\n\r\nbody\n\nmore");
        assert_eq!((r.method.as_str(), r.path.as_str()), ("PUT", "/b/k"));
        assert_eq!(r.query, "x=1&y");
        assert_eq!(r.header("x-amz-meta-a"), Some("1"));
        assert_eq!(r.body, b"body\n\nmore");
        let r = RawRequest::parse(&text("GET /", &[("a", "b")], "{}"));
        assert_eq!(r.body, b"{}");
        let r = RawRequest::parse(b"");
        assert_eq!(r.path, "/");
    }
}
