//! Recent calls, for the console's live feed: the last [`KEPT`] calls with
//! what the request log says of them and, while someone watches the feed,
//! their headers and the first KB of their request and response bodies.
//! Copying headers and bodies costs every request a little, so it happens
//! only within [`WATCHED_FOR`] of the last read of the feed.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;

/// Calls kept.
const KEPT: usize = 200;
/// Bytes of a body kept.
pub const BODY_HEAD: usize = 1024;
/// Details are kept for this long after the feed was last read.
const WATCHED_FOR: Duration = Duration::from_secs(60);

/// One call as the feed shows it.
#[derive(Clone, Serialize)]
pub struct Call {
    /// Its place in the feed (increasing).
    pub seq: u64,
    /// When it ended, ms since the epoch.
    pub time_ms: u64,
    /// The plugin that served it.
    pub plugin: String,
    /// Its operation.
    pub operation: String,
    /// The answer's HTTP status.
    pub status: u16,
    /// How long it took, in ms.
    pub ms: f64,
    /// The request id the client got.
    pub request_id: String,
    /// The error code, if it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// Method and path (with the query).
    pub request_line: String,
    /// Headers and body heads, when someone was watching.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<Details>,
}

/// What a watched call carried.
#[derive(Clone, Serialize)]
pub struct Details {
    /// Request headers.
    pub request_headers: Vec<(String, String)>,
    /// The first KB of the request body (lossy UTF-8), and its length.
    pub request_body: String,
    /// The request body's length in bytes.
    pub request_length: u64,
    /// Response headers.
    pub response_headers: Vec<(String, String)>,
    /// The first KB of the response body (lossy UTF-8); empty for a body
    /// streamed from disk.
    pub response_body: String,
}

/// The feed.
pub struct RecentCalls {
    calls: Mutex<VecDeque<Call>>,
    next: AtomicU64,
    started: Instant,
    /// When the feed was last read, ms after `started` (0: never).
    watched_at: AtomicU64,
}

impl Default for RecentCalls {
    fn default() -> Self {
        RecentCalls {
            calls: Mutex::new(VecDeque::with_capacity(KEPT)),
            next: AtomicU64::new(1),
            started: Instant::now(),
            watched_at: AtomicU64::new(0),
        }
    }
}

impl RecentCalls {
    /// Whether a call should keep its details (someone reads the feed).
    pub fn watched(&self) -> bool {
        let at = self.watched_at.load(Ordering::Relaxed);
        at != 0 && self.started.elapsed().as_millis() as u64 <= at + WATCHED_FOR.as_millis() as u64
    }

    /// Adds a call (its `seq` is set here).
    pub fn push(&self, mut call: Call) {
        call.seq = self.next.fetch_add(1, Ordering::Relaxed);
        let mut calls = self.calls.lock().unwrap();
        if calls.len() == KEPT {
            calls.pop_front();
        }
        calls.push_back(call);
    }

    /// The calls after `after`, oldest first; marks the feed watched.
    pub fn since(&self, after: u64) -> Vec<Call> {
        let now = (self.started.elapsed().as_millis() as u64).max(1);
        self.watched_at.store(now, Ordering::Relaxed);
        self.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|c| c.seq > after)
            .cloned()
            .collect()
    }
}

/// The first [`BODY_HEAD`] bytes of a body as text.
pub fn head(bytes: &[u8]) -> String {
    String::from_utf8_lossy(&bytes[..bytes.len().min(BODY_HEAD)]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(op: &str) -> Call {
        Call {
            seq: 0,
            time_ms: 0,
            plugin: "sqs".into(),
            operation: op.into(),
            status: 200,
            ms: 0.1,
            request_id: "r".into(),
            error_code: None,
            request_line: "POST /".into(),
            details: None,
        }
    }

    #[test]
    fn keeps_the_last_calls_in_order_and_knows_when_it_is_watched() {
        let feed = RecentCalls::default();
        assert!(!feed.watched());
        for i in 0..(KEPT + 5) {
            feed.push(call(&format!("Op{i}")));
        }
        let all = feed.since(0);
        assert!(feed.watched());
        assert_eq!(all.len(), KEPT);
        assert_eq!(all[0].operation, "Op5");
        let last = all.last().unwrap().seq;
        feed.push(call("Next"));
        let new = feed.since(last);
        assert_eq!(new.len(), 1);
        assert_eq!(new[0].operation, "Next");
        assert_eq!(head(&[b'a'; 3000]).len(), BODY_HEAD);
    }
}
