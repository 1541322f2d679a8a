//! Writing a plugin as its author does: `ruststack new` makes a crate of its
//! own, cargo builds it with the command `new` printed, the server loads the
//! one `.wasm` it made, and the calls `new` printed (curl, the AWS CLI) work
//! as printed.
//!
//! The crates build with `CARGO_TARGET_DIR=target/authoring` and the
//! workspace's Cargo.lock, so they share compiled dependencies with each
//! other and with earlier runs, at the versions the sdk is tested with.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Instant;

use ruststack_tests::{Server, binary, client, json_call, tempdir, workspace};
use serde_json::{Value, json};

/// A crate made by `ruststack new`, and what it printed.
struct Scaffold {
    _parent: tempfile::TempDir,
    /// The crate's folder, as `new` printed it.
    dir: PathBuf,
    /// Its standard output.
    printed: String,
}

impl Scaffold {
    /// Runs `ruststack new <name> --dir <a new folder> <args>`.
    fn new(name: &str, args: &[&str]) -> Scaffold {
        let parent = tempdir();
        let out = Command::new(binary())
            .args(["new", name, "--dir"])
            .arg(parent.path())
            .args(args)
            .output()
            .unwrap();
        let printed = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "{printed}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        eprintln!("ruststack new {name} {args:?} printed:\n{printed}");
        let dir = std::fs::canonicalize(parent.path().join(name)).unwrap();
        Scaffold {
            _parent: parent,
            dir,
            printed,
        }
    }

    /// The printed command starting with `start`.
    fn command(&self, start: &str) -> String {
        self.printed
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with(start))
            .unwrap_or_else(|| panic!("no command starting with {start:?} in\n{}", self.printed))
            .to_string()
    }

    /// Builds the crate with the printed build command (into the shared
    /// target folder) and returns a plugins folder holding only its `.wasm`.
    fn build(&self, name: &str) -> tempfile::TempDir {
        let dir = self.dir.display();
        let line = self.command("cd ");
        assert_eq!(
            line,
            format!("cd {dir} && cargo build --release --target wasm32-wasip2")
        );
        assert_eq!(
            self.command("ruststack serve"),
            format!("ruststack serve --plugins {dir}/target/wasm32-wasip2/release --watch")
        );
        std::fs::copy(workspace().join("Cargo.lock"), self.dir.join("Cargo.lock")).unwrap();
        let target = target_dir();
        let started = Instant::now();
        let out = sh(&line, &[("CARGO_TARGET_DIR", target.to_str().unwrap())]);
        assert!(out.status.success(), "{}", stderr(&out));
        eprintln!(
            "building {name}: {:.1} s ({})",
            started.elapsed().as_secs_f64(),
            stderr(&out).lines().last().unwrap_or_default().trim()
        );
        // The file is named after the crate, with '-' as '_'.
        let file = format!("{}.wasm", name.replace('-', "_"));
        let plugins = tempdir();
        std::fs::copy(
            target.join("wasm32-wasip2/release").join(&file),
            plugins.path().join(&file),
        )
        .unwrap();
        plugins
    }

    /// Builds the crate again (after an edit) and puts its `.wasm` into
    /// `plugins` under the same name, in one rename, as a reload sees it.
    fn rebuild_into(&self, name: &str, plugins: &Path) {
        let out = sh(
            &self.command("cd "),
            &[("CARGO_TARGET_DIR", target_dir().to_str().unwrap())],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        let file = format!("{}.wasm", name.replace('-', "_"));
        let staged = plugins.join(format!("{file}.new"));
        std::fs::copy(
            target_dir().join("wasm32-wasip2/release").join(&file),
            &staged,
        )
        .unwrap();
        std::fs::rename(&staged, plugins.join(&file)).unwrap();
    }

    /// Builds the crate with the printed build command, which must fail;
    /// what cargo printed.
    fn build_failure(&self) -> String {
        let out = sh(
            &self.command("cd "),
            &[("CARGO_TARGET_DIR", target_dir().to_str().unwrap())],
        );
        assert!(!out.status.success(), "the build succeeded");
        stderr(&out)
    }

    /// Replaces `from` with `to` in the crate's file `path`.
    fn edit(&self, path: &str, from: &str, to: &str) {
        let file = self.dir.join(path);
        let text = std::fs::read_to_string(&file).unwrap();
        assert!(text.contains(from), "{from:?} not in {path}");
        std::fs::write(&file, text.replacen(from, to, 1)).unwrap();
    }

    /// Runs the crate's own unit tests natively, as its author does.
    fn unit_tests(&self) {
        let started = Instant::now();
        let out = Command::new("cargo")
            .arg("test")
            .current_dir(&self.dir)
            .env("CARGO_TARGET_DIR", target_dir())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{stdout}{}", stderr(&out));
        let passed: Vec<&str> = stdout.lines().filter(|l| l.ends_with("... ok")).collect();
        assert!(passed.len() >= 3, "{stdout}");
        eprintln!(
            "cargo test in {}: {} tests passed in {:.1} s",
            self.dir.display(),
            passed.len(),
            started.elapsed().as_secs_f64()
        );
    }
}

/// The folder every generated crate builds into.
fn target_dir() -> PathBuf {
    workspace().join("target/authoring")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs a command line with `sh -c` (with no AWS profile or session token
/// of the caller's).
fn sh(line: &str, env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new("sh");
    cmd.arg("-c")
        .arg(line)
        .env_remove("AWS_PROFILE")
        .env_remove("AWS_SESSION_TOKEN");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// Runs a printed `curl -i` line against `s` instead of localhost:4566: the
/// status and the JSON body.
fn curl(s: &Server, line: &str) -> (u16, Value) {
    assert!(line.contains("http://localhost:4566/"), "{line}");
    let out = sh(&line.replace("http://localhost:4566", &s.url), &[]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{line}: {text}{}", stderr(&out));
    let (head, body) = text.split_once("\r\n\r\n").expect("headers, then a body");
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("a status line: {head}"));
    let body = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"));
    (status, body)
}

/// The plugin the server loaded under `name`: `GET /_ruststack/plugins`.
fn loaded(s: &Server, name: &str) -> Value {
    let all: Value = client()
        .get(format!("{}/_ruststack/plugins", s.url))
        .send()
        .and_then(|r| r.json())
        .unwrap();
    all["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("no plugin {name} in {all}"))
}

fn error_code(v: &Value) -> &str {
    let t = v["__type"].as_str().unwrap_or_default();
    t.rsplit('#').next().unwrap_or(t)
}

#[test]
fn a_json_service_from_ruststack_new_builds_serves_and_answers_curl_and_the_aws_cli() {
    let crate_ = Scaffold::new("widgets", &[]);
    let model: Value =
        serde_json::from_str(&std::fs::read_to_string(crate_.dir.join("model.json")).unwrap())
            .unwrap();
    let prefix = model["metadata"]["targetPrefix"].as_str().unwrap();
    let date = prefix.strip_prefix("Widgets_").unwrap();
    assert!(
        date.len() == 8 && date.bytes().all(|b| b.is_ascii_digit()),
        "{prefix}"
    );
    let plugins = crate_.build("widgets");
    crate_.unit_tests();
    let s = Server::start(&["--ephemeral", "--plugins", plugins.path().to_str().unwrap()]);
    let plugin = loaded(&s, "widgets");
    assert_eq!(
        plugin["operations"],
        json!([
            "CreateWidget",
            "DeleteWidget",
            "GetWidget",
            "ListWidgets",
            "UpdateWidget"
        ]),
        "{plugin}"
    );

    // The printed curl line creates one.
    let line = crate_.command("curl ");
    assert!(
        line.contains(&format!("X-Amz-Target: {prefix}.CreateWidget")),
        "{line}"
    );
    let (status, out) = curl(&s, &line);
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["Widget"]["Name"], "first", "{out}");
    assert_eq!(out["Widget"]["Description"], "the first one", "{out}");
    assert!(
        out["Widget"]["CreatedAt"].as_f64().unwrap() > 1.7e9,
        "{out}"
    );

    let call =
        |op: &str, body: Value| json_call(&s.url, &format!("{prefix}.{op}"), &body.to_string());
    let (status, err) = call("CreateWidget", json!({"Name": "first"}));
    assert_eq!(
        (status, error_code(&err)),
        (400, "WidgetAlreadyExistsException"),
        "{err}"
    );
    let (status, out) = call("GetWidget", json!({"Name": "first"}));
    assert_eq!(
        (status, &out["Widget"]["Name"]),
        (200, &json!("first")),
        "{out}"
    );
    let (status, out) = call(
        "UpdateWidget",
        json!({"Name": "first", "Description": "changed"}),
    );
    assert_eq!(
        (status, &out["Widget"]["Description"]),
        (200, &json!("changed")),
        "{out}"
    );
    for name in ["b", "a"] {
        assert_eq!(call("CreateWidget", json!({ "Name": name })).0, 200);
    }
    let (status, page) = call("ListWidgets", json!({"MaxResults": 2}));
    assert_eq!(status, 200, "{page}");
    let names: Vec<&str> = page["Widgets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["Name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a", "b"], "{page}");
    let token = page["NextToken"].as_str().unwrap();
    let (_, page) = call("ListWidgets", json!({ "NextToken": token }));
    assert_eq!(page["Widgets"][0]["Name"], "first", "{page}");
    assert_eq!(page["Widgets"][0]["Description"], "changed", "{page}");
    assert!(page.get("NextToken").is_none(), "{page}");
    let (status, err) = call("GetWidget", json!({"Name": "nope"}));
    assert_eq!(
        (status, error_code(&err)),
        (400, "ResourceNotFoundException"),
        "{err}"
    );

    // An operation the model does not have.
    let (status, err) = call("Nope", json!({}));
    eprintln!("{prefix}.Nope answered {status} {err}");
    assert_eq!(
        (status, error_code(&err)),
        (400, "UnknownOperationException"),
        "{err}"
    );

    // The printed AWS CLI line, on the model `new` put in aws-data/.
    assert_eq!(call("DeleteWidget", json!({"Name": "first"})).0, 200);
    let line = crate_.command("AWS_DATA_PATH=");
    assert_eq!(
        line,
        format!(
            "AWS_DATA_PATH={}/aws-data aws --endpoint-url http://localhost:4566 widgets create-widget --name first",
            crate_.dir.display()
        )
    );
    let line = line.replace("http://localhost:4566", &s.url);
    let line = match std::env::var("AWS_CLI") {
        Ok(exe) => line.replace(" aws ", &format!(" {exe} ")),
        Err(_) => line,
    };
    let env = [
        ("AWS_ACCESS_KEY_ID", "test"),
        ("AWS_SECRET_ACCESS_KEY", "test"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
        ("AWS_DEFAULT_OUTPUT", "json"),
        ("AWS_PAGER", ""),
    ];
    let out = sh(&line, &env);
    assert!(out.status.success(), "{line}: {}", stderr(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["Widget"]["Name"], "first", "{v}");
    assert_eq!(v["Widget"]["Description"], "", "{v}");
    let again = sh(&line, &env);
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("(WidgetAlreadyExistsException)"),
        "{}",
        stderr(&again)
    );
}

#[test]
fn a_rest_service_from_ruststack_new_builds_serves_and_answers_curl() {
    let crate_ = Scaffold::new("gadgets", &["--template", "rest"]);
    assert!(!crate_.dir.join("model.json").exists());
    assert!(
        !crate_.printed.contains("AWS_DATA_PATH"),
        "{}",
        crate_.printed
    );
    let plugins = crate_.build("gadgets");
    crate_.unit_tests();
    let s = Server::start(&["--ephemeral", "--plugins", plugins.path().to_str().unwrap()]);
    let plugin = loaded(&s, "gadgets");
    assert_eq!(plugin["protocol"], "rest-json", "{plugin}");
    assert_eq!(
        plugin["operations"],
        json!(["ListItems", "PutItem", "GetItem", "DeleteItem"]),
        "{plugin}"
    );

    // The printed curl line puts one.
    let line = crate_.command("curl ");
    assert!(
        line.contains("-X PUT http://localhost:4566/gadgets/items/first"),
        "{line}"
    );
    let (status, item) = curl(&s, &line);
    assert_eq!(status, 200, "{item}");
    assert_eq!(
        (&item["id"], &item["description"]),
        (&json!("first"), &json!("the first one")),
        "{item}"
    );
    assert!(item["createdAt"].as_str().unwrap().ends_with('Z'), "{item}");

    let http = client();
    let get = |path: &str| {
        let r = http.get(format!("{}{path}", s.url)).send().unwrap();
        let status = r.status().as_u16();
        (status, r.json::<Value>().unwrap_or(Value::Null))
    };
    let (status, item) = get("/gadgets/items/first");
    assert_eq!(
        (status, &item["description"]),
        (200, &json!("the first one")),
        "{item}"
    );
    let r = http
        .put(format!("{}/gadgets/items/second", s.url))
        .header("content-type", "application/json")
        .body(r#"{"description":"another"}"#)
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let (status, page) = get("/gadgets/items?limit=1");
    assert_eq!(
        (status, &page["items"][0]["id"]),
        (200, &json!("first")),
        "{page}"
    );
    let next = page["next"].as_str().unwrap();
    let (_, page) = get(&format!("/gadgets/items?next={next}"));
    assert_eq!(page["items"][0]["id"], "second", "{page}");
    assert!(page.get("next").is_none(), "{page}");

    let r = http
        .delete(format!("{}/gadgets/items/first", s.url))
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
    let (status, err) = get("/gadgets/items/first");
    assert_eq!((status, &err["__type"]), (404, &json!("NotFound")), "{err}");
    assert_eq!(err["message"], "Item first does not exist", "{err}");
    let (status, err) = get("/gadgets/nothing-here");
    assert_eq!((status, &err["__type"]), (404, &json!("NotFound")), "{err}");
}

/// `ruststack new` refuses what would not build, before writing anything.
#[test]
fn names_that_would_not_build_are_refused() {
    let parent = tempdir();
    for (name, why) in [
        ("Bad_Name", "a-z, 0-9 and '-'"),
        ("type", "reserved"),
        ("values", "would name a type Value"),
    ] {
        let out = Command::new(binary())
            .args(["new", name, "--dir"])
            .arg(parent.path())
            .output()
            .unwrap();
        assert!(!out.status.success(), "{name}");
        assert!(stderr(&out).contains(why), "{name}: {}", stderr(&out));
        assert!(!Path::new(&parent.path().join(name)).exists(), "{name}");
    }
}

/// Waits until the plugin `name` of `s` says `version` (or its state is
/// `state`); returns what `/_ruststack/plugins` says of it.
fn wait_for(s: &Server, name: &str, check: impl Fn(&Value) -> bool) -> Value {
    let started = Instant::now();
    loop {
        let p = loaded(s, name);
        if check(&p) {
            return p;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "plugin {name} never got there: {p}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// Hot reload as a plugin's author meets it: a new field in the stored
/// type keeps every record readable and updatable; a model that does not
/// parse leaves the old version serving and the plugin `degraded` with the
/// reason.
#[test]
fn reloads_keep_records_across_a_new_field_and_refuse_a_broken_model() {
    let crate_ = Scaffold::new("notes", &[]);
    let plugins = crate_.build("notes");
    let s = Server::start(&[
        "--ephemeral",
        "--watch",
        "--plugins",
        plugins.path().to_str().unwrap(),
    ]);
    let create = crate_.command("curl ");
    let (status, created) = curl(&s, &create);
    assert_eq!(status, 200, "{created}");
    let target = create
        .split("X-Amz-Target: ")
        .nth(1)
        .and_then(|t| t.split('.').next())
        .unwrap()
        .to_string();
    let call =
        |op: &str, body: Value| json_call(&s.url, &format!("{target}.{op}"), &body.to_string());
    let (status, before) = call("GetNote", json!({"Name": "first"}));
    assert_eq!(status, 200, "{before}");

    // A field added to the stored record, and a new version.
    crate_.edit(
        "src/notes.rs",
        "    pub updated_ms: u64,\n}",
        "    pub updated_ms: u64,\n    /// Added after records were stored.\n    pub colour: String,\n}",
    );
    crate_.edit(
        "src/notes.rs",
        "        updated_ms: now,\n    };",
        "        updated_ms: now,\n        colour: \"red\".into(),\n    };",
    );
    crate_.edit("Cargo.toml", "version = \"0.1.0\"", "version = \"0.2.0\"");
    crate_.rebuild_into("notes", plugins.path());
    wait_for(&s, "notes", |p| p["version"] == "0.2.0");
    let (status, after) = call("GetNote", json!({"Name": "first"}));
    assert_eq!((status, &after), (200, &before));
    let (status, updated) = call(
        "UpdateNote",
        json!({"Name": "first", "Description": "changed after the reload"}),
    );
    assert_eq!(status, 200, "{updated}");
    let (_, got) = call("GetNote", json!({"Name": "first"}));
    assert_eq!(
        got["Note"]["Description"], "changed after the reload",
        "{got}"
    );

    // A model that is not JSON, or names a shape it does not have, does not
    // build: `build.rs` generates the typed operations from it, and cargo
    // says why.
    crate_.edit("model.json", "{", "{ this is not JSON");
    let why = crate_.build_failure();
    assert!(why.contains("the model model.json is not JSON"), "{why}");
    crate_.edit("model.json", "{ this is not JSON", "{");
    let (good, missing) = ("\"shape\": \"Timestamp\"", "\"shape\": \"Timestamps\"");
    crate_.edit("model.json", good, missing);
    let why = crate_.build_failure();
    assert!(
        why.contains("Note refers to unknown shape Timestamps"),
        "{why}"
    );
    crate_.edit("model.json", missing, good);

    // A model the sdk refuses when the plugin loads (a protocol it does not
    // speak): the running version stays.
    crate_.edit(
        "model.json",
        "\"protocol\": \"json\"",
        "\"protocol\": \"json-rpc\"",
    );
    crate_.edit("Cargo.toml", "version = \"0.2.0\"", "version = \"0.3.0\"");
    crate_.rebuild_into("notes", plugins.path());
    let p = wait_for(&s, "notes", |p| p["state"] == "degraded");
    assert_eq!(p["version"], "0.2.0", "{p}");
    let health: Value = client()
        .get(format!("{}/_ruststack/health", s.url))
        .send()
        .and_then(|r| r.json())
        .unwrap();
    let reason = health["services"]["notes"]["reload_error"]
        .as_str()
        .unwrap();
    assert!(
        reason
            .contains("panicked: model.json: invalid service model: unsupported protocol json-rpc"),
        "{reason}"
    );
    let (status, _) = call("GetNote", json!({"Name": "first"}));
    assert_eq!(status, 200);
}
