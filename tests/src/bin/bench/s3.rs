//! S3 targets and the 1 GiB transfer.

#[allow(unused_imports)]
use super::*;

/// A path-style S3 request head (the server does not check signatures).
pub(crate) fn s3_head(addr: SocketAddr, method: &str, path: &str, body_len: usize) -> Vec<u8> {
    let length = if method == "PUT" {
        format!("Content-Length: {body_len}\r\n")
    } else {
        String::new()
    };
    format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{length}\r\n").into_bytes()
}

pub(crate) async fn bench_s3(bench: &mut Bench) -> Result<()> {
    let addr = bench.addr;
    let mut conn = Conn::connect(addr).await?;
    for bucket in ["bench-bucket", "bench-list"] {
        expect_ok(
            &mut conn,
            &s3_head(addr, "PUT", &format!("/{bucket}"), 0),
            "CreateBucket",
        )
        .await?;
    }
    for (size, label) in [(1024usize, "1 KiB"), (1 << 20, "1 MiB")] {
        let body: Arc<[u8]> = payload(size).into();
        let unit = (size > 1024).then_some(MEGABYTES);
        // Every request writes a new key.
        let head: HeadFn =
            Box::new(move |n| s3_head(addr, "PUT", &format!("/bench-bucket/k-{n}"), size));
        bench
            .measure(
                "S3",
                &format!("PutObject {label}"),
                Work::Numbered {
                    head,
                    body,
                    units: size as u64,
                },
                unit,
            )
            .await?;
    }
    for (size, label) in [(1024usize, "1 KiB"), (1 << 20, "1 MiB")] {
        let key = format!("/bench-bucket/get-{size}");
        conn.call(&s3_head(addr, "PUT", &key, size), &payload(size))
            .await?;
        let unit = (size > 1024).then_some(MEGABYTES);
        let request: Arc<[u8]> = s3_head(addr, "GET", &key, 0).into();
        bench
            .measure(
                "S3",
                &format!("GetObject {label}"),
                Work::Fixed {
                    request,
                    units: size as u64,
                },
                unit,
            )
            .await?;
    }
    let started = Instant::now();
    setup_concurrently(addr, LIST_KEYS, "PutObject (list)", move |n| {
        (
            s3_head(addr, "PUT", &format!("/bench-list/k-{n:05}"), 16),
            vec![b'x'; 16],
        )
    })
    .await?;
    eprintln!(
        "bench: {LIST_KEYS} keys created in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let list: Arc<[u8]> = s3_head(addr, "GET", "/bench-list?list-type=2", 0).into();
    conn.call(&list, &[]).await?;
    let keys = count(conn.body(), b"<Key>");
    if keys != 1000 {
        bail!("ListObjectsV2 returned {keys} keys, expected a page of 1000");
    }
    bench
        .measure(
            "S3",
            "ListObjectsV2 (1000 of 10,000 keys)",
            Work::fixed(list),
            None,
        )
        .await
}

/// `size` bytes of a repeating, not all-zero pattern.
pub(crate) fn payload(size: usize) -> Vec<u8> {
    (0..size).map(|i| (i % 251) as u8).collect()
}

pub(crate) fn count(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .filter(|w| *w == needle)
        .count()
}

/// A 1 GiB transfer: throughput and the server's RSS around it.
pub(crate) struct BigTransfer {
    pub(crate) what: &'static str,
    pub(crate) mb_per_s: f64,
    pub(crate) rss_before: f64,
    pub(crate) rss_peak: f64,
    pub(crate) rss_after: f64,
}

impl BigTransfer {
    pub(crate) fn growth(&self) -> f64 {
        self.rss_peak - self.rss_before
    }
}

/// Uploads 1 GiB (generated chunk by chunk, never held whole) and downloads it
/// again (bytes counted, not kept), on one connection each.
pub(crate) async fn big_transfers(addr: SocketAddr, pid: u32) -> Result<Vec<BigTransfer>> {
    let path = "/bench-big/big";
    let mut results = Vec::new();
    expect_ok(
        &mut Conn::connect(addr).await?,
        &s3_head(addr, "PUT", "/bench-big", 0),
        "CreateBucket",
    )
    .await?;

    let sampler = RssSampler::start(pid)?;
    let started = Instant::now();
    let mut conn = Conn::connect(addr).await?;
    let head = s3_head(addr, "PUT", path, usize::try_from(BIG_BYTES)?);
    conn.stream.write_all(&head).await?;
    let mut chunk = payload(BIG_CHUNK);
    let mut sent = 0u64;
    let mut index = 0u64;
    while sent < BIG_BYTES {
        // A different chunk every time, as from a real generator.
        chunk[..8].copy_from_slice(&index.to_le_bytes());
        let n = usize::try_from((BIG_BYTES - sent).min(BIG_CHUNK as u64))?;
        conn.stream.write_all(&chunk[..n]).await?;
        sent += n as u64;
        index += 1;
    }
    let status = conn.read_response().await?;
    let elapsed = started.elapsed();
    if status != 200 {
        bail!(
            "1 GiB PutObject answered {status}: {}",
            String::from_utf8_lossy(conn.body())
        );
    }
    results.push(sampler.finish("PutObject 1 GiB", elapsed).await?);

    let sampler = RssSampler::start(pid)?;
    let started = Instant::now();
    let mut conn = Conn::connect(addr).await?;
    conn.stream
        .write_all(&s3_head(addr, "GET", path, 0))
        .await?;
    let (status, received) = conn.read_counting().await?;
    let elapsed = started.elapsed();
    if status != 200 || received != BIG_BYTES {
        bail!("1 GiB GetObject answered {status} with {received} bytes");
    }
    results.push(sampler.finish("GetObject 1 GiB", elapsed).await?);
    for r in &results {
        eprintln!(
            "bench: {}: {:.0} MB/s, RSS {:.1} → peak {:.1} → {:.1} MiB",
            r.what, r.mb_per_s, r.rss_before, r.rss_peak, r.rss_after
        );
    }
    Ok(results)
}

/// Samples a process's RSS on its own thread and keeps the peak.
pub(crate) struct RssSampler {
    pub(crate) pid: u32,
    pub(crate) before: f64,
    pub(crate) stop: Arc<AtomicBool>,
    pub(crate) peak: Arc<Mutex<f64>>,
    pub(crate) thread: std::thread::JoinHandle<()>,
}

impl RssSampler {
    /// Samples every 100 ms.
    pub(crate) fn start(pid: u32) -> Result<Self> {
        Self::every(pid, Duration::from_millis(100))
    }

    /// Samples every `interval`.
    pub(crate) fn every(pid: u32, interval: Duration) -> Result<Self> {
        let before = rss_mb(pid)?;
        let stop = Arc::new(AtomicBool::new(false));
        let peak = Arc::new(Mutex::new(before));
        let thread = {
            let stop = stop.clone();
            let peak = peak.clone();
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    if let Ok(rss) = rss_mb(pid)
                        && let Ok(mut peak) = peak.lock()
                    {
                        *peak = peak.max(rss);
                    }
                    std::thread::sleep(interval);
                }
            })
        };
        Ok(Self {
            pid,
            before,
            stop,
            peak,
            thread,
        })
    }

    /// Stops sampling; the highest RSS seen.
    pub(crate) fn peak(self) -> f64 {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.thread.join();
        self.peak.lock().map_or(self.before, |p| *p)
    }

    /// Stops sampling; "after" is taken 200 ms after the transfer ended.
    pub(crate) async fn finish(self, what: &'static str, elapsed: Duration) -> Result<BigTransfer> {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let after = rss_mb(self.pid)?;
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.thread.join();
        let peak = self.peak.lock().map_or(after, |p| *p).max(after);
        Ok(BigTransfer {
            what,
            mb_per_s: BIG_BYTES as f64 / 1e6 / elapsed.as_secs_f64(),
            rss_before: self.before,
            rss_peak: peak,
            rss_after: after,
        })
    }
}
