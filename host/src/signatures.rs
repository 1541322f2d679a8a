//! Signature checks for every plugin (`--verify-signatures`), in one place:
//! [`ruststack_auth`] rebuilds and compares the signature; this module picks
//! the wording of its errors from the protocol the request speaks, and
//! feeds it the body: from memory, or from the file it was spilled to (read
//! on a blocking thread). A signature that does not cover the body is
//! checked as soon as the headers are in, so a bad one is refused before a
//! large upload is received.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::SystemTime;

use ruststack_auth::{Credentials, Dialect, Payload, Request, Verified};
use ruststack_protocol::{AwsError, Protocol};

/// The known credentials of a server that checks signatures.
pub struct Signatures {
    /// Shared with the blocking threads that hash spilled bodies.
    credentials: Arc<Credentials>,
}

/// How a request's authentication errors are worded and encoded.
#[derive(Debug, Clone, Copy)]
pub struct Wording {
    /// The protocol the request speaks.
    pub protocol: Protocol,
    /// A JSON service that speaks the query protocol too (SQS): it answers
    /// the query protocol's codes and statuses, in JSON, with the code
    /// also in the `x-amzn-query-error` header its SDKs read.
    pub query_compatible: bool,
}

/// A received body, for hashing and chunk checks.
pub enum BodyRef<'a> {
    /// Held in memory.
    Memory(&'a [u8]),
    /// Spilled to this file.
    File(PathBuf),
}

impl Signatures {
    /// From `--credentials` pairs (`KEY:SECRET`); `test:test` is always known.
    pub fn new(pairs: &[String]) -> anyhow::Result<Self> {
        let pairs = pairs
            .iter()
            .map(|p| Credentials::parse_pair(p).map_err(|e| anyhow::anyhow!("--credentials: {e}")))
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Signatures {
            credentials: Arc::new(Credentials::new(pairs)),
        })
    }

    /// Checks a request whose signature does not cover its body, before
    /// the body is received: `None` when the body is needed first.
    pub fn check_early(
        &self,
        wording: Wording,
        req: &Request<'_>,
    ) -> Option<Result<Verified, AwsError>> {
        (!ruststack_auth::needs_body(req))
            .then(|| verify(&self.credentials, wording, req, Payload::Bytes(&[])))
    }

    /// Checks a request once its body is in: the signature (unless
    /// [`Signatures::check_early`] did), then each signed chunk of an
    /// `aws-chunked` body.
    pub async fn check(
        &self,
        wording: Wording,
        req: &Request<'_>,
        early: Option<Verified>,
        body: BodyRef<'_>,
    ) -> Result<(), AwsError> {
        let verified = match (early, &body) {
            (Some(v), _) => v,
            (None, BodyRef::Memory(b)) => {
                verify(&self.credentials, wording, req, Payload::Bytes(b))?
            }
            (None, BodyRef::File(path)) => {
                // Hashing a large file blocks: on a blocking thread, with
                // owned copies of what it reads.
                let (creds, path) = (self.credentials.clone(), path.clone());
                let (method, uri_path, query, headers) = (
                    req.method.to_string(),
                    req.path.to_string(),
                    req.query.to_string(),
                    req.headers.to_vec(),
                );
                tokio::task::spawn_blocking(move || {
                    let req = Request {
                        method: &method,
                        path: &uri_path,
                        query: &query,
                        headers: &headers,
                    };
                    verify(&creds, wording, &req, Payload::File(&path))
                })
                .await
                .map_err(|_| AwsError::internal_failure())??
            }
        };
        let Some(chunks) = verified.chunk_verifier() else {
            return Ok(());
        };
        let checked = match body {
            BodyRef::Memory(b) => chunks.verify_payload(Payload::Bytes(b)),
            BodyRef::File(path) => {
                tokio::task::spawn_blocking(move || chunks.verify_payload(Payload::File(&path)))
                    .await
                    .map_err(|_| AwsError::internal_failure())?
            }
        };
        checked.map_err(|e| in_words_of(wording, e.into()))
    }
}

/// Verifies a request now, its errors in the words of its service.
fn verify(
    creds: &Credentials,
    wording: Wording,
    req: &Request,
    payload: Payload,
) -> Result<Verified, AwsError> {
    ruststack_auth::verify(creds, dialect(wording), req, payload, SystemTime::now())
        .map_err(|e| in_words_of(wording, e.into()))
}

/// How a request's service words authentication errors.
fn dialect(wording: Wording) -> Dialect {
    match wording.protocol {
        Protocol::RestXml => Dialect::S3,
        Protocol::Query => Dialect::Query,
        Protocol::Json if wording.query_compatible => Dialect::Query,
        Protocol::Json | Protocol::RestJson => Dialect::Json,
    }
}

/// A query-compatible JSON service's error carries its query code, which
/// its SDKs read from the `x-amzn-query-error` header.
fn in_words_of(wording: Wording, e: AwsError) -> AwsError {
    if wording.query_compatible && wording.protocol == Protocol::Json {
        let code = e.code.clone();
        e.with_query_code(code)
    } else {
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_compatible_json_errors_use_query_codes() {
        let sqs = Wording {
            protocol: Protocol::Json,
            query_compatible: true,
        };
        assert!(matches!(dialect(sqs), Dialect::Query));
        let e = in_words_of(sqs, AwsError::new(403, "SignatureDoesNotMatch", "m"));
        assert_eq!(e.query_code.as_deref(), Some("SignatureDoesNotMatch"));
        let dynamodb = Wording {
            protocol: Protocol::Json,
            query_compatible: false,
        };
        assert!(matches!(dialect(dynamodb), Dialect::Json));
        let e = in_words_of(dynamodb, AwsError::client("InvalidSignatureException", "m"));
        assert_eq!(e.query_code, None);
    }

    #[test]
    fn credentials_must_be_pairs() {
        assert!(Signatures::new(&["AKID:secret:with:colons".into()]).is_ok());
        assert!(Signatures::new(&["no-secret".into()]).is_err());
    }
}
