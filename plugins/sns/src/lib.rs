//! Amazon SNS for RustStack.
//!
//! Query protocol (`Action=<Op>&Version=2010-03-31` form posts, XML answers),
//! decoded and encoded by the vendored botocore model. Topics, subscriptions
//! and FIFO deduplication records live in kv; messages are delivered for
//! real: to SQS queues through `invoke` (synchronously, so a published
//! message is in the queue when Publish answers) and to HTTP(S) endpoints
//! through outbound HTTP from timers, retried per the delivery policy.

mod delivery;
mod errors;
mod filter;
mod jackson;
mod publish;
mod ruler;
mod subscriptions;
mod tags;
mod topics;

/// What `ruststack-fuzz` (`fuzz/`, run by `just fuzz`) calls directly: filter
/// policy validation and matching, and the message attribute decoding
/// delivery matches them against. Not an API: may change at any time.
#[doc(hidden)]
pub mod fuzzing {
    pub use crate::delivery::passes_filter;
    pub use crate::filter::{matches, validate};
    pub use crate::publish::{Attribute, Message, attributes};
    pub use crate::subscriptions::Subscription;
}

#[cfg(test)]
mod tests;

use ruststack_sdk::http::{Reply, serve_model};
use ruststack_sdk::keys::Key;
use ruststack_sdk::protocol::model::Operation;
use ruststack_sdk::protocol::ops::sns::Op;
use ruststack_sdk::protocol::shapes::sns::input;
use ruststack_sdk::protocol::{Value, models, validate};
use ruststack_sdk::{AwsError, Description, Matcher, Outcome, Protocol, Request, Service};

use crate::errors::invalid_parameter;

/// The SNS service plugin.
pub struct Sns;

impl Service for Sns {
    fn describe() -> Description {
        Description {
            name: "sns".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            protocol: Protocol::Query,
            matchers: vec![
                Matcher {
                    query_version: Some("2010-03-31".into()),
                    ..Matcher::none()
                },
                Matcher {
                    signing_service: Some("sns".into()),
                    ..Matcher::none()
                },
                // The SubscribeURL and UnsubscribeURL in messages are plain
                // GETs without `Version` or a signature, as AWS writes them.
                Matcher {
                    query_actions: vec!["ConfirmSubscription".into(), "Unsubscribe".into()],
                    ..Matcher::none()
                },
            ],
            fallback: false,
            max_inline_body: 2 * 1024 * 1024,
            // Messages and batches are at most 256 KB, even fully percent-encoded
            // well under this.
            body_limit: Some(ruststack_sdk::BodyLimit::new(
                2 * 1024 * 1024,
                &ruststack_sdk::AwsError::client(
                    "InvalidParameter",
                    "Invalid parameter: Message too long",
                ),
            )),
            settings: Vec::new(),
            operations: models::sns().operation_names(),
        }
    }

    fn resources() -> Vec<ruststack_sdk::Resource> {
        topics::resources()
    }

    fn handle(req: Request) -> Outcome {
        serve(&req)
    }

    fn on_timer(payload: Vec<u8>) {
        if let Ok(job) = serde_json::from_slice::<delivery::HttpJob>(&payload) {
            job.run();
        }
    }

    /// Entries stored before accounts and regions were kept apart belong to
    /// account `000000000000` in the region their key or value names.
    fn legacy_scope(key: &[u8], value: &[u8]) -> Option<ruststack_sdk::scope::Scope> {
        Some(ruststack_sdk::migrate::legacy_regional_in(key, value))
    }
}

ruststack_sdk::plugin!(Sns);

fn out(r: Result<Value, AwsError>) -> Result<Reply, AwsError> {
    r.map(Reply::from)
}

/// Decodes, dispatches and encodes one request.
fn serve(req: &Request) -> Outcome {
    serve_model(models::sns(), req, |model_op, value| {
        let Some(op) = Op::from_name(&model_op.name) else {
            return Err(AwsError::not_implemented(&model_op.name));
        };
        if matches!(op, Op::CreateTopic | Op::TagResource) {
            check_lengths(model_op, &value)?;
        }
        match op {
            Op::CreateTopic => out(topics::create(req, input::CreateTopic(&value))),
            Op::DeleteTopic => out(topics::delete(input::DeleteTopic(&value))),
            Op::ListTopics => out(topics::list(input::ListTopics(&value))),
            Op::GetTopicAttributes => {
                out(topics::get_attributes(input::GetTopicAttributes(&value)))
            }
            Op::SetTopicAttributes => {
                out(topics::set_attributes(input::SetTopicAttributes(&value)))
            }
            Op::AddPermission => out(topics::add_permission(input::AddPermission(&value))),
            Op::RemovePermission => out(topics::remove_permission(input::RemovePermission(&value))),
            Op::GetDataProtectionPolicy => out(topics::get_data_protection_policy(
                input::GetDataProtectionPolicy(&value),
            )),
            Op::PutDataProtectionPolicy => out(topics::put_data_protection_policy(
                input::PutDataProtectionPolicy(&value),
            )),
            Op::TagResource => out(tags::tag(input::TagResource(&value))),
            Op::UntagResource => out(tags::untag(input::UntagResource(&value))),
            Op::ListTagsForResource => out(tags::list(input::ListTagsForResource(&value))),
            Op::Subscribe => out(subscriptions::subscribe(req, input::Subscribe(&value))),
            // Both arrive unsigned from the URLs in SNS's messages: they act in the
            // account and region of the ARN they name.
            Op::ConfirmSubscription => {
                let input = input::ConfirmSubscription(&value);
                out(in_scope_of(input.topic_arn(), || {
                    subscriptions::confirm(input)
                }))
            }
            Op::Unsubscribe => {
                let input = input::Unsubscribe(&value);
                out(in_scope_of(input.subscription_arn(), || {
                    subscriptions::unsubscribe(input)
                }))
            }
            Op::ListSubscriptions => out(subscriptions::list(input::ListSubscriptions(&value))),
            Op::ListSubscriptionsByTopic => out(subscriptions::list_by_topic(
                input::ListSubscriptionsByTopic(&value),
            )),
            Op::GetSubscriptionAttributes => out(subscriptions::get_attributes(
                input::GetSubscriptionAttributes(&value),
            )),
            Op::SetSubscriptionAttributes => out(subscriptions::set_attributes(
                input::SetSubscriptionAttributes(&value),
            )),
            Op::Publish => out(publish::publish(req, input::Publish(&value))),
            Op::PublishBatch => out(publish::publish_batch(req, input::PublishBatch(&value))),
            // Not emulated: AWS's NotImplemented-style answer.
            Op::CheckIfPhoneNumberIsOptedOut
            | Op::CreatePlatformApplication
            | Op::CreatePlatformEndpoint
            | Op::CreateSMSSandboxPhoneNumber
            | Op::DeleteEndpoint
            | Op::DeletePlatformApplication
            | Op::DeleteSMSSandboxPhoneNumber
            | Op::GetEndpointAttributes
            | Op::GetPlatformApplicationAttributes
            | Op::GetSMSAttributes
            | Op::GetSMSSandboxAccountStatus
            | Op::ListEndpointsByPlatformApplication
            | Op::ListOriginationNumbers
            | Op::ListPhoneNumbersOptedOut
            | Op::ListPlatformApplications
            | Op::ListSMSSandboxPhoneNumbers
            | Op::OptInPhoneNumber
            | Op::SetEndpointAttributes
            | Op::SetPlatformApplicationAttributes
            | Op::SetSMSAttributes
            | Op::VerifySMSSandboxPhoneNumber => Err(AwsError::not_implemented(op.name())),
        }
    })
}

/// The model's length limits on tags (keys 1..128, values up to 256) and
/// TagResource's ARN: AWS's request framework checks them before SNS does,
/// answering `ValidationError` (`1 validation error detected: Value '<key>'
/// at 'tags.1.member.key' failed to satisfy constraint: Member must have
/// length less than or equal to 128`).
fn check_lengths(op: &Operation, input: &Value) -> Result<(), AwsError> {
    let rules = validate::Rules::ALL
        .without_required()
        .without_range()
        .without_enums()
        .without_patterns();
    let violations = validate::check_operation(models::sns(), op, input, &rules);
    match validate::message(&violations) {
        m if m.is_empty() => Ok(()),
        m => Err(AwsError::validation_error(m)),
    }
}

/// Runs `f` in the account and region of the SNS ARN `arn`, or in the
/// request's own when it is not one.
fn in_scope_of<R>(arn: Option<&str>, f: impl FnOnce() -> R) -> R {
    match arn.and_then(ruststack_sdk::ids::parse_arn) {
        Some(a) if a.service == "sns" && !a.region.is_empty() && !a.account.is_empty() => {
            let scope = ruststack_sdk::scope::Scope::regional(&a.account, &a.region);
            ruststack_sdk::scope::with(scope, f)
        }
        _ => f(),
    }
}

/// `http://<host>:<port>` of this server as the caller addressed it.
pub fn base_url(req: &Request) -> String {
    let host = if req.context.host.is_empty() {
        "localhost"
    } else {
        &req.context.host
    };
    format!("http://{host}:{}", req.context.port)
}

/// The kv key of a subscription (for delivery jobs).
pub fn subscriptions_key(sub_arn: &str) -> Key {
    Key::new().str(sub_arn)
}

/// A NextToken for a listing that stopped after `key`.
pub fn next_token(key: &[u8]) -> String {
    key.iter().map(|b| format!("{b:02x}")).collect()
}

/// The key to list after, from the input's `NextToken` (`token`).
pub fn page_after(token: Option<&str>) -> Result<Option<Vec<u8>>, AwsError> {
    let Some(t) = token.filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let bad = || invalid_parameter("NextToken");
    if t.len() % 2 != 0 {
        return Err(bad());
    }
    (0..t.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(t.get(i..i + 2).ok_or_else(bad)?, 16).map_err(|_| bad()))
        .collect::<Result<Vec<u8>, AwsError>>()
        .map(Some)
}
