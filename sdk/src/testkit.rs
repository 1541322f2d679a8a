//! A native stand-in for the host, so plugin logic is unit tested with plain
//! `cargo test`: in-memory kv and blobs, recorded timers and logs, and
//! pluggable answers for `invoke` and outbound HTTP.
//!
//! State is per thread (Rust runs each test on its own thread). [`serve`]
//! runs a request the way the host does: if the handler panics, none of its
//! kv writes are kept.
//!
//! ```ignore
//! use ruststack_sdk::testkit::{self, RequestBuilder};
//! testkit::reset();
//! let out = testkit::serve::<MyService>(RequestBuilder::json("My_2020.Get", r#"{"Id":"1"}"#).build());
//! ```

#![cfg_attr(target_arch = "wasm32", allow(dead_code))]

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};

use crate::host::{BlobError, DigestAlgorithm};
use crate::invoke::HttpAnswer;
use crate::{Body, Context, Outcome, Request, Response, Service};

type InvokeFn = Box<dyn FnMut(Request) -> Response>;
type HttpFn = Box<dyn FnMut(&str, &str, &[(String, String)], &[u8]) -> Result<HttpAnswer, String>>;

/// The simulated host.
#[derive(Default)]
pub struct TestHost {
    /// The plugin's kv namespace.
    pub kv: BTreeMap<Vec<u8>, Vec<u8>>,
    /// Blobs by id.
    pub blobs: HashMap<String, Vec<u8>>,
    /// Timers requested: (delay ms, payload).
    pub timers: Vec<(u64, Vec<u8>)>,
    /// Log lines written.
    pub logs: Vec<String>,
    /// Settings, as `--set <plugin>.<name>=<value>` gives them (by name).
    pub settings: HashMap<String, String>,
    next_blob: u64,
    invoke: Option<InvokeFn>,
    http: Option<HttpFn>,
}

thread_local! {
    static HOST: RefCell<TestHost> = RefCell::new(TestHost::default());
}

/// Runs `f` with this thread's simulated host.
pub fn with<R>(f: impl FnOnce(&mut TestHost) -> R) -> R {
    HOST.with(|h| f(&mut h.borrow_mut()))
}

/// Clears everything (start of a test).
pub fn reset() {
    with(|t| *t = TestHost::default());
    crate::migrate::forget();
}

/// Fires a timer the way the host does (in the scope that set it): pass a
/// payload from [`TestHost::timers`].
pub fn fire_timer<S: Service>(payload: Vec<u8>) {
    crate::entry::on_timer::<S>(payload)
}

/// Gives the plugin setting `name` the value `value`.
pub fn set_setting(name: &str, value: &str) {
    with(|t| t.settings.insert(name.to_string(), value.to_string()));
}

/// Answers `invoke` calls with `f` (default: 501).
pub fn on_invoke(f: impl FnMut(Request) -> Response + 'static) {
    with(|t| t.invoke = Some(Box::new(f)));
}

/// Answers outbound HTTP with `f` (default: connection refused).
pub fn on_http(
    f: impl FnMut(&str, &str, &[(String, String)], &[u8]) -> Result<HttpAnswer, String> + 'static,
) {
    with(|t| t.http = Some(Box::new(f)));
}

/// Adds a blob holding `bytes`; returns its id (e.g. for a blob request body).
pub fn add_blob(bytes: &[u8]) -> String {
    with(|t| t.new_blob(bytes.to_vec()))
}

/// Serves one request with `S` like the host does: a panic discards the writes.
pub fn serve<S: Service>(req: Request) -> Result<Outcome, String> {
    let before = with(|t| t.kv.clone());
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        crate::entry::handle::<S>(req)
    })) {
        Ok(out) => Ok(out),
        Err(p) => {
            with(|t| t.kv = before);
            Err(p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".into()))
        }
    }
}

/// Serves a request and expects a response (not a wait); returns status and body.
pub fn respond<S: Service>(req: Request) -> (u16, Vec<u8>) {
    match serve::<S>(req) {
        Ok(Outcome::Respond(r)) => {
            let body = match r.body {
                Body::Empty => Vec::new(),
                Body::Bytes(b) => b,
                Body::Blob(s) => with(|t| t.blobs.get(&s.blob).cloned().unwrap_or_default()),
            };
            (r.status, body)
        }
        Ok(Outcome::Wait(w)) => panic!(
            "expected a response, the plugin asked to wait {}ms",
            w.timeout_ms
        ),
        Err(p) => panic!("the plugin panicked: {p}"),
    }
}

impl TestHost {
    pub(crate) fn new_blob(&mut self, bytes: Vec<u8>) -> String {
        self.next_blob += 1;
        let id = format!("blob-{}", self.next_blob);
        self.blobs.insert(id.clone(), bytes);
        id
    }

    pub(crate) fn scan(
        &self,
        start: &[u8],
        end: Option<&[u8]>,
        limit: u32,
        reverse: bool,
    ) -> Vec<(Vec<u8>, Vec<u8>)> {
        use std::ops::Bound;
        if end.is_some_and(|e| e <= start) {
            return Vec::new();
        }
        let upper = end.map_or(Bound::Unbounded, |e| Bound::Excluded(e.to_vec()));
        let range = self.kv.range((Bound::Included(start.to_vec()), upper));
        let rows = range.map(|(k, v)| (k.clone(), v.clone()));
        if reverse {
            rows.rev().take(limit as usize).collect()
        } else {
            rows.take(limit as usize).collect()
        }
    }
}

pub(crate) fn invoke(req: Request) -> Response {
    let f = with(|t| t.invoke.take());
    match f {
        Some(mut f) => {
            let r = f(req);
            with(|t| t.invoke = Some(f));
            r
        }
        None => Response {
            status: 501,
            headers: Vec::new(),
            body: Body::Empty,
        },
    }
}

pub(crate) fn http_send(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> Result<HttpAnswer, String> {
    let f = with(|t| t.http.take());
    match f {
        Some(mut f) => {
            let r = f(method, url, headers, body);
            with(|t| t.http = Some(f));
            r
        }
        None => Err("connection refused (testkit has no HTTP handler)".into()),
    }
}

/// Digests natively: only MD5-free algorithms need no extra crates, so the
/// test kit supports CRC32 and reports the others as unavailable.
pub(crate) fn digest(bytes: &[u8], alg: DigestAlgorithm) -> Result<Vec<u8>, BlobError> {
    match alg {
        DigestAlgorithm::Crc32 => {
            let mut crc = 0xFFFF_FFFFu32;
            for &b in bytes {
                crc ^= b as u32;
                for _ in 0..8 {
                    crc = if crc & 1 != 0 {
                        (crc >> 1) ^ 0xEDB8_8320
                    } else {
                        crc >> 1
                    };
                }
            }
            Ok((!crc).to_be_bytes().to_vec())
        }
        other => Err(BlobError::Io(format!(
            "the test kit does not compute {other:?}"
        ))),
    }
}

/// Builds requests for tests.
pub struct RequestBuilder {
    req: Request,
}

impl RequestBuilder {
    /// A request with the given method and path and a default context.
    pub fn new(method: &str, path: &str) -> Self {
        Self {
            req: Request {
                method: method.into(),
                path: path.into(),
                query: String::new(),
                headers: vec![("host".into(), "localhost:4566".into())],
                body: Body::Empty,
                context: Context {
                    region: "us-east-1".into(),
                    account: "000000000000".into(),
                    access_key: Some("test".into()),
                    signing_service: None,
                    host: "localhost".into(),
                    port: 4566,
                    request_id: "00000000-0000-4000-8000-000000000000".into(),
                    received_at_ms: crate::ids::now_ms(),
                    internal: false,
                    final_call: false,
                    attempt: 0,
                },
            },
        }
    }

    /// A JSON-protocol call: `POST /` with `X-Amz-Target` and a JSON body.
    pub fn json(target: &str, body: &str) -> Self {
        Self::new("POST", "/")
            .header("x-amz-target", target)
            .header("content-type", "application/x-amz-json-1.0")
            .body(body.as_bytes())
    }

    /// Adds a header.
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.req
            .headers
            .push((name.to_ascii_lowercase(), value.into()));
        self
    }

    /// Sets the raw query string.
    pub fn query(mut self, q: &str) -> Self {
        self.req.query = q.into();
        self
    }

    /// Sets an in-memory body.
    pub fn body(mut self, b: &[u8]) -> Self {
        self.req.body = if b.is_empty() {
            Body::Empty
        } else {
            Body::Bytes(b.to_vec())
        };
        self
    }

    /// Sets the body to a new blob holding `b` (as the host does for big bodies).
    pub fn blob_body(mut self, b: &[u8]) -> Self {
        let id = add_blob(b);
        self.req.body = Body::Blob(crate::blobs::whole(&id));
        self
    }

    /// Marks the request as the final call (the host will not wait again).
    pub fn final_call(mut self) -> Self {
        self.req.context.final_call = true;
        self
    }

    /// Marks the request as run again after `n` lost compare-and-set races.
    pub fn attempt(mut self, n: u32) -> Self {
        self.req.context.attempt = n;
        self
    }

    /// The request.
    pub fn build(self) -> Request {
        self.req
    }
}
