# RustStack tasks. `just serve` to run, `just test` to test.

set shell := ["bash", "-euo", "pipefail", "-c"]

target := "wasm32-wasip2"
wasm_out := "target/" + target + "/plugin"
# The built-in services, embedded in the binary: exactly these, never a crate
# that happens to sit beside them under plugins/.
services := "s3 dynamodb sqs sns"

# List the recipes.
default:
    @just --list

# Add the wasm32-wasip2 target when it is missing.
wasm-target:
    @rustup target list --installed | grep -qx {{target}} || rustup target add {{target}}

# Build every plugin: services into target/builtin-plugins (embedded in the binary),
# examples and test fixtures into target/example-plugins.
build-plugins: wasm-target
    #!/usr/bin/env bash
    set -euo pipefail
    services="{{services}}"
    examples=$(for d in plugins/examples/*/; do [ -f "$d/Cargo.toml" ] && basename "$d"; done)
    pkgs=""
    for p in $services $examples misbehave; do pkgs="$pkgs -p $p"; done
    cargo build --target {{target}} --profile plugin $pkgs
    mkdir -p target/builtin-plugins target/example-plugins
    # Anything else in the built-ins folder (from an older layout) goes.
    for f in target/builtin-plugins/*.wasm; do
        [ -e "$f" ] || continue
        n=$(basename "$f" .wasm); [[ " $services " == *" $n "* ]] || rm -f "$f"
    done
    for s in $services; do cmp -s {{wasm_out}}/$s.wasm target/builtin-plugins/$s.wasm || cp {{wasm_out}}/$s.wasm target/builtin-plugins/; done
    for e in $examples misbehave; do cp {{wasm_out}}/$e.wasm target/example-plugins/; done
    # A second build of the example, to test hot reload.
    cargo build --target {{target}} --profile plugin -p counters --features v2 --target-dir target/v2
    cp target/v2/{{target}}/plugin/counters.wasm target/example-plugins/counters-v2.wasm.alt

# Compile the built-in plugins ahead of time, so that a first start needs no compiler.
precompile: build-plugins
    cargo build --release -p ruststack-engine --bin ruststack-precompile
    ./target/release/ruststack-precompile target/builtin-plugins

# Build the ruststack binary (release) with the built-in plugins.
build: precompile
    cargo build --release -p ruststack

# Build the container image (TAG, default `ruststack:latest`) with docker or
# podman, whichever answers (CONTAINER_RUNTIME=podman to choose).
image TAG="ruststack:latest": precompile
    cargo build --profile image -p ruststack
    image/build.sh target/image/ruststack {{TAG}}

# Install `ruststack` (with the built-in services) into cargo's bin folder
# (~/.cargo/bin, on PATH after rustup); ROOT elsewhere, e.g. `just install ~/.local`.
install ROOT="": build
    cargo install --path host --locked --target-dir target {{ if ROOT == "" { "" } else { "--root " + ROOT } }}

# Build what is missing, then serve on 127.0.0.1:4566 (data in ./data).
serve *ARGS: build
    ./target/release/ruststack serve {{ARGS}}

# Serve with hot reload: rebuild a plugin when its source changes.
dev: build
    #!/usr/bin/env bash
    set -euo pipefail
    ./target/release/ruststack serve --watch --plugins target/example-plugins --plugins target/builtin-plugins &
    server=$!
    trap 'kill $server' EXIT
    stamp() { find plugins sdk wit -name '*.rs' -o -name '*.wit' -o -name '*.toml' -o -name '*.json' | xargs stat -c %Y | sort -n | tail -1; }
    last=$(stamp)
    while kill -0 $server 2>/dev/null; do
        sleep 1
        now=$(stamp)
        if [ "$now" != "$last" ]; then last=$now; just build-plugins || true; fi
    done

# Run every test: unit tests (in release, sharing the host's compiled
# dependencies), then end-to-end tests against the real release binary.
test: build
    cargo test --release --workspace --exclude ruststack-tests
    RUSTSTACK_BIN=target/release/ruststack cargo test -p ruststack-tests --no-fail-fast -- --test-threads 2

# Benchmarks: the example plugin against a bare axum handler, start-up and memory.
bench: build
    cargo run --release -p ruststack-tests --bin bench

# Create a plugin crate of its own, in the folder `just` was started from
# (`just new-plugin widgets --template rest --dir ~/src` for a REST one elsewhere).
new-plugin NAME *ARGS: build
    cd {{quote(invocation_directory())}} && {{quote(justfile_directory() / "target/release/ruststack")}} new {{NAME}} {{ARGS}}

# Format and lint.
lint: wasm-target
    cargo fmt --all -- --check
    cargo clippy --release --workspace --all-targets -- -D warnings
    cargo clippy --target {{target}} -p ruststack-sdk -- -D warnings

# Fuzz every decoder that reads client bytes for a bounded time (FUZZ_SECS per target, default 60).
fuzz *ARGS:
    cargo run --release -p ruststack-fuzz -- --seconds ${FUZZ_SECS:-60} {{ARGS}}
