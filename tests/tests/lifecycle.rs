//! The server's life: durability across SIGKILL, hot reload, graceful
//! shutdown, health endpoints, the compile cache and the CLI's other commands.

use std::process::Command;
use std::time::{Duration, Instant};

use ruststack_tests::{
    Server, binary, client, counters, example_plugins, persistent_server, plugin_dir, tempdir,
};

#[test]
fn sigkill_then_restart_keeps_every_acknowledged_write() {
    let (mut s, _data, _plugins) = persistent_server(&["counters"]);
    for i in 0..50 {
        let (st, _) = counters(
            &s.url,
            "CreateCounter",
            &format!(r#"{{"Name":"c{i:02}","InitialValue":{i}}}"#),
        );
        assert_eq!(st, 200);
    }
    for _ in 0..7 {
        assert_eq!(
            counters(&s.url, "IncrementCounter", r#"{"Name":"c00"}"#).0,
            200
        );
    }
    let file = vec![7u8; 3 << 20];
    let url = format!("{}/_counters/files/f", s.url);
    assert_eq!(
        client()
            .put(&url)
            .body(file.clone())
            .send()
            .unwrap()
            .status(),
        200
    );

    // Small bodies share pack files; each must come back whole.
    let small = |i: usize| vec![(i % 251) as u8; 1 + i * 997 % 60_000];
    for i in 0..20 {
        let url = format!("{}/_counters/files/small-{i}", s.url);
        let st = client().put(&url).body(small(i)).send().unwrap().status();
        assert_eq!(st, 200);
    }

    s.kill_hard();
    s.restart();

    for i in 0..20 {
        let url = format!("{}/_counters/files/small-{i}", s.url);
        let got = client().get(&url).send().unwrap().bytes().unwrap();
        assert!(got[..] == small(i)[..], "small-{i} did not survive");
    }
    for i in 1..50 {
        let (st, out) = counters(&s.url, "GetCounter", &format!(r#"{{"Name":"c{i:02}"}}"#));
        assert_eq!(st, 200, "c{i:02} lost: {out}");
        assert_eq!(out["Counter"]["Value"], i);
    }
    assert_eq!(
        counters(&s.url, "GetCounter", r#"{"Name":"c00"}"#).1["Counter"]["Value"],
        7
    );
    let url = format!("{}/_counters/files/f", s.url);
    let got = client().get(&url).send().unwrap().bytes().unwrap();
    assert!(got[..] == file[..], "the blob did not survive");
}

/// Files in the store's blob folder.
fn blob_files(data: &std::path::Path) -> usize {
    let shards = std::fs::read_dir(data.join("blobs")).unwrap().flatten();
    shards
        .filter(|d| d.path().is_dir())
        .map(|d| std::fs::read_dir(d.path()).unwrap().count())
        .sum()
}

#[test]
fn deleted_bodies_free_their_files() {
    let (mut s, data, _plugins) = persistent_server(&["counters"]);
    let files = |s: &Server| format!("{}/_counters/files", s.url);
    // Small bodies (packed together) and big ones (a file each).
    let sizes = [10usize, 1000, 64 * 1024, 64 * 1024 + 1, 300_000, 5, 2 << 20];
    for (i, n) in sizes.iter().enumerate() {
        let body = vec![i as u8 + 1; *n];
        let st = client()
            .put(format!("{}/f{i}", files(&s)))
            .body(body)
            .send()
            .unwrap()
            .status();
        assert_eq!(st, 200);
    }
    assert!(blob_files(data.path()) >= 4, "expected packs and files");
    for (i, n) in sizes.iter().enumerate() {
        let got = client()
            .get(format!("{}/f{i}", files(&s)))
            .send()
            .unwrap()
            .bytes()
            .unwrap();
        assert!(
            got.len() == *n && got.iter().all(|b| *b == i as u8 + 1),
            "f{i}"
        );
        let st = client()
            .delete(format!("{}/f{i}", files(&s)))
            .send()
            .unwrap()
            .status();
        assert!(st.is_success(), "DELETE f{i}: {st}");
    }
    // Only the pack still being appended to may stay while the server runs.
    assert!(blob_files(data.path()) <= 1, "{}", blob_files(data.path()));
    s.restart();
    assert_eq!(blob_files(data.path()), 0);
}

#[test]
fn hot_reload_swaps_the_plugin_and_keeps_its_data() {
    let plugins = plugin_dir(&["counters"]);
    let s = Server::start(&[
        "--ephemeral",
        "--watch",
        "--plugins",
        plugins.path().to_str().unwrap(),
    ]);
    let (_, out) = counters(&s.url, "IncrementCounter", r#"{"Name":"kept","By":41}"#);
    assert_eq!(out["ServedBy"], "counters 1.0.0");

    // Replace the file the way a build does: write beside it, then rename.
    let v2 = example_plugins().join("counters-v2.wasm.alt");
    let tmp = plugins.path().join("counters.wasm.tmp");
    std::fs::copy(&v2, &tmp).unwrap();
    std::fs::rename(&tmp, plugins.path().join("counters.wasm")).unwrap();

    let start = Instant::now();
    let out = loop {
        let (st, out) = counters(&s.url, "IncrementCounter", r#"{"Name":"kept"}"#);
        assert_eq!(st, 200, "a request failed during reload: {out}");
        if out["ServedBy"] == "counters 2.0.0" {
            break out;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "the new version never came"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    // 41, plus one per request served by either version.
    assert!(out["Counter"]["Value"].as_i64().unwrap() >= 42, "{out}");
    let health: serde_json::Value = client()
        .get(format!("{}/_ruststack/health", s.url))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(health["services"]["counters"]["version"], "2.0.0");
}

#[test]
fn sigterm_finishes_in_flight_requests_and_exits_cleanly() {
    let (mut s, _data, _plugins) = persistent_server(&["counters"]);
    assert_eq!(
        counters(&s.url, "IncrementCounter", r#"{"Name":"x"}"#).0,
        200
    );
    let url = s.url.clone();
    let poll = std::thread::spawn(move || {
        counters(
            &url,
            "WaitForCounter",
            r#"{"Name":"x","AtLeast":5,"WaitTimeSeconds":20}"#,
        )
    });
    std::thread::sleep(Duration::from_millis(300));
    s.signal(libc::SIGTERM);
    let (st, out) = poll.join().unwrap();
    assert_eq!(st, 200, "{out}");
    assert_eq!(out["TimedOut"], true, "{out}");
    assert_eq!(s.wait_exit(Duration::from_secs(20)), Some(0));
}

#[test]
fn health_answers_in_both_shapes() {
    let plugins = plugin_dir(&["counters", "misbehave"]);
    let s = Server::start(&["--ephemeral", "--plugins", plugins.path().to_str().unwrap()]);
    let ls: serde_json::Value = client()
        .get(format!("{}/_localstack/health", s.url))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(ls["services"]["counters"], "running");
    assert_eq!(ls["services"]["misbehave"], "running");
    let own: serde_json::Value = client()
        .get(format!("{}/_ruststack/health", s.url))
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(own["services"]["counters"]["state"], "running");
    assert_eq!(
        own["services"]["counters"]["sha256"]
            .as_str()
            .unwrap()
            .len(),
        64
    );
}

#[test]
fn compiled_plugins_are_cached_and_listed() {
    let plugins = plugin_dir(&["counters"]);
    let cache = tempdir();
    let text = ruststack_tests::ruststack_ok(&[
        "plugins".as_ref(),
        "--plugins".as_ref(),
        plugins.path().as_os_str(),
        "--cache-dir".as_ref(),
        cache.path().as_os_str(),
    ]);
    let line = text
        .lines()
        .find(|l| l.starts_with("counters"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(line.contains("1.0.0") && line.contains(" json "), "{line}");
    // Each plugin's settings are listed under it.
    assert!(
        text.lines().any(|l| l
            .trim_start()
            .starts_with("--set dynamodb.ttl-sweep-seconds=")
            && l.contains("default 5")),
        "{text}"
    );
    // One compiled artefact per listed plugin (built-ins included).
    let listed = text
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty() && !l.starts_with(' '))
        .count();
    let cached: Vec<_> = std::fs::read_dir(cache.path()).unwrap().flatten().collect();
    assert_eq!(cached.len(), listed, "{text}");
    assert!(
        cached
            .iter()
            .all(|f| f.file_name().to_string_lossy().ends_with(".cwasm"))
    );
}

/// `--plugins` takes a single `.wasm` file too; of two plugins with one
/// name the later is served, and the listing says so. The server lists
/// each plugin's operations and claims at `/_ruststack/plugins`.
#[test]
fn plugins_lists_operations_claims_and_which_of_two_is_served() {
    let plugins = plugin_dir(&["counters"]);
    let file = plugins.path().join("counters.wasm");
    let text = ruststack_tests::ruststack_ok(&[
        "plugins".as_ref(),
        "--operations".as_ref(),
        "--plugins".as_ref(),
        plugins.path().as_os_str(),
        "--plugins".as_ref(),
        file.as_os_str(),
    ]);
    let counters: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("counters "))
        .collect();
    assert_eq!(counters.len(), 2, "{text}");
    assert!(
        counters[0].ends_with(&format!("(not served: replaced by {})", file.display())),
        "{text}"
    );
    assert!(!counters[1].contains("not served"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.trim() == "claims X-Amz-Target Counters_20261128.*"),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.trim_start().starts_with("operations ")
                && l.contains("CreateCounter")
                && l.contains("WaitForCounter")),
        "{text}"
    );
    // A built-in's operations come from its service model.
    assert!(
        text.lines()
            .any(|l| l.trim_start().starts_with("operations ") && l.contains("ReceiveMessage")),
        "{text}"
    );

    let s = Server::start(&["--ephemeral", "--plugins", file.to_str().unwrap()]);
    let listed = ruststack_tests::get_json(&s.url, "/_ruststack/plugins");
    let all = listed["plugins"].as_array().unwrap();
    let counters = all.iter().find(|p| p["name"] == "counters").unwrap();
    assert_eq!(counters["source"], file.to_str().unwrap());
    assert_eq!(counters["state"], "running");
    assert!(
        counters["operations"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("IncrementCounter"))
    );
    assert!(
        counters["claims"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("path /_counters/files/*"))
    );
    let s3 = all.iter().find(|p| p["name"] == "s3").unwrap();
    assert!(
        s3["claims"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!("any request no other plugin claims"))
    );
}

#[test]
fn new_scaffolds_a_plugin_crate() {
    let dir = tempdir();
    let out = Command::new(binary())
        .args(["new", "my-service", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lib = std::fs::read_to_string(dir.path().join("my-service/src/lib.rs")).unwrap();
    assert!(lib.contains("ruststack_sdk::plugin!"), "{lib}");
    let toml = std::fs::read_to_string(dir.path().join("my-service/Cargo.toml")).unwrap();
    assert!(toml.contains("name = \"my-service\""), "{toml}");
    let again = Command::new(binary())
        .args(["new", "my-service", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!again.status.success());
    let bad = Command::new(binary())
        .args(["new", "Bad_Name", "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(!bad.status.success());
}

#[test]
fn a_setting_no_plugin_declares_stops_the_server_at_start() {
    for (set, expected) in [
        (
            "dynamodb.ttl-sweep-secs=1",
            "plugin dynamodb has no setting \"ttl-sweep-secs\" (it has ttl-sweep-seconds)",
        ),
        (
            "dynamo.ttl-sweep-seconds=1",
            "a setting names plugin \"dynamo\", which is not loaded",
        ),
        (
            "ttl-sweep-seconds=1",
            "setting \"ttl-sweep-seconds=1\" is not <plugin>.<name>=<value>",
        ),
    ] {
        let out = Command::new(binary())
            .args(["serve", "--ephemeral", "--port", "0", "--set", set])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{set}: started anyway\n{stderr}");
        assert!(stderr.contains(expected), "{set}: {stderr}");
        assert!(
            !String::from_utf8_lossy(&out.stdout).contains("listening"),
            "{set}"
        );
    }
}

/// `cargo install --path host` (what `just install` runs after building the
/// built-ins) gives a `ruststack` with exactly the four built-in services.
#[test]
fn cargo_install_gives_a_binary_with_the_four_built_in_services() {
    let root = tempdir();
    let ws = ruststack_tests::workspace();
    let out = Command::new(env!("CARGO"))
        .current_dir(&ws)
        .args([
            "install",
            "--path",
            "host",
            "--locked",
            "--quiet",
            "--target-dir",
        ])
        .arg(ws.join("target"))
        .arg("--root")
        .arg(root.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let installed = root.path().join("bin/ruststack");
    let out = Command::new(&installed).arg("plugins").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let mut names: Vec<&str> = text
        .lines()
        .skip(1)
        .filter(|l| !l.starts_with(' '))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    names.sort();
    assert_eq!(names, ["dynamodb", "s3", "sns", "sqs"], "{text}");
    assert!(text.contains("builtin:s3.wasm"), "{text}");
}
