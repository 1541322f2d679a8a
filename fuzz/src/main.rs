//! `ruststack-fuzz`: fuzzes every RustStack decoder that reads client bytes
//! for a bounded time, on stable Rust (`just fuzz`).
//!
//! ```text
//! ruststack-fuzz [--seconds N] [--target NAME] [--inputs N] [--seed N]
//!                [--hang-secs N] [--replay FILE] [--list]
//! ```
//!
//! Each target runs for `--seconds` (default 60) or `--inputs` inputs,
//! whichever comes first. A panicking input is printed, saved under
//! `fuzz/crashes/<target>-<hash>` and makes the run exit with status 1 at
//! the end; an input running longer than `--hang-secs` (default 2) is a
//! hang: printed, saved, and the process exits with status 3 at once.
//! `--replay FILE` runs one saved input (with `--target`, or the target its
//! file name starts with).

mod engine;
mod http;
mod seeds;
mod targets;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use engine::{Limits, Target, Watchdog};

/// Command-line options.
#[derive(clap::Parser, Debug)]
#[command(
    name = "ruststack-fuzz",
    about = "Fuzzes every decoder that reads client bytes"
)]
struct Options {
    /// Seconds per target.
    #[arg(long, default_value_t = 60.0)]
    seconds: f64,
    /// Run only this target (`--list` names them).
    #[arg(long)]
    target: Option<String>,
    /// Most inputs per target.
    #[arg(long)]
    inputs: Option<u64>,
    /// Seed of the mutations (a run is repeatable with the same seed).
    #[arg(long, default_value_t = 0x5eed_f022)]
    seed: u64,
    /// An input running longer than this many seconds is a hang.
    #[arg(long, default_value_t = 2.0)]
    hang_secs: f64,
    /// Run one saved input (with `--target`, or the target its file name
    /// starts with).
    #[arg(long)]
    replay: Option<PathBuf>,
    /// List the targets.
    #[arg(long)]
    list: bool,
}

fn main() -> ExitCode {
    let opts = <Options as clap::Parser>::parse();
    let all = targets::all();
    if opts.list {
        for t in &all {
            println!("{:<24} {}", t.name, t.about);
        }
        return ExitCode::SUCCESS;
    }
    let crash_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("crashes");
    engine::install_panic_hook();
    let watchdog = Watchdog::start(Duration::from_secs_f64(opts.hang_secs), crash_dir.clone());

    if let Some(file) = &opts.replay {
        let file_name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let target = match &opts.target {
            Some(name) => all.iter().find(|t| t.name == name),
            None => all
                .iter()
                .filter(|t| file_name.starts_with(&format!("{}-", t.name)))
                .max_by_key(|t| t.name.len()),
        };
        let Some(target) = target else {
            eprintln!("--replay: name the target with --target");
            return ExitCode::from(2);
        };
        let input = match std::fs::read(file) {
            Ok(b) => b,
            Err(e) => {
                eprintln!("--replay {}: {e}", file.display());
                return ExitCode::from(2);
            }
        };
        return if engine::replay(target, &input, &watchdog, &crash_dir) {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        };
    }

    let selected: Vec<&Target> = match &opts.target {
        Some(name) => match all.iter().find(|t| t.name == name) {
            Some(t) => vec![t],
            None => {
                eprintln!("no target named {name}; --list shows them");
                return ExitCode::from(2);
            }
        },
        None => all.iter().collect(),
    };
    let limits = Limits {
        duration: Duration::from_secs_f64(opts.seconds),
        max_inputs: opts.inputs,
        seed: opts.seed,
        crash_dir,
    };
    println!(
        "fuzzing {} target(s), {} s each{}, seed {}",
        selected.len(),
        opts.seconds,
        opts.inputs
            .map(|n| format!(" (at most {n} inputs)"))
            .unwrap_or_default(),
        opts.seed
    );
    let (mut total, mut total_crashes, mut total_secs) = (0u64, 0u64, 0f64);
    for t in selected {
        let s = engine::fuzz(t, &limits, &watchdog);
        let secs = s.elapsed.as_secs_f64();
        println!(
            "{:<24} {:>11} inputs {:>10.0} inputs/s {:>4} crashes ({} distinct)  corpus {:>4}  slowest {:.1} ms ({} B)",
            t.name,
            s.inputs,
            s.inputs as f64 / secs.max(1e-9),
            s.crashes,
            s.distinct_crashes,
            s.corpus,
            s.slowest.0.as_secs_f64() * 1e3,
            s.slowest.1
        );
        total += s.inputs;
        total_crashes += s.crashes;
        total_secs += secs;
    }
    println!(
        "{:<24} {:>11} inputs {:>10.0} inputs/s {:>4} crashes",
        "total",
        total,
        total as f64 / total_secs.max(1e-9),
        total_crashes
    );
    if total_crashes > 0 {
        eprintln!("crashing inputs are saved under fuzz/crashes/ (replay one with --replay FILE)");
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
