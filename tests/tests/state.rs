//! State snapshots: the whole state as one archive, taken while the server
//! serves (`GET /_ruststack/state`), restored into a running server (`POST`),
//! at start-up (`--init-state`) and offline (`ruststack state export|import`):
//! byte-identical objects, equal items and messages, and every write
//! acknowledged before a snapshot began is in it.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use ruststack_tests::{Server, client, json_call, ruststack_ok, tempdir};
use serde_json::{Value, json};

fn ddb(url: &str, op: &str, body: Value) -> Value {
    let (status, v) = json_call(url, &format!("DynamoDB_20120810.{op}"), &body.to_string());
    assert_eq!(status, 200, "{op}: {v}");
    v
}

fn sqs(url: &str, op: &str, body: Value) -> Value {
    let (status, v) = json_call(url, &format!("AmazonSQS.{op}"), &body.to_string());
    assert_eq!(status, 200, "{op}: {v}");
    v
}

/// Bodies of several sizes: packed small ones and files of their own.
fn bodies() -> Vec<(String, Vec<u8>)> {
    [10usize, 1024, 70_000, 300_000]
        .iter()
        .map(|&n| {
            let body: Vec<u8> = (0..n).map(|i| (i * 31 % 251) as u8).collect();
            (format!("obj-{n}"), body)
        })
        .collect()
}

/// Buckets, objects, a table with items and a queue with messages.
fn fill(url: &str) {
    assert_eq!(
        client().put(format!("{url}/kept")).send().unwrap().status(),
        200
    );
    for (key, body) in bodies() {
        let r = client()
            .put(format!("{url}/kept/{key}"))
            .body(body)
            .send()
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    ddb(
        url,
        "CreateTable",
        json!({"TableName": "kept", "BillingMode": "PAY_PER_REQUEST",
               "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
               "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}),
    );
    for i in 0..20 {
        ddb(
            url,
            "PutItem",
            json!({"TableName": "kept", "Item": {"pk": {"S": format!("k{i}")}, "n": {"N": i.to_string()}}}),
        );
    }
    let q = sqs(url, "CreateQueue", json!({"QueueName": "kept"}))["QueueUrl"].clone();
    for i in 0..5 {
        sqs(
            url,
            "SendMessage",
            json!({"QueueUrl": q, "MessageBody": format!("m{i}")}),
        );
    }
}

/// Checks that `url` holds exactly what [`fill`] made.
fn check(url: &str) {
    for (key, body) in bodies() {
        let r = client().get(format!("{url}/kept/{key}")).send().unwrap();
        assert_eq!(r.status(), 200, "{key}");
        assert_eq!(r.bytes().unwrap().as_ref(), body.as_slice(), "{key}");
    }
    let scan = ddb(url, "Scan", json!({"TableName": "kept"}));
    assert_eq!(scan["Count"], 20);
    let item = ddb(
        url,
        "GetItem",
        json!({"TableName": "kept", "Key": {"pk": {"S": "k7"}}}),
    );
    assert_eq!(item["Item"]["n"]["N"], "7");
    let q = sqs(url, "GetQueueUrl", json!({"QueueName": "kept"}))["QueueUrl"].clone();
    let attrs = sqs(
        url,
        "GetQueueAttributes",
        json!({"QueueUrl": q, "AttributeNames": ["ApproximateNumberOfMessages"]}),
    );
    assert_eq!(attrs["Attributes"]["ApproximateNumberOfMessages"], "5");
}

fn snapshot(url: &str, file: &Path) {
    let r = client()
        .get(format!("{url}/_ruststack/state"))
        .send()
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/x-tar");
    std::fs::write(file, r.bytes().unwrap()).unwrap();
}

fn restore(url: &str, file: &Path) -> (u16, Value) {
    let r = client()
        .post(format!("{url}/_ruststack/state"))
        .body(std::fs::read(file).unwrap())
        .send()
        .unwrap();
    (r.status().as_u16(), r.json().unwrap())
}

#[test]
fn export_and_import_give_the_same_state_on_another_data_dir() {
    let files = tempdir();
    let (a, b, c) = (tempdir(), tempdir(), tempdir());
    let taken = files.path().join("http.tar");
    let offline = files.path().join("offline.tar");
    {
        let s = Server::start(&["--data-dir", a.path().to_str().unwrap()]);
        fill(&s.url);
        snapshot(&s.url, &taken);
    }
    // Offline, from the stopped server's folder.
    ruststack_ok(&[
        "state",
        "export",
        offline.to_str().unwrap(),
        "--data-dir",
        a.path().to_str().unwrap(),
    ]);
    // Into other folders: one offline, one at start-up.
    let said = ruststack_ok(&[
        "state",
        "import",
        taken.to_str().unwrap(),
        "--data-dir",
        b.path().to_str().unwrap(),
    ]);
    assert!(said.contains("s3") && said.contains("dynamodb"), "{said}");
    let s = Server::start(&["--data-dir", b.path().to_str().unwrap()]);
    check(&s.url);
    drop(s);
    let s = Server::start(&[
        "--data-dir",
        c.path().to_str().unwrap(),
        "--init-state",
        offline.to_str().unwrap(),
    ]);
    check(&s.url);
}

#[test]
fn a_restore_replaces_the_running_state() {
    let files = tempdir();
    let file = files.path().join("state.tar");
    let s = Server::start(&["--ephemeral"]);
    fill(&s.url);
    snapshot(&s.url, &file);
    // Changes after the snapshot.
    assert_eq!(
        client()
            .put(format!("{}/later", s.url))
            .send()
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        client()
            .delete(format!("{}/kept/obj-10", s.url))
            .send()
            .unwrap()
            .status(),
        204
    );
    let (status, said) = restore(&s.url, &file);
    assert_eq!(status, 200, "{said}");
    check(&s.url);
    assert_eq!(
        client()
            .head(format!("{}/later", s.url))
            .send()
            .unwrap()
            .status(),
        404
    );
    // Writes go on after it.
    ddb(
        &s.url,
        "PutItem",
        json!({"TableName": "kept", "Item": {"pk": {"S": "after"}}}),
    );
    assert_eq!(
        ddb(&s.url, "Scan", json!({"TableName": "kept"}))["Count"],
        21
    );

    // What is not an archive, or is of a newer format, is refused.
    let junk = files.path().join("junk.tar");
    std::fs::write(&junk, b"not a tar file at all").unwrap();
    let (status, said) = restore(&s.url, &junk);
    assert_eq!(status, 400, "{said}");
    assert!(
        said["error"].as_str().unwrap().contains("state archive"),
        "{said}"
    );
    let newer = files.path().join("newer.tar");
    let bytes = std::fs::read(&file).unwrap();
    let at = bytes
        .windows(13)
        .position(|w| w == b"\"version\": 1,")
        .expect("the manifest's version");
    let mut edited = bytes.clone();
    edited[at + 11] = b'9';
    std::fs::write(&newer, edited).unwrap();
    let (status, said) = restore(&s.url, &newer);
    assert_eq!(status, 400, "{said}");
    assert!(
        said["error"].as_str().unwrap().contains("state format 9"),
        "{said}"
    );
    // Nothing changed by the refused ones.
    assert_eq!(
        ddb(&s.url, "Scan", json!({"TableName": "kept"}))["Count"],
        21
    );
}

#[test]
fn a_snapshot_under_concurrent_writes_holds_every_write_acknowledged_before_it() {
    let files = tempdir();
    let file = files.path().join("busy.tar");
    let s = Server::start(&["--ephemeral"]);
    ddb(
        &s.url,
        "CreateTable",
        json!({"TableName": "busy", "BillingMode": "PAY_PER_REQUEST",
               "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "N"}],
               "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}),
    );
    let acked = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..2)
        .map(|w| {
            let (url, acked, stop) = (s.url.clone(), acked.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut mine = Vec::new();
                let mut i = w;
                while !stop.load(Ordering::Acquire) {
                    ddb(
                        &url,
                        "PutItem",
                        json!({"TableName": "busy", "Item": {"pk": {"N": i.to_string()}}}),
                    );
                    mine.push((i, acked.fetch_add(1, Ordering::AcqRel)));
                    i += 2;
                }
                mine
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let before = acked.load(Ordering::Acquire);
    snapshot(&s.url, &file);
    stop.store(true, Ordering::Release);
    // Every write whose acknowledgement came before the snapshot began.
    let must: Vec<usize> = writers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .filter(|(_, order)| *order < before)
        .map(|(i, _)| i)
        .collect();
    assert!(
        must.len() > 10,
        "too few writes before the snapshot: {}",
        must.len()
    );
    let restored = Server::start(&["--ephemeral", "--init-state", file.to_str().unwrap()]);
    let mut present = std::collections::HashSet::new();
    let mut start: Option<Value> = None;
    loop {
        let mut q = json!({"TableName": "busy"});
        if let Some(k) = &start {
            q["ExclusiveStartKey"] = k.clone();
        }
        let page = ddb(&restored.url, "Scan", q);
        for item in page["Items"].as_array().unwrap() {
            present.insert(item["pk"]["N"].as_str().unwrap().parse::<usize>().unwrap());
        }
        match page.get("LastEvaluatedKey") {
            Some(k) => start = Some(k.clone()),
            None => break,
        }
    }
    let missing: Vec<_> = must.iter().filter(|i| !present.contains(i)).collect();
    assert!(
        missing.is_empty(),
        "acknowledged before the snapshot, missing: {missing:?}"
    );
    eprintln!(
        "{} writes before the snapshot, {} in it",
        must.len(),
        present.len()
    );
}
