//! Warm instances. Plugins keep no state between requests, so an instance
//! can serve many; it is dropped after a trap, when its version is retired,
//! or after `max_uses` calls (to bound any slow growth of its memory).

use wasmtime::Store;

use super::bindings::Plugin;
use super::plugin::PluginVersion;
use super::state::CallState;

/// Most idle instances kept per plugin version.
pub const MAX_IDLE: usize = 16;

/// An instantiated plugin with its store.
pub struct Warm {
    /// The wasmtime store holding the instance.
    pub store: Store<CallState>,
    /// The typed exports.
    pub bindings: Plugin,
    /// Calls served so far.
    pub uses: u64,
}

/// Takes an idle instance of `version`, if any.
pub fn take(version: &PluginVersion) -> Option<Warm> {
    version.pool.lock().unwrap().pop()
}

/// An instance whose memory grew past this is not kept: wasm memory never
/// shrinks, so one big request (a long listing) would otherwise pin its
/// pages for as long as the instance lives.
pub const MAX_KEPT_MEMORY: usize = 16 << 20;

/// Drops every idle instance of `version` but the one whose memory grew
/// least, so that a server gone quiet does not keep the memory a busy spell
/// needed (each instance holds its own linear memory, which never shrinks).
pub fn keep_smallest(version: &PluginVersion) {
    let mut pool = version.pool.lock().unwrap();
    if pool.len() <= 1 {
        return;
    }
    let smallest = (0..pool.len())
        .min_by_key(|&i| pool[i].store.data().limits.high_water)
        .unwrap_or(0);
    let keep = pool.swap_remove(smallest);
    let dropped = std::mem::replace(&mut *pool, vec![keep]);
    drop(pool);
    drop(dropped);
}

/// Returns an instance after a successful call, unless it should be retired.
pub fn give_back(version: &PluginVersion, mut warm: Warm, max_uses: u64) {
    warm.uses += 1;
    let high_water = warm.store.data().limits.high_water;
    if warm.uses >= max_uses || version.is_retired() || high_water > MAX_KEPT_MEMORY {
        return;
    }
    let mut pool = version.pool.lock().unwrap();
    if pool.len() < MAX_IDLE {
        pool.push(warm);
    }
}
