//! The report: tables of runs, start-up, memory and targets.

#[allow(unused_imports)]
use super::*;

// Report
// ---------------------------------------------------------------------------

pub(crate) fn render(
    cfg: &Config,
    startup: &Startup,
    checks: &Checks,
    load: &LoadReport,
    image: &ImageResult,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# RustStack benchmark\n\n{} s per run after {} s warm-up, keep-alive HTTP/1.1, one request in flight per connection. \
         {} CPU(s). Baseline: bare axum 0.8 handler in its own process (as the server is), 2-worker runtime. \
         Server: `ruststack serve --data-dir <temp>{}`.\n",
        cfg.secs.as_secs_f64(),
        WARMUP.as_secs_f64(),
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        cfg.plugins
            .iter()
            .map(|p| format!(
                " --plugins {}",
                p.strip_prefix(&cfg.workspace).unwrap_or(p).display()
            ))
            .collect::<String>(),
    );
    render_load(&mut out, &load.runs);
    render_startup(&mut out, startup);
    render_image(&mut out, image, startup);
    render_memory(&mut out, load);
    render_checks(&mut out, checks);
    render_targets(&mut out, startup, checks, load);
    out
}

pub(crate) fn render_load(out: &mut String, runs: &[Run]) {
    let _ = writeln!(out, "## Throughput and latency\n");
    let _ = writeln!(
        out,
        "Every request is timed on its own (ReceiveMessage + DeleteMessage: the receive and each delete). \
         PutObject and PutItem write a new key per request.\n"
    );
    let _ = writeln!(
        out,
        "| target | conns | req/s | p50 | p99 | req/s vs baseline | throughput | errors |"
    );
    let _ = writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|");
    let mut groups: Vec<&str> = Vec::new();
    for run in runs {
        if !groups.contains(&run.group) {
            groups.push(run.group);
        }
    }
    for group in groups {
        let _ = writeln!(out, "| **{group}** | | | | | | | |");
        for run in runs.iter().filter(|r| r.group == group) {
            let ratio = baseline_rps(runs, run.conns).map_or("n/a".to_string(), |b| {
                format!("{:.1}%", 100.0 * run.stats.rps / b)
            });
            let throughput = run.unit.map_or(String::new(), |u| {
                format!("{:.1} {}", run.stats.units * u.scale, u.label)
            });
            let _ = writeln!(
                out,
                "| {} | {} | {:.0} | {} | {} | {} | {} | {} |",
                run.target,
                run.conns,
                run.stats.rps,
                fmt_latency(run.stats.p50),
                fmt_latency(run.stats.p99),
                ratio,
                throughput,
                run.stats.errors
            );
        }
    }
    out.push('\n');
}

pub(crate) fn render_startup(out: &mut String, s: &Startup) {
    let _ = writeln!(
        out,
        "## Start-up (spawn → first request a plugin answers, S3 ListBuckets; median of {STARTUP_RUNS})\n"
    );
    let _ = writeln!(out, "| mode | time |\n|---|---:|");
    let _ = writeln!(
        out,
        "| cold: new machine (empty `HOME`, so empty caches; fresh data folder) | {:.1} ms |",
        s.cold_ms
    );
    let _ = writeln!(
        out,
        "| warm: same `HOME` (cache filled), fresh data folder | {:.1} ms |",
        s.warm_ms
    );
    let _ = writeln!(
        out,
        "| cold with the example plugins (`--plugins`, compiled at start) | {:.1} ms |",
        s.cold_examples_ms
    );
    if let Some(floor) = s.spawn_floor_ms {
        let _ = writeln!(
            out,
            "| baseline: spawn and reap `/bin/true` | {floor:.1} ms |"
        );
    }
    out.push('\n');
}

/// The first-use and DynamoDB-attack readings.
pub(crate) fn render_checks(out: &mut String, checks: &Checks) {
    let _ = writeln!(
        out,
        "### First use: a cold start, then the basic commands\n"
    );
    match &checks.first_use {
        Ok(f) => {
            let _ = writeln!(
                out,
                "Bucket and object, table and item, queue and message, topic fanned out to the queue.\n\n\
                 | when | RSS |\n|---|---:|\n\
                 | started | {:.1} MiB |\n| right after the commands | {:.1} MiB |\n| 2 s later | {:.1} MiB |\n",
                f.started_mb, f.after_mb, f.idle_mb
            );
        }
        Err(e) => {
            let _ = writeln!(out, "{e}\n");
        }
    }
    let _ = writeln!(
        out,
        "### Four clients send a 15 MB DynamoDB item at once (RSS sampled every 10 ms)\n"
    );
    match &checks.attack {
        Ok(a) => {
            let answers: Vec<String> = a
                .answers
                .iter()
                .map(|(status, code)| format!("{status} {code}"))
                .collect();
            let _ = writeln!(
                out,
                "| RSS before | peak | 2 s after | answers |\n|---:|---:|---:|---|\n\
                 | {:.1} MiB | {:.1} MiB | {:.1} MiB | {} |\n",
                a.before_mb,
                a.peak_mb,
                a.after_mb,
                answers.join(", ")
            );
        }
        Err(e) => {
            let _ = writeln!(out, "{e}\n");
        }
    }
}

pub(crate) fn render_memory(out: &mut String, load: &LoadReport) {
    let _ = writeln!(out, "## Memory (VmRSS of the server)\n");
    let _ = writeln!(out, "| when | RSS |\n|---|---:|");
    let _ = writeln!(
        out,
        "| idle (plugins loaded, a few requests served, 2 s later) | {:.1} MiB |",
        load.idle_rss_mb
    );
    for (name, rss) in &load.loaded_rss_mb {
        let _ = writeln!(out, "| right after {name} @32 conns | {rss:.1} MiB |");
    }
    let _ = writeln!(
        out,
        "| idle again, {} s after the last run | {:.1} MiB |",
        SETTLE.as_secs(),
        load.settled_rss_mb
    );
    out.push('\n');
    let _ = writeln!(
        out,
        "### S3 1 GiB transfer (one connection, streamed; RSS sampled every 100 ms)\n"
    );
    if let Some(note) = &load.big_note {
        let _ = writeln!(out, "{note}\n");
        return;
    }
    let _ = writeln!(
        out,
        "| transfer | MB/s | RSS before | RSS peak | RSS after | growth (peak − before) |\n|---|---:|---:|---:|---:|---:|"
    );
    for b in &load.big {
        let _ = writeln!(
            out,
            "| {} | {:.0} | {:.1} MiB | {:.1} MiB | {:.1} MiB | {:.1} MiB |",
            b.what,
            b.mb_per_s,
            b.rss_before,
            b.rss_peak,
            b.rss_after,
            b.growth()
        );
    }
    out.push('\n');
}

pub(crate) fn render_targets(
    out: &mut String,
    startup: &Startup,
    checks: &Checks,
    load: &LoadReport,
) {
    let ratio_at_32 = |target: &str| {
        load.runs
            .iter()
            .find(|r| r.conns == 32 && r.target == target)
            .zip(baseline_rps(&load.runs, 32))
            .map_or(f64::NAN, |(r, b)| r.stats.rps / b)
    };
    let get_ratio = ratio_at_32("counters GetCounter");
    let s3_get_ratio = ratio_at_32("GetObject 1 KiB");
    let s3_rss = load
        .runs
        .iter()
        .filter(|r| r.group == "S3")
        .filter_map(|r| {
            load.loaded_rss_mb
                .iter()
                .find(|(name, _)| *name == r.target)
                .map(|(_, rss)| *rss)
        })
        .fold(f64::NAN, f64::max);
    let big_growth = load
        .big
        .iter()
        .map(BigTransfer::growth)
        .fold(f64::NAN, f64::max);
    let any_loaded = load
        .loaded_rss_mb
        .iter()
        .map(|(_, rss)| *rss)
        .fold(f64::NAN, f64::max);
    let cold_over_warm = startup.cold_ms / startup.warm_ms;
    let first_use = checks.first_use.as_ref().map_or(f64::NAN, |f| f.after_mb);
    let attack_peak = checks.attack.as_ref().map_or(f64::NAN, |a| a.peak_mb);
    let _ = writeln!(out, "## Targets\n");
    let _ = writeln!(out, "| target | measured | result |\n|---|---:|---|");
    let rows = [
        (
            format!("cold start ≤ {COLD_START_TARGET_MS} ms"),
            format!("{:.1} ms", startup.cold_ms),
            startup.cold_ms <= COLD_START_TARGET_MS,
        ),
        (
            format!("cold start ≤ {COLD_OVER_WARM_TARGET}× the warm start"),
            format!("{cold_over_warm:.1}×"),
            cold_over_warm <= COLD_OVER_WARM_TARGET,
        ),
        (
            format!("warm start ≤ {WARM_START_TARGET_MS} ms"),
            format!("{:.1} ms", startup.warm_ms),
            startup.warm_ms <= WARM_START_TARGET_MS,
        ),
        (
            format!("RSS after the basic commands on a cold start ≤ {FIRST_USE_RSS_TARGET_MB} MB"),
            format!("{first_use:.1} MiB"),
            first_use <= FIRST_USE_RSS_TARGET_MB,
        ),
        (
            format!("peak RSS, 4 × 15 MB DynamoDB items at once ≤ {ATTACK_PEAK_RSS_TARGET_MB} MB"),
            format!("{attack_peak:.1} MiB"),
            attack_peak <= ATTACK_PEAK_RSS_TARGET_MB,
        ),
        (
            format!("RSS right after every @32 run ≤ {ANY_LOADED_RSS_TARGET_MB} MB"),
            format!("{any_loaded:.1} MiB"),
            any_loaded <= ANY_LOADED_RSS_TARGET_MB,
        ),
        (
            format!("idle RSS ≤ {IDLE_RSS_TARGET_MB} MB"),
            format!("{:.1} MiB", load.idle_rss_mb),
            load.idle_rss_mb <= IDLE_RSS_TARGET_MB,
        ),
        (
            format!(
                "GetCounter req/s @32 ≥ {:.0}% of baseline",
                GET_RATIO_TARGET * 100.0
            ),
            format!("{:.1}%", get_ratio * 100.0),
            get_ratio >= GET_RATIO_TARGET,
        ),
        (
            format!(
                "S3 GetObject 1 KiB req/s @32 ≥ {:.0}% of baseline",
                S3_GET_RATIO_TARGET * 100.0
            ),
            format!("{:.1}%", s3_get_ratio * 100.0),
            s3_get_ratio >= S3_GET_RATIO_TARGET,
        ),
        (
            format!("RSS idle again after every load run ≤ {SETTLED_RSS_TARGET_MB} MB"),
            format!("{:.1} MiB", load.settled_rss_mb),
            load.settled_rss_mb <= SETTLED_RSS_TARGET_MB,
        ),
        (
            format!("S3 RSS under load (max after the @32 runs) ≤ {LOADED_RSS_TARGET_MB} MB"),
            format!("{s3_rss:.1} MiB"),
            s3_rss <= LOADED_RSS_TARGET_MB,
        ),
        (
            format!("S3 1 GiB transfer RSS growth ≤ {BIG_RSS_GROWTH_TARGET_MB} MB"),
            if load.big.is_empty() {
                load.big_note.clone().unwrap_or_default()
            } else {
                format!("{big_growth:.1} MiB")
            },
            big_growth <= BIG_RSS_GROWTH_TARGET_MB,
        ),
    ];
    for (what, measured, pass) in rows {
        let _ = writeln!(
            out,
            "| {what} | {measured} | {} |",
            if pass { "PASS" } else { "MISS" }
        );
    }
    render_floor(out, &load.runs);
}

/// The call path's targets, each against the host floor measured in the
/// same run: (target, least share of the floor's req/s @32).
const FLOOR_TARGETS: [(&str, f64); 7] = [
    ("GetObject 1 KiB", 0.60),
    ("GetItem", 0.60),
    ("PutItem", 0.40),
    ("SendMessage", 0.40),
    ("Publish → 1 SQS queue", 0.40),
    ("PutObject 1 KiB", 0.40),
    ("counters GetCounter", 0.0),
];

/// The host floor against the bare handler.
const FLOOR_OVER_BASELINE_TARGET: f64 = 0.70;

/// ReceiveMessage + DeleteMessage msgs/s @32 before the call path was
/// reworked (15,422 msgs/s on this kind of machine); the target is 3× that.
const RECEIVE_DELETE_BEFORE: f64 = 15_422.0;

/// The host's own share: the floor (a call that does no work) against the
/// baseline, and the services' calls against the floor, so a run shows how
/// much of the gap to the baseline is the host and how much the service's
/// work; each with its target.
pub(crate) fn render_floor(out: &mut String, runs: &[Run]) {
    let at_32 = |target: &str| runs.iter().find(|r| r.conns == 32 && r.target == target);
    let rps_at_32 = |target: &str| at_32(target).map(|r| r.stats.rps).filter(|&rps| rps > 0.0);
    let (Some(floor), Some(baseline)) = (rps_at_32(FLOOR_TARGET), baseline_rps(runs, 32)) else {
        return;
    };
    let verdict = |pass: bool| if pass { "PASS" } else { "MISS" };
    let share = floor / baseline;
    let _ = writeln!(
        out,
        "\n## Host floor @32\n\nA {FLOOR_TARGET} serves {:.1}% of the baseline's req/s \
         (target ≥ {:.0}%: {}). Against that floor:\n",
        100.0 * share,
        100.0 * FLOOR_OVER_BASELINE_TARGET,
        verdict(share >= FLOOR_OVER_BASELINE_TARGET)
    );
    let _ = writeln!(
        out,
        "| target | req/s vs floor | target | result |\n|---|---:|---:|---|"
    );
    for (target, least) in FLOOR_TARGETS {
        if let Some(rps) = rps_at_32(target) {
            let ratio = rps / floor;
            let (goal, result) = if least > 0.0 {
                (format!("≥ {:.0}%", least * 100.0), verdict(ratio >= least))
            } else {
                (String::new(), "")
            };
            let _ = writeln!(
                out,
                "| {target} | {:.1}% | {goal} | {result} |",
                100.0 * ratio
            );
        }
    }
    if let Some(units) = runs
        .iter()
        .find(|r| r.conns == 32 && r.target.starts_with("ReceiveMessage"))
        .map(|r| r.stats.units)
        .filter(|&u| u > 0.0)
    {
        let times = units / RECEIVE_DELETE_BEFORE;
        let _ = writeln!(
            out,
            "\nReceiveMessage + DeleteMessage @32: {units:.0} msgs/s, {times:.2}× the \
             {RECEIVE_DELETE_BEFORE:.0} msgs/s before (target ≥ 3×: {}).",
            verdict(times >= 3.0)
        );
    }
}

pub(crate) fn baseline_rps(runs: &[Run], conns: usize) -> Option<f64> {
    runs.iter()
        .find(|r| r.conns == conns && r.target.starts_with("baseline"))
        .map(|r| r.stats.rps)
        .filter(|&rps| rps > 0.0)
}

pub(crate) fn fmt_latency(d: Duration) -> String {
    let us = d.as_micros();
    if us >= 1_000 {
        format!("{:.2} ms", us as f64 / 1e3)
    } else {
        format!("{us} µs")
    }
}
