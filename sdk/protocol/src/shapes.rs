//! Typed views and output builders of every built-in service model's
//! structures, generated from the vendored models when the crate is built
//! (`build.rs`, `build/shapes.rs`). See [`crate::typed`] for how they read
//! and build values.
//!
//! - `shapes::<service>::<Shape>(&value)` views a decoded structure: a
//!   method per member, in snake case, typed after the member's shape.
//! - `shapes::<service>::out::<Shape>::new().<member>(v)...` builds one to
//!   answer with, and converts into the [`serde_json::Value`] the encoders
//!   take.

include!(concat!(env!("OUT_DIR"), "/shapes.rs"));
