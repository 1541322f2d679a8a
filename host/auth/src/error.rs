//! [`AuthError`] and the wording of each failure in each [`Dialect`]: S3,
//! the JSON services (worded as DynamoDB words them) and the query services
//! (SQS, SNS) answer the same failure with different codes, statuses and
//! messages, and clients (and tests written against AWS) match on them.

use std::fmt;

use ruststack_protocol::AwsError;

use crate::Dialect;

/// The S3 message of a wrong signature.
pub(crate) const S3_SIGNATURE_MESSAGE: &str = "The request signature we calculated does not match the signature you provided. Check your key and signing method.";

/// The JSON / query message of a wrong signature.
const SIGNATURE_MESSAGE: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

const MISSING_TOKEN: &str = "Request is missing Authentication Token";

const INVALID_TOKEN: &str = "The security token included in the request is invalid.";

/// Why a request was refused, as AWS words it for the request's service.
///
/// Convert it with `AwsError::from` and encode it with the protocol of the
/// service the request was for; `extra` become further elements of S3's XML
/// error (`<StringToSign>`, `<ServerTime>`, ...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthError {
    /// HTTP status (400, 403; 500 when a spilled body cannot be read).
    pub status: u16,
    /// The AWS error code, e.g. `SignatureDoesNotMatch`.
    pub code: String,
    /// The message AWS sends.
    pub message: String,
    /// Extra fields AWS adds to the error, in AWS's order.
    pub extra: Vec<(String, String)>,
}

impl AuthError {
    pub(crate) fn new(status: u16, code: &str, message: impl Into<String>) -> Self {
        AuthError {
            status,
            code: code.to_string(),
            message: message.into(),
            extra: Vec::new(),
        }
    }

    pub(crate) fn with(mut self, name: &str, value: impl Into<String>) -> Self {
        self.extra.push((name.to_string(), value.into()));
        self
    }

    /// The value of an extra field.
    pub fn extra(&self, name: &str) -> Option<&str> {
        self.extra
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// 500 `InternalFailure`: the body spilled to a file could not be read.
    pub(crate) fn io(e: &std::io::Error) -> Self {
        AuthError::new(
            500,
            "InternalFailure",
            format!("The request body could not be read: {e}"),
        )
    }

    /// 400 `IncompleteBody` (aws-chunked framing).
    pub(crate) fn incomplete_body() -> Self {
        ruststack_protocol::aws_chunked::incomplete_body().into()
    }

    /// 400 `MalformedTrailerError` (aws-chunked trailers).
    pub(crate) fn malformed_trailer() -> Self {
        ruststack_protocol::aws_chunked::malformed_trailer().into()
    }
}

impl fmt::Display for AuthError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.status, self.message)
    }
}

impl std::error::Error for AuthError {}

impl From<AuthError> for AwsError {
    fn from(e: AuthError) -> Self {
        let mut out = AwsError::new(e.status, e.code, e.message);
        out.extra = e.extra;
        out
    }
}

impl From<AwsError> for AuthError {
    fn from(e: AwsError) -> Self {
        AuthError {
            status: e.status,
            code: e.code,
            message: e.message,
            extra: e.extra,
        }
    }
}

/// Space-separated lower-case hex bytes, as in `<StringToSignBytes>`.
pub(crate) fn hex_bytes(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for (i, b) in s.bytes().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// What the failure is about, in the words each dialect uses.
impl Dialect {
    /// No signature at all.
    pub(crate) fn missing_token(self) -> AuthError {
        match self {
            Dialect::S3 => AuthError::new(403, "AccessDenied", "Access Denied"),
            Dialect::Json => {
                AuthError::new(400, "MissingAuthenticationTokenException", MISSING_TOKEN)
            }
            Dialect::Query => AuthError::new(403, "MissingAuthenticationToken", MISSING_TOKEN),
        }
    }

    /// The access key id is not one of the configured credentials.
    pub(crate) fn unknown_key(self, access_key: &str) -> AuthError {
        match self {
            Dialect::S3 => AuthError::new(
                403,
                "InvalidAccessKeyId",
                "The AWS Access Key Id you provided does not exist in our records.",
            )
            .with("AWSAccessKeyId", access_key),
            Dialect::Json => AuthError::new(400, "UnrecognizedClientException", INVALID_TOKEN),
            Dialect::Query => AuthError::new(403, "InvalidClientTokenId", INVALID_TOKEN),
        }
    }

    /// A signature error of the JSON / query services with its own message
    /// (wrong signature, expired, date mismatch).
    pub(crate) fn signature_error(self, message: impl Into<String>) -> AuthError {
        match self {
            Dialect::Json => AuthError::new(400, "InvalidSignatureException", message),
            Dialect::S3 | Dialect::Query => AuthError::new(403, "SignatureDoesNotMatch", message),
        }
    }

    /// The signature does not match. S3 explains what it computed;
    /// `canonical` is the canonical request (SigV4 only).
    pub(crate) fn mismatch(
        self,
        access_key: &str,
        string_to_sign: &str,
        provided: &str,
        canonical: Option<&str>,
    ) -> AuthError {
        match self {
            Dialect::S3 => {
                let e = AuthError::new(403, "SignatureDoesNotMatch", S3_SIGNATURE_MESSAGE)
                    .with("AWSAccessKeyId", access_key)
                    .with("StringToSign", string_to_sign)
                    .with("SignatureProvided", provided)
                    .with("StringToSignBytes", hex_bytes(string_to_sign));
                match canonical {
                    Some(c) => e
                        .with("CanonicalRequest", c)
                        .with("CanonicalRequestBytes", hex_bytes(c)),
                    None => e,
                }
            }
            Dialect::Json | Dialect::Query => self.signature_error(SIGNATURE_MESSAGE),
        }
    }

    /// The `Authorization` header (or the presigned query) lacks parts or
    /// does not parse: JSON and query wording (S3 has its own codes).
    pub(crate) fn incomplete(self, message: impl Into<String>) -> AuthError {
        match self {
            Dialect::Json => AuthError::new(400, "IncompleteSignatureException", message),
            Dialect::S3 | Dialect::Query => AuthError::new(400, "IncompleteSignature", message),
        }
    }

    /// The request time is more than 15 minutes away from `now`.
    /// `raw` is the date as sent (S3 echoes it).
    pub(crate) fn skewed(self, raw: &str, request: i64, now: i64) -> AuthError {
        use crate::clock::basic;
        match self {
            Dialect::S3 => AuthError::new(
                403,
                "RequestTimeTooSkewed",
                "The difference between the request time and the current time is too large.",
            )
            .with("RequestTime", raw)
            .with("ServerTime", crate::clock::iso(now))
            .with("MaxAllowedSkewMilliseconds", "900000"),
            Dialect::Json | Dialect::Query => {
                let message = if request < now {
                    format!(
                        "Signature expired: {} is now earlier than {} ({} - 15 min.)",
                        basic(request),
                        basic(now - crate::MAX_SKEW_SECS),
                        basic(now)
                    )
                } else {
                    format!(
                        "Signature not yet current: {} is still later than {} ({} + 15 min.)",
                        basic(request),
                        basic(now + crate::MAX_SKEW_SECS),
                        basic(now)
                    )
                };
                self.signature_error(message)
            }
        }
    }
}

/// S3's 400 `AuthorizationHeaderMalformed` with a reason.
pub(crate) fn s3_header_malformed(reason: &str) -> AuthError {
    AuthError::new(
        400,
        "AuthorizationHeaderMalformed",
        format!("The authorization header is malformed; {reason}"),
    )
}

/// S3's 400 `AuthorizationQueryParametersError`.
pub(crate) fn s3_query_error(message: impl Into<String>) -> AuthError {
    AuthError::new(400, "AuthorizationQueryParametersError", message)
}

/// S3's 403 `AccessDenied` with a message.
pub(crate) fn s3_access_denied(message: &str) -> AuthError {
    AuthError::new(403, "AccessDenied", message)
}

/// S3's 400 `InvalidArgument` naming the argument.
pub(crate) fn s3_invalid_argument(message: &str, name: &str, value: &str) -> AuthError {
    AuthError::new(400, "InvalidArgument", message)
        .with("ArgumentName", name)
        .with("ArgumentValue", value)
}
