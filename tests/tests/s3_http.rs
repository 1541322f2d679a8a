//! S3 over raw HTTP, the way curl and browsers talk to it: virtual-hosted
//! addressing (the Host header names the bucket), presigned URLs (SigV2 from
//! the AWS CLI, SigV4 query auth), `aws-chunked` uploads with trailing
//! checksums, Content-MD5, CORS preflights, HEAD errors, and STS.

mod s3_common;

use ruststack_tests::client;
use ruststack_tests::{xml_all, xml_text};
use s3_common::S3;

fn send(
    method: &str,
    url: &str,
    host: Option<&str>,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> (u16, reqwest::header::HeaderMap, String) {
    let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut rb = client().request(m, url).body(body);
    if let Some(h) = host {
        rb = rb.header("host", h);
    }
    for (k, v) in headers {
        rb = rb.header(*k, *v);
    }
    let resp = rb.send().expect("request failed");
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    (status, headers, resp.text().unwrap_or_default())
}

#[test]
fn virtual_hosted_requests_name_the_bucket_in_the_host() {
    let s = S3::start();
    let url = s.url();
    for host in [
        format!("vhost-one.localhost:{}", s.server.port),
        format!("vhost-two.s3.localhost.localstack.cloud:{}", s.server.port),
        "vhost-three.s3.us-east-1.amazonaws.com".to_string(),
    ] {
        let bucket = host.split('.').next().unwrap();
        let (st, _, body) = send("PUT", &format!("{url}/"), Some(&host), &[], vec![]);
        assert_eq!(st, 200, "create via {host}: {body}");
        let (st, h, _) = send("HEAD", &format!("{url}/"), Some(&host), &[], vec![]);
        assert_eq!(st, 200);
        assert_eq!(h["x-amz-bucket-region"], "us-east-1");
        let (st, h, _) = send(
            "PUT",
            &format!("{url}/dir/key%20one.txt"),
            Some(&host),
            &[("content-type", "text/plain")],
            b"virtual".to_vec(),
        );
        assert_eq!(st, 200);
        assert!(h.contains_key("etag"));
        // The same object, path-style.
        let (st, _, body) = send(
            "GET",
            &format!("{url}/{bucket}/dir/key%20one.txt"),
            None,
            &[],
            vec![],
        );
        assert_eq!((st, body.as_str()), (200, "virtual"));
        let (st, _, body) = send(
            "GET",
            &format!("{url}/?list-type=2&prefix=dir/"),
            Some(&host),
            &[],
            vec![],
        );
        assert_eq!(st, 200);
        assert_eq!(xml_text(&body, "Name"), Some(bucket));
        assert_eq!(xml_text(&body, "Key"), Some("dir/key one.txt"));
        // Sub-resources work virtual-hosted too.
        let (st, _, body) = send("GET", &format!("{url}/?cors"), Some(&host), &[], vec![]);
        assert_eq!(st, 404);
        assert_eq!(xml_text(&body, "Code"), Some("NoSuchCORSConfiguration"));
    }
    let (st, _, body) = send("GET", &format!("{url}/"), None, &[], vec![]);
    assert_eq!(st, 200);
    assert_eq!(
        xml_all(&body, "Name").len(),
        3,
        "path-style / is ListBuckets: {body}"
    );
}

#[test]
fn presigned_urls_work_until_they_expire() {
    let s = S3::start();
    s.ok(&["s3", "mb", "s3://presign"]);
    let dir = ruststack_tests::tempdir();
    let f = dir.path().join("f");
    std::fs::write(&f, "secret").unwrap();
    s.ok(&["s3", "cp", f.to_str().unwrap(), "s3://presign/obj"]);
    // The CLI presigns (SigV2 query auth in this CLI version).
    let url = s.ok(&["s3", "presign", "s3://presign/obj", "--expires-in", "300"]);
    let (st, _, body) = send("GET", url.trim(), None, &[], vec![]);
    assert_eq!((st, body.as_str()), (200, "secret"));
    let url = s.ok(&["s3", "presign", "s3://presign/obj", "--expires-in", "1"]);
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let (st, _, body) = send("GET", url.trim(), None, &[], vec![]);
    assert_eq!(st, 403, "{body}");
    assert_eq!(xml_text(&body, "Code"), Some("AccessDenied"));

    // SigV4 query auth, as the SDKs presign: PUT then GET then DELETE.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let amz_date = |t: u64| {
        let out = std::process::Command::new("date")
            .args(["-u", "-d", &format!("@{t}"), "+%Y%m%dT%H%M%SZ"])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    };
    let v4 = |path: &str, date: &str, expires: u32| {
        format!(
            "{}{path}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=test%2F{}%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date={date}&X-Amz-Expires={expires}&X-Amz-SignedHeaders=host&X-Amz-Signature=0000",
            s.url(),
            &date[..8]
        )
    };
    let date = amz_date(now);
    let (st, _, body) = send(
        "PUT",
        &v4("/presign/v4.txt", &date, 600),
        None,
        &[],
        b"v4 body".to_vec(),
    );
    assert_eq!(st, 200, "{body}");
    let (st, _, body) = send("GET", &v4("/presign/v4.txt", &date, 600), None, &[], vec![]);
    assert_eq!((st, body.as_str()), (200, "v4 body"));
    let (st, _, _) = send(
        "HEAD",
        &v4("/presign/v4.txt", &date, 600),
        None,
        &[],
        vec![],
    );
    assert_eq!(st, 200);
    let old = amz_date(now - 3600);
    let (st, _, body) = send("GET", &v4("/presign/v4.txt", &old, 60), None, &[], vec![]);
    assert_eq!(st, 403);
    assert_eq!(xml_text(&body, "Message"), Some("Request has expired"));
    let (st, _, _) = send(
        "DELETE",
        &v4("/presign/v4.txt", &date, 600),
        None,
        &[],
        vec![],
    );
    assert_eq!(st, 204);
    let (st, _, _) = send("GET", &v4("/presign/v4.txt", &date, 600), None, &[], vec![]);
    assert_eq!(st, 404);
}

fn chunked(data: &[u8], chunk: usize, trailer: Option<(&str, &str)>) -> Vec<u8> {
    let mut out = Vec::new();
    for c in data.chunks(chunk) {
        out.extend_from_slice(format!("{:x};chunk-signature=abcd\r\n", c.len()).as_bytes());
        out.extend_from_slice(c);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0;chunk-signature=abcd\r\n");
    if let Some((k, v)) = trailer {
        out.extend_from_slice(format!("{k}:{v}\r\n").as_bytes());
    }
    out.extend_from_slice(b"\r\n");
    out
}

#[test]
fn aws_chunked_uploads_are_unframed_and_checksums_verified() {
    let s = S3::start();
    let url = s.url();
    s.ok(&["s3", "mb", "s3://chunky"]);
    // 3 MiB in 64 KiB chunks: the body arrives as a blob, unframed by ranges.
    let data: Vec<u8> = (0..3 * 1024 * 1024u32)
        .map(|i| (i * 31 % 251) as u8)
        .collect();
    let crc = {
        // CRC32 (IEEE) of the data, base64 of the big-endian bytes.
        let mut table = [0u32; 256];
        for (i, t) in table.iter_mut().enumerate() {
            let mut c = i as u32;
            for _ in 0..8 {
                c = if c & 1 != 0 {
                    0xEDB8_8320 ^ (c >> 1)
                } else {
                    c >> 1
                };
            }
            *t = c;
        }
        let mut c = !0u32;
        for &b in &data {
            c = table[((c ^ b as u32) & 0xFF) as usize] ^ (c >> 8);
        }
        let b = (!c).to_be_bytes();
        base64(&b)
    };
    let len = data.len().to_string();
    let headers = [
        ("content-encoding", "aws-chunked"),
        ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
        ("x-amz-trailer", "x-amz-checksum-crc32"),
        ("x-amz-decoded-content-length", len.as_str()),
    ];
    let body = chunked(&data, 65536, Some(("x-amz-checksum-crc32", &crc)));
    let (st, h, text) = send("PUT", &format!("{url}/chunky/big"), None, &headers, body);
    assert_eq!(st, 200, "{text}");
    assert_eq!(h["x-amz-checksum-crc32"], crc.as_str());
    let resp = client().get(format!("{url}/chunky/big")).send().unwrap();
    assert!(
        resp.headers().get("content-encoding").is_none(),
        "aws-chunked is not stored"
    );
    assert_eq!(resp.bytes().unwrap().as_ref(), data.as_slice());

    // A small one stays inline; same rules.
    let body = chunked(
        b"hello world",
        5,
        Some(("x-amz-checksum-crc32", "DUoRhQ==")),
    );
    let (st, _, _) = send(
        "PUT",
        &format!("{url}/chunky/small"),
        None,
        &headers[..3],
        body,
    );
    assert_eq!(st, 200);
    let (_, _, text) = send("GET", &format!("{url}/chunky/small"), None, &[], vec![]);
    assert_eq!(text, "hello world");

    // A wrong trailing checksum is BadDigest, and nothing is stored.
    let body = chunked(
        b"hello world",
        5,
        Some(("x-amz-checksum-crc32", "AAAAAA==")),
    );
    let (st, _, text) = send(
        "PUT",
        &format!("{url}/chunky/bad"),
        None,
        &headers[..3],
        body,
    );
    assert_eq!(st, 400);
    assert_eq!(xml_text(&text, "Code"), Some("BadDigest"));
    let (st, _, _) = send("HEAD", &format!("{url}/chunky/bad"), None, &[], vec![]);
    assert_eq!(st, 404);

    // Content-MD5.
    let (st, _, _) = send(
        "PUT",
        &format!("{url}/chunky/md5"),
        None,
        &[("content-md5", "XrY7u+Ae7tCTyyK7j1rNww==")],
        b"hello world".to_vec(),
    );
    assert_eq!(st, 200);
    let (st, _, text) = send(
        "PUT",
        &format!("{url}/chunky/md5"),
        None,
        &[("content-md5", "AAAAAAAAAAAAAAAAAAAAAA==")],
        b"hello world".to_vec(),
    );
    assert_eq!(st, 400);
    assert_eq!(xml_text(&text, "Code"), Some("BadDigest"));
    let (st, _, text) = send(
        "PUT",
        &format!("{url}/chunky/md5"),
        None,
        &[("content-md5", "nope")],
        b"x".to_vec(),
    );
    assert_eq!(st, 400);
    assert_eq!(xml_text(&text, "Code"), Some("InvalidDigest"));
}

fn base64(b: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in b.chunks(3) {
        let n = (c[0] as u32) << 16
            | (*c.get(1).unwrap_or(&0) as u32) << 8
            | *c.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= c.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn cors_preflights_and_responses_follow_the_bucket_rules() {
    let s = S3::start();
    let url = s.url();
    s.ok(&["s3", "mb", "s3://corsy"]);
    let (st, _, text) = send(
        "OPTIONS",
        &format!("{url}/corsy/k"),
        None,
        &[
            ("origin", "https://app.example.com"),
            ("access-control-request-method", "GET"),
        ],
        vec![],
    );
    assert_eq!(st, 403, "no CORS configuration: {text}");
    let cfg = r#"<CORSConfiguration><CORSRule><AllowedOrigin>https://*.example.com</AllowedOrigin><AllowedMethod>GET</AllowedMethod><AllowedMethod>PUT</AllowedMethod><AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>600</MaxAgeSeconds></CORSRule></CORSConfiguration>"#;
    let (st, _, text) = send(
        "PUT",
        &format!("{url}/corsy?cors"),
        None,
        &[],
        cfg.as_bytes().to_vec(),
    );
    assert_eq!(st, 200, "{text}");
    let (st, h, _) = send(
        "OPTIONS",
        &format!("{url}/corsy/k"),
        None,
        &[
            ("origin", "https://app.example.com"),
            ("access-control-request-method", "PUT"),
            ("access-control-request-headers", "content-type, x-amz-date"),
        ],
        vec![],
    );
    assert_eq!(st, 200);
    assert_eq!(h["access-control-allow-origin"], "https://app.example.com");
    assert_eq!(h["access-control-allow-methods"], "GET, PUT");
    assert_eq!(h["access-control-max-age"], "600");
    assert!(
        h["access-control-allow-headers"]
            .to_str()
            .unwrap()
            .contains("x-amz-date")
    );
    let (st, _, _) = send(
        "OPTIONS",
        &format!("{url}/corsy/k"),
        None,
        &[
            ("origin", "https://evil.test"),
            ("access-control-request-method", "GET"),
        ],
        vec![],
    );
    assert_eq!(st, 403);
    let (st, _, _) = send(
        "OPTIONS",
        &format!("{url}/corsy/k"),
        None,
        &[
            ("origin", "https://app.example.com"),
            ("access-control-request-method", "DELETE"),
        ],
        vec![],
    );
    assert_eq!(st, 403);
    send("PUT", &format!("{url}/corsy/k"), None, &[], b"x".to_vec());
    let (st, h, _) = send(
        "GET",
        &format!("{url}/corsy/k"),
        None,
        &[("origin", "https://app.example.com")],
        vec![],
    );
    assert_eq!(st, 200);
    assert_eq!(h["access-control-allow-origin"], "https://app.example.com");
    assert_eq!(h["access-control-expose-headers"], "ETag");
    let (_, h, _) = send(
        "GET",
        &format!("{url}/corsy/k"),
        None,
        &[("origin", "https://other.test")],
        vec![],
    );
    assert!(h.get("access-control-allow-origin").is_none());
}

#[test]
fn errors_have_aws_shapes_and_head_errors_no_body() {
    let s = S3::start();
    let url = s.url();
    let (st, h, body) = send("HEAD", &format!("{url}/no-such-bucket"), None, &[], vec![]);
    assert_eq!((st, body.as_str()), (404, ""));
    assert!(h.contains_key("x-amz-request-id"));
    let (st, _, body) = send(
        "GET",
        &format!("{url}/no-such-bucket/key"),
        None,
        &[],
        vec![],
    );
    assert_eq!(st, 404);
    assert_eq!(xml_text(&body, "Code"), Some("NoSuchBucket"));
    assert_eq!(xml_text(&body, "BucketName"), Some("no-such-bucket"));
    assert!(xml_text(&body, "RequestId").is_some());
    send("PUT", &format!("{url}/errs"), None, &[], vec![]);
    let (st, _, body) = send("GET", &format!("{url}/errs/missing"), None, &[], vec![]);
    assert_eq!(st, 404);
    assert_eq!(xml_text(&body, "Code"), Some("NoSuchKey"));
    assert_eq!(xml_text(&body, "Key"), Some("missing"));
    let (st, _, body) = send(
        "PUT",
        &format!("{url}/errs?versioning"),
        None,
        &[],
        b"<Versioning".to_vec(),
    );
    assert_eq!(st, 400);
    assert_eq!(xml_text(&body, "Code"), Some("MalformedXML"));
    let (st, _, body) = send(
        "POST",
        &format!("{url}/errs?list-type=2"),
        None,
        &[],
        vec![],
    );
    assert!(st == 405 || st == 400, "{st} {body}");
}

#[test]
fn sts_get_caller_identity_answers_the_local_account() {
    let s = S3::start();
    let (st, _, body) = send(
        "POST",
        &format!("{}/", s.url()),
        None,
        &[("content-type", "application/x-www-form-urlencoded")],
        b"Action=GetCallerIdentity&Version=2011-06-15".to_vec(),
    );
    assert_eq!(st, 200, "{body}");
    assert_eq!(xml_text(&body, "Account"), Some("000000000000"));
    assert_eq!(
        xml_text(&body, "Arn"),
        Some("arn:aws:iam::000000000000:root")
    );
    let id = s.json(&["sts", "get-caller-identity"]);
    assert_eq!(id["Account"], "000000000000");
}
