//! `ruststack`: a local AWS cloud in one binary. The host serves HTTP, stores
//! data and runs service plugins (WebAssembly components); it knows no AWS
//! service by name.

mod body;
mod calls;
mod cli;
mod console;
mod faults;
mod guard;
mod health;
mod identity;
mod idle;
mod init;
mod logwriter;
mod memory;
mod requestlog;
mod router;
mod runtime;
mod scaffold;
mod scheduler;
mod server;
mod signatures;
mod store;
mod wit;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use clap::Parser;

use cli::{Cli, Command, ListArgs, PluginArgs, ServeArgs, StateCommand};
use runtime::{Limits, Runtime, Settings, Source};
use store::Store;

fn main() -> ExitCode {
    memory::tune_allocator();
    // Log lines (one per request, with the request log) are gathered and
    // written by a thread of their own, many per system call, not by the
    // request's thread; the guard writes what is left when main returns.
    let (writer, log_guard) = logwriter::start(std::io::stderr());
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| {
                tracing_subscriber::EnvFilter::new("info,wasmtime=warn,cranelift=warn")
            }),
        )
        .with_writer(writer)
        // Colours for a person at a terminal; plain text for files and pipes.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => tokio_runtime().and_then(|rt| rt.block_on(serve(*args))),
        Command::Plugins(args) => tokio_runtime().and_then(|rt| rt.block_on(list_plugins(args))),
        Command::State(cmd) => state(cmd),
        Command::Health(args) => tokio_runtime().and_then(|rt| rt.block_on(health_check(args))),
        Command::New(args) => scaffold::create(&args.dir, &args.name, args.template),
    };
    // Every log line out before the last word.
    drop(log_guard);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ruststack: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn tokio_runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

/// Built-ins first, then each `--plugins` in order: a `.wasm` file as it
/// is, a folder's `.wasm` files in name order.
fn sources(args: &PluginArgs) -> Result<Vec<Source>> {
    let mut out: Vec<Source> = ruststack_builtins::BUILTINS
        .iter()
        .map(Source::Builtin)
        .collect();
    for path in &args.plugin_dirs {
        if path.is_file() {
            anyhow::ensure!(
                path.extension().is_some_and(|x| x == "wasm"),
                "{} is neither a folder nor a .wasm file",
                path.display()
            );
            out.push(Source::File(path.clone()));
            continue;
        }
        let files = ruststack_builtins::layout::wasm_files(path)
            .with_context(|| format!("reading plugin folder {}", path.display()))?;
        out.extend(files.into_iter().map(Source::File));
    }
    Ok(out)
}

/// Compiled plugins are kept per user, not per data folder, so a fresh data
/// folder (every CI job, every test fixture) finds them compiled already:
/// `--cache-dir`, else `$XDG_CACHE_HOME/ruststack`, else `~/.cache/ruststack`.
fn cache_dir(args: &PluginArgs) -> Option<PathBuf> {
    if let Some(d) = &args.cache_dir {
        return Some(d.clone());
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|h| !h.is_empty())
                .map(|h| PathBuf::from(h).join(".cache"))
        });
    if base.is_none() {
        tracing::warn!("neither XDG_CACHE_HOME nor HOME is set: compiled plugins are not cached");
    }
    base.map(|b| b.join("ruststack"))
}

/// Loads every plugin, all at once (each on a worker thread), so a start
/// that unpacks or compiles code uses every core; installs them in order.
async fn load_all(runtime: &Arc<Runtime>, args: &PluginArgs, services: &[String]) -> Result<()> {
    let loads: Vec<_> = sources(args)?
        .into_iter()
        .map(|src| {
            let runtime = runtime.clone();
            tokio::spawn(async move {
                let shown = src.display();
                runtime
                    .load(src)
                    .await
                    .with_context(|| format!("loading plugin {shown}"))
            })
        })
        .collect();
    let mut versions = Vec::with_capacity(loads.len());
    for load in loads {
        versions.push(load.await??);
    }
    // `--services`: built-ins not named are left out, but remembered so that
    // a request for one is told it is not enabled.
    let services: Vec<&str> = services
        .iter()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
        .collect();
    if !services.is_empty() {
        let builtin = |v: &runtime::PluginVersion| matches!(v.source, Source::Builtin(_));
        let known: Vec<&str> = versions
            .iter()
            .filter(|v| builtin(v))
            .map(|v| v.description.name.as_str())
            .collect();
        if let Some(unknown) = services.iter().find(|s| !known.contains(s)) {
            anyhow::bail!(
                "--services names {unknown}, which is not a built-in service ({})",
                known.join(", ")
            );
        }
        let (kept, left_out): (Vec<_>, Vec<_>) = versions
            .into_iter()
            .partition(|v| !builtin(v) || services.contains(&v.description.name.as_str()));
        runtime.set_disabled(
            &left_out
                .iter()
                .map(|v| v.description.clone())
                .collect::<Vec<_>>(),
        );
        versions = kept;
    }
    runtime.install(versions)?;
    memory::release_freed_memory();
    Ok(())
}

async fn serve(args: ServeArgs) -> Result<()> {
    let started = Instant::now();
    let init = Arc::new(init::Init::new(args.init_dir.clone(), &args.default_region));
    let faults = Arc::new(match &args.faults {
        Some(file) => faults::Faults::from_file(file)?,
        None => faults::Faults::default(),
    });
    // Boot scripts run before anything listens: the endpoint they are given
    // answers only later.
    init.run(init::Stage::Boot, &endpoint(&args.host, args.port))
        .await;
    let store = if args.ephemeral {
        Store::ephemeral()?
    } else {
        Store::open(&args.plugins.data_dir, args.durability)?
    };
    if let Some(file) = &args.init_state {
        let input = std::fs::File::open(file)
            .with_context(|| format!("opening the state archive {}", file.display()))?;
        store
            .import(std::io::BufReader::new(input))
            .with_context(|| format!("starting from the state in {}", file.display()))?;
        tracing::info!("started from the state in {}", file.display());
    }
    let limits = Limits {
        call_timeout: Duration::from_millis(args.call_timeout_ms),
        memory_bytes: args.memory_limit_mb.saturating_mul(1024 * 1024),
        total_memory_bytes: args.total_memory_limit_mb.map_or_else(
            || runtime::default_total_memory(args.memory_limit_mb.saturating_mul(1024 * 1024)),
            |mb| mb.saturating_mul(1024 * 1024),
        ),
        // A new instance parses its service model again (milliseconds for
        // S3's); instances whose memory grew are retired sooner anyway.
        max_uses: 100_000,
        fresh_instances: args.fresh_instances,
        max_concurrent_calls: args
            .max_concurrent_calls
            .unwrap_or_else(|| 2 * std::thread::available_parallelism().map_or(2, |n| n.get())),
    };
    let runtime = Runtime::new(
        store,
        cache_dir(&args.plugins),
        limits,
        Settings::parse(&args.settings)?,
    )?;
    load_all(&runtime, &args.plugins, &args.services).await?;
    runtime
        .settings()
        .check_plugins(runtime.registry().slots.iter().map(|s| &*s.name))?;
    let listener = tokio::net::TcpListener::bind((args.host.as_str(), args.port))
        .await
        .with_context(|| format!("listening on {}:{}", args.host, args.port))?;
    let addr = listener.local_addr()?;
    let names: Vec<String> = runtime
        .registry()
        .slots
        .iter()
        .map(|s| s.name.to_string())
        .collect();
    tracing::info!(
        "serving {} on http://{addr} (ready in {:?})",
        if names.is_empty() {
            "no services".to_string()
        } else {
            names.join(", ")
        },
        started.elapsed()
    );
    // Scripts and tests read the address from this line.
    println!("ruststack listening on http://{addr}");
    {
        // The listener is bound, so the scripts' requests wait for the
        // server below; `Ready.` (LocalStack's line) follows them.
        let (init, endpoint) = (init.clone(), endpoint(&args.host, addr.port()));
        tokio::spawn(async move {
            init.run(init::Stage::Start, &endpoint).await;
            init.run(init::Stage::Ready, &endpoint).await;
            tracing::info!("Ready.");
            println!("Ready.");
        });
    }
    tokio::spawn(scheduler::run(runtime.clone()));
    tokio::spawn(idle::trim_when_idle(runtime.clone()));
    if args.watch {
        tokio::spawn(runtime::reload::watch(
            runtime.clone(),
            args.plugins.plugin_dirs.clone(),
        ));
    }
    let app = server::App {
        runtime: runtime.clone(),
        default_account: args.default_account.as_str().into(),
        default_region: args.default_region.as_str().into(),
        allowed_hosts: Arc::new(guard::AllowedHosts::new(&args.host, &args.allowed_hosts)),
        signatures: args
            .verify_signatures
            .then(|| signatures::Signatures::new(&args.credentials).map(Arc::new))
            .transpose()?,
        log_requests: args.log_requests,
        init,
        endpoint: endpoint(&args.host, addr.port()),
        faults,
        calls: Default::default(),
    };
    server::serve(app, listener).await?;
    runtime.clear_pools();
    runtime.store().shutdown();
    tracing::info!("stopped");
    Ok(())
}

async fn list_plugins(args: ListArgs) -> Result<()> {
    let store = Store::ephemeral()?;
    let limits = Limits {
        call_timeout: Duration::from_secs(30),
        memory_bytes: 512 << 20,
        total_memory_bytes: 512 << 20,
        max_uses: 1,
        fresh_instances: true,
        max_concurrent_calls: 1,
    };
    let runtime: Arc<Runtime> =
        Runtime::new(store, cache_dir(&args.plugins), limits, Settings::default())?;
    let mut versions = Vec::new();
    for src in sources(&args.plugins)? {
        let shown = src.display();
        let v = runtime
            .load(src)
            .await
            .with_context(|| format!("loading plugin {shown}"))?;
        versions.push(v);
    }
    println!(
        "{:<16} {:<10} {:<9} {:<64} SOURCE",
        "NAME", "VERSION", "PROTOCOL", "SHA256"
    );
    for (i, v) in versions.iter().enumerate() {
        let d = &v.description;
        // A later plugin of the same name replaces this one.
        let replaced_by = versions[i + 1..]
            .iter()
            .rev()
            .find(|w| w.description.name == d.name);
        println!(
            "{:<16} {:<10} {:<9} {:<64} {}{}",
            d.name,
            d.version,
            health::protocol_name(d.protocol),
            v.hash,
            v.source.display(),
            replaced_by
                .map(|w| format!("  (not served: replaced by {})", w.source.display()))
                .unwrap_or_default()
        );
        for s in &d.settings {
            println!("    --set {}.{}=...  {}", d.name, s.name, s.about);
        }
        if args.operations {
            for claim in health::claims(d) {
                println!("    claims {claim}");
            }
            println!("    operations {}", d.operations.join(", "));
        }
    }
    Ok(())
}

/// `ruststack health`: asks `/_ruststack/health` of a running server; an
/// error (and so exit status 1) unless it answers that it is running.
async fn health_check(args: cli::HealthArgs) -> Result<()> {
    let url = args.url.unwrap_or_else(|| {
        let port = std::env::var("RUSTSTACK_PORT").unwrap_or_else(|_| "4566".into());
        format!("http://127.0.0.1:{port}")
    });
    let body = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()?
        .get(format!("{}/_ruststack/health", url.trim_end_matches('/')))
        .send()
        .await
        .with_context(|| format!("asking {url}"))?
        .bytes()
        .await
        .with_context(|| format!("reading the answer of {url}"))?;
    let answer: serde_json::Value = serde_json::from_slice(&body)
        .with_context(|| format!("{url} did not answer a health document"))?;
    println!("{answer}");
    anyhow::ensure!(answer["status"] == "running", "{url} is not running");
    Ok(())
}

/// `ruststack state export|import`: on a data folder no server runs on.
fn state(cmd: StateCommand) -> Result<()> {
    let (args, export) = match &cmd {
        StateCommand::Export(a) => (a, true),
        StateCommand::Import(a) => (a, false),
    };
    let store = Store::open(&args.data_dir, store::Durability::Immediate).with_context(|| {
        format!(
            "opening {} (is a server running on it?)",
            args.data_dir.display()
        )
    })?;
    let result = if export {
        std::fs::File::create(&args.file)
            .with_context(|| format!("creating {}", args.file.display()))
            .and_then(|f| {
                let mut out = std::io::BufWriter::new(f);
                store.export(&mut out)?;
                std::io::Write::flush(&mut out)?;
                Ok(())
            })
            .map(|()| {
                println!(
                    "exported {} to {}",
                    args.data_dir.display(),
                    args.file.display()
                )
            })
    } else {
        std::fs::File::open(&args.file)
            .with_context(|| format!("opening {}", args.file.display()))
            .and_then(|f| store.import(std::io::BufReader::new(f)))
            .map(|plugins| {
                println!(
                    "imported {} into {} ({})",
                    args.file.display(),
                    args.data_dir.display(),
                    plugins.join(", ")
                )
            })
    };
    store.shutdown();
    result
}

/// The URL by which this server's own scripts reach it: the listening
/// address, or the loopback one when it listens on every address.
fn endpoint(host: &str, port: u16) -> String {
    match host {
        "0.0.0.0" | "" => format!("http://127.0.0.1:{port}"),
        "::" | "[::]" => format!("http://[::1]:{port}"),
        h if h.contains(':') && !h.starts_with('[') => format!("http://[{h}]:{port}"),
        h => format!("http://{h}:{port}"),
    }
}
