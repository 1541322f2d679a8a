//! `invoke`: one plugin calling another as a client would (SNS to SQS,
//! S3 event notifications). The callee of a top-level call joins its
//! caller's transaction (stored with it, or not at all); deeper callees
//! commit their own.

use crate::runtime::CallState;
use crate::wit::ruststack::plugin::invoke::Host;
use crate::wit::{Request, Response};

/// Deepest chain of plugins calling plugins before the host refuses.
pub const MAX_DEPTH: u32 = 8;

impl Host for CallState {
    async fn call(&mut self, mut req: Request) -> wasmtime::Result<Response> {
        let runtime = self
            .runtime
            .upgrade()
            .ok_or_else(|| wasmtime::Error::msg("the server is shutting down"))?;
        if self.depth + 1 > MAX_DEPTH {
            return Err(wasmtime::Error::msg(
                "plugins invoked each other too deeply",
            ));
        }
        req.context.internal = true;
        let mut caller = if self.depth == 0 {
            self.txn.take()
        } else {
            None
        };
        let resp = Box::pin(runtime.invoke(req, self.depth + 1, caller.as_mut())).await;
        if caller.is_some() {
            self.txn = caller;
        }
        Ok(resp)
    }
}
