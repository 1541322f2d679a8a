//! The host side of each WIT import, one module per capability.
//!
//! Each module implements the generated `Host` trait of its interface on
//! [`CallState`](crate::runtime::CallState); [`add_to_linker`] is the one place
//! that wires them (and the deny-all WASI that Rust's std needs) into a linker.

mod blobs;
mod http_out;
mod invoke;
mod kv;
mod log;
mod schedule;
mod settings;

use wasmtime::component::{HasSelf, Linker};

use crate::runtime::CallState;
use crate::wit::{Plugin, ruststack};

impl ruststack::plugin::types::Host for CallState {}

/// Adds every capability a plugin may import to `linker`.
pub fn add_to_linker(linker: &mut Linker<CallState>) -> wasmtime::Result<()> {
    wasmtime_wasi::p2::add_to_linker_async(linker)?;
    Plugin::add_to_linker::<CallState, HasSelf<CallState>>(linker, |s| s)?;
    Ok(())
}
