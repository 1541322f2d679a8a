//! Health endpoints: RustStack's own, and LocalStack's shape so existing wait
//! loops, `awslocal` and testcontainers work unchanged.

use serde_json::{Value, json};

use crate::runtime::Runtime;
use crate::wit::{Description, Matcher, Protocol};

/// `GET /_ruststack/health`: every plugin with its state, version and hash.
pub fn ruststack(runtime: &Runtime) -> Value {
    let mut services = serde_json::Map::new();
    for slot in &runtime.registry().slots {
        let v = slot.current();
        let error = slot.last_error.lock().unwrap().clone();
        services.insert(
            slot.name.to_string(),
            json!({
                "state": if error.is_some() { "degraded" } else { "running" },
                "version": v.description.version,
                "sha256": v.hash,
                "source": v.source.display(),
                "code": v.origin.as_str(),
                "reload_error": error,
            }),
        );
    }
    let (used, limit) = runtime.plugin_memory();
    json!({
        "status": "running",
        "version": env!("CARGO_PKG_VERSION"),
        "services": services,
        "plugin_memory": { "used_bytes": used, "limit_bytes": limit },
    })
}

/// `GET /_localstack/health`: `{"services": {"s3": "running", ...}, ...}`.
pub fn localstack(runtime: &Runtime) -> Value {
    let mut services = serde_json::Map::new();
    for slot in &runtime.registry().slots {
        services.insert(slot.name.to_string(), json!("running"));
    }
    for name in runtime.disabled_names() {
        services.insert(name, json!("disabled"));
    }
    json!({
        "services": services,
        "edition": "community",
        "version": env!("CARGO_PKG_VERSION"),
    })
}

/// `GET /_ruststack/plugins`: every served plugin with what it declared:
/// its operations, the requests it claims, its settings and limits.
pub fn plugins(runtime: &Runtime) -> Value {
    let list: Vec<Value> = runtime
        .registry()
        .slots
        .iter()
        .map(|slot| {
            let v = slot.current();
            let d = &v.description;
            json!({
                "name": d.name,
                "version": d.version,
                "protocol": protocol_name(d.protocol),
                "source": v.source.display(),
                "sha256": v.hash,
                "state": if slot.last_error.lock().unwrap().is_some() { "degraded" } else { "running" },
                "operations": d.operations,
                "claims": claims(d),
                "fallback": d.fallback,
                "settings": d.settings.iter().map(|s| json!({"name": s.name, "about": s.about})).collect::<Vec<_>>(),
                "max_inline_body": d.max_inline_body,
                "body_limit": d.body_limit.as_ref().map(|l| l.max_bytes),
            })
        })
        .collect();
    json!({ "plugins": list })
}

/// The requests a plugin claims, one line per matcher (every part of a
/// line must match), for people.
pub fn claims(d: &Description) -> Vec<String> {
    let mut out: Vec<String> = d.matchers.iter().map(claim).collect();
    if d.fallback {
        out.push("any request no other plugin claims".into());
    }
    out
}

fn claim(m: &Matcher) -> String {
    let mut parts = Vec::new();
    if let Some(p) = &m.target_prefix {
        parts.push(format!("X-Amz-Target {p}*"));
    }
    if !m.query_actions.is_empty() {
        parts.push(format!("Action {}", m.query_actions.join("|")));
    }
    if let Some(v) = &m.query_version {
        parts.push(format!("Version {v}"));
    }
    if let Some(s) = &m.signing_service {
        parts.push(format!("signed for {s}"));
    }
    if let Some(h) = &m.host_pattern {
        parts.push(format!("Host {h}"));
    }
    if let Some(p) = &m.path_prefix {
        parts.push(format!("path {p}*"));
    }
    if m.priority != 0 {
        parts.push(format!("priority {}", m.priority));
    }
    parts.join(", ")
}

/// A protocol as the WIT spells it.
pub fn protocol_name(p: Protocol) -> &'static str {
    match p {
        Protocol::RestXml => "rest-xml",
        Protocol::Query => "query",
        Protocol::Json => "json",
        Protocol::RestJson => "rest-json",
    }
}
