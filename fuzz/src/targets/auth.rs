//! Signature verification (`ruststack-auth`): SigV4 `Authorization` headers
//! and presigned URLs, S3's SigV2, and aws-chunked bodies with signed
//! chunks, in the three error dialects (S3, JSON, query).
//!
//! A mutated signed request almost never has a matching signature, so a
//! request may ask to be signed again after mutation (control headers,
//! removed before verification): `x-fuzz-sign: header` or `query` signs it
//! with the small SigV4 signer below (AWS's canonical request rules), so
//! mutated paths, queries, headers and bodies also reach what follows a
//! good signature (payload hashes, clock skew, expiry, chunk signatures).
//! `x-fuzz-chunk: N` frames the body as signed aws-chunked data in chunks
//! of N bytes, `x-fuzz-tamper: K` flips body byte K after signing,
//! `x-fuzz-split: K` feeds the chunk verifier K bytes at a time,
//! `x-fuzz-dialect` picks the dialect (else: `x-amz-target` means JSON, a
//! form body or `Action=` query, anything else S3).

use std::time::{Duration, SystemTime};

use hmac::{Hmac, Mac};
use ruststack_auth::{Credentials, Dialect, Payload, Request, Scheme, is_signed, verify};
use ruststack_protocol::{AwsError, Protocol, encode_error};
use sha2::{Digest, Sha256};

use crate::engine::{Layout, Target, class, fnv};
use crate::http::{RawRequest, text};

/// The server time every request is checked at: 2024-01-01T00:00:00Z.
const NOW: u64 = 1_704_067_200;
/// The seeds' request time (basic ISO 8601) and date.
const AMZ_DATE: &str = "20240101T000000Z";
const DATE: &str = "20240101";
/// A key the server knows besides `test`/`test`.
const KEY: (&str, &str) = ("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

fn hmac(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut m = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key");
    m.update(msg);
    m.finalize().into_bytes().into()
}

/// AWS `UriEncode`: everything but `A-Z a-z 0-9 - _ . ~` (and `/` when
/// asked) as upper-case `%XX`.
fn aws_encode(bytes: &[u8], keep_slash: bool) -> String {
    let mut out = String::new();
    for &b in bytes {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) || (keep_slash && b == b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn decode(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hexval = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%'
            && let (Some(h), Some(l)) = (
                b.get(i + 1).and_then(|&c| hexval(c)),
                b.get(i + 2).and_then(|&c| hexval(c)),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

/// The canonical URI: S3's path as clients encode keys; every other
/// service's normalised and encoded once more.
fn canonical_uri(path: &str, s3: bool) -> String {
    if s3 {
        return if path.is_empty() {
            "/".into()
        } else {
            aws_encode(&decode(path), true)
        };
    }
    let mut segs: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                segs.pop();
            }
            s => segs.push(s),
        }
    }
    let trailing = path.ends_with('/') && !segs.is_empty();
    let p = format!("/{}{}", segs.join("/"), if trailing { "/" } else { "" });
    aws_encode(p.as_bytes(), true)
}

fn canonical_query(query: &str) -> String {
    let mut pairs: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
        .filter(|(k, _)| decode(k) != b"X-Amz-Signature")
        .map(|(k, v)| (aws_encode(&decode(k), false), aws_encode(&decode(v), false)))
        .collect();
    pairs.sort();
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// The headers the signer signs, when present.
const SIGNED: [&str; 7] = [
    "content-md5",
    "content-type",
    "host",
    "x-amz-content-sha256",
    "x-amz-date",
    "x-amz-decoded-content-length",
    "x-amz-target",
];

/// Scope and key of a signature: access key, region, service.
struct Signer {
    access_key: String,
    secret: String,
    region: String,
    service: String,
}

impl Signer {
    fn scope(&self) -> String {
        format!("{DATE}/{}/{}/aws4_request", self.region, self.service)
    }

    fn key(&self) -> [u8; 32] {
        let k = hmac(format!("AWS4{}", self.secret).as_bytes(), DATE.as_bytes());
        let k = hmac(&k, self.region.as_bytes());
        let k = hmac(&k, self.service.as_bytes());
        hmac(&k, b"aws4_request")
    }

    fn sign(&self, string_to_sign: &str) -> String {
        hex(&hmac(&self.key(), string_to_sign.as_bytes()))
    }

    /// Signs `req` with an `Authorization` header, or as a presigned URL.
    /// Returns the signature (the seed of chunk signatures).
    fn sign_request(&self, req: &mut RawRequest, presign: bool) -> String {
        let s3 = self.service == "s3";
        req.headers
            .retain(|(k, _)| k != "authorization" && (!presign || k != "x-amz-date"));
        if !presign && !req.headers.iter().any(|(k, _)| k == "x-amz-date") {
            req.headers.push(("x-amz-date".into(), AMZ_DATE.into()));
        }
        let signed: Vec<&str> = SIGNED
            .iter()
            .copied()
            .filter(|n| !presign || *n == "host")
            .filter(|n| req.headers.iter().any(|(k, _)| k == n))
            .collect();
        let signed_list = signed.join(";");
        if presign {
            let extra = format!(
                "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={}&X-Amz-Date={AMZ_DATE}&X-Amz-Expires=3600&X-Amz-SignedHeaders={}",
                aws_encode(
                    format!("{}/{}", self.access_key, self.scope()).as_bytes(),
                    false
                ),
                aws_encode(signed_list.as_bytes(), false),
            );
            req.query = if req.query.is_empty() {
                extra
            } else {
                format!("{}&{extra}", req.query)
            };
        }
        let mut headers = String::new();
        for name in &signed {
            let values: Vec<String> = req
                .headers
                .iter()
                .filter(|(k, _)| k == name)
                .map(|(_, v)| v.split_ascii_whitespace().collect::<Vec<_>>().join(" "))
                .collect();
            headers.push_str(&format!("{name}:{}\n", values.join(",")));
        }
        let payload = match req.header("x-amz-content-sha256") {
            Some(h) if s3 => h.to_string(),
            _ if s3 && presign => "UNSIGNED-PAYLOAD".into(),
            _ => sha256_hex(&req.body),
        };
        let canonical = format!(
            "{}\n{}\n{}\n{headers}\n{signed_list}\n{payload}",
            req.method,
            canonical_uri(&req.path, s3),
            canonical_query(&req.query),
        );
        let sts = format!(
            "AWS4-HMAC-SHA256\n{AMZ_DATE}\n{}\n{}",
            self.scope(),
            sha256_hex(canonical.as_bytes())
        );
        let signature = self.sign(&sts);
        if presign {
            req.query.push_str(&format!("&X-Amz-Signature={signature}"));
        } else {
            req.headers.push((
                "authorization".into(),
                format!(
                    "AWS4-HMAC-SHA256 Credential={}/{}, SignedHeaders={signed_list}, Signature={signature}",
                    self.access_key,
                    self.scope()
                ),
            ));
        }
        signature
    }

    /// Frames `data` as aws-chunked with signed chunks of `size` bytes (and
    /// signed trailers when `trailer`).
    fn frame(&self, data: &[u8], size: usize, seed: &str, trailer: bool) -> Vec<u8> {
        let mut out = Vec::new();
        let mut prev = seed.to_string();
        let empty = sha256_hex(b"");
        let mut chunks: Vec<&[u8]> = data.chunks(size.max(1)).collect();
        chunks.push(&[]);
        for c in chunks {
            let sts = format!(
                "AWS4-HMAC-SHA256-PAYLOAD\n{AMZ_DATE}\n{}\n{prev}\n{empty}\n{}",
                self.scope(),
                sha256_hex(c)
            );
            prev = self.sign(&sts);
            out.extend_from_slice(format!("{:x};chunk-signature={prev}\r\n", c.len()).as_bytes());
            out.extend_from_slice(c);
            if !c.is_empty() {
                out.extend_from_slice(b"\r\n");
            }
        }
        if trailer {
            let trailers = "x-amz-checksum-crc32:DUoRhQ==\n";
            let sts = format!(
                "AWS4-HMAC-SHA256-TRAILER\n{AMZ_DATE}\n{}\n{prev}\n{}",
                self.scope(),
                sha256_hex(trailers.as_bytes())
            );
            let sig = self.sign(&sts);
            out.extend_from_slice(
                format!("x-amz-checksum-crc32:DUoRhQ==\r\nx-amz-trailer-signature:{sig}\r\n\r\n")
                    .as_bytes(),
            );
        } else {
            out.extend_from_slice(b"\r\n");
        }
        out
    }
}

/// The signer for a request: access key, region and service from its
/// credential scope when it has one, else `test`, `us-east-1` and the
/// dialect's usual service.
fn signer_for(req: &RawRequest, dialect: Dialect) -> Signer {
    let credential = req
        .header("authorization")
        .and_then(|a| a.split("Credential=").nth(1))
        .map(|c| c.split([',', ' ']).next().unwrap_or("").to_string())
        .unwrap_or_default();
    let parts: Vec<&str> = credential.split('/').collect();
    let get = |i: usize, d: &str| {
        parts
            .get(i)
            .filter(|s| !s.is_empty())
            .map_or(d.to_string(), |s| s.to_string())
    };
    let service = match dialect {
        Dialect::S3 => "s3",
        Dialect::Json => "dynamodb",
        Dialect::Query => "sqs",
    };
    let access_key = get(0, "test");
    let secret = if access_key == KEY.0 { KEY.1 } else { "test" }.to_string();
    Signer {
        access_key,
        secret,
        region: get(2, "us-east-1"),
        service: get(3, service),
    }
}

fn take(req: &mut RawRequest, name: &str) -> Option<String> {
    let i = req.headers.iter().position(|(k, _)| k == name)?;
    Some(req.headers.remove(i).1)
}

fn dialect_of(req: &RawRequest, named: Option<&str>) -> Dialect {
    match named {
        Some("s3") => return Dialect::S3,
        Some("json") => return Dialect::Json,
        Some("query") => return Dialect::Query,
        _ => {}
    }
    if req.header("x-amz-target").is_some() {
        Dialect::Json
    } else if req
        .header("content-type")
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"))
        || req.query.contains("Action=")
    {
        Dialect::Query
    } else {
        Dialect::S3
    }
}

/// Verifies one request (signed again first if it asks), then runs its body
/// through the chunk verifier when the signature says the chunks are
/// signed; errors are encoded as the dialect's protocol would send them.
fn run(input: &[u8]) -> u64 {
    let mut req = RawRequest::parse(input);
    let sign = take(&mut req, "x-fuzz-sign");
    let chunk = take(&mut req, "x-fuzz-chunk").and_then(|n| n.trim().parse::<usize>().ok());
    let tamper = take(&mut req, "x-fuzz-tamper").and_then(|n| n.trim().parse::<usize>().ok());
    let split = take(&mut req, "x-fuzz-split")
        .and_then(|n| n.trim().parse::<usize>().ok())
        .unwrap_or(usize::MAX)
        .max(1);
    let named = take(&mut req, "x-fuzz-dialect");
    let dialect = dialect_of(&req, named.as_deref());
    if let Some(mode) = sign.as_deref() {
        let signer = signer_for(&req, dialect);
        let streaming = req
            .header("x-amz-content-sha256")
            .filter(|h| h.starts_with("STREAMING-AWS4-HMAC-SHA256-PAYLOAD"))
            .map(|h| h.ends_with("-TRAILER"));
        if let (Some(trailer), Some(size)) = (streaming, chunk) {
            req.headers
                .retain(|(k, _)| k != "x-amz-decoded-content-length");
            req.headers.push((
                "x-amz-decoded-content-length".into(),
                req.body.len().to_string(),
            ));
            let seed = signer.sign_request(&mut req, mode == "query");
            req.body = signer.frame(&req.body, size.min(1 << 16), &seed, trailer);
        } else {
            signer.sign_request(&mut req, mode == "query");
        }
    }
    if let Some(k) = tamper
        && !req.body.is_empty()
    {
        let i = k % req.body.len();
        req.body[i] ^= 1;
    }
    let creds = Credentials::new([(KEY.0.to_string(), KEY.1.to_string())]);
    let r = Request {
        method: &req.method,
        path: &req.path,
        query: &req.query,
        headers: &req.headers,
    };
    let signed = is_signed(&r);
    let now = SystemTime::UNIX_EPOCH + Duration::from_secs(NOW);
    let protocol = match dialect {
        Dialect::S3 => Protocol::RestXml,
        Dialect::Json => Protocol::Json,
        Dialect::Query => Protocol::Query,
    };
    let fail = |e: ruststack_auth::AuthError| {
        let c = class(&e.code, &e.message);
        let resp = encode_error(protocol, &AwsError::from(e), "fuzz-request-id");
        assert!(resp.status >= 400, "an auth error answered {}", resp.status);
        c
    };
    match verify(&creds, dialect, &r, Payload::Bytes(&req.body), now) {
        Ok(v) => {
            assert!(
                signed || v.scheme == Scheme::Anonymous,
                "a request without a signature verified as {:?}",
                v.scheme
            );
            let Some(mut cv) = v.chunk_verifier() else {
                return fnv(format!("{:?}", v.scheme).as_bytes());
            };
            for piece in req.body.chunks(split) {
                if let Err(e) = cv.feed(piece) {
                    return fail(e) ^ 1;
                }
            }
            match cv.finish() {
                Ok(()) => fnv(b"chunks ok"),
                Err(e) => fail(e) ^ 2,
            }
        }
        Err(e) => fail(e),
    }
}

/// Realistic requests of every scheme and dialect; most ask to be signed
/// again after mutation.
fn seeds() -> Vec<Vec<u8>> {
    let host = ("host", "localhost:4566");
    let resign = ("x-fuzz-sign", "header");
    let presign = ("x-fuzz-sign", "query");
    let sha_empty = (
        "x-amz-content-sha256",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
    vec![
        text(
            "GET /fuzz-bucket/photos/2024/cat.jpg",
            &[host, sha_empty, resign],
            "",
        ),
        text(
            "PUT /fuzz-bucket/my%20key%28x%29?tagging",
            &[
                host,
                ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
                ("content-type", "application/xml"),
                resign,
            ],
            "<Tagging><TagSet/></Tagging>",
        ),
        text(
            "PUT /fuzz-bucket/k",
            &[
                host,
                (
                    "x-amz-content-sha256",
                    "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
                ),
                resign,
            ],
            "hello",
        ),
        text(
            "GET /fuzz-bucket?list-type=2&prefix=a%2Fb&max-keys=10",
            &[host, presign],
            "",
        ),
        text(
            "GET /fuzz-bucket/presigned.txt?response-content-type=text%2Fplain",
            &[host, presign],
            "",
        ),
        text(
            "PUT /fuzz-bucket/chunked.bin",
            &[
                host,
                ("content-encoding", "aws-chunked"),
                ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
                resign,
                ("x-fuzz-chunk", "5"),
                ("x-fuzz-split", "7"),
            ],
            "hello world, chunk by chunk",
        ),
        text(
            "PUT /fuzz-bucket/trailer.bin",
            &[
                host,
                ("content-encoding", "aws-chunked"),
                (
                    "x-amz-content-sha256",
                    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
                ),
                ("x-amz-trailer", "x-amz-checksum-crc32"),
                resign,
                ("x-fuzz-chunk", "4"),
            ],
            "hello world",
        ),
        text(
            "PUT /fuzz-bucket/unsigned-trailer.bin",
            &[
                host,
                ("content-encoding", "aws-chunked"),
                ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
                resign,
            ],
            "b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n",
        ),
        text(
            "POST /",
            &[
                host,
                ("x-amz-target", "DynamoDB_20120810.ListTables"),
                ("content-type", "application/x-amz-json-1.0"),
                (
                    "authorization",
                    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/eu-west-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=00",
                ),
                resign,
            ],
            "{}",
        ),
        text(
            "POST /",
            &[
                host,
                (
                    "content-type",
                    "application/x-www-form-urlencoded; charset=utf-8",
                ),
                resign,
            ],
            "Action=SendMessage&QueueUrl=http%3A%2F%2Flocalhost%3A4566%2F000000000000%2Fq&MessageBody=hi&Version=2012-11-05",
        ),
        text(
            "GET /000000000000/q?Action=ReceiveMessage&Version=2012-11-05",
            &[host, presign, ("x-fuzz-dialect", "query")],
            "",
        ),
        text(
            "POST /",
            &[
                host,
                ("content-type", "application/x-www-form-urlencoded"),
                (
                    "authorization",
                    "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/sns/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024",
                ),
                ("x-amz-date", AMZ_DATE),
            ],
            "Action=ListTopics&Version=2010-03-31",
        ),
        text(
            "GET /fuzz-bucket/k",
            &[
                host,
                ("date", "Mon, 01 Jan 2024 00:00:00 GMT"),
                ("authorization", "AWS test:frJIUN8DYpKDtOLCwo//yllqDzg="),
                ("x-amz-meta-a", "1"),
            ],
            "",
        ),
        text(
            "GET /fuzz-bucket/k?AWSAccessKeyId=test&Expires=1704070800&Signature=vjbyPxybdZaNmGa%2ByT272YEAiv4%3D",
            &[host],
            "",
        ),
        text(
            "OPTIONS /fuzz-bucket/k",
            &[host, ("origin", "http://example.com")],
            "",
        ),
        text(
            "POST /fuzz-bucket",
            &[host, ("content-type", "multipart/form-data; boundary=x")],
            "--x--",
        ),
        text(
            "GET /",
            &[
                host,
                (
                    "authorization",
                    "AWS4-HMAC-SHA256 Credential=nobody/20240101/us-east-1/s3/aws4_request,SignedHeaders=host;x-amz-date,Signature=abc",
                ),
                ("x-amz-date", AMZ_DATE),
            ],
            "",
        ),
    ]
}

const AUTH_DICT: &[&str] = &[
    "\nx-fuzz-sign: header",
    "\nx-fuzz-sign: query",
    "\nx-fuzz-chunk: 1",
    "\nx-fuzz-chunk: 65536",
    "\nx-fuzz-tamper: 3",
    "\nx-fuzz-split: 1",
    "\nx-fuzz-dialect: json",
    "\nx-fuzz-dialect: query",
    "\nx-fuzz-dialect: s3",
    "\nx-amz-content-sha256: STREAMING-AWS4-HMAC-SHA256-PAYLOAD",
    "\nx-amz-content-sha256: UNSIGNED-PAYLOAD",
    "\nx-amz-date: 20240101T001600Z",
    "\nx-amz-date: 20231231T234400Z",
    "\ndate: Mon, 01 Jan 2024 00:00:00 GMT",
    "\ncontent-length: 5",
    "\nx-amz-decoded-content-length: ",
    "\nx-amz-security-token: t",
    "\nauthorization: AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=",
    "\nauthorization: AWS test:",
    "\nauthorization: AWS4-ECDSA-P256-SHA256 ",
    "X-Amz-Expires=604801",
    "X-Amz-Expires=-1",
    "&X-Amz-Date=20240101T000000Z",
    "&X-Amz-SignedHeaders=host%3Bx-amz-date",
    "&X-Amz-Credential=test%2F20240101%2Fus-east-1%2Fs3%2Faws4_request",
    "&Signature=",
    "&Expires=",
    "Credential=",
    "SignedHeaders=",
    "Signature=",
    "/aws4_request",
    "AKIDEXAMPLE",
    ";chunk-signature=",
    "x-amz-trailer-signature:",
];

/// SigV4 / SigV2 verification and chunk-signature verification.
pub fn auth() -> Target {
    Target {
        name: "sigv4",
        about: "ruststack-auth: verify() (SigV4 header and presigned, SigV2, dialects S3/Json/Query) and the ChunkVerifier",
        seeds,
        dict: AUTH_DICT,
        max_len: 16 * 1024,
        layout: Layout::HttpJson,
        setup: None,
        reset_every: 0,
        run,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resigned_seeds_verify() {
        // The signer agrees with the verifier on the seeds it signs (else
        // mutated requests would never get past the signature check).
        for s in seeds() {
            let first = String::from_utf8_lossy(&s)
                .lines()
                .next()
                .unwrap_or("")
                .to_string();
            let resigned = String::from_utf8_lossy(&s).contains("x-fuzz-sign");
            let c = run(&s);
            if resigned {
                let ok = [fnv(b"chunks ok"), fnv(b"V4Header"), fnv(b"V4Query")];
                assert!(ok.contains(&c), "{first}: did not verify");
            }
        }
    }
}
