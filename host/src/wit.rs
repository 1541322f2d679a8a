//! Host-side bindings of `wit/plugin.wit`: the records and interfaces every
//! part of the host shares (router, runtime, capabilities, errors), kept
//! apart from all of them so none depends on another for its types.
//!
//! Every import is async (blob IO, invoke and outbound HTTP await) and
//! trappable (a store failure becomes a trap in the calling plugin rather
//! than a wrong answer).

wasmtime::component::bindgen!({
    path: "../wit",
    world: "plugin",
    imports: { default: async | trappable },
    exports: { default: async },
});

pub use ruststack::plugin::types::{
    BlobSlice, Body, BodyLimit, Context, Description, Matcher, Outcome, Protocol, Request,
    Resource, Response,
};
