//! [`AwsError`]: the one error type every codec, plugin and the host turn into
//! an AWS-shaped error response.

use std::fmt;

/// An error as AWS reports it on the wire.
///
/// Plugins return it from operations; the codecs return it for protocol-level
/// failures (unknown operation, malformed body, missing required member); the
/// host builds one when a plugin traps or times out. [`crate::encode_error`]
/// turns it into the exact response shape of each protocol.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AwsError {
    /// HTTP status code of the response (e.g. 400, 404, 500).
    pub status: u16,
    /// The AWS error code (e.g. `NoSuchBucket`, `ValidationException`).
    pub code: String,
    /// Human-readable message.
    pub message: String,
    /// `true` when the caller is at fault (query `<Type>Sender</Type>`), `false`
    /// for server faults (`Receiver`).
    pub sender_fault: bool,
    /// Extra fields AWS adds to some errors, written as further elements in
    /// XML errors (e.g. S3's `<BucketName>`) and further keys in JSON errors.
    pub extra: Vec<(String, String)>,
    /// For services that moved from the query protocol to JSON but stay
    /// "query compatible" (SQS): the legacy query error code, e.g.
    /// `AWS.SimpleQueueService.NonExistentQueue`. JSON errors carry it in the
    /// `x-amzn-query-error` header and query errors use it as `<Code>`.
    pub query_code: Option<String>,
    /// What few errors carry (structured JSON members, response headers,
    /// the missing member a codec found), boxed so that results whose error
    /// is an `AwsError` stay small.
    pub details: Option<Box<ErrorDetails>>,
}

/// The rarer parts of an [`AwsError`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ErrorDetails {
    /// Structured members of a JSON error body (DynamoDB's `Item` on a
    /// failed condition, `CancellationReasons` on a cancelled transaction),
    /// which [`AwsError::extra`]'s strings cannot express.
    pub members: Vec<(String, serde_json::Value)>,
    /// The required member (its model name) whose absence this error
    /// reports, when a codec found it missing: services that word it their
    /// own way (SQS's `EmptyBatchRequest` for a batch without entries) read
    /// it here rather than from the message.
    pub missing_member: Option<String>,
    /// Response headers the error carries beside its body (S3's
    /// `x-amz-delete-marker` on a GET of a deleted key, `ETag` and
    /// `Last-Modified` on a 304 or 412).
    pub headers: Vec<(String, String)>,
}

impl AwsError {
    /// An error with an explicit status; `sender_fault` is derived from it
    /// (4xx = sender, 5xx = receiver).
    pub fn new(status: u16, code: impl Into<String>, message: impl Into<String>) -> Self {
        AwsError {
            status,
            code: code.into(),
            message: message.into(),
            sender_fault: status < 500,
            extra: Vec::new(),
            query_code: None,
            details: None,
        }
    }

    /// A 400 client error, the most common kind.
    pub fn client(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(400, code, message)
    }

    /// Adds an extra field (builder style), e.g. `("BucketName", "demo")`.
    pub fn with_extra(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.extra.push((name.into(), value.into()));
        self
    }

    fn details_mut(&mut self) -> &mut ErrorDetails {
        self.details.get_or_insert_default()
    }

    /// Adds a structured member to a JSON error body (builder style), e.g.
    /// `("Item", json!({...}))`.
    pub fn with_member(mut self, name: impl Into<String>, value: serde_json::Value) -> Self {
        self.details_mut().members.push((name.into(), value));
        self
    }

    /// Adds a response header (builder style), e.g. `("x-amz-delete-marker", "true")`.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.details_mut().headers.push((name.into(), value.into()));
        self
    }

    /// Records which required member is missing (builder style).
    pub fn with_missing_member(mut self, member: impl Into<String>) -> Self {
        self.details_mut().missing_member = Some(member.into());
        self
    }

    /// The structured JSON members of the error body.
    pub fn members(&self) -> &[(String, serde_json::Value)] {
        self.details.as_deref().map_or(&[], |d| &d.members)
    }

    /// The response headers the error carries.
    pub fn headers(&self) -> &[(String, String)] {
        self.details.as_deref().map_or(&[], |d| &d.headers)
    }

    /// The required member a codec found missing, if that is the error.
    pub fn missing_member(&self) -> Option<&str> {
        self.details.as_deref()?.missing_member.as_deref()
    }

    /// Sets the legacy query error code of a query-compatible JSON service.
    pub fn with_query_code(mut self, code: impl Into<String>) -> Self {
        self.query_code = Some(code.into());
        self
    }

    /// Overrides whether the sender is at fault.
    pub fn with_sender_fault(mut self, sender_fault: bool) -> Self {
        self.sender_fault = sender_fault;
        self
    }

    /// 500 `InternalFailure`: what the host answers when a plugin traps, runs
    /// out of time or memory, or fails in a way it did not model.
    pub fn internal_failure() -> Self {
        Self::new(
            500,
            "InternalFailure",
            "The request processing has failed because of an unknown error, exception or failure.",
        )
    }

    /// 501 `NotImplemented`: an operation the emulator does not support (yet).
    pub fn not_implemented(operation: &str) -> Self {
        Self::new(
            501,
            "NotImplemented",
            format!("The operation {operation} is not implemented by RustStack."),
        )
    }

    /// 400 `ValidationException` (JSON services' generic input error).
    pub fn validation(message: impl Into<String>) -> Self {
        Self::client("ValidationException", message)
    }

    /// 400 `ValidationError` (query services' generic input error: SNS, STS).
    pub fn validation_error(message: impl Into<String>) -> Self {
        Self::client("ValidationError", message)
    }

    /// 400 `InvalidParameterValue` (query services).
    pub fn invalid_parameter_value(message: impl Into<String>) -> Self {
        Self::client("InvalidParameterValue", message)
    }

    /// 400 `MissingParameter`: a required member of a query request is absent.
    pub fn missing_parameter(message: impl Into<String>) -> Self {
        Self::client("MissingParameter", message)
    }

    /// 400 `MalformedXML` (S3): the XML body does not parse or fit the schema.
    pub fn malformed_xml() -> Self {
        Self::client(
            "MalformedXML",
            "The XML you provided was not well-formed or did not validate against our published schema",
        )
    }

    /// 400 `SerializationException` (JSON protocols): the body is not valid JSON
    /// or a member has the wrong type.
    pub fn serialization(message: impl Into<String>) -> Self {
        Self::client("SerializationException", message)
    }

    /// 400 `UnknownOperationException` (JSON protocols): the `X-Amz-Target`
    /// (given as `target`, if any) names no operation of the service. AWS
    /// sends no message; this one names what was asked for, which tells a
    /// plugin's author a misspelt operation at once.
    pub fn unknown_operation(target: Option<&str>) -> Self {
        let message = match target {
            Some(t) => format!("{t} is not an operation of this service"),
            None => "The request names no operation (no X-Amz-Target header)".to_string(),
        };
        Self::client("UnknownOperationException", message)
    }

    /// 400 `InvalidAction` (query protocol): the `Action` is not an operation
    /// of the service.
    pub fn invalid_action(action: &str) -> Self {
        Self::client(
            "InvalidAction",
            format!("The action {action} is not valid for this web service."),
        )
    }

    /// 400 `InvalidRequest` (S3): a request no S3 operation matches.
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::client("InvalidRequest", message)
    }

    /// 405 `MethodNotAllowed` (S3).
    pub fn method_not_allowed() -> Self {
        Self::new(
            405,
            "MethodNotAllowed",
            "The specified method is not allowed against this resource.",
        )
    }

    /// The error's code as the query protocol writes it (legacy code when set).
    pub fn query_error_code(&self) -> &str {
        self.query_code.as_deref().unwrap_or(&self.code)
    }
}

impl fmt::Display for AwsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({}): {}", self.code, self.status, self.message)
    }
}

impl std::error::Error for AwsError {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Protocol;

    #[test]
    fn fault_follows_status() {
        assert!(AwsError::client("X", "y").sender_fault);
        assert!(!AwsError::internal_failure().sender_fault);
        assert_eq!(AwsError::not_implemented("Foo").status, 501);
        assert_eq!(
            AwsError::validation("bad").to_string(),
            "ValidationException (400): bad"
        );
    }

    #[test]
    fn an_errors_headers_reach_the_response_in_every_protocol() {
        let e = AwsError::new(404, "NoSuchKey", "The specified key does not exist.")
            .with_header("x-amz-delete-marker", "true");
        for p in [
            Protocol::RestXml,
            Protocol::Json,
            Protocol::Query,
            Protocol::RestJson,
        ] {
            let r = crate::encode_error(p, &e, "rid");
            assert_eq!(r.header("x-amz-delete-marker"), Some("true"), "{p:?}");
            assert!(!String::from_utf8_lossy(&r.body).contains("delete-marker"));
        }
        let r = crate::Codec::new(crate::models::s3()).encode_error(&e, "rid");
        assert_eq!(r.header("x-amz-delete-marker"), Some("true"));
    }

    #[test]
    fn query_code_overrides_code_for_query() {
        let e = AwsError::client("QueueDoesNotExist", "nope")
            .with_query_code("AWS.SimpleQueueService.NonExistentQueue");
        assert_eq!(
            e.query_error_code(),
            "AWS.SimpleQueueService.NonExistentQueue"
        );
        assert_eq!(AwsError::malformed_xml().query_error_code(), "MalformedXML");
    }
}
