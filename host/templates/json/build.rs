//! Generates the typed operations of `model.json` when the crate builds:
//! the `api` module of `src/lib.rs` (see `ruststack_sdk::include_model!`).

fn main() {
    ruststack_codegen::plugin("model.json");
}
