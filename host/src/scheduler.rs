//! Fires plugin timers (`schedule.after`) when they are due.

use std::sync::Arc;
use std::time::Duration;

use crate::runtime::Runtime;
use crate::store::now_ms;

/// How often the timer table is checked.
const POLL: Duration = Duration::from_millis(100);

/// Runs until the process ends.
pub async fn run(runtime: Arc<Runtime>) {
    loop {
        tokio::time::sleep(POLL).await;
        let due = match runtime.store().due_timers(now_ms(), 64) {
            Ok(d) => d,
            Err(e) => {
                tracing::error!("reading timers failed: {e:#}");
                continue;
            }
        };
        for t in due {
            let slot = runtime
                .registry()
                .slots
                .iter()
                .find(|s| *s.name == *t.plugin)
                .cloned();
            let Some(slot) = slot else {
                // The plugin is not loaded now; keep the timer for when it is.
                continue;
            };
            if let Err(e) = runtime.fire_timer(&slot, t.key.clone(), &t.payload).await {
                tracing::error!(plugin = &*slot.name, "timer dropped: {e}");
                if let Err(e) = runtime.store().remove_timer(&t.key) {
                    tracing::error!("removing a failed timer: {e:#}");
                }
            }
        }
    }
}
