//! `ruststack-precompile DIR`: compiles every `.wasm` in DIR with the
//! server's engine settings and writes, beside it, what the `ruststack`
//! binary embeds (see `ruststack_builtins::layout`): the compressed code,
//! the key of the engine it fits, and the compressed wasm (for a machine
//! whose CPU the code does not fit). Up-to-date code is not compiled again;
//! code of wasm no longer in DIR is removed.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use ruststack_builtins::layout::{
    CODE_SUFFIX, ENGINE_SUFFIX, WASM_SUFFIX, precompiled_file, wasm_files,
};
use ruststack_engine::wasmtime::component::Component;
use ruststack_engine::{COMPRESSION_LEVEL, engine_key, new_engine};
use sha2::{Digest, Sha256};

fn main() -> Result<()> {
    let mut args = std::env::args_os().skip(1);
    let (Some(dir), None) = (args.next(), args.next()) else {
        bail!("usage: ruststack-precompile DIR");
    };
    let dir = PathBuf::from(dir);
    let engine = new_engine()?;
    let key = engine_key(&engine);
    let mut kept = HashSet::new();
    let wasms = wasm_files(&dir).with_context(|| format!("reading {}", dir.display()))?;
    std::fs::create_dir_all(dir.join("precompiled"))?;
    for wasm in wasms {
        let bytes = std::fs::read(&wasm).with_context(|| format!("reading {}", wasm.display()))?;
        let hash = hex::encode(Sha256::digest(&bytes));
        let path = |suffix: &str| dir.join(precompiled_file(&hash, suffix));
        for suffix in [CODE_SUFFIX, ENGINE_SUFFIX, WASM_SUFFIX] {
            kept.insert(path(suffix));
        }
        let fresh = std::fs::read_to_string(path(ENGINE_SUFFIX)).is_ok_and(|k| k.trim() == key)
            && path(CODE_SUFFIX).is_file()
            && path(WASM_SUFFIX).is_file();
        if fresh {
            continue;
        }
        let started = std::time::Instant::now();
        // Gone until the other two are complete (see below).
        let _ = std::fs::remove_file(path(ENGINE_SUFFIX));
        let code = Component::new(&engine, &bytes)
            .and_then(|c| c.serialize())
            .map_err(anyhow::Error::from)
            .with_context(|| format!("compiling {}", wasm.display()))?;
        write(
            &path(CODE_SUFFIX),
            &zstd::encode_all(&code[..], COMPRESSION_LEVEL)?,
        )?;
        write(
            &path(WASM_SUFFIX),
            &zstd::encode_all(&bytes[..], COMPRESSION_LEVEL)?,
        )?;
        // Written last: its presence says the other two are complete.
        write(&path(ENGINE_SUFFIX), key.as_bytes())?;
        eprintln!(
            "precompiled {} ({} KB of code) in {:?}",
            wasm.display(),
            code.len() / 1024,
            started.elapsed()
        );
    }
    for e in std::fs::read_dir(dir.join("precompiled"))?.flatten() {
        if !kept.contains(&e.path()) {
            std::fs::remove_file(e.path())?;
        }
    }
    Ok(())
}

/// Writes through a temporary file, so an interrupted build leaves no half file.
fn write(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))
}
