//! One loaded version of a plugin: its compiled component, pre-linked
//! instance template, declared description and pool of warm instances.

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

use sha2::{Digest, Sha256};

use super::cache::Origin;
use super::pool::Warm;
use super::state::CallState;
use crate::wit::{Description, PluginPre};

/// Where a plugin's wasm came from.
#[derive(Clone, Debug)]
pub enum Source {
    /// Compiled into the binary.
    Builtin(&'static ruststack_builtins::Builtin),
    /// A `.wasm` file found in a `--plugins` folder.
    File(PathBuf),
}

impl Source {
    /// How to show this source to a user.
    pub fn display(&self) -> String {
        match self {
            Source::Builtin(b) => format!("builtin:{}", b.file),
            Source::File(p) => p.display().to_string(),
        }
    }
}

/// SHA-256 of a wasm file, lower-case hex.
pub fn wasm_hash(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A loaded, callable version of a plugin.
pub struct PluginVersion {
    /// The declared name, shared by every call's state.
    pub name: std::sync::Arc<str>,
    /// What the plugin said about itself.
    pub description: Description,
    /// Where it came from.
    pub source: Source,
    /// SHA-256 of its wasm.
    pub hash: String,
    /// Where its compiled code came from.
    pub origin: Origin,
    /// Pre-linked template for new instances.
    pub pre: PluginPre<CallState>,
    /// Idle instances ready for the next request.
    pub pool: Mutex<Vec<Warm>>,
    /// Set when a newer version replaced this one: its instances are not reused.
    pub retired: AtomicBool,
    /// Turns to run a call (see `Limits::max_concurrent_calls`).
    pub turns: super::turns::Turns,
    /// Calls hold this shared; a call that keeps losing compare-and-set races
    /// takes it exclusively so its next attempt cannot lose again.
    pub solo: tokio::sync::RwLock<()>,
}

impl PluginVersion {
    /// True once a reload replaced this version.
    pub fn is_retired(&self) -> bool {
        self.retired.load(Ordering::Acquire)
    }
}
