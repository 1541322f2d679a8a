//! Health endpoints: RustStack's own, and LocalStack's shape so existing wait
//! loops, `awslocal` and testcontainers work unchanged.

use serde_json::{Value, json};

use crate::runtime::Runtime;

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
    json!({
        "services": services,
        "edition": "community",
        "version": env!("CARGO_PKG_VERSION"),
    })
}
