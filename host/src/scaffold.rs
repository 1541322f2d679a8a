//! `ruststack new <name>`: a new plugin crate, copied from the `counters`
//! example (the example is the template, so the two never drift apart).

use std::path::Path;

use anyhow::{Result, bail};

const CARGO: &str = include_str!("../../plugins/examples/counters/Cargo.toml");
const MODEL: &str = include_str!("../../plugins/examples/counters/model.json");
const LIB: &str = include_str!("../../plugins/examples/counters/src/lib.rs");
const COUNTERS: &str = include_str!("../../plugins/examples/counters/src/counters.rs");
const FILES: &str = include_str!("../../plugins/examples/counters/src/files.rs");

/// `my-service` -> `MyService`.
fn pascal(name: &str) -> String {
    name.split('-')
        .map(|part| {
            let mut c = part.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        })
        .collect()
}

/// Creates `<dir>/<name>/` with a working plugin to start from.
pub fn create(dir: &Path, name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !ok {
        bail!("a plugin name is a-z, 0-9 and '-', starting with a letter");
    }
    let root = dir.join(name);
    if root.exists() {
        bail!("{} already exists", root.display());
    }
    let service = pascal(name);
    let rename = |t: &str| {
        t.replace("Counters_20261128", &format!("{service}_20261128"))
            .replace(
                "\"serviceId\": \"Counters\"",
                &format!("\"serviceId\": \"{service}\""),
            )
            .replace("\"counters\"", &format!("\"{name}\""))
            .replace("/_counters/", &format!("/_{name}/"))
            .replace("counters {}", &format!("{name} {{}}"))
    };
    let cargo: String = rename(CARGO)
        .lines()
        .filter(|l| !l.contains("v2") && !l.starts_with("# Builds a second"))
        .collect::<Vec<_>>()
        .join("\n")
        .replace("[features]\n\n", "")
        .replace("name = \"counters\"", &format!("name = \"{name}\""));
    std::fs::create_dir_all(root.join("src"))?;
    std::fs::write(root.join("Cargo.toml"), cargo + "\n")?;
    std::fs::write(root.join("model.json"), rename(MODEL))?;
    std::fs::write(root.join("src/lib.rs"), rename(LIB))?;
    std::fs::write(root.join("src/counters.rs"), rename(COUNTERS))?;
    std::fs::write(root.join("src/files.rs"), rename(FILES))?;
    println!("created {}", root.display());
    println!("next:");
    println!(
        "  1. add \"{}\" to `members` in the workspace Cargo.toml",
        root.display()
    );
    println!("  2. cargo build -p {name} --target wasm32-wasip2 --profile plugin");
    println!("  3. ruststack serve --plugins target/wasm32-wasip2/plugin");
    println!("then edit model.json (the API) and src/ (one function per operation).");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::pascal;

    #[test]
    fn pascal_case() {
        assert_eq!(pascal("my-service"), "MyService");
        assert_eq!(pascal("queue2"), "Queue2");
    }
}
