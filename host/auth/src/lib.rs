//! Verifies AWS request signatures the way AWS does, so that a RustStack
//! started with credentials refuses what AWS would refuse, with the same
//! error codes, statuses and messages, for S3 (rest-xml), the JSON services
//! (DynamoDB, SQS JSON) and the query services (SQS query, SNS).
//!
//! What is checked:
//!
//! - **SigV4 `Authorization` headers** (`AWS4-HMAC-SHA256 Credential=...,
//!   SignedHeaders=..., Signature=...`) and **presigned URLs** (`X-Amz-*`
//!   query parameters): the canonical request is rebuilt from what was
//!   received, exactly as the AWS signers build it (S3: the path as sent,
//!   not normalised, payload hash from `x-amz-content-sha256`; every other
//!   service: the normalised path encoded once more, payload hash of the
//!   body), the string to sign is signed with the key derived from the
//!   secret of the access key, and the signatures are compared. Also: the
//!   clock skew of header-signed requests (15 minutes), the expiry of
//!   presigned URLs, and for S3 a hex `x-amz-content-sha256` against the
//!   body.
//! - **SigV2** for S3 (`Authorization: AWS KEY:signature` and the
//!   `AWSAccessKeyId`/`Signature`/`Expires` query form).
//! - **aws-chunked bodies** with signed chunks
//!   (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`): [`ChunkVerifier`]
//!   checks each chunk signature (and the trailer signature) while the body
//!   streams through it.
//!
//! What is not: SigV4a (`AWS4-ECDSA-P256-SHA256`), the SigV2 of the query
//! services (`SignatureVersion=2`), the policy signature of S3 browser POST
//! uploads (let through, see [`verify`]), session tokens (any
//! `X-Amz-Security-Token` is accepted: there is no STS behind it), and
//! whether every `x-amz-*` header present was signed.
//!
//! ```
//! use ruststack_auth::{verify, Credentials, Dialect, Payload, Request};
//! let creds = Credentials::new([]);
//! let headers = vec![("host".to_string(), "localhost:4566".to_string())];
//! let req = Request { method: "GET", path: "/", query: "", headers: &headers };
//! let err = verify(&creds, Dialect::S3, &req, Payload::Bytes(b""), std::time::SystemTime::now())
//!     .unwrap_err();
//! assert_eq!((err.status, err.code.as_str()), (403, "AccessDenied"));
//! ```

#![warn(missing_docs)]

mod canonical;
mod chunked;
mod clock;
mod error;
mod sigv2;
mod sigv4;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::time::SystemTime;

pub use chunked::ChunkVerifier;
pub use error::AuthError;

/// How far a header-signed request's time may be from the server's clock.
pub(crate) const MAX_SKEW_SECS: i64 = 15 * 60;

/// The longest validity of a presigned SigV4 URL (a week).
pub(crate) const MAX_PRESIGN_EXPIRES: i64 = 604_800;

/// The access keys the server knows, each with its secret.
///
/// The pair `test`/`test` (what LocalStack users and the AWS tools'
/// LocalStack presets send) is always known, so turning verification on
/// does not lock out the default setup.
#[derive(Clone)]
pub struct Credentials {
    keys: HashMap<String, String>,
}

impl Credentials {
    /// Credentials from `(access key id, secret)` pairs, plus `test`/`test`
    /// (a pair given for the key `test` replaces its secret).
    pub fn new(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        let mut keys = HashMap::from([("test".to_string(), "test".to_string())]);
        keys.extend(pairs);
        Credentials { keys }
    }

    /// Parses `KEY:SECRET`, as given on the command line or in the
    /// environment. The secret is everything after the first `:` (it may
    /// hold `:`); neither part may be empty, and the key holds no
    /// whitespace.
    pub fn parse_pair(s: &str) -> Result<(String, String), String> {
        let (key, secret) = s
            .split_once(':')
            .ok_or_else(|| format!("credentials must be KEY:SECRET, got {:?}", redact(s)))?;
        if key.is_empty() || secret.is_empty() {
            return Err(format!(
                "credentials must be KEY:SECRET with neither part empty, got {:?}",
                redact(s)
            ));
        }
        if key.chars().any(char::is_whitespace) {
            return Err(format!("access key id {key:?} holds whitespace"));
        }
        Ok((key.to_string(), secret.to_string()))
    }

    /// The secret of an access key id, if the key is known.
    pub fn secret(&self, access_key: &str) -> Option<&str> {
        self.keys.get(access_key).map(String::as_str)
    }
}

/// Shows the key part of a `KEY:SECRET` only, for error messages.
fn redact(s: &str) -> String {
    match s.split_once(':') {
        Some((k, _)) => format!("{k}:***"),
        None => "***".into(),
    }
}

impl Default for Credentials {
    /// Only `test`/`test`.
    fn default() -> Self {
        Credentials::new([])
    }
}

impl fmt::Debug for Credentials {
    /// Lists the access key ids, never the secrets.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut keys: Vec<&String> = self.keys.keys().collect();
        keys.sort();
        f.debug_struct("Credentials")
            .field("access_keys", &keys)
            .finish()
    }
}

/// How errors are worded: each protocol family answers the same failure
/// with its own codes and statuses. The host knows it from the protocol of
/// the plugin that serves the request. (Which canonicalisation rules apply
/// is decided by the signing service in the credential scope: `s3` signs
/// the S3 way even when sent elsewhere, other services the standard way.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// S3 (rest-xml): `AccessDenied`, `SignatureDoesNotMatch` with the
    /// string to sign, `RequestTimeTooSkewed`, ...
    S3,
    /// JSON protocol services, worded as DynamoDB words them: status 400,
    /// `...Exception` codes.
    Json,
    /// Query protocol services (SQS query, SNS): 403 for bad credentials,
    /// 400 `IncompleteSignature`.
    Query,
}

/// A received request, as the verifier needs it.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// Upper-case method, e.g. `PUT`.
    pub method: &'a str,
    /// The path exactly as received, still percent-encoded
    /// (`/bucket/my%20key`): signatures cover the encoded form.
    pub path: &'a str,
    /// The query string as received, without `?`.
    pub query: &'a str,
    /// All headers with lower-case names, repeated names as separate
    /// entries in the order received. Must include `host` (for HTTP/2, the
    /// `:authority`), which every SigV4 signature covers.
    pub headers: &'a [(String, String)],
}

impl<'a> Request<'a> {
    /// The first value of a header (name compared case-insensitively).
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// The received body, for the signatures that cover its hash (every SigV4
/// request but S3's, whose hash is in `x-amz-content-sha256`; and S3's when
/// that header holds a hex hash, which is checked against the body).
/// It is only read when needed.
#[derive(Debug, Clone, Copy)]
pub enum Payload<'a> {
    /// A body held in memory.
    Bytes(&'a [u8]),
    /// A body spilled to a file: streamed through SHA-256, never loaded.
    File(&'a Path),
}

/// How a request was authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// Not signed, and let through: an S3 browser POST upload or CORS
    /// preflight (see [`verify`]).
    Anonymous,
    /// SigV2 `Authorization: AWS KEY:signature` (S3).
    V2Header,
    /// SigV2 query string (`AWSAccessKeyId`, `Signature`, `Expires`; S3).
    V2Query,
    /// SigV4 `Authorization` header.
    V4Header,
    /// SigV4 presigned URL.
    V4Query,
}

/// A request whose signature was verified.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The access key id that signed the request (empty for
    /// [`Scheme::Anonymous`]).
    pub access_key: String,
    /// How it was signed.
    pub scheme: Scheme,
    /// Region of the SigV4 credential scope (empty for SigV2 and anonymous).
    pub region: String,
    /// Signing service of the SigV4 credential scope (`s3`, `dynamodb`,
    /// ...; empty for SigV2 and anonymous).
    pub service: String,
    pub(crate) chunks: Option<chunked::ChunkSeed>,
}

impl Verified {
    /// A verifier for the body's chunk signatures: `Some` when the request
    /// declared an aws-chunked body with signed chunks
    /// (`x-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD` or
    /// `...-PAYLOAD-TRAILER`). The host must then run the whole framed body
    /// through it (and call [`ChunkVerifier::finish`]) before the request
    /// takes effect: the seed signature only covers the headers.
    pub fn chunk_verifier(&self) -> Option<ChunkVerifier> {
        self.chunks.clone().map(ChunkVerifier::new)
    }
}

/// Everything one verification needs.
pub(crate) struct Ctx<'a> {
    pub creds: &'a Credentials,
    pub dialect: Dialect,
    pub req: &'a Request<'a>,
    pub payload: Payload<'a>,
    /// Server time, whole seconds since the epoch.
    pub now: i64,
}

impl Ctx<'_> {
    /// The secret of an access key, or the dialect's unknown-key error.
    pub fn secret(&self, access_key: &str) -> Result<&str, AuthError> {
        self.creds
            .secret(access_key)
            .ok_or_else(|| self.dialect.unknown_key(access_key))
    }
}

const V4_QUERY_MARKERS: [&str; 3] = ["X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Signature"];
const V2_QUERY_MARKERS: [&str; 2] = ["AWSAccessKeyId", "Signature"];

fn authorization<'a>(req: &Request<'a>) -> Option<&'a str> {
    req.header("authorization")
        .map(str::trim)
        .filter(|a| !a.is_empty())
}

/// Whether the request carries any signature: an `Authorization` header, a
/// SigV4 presigned query (`X-Amz-Algorithm`, `X-Amz-Credential` or
/// `X-Amz-Signature`) or a SigV2 one (`AWSAccessKeyId` or `Signature`).
/// The host can use it to tell anonymous requests from signed ones without
/// verifying (e.g. with verification off).
pub fn is_signed(req: &Request) -> bool {
    authorization(req).is_some()
        || V4_QUERY_MARKERS
            .iter()
            .chain(&V2_QUERY_MARKERS)
            .any(|n| canonical::has_param(req.query, n))
}

/// Whether [`verify`] reads the body of this request: for every SigV4
/// request but S3's (their signatures cover the body's hash), and for S3
/// ones whose `x-amz-content-sha256` is a hex hash (compared with the body)
/// or absent from a header-signed request (then hashed into the signature).
/// When it is `false` (S3 `UNSIGNED-PAYLOAD` and `STREAMING-*` uploads,
/// presigned URLs, SigV2, unsigned requests) the host may verify as soon as
/// the headers are in, passing an empty [`Payload::Bytes`], and refuse a
/// bad signature before receiving a large body.
pub fn needs_body(req: &Request) -> bool {
    let v4_header = authorization(req).is_some_and(|a| a.starts_with(sigv4::ALGORITHM));
    let v4_query = authorization(req).is_none()
        && V4_QUERY_MARKERS
            .iter()
            .any(|n| canonical::has_param(req.query, n));
    if !v4_header && !v4_query {
        return false;
    }
    let Some(service) = sigv4::signing_service(req) else {
        // Refused before the body is looked at.
        return false;
    };
    if !sigv4::s3_service(&service) {
        return true;
    }
    match req.header("x-amz-content-sha256").map(str::trim) {
        Some(v) => v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()),
        None => v4_header,
    }
}

/// Verifies a request's signature at time `now`; returns who signed it, or
/// the error AWS would answer in `dialect`'s words.
///
/// Call it once the body has been received (in memory: [`Payload::Bytes`];
/// spilled to disk: [`Payload::File`]): non-S3 signatures cover the body's
/// hash. For S3 the body is only read when `x-amz-content-sha256` holds a
/// hex hash (to compare it) or is absent. For aws-chunked bodies, also run
/// the body through [`Verified::chunk_verifier`].
///
/// Unsigned requests are refused (S3 403 `AccessDenied`, JSON 400
/// `MissingAuthenticationTokenException`, query 403
/// `MissingAuthenticationToken`), except two kinds of requests browsers
/// send unsigned, which pass as [`Scheme::Anonymous`]: CORS preflights
/// (`OPTIONS`, any service: browsers never sign them, AWS answers them
/// without credentials), and S3 browser POST uploads (a
/// `multipart/form-data` POST to a bucket), whose form carries its own
/// policy signature that is not checked here.
///
/// A request with both an `Authorization` header and query-string
/// authentication is refused by S3 (400 `InvalidArgument`); other services
/// use the header.
pub fn verify(
    creds: &Credentials,
    dialect: Dialect,
    req: &Request,
    payload: Payload,
    now: SystemTime,
) -> Result<Verified, AuthError> {
    let ctx = Ctx {
        creds,
        dialect,
        req,
        payload,
        now: clock::unix(now),
    };
    let v4_query = V4_QUERY_MARKERS
        .iter()
        .any(|n| canonical::has_param(req.query, n));
    let v2_query = dialect == Dialect::S3
        && V2_QUERY_MARKERS
            .iter()
            .any(|n| canonical::has_param(req.query, n));
    match authorization(req) {
        Some(auth) if dialect == Dialect::S3 && (v4_query || v2_query) => {
            Err(error::s3_invalid_argument(
                "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified",
                "Authorization",
                auth,
            ))
        }
        Some(auth) => {
            let algorithm = auth.split_ascii_whitespace().next().unwrap_or("");
            if algorithm == sigv4::ALGORITHM {
                sigv4::verify_header(&ctx, auth)
            } else if dialect == Dialect::S3 && algorithm == "AWS" {
                sigv2::verify_header(&ctx, auth)
            } else {
                Err(sigv4::unsupported(&ctx, auth))
            }
        }
        None if v4_query => sigv4::verify_presigned(&ctx),
        None if v2_query => sigv2::verify_query(&ctx),
        None if browser_exempt(dialect, req) => Ok(Verified {
            access_key: String::new(),
            scheme: Scheme::Anonymous,
            region: String::new(),
            service: String::new(),
            chunks: None,
        }),
        None => Err(dialect.missing_token()),
    }
}

/// Requests browsers send unsigned: CORS preflights, and S3 POST uploads
/// (`multipart/form-data`) to a bucket (`/bucket` path-style, `/` on a
/// virtual-hosted bucket).
fn browser_exempt(dialect: Dialect, req: &Request) -> bool {
    if req.method == "OPTIONS" {
        return true;
    }
    if dialect != Dialect::S3 {
        return false;
    }
    let form = req.header("content-type").is_some_and(|c| {
        c.trim_start()
            .to_ascii_lowercase()
            .starts_with("multipart/form-data")
    });
    if req.method != "POST" || !form {
        return false;
    }
    let virtual_host = req
        .header("host")
        .and_then(ruststack_protocol::rest::virtual_bucket)
        .is_some();
    let rest = req.path.trim_start_matches('/');
    if virtual_host {
        rest.is_empty()
    } else {
        let bucket = rest.strip_suffix('/').unwrap_or(rest);
        !bucket.is_empty() && !bucket.contains('/')
    }
}
