//! Compiled components kept on disk, so later starts skip Cranelift.
//!
//! The key is the wasm's SHA-256 plus the engine's compatibility hash, so a
//! new wasmtime or different settings never load a stale artefact. Loading an
//! artefact is `unsafe` (it is machine code), so the folder is private (0700).

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use wasmtime::Engine;
use wasmtime::component::Component;

/// Where compiled components are kept.
pub struct CompileCache {
    dir: Option<PathBuf>,
    engine_key: String,
}

impl CompileCache {
    /// A cache in `dir` (none: always compile).
    pub fn new(engine: &Engine, dir: Option<PathBuf>) -> Result<Self> {
        let mut h = DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut h);
        if let Some(d) = &dir {
            std::fs::create_dir_all(d).with_context(|| format!("creating {}", d.display()))?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o700))?;
            }
        }
        Ok(Self {
            dir,
            engine_key: format!("{:016x}", h.finish()),
        })
    }

    fn path(&self, wasm_hash: &str) -> Option<PathBuf> {
        self.dir
            .as_ref()
            .map(|d| d.join(format!("{wasm_hash}-{}.cwasm", self.engine_key)))
    }

    /// The component for `wasm`, from the cache or freshly compiled (and then cached).
    /// Returns whether it came from the cache.
    pub fn load(&self, engine: &Engine, wasm: &[u8], wasm_hash: &str) -> Result<(Component, bool)> {
        if let Some(path) = self.path(wasm_hash)
            && path.exists()
        {
            // SAFETY: the file was written by `Component::serialize` of an
            // engine with the same compatibility hash, into a folder only
            // this user can write.
            match unsafe { Component::deserialize_file(engine, &path) } {
                Ok(c) => return Ok((c, true)),
                Err(e) => {
                    tracing::warn!("ignoring unreadable compiled cache {}: {e}", path.display())
                }
            }
        }
        let component = Component::new(engine, wasm)?;
        if let Some(path) = self.path(wasm_hash) {
            match write_atomically(&path, &component.serialize()?) {
                // Load back what was written: the code is then a clean,
                // file-backed mapping, as on a warm start, and the compiler's
                // working memory goes with the dropped component.
                // SAFETY: as above; the file was just written by this engine.
                Ok(()) => {
                    if let Ok(c) = unsafe { Component::deserialize_file(engine, &path) } {
                        return Ok((c, false));
                    }
                }
                Err(e) => {
                    tracing::warn!("could not cache compiled plugin at {}: {e}", path.display())
                }
            }
        }
        Ok((component, false))
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}
