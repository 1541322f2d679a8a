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
