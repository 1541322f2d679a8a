//! The wasmtime engine RustStack runs plugins with.
//!
//! Compiled code is only valid for an engine with the same settings (and the
//! same CPU features), so the server and `ruststack-precompile`, the build
//! step that compiles the built-in services ahead of time, both build their
//! engine here; [`engine_key`] names the settings so a server can tell whether
//! code compiled elsewhere fits it.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;

pub use wasmtime;
use wasmtime::{Config, Engine, StackCreator};

/// The engine every plugin runs on: component model, epoch interruption for
/// call deadlines, Cranelift optimising for speed.
pub fn new_engine() -> wasmtime::Result<Engine> {
    Engine::new(&config())
}

/// The same engine, taking the fiber stacks calls run on from `stacks`
/// (which does not change what code fits it).
pub fn new_engine_with_stacks(stacks: Arc<dyn StackCreator>) -> wasmtime::Result<Engine> {
    let mut config = config();
    config.with_host_stack(stacks);
    Engine::new(&config)
}

fn config() -> Config {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.epoch_interruption(true);
    config.cranelift_opt_level(wasmtime::OptLevel::Speed);
    // `perf` can name plugin functions only through a map file wasmtime
    // writes (`/tmp/perf-<pid>.map`); off unless asked for, as it costs a
    // write per compiled function.
    if std::env::var_os(PERF_MAP_ENV).is_some() {
        config.profiler(wasmtime::ProfilingStrategy::PerfMap);
    }
    config
}

/// Set (to anything) to have wasmtime write `/tmp/perf-<pid>.map`, so that
/// `perf report` names the functions of plugins compiled by this process
/// (load a plugin built with `--profile plugin-debug` through `--plugins`
/// to get Rust names).
pub const PERF_MAP_ENV: &str = "RUSTSTACK_PERF_MAP";

/// A short name for everything that decides whether compiled code fits
/// `engine`: wasmtime's version, the engine's settings and the CPU features
/// it compiles for. Code compiled by an engine with another key is refused.
pub fn engine_key(engine: &Engine) -> String {
    let mut h = DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut h);
    format!("{:016x}", h.finish())
}

/// zstd level of the embedded artefacts: near the best ratio while a build
/// still compresses a service in well under a second.
pub const COMPRESSION_LEVEL: i32 = 15;
