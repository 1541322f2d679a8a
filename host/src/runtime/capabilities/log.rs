//! `log`: plugin log lines go to the host's tracing output, tagged with the plugin.

use crate::runtime::CallState;
use crate::wit::ruststack::plugin::log::{Host, Level};

impl Host for CallState {
    async fn write(&mut self, level: Level, message: String) -> wasmtime::Result<()> {
        let plugin = &*self.plugin;
        match level {
            Level::Trace => tracing::trace!(plugin, "{message}"),
            Level::Debug => tracing::debug!(plugin, "{message}"),
            Level::Info => tracing::info!(plugin, "{message}"),
            Level::Warn => tracing::warn!(plugin, "{message}"),
            Level::Error => tracing::error!(plugin, "{message}"),
        }
        Ok(())
    }

    async fn panicked(&mut self, message: String) -> wasmtime::Result<()> {
        self.panic = Some(message);
        Ok(())
    }
}
