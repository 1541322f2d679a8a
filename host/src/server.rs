//! The HTTP front: every request is routed to a plugin and answered with what
//! the plugin returns; the host adds only health endpoints and its own errors.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::body::Body as AxumBody;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response as AxumResponse};
use ruststack_protocol::Protocol;

use crate::body::{self, Received};
use crate::identity;
use crate::router::{RequestFacts, facts_of, is_form_post, without_port};
use crate::runtime::{Answer, AnswerBody, Runtime, errors};
use crate::signatures::{BodyRef, Signatures};
use crate::store::{now_ms, random_hex};
use crate::wit::{Body, Context, Request};

/// Shared by every request handler.
#[derive(Clone)]
pub struct App {
    /// Plugins and store.
    pub runtime: Arc<Runtime>,
    /// The account of requests whose access key id is not an account id.
    pub default_account: Arc<str>,
    /// The region of requests that name none (unsigned, no regional host).
    pub default_region: Arc<str>,
    /// The `Host` names served ([`crate::guard`]).
    pub allowed_hosts: Arc<crate::guard::AllowedHosts>,
    /// Signature checks, when `--verify-signatures` is on.
    pub signatures: Option<Arc<Signatures>>,
    /// Write a request log line per call ([`crate::requestlog`]).
    pub log_requests: bool,
    /// Init scripts and their states ([`crate::init`]).
    pub init: Arc<crate::init::Init>,
    /// This server's URL, for the shutdown scripts.
    pub endpoint: String,
    /// Fault injection rules ([`crate::faults`]).
    pub faults: Arc<crate::faults::Faults>,
    /// Recent calls, for the console ([`crate::calls`]).
    pub calls: Arc<crate::calls::RecentCalls>,
}

/// Requests received since start-up: each takes its number for its request
/// id, and the idle trimmer ([`crate::memory`]) watches the count.
static REQUESTS: AtomicU64 = AtomicU64::new(0);

/// How many requests have been received so far (health checks not counted).
pub fn requests_received() -> u64 {
    REQUESTS.load(Ordering::Relaxed)
}

/// An id in the shape AWS uses for request ids (a v4 UUID): a random
/// per-process seed mixed with the request's number, so ids are unique
/// without a system call per request.
pub fn request_id() -> String {
    use std::sync::OnceLock;
    static SEED: OnceLock<(u64, u64)> = OnceLock::new();
    let (a, b) = *SEED.get_or_init(|| {
        let h = random_hex(16);
        (
            u64::from_str_radix(&h[..16], 16).unwrap_or(1),
            u64::from_str_radix(&h[16..], 16).unwrap_or(2),
        )
    });
    let n = REQUESTS.fetch_add(1, Ordering::Relaxed);
    // splitmix64, so consecutive ids look unrelated.
    let mix = |x: u64| {
        let mut z = x.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    // 32 random hex digits laid out as a v4 UUID (`xxxxxxxx-xxxx-4xxx-axxx-
    // xxxxxxxxxxxx`), written in one go: this runs for every request.
    let bits = (u128::from(mix(n ^ a)) << 64) | u128::from(mix(n.wrapping_add(b)));
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = [b'-'; 36];
    let mut digit = 0;
    for (i, slot) in out.iter_mut().enumerate() {
        *slot = match i {
            8 | 13 | 18 | 23 => continue,
            14 => b'4',
            19 => b'a',
            _ => HEX[((bits >> (124 - 4 * digit)) & 0xf) as usize],
        };
        digit += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

async fn handle(State(app): State<Arc<App>>, req: axum::extract::Request) -> AxumResponse {
    let started = std::time::Instant::now();
    let (parts, body) = req.into_parts();
    let path = parts.uri.path().to_string();
    if parts.method == Method::GET || parts.method == Method::HEAD {
        match path.as_str() {
            "/_ruststack/health" => {
                return axum::Json(crate::health::ruststack(&app.runtime)).into_response();
            }
            "/_localstack/health" => {
                return axum::Json(crate::health::localstack(&app.runtime)).into_response();
            }
            "/_ruststack/plugins" => {
                return axum::Json(crate::health::plugins(&app.runtime)).into_response();
            }
            "/_localstack/init" => return axum::Json(app.init.report()).into_response(),
            "/_ruststack/calls" => {
                let after = parts
                    .uri
                    .query()
                    .and_then(|q| q.strip_prefix("after="))
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(0);
                return axum::Json(serde_json::json!({ "calls": app.calls.since(after) }))
                    .into_response();
            }
            "/_ruststack" | "/_ruststack/" => return crate::console::page(),
            "/_ruststack/resources" => return resources_endpoint(&app, parts.uri.query()).await,
            p if p.starts_with("/_localstack/init/") => {
                let stage = &p["/_localstack/init/".len()..];
                return match app.init.report_stage(stage) {
                    Some(v) => axum::Json(v).into_response(),
                    None => StatusCode::NOT_FOUND.into_response(),
                };
            }
            _ => {}
        }
    }
    if path == "/_ruststack/faults" {
        return faults_endpoint(&app, &parts.method, body).await;
    }
    if path == "/_ruststack/state" {
        return state_endpoint(&app, &parts.method, body).await;
    }
    let rid = request_id();
    let query = parts.uri.query().unwrap_or("").to_string();
    let mut headers: Vec<(String, String)> = parts
        .headers
        .iter()
        .map(|(k, v)| (k.as_str().to_string(), header_text(v.as_bytes())))
        .collect();
    if !headers.iter().any(|(k, _)| k == "host")
        && let Some(a) = parts.uri.authority()
    {
        headers.push(("host".into(), a.to_string()));
    }
    let store = app.runtime.store().clone();
    // A request that names its service without its body (all but form
    // posts) is held to that service's body limit before any of the body is
    // read: a declared length over it is refused at once.
    let method = parts.method.as_str();
    let early = (!is_form_post(method, &headers)).then(|| {
        let facts = facts_of(method, &path, &query, &headers, &[]);
        let slot = app.runtime.route(&facts);
        (facts, slot)
    });
    let host_header = header(&headers, "host").unwrap_or_default();
    let host_name = without_port(host_header);
    if !app.allowed_hosts.allows(&host_name) {
        let slot = early.as_ref().and_then(|(_, slot)| slot.as_deref());
        return to_axum(errors::host_not_allowed(slot, &host_name, &rid).into());
    }
    let signed = ruststack_auth::Request {
        method,
        path: &path,
        query: &query,
        headers: &headers,
    };
    // A signature that does not cover the body is checked before the body
    // is received.
    let mut verified = None;
    if let Some(sig) = &app.signatures
        && let Some((facts, Some(slot))) = &early
    {
        let wording = errors::wording(slot, facts);
        match sig.check_early(wording, &signed) {
            Some(Ok(v)) => verified = Some(v),
            Some(Err(e)) => {
                return to_axum(
                    ruststack_protocol::error_response(wording.protocol, &e, &rid).into(),
                );
            }
            None => {}
        }
    }
    let early_limit = early
        .as_ref()
        .and_then(|(_, slot)| slot.as_deref())
        .and_then(|slot| {
            slot.current()
                .description
                .body_limit
                .clone()
                .map(|l| (slot, l))
        });
    if let Some((slot, limit)) = &early_limit
        && parts
            .headers
            .get(axum::http::header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
            .is_some_and(|len| len > limit.max_bytes)
    {
        return to_axum(errors::body_too_large(slot, limit, &rid).into());
    }
    let max = early_limit.as_ref().map(|(_, l)| l.max_bytes);
    // A body its plugin wants as a blob goes to disk as soon as it is longer
    // than the plugin keeps in memory, so that concurrent uploads (S3 PUTs)
    // do not each hold a megabyte in memory first.
    let spill_at = early
        .as_ref()
        .and_then(|(_, slot)| slot.as_deref())
        .map_or(body::SPILL_AT, |slot| {
            slot.current().description.max_inline_body as usize
        });
    let received = match body::receive(body, store.blob_dir(), spill_at, max).await {
        Ok(r) => r,
        Err(body::ReceiveError::TooLarge) => {
            let (slot, limit) = early_limit.expect("only a limit makes a body too large");
            return to_axum(errors::body_too_large(slot, &limit, &rid).into());
        }
        Err(body::ReceiveError::Failed(e)) => {
            tracing::warn!("reading a request body failed: {e:#}");
            return StatusCode::BAD_REQUEST.into_response();
        }
    };
    let (facts, slot) = match early {
        Some((facts, slot)) => (facts, slot),
        None => {
            let mem: &[u8] = match &received {
                Received::Memory(b) => b,
                Received::Blob(_) => &[],
            };
            let facts = facts_of(method, &path, &query, &headers, mem);
            let slot = app.runtime.route(&facts);
            (facts, slot)
        }
    };
    let Some(slot) = slot else {
        received.discard(store.blob_dir());
        if let Some(service) = app.runtime.disabled_for(&facts) {
            return to_axum(errors::not_enabled(&service, &facts, &rid).into());
        }
        return to_axum(errors::unrouted(&facts, &rid).into());
    };
    if errors::protocol_of(&slot) != Protocol::RestXml
        && ruststack_protocol::browser::is_cross_site(
            header(&headers, "origin"),
            header(&headers, "sec-fetch-site"),
            host_header,
        )
        && header(&headers, "authorization").is_none()
    {
        received.discard(store.blob_dir());
        return to_axum(errors::cross_site(&slot, &facts, &rid).into());
    }
    if let Some(sig) = &app.signatures {
        let wording = errors::wording(&slot, &facts);
        let body_ref = match &received {
            Received::Memory(b) => BodyRef::Memory(b),
            Received::Blob(inc) => {
                BodyRef::File(crate::store::blob_file_path(store.blob_dir(), &inc.file))
            }
        };
        if let Err(e) = sig.check(wording, &signed, verified, body_ref).await {
            received.discard(store.blob_dir());
            return to_axum(ruststack_protocol::error_response(wording.protocol, &e, &rid).into());
        }
    }
    let description = &slot.current().description;
    if let Some(limit) = &description.body_limit
        && received.len() > limit.max_bytes
    {
        received.discard(store.blob_dir());
        return to_axum(errors::body_too_large(&slot, limit, &rid).into());
    }
    let limit = description.max_inline_body as usize;
    // For the console's feed: the request as it came, while someone watches.
    let request_line = if query.is_empty() {
        format!("{method} {path}")
    } else {
        format!("{method} {path}?{query}")
    };
    let watched = app.calls.watched().then(|| {
        let head = match &received {
            Received::Memory(b) => crate::calls::head(b),
            Received::Blob(_) => String::new(),
        };
        (headers.clone(), head, received.len())
    });
    let (body, incoming) = match received {
        Received::Memory(b) if b.is_empty() => (Body::Empty, None),
        Received::Memory(b) if b.len() <= limit => (Body::Bytes(b), None),
        Received::Memory(b) => match body::to_blob(&b, store.blob_dir()).await {
            Ok(inc) => (blob_body(&inc), Some(inc)),
            Err(e) => {
                tracing::error!("writing a request body to disk failed: {e:#}");
                let e = ruststack_protocol::AwsError::internal_failure();
                return to_axum(errors::aws_error(&slot, &e, &rid).into());
            }
        },
        Received::Blob(inc) => (blob_body(&inc), Some(inc)),
    };
    let port = host_header
        .rsplit_once(':')
        .and_then(|(_, p)| p.parse().ok())
        .unwrap_or(80);
    let request = Request {
        method: method.to_string(),
        path,
        query,
        headers,
        body,
        context: Context {
            region: facts
                .region
                .clone()
                .or_else(|| identity::region_from_host(&facts.host).map(str::to_string))
                .unwrap_or_else(|| app.default_region.to_string()),
            account: identity::account_for(facts.access_key.as_deref(), &app.default_account),
            access_key: facts.access_key.clone(),
            signing_service: facts.signing_service.clone(),
            host: facts.host.clone(),
            port,
            request_id: rid.clone(),
            received_at_ms: now_ms(),
            internal: false,
            final_call: false,
            attempt: 0,
        },
    };
    // Fault rules: those that apply before the call (the operation is known
    // from the request, or the rule names none) answer without calling the
    // plugin; those naming an operation only the plugin knows (REST) look at
    // its answer and throw its writes away.
    // Without rules (the usual case) none of this costs anything.
    let scope = (!app.faults.is_empty()).then(|| {
        (
            request.context.region.clone(),
            request.context.account.clone(),
        )
    });
    let call = scope.as_ref().map(|(region, account)| crate::faults::Call {
        plugin: &slot.name,
        region,
        account,
    });
    let mut after_call = None;
    if let Some(call) = &call {
        let named = match errors::protocol_of(&slot) {
            Protocol::RestXml | Protocol::RestJson => None,
            _ => Some(crate::requestlog::named_operation(&facts)),
        };
        if let Some(fault) = app.faults.pick(call, named.as_deref()) {
            tokio::time::sleep(fault.latency).await;
            if let Some(e) = &fault.error {
                received_discard(&incoming, &store);
                return faulted(&app, &slot, &facts, e, named.as_deref(), started, &rid);
            }
        }
        if named.is_none() && app.faults.needs_operation(call) {
            after_call = Some(std::sync::Mutex::new(None));
        }
    }
    let veto = |o: &crate::wit::Outcome| {
        let (Some(call), Some(slot_for_fault), crate::wit::Outcome::Respond(r)) =
            (&call, &after_call, o)
        else {
            return false;
        };
        let op = r
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(crate::requestlog::OPERATION_HEADER))
            .map(|(_, v)| v.as_str());
        let fault = op.and_then(|op| app.faults.pick_named(call, op));
        let refuse = fault.as_ref().is_some_and(|f| f.error.is_some());
        *slot_for_fault.lock().unwrap() = fault.map(|f| (f, op.unwrap_or("-").to_string()));
        refuse
    };
    let result = app
        .runtime
        .serve(
            &slot,
            request,
            incoming.clone(),
            0,
            None,
            after_call
                .as_ref()
                .map(|_| &veto as crate::runtime::Veto<'_>),
        )
        .await;
    received_discard(&incoming, &store);
    if let Some(Some((fault, op))) = after_call.map(|m| m.into_inner().unwrap()) {
        tokio::time::sleep(fault.latency).await;
        if let Some(e) = &fault.error {
            return faulted(&app, &slot, &facts, e, Some(&op), started, &rid);
        }
    }
    let (answer, said) = match result {
        Ok(mut reply) => {
            let said = crate::requestlog::take_said(&mut reply.headers);
            (reply, said)
        }
        Err(f) => {
            let error = errors::failure_error(&slot, &f);
            let said = crate::requestlog::Said {
                operation: None,
                error_code: Some(error.code.clone()),
            };
            (
                answer_of(errors::aws_error(&slot, &error, &rid).into()),
                said,
            )
        }
    };
    let operation = said
        .operation
        .unwrap_or_else(|| crate::requestlog::named_operation(&facts));
    let took = started.elapsed();
    if app.log_requests {
        crate::requestlog::write(
            &slot.name,
            &operation,
            answer.status,
            took,
            &rid,
            said.error_code.as_deref(),
        );
    }
    app.calls.push(crate::calls::Call {
        seq: 0,
        time_ms: crate::store::now_ms(),
        plugin: slot.name.to_string(),
        operation,
        status: answer.status,
        ms: took.as_secs_f64() * 1000.0,
        request_id: rid,
        error_code: said.error_code,
        request_line,
        details: watched.map(|(request_headers, request_body, request_length)| {
            crate::calls::Details {
                request_headers,
                request_body,
                request_length,
                response_headers: answer.headers.clone(),
                response_body: match &answer.body {
                    AnswerBody::Bytes(b) => crate::calls::head(b),
                    AnswerBody::Files(_) => String::new(),
                },
            }
        }),
    });
    reply_to_axum(answer)
}

/// `GET /_ruststack/resources[?account=…&region=…]`: what every plugin
/// stores in that account and region (the default account and `us-east-1`
/// unless given), for the console.
async fn resources_endpoint(app: &App, query: Option<&str>) -> AxumResponse {
    let field = |name| {
        crate::router::form_field(query.unwrap_or(""), name)
            .map(ruststack_protocol::encoding::form_decode)
    };
    let account = field("account").unwrap_or_else(|| app.default_account.to_string());
    let region = field("region").unwrap_or_else(|| app.default_region.to_string());
    let mut listed = Vec::new();
    for slot in app.runtime.registry().slots.iter() {
        match app.runtime.resources(slot, &account, &region).await {
            Ok(resources) => listed.extend(resources.into_iter().map(|r| {
                serde_json::json!({
                    "plugin": &*slot.name, "kind": r.kind, "name": r.name,
                    "count": r.count, "detail": r.detail,
                })
            })),
            Err(f) => tracing::warn!(plugin = &*slot.name, "listing its resources failed: {f}"),
        }
    }
    axum::Json(serde_json::json!({ "account": account, "region": region, "resources": listed }))
        .into_response()
}

/// `/_ruststack/faults`: GET lists the rules, POST adds one or a list (JSON),
/// DELETE removes them all.
async fn faults_endpoint(app: &App, method: &Method, body: AxumBody) -> AxumResponse {
    let list = |status| {
        (
            status,
            axum::Json(serde_json::json!({ "rules": app.faults.list() })),
        )
    };
    match *method {
        Method::GET | Method::HEAD => list(StatusCode::OK).into_response(),
        Method::DELETE => {
            app.faults.clear();
            list(StatusCode::OK).into_response()
        }
        Method::POST => {
            let Ok(bytes) = axum::body::to_bytes(body, 1 << 20).await else {
                return (StatusCode::PAYLOAD_TOO_LARGE, "fault rules over 1 MiB").into_response();
            };
            match app.faults.add_json(&bytes) {
                Ok(_) => list(StatusCode::OK).into_response(),
                Err(e) => (
                    StatusCode::BAD_REQUEST,
                    axum::Json(serde_json::json!({ "error": format!("{e:#}") })),
                )
                    .into_response(),
            }
        }
        _ => StatusCode::METHOD_NOT_ALLOWED.into_response(),
    }
}

/// `/_ruststack/state`: GET streams the whole state as one archive, taken at
/// a consistent point while requests go on; POST replaces the state with
/// an uploaded archive.
async fn state_endpoint(app: &App, method: &Method, body: AxumBody) -> AxumResponse {
    let store = app.runtime.store().clone();
    let failed = |status: StatusCode, e: anyhow::Error| {
        (
            status,
            axum::Json(serde_json::json!({ "error": format!("{e:#}") })),
        )
            .into_response()
    };
    let temp = store
        .scratch_dir()
        .join(format!("state-{}.tar", crate::store::random_hex(8)));
    match *method {
        Method::GET => {
            let path = temp.clone();
            let written = tokio::task::spawn_blocking(move || -> anyhow::Result<std::fs::File> {
                let file = std::fs::File::create(&path)?;
                store.export(std::io::BufWriter::new(&file))?;
                let reader = std::fs::File::open(&path)?;
                // Unlinked now; the open file streams out and is gone after.
                std::fs::remove_file(&path)?;
                Ok(reader)
            })
            .await;
            match written {
                Ok(Ok(file)) => {
                    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
                    let stream = tokio_util::io::ReaderStream::new(tokio::fs::File::from_std(file));
                    (
                        [
                            ("content-type", "application/x-tar".to_string()),
                            ("content-length", len.to_string()),
                            (
                                "content-disposition",
                                "attachment; filename=\"ruststack-state.tar\"".to_string(),
                            ),
                        ],
                        AxumBody::from_stream(stream),
                    )
                        .into_response()
                }
                Ok(Err(e)) => {
                    let _ = std::fs::remove_file(&temp);
                    failed(StatusCode::INTERNAL_SERVER_ERROR, e)
                }
                Err(e) => failed(StatusCode::INTERNAL_SERVER_ERROR, e.into()),
            }
        }
        Method::POST => {
            let received = body::save_to_file(body, &temp).await;
            if let Err(e) = received {
                let _ = std::fs::remove_file(&temp);
                return failed(StatusCode::BAD_REQUEST, e);
            }
            let path = temp.clone();
            let imported = tokio::task::spawn_blocking(move || {
                store.import(std::io::BufReader::new(std::fs::File::open(&path)?))
            })
            .await;
            let _ = std::fs::remove_file(&temp);
            match imported {
                Ok(Ok(plugins)) => {
                    app.runtime.ensure_namespaces();
                    axum::Json(serde_json::json!({ "imported": plugins })).into_response()
                }
                Ok(Err(e)) => failed(StatusCode::BAD_REQUEST, e),
                Err(e) => failed(StatusCode::INTERNAL_SERVER_ERROR, e.into()),
            }
        }
        _ => StatusCode::METHOD_NOT_ALLOWED.into_response(),
    }
}

/// Lets go of a request body in a blob unless the plugin kept it.
fn received_discard(
    incoming: &Option<Arc<crate::store::IncomingBody>>,
    store: &crate::store::Store,
) {
    if let Some(inc) = incoming {
        body::discard_unless_kept(inc, store.blob_dir());
    }
}

/// The answer of a fault rule: its error in the protocol the request came
/// in, logged like any call.
fn faulted(
    app: &App,
    slot: &crate::runtime::Slot,
    facts: &RequestFacts,
    e: &crate::faults::FaultError,
    operation: Option<&str>,
    started: std::time::Instant,
    rid: &str,
) -> AxumResponse {
    let error = ruststack_protocol::AwsError::new(e.status, e.code.clone(), e.message.clone());
    let protocol = errors::request_protocol(slot, facts);
    let response: crate::wit::Response =
        ruststack_protocol::error_response(protocol, &error, rid).into();
    if app.log_requests {
        crate::requestlog::write(
            &slot.name,
            operation.unwrap_or("-"),
            response.status,
            started.elapsed(),
            rid,
            Some(&format!("{} (fault rule)", e.code)),
        );
    }
    to_axum(response)
}

/// A header's value (lower-case name).
/// A header value as text: UTF-8 when it is, else each byte as the
/// ISO-8859-1 character HTTP has historically meant by it (what clients such
/// as Python's `http.client` send), never a replacement character.
fn header_text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => bytes.iter().map(|&b| char::from(b)).collect(),
    }
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn blob_body(inc: &crate::store::IncomingBody) -> Body {
    Body::Blob(crate::wit::BlobSlice {
        blob: inc.blob_id.clone(),
        offset: 0,
        length: Some(inc.len),
    })
}

fn to_axum(resp: crate::wit::Response) -> AxumResponse {
    reply_to_axum(answer_of(resp))
}

/// A host-made response as an [`Answer`].
fn answer_of(resp: crate::wit::Response) -> Answer {
    let body = match resp.body {
        Body::Bytes(b) => AnswerBody::Bytes(b),
        _ => AnswerBody::Bytes(Vec::new()),
    };
    Answer {
        status: resp.status,
        headers: resp.headers,
        body,
    }
}

fn reply_to_axum(reply: Answer) -> AxumResponse {
    let mut headers = HeaderMap::with_capacity(reply.headers.len() + 2);
    for (k, v) in reply.headers {
        // The value's own buffer becomes the header value, without a copy.
        match (
            HeaderName::try_from(k.as_str()),
            HeaderValue::from_maybe_shared(bytes::Bytes::from(v)),
        ) {
            (Ok(k), Ok(v)) => {
                headers.append(k, v);
            }
            _ => tracing::warn!("dropping invalid response header {k:?}"),
        }
    }
    let body = match reply.body {
        AnswerBody::Bytes(b) => AxumBody::from(b),
        AnswerBody::Files(files) => {
            if !headers.contains_key("content-length") {
                let total: u64 = files.iter().map(|(_, _, l)| *l).sum();
                headers.insert("content-length", HeaderValue::from(total));
            }
            body::stream_files(files)
        }
    };
    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (status, headers, body).into_response()
}

/// Serves until SIGINT/SIGTERM, then stops accepting, ends long polls, lets
/// in-flight requests finish and returns.
pub async fn serve(app: App, listener: tokio::net::TcpListener) -> anyhow::Result<()> {
    let feed = app.runtime.store().feed().clone();
    let (init, endpoint) = (app.init.clone(), app.endpoint.clone());
    let shutdown = async move {
        shutdown_signal().await;
        // Shutdown scripts run while the server still answers them.
        init.run(crate::init::Stage::Shutdown, &endpoint).await;
        tracing::info!("shutting down: finishing in-flight requests");
        feed.close();
    };
    axum::serve(
        listener,
        // One handler for every path (the host has no routes of its own
        // beyond health), served without a router in front. The state is
        // cloned per request: one shared count, not one per field.
        axum::handler::Handler::with_state(handle, Arc::new(app)).into_make_service(),
    )
    .with_graceful_shutdown(shutdown)
    .await?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn request_ids_look_like_v4_uuids_and_differ() {
        let (a, b) = (super::request_id(), super::request_id());
        assert_ne!(a, b);
        for id in [a, b] {
            assert_eq!(id.len(), 36, "{id}");
            for (i, c) in id.chars().enumerate() {
                match i {
                    8 | 13 | 18 | 23 => assert_eq!(c, '-', "{id}"),
                    14 => assert_eq!(c, '4', "{id}"),
                    19 => assert_eq!(c, 'a', "{id}"),
                    _ => assert!(c.is_ascii_hexdigit() && !c.is_ascii_uppercase(), "{id}"),
                }
            }
        }
    }
}
