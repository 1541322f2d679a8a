//! Where the build keeps a plugin's compressed wasm and precompiled code,
//! relative to the folder of its wasm. Shared by the build script, which
//! embeds these files, and `ruststack-precompile`, which writes them.

/// `precompiled/<wasm sha256>.<suffix>`: keyed by the wasm's hash, so code
/// compiled from an older wasm is never embedded with a newer one.
pub fn precompiled_file(wasm_hash: &str, suffix: &str) -> String {
    format!("precompiled/{wasm_hash}.{suffix}")
}

/// Suffix of the compressed serialized component.
pub const CODE_SUFFIX: &str = "cwasm.zst";
/// Suffix of the compressed wasm.
pub const WASM_SUFFIX: &str = "wasm.zst";
/// Suffix of the text file holding the engine key the code was compiled for.
pub const ENGINE_SUFFIX: &str = "engine";

/// The `.wasm` files directly in `dir`, in name order: the plugins of a
/// folder, as the build embeds them and as `--plugins` loads them.
pub fn wasm_files(dir: &std::path::Path) -> std::io::Result<Vec<std::path::PathBuf>> {
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(dir)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "wasm"))
        .collect();
    files.sort();
    Ok(files)
}
