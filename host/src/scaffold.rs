//! `ruststack new <name>`: a new plugin crate of its own, from the templates
//! in `host/templates/` (embedded in the binary), with every name in it
//! derived from the service's name.
//!
//! The crate stands alone: it has a workspace of its own and depends on the
//! sdk of this checkout by path, so it builds wherever it is created, with
//! `cargo build --release --target wasm32-wasip2`, into a folder holding only
//! its own plugin (which `ruststack serve --plugins` then loads).
//!
//! The templates are plain text with `{{placeholder}}`s, replaced by simple
//! string replacement (see [`Names::placeholders`]).

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};

/// The sdk this binary was built with, so the new crate builds against it.
const SDK_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../sdk");

/// The workspace manifest, for the versions of `serde` and `serde_json` and
/// the plugin build profile (so a new crate builds as RustStack's own
/// plugins do, with the dependency versions the sdk is tested with).
const WORKSPACE_MANIFEST: &str = include_str!("../../Cargo.toml");

/// Files of every template: (path in the new crate, text).
const COMMON: &[(&str, &str)] = &[
    ("Cargo.toml", include_str!("../templates/Cargo.toml.tmpl")),
    (".gitignore", include_str!("../templates/gitignore")),
];

/// The JSON-protocol template's own files.
const JSON: &[(&str, &str)] = &[
    ("model.json", include_str!("../templates/json/model.json")),
    ("build.rs", include_str!("../templates/json/build.rs")),
    ("src/lib.rs", include_str!("../templates/json/src/lib.rs")),
    (
        "src/{{module}}.rs",
        include_str!("../templates/json/src/module.rs"),
    ),
];

/// The REST template's own files.
const REST: &[(&str, &str)] = &[
    ("src/lib.rs", include_str!("../templates/rest/src/lib.rs")),
    (
        "src/{{module}}.rs",
        include_str!("../templates/rest/src/module.rs"),
    ),
];

/// Which kind of API the new plugin serves.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum Template {
    /// An AWS-shaped API: the JSON protocol (`X-Amz-Target`), described by a
    /// service model that the sdk serves and the AWS CLI can call.
    #[default]
    Json,
    /// A plain REST API with JSON bodies under `/<name>/`, routed by hand.
    Rest,
}

impl Template {
    fn files(self) -> impl Iterator<Item = (&'static str, &'static str)> {
        let own = match self {
            Template::Json => JSON,
            Template::Rest => REST,
        };
        COMMON.iter().chain(own).copied()
    }

    fn description(self) -> &'static str {
        match self {
            Template::Json => "A RustStack service plugin: a JSON-protocol API",
            Template::Rest => "A RustStack service plugin: a REST API with JSON bodies",
        }
    }
}

/// Every name of the new crate, derived from the service's name.
#[derive(Debug, Clone, PartialEq)]
struct Names {
    /// As given: the plugin's name, package name, storage namespace, path
    /// prefix and AWS CLI service name (`widgets`).
    name: String,
    /// The service's type and `serviceId` (`Widgets`).
    service: String,
    /// One record's type, in operation names (`Widget`).
    item: String,
    /// Many records, in the list operation's name (`Widgets`).
    items: String,
    /// One record in prose (`widget`).
    item_words: String,
    /// The model's `serviceFullName` (`Widgets`).
    title: String,
    /// The Rust module of the operations (`widgets`).
    module: String,
    /// The model's `apiVersion` (`2026-12-05`).
    api_version: String,
    /// The model's `targetPrefix` (`Widgets_20261205`).
    target: String,
}

impl Names {
    /// The names of service `name` with an API version of `date` (`YYYY-MM-DD`).
    fn new(name: &str, date: &str) -> Names {
        // Singular from a trailing 's' (not 'ss': an address stays one).
        let singular = match name.strip_suffix('s') {
            Some(rest)
                if !rest.ends_with('s') && rest.ends_with(|c: char| c.is_ascii_alphanumeric()) =>
            {
                rest
            }
            _ => name,
        };
        let plural = if singular != name {
            name.to_string()
        } else if ["s", "x", "z", "ch", "sh"]
            .iter()
            .any(|e| name.ends_with(e))
        {
            format!("{name}es")
        } else {
            format!("{name}s")
        };
        let service = pascal(name);
        Names {
            name: name.into(),
            item: pascal(singular),
            items: pascal(&plural),
            item_words: singular
                .split('-')
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
                .join(" "),
            title: words(name),
            module: name.replace('-', "_"),
            api_version: date.into(),
            target: format!("{service}_{}", date.replace('-', "")),
            service,
        }
    }

    /// Every placeholder and its value. `sdk_path` is the sdk folder the
    /// crate depends on.
    fn placeholders(&self, sdk_path: &str, template: Template) -> Vec<(&'static str, String)> {
        let toml_string = |s: &str| s.replace('\\', "\\\\").replace('"', "\\\"");
        vec![
            ("{{name}}", self.name.clone()),
            ("{{Service}}", self.service.clone()),
            ("{{Items}}", self.items.clone()),
            ("{{Item}}", self.item.clone()),
            ("{{item}}", self.item_words.clone()),
            ("{{Title}}", self.title.clone()),
            ("{{module}}", self.module.clone()),
            ("{{api_version}}", self.api_version.clone()),
            ("{{target}}", self.target.clone()),
            ("{{sdk_path}}", toml_string(sdk_path)),
            ("{{description}}", toml_string(template.description())),
            ("{{serde}}", workspace_dependency("serde").to_string()),
            (
                "{{serde_json}}",
                workspace_dependency("serde_json").to_string(),
            ),
            ("{{plugin_profile}}", plugin_profile()),
            (
                "{{item_member}}",
                ruststack_codegen::member_method(&self.item),
            ),
            (
                "{{items_member}}",
                ruststack_codegen::member_method(&self.items),
            ),
            (
                "{{build_dependencies}}",
                match template {
                    Template::Json => format!(
                        "\n[build-dependencies]\n\
                         # Generates the typed operations of model.json (build.rs).\n\
                         ruststack-codegen = {{ path = \"{}/codegen\" }}\n",
                        toml_string(sdk_path)
                    ),
                    Template::Rest => String::new(),
                },
            ),
        ]
    }
}

/// `my-service` -> `MyService`.
fn pascal(name: &str) -> String {
    name.split('-').map(capitalized).collect()
}

/// `my-service` -> `My Service`.
fn words(name: &str) -> String {
    let parts: Vec<String> = name
        .split('-')
        .filter(|p| !p.is_empty())
        .map(capitalized)
        .collect();
    parts.join(" ")
}

fn capitalized(word: &str) -> String {
    let mut c = word.chars();
    c.next()
        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
        .unwrap_or_default()
}

/// An operation's name as the AWS CLI spells it (`CreateMyWidget` ->
/// `create-my-widget`): botocore's `xform_name` with `-`.
fn cli_name(operation: &str) -> String {
    let c: Vec<char> = operation.chars().collect();
    // A trailing run of capitals and an 's' (`ARNs`) is one word.
    let tail = c.len().saturating_sub(1);
    let mut caps = tail;
    while caps > 0 && c[caps - 1].is_ascii_uppercase() {
        caps -= 1;
    }
    let mut name: Vec<char> = if c.last() == Some(&'s') && tail - caps >= 2 {
        let mut n = c[..caps].to_vec();
        n.push('-');
        n.extend(c[caps..].iter().map(|x| x.to_ascii_lowercase()));
        n
    } else {
        c
    };
    // `(.)([A-Z][a-z]+)` -> `\1-\2`.
    let mut first = Vec::new();
    let mut i = 0;
    while i < name.len() {
        let lower_run = name[(i + 2).min(name.len())..]
            .iter()
            .take_while(|x| x.is_ascii_lowercase())
            .count();
        if i + 1 < name.len() && name[i + 1].is_ascii_uppercase() && lower_run > 0 {
            first.push(name[i]);
            first.push('-');
            first.extend_from_slice(&name[i + 1..i + 2 + lower_run]);
            i += 2 + lower_run;
        } else {
            first.push(name[i]);
            i += 1;
        }
    }
    // `([a-z0-9])([A-Z])` -> `\1-\2`, then lower case.
    name.clear();
    let mut i = 0;
    while i < first.len() {
        name.push(first[i]);
        let lower_or_digit = first[i].is_ascii_lowercase() || first[i].is_ascii_digit();
        if lower_or_digit && first.get(i + 1).is_some_and(|x| x.is_ascii_uppercase()) {
            name.push('-');
            name.push(first[i + 1]);
            i += 1;
        }
        i += 1;
    }
    name.iter().collect::<String>().to_ascii_lowercase()
}

/// The value of dependency `name` in the workspace's `[workspace.dependencies]`.
fn workspace_dependency(name: &str) -> &'static str {
    section("workspace.dependencies")
        .find_map(|line| {
            let (key, value) = line.split_once('=')?;
            (key.trim() == name).then(|| value.trim())
        })
        .unwrap_or_else(|| panic!("the workspace manifest names {name}"))
}

/// The settings of the workspace's `[profile.plugin]` (without `inherits`),
/// for the new crate's `[profile.release]`.
fn plugin_profile() -> String {
    let lines: Vec<&str> = section("profile.plugin")
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with("inherits"))
        .collect();
    lines.join("\n")
}

/// The lines of the workspace manifest's table `[name]`.
fn section(name: &str) -> impl Iterator<Item = &'static str> {
    let header = format!("[{name}]");
    WORKSPACE_MANIFEST
        .lines()
        .skip_while(move |l| l.trim() != header)
        .skip(1)
        .take_while(|l| !l.starts_with('['))
        .filter(|l| !l.trim_start().starts_with('#'))
}

/// Today's date (UTC), `YYYY-MM-DD`.
fn today() -> String {
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    ruststack_protocol::time::format_iso8601_millis(ms)[..10].to_string()
}

/// Rust's keywords, and names that cargo or Rust keep for themselves (or
/// for the new crate's own dependencies): none can name a crate or module.
const RESERVED: &[&str] = &[
    "abstract",
    "as",
    "async",
    "await",
    "become",
    "box",
    "break",
    "const",
    "continue",
    "crate",
    "do",
    "dyn",
    "else",
    "enum",
    "extern",
    "false",
    "final",
    "fn",
    "for",
    "gen",
    "if",
    "impl",
    "in",
    "let",
    "loop",
    "macro",
    "match",
    "mod",
    "move",
    "mut",
    "override",
    "priv",
    "pub",
    "ref",
    "return",
    "self",
    "static",
    "struct",
    "super",
    "trait",
    "true",
    "try",
    "type",
    "typeof",
    "unsafe",
    "unsized",
    "use",
    "virtual",
    "where",
    "while",
    "yield",
    "alloc",
    "core",
    "std",
    "test",
    "proc-macro",
    "serde",
    "serde-json",
    "ruststack-sdk",
    "ruststack-codegen",
    // The JSON template's generated module.
    "api",
];

/// Why `name` cannot name a service (`None`: it can).
fn refusal(name: &str) -> Option<String> {
    let well_formed = !name.is_empty()
        && name.len() <= 64
        && name.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !well_formed {
        return Some(
            "a plugin name is 1-64 characters of a-z, 0-9 and '-', starting with a letter".into(),
        );
    }
    if RESERVED.contains(&name) {
        return Some(format!(
            "{name} is reserved by Rust or cargo; choose another name"
        ));
    }
    let names = Names::new(name, "2000-01-01");
    let pairs = names.placeholders("", Template::Json);
    for template in [Template::Json, Template::Rest] {
        for (path, text) in template.files() {
            if path.ends_with(".rs")
                && let Some(clash) = rust_clash(text, &pairs)
            {
                return Some(format!(
                    "{name} would name a type {clash}, a name that {} already uses for another; choose another name",
                    render(path, &pairs)
                ));
            }
            if path.ends_with(".json")
                && let Some(clash) = json_clash(text, &pairs)
            {
                return Some(format!(
                    "{name} would name two things {clash} in the template's {path}; choose another name"
                ));
            }
        }
    }
    None
}

/// A type name the placeholders of Rust template `code` would make that the
/// code already uses for something else (an import, a prelude type).
fn rust_clash(code: &str, pairs: &[(&str, String)]) -> Option<String> {
    let tokens = rust_identifiers(code);
    let used: Vec<&str> = tokens
        .iter()
        .filter(|t| !t.contains("{{"))
        .copied()
        .collect();
    tokens
        .iter()
        .filter(|t| t.contains("{{"))
        .map(|t| render(t, pairs))
        .filter(|t| t.starts_with(|c: char| c.is_ascii_uppercase()))
        .find(|t| t == "Self" || used.contains(&t.as_str()))
}

/// The identifiers of Rust code (placeholders count as parts of them),
/// outside comments and string literals.
fn rust_identifiers(code: &str) -> Vec<&str> {
    let b = code.as_bytes();
    let find = |from: usize, what: &[u8]| {
        b.get(from..)
            .and_then(|rest| rest.windows(what.len()).position(|w| w == what))
            .map_or(b.len(), |at| from + at)
    };
    let ident = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i..].starts_with(b"//") {
            i = find(i, b"\n");
        } else if b[i..].starts_with(b"'\\") {
            // An escaped character literal ('\'', '\n').
            i = find(i + 3, b"'") + 1;
        } else if b[i] == b'\'' && b.get(i + 2) == Some(&b'\'') {
            // A character literal ('"'); a lifetime ('a) is skipped as an identifier.
            i += 3;
        } else if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                i += if b[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
        } else if ident(b[i]) || b[i..].starts_with(b"{{") {
            let start = i;
            loop {
                if b[i..].starts_with(b"{{") {
                    i = (find(i, b"}}") + 2).min(b.len());
                } else if i < b.len() && ident(b[i]) {
                    i += 1;
                } else {
                    break;
                }
            }
            out.push(&code[start..i]);
        } else {
            i += 1;
        }
    }
    out
}

/// Two keys of one object of JSON template `text` that its placeholders
/// would make the same (two shapes, or two members, of one name).
fn json_clash(text: &str, pairs: &[(&str, String)]) -> Option<String> {
    fn walk(v: &serde_json::Value, pairs: &[(&str, String)]) -> Option<String> {
        match v {
            serde_json::Value::Object(map) => {
                let mut seen = std::collections::HashSet::new();
                for (k, child) in map {
                    let key = render(k, pairs);
                    if !seen.insert(key.clone()) {
                        return Some(key);
                    }
                    if let Some(clash) = walk(child, pairs) {
                        return Some(clash);
                    }
                }
                None
            }
            serde_json::Value::Array(items) => items.iter().find_map(|i| walk(i, pairs)),
            _ => None,
        }
    }
    let template: serde_json::Value =
        serde_json::from_str(text).expect("the JSON templates are JSON");
    walk(&template, pairs)
}

/// `text` with every placeholder replaced.
fn render(text: &str, pairs: &[(&str, String)]) -> String {
    pairs
        .iter()
        .fold(text.to_string(), |t, (from, to)| t.replace(from, to))
}

/// The files of a new crate: (path in the crate, contents).
fn files(names: &Names, template: Template, sdk_path: &str) -> Vec<(String, String)> {
    let pairs = names.placeholders(sdk_path, template);
    let mut out: Vec<(String, String)> = template
        .files()
        .map(|(path, text)| (render(path, &pairs), render(text, &pairs)))
        .collect();
    if template == Template::Json {
        // The model where the AWS CLI looks with `AWS_DATA_PATH=<crate>/aws-data`.
        let model = render(JSON[0].1, &pairs);
        out.push((
            format!(
                "aws-data/{}/{}/service-2.json",
                names.name, names.api_version
            ),
            model,
        ));
    }
    out
}

/// A word for `sh`: as it is when it needs no quoting, else in single quotes.
fn sh_quote(s: &str) -> String {
    let plain = !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/._-+=:,@%".contains(&b));
    if plain {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// What to do next, as commands to copy: build, serve, call.
fn instructions(root: &Path, names: &Names, template: Template) -> String {
    let dir = root.display().to_string();
    let release = format!("{dir}/target/wasm32-wasip2/release");
    let m = &names.module;
    let mut out = format!("created {dir}\n");
    let module = format!("src/{m}.rs");
    let (what, files, call) = match template {
        Template::Json => (
            format!(
                "a JSON-protocol service: X-Amz-Target: {}.<Operation>",
                names.target
            ),
            vec![
                (
                    "model.json",
                    "the API: operations, shapes and errors (AWS's service model format)",
                ),
                ("src/lib.rs", "what the plugin serves"),
                (
                    module.as_str(),
                    "one function per operation, and unit tests (`cargo test`)",
                ),
                (
                    "aws-data/",
                    "a copy of model.json for the AWS CLI (copy it again when the model changes)",
                ),
            ],
            format!(
                "curl -sS -i http://localhost:4566/ -H 'X-Amz-Target: {}.Create{}' -H 'Content-Type: application/x-amz-json-1.0' -d '{{\"Name\":\"first\",\"Description\":\"the first one\"}}'",
                names.target, names.item
            ),
        ),
        Template::Rest => (
            format!("a REST service under /{}/", names.name),
            vec![
                ("src/lib.rs", "what the plugin serves"),
                (module.as_str(), "the routes, and unit tests (`cargo test`)"),
            ],
            format!(
                "curl -sS -i -X PUT http://localhost:4566/{}/items/first -H 'Content-Type: application/json' -d '{{\"description\":\"the first one\"}}'",
                names.name
            ),
        ),
    };
    let width = files.iter().map(|(f, _)| f.len()).max().unwrap_or(0) + 2;
    let files: String = files
        .iter()
        .map(|(f, about)| format!("  {f:<width$}{about}\n"))
        .collect();
    out += &format!("{what}\n{files}\n");
    out += &format!(
        "1. build it (again after each change):\n   cd {} && cargo build --release --target wasm32-wasip2\n",
        sh_quote(&dir)
    );
    out += &format!(
        "2. serve it (--watch loads each new build):\n   ruststack serve --plugins {} --watch\n",
        sh_quote(&release)
    );
    out += &format!("3. call it:\n   {call}\n");
    if template == Template::Json {
        out += &format!(
            "4. or call it with the AWS CLI (with any credentials and a region set, e.g. AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1):\n   AWS_DATA_PATH={} aws --endpoint-url http://localhost:4566 {} {} --name first\n",
            sh_quote(&format!("{dir}/aws-data")),
            names.name,
            cli_name(&format!("Create{}", names.item))
        );
    }
    out
}

/// Creates `<dir>/<name>/`, a plugin crate of its own serving the kind of API
/// `template` makes, and prints how to build, serve and call it.
pub fn create(dir: &Path, name: &str, template: Template) -> Result<()> {
    if let Some(why) = refusal(name) {
        bail!("{why}");
    }
    let sdk: PathBuf = match std::fs::canonicalize(SDK_DIR) {
        Ok(p) => p,
        Err(_) => {
            eprintln!(
                "warning: the sdk is not at {SDK_DIR}, where this binary was built; \
                 set the path of ruststack-sdk in Cargo.toml"
            );
            PathBuf::from(SDK_DIR)
        }
    };
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let root = dir.join(name);
    std::fs::create_dir(&root).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => anyhow::anyhow!("{} already exists", root.display()),
        _ => anyhow::Error::new(e).context(format!("creating {}", root.display())),
    })?;
    let root = std::fs::canonicalize(&root)?;
    let names = Names::new(name, &today());
    for (path, text) in files(&names, template, &sdk.to_string_lossy()) {
        let path = root.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    }
    print!("{}", instructions(&root, &names, template));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_derive_from_the_service_name() {
        let n = Names::new("widgets", "2026-12-05");
        assert_eq!(
            (
                n.service.as_str(),
                n.item.as_str(),
                n.items.as_str(),
                n.item_words.as_str(),
                n.title.as_str(),
                n.module.as_str(),
                n.target.as_str()
            ),
            (
                "Widgets",
                "Widget",
                "Widgets",
                "widget",
                "Widgets",
                "widgets",
                "Widgets_20261205"
            )
        );
        let n = Names::new("my-service", "2026-12-05");
        assert_eq!(
            (
                n.service.as_str(),
                n.item.as_str(),
                n.items.as_str(),
                n.title.as_str(),
                n.module.as_str()
            ),
            (
                "MyService",
                "MyService",
                "MyServices",
                "My Service",
                "my_service"
            )
        );
        let n = Names::new("address", "2026-12-05");
        assert_eq!(
            (n.item.as_str(), n.items.as_str()),
            ("Address", "Addresses")
        );
        assert_eq!(Names::new("queue2", "2026-12-05").service, "Queue2");
    }

    #[test]
    fn cli_names_are_botocores() {
        // As botocore.xform_name(name, '-') answers.
        for (op, cli) in [
            ("CreateWidget", "create-widget"),
            ("CreateMyService", "create-my-service"),
            ("CreateS3Thing", "create-s3-thing"),
            ("CreateAB", "create-ab"),
            ("CreateA2B", "create-a2-b"),
            ("ListMyServices", "list-my-services"),
            ("ListARNs", "list-arns"),
        ] {
            assert_eq!(cli_name(op), cli, "{op}");
        }
    }

    #[test]
    fn the_workspace_settings_are_found() {
        assert!(workspace_dependency("serde").contains("derive"));
        assert!(workspace_dependency("serde_json").starts_with('"'));
        let profile = plugin_profile();
        assert!(profile.contains("lto = true"), "{profile}");
        assert!(!profile.contains("inherits"), "{profile}");
    }

    #[test]
    fn every_placeholder_is_replaced_and_nothing_is_left_of_the_example() {
        for name in ["widgets", "my-service", "queue2", "a"] {
            for template in [Template::Json, Template::Rest] {
                let names = Names::new(name, "2026-12-05");
                let files = files(&names, template, "/opt/ruststack/sdk");
                for (path, text) in &files {
                    assert!(!path.contains("{{"), "{path}");
                    assert!(!text.contains("{{"), "{name} {template:?} {path}: {text}");
                    let lower = text.to_lowercase();
                    assert!(!lower.contains("counter"), "{path}");
                    assert!(!lower.contains("v2"), "{path}");
                    assert!(!text.contains("cfg(feature"), "{path}");
                }
                let text = |p: &str| &files.iter().find(|(path, _)| path == p).unwrap().1;
                let lib = text("src/lib.rs");
                assert!(lib.contains(&format!("name: \"{name}\".into()")), "{lib}");
                assert!(lib.contains("ruststack_sdk::plugin!("), "{lib}");
                let cargo = text("Cargo.toml");
                assert!(cargo.contains(&format!("name = \"{name}\"")), "{cargo}");
                assert!(cargo.contains("\n[workspace]\n"), "{cargo}");
                assert!(
                    cargo.contains("ruststack-sdk = { path = \"/opt/ruststack/sdk\" }"),
                    "{cargo}"
                );
                let module = format!("src/{}.rs", names.module);
                assert!(files.iter().any(|(p, _)| *p == module), "{module}");
                if template == Template::Json {
                    let model = ruststack_protocol::Model::from_json(text("model.json")).unwrap();
                    let ops = model.operation_names();
                    let i = &names.item;
                    for op in [
                        format!("Create{i}"),
                        format!("Get{i}"),
                        format!("List{}", names.items),
                        format!("Update{i}"),
                        format!("Delete{i}"),
                    ] {
                        assert!(ops.contains(&op), "{op} in {ops:?}");
                    }
                    let aws = format!("aws-data/{name}/2026-12-05/service-2.json");
                    assert_eq!(text(&aws), text("model.json"));
                }
            }
        }
    }

    #[test]
    fn the_model_is_named_after_the_service() {
        let names = Names::new("widgets", "2026-12-05");
        let files = files(&names, Template::Json, "/sdk");
        let model: serde_json::Value = serde_json::from_str(&files[2].1).unwrap();
        let meta = &model["metadata"];
        assert_eq!(meta["uid"], "widgets-2026-12-05");
        assert_eq!(meta["serviceFullName"], "Widgets");
        assert_eq!(meta["targetPrefix"], "Widgets_20261205");
        assert_eq!(meta["apiVersion"], "2026-12-05");
        assert!(model["shapes"]["WidgetAlreadyExistsException"].is_object());
    }

    #[test]
    fn names_are_checked() {
        assert!(refusal("widgets").is_none());
        assert!(refusal("my-service").is_none());
        for bad in ["", "Bad_Name", "9lives", "a b", &"a".repeat(65)] {
            assert!(refusal(bad).is_some(), "{bad}");
        }
        for reserved in ["type", "self", "test", "serde"] {
            assert!(
                refusal(reserved).unwrap().contains("reserved"),
                "{reserved}"
            );
        }
        // Types the templates already use.
        for clash in ["values", "keys", "results", "strings"] {
            let why = refusal(clash).unwrap_or_default();
            assert!(why.contains("would name a type"), "{clash}: {why}");
        }
        // Shapes of the model.
        let why = refusal("timestamps").unwrap_or_default();
        assert!(why.contains("would name two things Timestamp"), "{why}");
    }

    #[test]
    fn instructions_are_commands_with_absolute_paths() {
        let names = Names::new("widgets", "2026-12-05");
        let text = instructions(Path::new("/home/me/widgets"), &names, Template::Json);
        for line in [
            "   cd /home/me/widgets && cargo build --release --target wasm32-wasip2",
            "   ruststack serve --plugins /home/me/widgets/target/wasm32-wasip2/release --watch",
            "   curl -sS -i http://localhost:4566/ -H 'X-Amz-Target: Widgets_20261205.CreateWidget' -H 'Content-Type: application/x-amz-json-1.0' -d '{\"Name\":\"first\",\"Description\":\"the first one\"}'",
            "   AWS_DATA_PATH=/home/me/widgets/aws-data aws --endpoint-url http://localhost:4566 widgets create-widget --name first",
        ] {
            assert!(text.lines().any(|l| l == line), "{line}\nin\n{text}");
        }
        let text = instructions(Path::new("/my dir/widgets"), &names, Template::Rest);
        assert!(text.contains("   cd '/my dir/widgets' && cargo"), "{text}");
        assert!(
            text.contains("curl -sS -i -X PUT http://localhost:4566/widgets/items/first"),
            "{text}"
        );
        assert!(!text.contains("AWS_DATA_PATH"), "{text}");
    }
}
