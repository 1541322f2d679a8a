//! The idle trimmer: once a burst of requests is over, the server drops
//! the plugin instances it no longer needs and hands memory back
//! ([`crate::memory`]), so that an idle server holds little more than it did
//! before the burst.

use std::sync::Arc;
use std::time::Duration;

use crate::memory::{page_out_code, release_freed_memory};
use crate::runtime::Runtime;
use crate::server::requests_received;

/// How often the idle trimmer looks for a pause in requests.
const IDLE_CHECK: Duration = Duration::from_millis(250);
/// How long without requests counts as idle.
const IDLE_AFTER: Duration = Duration::from_secs(1);

/// Runs until the process ends: after a second without requests that follows
/// start-up or some requests, keeps at most one small warm instance per
/// plugin (the others' linear memories are unmapped), hands freed heap memory back and
/// pages out code not running now ([`page_out_code`]). glibc returns
/// only the free top of a heap by itself; the commits of a burst of writes
/// leave free pages across the heap (measured: 61 MiB of a 96 MiB server
/// after a minute of SQS receives and deletes at 32 connections).
pub async fn trim_when_idle(runtime: Arc<Runtime>) {
    let mut seen = requests_received();
    let mut quiet_since = std::time::Instant::now();
    // Not yet trimmed: the first quiet second after start-up trims too (the
    // code that loaded the plugins is not needed again).
    let mut trimmed = u64::MAX;
    loop {
        tokio::time::sleep(IDLE_CHECK).await;
        let now = requests_received();
        if now != seen {
            seen = now;
            quiet_since = std::time::Instant::now();
            continue;
        }
        if now != trimmed && quiet_since.elapsed() >= IDLE_AFTER {
            let runtime = runtime.clone();
            let _ = tokio::task::spawn_blocking(move || {
                runtime.shrink_pools();
                release_freed_memory();
                page_out_code();
            })
            .await;
            trimmed = now;
        }
    }
}
