//! The service plugins compiled into the binary.

include!(concat!(env!("OUT_DIR"), "/builtins.rs"));
