//! Errors the host itself answers (no plugin claimed the request, a plugin
//! trapped or timed out), shaped by the sdk's protocol codecs so the caller's
//! SDK parses them like AWS's.

use ruststack_protocol::{AwsError, HttpResponse, Protocol, error_response};

use crate::router::RequestFacts;
use crate::runtime::Failure;
use crate::runtime::Slot;
use crate::wit::{self, Body};

/// The wire protocol a plugin declared.
pub fn protocol_of(slot: &Slot) -> Protocol {
    match slot.current().description.protocol {
        wit::Protocol::RestXml => Protocol::RestXml,
        wit::Protocol::Query => Protocol::Query,
        wit::Protocol::Json => Protocol::Json,
        wit::Protocol::RestJson => Protocol::RestJson,
    }
}

/// An AWS error in the protocol of the plugin in `slot`.
pub fn aws_error(slot: &Slot, error: &AwsError, request_id: &str) -> HttpResponse {
    error_response(protocol_of(slot), error, request_id)
}

/// A request body over the limit the plugin in `slot` declared.
pub fn body_too_large(slot: &Slot, limit: &wit::BodyLimit, request_id: &str) -> HttpResponse {
    let e = AwsError::new(limit.status, limit.code.clone(), limit.message.clone());
    aws_error(slot, &e, request_id)
}

/// A panic, trap, timeout or store failure: AWS's 500 `InternalFailure`; a
/// call stopped by a memory limit: AWS's throttling error, which SDKs retry
/// after a pause (S3's 503 `SlowDown`, elsewhere 400 `ThrottlingException`).
/// The message says which it was (a panic with its message), so that a
/// plugin's author sees it in the client's error as in the server's log,
/// where the same request id is.
pub fn for_failure(slot: &Slot, failure: &Failure, request_id: &str) -> HttpResponse {
    aws_error(slot, &failure_error(slot, failure), request_id)
}

/// The AWS error [`for_failure`] answers.
pub fn failure_error(slot: &Slot, failure: &Failure) -> AwsError {
    match failure {
        Failure::Memory { plugin, hit, .. } => {
            let why = format!("(The plugin {plugin} reached its {hit} memory limit.)");
            match protocol_of(slot) {
                Protocol::RestXml => AwsError::new(
                    503,
                    "SlowDown",
                    format!("Please reduce your request rate. {why}"),
                ),
                _ => AwsError::client(
                    "ThrottlingException",
                    format!("The request was denied due to request throttling. {why}"),
                ),
            }
        }
        Failure::Panic { plugin, message } => {
            internal(format!("The plugin {plugin} panicked: {message}"))
        }
        Failure::Timeout { plugin, timeout } => internal(format!(
            "The plugin {plugin} ran past its {} ms time limit and was stopped.",
            timeout.as_millis()
        )),
        Failure::Trap { plugin, message } => {
            // The first line; the wasm backtrace is in the server's log.
            let first = message.lines().next().unwrap_or("");
            internal(format!("The plugin {plugin} trapped: {first}"))
        }
        Failure::Unavailable { plugin, message } => internal(format!(
            "The plugin {plugin} could not complete the request: {message}"
        )),
        Failure::Vetoed { plugin } => internal(format!(
            "A fault rule answered instead of the plugin {plugin}."
        )),
    }
}

/// AWS's 500 `InternalFailure` with its message.
fn internal(message: String) -> AwsError {
    AwsError::new(500, "InternalFailure", message)
}

/// A request naming a `Host` this server does not answer to
/// ([`crate::guard::AllowedHosts`]), in the protocol of the plugin it would
/// reach (S3's shape when none).
pub fn host_not_allowed(slot: Option<&Slot>, host: &str, request_id: &str) -> HttpResponse {
    let e = AwsError::new(
        403,
        "AccessDenied",
        format!(
            "Host {host} is not served: this server answers local and AWS service names only; start it with --allowed-hosts {host} to answer this one."
        ),
    );
    error_response(slot.map_or(Protocol::RestXml, protocol_of), &e, request_id)
}

/// An unsigned request from another site's web page to a query or JSON
/// service ([`ruststack_protocol::browser::is_cross_site`]): AWS's answer to a request
/// without credentials.
pub fn cross_site(slot: &Slot, facts: &RequestFacts, request_id: &str) -> HttpResponse {
    let message = "Request is missing Authentication Token";
    let protocol = request_protocol(slot, facts);
    let e = match protocol {
        Protocol::Query => AwsError::new(403, "MissingAuthenticationToken", message),
        _ => AwsError::client("MissingAuthenticationTokenException", message)
            .with_query_code("MissingAuthenticationToken"),
    };
    error_response(protocol, &e, request_id)
}

/// How authentication errors of a request to the plugin in `slot` are
/// worded: in the protocol it is answered in; a JSON plugin that also takes
/// query requests is a query-compatible service (AWS's `awsQueryCompatible`).
pub fn wording(slot: &Slot, facts: &RequestFacts) -> crate::signatures::Wording {
    let description = &slot.current().description;
    crate::signatures::Wording {
        protocol: request_protocol(slot, facts),
        query_compatible: description.protocol == wit::Protocol::Json
            && description
                .matchers
                .iter()
                .any(|m| m.query_version.is_some() || !m.query_actions.is_empty()),
    }
}

/// The protocol a request to the plugin in `slot` is answered in: a plugin
/// may take a service's older protocol too (SQS takes query requests
/// beside JSON ones), and a query request (an `Action` without an
/// `X-Amz-Target`) is answered in the query protocol.
pub fn request_protocol(slot: &Slot, facts: &RequestFacts) -> Protocol {
    match protocol_of(slot) {
        Protocol::Json if facts.target.is_none() && facts.action.is_some() => Protocol::Query,
        p => p,
    }
}

/// The request is for a built-in service left out with `--services`:
/// LocalStack's answer (501 `InternalFailure`) in the protocol the request
/// looks like it speaks.
pub fn not_enabled(service: &str, f: &RequestFacts, request_id: &str) -> HttpResponse {
    let e = AwsError::new(
        501,
        "InternalFailure",
        format!(
            "Service '{service}' is not enabled. Please check your 'SERVICES' configuration variable."
        ),
    );
    error_response(protocol_of_request(f), &e, request_id)
}

/// The protocol a request looks like it speaks, when no plugin says:
/// JSON with an `X-Amz-Target`, query with an `Action`, else REST-XML.
fn protocol_of_request(f: &RequestFacts) -> Protocol {
    if f.target.is_some() {
        Protocol::Json
    } else if f.action.is_some() {
        Protocol::Query
    } else {
        Protocol::RestXml
    }
}

/// No plugin claims the request: say what was not understood, in the
/// protocol the request looks like it speaks.
pub fn unrouted(f: &RequestFacts, request_id: &str) -> HttpResponse {
    let (protocol, code, what) = if let Some(t) = &f.target {
        (
            Protocol::Json,
            "UnknownOperationException",
            format!("X-Amz-Target {t}"),
        )
    } else if let Some(a) = &f.action {
        let v = f.version.as_deref().unwrap_or("(none)");
        (
            Protocol::Query,
            "InvalidAction",
            format!("Action {a} with Version {v}"),
        )
    } else {
        (
            Protocol::RestXml,
            "InvalidRequest",
            format!("host {} and path {}", f.host, f.path),
        )
    };
    let scope = f
        .signing_service
        .as_deref()
        .map(|s| format!(" (signed for service {s})"))
        .unwrap_or_default();
    let message = format!("No service loaded in this server handles {what}{scope}.");
    error_response(protocol, &AwsError::new(400, code, message), request_id)
}

impl From<HttpResponse> for wit::Response {
    fn from(r: HttpResponse) -> Self {
        wit::Response {
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
