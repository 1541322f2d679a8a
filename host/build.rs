//! Embeds the built-in service plugins (`target/builtin-plugins/*.wasm`,
//! produced by `just build-plugins`) into the binary, so `ruststack serve`
//! needs no plugin files. With none built, the binary has no built-ins.

use std::path::PathBuf;

use sha2::{Digest, Sha256};

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let dir = std::env::var("RUSTSTACK_BUILTIN_PLUGINS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| manifest.join("../target/builtin-plugins"));
    println!("cargo:rerun-if-env-changed=RUSTSTACK_BUILTIN_PLUGINS");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut entries = Vec::new();
    if let Ok(rd) = std::fs::read_dir(&dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "wasm") {
                println!("cargo:rerun-if-changed={}", p.display());
                entries.push(p);
            }
        }
    }
    entries.sort();
    let mut code = String::from(
        "/// Service plugins compiled into this binary: (file name, SHA-256 of the\n/// wasm, wasm). The hash is computed here so that a start with a warm compile\n/// cache never reads (and never pages in) the embedded bytes.\npub static BUILTINS: &[(&str, &str, &[u8])] = &[\n",
    );
    for p in &entries {
        let abs = p.canonicalize().unwrap();
        let name = p.file_name().unwrap().to_string_lossy();
        let hash = hex::encode(Sha256::digest(std::fs::read(&abs).unwrap()));
        code.push_str(&format!(
            "    ({name:?}, {hash:?}, include_bytes!({:?})),\n",
            abs.display().to_string()
        ));
    }
    code.push_str("];\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("builtins.rs");
    std::fs::write(out, code).unwrap();
}
