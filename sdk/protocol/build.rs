//! Generates, per vendored service model (`models/*.json`), with
//! `ruststack-codegen`:
//! - an operation enum into `$OUT_DIR/ops.rs`, included by `src/ops.rs`;
//! - a view and an output builder per structure shape into
//!   `$OUT_DIR/shapes.rs`, included by `src/shapes.rs`.

use std::path::Path;

fn main() {
    let dir = Path::new("models");
    println!("cargo:rerun-if-changed=models");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("models folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    let mut ops = String::new();
    let mut shapes = String::new();
    for path in files {
        println!("cargo:rerun-if-changed={}", path.display());
        let service = path.file_stem().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).expect("readable model");
        let model: serde_json::Value = serde_json::from_str(&text).expect("model JSON");
        ops.push_str(&format!(
            "/// The operations of the `{service}` model.\npub mod {service} {{\n{}}}\n\n",
            ruststack_codegen::operations(&service, &model)
        ));
        shapes.push_str(&format!(
            "/// Views and output builders of the `{service}` model's structures.\npub mod {service} {{\n{}}}\n\n",
            ruststack_codegen::shapes(&service, &model, "crate::typed")
        ));
    }
    let dir = std::env::var("OUT_DIR").unwrap();
    std::fs::write(Path::new(&dir).join("ops.rs"), ops).expect("writing ops.rs");
    std::fs::write(Path::new(&dir).join("shapes.rs"), shapes).expect("writing shapes.rs");
}
