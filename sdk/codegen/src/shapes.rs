//! For every structure shape of a model, a view of its decoded value (a
//! method per member, typed after the member's shape) and an output builder
//! (a setter per member). The runtime half is `ruststack_protocol::typed`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use serde_json::Value;

/// Writes the views, `out` (builders), `input` and `output` (per-operation
/// aliases) of `model`'s structures; the generated code reaches the typed
/// runtime at the path `rt`.
pub fn write(out: &mut String, service: &str, model: &Value, rt: &str) {
    let shapes = model["shapes"].as_object().expect("a model's shapes");
    if let Some(e) = unknown_reference(model, shapes) {
        panic!("{service}: {e}");
    }
    let structures: BTreeMap<&str, &Value> = shapes
        .iter()
        .filter(|(_, s)| s["type"] == "structure" && !is_document(s))
        .map(|(n, s)| (n.as_str(), s))
        .collect();
    let mut seen = BTreeMap::new();
    for name in structures.keys() {
        if let Some(other) = seen.insert(type_name(name), *name) {
            panic!("{service}: shapes {other} and {name} have one Rust name");
        }
    }
    let g = Gen {
        service,
        rt,
        shapes,
    };
    for (name, shape) in &structures {
        g.view(out, name, shape);
    }
    let _ = writeln!(
        out,
        "/// Output builders: a setter per member, so a misspelt output member does not compile."
    );
    let _ = writeln!(out, "pub mod out {{");
    for (name, shape) in &structures {
        g.builder(out, name, shape);
    }
    let _ = writeln!(out, "}}\n");
    write_aliases(
        out,
        model,
        "input",
        "Each operation's input view, named after the operation.",
        "",
    );
    write_aliases(
        out,
        model,
        "output",
        "Each operation's output builder, named after the operation.",
        "out::",
    );
}

/// The first reference to a shape the model does not have, in the words
/// the sdk's model loader uses.
fn unknown_reference(model: &Value, shapes: &serde_json::Map<String, Value>) -> Option<String> {
    let ops = model["operations"].as_object().into_iter().flatten();
    let from_ops = ops.flat_map(|(name, op)| {
        ["input", "output"]
            .into_iter()
            .filter_map(move |k| op[k]["shape"].as_str().map(|s| (name, s)))
    });
    let from_shapes = shapes.iter().flat_map(|(name, shape)| {
        let members = shape["members"].as_object().into_iter().flatten();
        let elements = ["member", "key", "value"].map(|k| &shape[k]).into_iter();
        members
            .map(|(_, r)| r)
            .chain(elements)
            .filter_map(move |r| r["shape"].as_str().map(|s| (name, s)))
    });
    from_ops
        .chain(from_shapes)
        .find(|(_, s)| !shapes.contains_key(*s))
        .map(|(from, s)| format!("{from} refers to unknown shape {s}"))
}

/// What every generated item needs: the model's name for doc comments, the
/// path of the typed runtime and the model's shapes.
struct Gen<'m> {
    service: &'m str,
    rt: &'m str,
    shapes: &'m serde_json::Map<String, Value>,
}

/// `pub mod <module> { pub use <shape> as <Op>; }` for every operation with
/// a `<module>` shape.
fn write_aliases(out: &mut String, model: &Value, module: &str, doc: &str, path: &str) {
    let ops = model["operations"].as_object().expect("operations");
    let _ = writeln!(out, "/// {doc}");
    let _ = writeln!(out, "pub mod {module} {{");
    for (op, def) in ops.iter().collect::<BTreeMap<_, _>>() {
        let Some(shape) = def[module]["shape"].as_str() else {
            continue;
        };
        if is_document(&model["shapes"][shape]) {
            continue;
        }
        let _ = writeln!(out, "    /// `{op}`: `{shape}`.");
        let _ = writeln!(
            out,
            "    pub use super::{path}{} as {op};",
            type_name(shape)
        );
    }
    let _ = writeln!(out, "}}\n");
}

fn is_document(shape: &Value) -> bool {
    shape["document"].as_bool() == Some(true)
}

fn members(shape: &Value) -> Vec<(&str, &str)> {
    let mut ms: Vec<(&str, &str)> = shape["members"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(n, r)| (n.as_str(), r["shape"].as_str().expect("member shape")))
                .collect()
        })
        .unwrap_or_default();
    // Model order is kept by serde_json only with preserve_order; name order
    // keeps the output stable either way.
    ms.sort_unstable();
    ms
}

impl Gen<'_> {
    /// `pub struct <Shape>(&Value)` with a method per member.
    fn view(&self, out: &mut String, name: &str, shape: &Value) {
        let (service, rt) = (self.service, self.rt);
        let ty = type_name(name);
        let _ = writeln!(
            out,
            "/// A decoded `{name}` of the `{service}` model, read member by member."
        );
        let _ = writeln!(out, "#[derive(Debug, Clone, Copy)]");
        let _ = writeln!(out, "pub struct {ty}<'a>(pub &'a {rt}::Value);\n");
        let _ = writeln!(out, "impl<'a> {rt}::FromValue<'a> for {ty}<'a> {{");
        let _ = writeln!(
            out,
            "    fn from_value(v: &'a {rt}::Value) -> ::core::option::Option<Self> {{"
        );
        let _ = writeln!(out, "        v.is_object().then_some({ty}(v))");
        let _ = writeln!(out, "    }}\n}}\n");
        let _ = writeln!(
            out,
            "#[allow(clippy::wrong_self_convention, clippy::should_implement_trait, clippy::len_without_is_empty)]"
        );
        let _ = writeln!(out, "impl<'a> {ty}<'a> {{");
        for (member, target) in method_names(shape) {
            let _ = writeln!(out, "    /// `{}` (`{}`).", target.0, target.1);
            let _ = writeln!(
                out,
                "    pub fn {member}(&self) -> ::core::option::Option<{}> {{",
                self.rust_type(target.1)
            );
            let _ = writeln!(out, "        {rt}::member(self.0, \"{}\")", target.0);
            let _ = writeln!(out, "    }}");
        }
        let _ = writeln!(out, "}}\n");
    }

    /// `out::<Shape>` with a setter per member.
    fn builder(&self, out: &mut String, name: &str, shape: &Value) {
        let (service, rt) = (self.service, self.rt);
        let ty = type_name(name);
        let _ = writeln!(
            out,
            "    /// A `{name}` of the `{service}` model to answer with."
        );
        let _ = writeln!(out, "    #[derive(Debug, Clone, Default, PartialEq)]");
        let _ = writeln!(out, "    pub struct {ty}({rt}::Members);\n");
        let _ = writeln!(
            out,
            "    #[allow(clippy::wrong_self_convention, clippy::should_implement_trait, clippy::new_ret_no_self)]"
        );
        let _ = writeln!(out, "    impl {ty} {{");
        let _ = writeln!(out, "        /// No member set yet.");
        let _ = writeln!(
            out,
            "        pub fn new() -> Self {{\n            Self::default()\n        }}\n"
        );
        for (method, (member, target)) in method_names(shape) {
            let _ = writeln!(
                out,
                "        /// Sets `{member}` (`{target}`); `None` leaves it out."
            );
            let _ = writeln!(
                out,
                "        pub fn {method}(mut self, v: impl ::core::convert::Into<{rt}::Value>) -> Self {{"
            );
            let _ = writeln!(out, "            self.0.set(\"{member}\", v.into());");
            let _ = writeln!(out, "            self\n        }}\n");
            let setter = format!("set_{}", method.trim_start_matches("r#"));
            let _ = writeln!(
                out,
                "        /// Sets `{member}` in place; `None` leaves it out."
            );
            let _ = writeln!(
                out,
                "        pub fn {setter}(&mut self, v: impl ::core::convert::Into<{rt}::Value>) -> &mut Self {{"
            );
            let _ = writeln!(out, "            self.0.set(\"{member}\", v.into());");
            let _ = writeln!(out, "            self\n        }}\n");
        }
        let _ = writeln!(out, "    }}\n");
        let _ = writeln!(
            out,
            "    impl ::core::convert::From<{ty}> for {rt}::Value {{"
        );
        let _ = writeln!(
            out,
            "        fn from(b: {ty}) -> {rt}::Value {{\n            b.0.into()\n        }}\n    }}\n"
        );
    }

    /// The Rust type a member of shape `name` reads as.
    fn rust_type(&self, name: &str) -> String {
        let rt = self.rt;
        let shape = &self.shapes[name];
        let element =
            |key: &str| self.rust_type(shape[key]["shape"].as_str().expect("element shape"));
        match shape["type"].as_str().unwrap_or_default() {
            "structure" if is_document(shape) => format!("&'a {rt}::Value"),
            "structure" => format!("{}<'a>", type_name(name)),
            "list" => format!("{rt}::List<'a, {}>", element("member")),
            "map" => format!("{rt}::Map<'a, {}>", element("value")),
            "integer" | "long" | "short" | "byte" | "biginteger" => "i64".into(),
            "float" | "double" | "bigdecimal" | "timestamp" => "f64".into(),
            "boolean" => "bool".into(),
            "document" => format!("&'a {rt}::Value"),
            _ => "&'a str".into(),
        }
    }
}

/// (method name, (member name, target shape name)) per member, each named
/// by [`free_method_name`] among the members before it.
fn method_names(shape: &Value) -> Vec<(String, (&str, &str))> {
    let mut used = BTreeSet::new();
    members(shape)
        .into_iter()
        .map(|(member, target)| (free_method_name(member, &mut used), (member, target)))
        .collect()
}

/// The method name of a member that no other member of its shape collides
/// with (see [`method_names`]).
pub(crate) fn method_name(member: &str) -> String {
    free_method_name(member, &mut BTreeSet::new())
}

/// `member` in snake case as an identifier, not yet in `used` (which it is
/// added to) and not `new` (the builders' constructor): a name taken gets
/// the next free numbered suffix.
fn free_method_name(member: &str, used: &mut BTreeSet<String>) -> String {
    let base = snake(member);
    let mut m = base.clone();
    let mut n = 2;
    while !used.insert(m.clone()) || m == "new" {
        m = format!("{base}_{n}");
        n += 1;
    }
    ident(&m)
}

/// A shape name as a Rust type name (upper camel case, no underscores).
pub(crate) fn type_name(name: &str) -> String {
    let mut out = String::new();
    let mut upper = true;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.push(c.to_ascii_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// A member name in snake case: `MD5OfMessageBody` → `md5_of_message_body`,
/// `SSESpecification` → `sse_specification`.
pub(crate) fn snake(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if c == '_' || c == '-' || c == '.' {
            if !out.ends_with('_') && !out.is_empty() {
                out.push('_');
            }
            continue;
        }
        if c.is_ascii_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            let boundary = prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_lower);
            if boundary && !out.ends_with('_') {
                out.push('_');
            }
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// `name` as an identifier: keywords are raw identifiers.
pub(crate) fn ident(name: &str) -> String {
    const KEYWORDS: &[&str] = &[
        "as", "async", "await", "break", "const", "continue", "dyn", "else", "enum", "extern",
        "false", "fn", "for", "if", "impl", "in", "let", "loop", "match", "mod", "move", "mut",
        "pub", "ref", "return", "static", "struct", "trait", "true", "type", "unsafe", "use",
        "where", "while", "abstract", "become", "box", "do", "final", "macro", "override", "priv",
        "typeof", "unsized", "virtual", "yield", "try", "gen",
    ];
    match name {
        "self" | "crate" | "super" => format!("{name}_"),
        n if KEYWORDS.contains(&n) => format!("r#{n}"),
        n if n.starts_with(|c: char| c.is_ascii_digit()) => format!("m_{n}"),
        n => n.to_string(),
    }
}
