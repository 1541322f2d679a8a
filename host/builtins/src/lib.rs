//! The service plugins compiled into the `ruststack` binary.
//!
//! `just build-plugins` puts each service's wasm in `target/builtin-plugins`
//! and `ruststack-precompile` compiles it there ahead of time (into
//! `precompiled/`); this crate embeds both, so a server on a new machine, with
//! empty data and cache folders, starts without running the compiler. The
//! data lives in its own crate so that re-embedding a plugin rebuilds only
//! this small crate, not the host.

/// One embedded service plugin.
#[derive(Debug)]
pub struct Builtin {
    /// The file name it was built as (`s3.wasm`).
    pub file: &'static str,
    /// SHA-256 of the wasm, lower-case hex, computed when the binary was
    /// built, so a start that finds its compiled code in the cache never
    /// touches (and never pages in) the embedded bytes.
    pub hash: &'static str,
    /// The wasm, zstd-compressed when `wasm_compressed` is set.
    pub wasm: &'static [u8],
    /// Whether `wasm` is zstd-compressed.
    pub wasm_compressed: bool,
    /// Its code compiled ahead of time, when the build compiled it.
    pub precompiled: Option<Precompiled>,
}

/// Code compiled ahead of time for one plugin.
#[derive(Debug)]
pub struct Precompiled {
    /// Key of the engine settings (and CPU features) it was compiled for; a
    /// server whose engine has another key compiles the wasm instead.
    pub engine_key: &'static str,
    /// The serialized component, zstd-compressed.
    pub code: &'static [u8],
}

pub mod layout;

/// The embedded plugins, in file-name order.
pub static BUILTINS: &[Builtin] = include!(concat!(env!("OUT_DIR"), "/builtins.rs"));
