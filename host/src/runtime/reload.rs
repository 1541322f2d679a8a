//! Hot reload: watches the `--plugins` folders (and files) and swaps in a plugin whose
//! `.wasm` changed. Compiling happens off the request path; requests already
//! running finish on the old version; the plugin's data is untouched because
//! its namespace is its name, not its file.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::{Runtime, Source, wasm_hash};

/// How often the folders are looked at.
const POLL: Duration = Duration::from_millis(200);

/// Watches `dirs` until the process ends.
pub async fn watch(runtime: Arc<Runtime>, dirs: Vec<PathBuf>) {
    let mut seen: HashMap<PathBuf, (SystemTime, u64)> = HashMap::new();
    for (p, stamp) in scan(&dirs) {
        seen.insert(p, stamp);
    }
    loop {
        tokio::time::sleep(POLL).await;
        for (path, stamp) in scan(&dirs) {
            if seen.get(&path) == Some(&stamp) {
                continue;
            }
            // Skip files still being written: look again next round.
            if stamp.0.elapsed().unwrap_or_default() < POLL {
                continue;
            }
            seen.insert(path.clone(), stamp);
            reload(&runtime, path).await;
        }
    }
}

/// Every `.wasm` named by `paths` (a file itself, a folder's files) with
/// its modification time and length.
fn scan(paths: &[PathBuf]) -> Vec<(PathBuf, (SystemTime, u64))> {
    let stamp = |m: std::fs::Metadata| (m.modified().unwrap_or(SystemTime::UNIX_EPOCH), m.len());
    let mut out = Vec::new();
    for path in paths {
        if path.is_file() {
            if let Ok(m) = path.metadata() {
                out.push((path.clone(), stamp(m)));
            }
            continue;
        }
        let Ok(rd) = std::fs::read_dir(path) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "wasm")
                && let Ok(m) = e.metadata()
            {
                out.push((p, stamp(m)));
            }
        }
    }
    out
}

async fn reload(runtime: &Arc<Runtime>, path: PathBuf) {
    let Ok(bytes) = std::fs::read(&path) else {
        return;
    };
    let hash = wasm_hash(&bytes);
    let reg = runtime.registry();
    if reg.slots.iter().any(|s| s.current().hash == hash) {
        return;
    }
    let started = std::time::Instant::now();
    match runtime.load(Source::File(path.clone())).await {
        Ok(version) => {
            let name = version.description.name.clone();
            let known = reg.slots.iter().any(|s| *s.name == *name);
            let result = if known {
                runtime.replace(version)
            } else {
                runtime.add(version)
            };
            match result {
                Ok(()) => {
                    crate::memory::release_freed_memory();
                    tracing::info!(
                        plugin = name.as_str(),
                        "reloaded from {} in {:?}",
                        path.display(),
                        started.elapsed()
                    )
                }
                Err(e) => tracing::error!("reloading {} failed: {e:#}", path.display()),
            }
        }
        Err(e) => {
            tracing::error!(
                "reloading {} failed, keeping the running version: {e:#}",
                path.display()
            );
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().to_string())
                .unwrap_or_default();
            for s in reg.slots.iter() {
                if matches!(&s.current().source, Source::File(p) if *p == path) || *s.name == *stem
                {
                    *s.last_error.lock().unwrap() = Some(format!("{e:#}"));
                }
            }
        }
    }
}
