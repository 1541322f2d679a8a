//! Host capabilities seen from a plugin: calling another plugin, outbound
//! HTTP, and timers.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::{Duration, Instant};

use ruststack_tests::{Server, counters, json_call, plugin_dir};

fn start() -> (Server, tempfile::TempDir) {
    let plugins = plugin_dir(&["counters", "misbehave"]);
    let s = Server::start(&["--ephemeral", "--plugins", plugins.path().to_str().unwrap()]);
    (s, plugins)
}

#[test]
fn a_plugin_invokes_another_which_commits_on_its_own() {
    let (s, _p) = start();
    let (st, out) = json_call(&s.url, "Misbehave.Invoke", "{}");
    assert_eq!(st, 200, "{out}");
    assert_eq!(out["Status"], 200, "{out}");
    assert_eq!(out["Served"], true, "{out}");
    let (_, c) = counters(&s.url, "GetCounter", r#"{"Name":"via-invoke"}"#);
    assert_eq!(c["Counter"]["Value"], 1, "{c}");
}

#[test]
fn a_plugin_calls_an_http_endpoint() {
    let (s, _p) = start();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        let (mut conn, _) = listener.accept().unwrap();
        let mut buf = [0u8; 4096];
        let n = conn.read(&mut buf).unwrap();
        let head = String::from_utf8_lossy(&buf[..n]).to_string();
        conn.write_all(
            b"HTTP/1.1 201 Created\r\ncontent-length: 5\r\nconnection: close\r\n\r\nhello",
        )
        .unwrap();
        head
    });
    let (st, out) = json_call(&s.url, "Misbehave.Fetch", &format!("http://{addr}/ping"));
    assert_eq!(st, 200, "{out}");
    assert_eq!(out["Status"], 201, "{out}");
    assert_eq!(out["Body"], "hello", "{out}");
    let head = server.join().unwrap();
    assert!(head.starts_with("GET /ping HTTP/1.1"), "{head}");

    let (_, out) = json_call(&s.url, "Misbehave.Fetch", "http://127.0.0.1:1/");
    assert!(
        out["Error"].is_string(),
        "a refused connection is an error: {out}"
    );
}

#[test]
fn a_timer_fires_later_and_its_writes_commit() {
    let (s, _p) = start();
    assert_eq!(
        json_call(&s.url, "Misbehave.Ticked", "{}").1["Ticked"],
        false
    );
    assert_eq!(json_call(&s.url, "Misbehave.Schedule", "{}").0, 200);
    let start = Instant::now();
    loop {
        if json_call(&s.url, "Misbehave.Ticked", "{}").1["Ticked"] == true {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the timer never fired"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
