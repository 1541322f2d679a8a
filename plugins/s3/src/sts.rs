//! The minimal STS the AWS tools call before anything else:
//! `GetCallerIdentity`, answering the caller's account as its root. Other
//! STS actions answer `NotImplemented` in the query protocol.

use ruststack_sdk::protocol::encoding::parse_form;
use ruststack_sdk::protocol::ops::sts::Op;
use ruststack_sdk::protocol::shapes::sts::output;
use ruststack_sdk::protocol::{Codec, models};
use ruststack_sdk::{AwsError, Body, Outcome, Request};

/// The STS API version (query `Version`).
pub const VERSION: &str = "2011-06-15";

fn form(req: &Request) -> Vec<(String, String)> {
    let mut f = parse_form(&req.query);
    if let Body::Bytes(b) = &req.body
        && req
            .header("content-type")
            .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"))
    {
        f.extend(parse_form(&String::from_utf8_lossy(b)));
    }
    f
}

/// Whether a request is for STS (signed for `sts`, or a query request of
/// STS's API version).
pub fn is_sts(req: &Request) -> bool {
    if req.context.signing_service.as_deref() == Some("sts") {
        return true;
    }
    if req.method != "POST" && req.method != "GET" {
        return false;
    }
    let f = form(req);
    f.iter().any(|(k, v)| k == "Version" && v == VERSION) && f.iter().any(|(k, _)| k == "Action")
}

/// Serves an STS request.
pub fn handle(req: &Request) -> Outcome {
    let model = models::sts();
    let codec = Codec::new(model);
    let rid = &req.context.request_id;
    let body = match &req.body {
        Body::Bytes(b) => b.clone(),
        _ => Vec::new(),
    };
    let decoded = req.with_http(&body, |http| codec.decode_request(http, None));
    let resp = match decoded {
        Ok((op, _)) if Op::from_name(&op.name) == Some(Op::GetCallerIdentity) => {
            let account = &req.context.account;
            let identity = output::GetCallerIdentity::new()
                .user_id(account.as_str())
                .account(account.as_str())
                .arn(format!("arn:aws:iam::{account}:root"));
            codec.encode_output(op, &identity.into(), rid)
        }
        Ok((op, _)) => codec.encode_error(&AwsError::not_implemented(&op.name), rid),
        Err(e) => codec.encode_error(&e, rid),
    };
    Outcome::respond(resp)
}
