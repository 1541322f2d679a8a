//! The fuzzing engine: a small coverage-free mutational fuzzer that runs on
//! stable Rust, so `just fuzz` needs no nightly toolchain or libFuzzer.
//!
//! Each target starts from a corpus of realistic, valid inputs. Every round
//! takes a corpus entry, stacks a few byte-level mutations on it (see
//! [`Mutator`]) and runs the result under [`std::panic::catch_unwind`] while a
//! watchdog thread ([`Watchdog`]) checks that no input runs longer than the
//! hang limit. In place of coverage, a target returns a *behaviour class*
//! per input (for example the error code it answered with): an input showing
//! a class not seen before joins the corpus, so inputs that got further into
//! a decoder are mutated further.

use std::cell::RefCell;
use std::collections::HashSet;
use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One fuzz target: a decoder that reads client bytes, with its seeds.
pub struct Target {
    /// The name `--target` selects it by (and crash files start with).
    pub name: &'static str,
    /// What it exercises (shown by `--list`).
    pub about: &'static str,
    /// Valid, realistic inputs the corpus starts from.
    pub seeds: fn() -> Vec<Vec<u8>>,
    /// Tokens worth inserting for this input format (keywords, member names).
    pub dict: &'static [&'static str],
    /// Longest input the mutator builds.
    pub max_len: usize,
    /// How inputs are laid out (JSON ones also get leaf-wise mutations).
    pub layout: Layout,
    /// Prepares shared state (the test kit's storage); called before the
    /// first input and again every [`Target::reset_every`] inputs so the
    /// state stays small.
    pub setup: Option<fn()>,
    /// How often `setup` runs again (0: only once).
    pub reset_every: u64,
    /// Runs one input; returns its behaviour class (see the module docs).
    /// A panic is a bug found.
    pub run: fn(&[u8]) -> u64,
}

/// How a target's inputs are laid out, for structure-aware mutation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Bytes: byte-level mutations only.
    Bytes,
    /// A JSON document: also mutates one string or number in it, keeping the
    /// rest valid (byte mutations mostly break JSON before a decoder sees it).
    Json,
    /// An HTTP request text whose body may be JSON: as [`Layout::Json`] for
    /// the body.
    HttpJson,
}

/// What a run of one target may do.
pub struct Limits {
    /// Wall-clock budget.
    pub duration: Duration,
    /// Most inputs to run (`None`: no cap).
    pub max_inputs: Option<u64>,
    /// Seed of the random generator (mixed with the target's name).
    pub seed: u64,
    /// Where crashing inputs are saved.
    pub crash_dir: PathBuf,
}

/// What a run of one target did.
pub struct Stats {
    /// Inputs run (seeds included).
    pub inputs: u64,
    /// Time taken.
    pub elapsed: Duration,
    /// Inputs that panicked.
    pub crashes: u64,
    /// Distinct panic locations among them.
    pub distinct_crashes: usize,
    /// Corpus size at the end.
    pub corpus: usize,
    /// The slowest input's run time and length (a hint of super-linear
    /// decoding even below the hang limit).
    pub slowest: (Duration, usize),
}

/// Most corpus entries kept per target.
const MAX_CORPUS: usize = 4096;

/// FNV-1a: a stable 64-bit hash for crash file names and behaviour classes.
pub fn fnv(bytes: &[u8]) -> u64 {
    let mut h = 0xcbf2_9ce4_8422_2325u64;
    for &b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// A behaviour class from a message: its text up to the first quote or
/// bracket (where echoed input usually starts), at most 64 bytes, digits
/// left out, so error messages that quote the input or its sizes do not
/// make every input "new".
pub fn class(tag: &str, message: &str) -> u64 {
    let cut = message
        .find(['"', '\'', '`', '{', '['])
        .unwrap_or(message.len())
        .min(64);
    let text: Vec<u8> = message.as_bytes()[..cut]
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_digit())
        .collect();
    fnv(tag.as_bytes()) ^ fnv(&text).rotate_left(1)
}

/// Shows an input as an escaped byte string (printable ASCII as is), at most
/// `limit` bytes of it.
pub fn escape(input: &[u8], limit: usize) -> String {
    let mut s = String::with_capacity(input.len().min(limit) + 16);
    for &b in input.iter().take(limit) {
        match b {
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            b'\\' => s.push_str("\\\\"),
            b'"' => s.push_str("\\\""),
            0x20..=0x7e => s.push(b as char),
            _ => s.push_str(&format!("\\x{b:02x}")),
        }
    }
    if input.len() > limit {
        s.push_str(&format!("... ({} more bytes)", input.len() - limit));
    }
    s
}

/// Saves an input as `<dir>/<target>-<kind><hash>`; returns the path.
fn save(dir: &Path, target: &str, kind: &str, input: &[u8]) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(format!("{target}-{kind}{:016x}", fnv(input)));
    std::fs::write(&path, input)?;
    Ok(path)
}

thread_local! {
    /// Panic reports (message and location) of the input running on this
    /// thread; `None` when no input runs here (then panics print as usual).
    static PANICS: RefCell<Option<Vec<String>>> = const { RefCell::new(None) };
}

/// Installs the panic hook that records panics of fuzzed inputs instead of
/// printing each one (a million panics would drown the report).
pub fn install_panic_hook() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let msg = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "(non-string panic payload)".into());
        let at = info
            .location()
            .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()))
            .unwrap_or_else(|| "unknown location".into());
        let recorded = PANICS.with(|p| match p.borrow_mut().as_mut() {
            Some(list) => {
                list.push(format!("{msg} (at {at})"));
                true
            }
            None => false,
        });
        if !recorded {
            default(info);
        }
    }));
}

/// Runs one input; `Err` holds the panic reports (first one first).
fn run_one(target: &Target, input: &[u8]) -> Result<u64, Vec<String>> {
    PANICS.with(|p| *p.borrow_mut() = Some(Vec::new()));
    let result = catch_unwind(AssertUnwindSafe(|| (target.run)(input)));
    let panics = PANICS.with(|p| p.borrow_mut().take()).unwrap_or_default();
    match result {
        Ok(class) => Ok(class),
        Err(_) if panics.is_empty() => Err(vec!["panic (no report)".into()]),
        Err(_) => Err(panics),
    }
}

/// The input being run and since when, for the watchdog.
struct Slot {
    target: &'static str,
    input: Vec<u8>,
    started: Option<Instant>,
}

/// A watcher thread: an input running longer than the hang limit is a hang;
/// it is printed and saved and the process exits with status 3 (a hung
/// input cannot be interrupted).
pub struct Watchdog {
    slot: Arc<Mutex<Slot>>,
}

impl Watchdog {
    /// Starts the watcher thread.
    pub fn start(limit: Duration, crash_dir: PathBuf) -> Watchdog {
        let slot = Arc::new(Mutex::new(Slot {
            target: "",
            input: Vec::new(),
            started: None,
        }));
        let watched = Arc::clone(&slot);
        std::thread::Builder::new()
            .name("fuzz-watchdog".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(Duration::from_millis(100));
                    let s = watched.lock().unwrap_or_else(|e| e.into_inner());
                    let Some(started) = s.started else { continue };
                    let took = started.elapsed();
                    if took < limit {
                        continue;
                    }
                    let saved = save(&crash_dir, s.target, "hang-", &s.input)
                        .map(|p| p.display().to_string())
                        .unwrap_or_else(|e| format!("(not saved: {e})"));
                    let mut err = std::io::stderr().lock();
                    let _ = writeln!(
                        err,
                        "\nHANG in target {}: one input ran {:.1} s (limit {:.1} s)\n  input ({} bytes): \"{}\"\n  saved to {saved}\n  replay: cargo run --release -p ruststack-fuzz -- --target {} --replay {saved}",
                        s.target,
                        took.as_secs_f64(),
                        limit.as_secs_f64(),
                        s.input.len(),
                        escape(&s.input, 4096),
                        s.target,
                    );
                    let _ = err.flush();
                    std::process::exit(3);
                }
            })
            .expect("spawn the watchdog thread");
        Watchdog { slot }
    }

    fn begin(&self, target: &'static str, input: &[u8]) {
        let mut s = self.slot.lock().unwrap_or_else(|e| e.into_inner());
        s.target = target;
        s.input.clear();
        s.input.extend_from_slice(input);
        s.started = Some(Instant::now());
    }

    fn end(&self) {
        self.slot.lock().unwrap_or_else(|e| e.into_inner()).started = None;
    }
}

/// Runs one input under the watchdog, reporting a panic; returns the
/// behaviour class, or `None` after a panic.
fn guarded(
    target: &Target,
    input: &[u8],
    watchdog: &Watchdog,
    crash_dir: &Path,
    seen: &mut HashSet<String>,
) -> Option<u64> {
    watchdog.begin(target.name, input);
    let r = run_one(target, input);
    watchdog.end();
    match r {
        Ok(c) => Some(c),
        Err(panics) => {
            // One report per panic location: the same bug found again is
            // counted, not printed again.
            let key = panics[0]
                .rsplit_once(" (at ")
                .map_or(panics[0].clone(), |(_, at)| at.to_string());
            if seen.insert(key) {
                let saved = save(crash_dir, target.name, "", input)
                    .map(|p| p.display().to_string())
                    .unwrap_or_else(|e| format!("(not saved: {e})"));
                eprintln!(
                    "\nCRASH in target {}: {}\n  input ({} bytes): \"{}\"\n  saved to {saved}",
                    target.name,
                    panics.join("\n  then: "),
                    input.len(),
                    escape(input, 4096),
                );
            }
            None
        }
    }
}

/// Replays one saved input: prints its behaviour class or its panic.
/// Returns whether it ran without a panic.
pub fn replay(target: &Target, input: &[u8], watchdog: &Watchdog, crash_dir: &Path) -> bool {
    if let Some(setup) = target.setup {
        setup();
    }
    let mut seen = HashSet::new();
    match guarded(target, input, watchdog, crash_dir, &mut seen) {
        Some(c) => {
            println!("{}: no panic (behaviour class {c:016x})", target.name);
            true
        }
        None => false,
    }
}

/// Fuzzes one target within `limits`.
pub fn fuzz(target: &Target, limits: &Limits, watchdog: &Watchdog) -> Stats {
    let start = Instant::now();
    let mut rng = fastrand::Rng::with_seed(limits.seed ^ fnv(target.name.as_bytes()));
    let mut corpus = (target.seeds)();
    assert!(!corpus.is_empty(), "target {} has no seeds", target.name);
    let mut classes = HashSet::new();
    let mut seen = HashSet::new();
    let (mut inputs, mut crashes) = (0u64, 0u64);
    let cap = limits.max_inputs.unwrap_or(u64::MAX);
    let mut since_setup = 0u64;
    let mut slowest = (Duration::ZERO, 0usize);
    if let Some(setup) = target.setup {
        setup();
    }
    let mut run = |input: &[u8], inputs: &mut u64, crashes: &mut u64| -> Option<u64> {
        if let Some(setup) = target.setup
            && target.reset_every > 0
        {
            since_setup += 1;
            if since_setup >= target.reset_every {
                since_setup = 0;
                setup();
            }
        }
        *inputs += 1;
        let started = Instant::now();
        let r = guarded(target, input, watchdog, &limits.crash_dir, &mut seen);
        let took = started.elapsed();
        if took > slowest.0 {
            slowest = (took, input.len());
        }
        if r.is_none() {
            *crashes += 1;
        }
        r
    };
    for seed in corpus.clone() {
        if inputs >= cap {
            break;
        }
        if let Some(c) = run(&seed, &mut inputs, &mut crashes) {
            classes.insert(c);
        }
    }
    let mut mutator = Mutator {
        dict: target.dict,
        max_len: target.max_len,
        layout: target.layout,
    };
    let mut buf = Vec::new();
    while inputs < cap && start.elapsed() < limits.duration {
        // Check the clock once per batch: it is cheap, but not free.
        for _ in 0..64 {
            if inputs >= cap {
                break;
            }
            buf.clear();
            buf.extend_from_slice(&corpus[rng.usize(..corpus.len())]);
            mutator.mutate(&mut rng, &mut buf, &corpus);
            if let Some(c) = run(&buf, &mut inputs, &mut crashes)
                && classes.insert(c)
            {
                if corpus.len() < MAX_CORPUS {
                    corpus.push(buf.clone());
                } else {
                    let i = rng.usize(..corpus.len());
                    corpus[i] = buf.clone();
                }
            }
        }
    }
    Stats {
        inputs,
        elapsed: start.elapsed(),
        crashes,
        distinct_crashes: seen.len(),
        corpus: corpus.len(),
        slowest,
    }
}

/// Tokens that break parsers, inserted into every target's inputs.
const TOKENS: &[&[u8]] = &[
    b"\"",
    b"'",
    b"\\",
    b"\\u",
    b"\\ud800",
    b"\\uDFFF\\u0000",
    b"{",
    b"}",
    b"[",
    b"]",
    b"(",
    b")",
    b"<",
    b">",
    b"/>",
    b"</",
    b"&#",
    b"&#x",
    b"&#0;",
    b"&#xD800;",
    b"&#1114112;",
    b"&#x110000;",
    b"&amp;",
    b"&lt",
    b"&foo;",
    b"<![CDATA[",
    b"]]>",
    b"<!--",
    b"-->",
    b"<?xml version=\"1.0\"?>",
    b"<!DOCTYPE a [<!ENTITY e \"x\">]>",
    b"xmlns:a=\"\"",
    b"%",
    b"%f",
    b"%ff",
    b"%FF%FE",
    b"%00",
    b"%c0%80",
    b"%zz",
    b"%25",
    b"+",
    b"=",
    b"&",
    b"&&",
    b"==",
    b";",
    b":",
    b",",
    b".",
    b"..",
    b"/",
    b"//",
    b"*",
    b"?",
    b"#",
    b"$",
    b"@",
    b" ",
    b"\t",
    b"\r\n",
    b"\n",
    b"\0",
    b"\x1f",
    b"\x1e",
    b"\xff",
    b"\xfe\xff",
    b"\xc0\x80",
    b"\xed\xa0\x80",
    b"\xe2\x82",
    b"\xf4\x90\x80\x80",
    b"\xef\xbb\xbf",
    b"0",
    b"-0",
    b"-1",
    b"1.",
    b".5",
    b"1e400",
    b"1E-400",
    b"-1e308",
    b"NaN",
    b"Infinity",
    b"0x",
    b"127",
    b"128",
    b"255",
    b"256",
    b"32767",
    b"65535",
    b"65536",
    b"2147483647",
    b"2147483648",
    b"-2147483649",
    b"4294967295",
    b"4294967296",
    b"9223372036854775807",
    b"9223372036854775808",
    b"-9223372036854775809",
    b"18446744073709551615",
    b"18446744073709551616",
    b"ffffffffffffffee",
    b"fffffffffffffffff",
    b"7fffffffffffffff",
    b"99999999999999999999999999999999999999999",
    b"0.000000000000000000000000000000000000001",
    b"null",
    b"true",
    b"false",
    b"[]",
    b"{}",
    b"\"\"",
    b"1970-01-01T00:00:00Z",
    b"9999-12-31T23:59:59.999999999Z",
    b"Thu, 01 Jan 1970 00:00:00 GMT",
    b"-62135596800",
    b"1e20",
];

/// Nesting openers the depth mutation repeats (deep-nesting bombs).
const NESTERS: &[&[u8]] = &[
    b"[",
    b"{\"a\":",
    b"{\"M\":{\"a\":",
    b"{\"L\":[",
    b"<a>",
    b"<a:b xmlns:a=\"u\">",
    b"(",
    b"NOT ",
    b"a.",
    b"[0]",
    b"a.b.",
    b"size(",
    b"Attribute.1.",
    b"entry.1.",
    b"member.1.",
    b"{\"$or\":[",
    b"<<",
    b"0",
    b"9",
    b"a",
    b"%",
];

/// Interesting single bytes.
const BYTES: &[u8] = &[
    0, 0x7f, 0x80, 0xff, b'"', b'\\', b'<', b'>', b'&', b'{', b'}', b'[', b']', b'(', b')', b'%',
    b'.', b',', b':', b';', b'=', b'#', b'?', b'/', b' ', b'\n', b'\r', b'0', b'9', b'-', b'+',
    b'e', b'\'', b'*', 0x1f, 0x1e,
];

/// Interesting numbers written over a run of digits.
const NUMBERS: &[&str] = &[
    "0",
    "1",
    "-1",
    "00",
    "01",
    "-0",
    "0.0",
    "1e400",
    "1e-400",
    "2147483647",
    "2147483648",
    "4294967296",
    "9223372036854775807",
    "9223372036854775808",
    "18446744073709551616",
    "340282366920938463463374607431768211456",
    "99999999999999999999999999999999999999999999",
    "1000000",
    "65536",
    "10000000000",
    "255",
    "256",
];

/// Byte-level mutations: bit and byte flips, range deletes, inserts and
/// duplicates, splices of two corpus entries, token inserts (global and
/// per target), number rewrites, deep nesting, invalid UTF-8, truncation.
pub struct Mutator {
    /// The target's tokens.
    pub dict: &'static [&'static str],
    /// Longest input built.
    pub max_len: usize,
    /// How inputs are laid out.
    pub layout: Layout,
}

/// The `k`-th string or number leaf of a JSON value (depth first), counting
/// down `k`; object keys count too, as strings.
fn leaf<'a>(v: &'a mut serde_json::Value, k: &mut usize) -> Option<&'a mut serde_json::Value> {
    use serde_json::Value;
    match v {
        Value::String(_) | Value::Number(_) => {
            if *k == 0 {
                return Some(v);
            }
            *k -= 1;
            None
        }
        Value::Array(a) => a.iter_mut().find_map(|x| leaf(x, k)),
        Value::Object(o) => o.values_mut().find_map(|x| leaf(x, k)),
        _ => None,
    }
}

fn leaves(v: &serde_json::Value) -> usize {
    use serde_json::Value;
    match v {
        Value::String(_) | Value::Number(_) => 1,
        Value::Array(a) => a.iter().map(leaves).sum(),
        Value::Object(o) => o.values().map(leaves).sum(),
        _ => 0,
    }
}

impl Mutator {
    /// Applies one to a few mutations (sometimes many: "havoc") to `buf`.
    pub fn mutate(&mut self, rng: &mut fastrand::Rng, buf: &mut Vec<u8>, corpus: &[Vec<u8>]) {
        if self.layout != Layout::Bytes && rng.u8(..3) == 0 && self.json_leaf(rng, buf, corpus) {
            return;
        }
        let n = match rng.u8(..16) {
            0 => rng.usize(4..=24),
            1..=5 => 2,
            6..=8 => 3,
            _ => 1,
        };
        for _ in 0..n {
            self.one(rng, buf, corpus);
        }
        if buf.len() > self.max_len {
            buf.truncate(self.max_len);
        }
    }

    /// Mutates one string or number inside the JSON (body) of `buf`, keeping
    /// the document valid; false when there is no JSON to mutate.
    fn json_leaf(&self, rng: &mut fastrand::Rng, buf: &mut Vec<u8>, corpus: &[Vec<u8>]) -> bool {
        let at = match self.layout {
            Layout::Json => 0,
            _ => match buf.windows(2).position(|w| w == b"\n\n") {
                Some(i) => i + 2,
                None => return false,
            },
        };
        let Ok(mut doc) = serde_json::from_slice::<serde_json::Value>(&buf[at..]) else {
            return false;
        };
        let n = leaves(&doc);
        if n == 0 {
            return false;
        }
        let mut k = rng.usize(..n);
        let Some(v) = leaf(&mut doc, &mut k) else {
            return false;
        };
        match rng.u8(..8) {
            // A number written as another number, or as text.
            0 => {
                let t = NUMBERS[rng.usize(..NUMBERS.len())];
                *v = serde_json::from_str(t).unwrap_or_else(|_| serde_json::Value::from(t));
            }
            // A target token as the whole value.
            1 if !self.dict.is_empty() => {
                *v = serde_json::Value::from(self.dict[rng.usize(..self.dict.len())]);
            }
            // Byte mutations of the text.
            _ => {
                let mut text = match &*v {
                    serde_json::Value::String(s) => s.clone().into_bytes(),
                    other => other.to_string().into_bytes(),
                };
                for _ in 0..rng.usize(1..=3) {
                    self.one(rng, &mut text, corpus);
                }
                *v = serde_json::Value::from(String::from_utf8_lossy(&text).into_owned());
            }
        }
        let Ok(body) = serde_json::to_vec(&doc) else {
            return false;
        };
        buf.truncate(at);
        buf.extend_from_slice(&body);
        buf.truncate(self.max_len);
        true
    }

    fn insert(&self, buf: &mut Vec<u8>, at: usize, bytes: &[u8]) {
        if buf.len() + bytes.len() <= self.max_len {
            buf.splice(at..at, bytes.iter().copied());
        }
    }

    fn one(&self, rng: &mut fastrand::Rng, buf: &mut Vec<u8>, corpus: &[Vec<u8>]) {
        let len = buf.len();
        let at = rng.usize(..=len);
        match rng.u8(..20) {
            // Flip one bit.
            0 if len > 0 => {
                let i = rng.usize(..len);
                buf[i] ^= 1 << rng.u8(..8);
            }
            // Random byte.
            1 if len > 0 => {
                let i = rng.usize(..len);
                buf[i] = rng.u8(..);
            }
            // Interesting byte, replaced or inserted.
            2 => {
                let b = BYTES[rng.usize(..BYTES.len())];
                if len > 0 && rng.bool() {
                    let i = rng.usize(..len);
                    buf[i] = b;
                } else {
                    self.insert(buf, at, &[b]);
                }
            }
            // Delete a range.
            3 if len > 0 => {
                let most = if rng.bool() { 4 } else { 64 };
                let n = rng.usize(1..=len.min(most));
                let s = rng.usize(..=len - n);
                buf.drain(s..s + n);
            }
            // Insert random bytes.
            4 => {
                let n = rng.usize(1..=8);
                let bytes: Vec<u8> = (0..n).map(|_| rng.u8(..)).collect();
                self.insert(buf, at, &bytes);
            }
            // Duplicate a range (once or many times) somewhere.
            5 if len > 0 => {
                let n = rng.usize(1..=len.min(64));
                let s = rng.usize(..=len - n);
                let chunk = buf[s..s + n].to_vec();
                let times = if rng.u8(..8) == 0 {
                    rng.usize(2..=256)
                } else {
                    1
                };
                let bytes = chunk.repeat(times);
                self.insert(buf, at, &bytes);
            }
            // Global token.
            6 | 7 => {
                let t = TOKENS[rng.usize(..TOKENS.len())];
                self.insert(buf, at, t);
            }
            // Target token, inserted or replacing a word.
            8..=10 if !self.dict.is_empty() => {
                let t = self.dict[rng.usize(..self.dict.len())].as_bytes();
                if rng.bool() {
                    self.insert(buf, at, t);
                } else if let Some((s, e)) = word_at(buf, rng.usize(..=len)) {
                    buf.splice(s..e, t.iter().copied());
                } else {
                    self.insert(buf, at, t);
                }
            }
            // Splice: this input's head with another entry's tail, or a
            // chunk of another entry inserted here.
            11 | 12 => {
                let other = &corpus[rng.usize(..corpus.len())];
                if other.is_empty() {
                    return;
                }
                if rng.bool() {
                    let from = rng.usize(..=other.len());
                    buf.truncate(at);
                    buf.extend_from_slice(&other[from..]);
                } else {
                    let s = rng.usize(..other.len());
                    let n = rng.usize(1..=(other.len() - s).min(128));
                    self.insert(buf, at, &other[s..s + n]);
                }
            }
            // Rewrite a number.
            13 => {
                let num = NUMBERS[rng.usize(..NUMBERS.len())].as_bytes();
                match digits_at(buf, rng.usize(..=len)) {
                    Some((s, e)) => {
                        buf.splice(s..e, num.iter().copied());
                    }
                    None => self.insert(buf, at, num),
                }
            }
            // Deep nesting or a very long run (sometimes up to the length cap).
            14 => {
                let t = NESTERS[rng.usize(..NESTERS.len())];
                let times = match rng.u8(..16) {
                    0 => rng.usize(5000..=self.max_len.max(5001)),
                    1..=4 => rng.usize(100..=5000),
                    _ => rng.usize(8..=200),
                };
                let room = self.max_len.saturating_sub(len) / t.len().max(1);
                let bytes = t.repeat(times.min(room));
                self.insert(buf, at, &bytes);
            }
            // Swap two ranges' bytes (adjacent halves).
            15 if len > 2 => {
                let s = rng.usize(..len - 1);
                let e = rng.usize(s + 1..=len);
                let m = rng.usize(s..e);
                buf[s..e].rotate_left(m - s);
            }
            // Truncate.
            16 if len > 0 => buf.truncate(rng.usize(..len)),
            // Flip ASCII case of a run.
            17 if len > 0 => {
                let s = rng.usize(..len);
                let e = (s + rng.usize(1..=16)).min(len);
                for b in &mut buf[s..e] {
                    if b.is_ascii_alphabetic() {
                        *b ^= 0x20;
                    }
                }
            }
            // Remove a whole line (a header, a query parameter, a part).
            18 if len > 0 => {
                let s = rng.usize(..len);
                let start = buf[..s]
                    .iter()
                    .rposition(|&b| b == b'\n' || b == b'&')
                    .map_or(0, |i| i + 1);
                let end = buf[s..]
                    .iter()
                    .position(|&b| b == b'\n' || b == b'&')
                    .map_or(len, |i| s + i + 1);
                buf.drain(start..end);
            }
            // Duplicate a line (repeated header, query parameter, element).
            19 if len > 0 => {
                let s = rng.usize(..len);
                let start = buf[..s]
                    .iter()
                    .rposition(|&b| b == b'\n' || b == b'&' || b == b'>')
                    .map_or(0, |i| i + 1);
                let end = buf[s..]
                    .iter()
                    .position(|&b| b == b'\n' || b == b'&' || b == b'>')
                    .map_or(len, |i| s + i + 1);
                let line = buf[start..end].to_vec();
                let times = if rng.u8(..4) == 0 {
                    rng.usize(2..=64)
                } else {
                    1
                };
                self.insert(buf, end, &line.repeat(times));
            }
            _ => {
                let t = TOKENS[rng.usize(..TOKENS.len())];
                self.insert(buf, at, t);
            }
        }
    }
}

/// The alphanumeric run around `i`, if any.
fn word_at(buf: &[u8], i: usize) -> Option<(usize, usize)> {
    let w = |b: &u8| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-';
    let i = i.min(buf.len());
    let s = buf[..i].iter().rposition(|b| !w(b)).map_or(0, |p| p + 1);
    let e = buf[i..]
        .iter()
        .position(|b| !w(b))
        .map_or(buf.len(), |p| i + p);
    (s < e).then_some((s, e))
}

/// The run of digits at or after `i`, if any.
fn digits_at(buf: &[u8], i: usize) -> Option<(usize, usize)> {
    let s = i + buf.get(i..)?.iter().position(u8::is_ascii_digit)?;
    let e = buf[s..]
        .iter()
        .position(|b| !b.is_ascii_digit())
        .map_or(buf.len(), |p| s + p);
    Some((s, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dummy(_: &[u8]) -> u64 {
        0
    }

    #[test]
    fn mutations_respect_the_length_cap() {
        let mut m = Mutator {
            dict: &["AND", "OR"],
            max_len: 64,
            layout: Layout::Json,
        };
        let mut rng = fastrand::Rng::with_seed(7);
        let corpus = vec![b"a = :v AND b < :w".to_vec(), b"<a><b>1</b></a>".to_vec()];
        for _ in 0..10_000 {
            let mut buf = corpus[rng.usize(..2)].clone();
            m.mutate(&mut rng, &mut buf, &corpus);
            assert!(buf.len() <= 64);
        }
        let _ = dummy(b"");
    }

    #[test]
    fn classes_ignore_echoed_input() {
        assert_eq!(
            class("e", "Invalid syntax: token \"a\""),
            class("e", "Invalid syntax: token \"b\"")
        );
        assert_ne!(class("e", "one"), class("e", "two"));
        assert_eq!(escape(b"a\"\n\xff", 10), "a\\\"\\n\\xff");
    }

    #[test]
    fn panics_are_caught_and_reported() {
        install_panic_hook();
        fn boom(i: &[u8]) -> u64 {
            if i == b"x" {
                panic!("boom");
            }
            1
        }
        let t = Target {
            name: "unit",
            about: "",
            seeds: || vec![b"a".to_vec()],
            dict: &[],
            max_len: 8,
            layout: Layout::Bytes,
            setup: None,
            reset_every: 0,
            run: boom,
        };
        assert_eq!(run_one(&t, b"a"), Ok(1));
        let e = run_one(&t, b"x").unwrap_err();
        assert!(e[0].starts_with("boom (at "), "{e:?}");
    }
}
