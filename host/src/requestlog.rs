//! The request log: one INFO line per call a client made,
//! `<plugin>.<Operation> <status> <ms> <request-id>` and the error code on
//! failures, so that an operator sees every call as it happens. The plugin
//! names the operation (and the error code) in private response headers
//! that the sdk's encoder sets ([`OPERATION_HEADER`]); they are removed here
//! before the response leaves. Lines go to the `requests` log target and
//! are on unless `--log-requests=false`.

use std::time::Duration;

use crate::router::RequestFacts;

pub use ruststack_protocol::log_headers::{ERROR_CODE_HEADER, OPERATION_HEADER};

/// What a plugin said about its answer, taken out of its headers.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Said {
    /// The operation it served.
    pub operation: Option<String>,
    /// The error code it answered.
    pub error_code: Option<String>,
}

/// Removes the private log headers from `headers`, returning what they said.
pub fn take_said(headers: &mut Vec<(String, String)>) -> Said {
    let mut said = Said::default();
    headers.retain(|(k, v)| {
        if k.eq_ignore_ascii_case(OPERATION_HEADER) {
            said.operation = Some(v.clone());
            false
        } else if k.eq_ignore_ascii_case(ERROR_CODE_HEADER) {
            said.error_code = Some(v.clone());
            false
        } else {
            true
        }
    });
    said
}

/// The operation a request names on its face, for when its plugin did not
/// say (a host-made error): `X-Amz-Target`'s last part, a query `Action`,
/// else `-`.
pub fn named_operation(facts: &RequestFacts) -> String {
    if let Some(t) = &facts.target {
        return t.rsplit('.').next().unwrap_or(t).to_string();
    }
    facts.action.clone().unwrap_or_else(|| "-".to_string())
}

/// Writes one line.
pub fn write(
    plugin: &str,
    operation: &str,
    status: u16,
    took: Duration,
    request_id: &str,
    error_code: Option<&str>,
) {
    let ms = took.as_secs_f64() * 1000.0;
    match error_code {
        Some(code) => tracing::info!(
            target: "requests",
            "{plugin}.{operation} {status} {ms:.1}ms {request_id} {code}"
        ),
        None => tracing::info!(
            target: "requests",
            "{plugin}.{operation} {status} {ms:.1}ms {request_id}"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_private_headers_are_taken_out() {
        let mut h = vec![
            ("content-type".to_string(), "x".to_string()),
            ("X-RustStack-Operation".to_string(), "GetItem".to_string()),
            (
                ERROR_CODE_HEADER.to_string(),
                "ValidationException".to_string(),
            ),
        ];
        let said = take_said(&mut h);
        assert_eq!(said.operation.as_deref(), Some("GetItem"));
        assert_eq!(said.error_code.as_deref(), Some("ValidationException"));
        assert_eq!(h, vec![("content-type".to_string(), "x".to_string())]);
    }
}
