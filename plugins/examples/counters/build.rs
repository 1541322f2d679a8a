//! Generates the typed operations of `model.json` (see `api` in `lib.rs`).

fn main() {
    ruststack_codegen::plugin("model.json");
}
