//! SQS under concurrency: many consumers never share a message, FIFO
//! order holds per group, long polls wake on a send and idle for free.

mod sqs_common;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sqs_common::{create, ok, sqs, start};

fn send_all(
    url: &str,
    queue: &str,
    count: usize,
    threads: usize,
    entry: impl Fn(usize) -> Value + Send + Sync + 'static,
) {
    let entry = Arc::new(entry);
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let (url, queue, entry) = (url.to_string(), queue.to_string(), entry.clone());
            std::thread::spawn(move || {
                let mut i = t * 10;
                while i < count {
                    let entries: Vec<Value> = (i..(i + 10).min(count)).map(|n| entry(n)).collect();
                    let out = ok(
                        &url,
                        "SendMessageBatch",
                        json!({"QueueUrl": queue, "Entries": entries}),
                    );
                    assert_eq!(out["Failed"], json!([]), "{out}");
                    i += threads * 10;
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
}

#[test]
fn eight_consumers_receive_ten_thousand_messages_exactly_once() {
    let (s, _p) = start(&[]);
    let q = create(&s.url, "load", json!({"VisibilityTimeout": "120"}));
    const N: usize = 10_000;
    send_all(
        &s.url,
        &q,
        N,
        4,
        |n| json!({"Id": format!("m{n}"), "MessageBody": format!("body-{n}")}),
    );
    let attrs = ok(
        &s.url,
        "GetQueueAttributes",
        json!({"QueueUrl": q, "AttributeNames": ["ApproximateNumberOfMessages"]}),
    );
    assert_eq!(
        attrs["Attributes"]["ApproximateNumberOfMessages"],
        N.to_string()
    );

    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let started = Instant::now();
    let consumers: Vec<_> = (0..8)
        .map(|_| {
            let (url, q, seen) = (s.url.clone(), q.clone(), seen.clone());
            std::thread::spawn(move || {
                loop {
                    let out = ok(&url, "ReceiveMessage", json!({"QueueUrl": q, "MaxNumberOfMessages": 10, "WaitTimeSeconds": 1}));
                    let Some(msgs) = out["Messages"].as_array().filter(|m| !m.is_empty()) else {
                        break;
                    };
                    seen.lock().unwrap().extend(msgs.iter().map(|m| m["Body"].as_str().unwrap().to_string()));
                    let entries: Vec<Value> = msgs
                        .iter()
                        .enumerate()
                        .map(|(i, m)| json!({"Id": i.to_string(), "ReceiptHandle": m["ReceiptHandle"]}))
                        .collect();
                    let del = ok(&url, "DeleteMessageBatch", json!({"QueueUrl": q, "Entries": entries}));
                    assert_eq!(del["Failed"], json!([]), "{del}");
                }
            })
        })
        .collect();
    for c in consumers {
        c.join().unwrap();
    }
    let elapsed = started.elapsed();
    let seen = seen.lock().unwrap();
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(
        unique.len(),
        seen.len(),
        "a message was delivered twice while invisible"
    );
    assert_eq!(unique.len(), N, "messages lost");
    eprintln!("8 consumers drained {N} messages in {elapsed:?}");
    let attrs = ok(
        &s.url,
        "GetQueueAttributes",
        json!({"QueueUrl": q, "AttributeNames": ["All"]}),
    );
    assert_eq!(attrs["Attributes"]["ApproximateNumberOfMessages"], "0");
    assert_eq!(
        attrs["Attributes"]["ApproximateNumberOfMessagesNotVisible"],
        "0"
    );
}

#[test]
fn fifo_order_holds_per_group_with_concurrent_consumers() {
    let (s, _p) = start(&[]);
    let q = create(
        &s.url,
        "load.fifo",
        json!({"FifoQueue": "true", "ContentBasedDeduplication": "true"}),
    );
    const N: usize = 1_000;
    // One sender thread, so the send order per group is the index order.
    send_all(
        &s.url,
        &q,
        N,
        1,
        |n| json!({"Id": format!("m{n}"), "MessageBody": format!("{n}"), "MessageGroupId": format!("g{}", n % 10)}),
    );
    let order: Arc<Mutex<HashMap<String, Vec<usize>>>> = Arc::default();
    let consumers: Vec<_> = (0..8)
        .map(|_| {
            let (url, q, order) = (s.url.clone(), q.clone(), order.clone());
            std::thread::spawn(move || {
                loop {
                    let out = ok(&url, "ReceiveMessage", json!({"QueueUrl": q, "MaxNumberOfMessages": 10, "WaitTimeSeconds": 1, "MessageSystemAttributeNames": ["MessageGroupId"]}));
                    let Some(msgs) = out["Messages"].as_array().filter(|m| !m.is_empty()) else {
                        break;
                    };
                    {
                        // Recorded before deleting: the group stays held until then.
                        let mut order = order.lock().unwrap();
                        for m in msgs {
                            let g = m["Attributes"]["MessageGroupId"].as_str().unwrap().to_string();
                            order.entry(g).or_default().push(m["Body"].as_str().unwrap().parse().unwrap());
                        }
                    }
                    for m in msgs {
                        ok(&url, "DeleteMessage", json!({"QueueUrl": q, "ReceiptHandle": m["ReceiptHandle"]}));
                    }
                }
            })
        })
        .collect();
    for c in consumers {
        c.join().unwrap();
    }
    let order = order.lock().unwrap();
    let mut total = 0;
    for (g, bodies) in order.iter() {
        assert!(
            bodies.windows(2).all(|w| w[0] < w[1]),
            "group {g} out of order: {bodies:?}"
        );
        total += bodies.len();
    }
    assert_eq!(total, N);
}

#[test]
fn long_poll_returns_within_100ms_of_a_send() {
    let (s, _p) = start(&[]);
    let q = create(&s.url, "poll", json!({}));
    for round in 0..3 {
        let (url, q2) = (s.url.clone(), q.clone());
        let waiter = std::thread::spawn(move || {
            let started = Instant::now();
            let out = ok(
                &url,
                "ReceiveMessage",
                json!({"QueueUrl": q2, "WaitTimeSeconds": 10}),
            );
            (out, started.elapsed(), Instant::now())
        });
        std::thread::sleep(Duration::from_millis(700));
        ok(
            &s.url,
            "SendMessage",
            json!({"QueueUrl": q, "MessageBody": format!("wake-{round}")}),
        );
        let sent = Instant::now();
        let (out, waited, returned) = waiter.join().unwrap();
        assert_eq!(out["Messages"][0]["Body"], format!("wake-{round}"), "{out}");
        assert!(
            waited >= Duration::from_millis(600),
            "answered before the send: {waited:?}"
        );
        let lag = returned.saturating_duration_since(sent);
        assert!(
            lag < Duration::from_millis(100),
            "woke {lag:?} after the send"
        );
        ok(
            &s.url,
            "DeleteMessage",
            json!({"QueueUrl": q, "ReceiptHandle": out["Messages"][0]["ReceiptHandle"]}),
        );
    }
    // An empty poll waits its full time, then answers with no messages.
    let started = Instant::now();
    let out = ok(
        &s.url,
        "ReceiveMessage",
        json!({"QueueUrl": q, "WaitTimeSeconds": 2}),
    );
    assert!(out.get("Messages").is_none());
    assert!(
        started.elapsed() >= Duration::from_millis(1900),
        "{:?}",
        started.elapsed()
    );
    // A message whose visibility ends during the poll is returned then.
    ok(
        &s.url,
        "SendMessage",
        json!({"QueueUrl": q, "MessageBody": "back"}),
    );
    ok(
        &s.url,
        "ReceiveMessage",
        json!({"QueueUrl": q, "VisibilityTimeout": 2}),
    );
    let started = Instant::now();
    let out = ok(
        &s.url,
        "ReceiveMessage",
        json!({"QueueUrl": q, "WaitTimeSeconds": 10}),
    );
    assert_eq!(out["Messages"][0]["Body"], "back");
    let t = started.elapsed();
    assert!(
        t >= Duration::from_millis(1500) && t < Duration::from_millis(3000),
        "{t:?}"
    );
}

fn cpu_ticks(pid: u32) -> u64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = after.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap()
}

#[test]
fn idle_long_polls_use_no_measurable_cpu() {
    let (s, _p) = start(&[]);
    let q = create(&s.url, "idle", json!({}));
    // Warm up instances.
    let (st, _) = sqs(&s.url, "ReceiveMessage", json!({"QueueUrl": q}));
    assert_eq!(st, 200);
    std::thread::sleep(Duration::from_millis(300));
    let before = cpu_ticks(s.pid());
    let pollers: Vec<_> = (0..8)
        .map(|_| {
            let (url, q) = (s.url.clone(), q.clone());
            std::thread::spawn(move || {
                ok(
                    &url,
                    "ReceiveMessage",
                    json!({"QueueUrl": q, "WaitTimeSeconds": 5}),
                )
            })
        })
        .collect();
    for p in pollers {
        assert!(p.join().unwrap().get("Messages").is_none());
    }
    let used = cpu_ticks(s.pid()) - before;
    // 8 polls of 5 s: well under 0.1 s of CPU (ticks are 10 ms).
    assert!(used <= 10, "idle polls used {used} ticks of CPU");
}

#[test]
fn concurrent_sends_with_one_deduplication_id_enqueue_once() {
    let (s, _p) = start(&[]);
    let q = create(&s.url, "dedup.fifo", json!({"FifoQueue": "true"}));
    for round in 0..5 {
        let senders: Vec<_> = (0..8)
            .map(|_| {
                let (url, q) = (s.url.clone(), q.clone());
                std::thread::spawn(move || {
                    let out = ok(&url, "SendMessage", json!({"QueueUrl": q, "MessageBody": "x", "MessageGroupId": "g", "MessageDeduplicationId": format!("d{round}")}));
                    out["MessageId"].as_str().unwrap().to_string()
                })
            })
            .collect();
        let ids: HashSet<String> = senders.into_iter().map(|h| h.join().unwrap()).collect();
        assert_eq!(ids.len(), 1, "round {round}: {ids:?}");
    }
    let attrs = ok(
        &s.url,
        "GetQueueAttributes",
        json!({"QueueUrl": q, "AttributeNames": ["ApproximateNumberOfMessages"]}),
    );
    assert_eq!(attrs["Attributes"]["ApproximateNumberOfMessages"], "5");
}

/// A standard queue's order is best-effort on AWS, but one client's sends,
/// single and batched, come back in the order it sent them (as clients that
/// test against a local queue expect), while concurrent senders do not queue
/// up behind one counter.
#[test]
fn one_clients_sends_to_a_standard_queue_keep_their_order() {
    let (s, _p) = start(&[]);
    let q = create(&s.url, "ordered", json!({"VisibilityTimeout": "120"}));
    let mut sent = Vec::new();
    for round in 0..5 {
        for i in 0..6 {
            let body = format!("single-{round}-{i}");
            ok(
                &s.url,
                "SendMessage",
                json!({"QueueUrl": q, "MessageBody": body}),
            );
            sent.push(body);
        }
        let entries: Vec<Value> = (0..10)
            .map(|i| json!({"Id": format!("e{i}"), "MessageBody": format!("batch-{round}-{i}")}))
            .collect();
        sent.extend((0..10).map(|i| format!("batch-{round}-{i}")));
        let out = ok(
            &s.url,
            "SendMessageBatch",
            json!({"QueueUrl": q, "Entries": entries}),
        );
        assert_eq!(out["Failed"], json!([]), "{out}");
    }
    let mut received = Vec::new();
    loop {
        let out = ok(
            &s.url,
            "ReceiveMessage",
            json!({"QueueUrl": q, "MaxNumberOfMessages": 10}),
        );
        let Some(msgs) = out["Messages"].as_array().filter(|m| !m.is_empty()) else {
            break;
        };
        received.extend(msgs.iter().map(|m| m["Body"].as_str().unwrap().to_string()));
    }
    assert_eq!(received, sent);
}
