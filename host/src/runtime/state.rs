//! What a plugin instance's wasmtime `Store` carries.

use std::sync::{Arc, Weak};
use std::time::Instant;

use wasmtime::StoreLimits;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use super::budget::MemoryBudget;
use super::{Runtime, Settings};
use crate::store::CallTxn;

/// Per-instance host state. The transaction is present only during a call.
pub struct CallState {
    /// The plugin's namespace (its declared name).
    pub plugin: Arc<str>,
    /// Deny-all WASI: clocks and randomness only.
    pub wasi: WasiCtx,
    /// WASI resources.
    pub table: ResourceTable,
    /// Memory cap, and how big the instance's memory has grown.
    pub limits: MemoryWatch,
    /// The runtime, for `invoke`; weak so that pooled instances do not keep it alive.
    pub runtime: Weak<Runtime>,
    /// Settings given at start-up, read through the `settings` import.
    pub settings: Arc<Settings>,
    /// The running call's transaction.
    pub txn: Option<CallTxn>,
    /// How deep in `invoke` chains the running call is.
    pub depth: u32,
    /// When the running call must be stopped.
    pub deadline: Instant,
    /// The running call's turn, here so that the epoch callback can trade
    /// it for the overtime turn when the call runs long (none for nested calls).
    pub turn: Option<super::turns::Turn>,
    /// Epoch ticks the running call has spent running wasm.
    pub ticks: u32,
    /// The panic message the plugin reported before trapping, if it did.
    pub panic: Option<String>,
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

/// Which memory limit stopped a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemoryHit {
    /// The instance's own cap (`--memory-limit-mb`).
    Instance,
    /// The budget of all instances together (`--total-memory-limit-mb`).
    Total,
}

impl std::fmt::Display for MemoryHit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            MemoryHit::Instance => "per-instance",
            MemoryHit::Total => "all-instances",
        })
    }
}

/// The store's resource limiter: enforces the instance's memory cap and the
/// shared budget of all instances, and remembers the largest linear memory
/// the instance has reached, since wasm memory never shrinks and an instance
/// that once handled a big request keeps its pages.
pub struct MemoryWatch {
    /// The cap (and table limits).
    pub limits: StoreLimits,
    /// Largest memory size granted so far, in bytes.
    pub high_water: usize,
    /// The budget every instance's memory is taken from.
    pub budget: Arc<MemoryBudget>,
    /// Bytes this instance took from the budget (given back when it is dropped).
    pub taken: usize,
    /// Set when a limit refused a growth, so the failed call can say why.
    pub hit: Option<MemoryHit>,
}

impl Drop for MemoryWatch {
    fn drop(&mut self) {
        self.budget.give_back(self.taken);
    }
}

impl wasmtime::ResourceLimiter for MemoryWatch {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let ok = match self.limits.memory_growing(current, desired, maximum) {
            Ok(ok) => ok,
            Err(e) => {
                self.hit = Some(MemoryHit::Instance);
                return Err(e);
            }
        };
        if !ok {
            return Ok(false);
        }
        let growth = desired.saturating_sub(current);
        if !self.budget.try_take(growth) {
            self.hit = Some(MemoryHit::Total);
            return Err(wasmtime::Error::msg(format!(
                "plugin instances together would use more than {} MiB",
                self.budget.limit() >> 20
            )));
        }
        self.taken += growth;
        self.high_water = self.high_water.max(desired);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        self.limits.table_growing(current, desired, maximum)
    }

    fn memory_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.limits.memory_grow_failed(error)
    }

    fn table_grow_failed(&mut self, error: wasmtime::Error) -> wasmtime::Result<()> {
        self.limits.table_grow_failed(error)
    }

    fn instances(&self) -> usize {
        self.limits.instances()
    }

    fn tables(&self) -> usize {
        self.limits.tables()
    }

    fn memories(&self) -> usize {
        self.limits.memories()
    }
}
