//! `schedule`: timers stored with the call's writes, fired by the scheduler.

use crate::runtime::CallState;
use crate::wit::ruststack::plugin::schedule::Host;

impl Host for CallState {
    async fn after(&mut self, delay_ms: u64, payload: Vec<u8>) -> wasmtime::Result<()> {
        self.txn()?.schedule(delay_ms, payload);
        Ok(())
    }
}
