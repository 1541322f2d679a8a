//! SigV4: `Authorization: AWS4-HMAC-SHA256 ...` headers and presigned URLs.

use crate::canonical::{
    self, canonical_headers, canonical_query, canonical_query_as_sent, hash_payload, hmac256,
    s3_uri, s3_uri_as_sent, same, sha256_hex, signing_key, standard_uri,
};
use crate::chunked::ChunkSeed;
use crate::clock::{basic, iso, parse_basic, parse_http_date};
use crate::error::{s3_access_denied, s3_header_malformed, s3_invalid_argument, s3_query_error};
use crate::{AuthError, Ctx, Dialect, MAX_PRESIGN_EXPIRES, MAX_SKEW_SECS, Scheme, Verified};

/// The one SigV4 algorithm supported.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

const UNSIGNED: &str = "UNSIGNED-PAYLOAD";
const STREAMING_SIGNED: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD";
const STREAMING_SIGNED_TRAILER: &str = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER";
const STREAMING_UNSIGNED_TRAILER: &str = "STREAMING-UNSIGNED-PAYLOAD-TRAILER";

const S3_CREDENTIAL_FORMAT: &str =
    "the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\".";

/// A parsed credential scope `AKID/YYYYMMDD/region/service/aws4_request`.
struct Scope {
    access_key: String,
    date: String,
    region: String,
    service: String,
}

impl Scope {
    /// `date/region/service/aws4_request`, as in the string to sign.
    fn string(&self) -> String {
        format!(
            "{}/{}/{}/aws4_request",
            self.date, self.region, self.service
        )
    }

    /// Whether the signer followed S3's rules (path as sent, payload hash
    /// from `x-amz-content-sha256`).
    fn s3_rules(&self) -> bool {
        s3_service(&self.service)
    }
}

/// Parses a credential; on failure, the JSON/query wording of why.
fn parse_credential(credential: &str) -> Result<Scope, String> {
    let parts: Vec<&str> = credential.split('/').collect();
    if parts.len() != 5 || parts[0].is_empty() {
        return Err(format!(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term, got '{credential}'"
        ));
    }
    if parts[4] != "aws4_request" {
        return Err(format!(
            "Credential should be scoped with a valid terminator: 'aws4_request', not '{}'.",
            parts[4]
        ));
    }
    if parts[1].len() != 8 || !parts[1].bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "Credential should be scoped to a valid date, not '{}'.",
            parts[1]
        ));
    }
    Ok(Scope {
        access_key: parts[0].to_string(),
        date: parts[1].to_string(),
        region: parts[2].to_string(),
        service: parts[3].to_string(),
    })
}

/// The service of the SigV4 credential scope (header or presigned query),
/// if the request carries a parsable one.
pub fn signing_service(req: &crate::Request) -> Option<String> {
    let credential = match req.header("authorization").map(str::trim) {
        Some(auth) if !auth.is_empty() => components(auth).credential.map(str::to_string),
        _ => canonical::query_param(req.query, "X-Amz-Credential"),
    }?;
    parse_credential(&credential).ok().map(|s| s.service)
}

/// Whether a signing service signs the S3 way.
pub fn s3_service(service: &str) -> bool {
    service == "s3" || service.starts_with("s3-")
}

/// The `Credential`, `SignedHeaders` and `Signature` components of an
/// `Authorization` value (separated by commas and/or spaces).
#[derive(Default)]
struct Components<'a> {
    credential: Option<&'a str>,
    signed_headers: Option<&'a str>,
    signature: Option<&'a str>,
}

fn components(auth: &str) -> Components<'_> {
    let rest = auth
        .split_once(|c: char| c.is_ascii_whitespace())
        .map_or("", |(_, r)| r);
    let mut c = Components::default();
    for part in rest.split(|ch: char| ch == ',' || ch.is_ascii_whitespace()) {
        let Some((k, v)) = part.split_once('=') else {
            continue;
        };
        let slot = match k {
            "Credential" => &mut c.credential,
            "SignedHeaders" => &mut c.signed_headers,
            "Signature" => &mut c.signature,
            _ => continue,
        };
        if slot.is_none() && !v.is_empty() {
            *slot = Some(v);
        }
    }
    c
}

/// The JSON/query answer to an `Authorization` header that lacks parts:
/// each missing part named, then the header.
fn incomplete_header(ctx: &Ctx, auth: &str, c: &Components, has_date: bool) -> Option<AuthError> {
    let mut message = String::new();
    if c.credential.is_none() {
        message.push_str("Authorization header requires 'Credential' parameter. ");
    }
    if c.signature.is_none() {
        message.push_str("Authorization header requires 'Signature' parameter. ");
    }
    if c.signed_headers.is_none() {
        message.push_str("Authorization header requires 'SignedHeaders' parameter. ");
    }
    if !has_date {
        message.push_str(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ",
        );
    }
    if message.is_empty() {
        return None;
    }
    message.push_str("Authorization=");
    message.push_str(auth);
    Some(ctx.dialect.incomplete(message))
}

/// An `Authorization` header of a scheme that is not supported: S3 says
/// so; the JSON and query services list what a SigV4 header lacks.
pub fn unsupported(ctx: &Ctx, auth: &str) -> AuthError {
    if ctx.dialect == Dialect::S3 {
        return s3_invalid_argument("Unsupported Authorization Type", "Authorization", auth);
    }
    let has_date = ctx.req.header("x-amz-date").is_some() || ctx.req.header("date").is_some();
    let c = components(auth);
    incomplete_header(ctx, auth, &c, has_date).unwrap_or_else(|| {
        let algorithm = auth.split_ascii_whitespace().next().unwrap_or("");
        ctx.dialect
            .incomplete(format!("Unsupported AWS 'algorithm': '{algorithm}'"))
    })
}

/// The request's time from `x-amz-date` (basic ISO format) or `Date`:
/// (value as sent, seconds, timestamp for the string to sign). `Err` holds
/// the raw value that does not parse.
fn request_time<'a>(ctx: &Ctx<'a>) -> Option<Result<(&'a str, i64, String), &'a str>> {
    if let Some(x) = ctx.req.header("x-amz-date") {
        return Some(
            parse_basic(x.trim())
                .map(|t| (x, t, x.trim().to_string()))
                .ok_or(x),
        );
    }
    let d = ctx.req.header("date")?;
    Some(parse_http_date(d).map(|t| (d, t, basic(t))).ok_or(d))
}

fn bad_basic_date(ctx: &Ctx, raw: &str) -> AuthError {
    ctx.dialect.incomplete(format!(
        "Date must be in ISO-8601 'basic format'. Got '{raw}'. See http://en.wikipedia.org/wiki/ISO_8601"
    ))
}

/// The JSON/query answer to a credential date that is not the request's.
fn scope_date_mismatch(ctx: &Ctx, scope: &Scope, timestamp: &str) -> AuthError {
    ctx.dialect.signature_error(format!(
        "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}', from '{}'.",
        scope.date,
        &timestamp[..8],
        timestamp
    ))
}

/// Verifies `Authorization: AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`.
pub fn verify_header(ctx: &Ctx, auth: &str) -> Result<Verified, AuthError> {
    let s3 = ctx.dialect == Dialect::S3;
    let c = components(auth);
    let time = request_time(ctx);
    let (credential, signed_headers, signature) = match (
        c.credential,
        c.signed_headers,
        c.signature,
    ) {
        (Some(a), Some(b), Some(c)) if s3 || time.is_some() => (a, b, c),
        _ if s3 => {
            return Err(s3_header_malformed(
                "the authorization header requires three components: Credential, SignedHeaders, and Signature.",
            ));
        }
        _ => {
            return Err(incomplete_header(ctx, auth, &c, time.is_some())
                .unwrap_or_else(|| ctx.dialect.incomplete(format!("Authorization={auth}"))));
        }
    };
    let scope = parse_credential(credential).map_err(|why| {
        if s3 {
            s3_header_malformed(S3_CREDENTIAL_FORMAT)
        } else {
            ctx.dialect.incomplete(why)
        }
    })?;
    let (raw_time, time, timestamp) = match time {
        Some(Ok(t)) => t,
        None | Some(Err(_)) if s3 => {
            return Err(s3_access_denied(
                "AWS authentication requires a valid Date or x-amz-date header",
            ));
        }
        Some(Err(raw)) => return Err(bad_basic_date(ctx, raw)),
        // Answered with the missing components above.
        None => {
            return Err(incomplete_header(ctx, auth, &c, false)
                .unwrap_or_else(|| ctx.dialect.incomplete(format!("Authorization={auth}"))));
        }
    };
    if scope.date != timestamp[..8] {
        return Err(if s3 {
            s3_header_malformed("Invalid credential date. Date is not the same as X-Amz-Date.")
        } else {
            scope_date_mismatch(ctx, &scope, &timestamp)
        });
    }
    if (time - ctx.now).abs() > MAX_SKEW_SECS {
        return Err(ctx.dialect.skewed(raw_time.trim(), time, ctx.now));
    }
    let secret = ctx.secret(&scope.access_key)?;
    let content = payload_hash(ctx, &scope, false)?;
    let key = signing_key(secret, &scope.date, &scope.region, &scope.service);
    check_signature(
        ctx,
        &scope,
        &key,
        &timestamp,
        signed_headers,
        &content.hash,
        signature,
        false,
    )?;
    content.check_body(ctx)?;
    Ok(Verified {
        access_key: scope.access_key.clone(),
        scheme: Scheme::V4Header,
        region: scope.region.clone(),
        service: scope.service.clone(),
        chunks: content.chunk_seed(ctx, &scope, key, timestamp, signature),
    })
}

/// Verifies a presigned URL (`X-Amz-Algorithm`, `X-Amz-Credential`,
/// `X-Amz-Date`, `X-Amz-Expires`, `X-Amz-SignedHeaders`, `X-Amz-Signature`).
pub fn verify_presigned(ctx: &Ctx) -> Result<Verified, AuthError> {
    let s3 = ctx.dialect == Dialect::S3;
    let q = |name: &str| canonical::query_param(ctx.req.query, name);
    let (algorithm, credential, signature, date, signed_headers, expires) = (
        q("X-Amz-Algorithm"),
        q("X-Amz-Credential"),
        q("X-Amz-Signature"),
        q("X-Amz-Date"),
        q("X-Amz-SignedHeaders"),
        q("X-Amz-Expires"),
    );
    // Each dialect's complaint about a presigned-URL parameter.
    let fail = |message: String| {
        if s3 {
            s3_query_error(message)
        } else {
            ctx.dialect.incomplete(message)
        }
    };
    let (Some(algorithm), Some(credential), Some(signature), Some(date), Some(signed_headers)) =
        (algorithm, credential, signature, date, signed_headers)
    else {
        return Err(if s3 {
            s3_query_error(
                "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
            )
        } else {
            let missing = [
                "X-Amz-Algorithm",
                "X-Amz-Credential",
                "X-Amz-Signature",
                "X-Amz-Date",
                "X-Amz-SignedHeaders",
            ]
            .into_iter()
            .find(|n| q(n).is_none())
            .unwrap_or("X-Amz-Signature");
            ctx.dialect.incomplete(format!(
                "AWS query-string parameters must include '{missing}'. Re-examine the query-string parameters."
            ))
        });
    };
    if s3 && expires.is_none() {
        return Err(s3_query_error(
            "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.",
        ));
    }
    if algorithm != ALGORITHM {
        return Err(fail(format!(
            "X-Amz-Algorithm only supports \"{ALGORITHM}\""
        )));
    }
    let scope = parse_credential(&credential).map_err(|why| {
        if s3 {
            s3_query_error(format!(
                "Error parsing the X-Amz-Credential parameter; {S3_CREDENTIAL_FORMAT}"
            ))
        } else {
            ctx.dialect.incomplete(why)
        }
    })?;
    let Some(time) = parse_basic(&date) else {
        return Err(if s3 {
            s3_query_error("X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"")
        } else {
            bad_basic_date(ctx, &date)
        });
    };
    let expires = match &expires {
        None => None,
        Some(raw) => {
            let secs: i64 = raw
                .parse()
                .map_err(|_| fail("X-Amz-Expires should be a number".into()))?;
            if secs < 0 {
                return Err(fail("X-Amz-Expires must be non-negative".into()));
            }
            if secs > MAX_PRESIGN_EXPIRES {
                return Err(fail(
                    "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds".into(),
                ));
            }
            Some((raw.as_str(), secs))
        }
    };
    if scope.date != date[..8] {
        return Err(if s3 {
            s3_query_error("Invalid credential date. Date is not the same as X-Amz-Date.")
        } else {
            scope_date_mismatch(ctx, &scope, &date)
        });
    }
    match expires {
        _ if s3 && time > ctx.now => return Err(s3_access_denied("Request is not valid yet")),
        Some((raw, secs)) if ctx.now > time + secs => {
            return Err(if s3 {
                s3_access_denied("Request has expired")
                    .with("X-Amz-Expires", raw)
                    .with("Expires", iso(time + secs))
                    .with("ServerTime", iso(ctx.now))
            } else {
                ctx.dialect.signature_error(format!(
                    "Signature expired: {} is now earlier than {}",
                    basic(time + secs),
                    basic(ctx.now)
                ))
            });
        }
        Some(_) if time > ctx.now + MAX_SKEW_SECS => {
            return Err(ctx.dialect.skewed(&date, time, ctx.now));
        }
        None if (time - ctx.now).abs() > MAX_SKEW_SECS => {
            return Err(ctx.dialect.skewed(&date, time, ctx.now));
        }
        _ => {}
    }
    let secret = ctx.secret(&scope.access_key)?;
    let content = payload_hash(ctx, &scope, true)?;
    let key = signing_key(secret, &scope.date, &scope.region, &scope.service);
    check_signature(
        ctx,
        &scope,
        &key,
        &date,
        &signed_headers,
        &content.hash,
        &signature,
        true,
    )?;
    content.check_body(ctx)?;
    Ok(Verified {
        access_key: scope.access_key.clone(),
        scheme: Scheme::V4Query,
        region: scope.region.clone(),
        service: scope.service.clone(),
        chunks: content.chunk_seed(ctx, &scope, key, date.clone(), &signature),
    })
}

/// The payload hash that goes into the canonical request.
struct Content {
    hash: String,
    /// A hex `x-amz-content-sha256` to compare with the body once the
    /// signature is known good.
    check: bool,
}

/// S3: `x-amz-content-sha256` as sent (`UNSIGNED-PAYLOAD` for a presigned
/// URL without it; the body's hash for a header-signed request without it);
/// other services: the body's hash.
fn payload_hash(ctx: &Ctx, scope: &Scope, presigned: bool) -> Result<Content, AuthError> {
    if scope.s3_rules()
        && let Some(v) = ctx.req.header("x-amz-content-sha256")
    {
        let v = v.trim();
        let hex = v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit());
        let known = [
            UNSIGNED,
            STREAMING_SIGNED,
            STREAMING_SIGNED_TRAILER,
            STREAMING_UNSIGNED_TRAILER,
        ];
        if !hex && !known.contains(&v) {
            return Err(AuthError::new(
                400,
                "InvalidArgument",
                "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.",
            )
            .with("ArgumentName", "x-amz-content-sha256")
            .with("ArgumentValue", v));
        }
        return Ok(Content {
            hash: v.to_string(),
            check: hex,
        });
    }
    if scope.s3_rules() && presigned {
        return Ok(Content {
            hash: UNSIGNED.into(),
            check: false,
        });
    }
    Ok(Content {
        hash: hash_payload(ctx.payload)?,
        check: false,
    })
}

impl Content {
    /// S3's check of a hex `x-amz-content-sha256` against the body.
    fn check_body(&self, ctx: &Ctx) -> Result<(), AuthError> {
        if !self.check {
            return Ok(());
        }
        let computed = hash_payload(ctx.payload)?;
        if computed.eq_ignore_ascii_case(&self.hash) {
            return Ok(());
        }
        Err(AuthError::new(
            400,
            "XAmzContentSHA256Mismatch",
            "The provided 'x-amz-content-sha256' header does not match what was computed.",
        )
        .with("ClientComputedContentSHA256", &self.hash)
        .with("S3ComputedContentSHA256", computed))
    }

    /// What the chunk verifier needs, for signed aws-chunked bodies.
    fn chunk_seed(
        &self,
        ctx: &Ctx,
        scope: &Scope,
        key: [u8; 32],
        timestamp: String,
        seed: &str,
    ) -> Option<ChunkSeed> {
        let trailer = match self.hash.as_str() {
            STREAMING_SIGNED => false,
            STREAMING_SIGNED_TRAILER => true,
            _ => return None,
        };
        let number = |name: &str| {
            ctx.req
                .header(name)
                .and_then(|v| v.trim().parse::<u64>().ok())
        };
        Some(ChunkSeed {
            dialect: ctx.dialect,
            access_key: scope.access_key.clone(),
            key,
            timestamp,
            scope: scope.string(),
            seed: seed.to_string(),
            trailer,
            framed_len: number("content-length"),
            decoded_len: number("x-amz-decoded-content-length"),
        })
    }
}

/// Builds the canonical request and string to sign, signs, compares. When
/// the signature does not match, the canonical request is built once more
/// from the path and query exactly as sent (what a client that signed its
/// wire form without AWS's re-encoding computed) before refusing with the
/// details of the first.
#[allow(clippy::too_many_arguments)]
fn check_signature(
    ctx: &Ctx,
    scope: &Scope,
    key: &[u8; 32],
    timestamp: &str,
    signed_headers: &str,
    payload_hash: &str,
    provided: &str,
    presigned: bool,
) -> Result<(), AuthError> {
    let req = ctx.req;
    let signed: Vec<&str> = signed_headers.split(';').collect();
    let headers = canonical_headers(req, &signed);
    let build = |uri: &str, query: &str| {
        let canonical = format!(
            "{}\n{uri}\n{query}\n{headers}\n{signed_headers}\n{payload_hash}",
            req.method
        );
        let string_to_sign = format!(
            "{ALGORITHM}\n{timestamp}\n{}\n{}",
            scope.string(),
            sha256_hex(canonical.as_bytes())
        );
        let signature = hex::encode(hmac256(key, string_to_sign.as_bytes()));
        (canonical, string_to_sign, signature)
    };
    let uri = if scope.s3_rules() {
        s3_uri(req.path)
    } else {
        standard_uri(req.path)
    };
    let query = canonical_query(req.query, presigned);
    let (canonical, string_to_sign, signature) = build(&uri, &query);
    if same(&signature, provided) {
        return Ok(());
    }
    let uri_sent = if scope.s3_rules() {
        s3_uri_as_sent(req.path)
    } else {
        uri.clone()
    };
    let query_sent = canonical_query_as_sent(req.query, presigned);
    if (uri_sent != uri || query_sent != query) && same(&build(&uri_sent, &query_sent).2, provided)
    {
        return Ok(());
    }
    Err(ctx.dialect.mismatch(
        &scope.access_key,
        &string_to_sign,
        provided,
        Some(&canonical),
    ))
}
