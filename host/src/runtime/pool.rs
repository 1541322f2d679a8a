//! Warm instances. Plugins keep no state between requests, so an instance
//! can serve many; it is dropped after a trap, when its version is retired,
//! or after `max_uses` calls (to bound any slow growth of its memory).

use wasmtime::Store;

use super::plugin::PluginVersion;
use super::state::CallState;
use crate::wit::Plugin;

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

/// An idle server keeps an instance only if its memory is no bigger than
/// this: about what a plugin needs after its first requests. One that a big
/// request (a long listing) made bigger is dropped; the next request makes
/// a new one (its service model parsed again: a few milliseconds, once).
pub const IDLE_KEPT_MEMORY: usize = 4 << 20;

/// Drops every idle instance of `version` but the one whose memory grew
/// least, and that one too if it grew past [`IDLE_KEPT_MEMORY`], so that a
/// server gone quiet does not keep the memory a busy spell needed (each
/// instance holds its own linear memory, which never shrinks).
pub fn keep_one_small(version: &PluginVersion) {
    let mut pool = version.pool.lock().unwrap();
    let smallest = (0..pool.len()).min_by_key(|&i| pool[i].store.data().limits.high_water);
    let keep: Vec<Warm> = smallest
        .map(|i| pool.swap_remove(i))
        .filter(|w| w.store.data().limits.high_water <= IDLE_KEPT_MEMORY)
        .into_iter()
        .collect();
    let dropped = std::mem::replace(&mut *pool, keep);
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
