//! Timers: ask the host to call [`Service::on_timer`](crate::Service::on_timer)
//! later (delivery retries, TTL sweeps). Timers commit with the request's
//! writes and survive restarts.

use crate::host;

/// Calls `on_timer(payload)` after `delay_ms`, in the scope of this call.
pub fn after(delay_ms: u64, payload: &[u8]) {
    host::schedule_after(delay_ms, &crate::scope::current().wrap(payload))
}
