//! What a plugin instance's wasmtime `Store` carries.

use std::sync::{Arc, Weak};
use std::time::Instant;

use wasmtime::StoreLimits;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::Runtime;
use crate::store::CallTxn;

/// Per-instance host state. The transaction is present only during a call.
pub struct CallState {
    /// The plugin's namespace (its declared name).
    pub plugin: Arc<str>,
    /// Deny-all WASI: clocks and randomness only.
    pub wasi: WasiCtx,
    /// WASI resources.
    pub table: ResourceTable,
    /// Memory cap.
    pub limits: StoreLimits,
    /// The runtime, for `invoke`; weak so that pooled instances do not keep it alive.
    pub runtime: Weak<Runtime>,
    /// The running call's transaction.
    pub txn: Option<CallTxn>,
    /// How deep in `invoke` chains the running call is.
    pub depth: u32,
    /// When the running call must be stopped.
    pub deadline: Instant,
}

impl CallState {
    /// The running call's transaction; a trap if none (an import called outside a call).
    pub fn txn(&mut self) -> wasmtime::Result<&mut CallTxn> {
        self.txn
            .as_mut()
            .ok_or_else(|| wasmtime::Error::msg("host import called outside of a request"))
    }
}

impl WasiView for CallState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}
