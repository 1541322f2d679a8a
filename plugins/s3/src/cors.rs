//! CORS on requests: OPTIONS preflights answered from the bucket's CORS
//! rules, and `Access-Control-*` headers on actual requests whose Origin a
//! rule allows.

use ruststack_sdk::protocol::browser;
use ruststack_sdk::protocol::encoding::percent_decode;
use ruststack_sdk::protocol::shapes::s3::{CORSConfiguration, CORSRule};
use ruststack_sdk::protocol::typed::List;
use ruststack_sdk::protocol::{Codec, models};
use ruststack_sdk::{AwsError, Body, Request, Response};
use serde_json::Value;

use crate::store;

/// The bucket a request addresses (virtual host, else first path segment).
fn bucket_of(req: &Request, vbucket: Option<&str>) -> Option<String> {
    if let Some(b) = vbucket {
        return Some(b.to_string());
    }
    let first = req.path.trim_start_matches('/').split('/').next()?;
    (!first.is_empty()).then(|| percent_decode(first))
}

/// `*` matches any run of characters (S3 allows one wildcard per origin).
fn wildcard(pattern: &str, value: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern.eq_ignore_ascii_case(value),
        Some((a, z)) => {
            // Compared as bytes: the pattern's ends need not fall on the
            // value's character boundaries.
            let v = value.as_bytes();
            v.len() >= a.len() + z.len()
                && v[..a.len()].eq_ignore_ascii_case(a.as_bytes())
                && v[v.len() - z.len()..].eq_ignore_ascii_case(z.as_bytes())
        }
    }
}

/// The strings of a rule's list member (`None` when absent).
fn strings(list: Option<List<'_, &str>>) -> Vec<String> {
    list.map(|l| l.iter().map(str::to_string).collect())
        .unwrap_or_default()
}

/// The first rule allowing `origin`, `method` and every requested header.
fn matching_rule(bucket: &str, origin: &str, method: &str, headers: &[String]) -> Option<Value> {
    let cfg = store::config(bucket, "Cors")?;
    let rules = CORSConfiguration(&cfg).cors_rules()?;
    // Every rule as decoded: one that is not a structure allows nothing.
    let found = rules.values().iter().find(|r| {
        let r = CORSRule(r);
        strings(r.allowed_origins())
            .iter()
            .any(|o| wildcard(o, origin))
            && strings(r.allowed_methods()).iter().any(|m| m == method)
            && headers
                .iter()
                .all(|h| strings(r.allowed_headers()).iter().any(|a| wildcard(a, h)))
    });
    found.cloned()
}

fn allow_headers(rule: &Value, origin: &str, out: &mut Vec<(String, String)>) {
    let rule = CORSRule(rule);
    let any = strings(rule.allowed_origins()).iter().any(|o| o == "*");
    out.push((
        "Access-Control-Allow-Origin".into(),
        if any { "*".into() } else { origin.to_string() },
    ));
    out.push((
        "Access-Control-Allow-Methods".into(),
        strings(rule.allowed_methods()).join(", "),
    ));
    if !any {
        out.push(("Access-Control-Allow-Credentials".into(), "true".into()));
    }
    let expose = strings(rule.expose_headers());
    if !expose.is_empty() {
        out.push(("Access-Control-Expose-Headers".into(), expose.join(", ")));
    }
    if let Some(age) = rule.max_age_seconds() {
        out.push(("Access-Control-Max-Age".into(), age.to_string()));
    }
    out.push((
        "Vary".into(),
        "Origin, Access-Control-Request-Headers, Access-Control-Request-Method".into(),
    ));
}

/// AWS's words for a CORS request the bucket's rules do not allow
/// ("evalution" is AWS's spelling).
const NOT_ALLOWED: &str = "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.";

fn error(req: &Request, e: AwsError) -> Response {
    Codec::new(models::s3())
        .encode_error(&e, &req.context.request_id)
        .into()
}

/// Answers an OPTIONS preflight from the bucket's CORS rules.
pub fn preflight(req: &Request, vbucket: Option<&str>) -> Response {
    let forbidden = || AwsError::new(403, "AccessForbidden", NOT_ALLOWED);
    let (Some(origin), Some(method)) = (
        req.header("origin"),
        req.header("access-control-request-method"),
    ) else {
        return error(
            req,
            AwsError::client(
                "BadRequest",
                "Insufficient information. Origin request header needed.",
            ),
        );
    };
    let Some(bucket) = bucket_of(req, vbucket) else {
        return error(req, forbidden());
    };
    if store::bucket(&bucket).is_none() {
        return error(req, crate::util::no_such_bucket(&bucket));
    }
    let headers: Vec<String> = req
        .header("access-control-request-headers")
        .map(|h| {
            h.split(',')
                .map(|x| x.trim().to_ascii_lowercase())
                .filter(|x| !x.is_empty())
                .collect()
        })
        .unwrap_or_default();
    let Some(rule) = matching_rule(&bucket, origin, method, &headers) else {
        return error(
            req,
            forbidden()
                .with_extra("Method", method)
                .with_extra("ResourceType", "BUCKET"),
        );
    };
    let mut out = vec![("x-amz-request-id".into(), req.context.request_id.clone())];
    allow_headers(&rule, origin, &mut out);
    if !headers.is_empty() {
        out.push(("Access-Control-Allow-Headers".into(), headers.join(", ")));
    }
    Response {
        status: 200,
        headers: out,
        body: Body::Empty,
    }
}

/// Refuses a request from another site's web page that could change
/// something (any method but GET and HEAD) unless the bucket's CORS rules
/// allow its origin and method. AWS would refuse it for want of credentials;
/// a local server takes any, so a page the developer visits must not be able
/// to write or delete through a form or `fetch` it sends here.
pub fn check_cross_site(req: &Request, vbucket: Option<&str>) -> Result<(), AwsError> {
    if matches!(req.method.as_str(), "GET" | "HEAD" | "OPTIONS") {
        return Ok(());
    }
    let origin = req.header("origin");
    let host = req.header("host").unwrap_or_default();
    if !browser::is_cross_site(origin, req.header("sec-fetch-site"), host) {
        return Ok(());
    }
    let allowed = origin
        .zip(bucket_of(req, vbucket))
        .is_some_and(|(origin, bucket)| matching_rule(&bucket, origin, &req.method, &[]).is_some());
    if allowed {
        return Ok(());
    }
    Err(AwsError::new(403, "AccessForbidden", NOT_ALLOWED)
        .with_extra("Method", req.method.clone())
        .with_extra("ResourceType", "OBJECT"))
}

/// Adds `Access-Control-*` headers to an actual cross-origin request's
/// response when a rule allows it.
pub fn add_headers(req: &Request, vbucket: Option<&str>, resp: &mut Response) {
    if req.method == "OPTIONS" {
        return;
    }
    let Some(origin) = req.header("origin") else {
        return;
    };
    let Some(bucket) = bucket_of(req, vbucket) else {
        return;
    };
    if let Some(rule) = matching_rule(&bucket, origin, &req.method, &[]) {
        allow_headers(&rule, origin, &mut resp.headers);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards() {
        assert!(wildcard("*", "http://a.com"));
        assert!(wildcard("http://*.example.com", "http://www.example.com"));
        assert!(!wildcard("http://*.example.com", "http://example.org"));
        assert!(wildcard("x-amz-*", "x-amz-date"));
    }

    #[test]
    fn wildcard_ends_inside_a_character_do_not_panic() {
        // Found by `just fuzz` (plugin-s3): the Origin of a preflight sliced
        // at the pattern's length, inside a multi-byte character.
        assert!(!wildcard(
            "http://*.example.com",
            "http:/\u{c8}www.example.com"
        ));
        assert!(!wildcard("ab*", "a\u{e9}"));
        assert!(!wildcard("*xy", "\u{e9}y"));
        assert!(wildcard("h\u{e9}*", "h\u{e9}llo"));
    }
}
