//! Amazon SQS for RustStack.
//!
//! Speaks both wire protocols with one set of operations: JSON
//! (`X-Amz-Target: AmazonSQS.<Op>`, what current SDKs and the AWS CLI send)
//! and the legacy query protocol (`Action=<Op>&Version=2012-11-05` form
//! posts, XML answers). Requests sent to a queue URL path
//! (`/<account>/<name>`) are served too, the path standing in for `QueueUrl`.
//!
//! All state is in kv: queues (`queues`), messages (`messages`) with their
//! visibility as absolute times, so nothing needs timers and everything
//! survives restarts.

mod attributes;
mod digest;
mod errors;
mod messages;
mod moves;
mod queues;

/// What `ruststack-fuzz` (`fuzz/`, run by `just fuzz`) calls directly: the
/// message attribute digests and queue attribute checking. Not an API: may
/// change at any time.
#[doc(hidden)]
pub mod fuzzing {
    pub use crate::attributes::{apply, check, from_input, initial, parse_redrive};
    pub use crate::digest::{attributes_md5, md5_hex};
}

use ruststack_sdk::http::{Reply, answer};
use ruststack_sdk::protocol::ops::sqs::Op;
use ruststack_sdk::protocol::{
    Codec, HttpRequest, Protocol as Wire, Value, encoding, models, shapes,
};
use ruststack_sdk::{AwsError, Description, Matcher, Outcome, Protocol, Request, Service};

/// The account every queue URL carries locally.
pub const ACCOUNT: &str = "000000000000";

/// The SQS service plugin.
pub struct Sqs;

impl Service for Sqs {
    fn describe() -> Description {
        Description {
            name: "sqs".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            protocol: Protocol::Json,
            matchers: vec![
                Matcher {
                    target_prefix: Some("AmazonSQS.".into()),
                    ..Matcher::none()
                },
                Matcher {
                    query_version: Some("2012-11-05".into()),
                    ..Matcher::none()
                },
                Matcher {
                    signing_service: Some("sqs".into()),
                    ..Matcher::none()
                },
                Matcher {
                    path_prefix: Some(format!("/{ACCOUNT}/")),
                    ..Matcher::none()
                },
                // LocalStack-style endpoints: sqs.<region>.localhost.localstack.cloud
                // and <region>.queue.localhost.localstack.cloud.
                Matcher {
                    host_pattern: Some("sqs.*.localhost.localstack.cloud".into()),
                    ..Matcher::none()
                },
                Matcher {
                    host_pattern: Some("*.queue.localhost.localstack.cloud".into()),
                    ..Matcher::none()
                },
            ],
            fallback: false,
            max_inline_body: 2 * 1024 * 1024,
            // No valid request comes near this: a batch carries at most 1 MiB
            // of messages, even fully percent-encoded or JSON-escaped.
            body_limit: Some(ruststack_sdk::BodyLimit::new(
                8 * 1024 * 1024,
                &ruststack_sdk::AwsError::client(
                    "InvalidParameterValue",
                    "One or more parameters are invalid. Reason: Message must be shorter than 1048576 bytes.",
                ),
            )),
            settings: Vec::new(),
            operations: models::sqs().operation_names(),
        }
    }

    fn resources() -> Vec<ruststack_sdk::Resource> {
        queues::resources()
    }

    fn handle(req: Request) -> Outcome {
        serve(&req)
    }

    /// Entries stored before accounts and regions were kept apart belong to
    /// account `000000000000` in the region their key or value names.
    fn legacy_scope(key: &[u8], value: &[u8]) -> Option<ruststack_sdk::scope::Scope> {
        Some(ruststack_sdk::migrate::legacy_regional_in(key, value))
    }
}

ruststack_sdk::plugin!(Sqs);

/// The queue URL a request was sent to, when its path is `/<account>/<name>`
/// or LocalStack's `/queue/<region>/<account>/<name>`.
fn path_queue_url(req: &Request) -> Option<String> {
    let path = req.path.split('?').next().unwrap_or_default();
    let parts: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let (prefix, account, name) = match parts.as_slice() {
        [account, name] => (String::new(), *account, *name),
        ["queue", region, account, name] if !region.is_empty() => {
            (format!("/queue/{region}"), *account, *name)
        }
        _ => return None,
    };
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) || name.is_empty() {
        return None;
    }
    let host = if req.context.host.is_empty() {
        "localhost"
    } else {
        &req.context.host
    };
    Some(format!(
        "http://{host}:{}{prefix}/{account}/{name}",
        req.context.port
    ))
}

/// Decodes, dispatches and encodes one request in the protocol it came in.
fn serve(req: &Request) -> Outcome {
    let mut body = match req.body_bytes() {
        Ok(b) => b,
        Err(e) => {
            return answer(
                req,
                &Codec::with_protocol(models::sqs(), Wire::Json),
                Err(e),
            );
        }
    };
    let wire = req
        .with_http(&body, Wire::of_request)
        .unwrap_or(Wire::Query);
    let codec = Codec::with_protocol(models::sqs(), wire);
    // A request to a queue URL path names its queue by the path.
    let mut query = req.query.clone();
    if let Some(url) = path_queue_url(req) {
        match wire {
            Wire::Query => {
                let has = req.with_http(&body, |h| {
                    ruststack_sdk::protocol::query::params(h)
                        .iter()
                        .any(|(k, _)| k == "QueueUrl")
                });
                if !has {
                    let extra = encoding::encode_form([("QueueUrl", url.as_str())]);
                    query = if query.is_empty() {
                        extra
                    } else {
                        format!("{query}&{extra}")
                    };
                }
            }
            _ => {
                if let Ok(Value::Object(mut o)) = serde_json::from_slice::<Value>(&body)
                    && !o.contains_key("QueueUrl")
                {
                    o.insert("QueueUrl".into(), Value::String(url));
                    body = serde_json::to_vec(&o).unwrap_or(body);
                }
            }
        }
    }
    let http = HttpRequest {
        method: &req.method,
        path: &req.path,
        query: &query,
        headers: &req.headers,
        body: &body,
    };
    let decoded = codec.decode_request(&http, None).map_err(|e| {
        // A batch without entries is EmptyBatchRequest in JSON; the query
        // protocol cannot send an empty list, and AWS names the first
        // entry's Id as the missing parameter.
        match codec.resolve_operation(&http, None) {
            Ok(op) if is_batch(&op.name) && e.missing_member() == Some("Entries") => {
                if wire == Wire::Query {
                    errors::missing_parameter(&format!("{}RequestEntry.1.Id", op.name))
                } else {
                    errors::empty_batch(&op.name)
                }
            }
            _ => fix_codec_error(e),
        }
    });
    let result = decoded.and_then(|(op, input)| dispatch(req, &op.name, &input).map(|r| (op, r)));
    answer(req, &codec, result)
}

/// Codec errors in SQS's own terms: a badly typed member is
/// `InvalidParameterValue` (a missing one is already `MissingParameter`: the
/// codec knows SQS is query-compatible).
fn fix_codec_error(e: AwsError) -> AwsError {
    match e.code.as_str() {
        "InvalidParameterValue" => errors::invalid_parameter(e.message),
        _ => e,
    }
}

/// Whether an operation takes a list of entries (and so may get
/// `EmptyBatchRequest`).
fn is_batch(op: &str) -> bool {
    matches!(
        Op::from_name(op),
        Some(Op::SendMessageBatch | Op::DeleteMessageBatch | Op::ChangeMessageVisibilityBatch)
    )
}

fn out(v: Result<Value, AwsError>) -> Result<Reply, AwsError> {
    v.map(Reply::from)
}

/// Runs an operation in the region its `QueueUrl` names (a LocalStack-style
/// URL may name another than the request's credentials), else in the
/// request's own.
fn dispatch(req: &Request, op: &str, input: &Value) -> Result<Reply, AwsError> {
    // Every SQS input but ListQueues, GetQueueUrl, CreateQueue and the move
    // tasks' names its queue by URL; any view reads the member.
    let url = shapes::sqs::input::DeleteQueue(input).queue_url();
    match queues::url_region(req, url) {
        Some(region) => {
            let scope = ruststack_sdk::scope::Scope::regional(&req.context.account, &region);
            ruststack_sdk::scope::with(scope, || dispatch_here(req, op, input))
        }
        None => dispatch_here(req, op, input),
    }
}

/// Runs an operation of the SQS model: every one is handled, so a new
/// model operation does not compile until it has an arm.
fn dispatch_here(req: &Request, op: &str, v: &Value) -> Result<Reply, AwsError> {
    use shapes::sqs::input;
    let Some(op) = Op::from_name(op) else {
        return Err(AwsError::not_implemented(op));
    };
    match op {
        Op::CreateQueue => out(queues::create(req, input::CreateQueue(v))),
        Op::GetQueueUrl => out(queues::get_url(req, input::GetQueueUrl(v))),
        Op::ListQueues => out(queues::list(req, input::ListQueues(v))),
        Op::DeleteQueue => out(queues::delete(req, input::DeleteQueue(v))),
        Op::PurgeQueue => out(queues::purge(req, input::PurgeQueue(v))),
        Op::GetQueueAttributes => out(queues::get_attributes(req, input::GetQueueAttributes(v))),
        Op::SetQueueAttributes => out(queues::set_attributes(req, input::SetQueueAttributes(v))),
        Op::TagQueue => out(queues::tag(req, input::TagQueue(v))),
        Op::UntagQueue => out(queues::untag(req, input::UntagQueue(v))),
        Op::ListQueueTags => out(queues::list_tags(req, input::ListQueueTags(v))),
        Op::AddPermission => out(queues::add_permission(req, input::AddPermission(v))),
        Op::RemovePermission => out(queues::remove_permission(req, input::RemovePermission(v))),
        Op::ListDeadLetterSourceQueues => out(queues::dead_letter_sources(
            req,
            input::ListDeadLetterSourceQueues(v),
        )),
        Op::SendMessage => out(messages::send(req, input::SendMessage(v))),
        Op::SendMessageBatch => out(messages::send_batch(req, input::SendMessageBatch(v))),
        Op::ReceiveMessage => messages::receive(req, input::ReceiveMessage(v)),
        Op::DeleteMessage => out(messages::delete(req, input::DeleteMessage(v))),
        Op::DeleteMessageBatch => out(messages::delete_batch(req, input::DeleteMessageBatch(v))),
        Op::ChangeMessageVisibility => out(messages::change_visibility(
            req,
            input::ChangeMessageVisibility(v),
        )),
        Op::ChangeMessageVisibilityBatch => out(messages::change_visibility_batch(
            req,
            input::ChangeMessageVisibilityBatch(v),
        )),
        Op::StartMessageMoveTask => out(moves::start(req, input::StartMessageMoveTask(v))),
        Op::CancelMessageMoveTask => out(moves::cancel(req, input::CancelMessageMoveTask(v))),
        Op::ListMessageMoveTasks => out(moves::list(req, input::ListMessageMoveTasks(v))),
    }
}

#[cfg(test)]
mod tests;
