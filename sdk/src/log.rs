//! Log lines in the server's output, tagged with the plugin's name.

use crate::host;

/// Severity of a log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Very detailed.
    Trace,
    /// For debugging.
    Debug,
    /// Normal operation.
    Info,
    /// Something odd.
    Warn,
    /// Something failed.
    Error,
}

/// Writes one log line.
pub fn write(level: Level, message: &str) {
    host::log(level, message)
}

/// Writes an info line.
pub fn info(message: &str) {
    write(Level::Info, message)
}

/// Writes a warning.
pub fn warn(message: &str) {
    write(Level::Warn, message)
}

/// Makes every panic of this plugin reach the host with its message and
/// place (`<message> at <file>:<line>:<column>`), so that the client's
/// error and the server's log say it panicked and why, not only that the
/// plugin trapped. Installed once per instance by the entry points.
pub(crate) fn report_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    if !cfg!(target_arch = "wasm32") {
        return;
    }
    ONCE.call_once(|| {
        std::panic::set_hook(Box::new(|info| {
            let payload = info.payload();
            let what = payload
                .downcast_ref::<&str>()
                .copied()
                .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
                .unwrap_or("(no message)");
            let message = match info.location() {
                Some(at) => format!("{what} at {}:{}:{}", at.file(), at.line(), at.column()),
                None => what.to_string(),
            };
            host::panicked(&message);
        }));
    });
}
