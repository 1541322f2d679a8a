//! Embeds the built-in service plugins (`target/builtin-plugins/*.wasm`, from
//! `just build-plugins`) and, where `ruststack-precompile` made them, their
//! compressed wasm and precompiled code. With no plugins built, the binary
//! has no built-ins.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

#[path = "src/layout.rs"]
#[allow(dead_code)]
mod layout;

fn main() {
    let manifest = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let dir = std::env::var("RUSTSTACK_BUILTIN_PLUGINS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| manifest.join("../../target/builtin-plugins"));
    println!("cargo:rerun-if-env-changed=RUSTSTACK_BUILTIN_PLUGINS");
    println!("cargo:rerun-if-changed={}", dir.display());
    println!(
        "cargo:rerun-if-changed={}",
        dir.join("precompiled").display()
    );
    let wasms = layout::wasm_files(&dir).unwrap_or_default();
    let mut code = String::from("&[\n");
    for wasm in &wasms {
        println!("cargo:rerun-if-changed={}", wasm.display());
        let hash = hex::encode(Sha256::digest(std::fs::read(wasm).unwrap()));
        let file = wasm.file_name().unwrap().to_string_lossy().to_string();
        let sibling = |suffix: &str| {
            let p = dir.join(layout::precompiled_file(&hash, suffix));
            println!("cargo:rerun-if-changed={}", p.display());
            p.is_file().then_some(p)
        };
        let (wasm_path, compressed) = match sibling(layout::WASM_SUFFIX) {
            Some(p) => (p, true),
            None => (wasm.clone(), false),
        };
        let precompiled = match (sibling(layout::CODE_SUFFIX), sibling(layout::ENGINE_SUFFIX)) {
            (Some(code), Some(engine)) => {
                let key = std::fs::read_to_string(&engine).unwrap();
                format!(
                    "Some(crate::Precompiled {{ engine_key: {:?}, code: include_bytes!({}) }})",
                    key.trim(),
                    literal(&code)
                )
            }
            _ => "None".to_string(),
        };
        let _ = writeln!(
            code,
            "    crate::Builtin {{ file: {file:?}, hash: {hash:?}, wasm: include_bytes!({}), wasm_compressed: {compressed}, precompiled: {precompiled} }},",
            literal(&wasm_path)
        );
    }
    code.push_str("]\n");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("builtins.rs");
    std::fs::write(out, code).unwrap();
}

/// A path as a Rust string literal, absolute so `include_bytes!` finds it.
fn literal(p: &Path) -> String {
    format!("{:?}", p.canonicalize().unwrap().display().to_string())
}
