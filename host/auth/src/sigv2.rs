//! S3's Signature Version 2: `Authorization: AWS KEY:base64(HMAC-SHA1)` and
//! the query form (`AWSAccessKeyId`, `Signature`, `Expires`).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha1::Sha1;

use ruststack_protocol::encoding::percent_decode;

use crate::canonical::{query_param, same};
use crate::clock::{iso, parse_basic, parse_http_date};
use crate::error::{s3_access_denied, s3_invalid_argument};
use crate::{AuthError, Ctx, MAX_SKEW_SECS, Scheme, Verified};

/// The query parameters that are part of the signed resource ("sub-resources"
/// and response overrides), as botocore signs them.
const SUB_RESOURCES: [&str; 35] = [
    "accelerate",
    "acl",
    "analytics",
    "cors",
    "defaultObjectAcl",
    "delete",
    "inventory",
    "lifecycle",
    "location",
    "logging",
    "metrics",
    "notification",
    "object-lock",
    "partNumber",
    "policy",
    "replication",
    "requestPayment",
    "response-cache-control",
    "response-content-disposition",
    "response-content-encoding",
    "response-content-language",
    "response-content-type",
    "response-expires",
    "restore",
    "select",
    "select-type",
    "storageClass",
    "tagging",
    "torrent",
    "uploadId",
    "uploads",
    "versionId",
    "versioning",
    "versions",
    "website",
];

/// The SigV2 string to sign: method, `Content-MD5`, `Content-Type`, the
/// date field (the `Date` header, empty when `x-amz-date` is sent; the
/// `Expires` value for query authentication), the `x-amz-*` headers and the
/// resource.
pub fn string_to_sign(ctx: &Ctx, date_field: &str) -> String {
    let req = ctx.req;
    let header = |name: &str| req.header(name).map(str::trim).unwrap_or("");
    let mut out = format!(
        "{}\n{}\n{}\n{}\n",
        req.method,
        header("content-md5"),
        header("content-type"),
        date_field
    );
    // x-amz-* headers: lower-case names, sorted, repeated values joined by ','.
    let mut amz: Vec<(String, Vec<&str>)> = Vec::new();
    for (k, v) in req.headers {
        let k = k.to_ascii_lowercase();
        if !k.starts_with("x-amz-") {
            continue;
        }
        match amz.iter_mut().find(|(n, _)| *n == k) {
            Some((_, vs)) => vs.push(v.trim()),
            None => amz.push((k, vec![v.trim()])),
        }
    }
    amz.sort_by(|a, b| a.0.cmp(&b.0));
    for (k, vs) in amz {
        out.push_str(&k);
        out.push(':');
        out.push_str(&vs.join(","));
        out.push('\n');
    }
    // The resource: /bucket for virtual-hosted requests, the path as sent,
    // then the signed sub-resources sorted by name, values decoded.
    if let Some(bucket) = req
        .header("host")
        .and_then(ruststack_protocol::rest::virtual_bucket)
    {
        out.push('/');
        out.push_str(&bucket);
    }
    out.push_str(if req.path.is_empty() { "/" } else { req.path });
    let mut subs: Vec<(String, Option<String>)> = req
        .query
        .split('&')
        .filter(|p| !p.is_empty())
        .filter_map(|p| {
            // `name` alone when the parameter has no `=`.
            let (k, v) = match p.split_once('=') {
                Some((k, v)) => (k, Some(v)),
                None => (p, None),
            };
            let name = percent_decode(k);
            SUB_RESOURCES
                .contains(&name.as_str())
                .then(|| (name, v.map(percent_decode)))
        })
        .collect();
    subs.sort_by(|a, b| a.0.cmp(&b.0));
    for (i, (k, v)) in subs.iter().enumerate() {
        out.push(if i == 0 { '?' } else { '&' });
        out.push_str(k);
        if let Some(v) = v {
            out.push('=');
            out.push_str(v);
        }
    }
    out
}

fn sign(secret: &str, string_to_sign: &str) -> String {
    let mut mac =
        Hmac::<Sha1>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(string_to_sign.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

fn check(ctx: &Ctx, access_key: &str, date_field: &str, provided: &str) -> Result<(), AuthError> {
    let secret = ctx.secret(access_key)?;
    let sts = string_to_sign(ctx, date_field);
    if same(&sign(secret, &sts), provided) {
        Ok(())
    } else {
        Err(ctx.dialect.mismatch(access_key, &sts, provided, None))
    }
}

/// Verifies `Authorization: AWS KEY:signature`.
pub fn verify_header(ctx: &Ctx, auth: &str) -> Result<Verified, AuthError> {
    let parsed = auth
        .strip_prefix("AWS")
        .map(str::trim)
        .and_then(|r| r.split_once(':'))
        .filter(|(k, s)| !k.is_empty() && !s.is_empty());
    let Some((access_key, signature)) = parsed else {
        return Err(s3_invalid_argument(
            "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature",
            "Authorization",
            auth,
        ));
    };
    let amz_date = ctx.req.header("x-amz-date");
    let raw = amz_date.or_else(|| ctx.req.header("date"));
    let time = raw.and_then(|d| parse_http_date(d).or_else(|| parse_basic(d.trim())));
    let (Some(raw), Some(time)) = (raw, time) else {
        return Err(s3_access_denied(
            "AWS authentication requires a valid Date or x-amz-date header",
        ));
    };
    if (time - ctx.now).abs() > MAX_SKEW_SECS {
        return Err(ctx.dialect.skewed(raw.trim(), time, ctx.now));
    }
    let date_field = if amz_date.is_some() { "" } else { raw.trim() };
    check(ctx, access_key, date_field, signature)?;
    Ok(verified(access_key, Scheme::V2Header))
}

/// Verifies `?AWSAccessKeyId=...&Expires=...&Signature=...`.
pub fn verify_query(ctx: &Ctx) -> Result<Verified, AuthError> {
    let q = |name: &str| query_param(ctx.req.query, name);
    let (Some(access_key), Some(signature), Some(expires)) =
        (q("AWSAccessKeyId"), q("Signature"), q("Expires"))
    else {
        return Err(s3_access_denied(
            "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters",
        ));
    };
    let Ok(at) = expires.trim().parse::<i64>() else {
        return Err(s3_access_denied(&format!(
            "Invalid date (should be seconds since epoch): {expires}"
        )));
    };
    if ctx.now > at {
        return Err(s3_access_denied("Request has expired")
            .with("Expires", iso(at))
            .with("ServerTime", iso(ctx.now)));
    }
    check(ctx, &access_key, &expires, &signature)?;
    Ok(verified(&access_key, Scheme::V2Query))
}

fn verified(access_key: &str, scheme: Scheme) -> Verified {
    Verified {
        access_key: access_key.to_string(),
        scheme,
        region: String::new(),
        service: String::new(),
        chunks: None,
    }
}
