//! Generates, per vendored service model (`models/*.json`):
//! - an operation enum into `$OUT_DIR/ops.rs`, included by `src/ops.rs`:
//!   plugins dispatch on a variant, so a misspelt operation is a compile
//!   error and a match that forgets one is refused by the compiler;
//! - a view and an output builder per structure shape into
//!   `$OUT_DIR/shapes.rs`, included by `src/shapes.rs`: members are methods,
//!   so a misspelt member is a compile error too.

use std::fmt::Write as _;
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
    let mut out = String::new();
    let mut shapes = String::new();
    for path in files {
        println!("cargo:rerun-if-changed={}", path.display());
        let service = path.file_stem().unwrap().to_string_lossy().into_owned();
        let text = std::fs::read_to_string(&path).expect("readable model");
        let model: serde_json::Value = serde_json::from_str(&text).expect("model JSON");
        let mut ops: Vec<&str> = model["operations"]
            .as_object()
            .expect("operations")
            .keys()
            .map(String::as_str)
            .collect();
        ops.sort_unstable();
        write_module(&mut out, &service, &ops);
        shapes::write_module(&mut shapes, &service, &model);
    }
    let dir = std::env::var("OUT_DIR").unwrap();
    std::fs::write(Path::new(&dir).join("ops.rs"), out).expect("writing ops.rs");
    std::fs::write(Path::new(&dir).join("shapes.rs"), shapes).expect("writing shapes.rs");
}

#[path = "build/shapes.rs"]
mod shapes;

fn write_module(out: &mut String, service: &str, ops: &[&str]) {
    let _ = writeln!(out, "/// The operations of the `{service}` model.");
    let _ = writeln!(out, "pub mod {service} {{");
    let _ = writeln!(
        out,
        "    /// An operation of the model, named as the model names it."
    );
    let _ = writeln!(
        out,
        "    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]"
    );
    let _ = writeln!(out, "    pub enum Op {{");
    for op in ops {
        let _ = writeln!(out, "        /// `{op}`.");
        let _ = writeln!(out, "        {op},");
    }
    let _ = writeln!(out, "    }}\n");
    let _ = writeln!(out, "    impl Op {{");
    let _ = writeln!(out, "        /// Every operation, in name order.");
    let _ = writeln!(out, "        pub const ALL: &'static [Op] = &[");
    for op in ops {
        let _ = writeln!(out, "            Op::{op},");
    }
    let _ = writeln!(out, "        ];\n");
    let _ = writeln!(out, "        /// The operation's name in the model.");
    let _ = writeln!(out, "        pub fn name(self) -> &'static str {{");
    let _ = writeln!(out, "            match self {{");
    for op in ops {
        let _ = writeln!(out, "                Op::{op} => \"{op}\",");
    }
    let _ = writeln!(out, "            }}\n        }}\n");
    let _ = writeln!(
        out,
        "        /// The operation of this name, if the model has one."
    );
    let _ = writeln!(out, "        pub fn from_name(name: &str) -> Option<Op> {{");
    let _ = writeln!(out, "            Some(match name {{");
    for op in ops {
        let _ = writeln!(out, "                \"{op}\" => Op::{op},");
    }
    let _ = writeln!(out, "                _ => return None,");
    let _ = writeln!(out, "            }})\n        }}\n    }}\n}}\n");
}
