//! Compiled plugins: found in the on-disk cache, unpacked from the code the
//! build compiled ahead of time (built-ins), or compiled with Cranelift.
//!
//! A cached file is named by the wasm's SHA-256 and the engine key, so a new
//! wasmtime, other settings or another CPU never load a stale artefact.
//! Loading compiled code is `unsafe` (it is machine code), so the folder must
//! belong to this user and be private (0700); a folder that is not, or that
//! cannot be written, is used as far as it can be and said once in the log,
//! never a reason not to start.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result};
use wasmtime::Engine;
use wasmtime::component::Component;

use super::plugin::{Source, wasm_hash};

/// Where a plugin's compiled code came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The on-disk cache (a start after the first on this machine).
    Cache,
    /// The code the build compiled ahead of time (a built-in's first start).
    Precompiled,
    /// Compiled now with Cranelift.
    Compiled,
}

impl Origin {
    /// How to show the origin in logs and health output.
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Cache => "cache",
            Origin::Precompiled => "precompiled",
            Origin::Compiled => "compiled",
        }
    }
}

/// A plugin's compiled component and what it was made from.
pub struct Loaded {
    /// The component, ready to link.
    pub component: Component,
    /// SHA-256 of the wasm.
    pub hash: String,
    /// Where the code came from.
    pub origin: Origin,
}

/// The compiled-plugin cache.
pub struct CompileCache {
    dir: Option<PathBuf>,
    engine_key: String,
    /// Set once a write failed, so the log says it once, not per plugin.
    warned: AtomicBool,
}

impl CompileCache {
    /// A cache in `dir` (none: always compile or unpack in memory). A folder
    /// that cannot be made private to this user is not used.
    pub fn new(engine: &Engine, dir: Option<PathBuf>) -> Self {
        let dir = dir.and_then(|d| match private_folder(&d) {
            Ok(()) => Some(d),
            Err(e) => {
                tracing::warn!(
                    "not caching compiled plugins in {}: {e:#}; each start compiles or unpacks them again",
                    d.display()
                );
                None
            }
        });
        Self {
            dir,
            engine_key: ruststack_engine::engine_key(engine),
            warned: AtomicBool::new(false),
        }
    }

    fn path(&self, wasm_hash: &str) -> Option<PathBuf> {
        self.dir
            .as_ref()
            .map(|d| d.join(format!("{wasm_hash}-{}.cwasm", self.engine_key)))
    }

    /// The compiled component of `source`, from wherever is fastest.
    pub fn load(&self, engine: &Engine, source: &Source) -> Result<Loaded> {
        match source {
            Source::Builtin(b) => {
                let hash = b.hash.to_string();
                if let Some(component) = self.cached(engine, &hash) {
                    return Ok(Loaded {
                        component,
                        hash,
                        origin: Origin::Cache,
                    });
                }
                if let Some(pre) = &b.precompiled {
                    if pre.engine_key == self.engine_key {
                        let unpacked = self.unpack(engine, &hash, pre.code);
                        crate::memory::forget_embedded(pre.code);
                        match unpacked {
                            Ok(component) => {
                                return Ok(Loaded {
                                    component,
                                    hash,
                                    origin: Origin::Precompiled,
                                });
                            }
                            Err(e) => tracing::warn!(
                                "precompiled {} did not load ({e:#}); compiling it",
                                b.file
                            ),
                        }
                    } else {
                        tracing::info!(
                            "{} was precompiled for other engine settings or another CPU; compiling it",
                            b.file
                        );
                    }
                }
                let wasm = if b.wasm_compressed {
                    zstd::decode_all(b.wasm).context("unpacking the embedded wasm")?
                } else {
                    b.wasm.to_vec()
                };
                self.compile(engine, &wasm, hash)
            }
            Source::File(p) => {
                let wasm = std::fs::read(p).with_context(|| format!("reading {}", p.display()))?;
                let hash = wasm_hash(&wasm);
                if let Some(component) = self.cached(engine, &hash) {
                    return Ok(Loaded {
                        component,
                        hash,
                        origin: Origin::Cache,
                    });
                }
                self.compile(engine, &wasm, hash)
            }
        }
    }

    /// The cached component for `hash`, if the cache has a usable one.
    fn cached(&self, engine: &Engine, hash: &str) -> Option<Component> {
        let path = self.path(hash).filter(|p| p.exists())?;
        // SAFETY: the file was written by `Component::serialize` (or unpacked
        // from code the build serialized) for an engine with this key, into a
        // folder only this user can write.
        match unsafe { Component::deserialize_file(engine, &path) } {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::warn!(
                    "ignoring unreadable compiled cache {}: {e:#}",
                    path.display()
                );
                None
            }
        }
    }

    /// Unpacks code the build compiled into the cache and maps it from there
    /// (pages of it are then read from disk only when used, as on every later
    /// start); without a writable cache, unpacks it into memory.
    fn unpack(&self, engine: &Engine, hash: &str, packed: &[u8]) -> Result<Component> {
        if let Some(path) = self.path(hash) {
            let written = write_atomically(&path, |f| {
                zstd::stream::copy_decode(packed, &mut *f)?;
                f.flush()
            });
            match written {
                // SAFETY: the file holds code serialized by the build's
                // `ruststack-precompile` for an engine with this key (checked
                // by the caller, and again by wasmtime), in a private folder.
                Ok(()) => {
                    return unsafe { Component::deserialize_file(engine, &path) }
                        .map_err(anyhow::Error::from);
                }
                Err(e) => self.warn_unwritable(&path, &e),
            }
        }
        let code = zstd::decode_all(packed).context("unpacking precompiled code")?;
        // SAFETY: as above; the bytes are the build's own serialized code.
        unsafe { Component::deserialize(engine, &code) }.map_err(anyhow::Error::from)
    }

    /// Compiles `wasm` and caches the result. The compiled component is then
    /// loaded back from its file: its code is a clean, file-backed mapping,
    /// as on a warm start, and the compiler's working memory goes with the
    /// dropped component.
    fn compile(&self, engine: &Engine, wasm: &[u8], hash: String) -> Result<Loaded> {
        let component = Component::new(engine, wasm)?;
        if let Some(path) = self.path(&hash) {
            let code = component.serialize()?;
            match write_atomically(&path, |f| f.write_all(&code)) {
                Ok(()) => {
                    // SAFETY: the file was just written by this engine.
                    if let Ok(c) = unsafe { Component::deserialize_file(engine, &path) } {
                        return Ok(Loaded {
                            component: c,
                            hash,
                            origin: Origin::Compiled,
                        });
                    }
                }
                Err(e) => self.warn_unwritable(&path, &e),
            }
        }
        Ok(Loaded {
            component,
            hash,
            origin: Origin::Compiled,
        })
    }

    fn warn_unwritable(&self, path: &Path, e: &std::io::Error) {
        if !self.warned.swap(true, Ordering::Relaxed) {
            tracing::warn!(
                "could not write the compiled-plugin cache ({}: {e}); plugins are compiled or unpacked in memory",
                path.display()
            );
        }
    }
}

/// Creates `dir` if needed and makes sure only this user can use it.
fn private_folder(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::{MetadataExt, PermissionsExt};
        let meta = std::fs::metadata(dir)?;
        // SAFETY: geteuid has no preconditions.
        let me = unsafe { libc::geteuid() };
        if meta.uid() != me {
            anyhow::bail!("it belongs to another user (uid {})", meta.uid());
        }
        if meta.mode() & 0o077 != 0 {
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
                .context("making it private")?;
        }
    }
    Ok(())
}

/// Writes a file through a temporary one beside it, so no reader ever sees
/// half of it.
fn write_atomically(
    path: &Path,
    fill: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let result = std::fs::File::create(&tmp)
        .and_then(|mut f| fill(&mut f))
        .and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
