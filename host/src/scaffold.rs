//! `ruststack new <name>`: a new plugin crate from the template.

use std::path::Path;

use anyhow::{Result, bail};

/// Creates `<dir>/<name>/` with a working plugin to start from.
pub fn create(dir: &Path, name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !ok {
        bail!("a plugin name is a-z, 0-9 and '-', starting with a letter");
    }
    let root = dir.join(name);
    if root.exists() {
        bail!("{} already exists", root.display());
    }
    std::fs::create_dir_all(root.join("src"))?;
    let fill = |t: &str| t.replace("__NAME__", name).replace("__CRATE__", &name.replace('-', "_"));
    std::fs::write(root.join("Cargo.toml"), fill(include_str!("../templates/Cargo.toml.tmpl")))?;
    std::fs::write(root.join("src/lib.rs"), fill(include_str!("../templates/lib.rs.tmpl")))?;
    println!("created {}", root.display());
    println!("add \"{}\" to the workspace members in Cargo.toml, then build it with:", root.display());
    println!("  cargo build -p {name} --target wasm32-wasip2 --profile plugin");
    println!("and serve it with: ruststack serve --plugins target/wasm32-wasip2/plugin");
    Ok(())
}
