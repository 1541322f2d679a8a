//! Command line: `serve`, `plugins`, `new`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::store::Durability;

/// A local AWS cloud: S3, DynamoDB, SQS and SNS (and your own services) as
/// WebAssembly plugins, on one port.
#[derive(Parser, Debug)]
#[command(name = "ruststack", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// What to do.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the AWS APIs.
    Serve(Box<ServeArgs>),
    /// List the plugins that would be loaded: name, version, protocol, source,
    /// hash, and which of two with one name is served.
    Plugins(ListArgs),
    /// Save or restore the whole state of a data folder as one file (the
    /// server must not be running on it; a running one has `/_ruststack/state`).
    #[command(subcommand)]
    State(StateCommand),
    /// Ask a running server whether it is healthy: exit status 0 if it
    /// answers that it is running (a container's health check, no curl needed).
    Health(HealthArgs),
    /// Create a new plugin crate, named after its service, to build on its own.
    New(NewArgs),
}

/// Where plugins come from.
#[derive(Args, Debug, Clone)]
pub struct PluginArgs {
    /// A folder of extra `.wasm` plugins, or one `.wasm` file (repeatable).
    /// A plugin with the name of one loaded before it (a built-in, or one of
    /// an earlier folder) replaces it.
    #[arg(
        long = "plugins",
        value_name = "DIR|FILE",
        env = "RUSTSTACK_PLUGINS",
        value_delimiter = ','
    )]
    pub plugin_dirs: Vec<PathBuf>,
    /// Where data lives.
    #[arg(long, env = "RUSTSTACK_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
    /// Where compiled plugins are cached, shared by every data folder
    /// [default: $XDG_CACHE_HOME/ruststack, else ~/.cache/ruststack].
    #[arg(long, env = "RUSTSTACK_CACHE_DIR")]
    pub cache_dir: Option<PathBuf>,
}

/// `ruststack health`.
#[derive(Args, Debug, Clone)]
pub struct HealthArgs {
    /// The server's URL [default: http://127.0.0.1:<RUSTSTACK_PORT or 4566>].
    #[arg(long)]
    pub url: Option<String>,
}

/// `ruststack state`.
#[derive(Subcommand, Debug)]
pub enum StateCommand {
    /// Write the data folder's whole state (every plugin's data, blobs and
    /// timers) to FILE, a tar archive.
    Export(StateArgs),
    /// Replace the data folder's whole state with the archive FILE.
    Import(StateArgs),
}

/// A state archive and a data folder.
#[derive(Args, Debug, Clone)]
pub struct StateArgs {
    /// The archive.
    pub file: PathBuf,
    /// The data folder.
    #[arg(long, env = "RUSTSTACK_DATA_DIR", default_value = "./data")]
    pub data_dir: PathBuf,
}

/// `ruststack plugins`.
#[derive(Args, Debug, Clone)]
pub struct ListArgs {
    #[command(flatten)]
    pub plugins: PluginArgs,
    /// Also list each plugin's operations and the requests it claims.
    #[arg(long)]
    pub operations: bool,
}

/// `ruststack serve`.
#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "RUSTSTACK_HOST", default_value = "127.0.0.1")]
    pub host: String,
    /// Port to listen on (0 picks a free one and prints it).
    #[arg(long, env = "RUSTSTACK_PORT", default_value_t = 4566)]
    pub port: u16,
    #[command(flatten)]
    pub plugins: PluginArgs,
    /// Keep everything in memory (blobs in a temporary folder); nothing survives exit.
    #[arg(long, env = "RUSTSTACK_EPHEMERAL")]
    pub ephemeral: bool,
    /// When a write is acknowledged: `buffered` survives a killed server,
    /// `immediate` also a power loss.
    #[arg(
        long,
        env = "RUSTSTACK_DURABILITY",
        value_enum,
        default_value = "buffered"
    )]
    pub durability: Durability,
    /// Reload a plugin when its `.wasm` in a `--plugins` folder changes.
    #[arg(long, env = "RUSTSTACK_WATCH")]
    pub watch: bool,
    /// A plugin call still running after this many milliseconds is stopped.
    /// (A call that runs longer than about half a second already gives its
    /// turn back, so a loop slows no other request meanwhile.)
    #[arg(long, env = "RUSTSTACK_CALL_TIMEOUT_MS", default_value_t = 10_000)]
    pub call_timeout_ms: u64,
    /// Most memory one plugin instance may use, in MiB.
    #[arg(long, env = "RUSTSTACK_MEMORY_LIMIT_MB", default_value_t = 512)]
    pub memory_limit_mb: usize,
    /// Most memory all plugin instances together may use, in MiB [default: a
    /// quarter of the machine's (or container's) memory, at most 2048].
    #[arg(long, env = "RUSTSTACK_TOTAL_MEMORY_LIMIT_MB")]
    pub total_memory_limit_mb: Option<usize>,
    /// Most requests one plugin runs at once (more wait for a turn; a request whose
    /// writes wait to be stored holds none) [default: 2 per core].
    #[arg(long, env = "RUSTSTACK_MAX_CONCURRENT_CALLS")]
    pub max_concurrent_calls: Option<usize>,
    /// Use a new plugin instance for every request (finds plugins that keep
    /// state in memory; slower).
    #[arg(long, env = "RUSTSTACK_FRESH_INSTANCES")]
    pub fresh_instances: bool,
    /// The account of requests whose access key id is not a 12-digit account
    /// id (a 12-digit access key id is that account).
    #[arg(long, env = "RUSTSTACK_DEFAULT_ACCOUNT", default_value = "000000000000", value_parser = account_id)]
    pub default_account: String,
    /// The region of requests that name none: unsigned, and to a host name
    /// without a region (signed requests carry theirs).
    #[arg(long, env = "RUSTSTACK_DEFAULT_REGION", default_value = "us-east-1")]
    pub default_region: String,
    /// Check every request's signature (SigV4 headers, presigned URLs,
    /// signed `aws-chunked` uploads; SigV2 for S3) against the known
    /// credentials, and answer AWS's errors for a missing, wrong or expired one.
    #[arg(long, env = "RUSTSTACK_VERIFY_SIGNATURES")]
    pub verify_signatures: bool,
    /// A known credential pair, `ACCESS_KEY_ID:SECRET` (repeatable; the pair
    /// `test:test` is always known). Used by `--verify-signatures`.
    #[arg(
        long = "credentials",
        value_name = "ACCESS_KEY_ID:SECRET",
        env = "RUSTSTACK_CREDENTIALS",
        value_delimiter = ','
    )]
    pub credentials: Vec<String>,
    /// More `Host` names to answer (repeatable, comma-separated; `*.example.com`
    /// for every name under it, `*` for any). On a loopback address only
    /// local and AWS service names are answered unless given here; on any
    /// other address every name is, unless this is given.
    #[arg(
        long = "allowed-hosts",
        value_name = "NAME",
        env = "RUSTSTACK_ALLOWED_HOSTS",
        value_delimiter = ','
    )]
    pub allowed_hosts: Vec<String>,
    /// Start from the state in this archive (from `/_ruststack/state` or
    /// `ruststack state export`), replacing what the data folder holds.
    #[arg(long, value_name = "FILE", env = "RUSTSTACK_INIT_STATE")]
    pub init_state: Option<PathBuf>,
    /// Only these built-in services (comma-separated, e.g. `s3,sqs`); a
    /// request for another answers that it is not enabled. Plugins given
    /// with `--plugins` always load [default: all built-ins].
    #[arg(
        long,
        value_name = "LIST",
        env = "RUSTSTACK_SERVICES",
        value_delimiter = ','
    )]
    pub services: Vec<String>,
    /// Scripts to run at the server's stages, in LocalStack's layout:
    /// `boot.d`, `start.d`, `ready.d` (then `Ready.` is printed) and
    /// `shutdown.d`, each run in name order.
    #[arg(long, value_name = "DIR", env = "RUSTSTACK_INIT_DIR")]
    pub init_dir: Option<PathBuf>,
    /// Fault injection rules to start with: a JSON list of rules (see
    /// `/_ruststack/faults`).
    #[arg(long, value_name = "FILE", env = "RUSTSTACK_FAULTS")]
    pub faults: Option<PathBuf>,
    /// Log one line per call: `<plugin>.<Operation> <status> <ms>
    /// <request-id>`, and the error code on failures
    /// (`--log-requests=false` turns it off).
    #[arg(
        long,
        env = "RUSTSTACK_LOG_REQUESTS",
        default_value_t = true,
        action = clap::ArgAction::Set,
        num_args = 0..=1,
        default_missing_value = "true",
        require_equals = true
    )]
    pub log_requests: bool,
    /// A plugin setting, `<plugin>.<name>=<value>` (repeatable; `ruststack
    /// plugins` lists each plugin's settings).
    #[arg(
        long = "set",
        value_name = "PLUGIN.NAME=VALUE",
        env = "RUSTSTACK_SET",
        value_delimiter = ','
    )]
    pub settings: Vec<String>,
}

/// `ruststack new`.
#[derive(Args, Debug, Clone)]
pub struct NewArgs {
    /// The service's name (a-z, 0-9, '-', starting with a letter): the
    /// plugin's and crate's name, from which its types, operations and
    /// paths are named.
    pub name: String,
    /// Folder to create the crate in, as `<DIR>/<NAME>` (a crate of its own,
    /// so anywhere: it is part of no workspace).
    #[arg(long, default_value = ".")]
    pub dir: PathBuf,
    /// The kind of API the plugin serves.
    #[arg(long, value_enum, default_value_t = crate::scaffold::Template::Json)]
    pub template: crate::scaffold::Template,
}

/// Parses an AWS account id: exactly 12 digits.
fn account_id(s: &str) -> Result<String, String> {
    if crate::identity::is_account_id(s) {
        Ok(s.to_string())
    } else {
        Err(format!("{s:?} is not an account id (12 digits)"))
    }
}
