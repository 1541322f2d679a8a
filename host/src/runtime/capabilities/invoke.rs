//! `invoke`: one plugin calling another as a client would (SNS to SQS,
//! S3 event notifications). The callee runs in its own transaction.

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
        Ok(Box::pin(runtime.invoke(req, self.depth + 1)).await)
    }
}
