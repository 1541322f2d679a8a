//! The kit for writing a RustStack service plugin.
//!
//! A plugin is a type implementing [`Service`], exported with [`plugin!`] and
//! built for `wasm32-wasip2`. It keeps all state in [`kv`] and [`blobs`] (the
//! host may run many instances, reuse them or replace them at any time), and
//! speaks AWS wire protocols through [`protocol`], so member names, XML
//! shapes and error formats come from the AWS service models, not from hand
//! written strings.
//!
//! Everything here also compiles natively: host calls then go to the
//! in-memory [`testkit`], so plugin logic is unit tested with `cargo test`.

pub mod alloc;
pub mod bindings;
pub mod blobs;
pub mod http;
pub mod ids;
pub mod invoke;
pub mod keys;
pub mod kv;
pub mod log;
pub mod migrate;
pub mod schedule;
pub mod scope;
pub mod settings;
pub mod table;
pub mod testkit;

mod host;

/// AWS wire protocols and errors (re-exported so plugins need one dependency).
pub use ruststack_protocol as protocol;
pub use ruststack_protocol::AwsError;

pub use bindings::ruststack::plugin::types::{
    BlobSlice, Body, BodyLimit, Context, Description, Matcher, Outcome, Protocol, Request,
    Resource, Response, Setting, Wait,
};

/// A service plugin: what it serves and how.
pub trait Service {
    /// Called once when the host loads the plugin: name, version, protocol and
    /// which requests it serves.
    fn describe() -> Description;

    /// Serves one request. Return [`Outcome::Wait`] to be called again later
    /// with the same request (long polling).
    fn handle(req: Request) -> Outcome;

    /// A timer set with [`schedule::after`] fired (in the scope that set it).
    fn on_timer(_payload: Vec<u8>) {}

    /// What the plugin stores in the current account and region (its
    /// buckets, tables, queues, ...), listed in the operator's console.
    /// Called in that scope, for reading: writes are discarded. None by default.
    fn resources() -> Vec<Resource> {
        Vec::new()
    }

    /// How this service's names are scoped: per account and region (the
    /// default), or per partition (S3 bucket names).
    fn scope_kind() -> scope::ScopeKind {
        scope::ScopeKind::Regional
    }

    /// The scope of an entry stored before keys were scoped (see
    /// [`migrate`]); `None` drops it. By default everything belongs to
    /// account `000000000000` in `us-east-1`.
    fn legacy_scope(_key: &[u8], _value: &[u8]) -> Option<scope::Scope> {
        Some(scope::Scope::of(
            Self::scope_kind(),
            scope::DEFAULT_ACCOUNT,
            scope::DEFAULT_REGION,
        ))
    }
}

/// What the host calls, around a [`Service`]'s own functions: data stored
/// before keys were scoped is moved first, and the call runs in its scope.
pub mod entry {
    use crate::scope::{self, Scope};
    use crate::{Outcome, Request, Service, migrate};

    /// Describes the plugin; a panic here (a model that does not parse)
    /// reaches the host with its message, and the plugin is not loaded.
    pub fn describe<S: Service>() -> crate::Description {
        crate::log::report_panics();
        S::describe()
    }

    /// Lists the plugin's resources in the scope of `account` and `region`.
    pub fn resources<S: Service>(account: &str, region: &str) -> Vec<crate::Resource> {
        crate::log::report_panics();
        migrate::ensure::<S>();
        let scope = Scope::of(S::scope_kind(), account, region);
        scope::as_caller(account, || scope::with(scope, S::resources))
    }

    /// Serves one request in the scope of its account and region.
    pub fn handle<S: Service>(req: Request) -> Outcome {
        crate::log::report_panics();
        migrate::ensure::<S>();
        let scope = Scope::of(S::scope_kind(), &req.context.account, &req.context.region);
        let account = req.context.account.clone();
        scope::as_caller(&account, || scope::with(scope, || S::handle(req)))
    }

    /// Fires a timer in the scope of the call that set it.
    pub fn on_timer<S: Service>(payload: Vec<u8>) {
        crate::log::report_panics();
        migrate::ensure::<S>();
        let (scope, payload) = match Scope::unwrap(&payload) {
            Some((scope, inner)) => (scope, inner.to_vec()),
            // Set before timers carried their scope.
            None => (
                Scope::of(
                    S::scope_kind(),
                    scope::DEFAULT_ACCOUNT,
                    scope::DEFAULT_REGION,
                ),
                payload,
            ),
        };
        scope::with(scope, || S::on_timer(payload))
    }
}

/// Exports a [`Service`] implementation as the plugin's entry points, and
/// installs [`alloc::SizeClasses`] as its allocator. `plugin!(T,
/// system_allocator)` keeps Rust's default allocator instead (or lets the
/// plugin install its own).
///
/// ```ignore
/// struct Notes;
/// impl ruststack_sdk::Service for Notes { /* ... */ }
/// ruststack_sdk::plugin!(Notes);
/// ```
/// Includes the typed operations of the plugin's own model as a module:
/// the `Op` enum to dispatch on, a view per input structure and a builder
/// per output structure (`input::<Op>`, `output::<Op>`, `out::<Shape>`),
/// so that a misspelt operation or member does not compile.
///
/// The module is written by the plugin's `build.rs` with
/// `ruststack_codegen::plugin("model.json")`; items the plugin does not
/// use are not warned about.
///
/// ```ignore
/// // build.rs: fn main() { ruststack_codegen::plugin("model.json"); }
/// ruststack_sdk::include_model!(mod api);
/// use api::{Op, input, output};
/// ```
#[macro_export]
macro_rules! include_model {
    ($(#[$attr:meta])* $vis:vis mod $name:ident) => {
        $(#[$attr])*
        #[allow(dead_code, unused_imports, missing_docs, clippy::all)]
        $vis mod $name {
            include!(concat!(env!("OUT_DIR"), "/model.rs"));
        }
    };
}

#[macro_export]
macro_rules! plugin {
    ($ty:ty) => {
        $crate::plugin!($ty, system_allocator);

        #[cfg(target_arch = "wasm32")]
        #[global_allocator]
        static __RUSTSTACK_ALLOCATOR: $crate::alloc::SizeClasses =
            $crate::alloc::SizeClasses::new();
    };
    ($ty:ty, system_allocator) => {
        #[doc(hidden)]
        pub struct __RustStackExport;

        impl $crate::bindings::exports::ruststack::plugin::service::Guest for __RustStackExport {
            fn describe() -> $crate::Description {
                $crate::entry::describe::<$ty>()
            }
            fn handle(req: $crate::Request) -> $crate::Outcome {
                $crate::entry::handle::<$ty>(req)
            }
            fn on_timer(payload: ::std::vec::Vec<u8>) {
                $crate::entry::on_timer::<$ty>(payload)
            }
            fn resources(
                account: ::std::string::String,
                region: ::std::string::String,
            ) -> ::std::vec::Vec<$crate::Resource> {
                $crate::entry::resources::<$ty>(&account, &region)
            }
        }

        // Natively (unit tests) there is no component to export from.
        #[cfg(target_arch = "wasm32")]
        $crate::bindings::export_service!(__RustStackExport with_types_in $crate::bindings);
    };
}

impl Matcher {
    /// A matcher that matches nothing yet; set the fields you need with
    /// struct update syntax (`Matcher { target_prefix: Some(..), ..Matcher::none() }`).
    pub fn none() -> Self {
        Matcher {
            target_prefix: None,
            query_version: None,
            query_actions: Vec::new(),
            signing_service: None,
            host_pattern: None,
            path_prefix: None,
            priority: 0,
        }
    }
}
