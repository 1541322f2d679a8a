//! S3: aws-chunked unframing of upload bodies (in memory and from a blob),
//! and whole requests through the S3 plugin's handler on the test kit.

use ruststack_sdk::testkit::{self, RequestBuilder};
use ruststack_sdk::{Body, Outcome, Request, blobs};

use crate::engine::{Layout, Target, class, fnv};
use crate::http::RawRequest;
use crate::seeds;

const CHUNKED_DICT: &[&str] = &[
    "\r\n",
    "0\r\n\r\n",
    "5\r\nhello\r\n",
    ";chunk-signature=",
    "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
    "x-amz-checksum-crc32:",
    "x-amz-trailer-signature:",
    "ffffffffffffffee",
    "fffffffffffffff0",
    "8000000000000000",
    "0000000000000001",
    "10000",
    "\r\n\r\n",
];

/// The text of a request's aws-chunked body after the headers.
fn chunked_seeds() -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = vec![
        b"5;chunk-signature=abc\r\nhello\r\n3;chunk-signature=d\r\n wo\r\n0;chunk-signature=e\r\nx-amz-checksum-crc32:AAAAAA==\r\nx-amz-trailer-signature:f\r\n\r\n".to_vec(),
        b"b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n".to_vec(),
        b"0\r\n\r\n".to_vec(),
        b"0;chunk-signature=b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9\r\n\r\n".to_vec(),
        b"10000;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\n".to_vec(),
        b"1\r\na\r\n1\r\nb\r\n1\r\nc\r\n0\r\nx-amz-checksum-sha256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=\r\n\r\n".to_vec(),
    ];
    let mut big = b"400;chunk-signature=0000\r\n".to_vec();
    big.extend(std::iter::repeat_n(b'x', 0x400));
    big.extend_from_slice(b"\r\n0;chunk-signature=1111\r\n\r\n");
    out.push(big);
    out
}

/// One aws-chunked body through `ingest`, the way PutObject and UploadPart
/// take it: from memory, then from a blob (what the host hands over for
/// bodies past the inline size), then from a slice of a blob.
fn chunked_run(input: &[u8]) -> u64 {
    let req = |body: Body| -> Request {
        let mut r = RequestBuilder::new("PUT", "/fuzz-bucket/k")
            .header("content-encoding", "aws-chunked")
            .header("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
            .build();
        r.body = body;
        r
    };
    let mut classes = 0u64;
    let mut sizes = Vec::new();
    let bodies = [
        Body::Bytes(input.to_vec()),
        Body::Blob(blobs::whole(&testkit::add_blob(input))),
        {
            let mut framed = b"junk".to_vec();
            framed.extend_from_slice(input);
            framed.extend_from_slice(b"tail");
            Body::Blob(ruststack_sdk::BlobSlice {
                blob: testkit::add_blob(&framed),
                offset: 4,
                length: Some(input.len() as u64),
            })
        },
    ];
    for body in bodies {
        let r = req(body);
        assert!(s3::fuzzing::is_chunked(&r));
        match s3::fuzzing::ingest(&r) {
            Ok(got) => {
                let stored = blobs::size(&got.blob).expect("the ingested blob exists");
                assert_eq!(stored, got.size, "the blob holds the reported size");
                assert!(got.size <= input.len() as u64, "more data than body bytes");
                sizes.push(got.size);
                classes = classes.rotate_left(3) ^ fnv(&[got.trailers.len().min(4) as u8]);
            }
            Err(e) => classes = classes.rotate_left(3) ^ class(&e.code, &e.message),
        }
    }
    assert!(
        sizes.windows(2).all(|w| w[0] == w[1]),
        "memory and blob bodies unframe alike: {sizes:?}"
    );
    classes
}

/// aws-chunked framing (`plugins/s3/src/chunked.rs`) through `ingest`.
pub fn chunked() -> Target {
    Target {
        name: "s3-chunked",
        about: "S3 aws-chunked unframing (chunked::ingest -> unframe) from memory and from blobs",
        seeds: chunked_seeds,
        dict: CHUNKED_DICT,
        max_len: 8 * 1024,
        layout: Layout::Bytes,
        setup: Some(testkit::reset),
        reset_every: 512,
        run: chunked_run,
    }
}

/// Turns the text form into a plugin request: headers as written (so
/// `host` decides virtual-hosted addressing), a blob body when the request
/// says `x-fuzz-body: blob` (what the host does for large bodies).
pub fn request(input: &[u8]) -> Request {
    let raw = RawRequest::parse(input);
    let mut b = RequestBuilder::new(&raw.method, &raw.path).query(&raw.query);
    b = if raw.header("x-fuzz-body") == Some("blob") {
        b.blob_body(&raw.body)
    } else {
        b.body(&raw.body)
    };
    let mut req = b.build();
    if let Some(host) = raw.header("host") {
        req.context.host = host.split(':').next().unwrap_or("").to_string();
    }
    req.headers = raw.headers;
    req
}

/// Serves one request with plugin `S`; a panic in the handler is re-raised
/// (the test kit catches it to discard the writes, as the host does).
pub fn serve<S: ruststack_sdk::Service>(req: Request) -> u64 {
    match testkit::serve::<S>(req) {
        Ok(Outcome::Respond(r)) => {
            let body = match r.body {
                Body::Empty => Vec::new(),
                Body::Bytes(b) => b,
                Body::Blob(_) => Vec::new(),
            };
            crate::targets::response_class(r.status, &body)
        }
        Ok(Outcome::Wait(w)) => fnv(format!("wait {}", w.timeout_ms.min(1)).as_bytes()),
        Err(panic) => panic!("the plugin panicked: {panic}"),
    }
}

/// Sends a setup request and insists that it worked.
pub fn must<S: ruststack_sdk::Service>(req: Request, what: &str) {
    match testkit::serve::<S>(req) {
        Ok(Outcome::Respond(r)) if r.status < 300 => {}
        Ok(Outcome::Respond(r)) => panic!(
            "fuzz setup: {what} answered {}: {:?}",
            r.status,
            match r.body {
                Body::Bytes(b) => String::from_utf8_lossy(&b).into_owned(),
                _ => String::new(),
            }
        ),
        Ok(Outcome::Wait(_)) => panic!("fuzz setup: {what} asked to wait"),
        Err(p) => panic!("fuzz setup: {what} panicked: {p}"),
    }
}

/// A fresh test kit with the seeds' bucket and two objects in it.
fn s3_setup() {
    testkit::reset();
    must::<s3::S3>(
        RequestBuilder::new("PUT", &format!("/{}", seeds::BUCKET)).build(),
        "CreateBucket",
    );
    ruststack_sdk::scope::with(ruststack_sdk::scope::Scope::Partition, || {
        for (key, body) in [
            ("photos/2024/cat.jpg", &b"hello world"[..]),
            ("big.bin", &[7u8; 100][..]),
        ] {
            s3::fuzzing::put_object(
                seeds::BUCKET,
                &s3::fuzzing::Obj {
                    key: key.into(),
                    blob: testkit::add_blob(body),
                    size: body.len() as u64,
                    etag: "5eb63bbbe01eeed093cb22bb8f5acdc3".into(),
                    modified_ms: 1_700_000_000_000,
                    content_type: Some("image/jpeg".into()),
                    ..Default::default()
                },
            );
        }
    });
}

fn plugin_seeds() -> Vec<Vec<u8>> {
    let mut s = seeds::s3();
    s.push(crate::http::text(
        "PUT /fuzz-bucket/blob.bin",
        &[
            ("x-fuzz-body", "blob"),
            ("content-encoding", "aws-chunked"),
            ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
        ],
        "3;chunk-signature=aa\r\nabc\r\n0;chunk-signature=bb\r\n\r\n",
    ));
    s
}

/// Whole S3 requests through the plugin's handler.
pub fn plugin() -> Target {
    fn run(input: &[u8]) -> u64 {
        serve::<s3::S3>(request(input))
    }
    Target {
        name: "plugin-s3",
        about: "whole S3 requests through the S3 plugin's handler (test kit storage)",
        seeds: plugin_seeds,
        dict: super::protocol::S3_DICT,
        max_len: 16 * 1024,
        layout: Layout::Bytes,
        setup: Some(s3_setup),
        reset_every: 1000,
        run,
    }
}

/// Walks a framed body with the shared line parsers, as a streaming reader
/// (the host's chunk-signature verifier) does: chunk headers up to the zero
/// chunk, then trailer lines up to an empty line; checks what the parsers
/// promise about what they accept.
fn aws_chunked_run(input: &[u8]) -> u64 {
    use ruststack_protocol::aws_chunked::{MAX_LINE, parse_chunk_header, parse_trailer};
    let line_at = |at: usize| -> Option<(&[u8], usize)> {
        let rest = input.get(at..)?;
        let window = &rest[..rest.len().min(MAX_LINE + 2)];
        let end = window.windows(2).position(|w| w == b"\r\n")?;
        Some((&rest[..end], at + end + 2))
    };
    let mut at = 0usize;
    let mut c = 0u64;
    loop {
        let Some((line, next)) = line_at(at) else {
            return c ^ fnv(b"short");
        };
        let h = match parse_chunk_header(line) {
            Ok(h) => h,
            Err(e) => return c ^ class("header", &e.to_string()),
        };
        assert!(line.len() <= MAX_LINE);
        if let Some(sig) = h.signature {
            assert!(
                (1..=64).contains(&sig.len()) && sig.bytes().all(|b| b.is_ascii_hexdigit()),
                "signature {sig:?}"
            );
        }
        c = c.rotate_left(1) ^ u64::from(h.signature.is_some());
        if h.size == 0 {
            at = next;
            break;
        }
        let Some(end) = (next as u64)
            .checked_add(h.size)
            .filter(|&e| e <= input.len() as u64)
        else {
            return c ^ fnv(b"past end");
        };
        at = end as usize;
        if input.get(at..at + 2) == Some(b"\r\n") {
            at += 2;
        }
    }
    while let Some((line, next)) = line_at(at) {
        at = next;
        if line.is_empty() {
            break;
        }
        match parse_trailer(line) {
            Ok((name, value)) => {
                assert!(!name.is_empty() && !name.contains(':'), "name {name:?}");
                assert_eq!(value, value.trim_matches([' ', '\t']), "value {value:?}");
                assert!(!value.chars().any(char::is_control), "value {value:?}");
                c = c.rotate_left(1) ^ fnv(name.to_ascii_lowercase().as_bytes());
            }
            Err(e) => return c ^ class("trailer", &e.to_string()),
        }
    }
    c
}

/// The aws-chunked line parsers shared by the S3 plugin and the host's
/// signature verifier (`sdk/protocol/src/aws_chunked.rs`).
pub fn aws_chunked() -> Target {
    Target {
        name: "aws-chunked",
        about: "aws_chunked::parse_chunk_header / parse_trailer over whole framed bodies",
        seeds: chunked_seeds,
        dict: CHUNKED_DICT,
        max_len: 8 * 1024,
        layout: Layout::Bytes,
        setup: None,
        reset_every: 0,
        run: aws_chunked_run,
    }
}
