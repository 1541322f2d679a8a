//! Helpers shared by the S3 end-to-end tests.
#![allow(dead_code)]

use ruststack_tests::{CliOutput, Server, aws_cli, plugin_dir};
use serde_json::Value;

/// A server running the S3 plugin, and its plugin folder.
pub struct S3 {
    pub server: Server,
    _plugins: tempfile::TempDir,
}

impl S3 {
    /// An ephemeral server with the S3 plugin.
    pub fn start() -> S3 {
        let plugins = plugin_dir(&["s3"]);
        let server = Server::start(&["--ephemeral", "--plugins", plugins.path().to_str().unwrap()]);
        S3 {
            server,
            _plugins: plugins,
        }
    }

    /// A server with the S3 plugin keeping its data in `data`.
    pub fn start_with_data(data: &std::path::Path) -> S3 {
        let plugins = plugin_dir(&["s3"]);
        let server = Server::start(&[
            "--data-dir",
            data.to_str().unwrap(),
            "--plugins",
            plugins.path().to_str().unwrap(),
        ]);
        S3 {
            server,
            _plugins: plugins,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        self.server.url.clone()
    }

    /// `http://localhost:PORT` (a host name, so botocore may go virtual-hosted).
    pub fn host_url(&self) -> String {
        format!("http://localhost:{}", self.server.port)
    }

    /// Runs the AWS CLI; panics unless it succeeds.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = aws_cli(&self.url(), None, args);
        assert_eq!(out.code, 0, "aws {args:?} failed: {}", out.stderr);
        out.stdout
    }

    /// Runs the AWS CLI and parses its JSON output.
    pub fn json(&self, args: &[&str]) -> Value {
        let out = self.ok(args);
        if out.trim().is_empty() {
            return Value::Null;
        }
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("aws {args:?}: {e}: {out}"))
    }

    /// Runs the AWS CLI expecting failure; returns its output.
    pub fn fails(&self, args: &[&str]) -> CliOutput {
        let out = aws_cli(&self.url(), None, args);
        assert_ne!(out.code, 0, "aws {args:?} should fail: {}", out.stdout);
        out
    }

    /// Runs the AWS CLI expecting the AWS error `code`.
    pub fn fails_with(&self, args: &[&str], code: &str) {
        let out = self.fails(args);
        assert!(
            out.stderr.contains(&format!("({code})")),
            "aws {args:?}: expected {code}, got: {}",
            out.stderr
        );
    }
}

/// Compares two files by content, chunk by chunk.
pub fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    use std::io::Read;
    let (mut fa, mut fb) = (
        std::fs::File::open(a).unwrap(),
        std::fs::File::open(b).unwrap(),
    );
    let (mut ba, mut bb) = (vec![0u8; 1 << 20], vec![0u8; 1 << 20]);
    loop {
        let na = read_full(&mut fa, &mut ba);
        let nb = read_full(&mut fb, &mut bb);
        if na != nb || ba[..na] != bb[..nb] {
            return false;
        }
        if na == 0 {
            return true;
        }
    }
    fn read_full(f: &mut std::fs::File, buf: &mut [u8]) -> usize {
        let mut n = 0;
        while n < buf.len() {
            match f.read(&mut buf[n..]) {
                Ok(0) | Err(_) => break,
                Ok(k) => n += k,
            }
        }
        n
    }
}

/// Writes `size` pseudo-random bytes to `path` (deterministic, fast).
pub fn random_file(path: &std::path::Path, size: usize, seed: u64) {
    use std::io::Write;
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    let mut x = seed | 1;
    let mut buf = vec![0u8; 1 << 20];
    let mut left = size;
    while left > 0 {
        for c in buf.chunks_mut(8) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let b = x.to_le_bytes();
            c.copy_from_slice(&b[..c.len()]);
        }
        let n = left.min(buf.len());
        f.write_all(&buf[..n]).unwrap();
        left -= n;
    }
}
