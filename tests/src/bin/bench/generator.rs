//! The load generator: keep-alive connections, one request in flight each, latencies per request.

#[allow(unused_imports)]
use super::*;

/// An AWS JSON 1.0 `POST /` as raw bytes, built once and written as is.
pub(crate) fn json_request(addr: SocketAddr, target: &str, body: &str) -> Arc<[u8]> {
    format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nX-Amz-Target: {target}\r\n\
         Content-Type: application/x-amz-json-1.0\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
    .into()
}

/// Drives `conns` keep-alive connections for warm-up plus `secs`, one request
/// in flight per connection, and counts what completed inside the window.
pub(crate) async fn load(
    addr: SocketAddr,
    work: &Arc<Work>,
    conns: usize,
    secs: Duration,
) -> Stats {
    let begin = TokioInstant::now() + WARMUP;
    let end = begin + secs;
    let seq = Arc::new(AtomicU64::new(0));
    let tasks: Vec<_> = (0..conns)
        .map(|_| {
            let recorder = Recorder {
                begin,
                end,
                latencies_us: Vec::new(),
                units: 0,
            };
            tokio::spawn(connection_loop(addr, work.clone(), seq.clone(), recorder))
        })
        .collect();
    let mut latencies = Vec::new();
    let mut units = 0;
    let mut errors = 0;
    for task in tasks {
        match task.await {
            Ok((recorder, err)) => {
                latencies.extend(recorder.latencies_us);
                units += recorder.units;
                errors += err;
            }
            Err(_) => errors += 1,
        }
    }
    summarize(latencies, units, errors, secs)
}

/// What one connection completed inside the measured window.
pub(crate) struct Recorder {
    pub(crate) begin: TokioInstant,
    pub(crate) end: TokioInstant,
    pub(crate) latencies_us: Vec<u32>,
    pub(crate) units: u64,
}

impl Recorder {
    /// Counts a request that completed inside the window (it may have been
    /// sent during the warm-up: a slow target, such as a 1000-key listing at 32
    /// connections, would otherwise count nothing in a short window).
    pub(crate) fn record(&mut self, sent: TokioInstant, units: u64) {
        let done = TokioInstant::now();
        if done >= self.begin && done <= self.end {
            self.latencies_us
                .push(u32::try_from((done - sent).as_micros()).unwrap_or(u32::MAX));
            self.units += units;
        }
    }
}

/// One client connection: iterations of `work` until the end of the window.
/// Reconnects after an error so one reset does not end the run.
pub(crate) async fn connection_loop(
    addr: SocketAddr,
    work: Arc<Work>,
    seq: Arc<AtomicU64>,
    mut recorder: Recorder,
) -> (Recorder, u64) {
    let mut errors = 0;
    let mut conn = None;
    let end = recorder.end;
    while TokioInstant::now() < end {
        let c = match conn.as_mut() {
            Some(c) => c,
            None => match Conn::connect(addr).await {
                Ok(c) => conn.insert(c),
                Err(_) => {
                    errors += 1;
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let outcome = tokio::time::timeout_at(
            end + RESPONSE_GRACE,
            iteration(&work, c, &seq, &mut recorder),
        )
        .await;
        match outcome {
            Ok(Ok(true)) => {}
            Ok(Ok(false)) => errors += 1,
            Ok(Err(_)) | Err(_) => {
                errors += 1;
                conn = None;
            }
        }
    }
    (recorder, errors)
}

/// One iteration of `work`; false when a request was answered with anything
/// but 200.
pub(crate) async fn iteration(
    work: &Work,
    conn: &mut Conn,
    seq: &AtomicU64,
    recorder: &mut Recorder,
) -> Result<bool> {
    match work {
        Work::Fixed { request, units } => {
            let sent = TokioInstant::now();
            let ok = conn.call(request, &[]).await? == 200;
            if ok {
                recorder.record(sent, *units);
            }
            Ok(ok)
        }
        Work::Numbered { head, body, units } => {
            let head = head(seq.fetch_add(1, Ordering::Relaxed));
            let sent = TokioInstant::now();
            let ok = conn.call(&head, body).await? == 200;
            if ok {
                recorder.record(sent, *units);
            }
            Ok(ok)
        }
        Work::ReceiveDelete {
            addr,
            receive,
            queue_url,
        } => {
            let sent = TokioInstant::now();
            if conn.call(receive, &[]).await? != 200 {
                return Ok(false);
            }
            recorder.record(sent, 0);
            for handle in receipt_handles(conn.body())? {
                let body = serde_json::json!({ "QueueUrl": queue_url, "ReceiptHandle": handle })
                    .to_string();
                let delete = json_request(*addr, "AmazonSQS.DeleteMessage", &body);
                let sent = TokioInstant::now();
                if conn.call(&delete, &[]).await? != 200 {
                    return Ok(false);
                }
                recorder.record(sent, 1);
            }
            Ok(true)
        }
    }
}

pub(crate) fn summarize(
    mut latencies_us: Vec<u32>,
    units: u64,
    errors: u64,
    secs: Duration,
) -> Stats {
    latencies_us.sort_unstable();
    let pick = |q: f64| {
        if latencies_us.is_empty() {
            return Duration::ZERO;
        }
        let i = ((latencies_us.len() as f64 * q).ceil() as usize).clamp(1, latencies_us.len()) - 1;
        Duration::from_micros(u64::from(latencies_us[i]))
    };
    Stats {
        rps: latencies_us.len() as f64 / secs.as_secs_f64(),
        units: units as f64 / secs.as_secs_f64(),
        p50: pick(0.50),
        p99: pick(0.99),
        errors,
    }
}
