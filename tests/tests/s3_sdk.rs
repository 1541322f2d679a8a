//! S3 through the AWS SDK for Rust (rest-xml, its own parsers, error mapping,
//! `aws-chunked` bodies with trailing checksums), with both path-style and
//! virtual-hosted addressing.

mod s3_common;

use std::sync::{Arc, Mutex};

use aws_sdk_s3::Client;
use aws_sdk_s3::config::interceptors::{
    BeforeTransmitInterceptorContextMut, BeforeTransmitInterceptorContextRef,
    FinalizerInterceptorContextRef,
};
use aws_sdk_s3::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_s3::error::{BoxError, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketVersioningStatus, ChecksumAlgorithm, ChecksumMode, CompletedMultipartUpload,
    CompletedPart, CorsConfiguration, CorsRule, Delete, ObjectIdentifier, Tag, Tagging,
    VersioningConfiguration,
};
use md5::{Digest, Md5};
use ruststack_tests::{Identity, sdk_config};
use s3_common::S3;

/// Sends requests for `<anything>.localhost:PORT` to 127.0.0.1:PORT, keeping
/// the virtual-hosted name in the Host header: a resolver for `*.localhost`
/// at the request level (aws-smithy-http-client only takes a custom DNS
/// resolver together with a TLS provider, and this crate has none).
#[derive(Debug)]
struct LocalhostResolver;

impl Intercept for LocalhostResolver {
    fn name(&self) -> &'static str {
        "LocalhostResolver"
    }

    fn modify_before_transmit(
        &self,
        ctx: &mut BeforeTransmitInterceptorContextMut<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let req = ctx.request_mut();
        let uri = req.uri().to_string();
        let Some(rest) = uri.strip_prefix("http://") else {
            return Ok(());
        };
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let (host, port) = authority.rsplit_once(':').unwrap_or((authority, "80"));
        if host.ends_with(".localhost") {
            let authority = authority.to_string();
            req.set_uri(format!("http://127.0.0.1:{port}{path}"))?;
            if req.headers().get("host").is_none() {
                req.headers_mut().insert("host", authority);
            }
        }
        Ok(())
    }
}

/// Records what one call sent (URI and headers, as transmitted) and the HTTP
/// status of its response.
#[derive(Debug, Clone, Default)]
struct Seen(Arc<Mutex<Seen0>>);

#[derive(Debug, Default)]
struct Seen0 {
    status: Option<u16>,
    uri: String,
    headers: Vec<(String, String)>,
}

impl Seen {
    fn status(&self) -> Option<u16> {
        self.0.lock().unwrap().status
    }

    fn uri(&self) -> String {
        self.0.lock().unwrap().uri.clone()
    }

    fn header(&self, name: &str) -> Option<String> {
        let s = self.0.lock().unwrap();
        s.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    }
}

impl Intercept for Seen {
    fn name(&self) -> &'static str {
        "Seen"
    }

    fn read_before_transmit(
        &self,
        ctx: &BeforeTransmitInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let req = ctx.request();
        let mut s = self.0.lock().unwrap();
        s.uri = req.uri().to_string();
        s.headers = req
            .headers()
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Ok(())
    }

    fn read_after_execution(
        &self,
        ctx: &FinalizerInterceptorContextRef<'_>,
        _rc: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.lock().unwrap().status = ctx.response().map(|r| r.status().as_u16());
        Ok(())
    }
}

/// A client for the server on `port`; `path_style` picks the addressing.
fn sdk(port: u16, path_style: bool) -> Client {
    let url = format!("http://localhost:{port}");
    let conf = aws_sdk_s3::config::Builder::from(&sdk_config(&url, &Identity::default()))
        .force_path_style(path_style)
        .interceptor(LocalhostResolver)
        .build();
    Client::from_conf(conf)
}

async fn body(out: aws_sdk_s3::operation::get_object::GetObjectOutput) -> Vec<u8> {
    out.body.collect().await.unwrap().into_bytes().to_vec()
}

fn md5_hex(data: &[u8]) -> String {
    Md5::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Deterministic pseudo-random bytes.
fn bytes(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2_654_435_761).max(1);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn sdk_bucket_lifecycle_and_errors() {
    let s3 = S3::start();
    let c = sdk(s3.server.port, true);
    c.create_bucket().bucket("sdk-b1").send().await.unwrap();
    c.create_bucket().bucket("sdk-b2").send().await.unwrap();

    // Re-creating a bucket you own answers 200 in us-east-1 (AWS's legacy
    // behaviour), BucketAlreadyOwnedByYou for a bucket of another region.
    let again = c.create_bucket().bucket("sdk-b1").send().await.unwrap();
    assert_eq!(again.location(), Some("/sdk-b1"));
    let in_eu = || {
        c.create_bucket()
            .bucket("sdk-eu")
            .create_bucket_configuration(
                aws_sdk_s3::types::CreateBucketConfiguration::builder()
                    .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::EuWest1)
                    .build(),
            )
            .send()
    };
    in_eu().await.unwrap();
    let err = in_eu().await.unwrap_err();
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_bucket_already_owned_by_you()),
        "{err:?}"
    );

    let head = c.head_bucket().bucket("sdk-b1").send().await.unwrap();
    assert_eq!(head.bucket_region(), Some("us-east-1"));
    let err = c.head_bucket().bucket("sdk-none").send().await.unwrap_err();
    assert!(
        err.as_service_error().is_some_and(|e| e.is_not_found()),
        "{err:?}"
    );

    let listed = c.list_buckets().send().await.unwrap();
    let names: Vec<_> = listed.buckets().iter().filter_map(|b| b.name()).collect();
    assert_eq!(names, ["sdk-b1", "sdk-b2", "sdk-eu"]);
    assert!(listed.buckets()[0].creation_date().is_some());

    c.put_object()
        .bucket("sdk-b1")
        .key("k")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
    let err = c.delete_bucket().bucket("sdk-b1").send().await.unwrap_err();
    assert_eq!(
        err.as_service_error().and_then(|e| e.meta().code()),
        Some("BucketNotEmpty"),
        "{err:?}"
    );
    c.delete_object()
        .bucket("sdk-b1")
        .key("k")
        .send()
        .await
        .unwrap();
    c.delete_bucket().bucket("sdk-b1").send().await.unwrap();

    let err = c.delete_bucket().bucket("sdk-b1").send().await.unwrap_err();
    assert_eq!(
        err.as_service_error().and_then(|e| e.meta().code()),
        Some("NoSuchBucket"),
        "{err:?}"
    );
    let err = c
        .list_objects_v2()
        .bucket("sdk-b1")
        .send()
        .await
        .unwrap_err();
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_no_such_bucket()),
        "{err:?}"
    );
    let listed = c.list_buckets().send().await.unwrap();
    let names: Vec<_> = listed.buckets().iter().filter_map(|b| b.name()).collect();
    assert_eq!(names, ["sdk-b2", "sdk-eu"]);
}

/// Put/get/head/delete, ranges, conditional get and copy, in one addressing
/// style.
async fn objects(c: &Client, bucket: &str) {
    c.create_bucket().bucket(bucket).send().await.unwrap();
    let data = b"hello, ruststack s3 sdk".to_vec();
    let put = c
        .put_object()
        .bucket(bucket)
        .key("dir/obj.txt")
        .content_type("text/plain")
        .metadata("color", "blue")
        .metadata("owner", "sdk")
        .body(ByteStream::from(data.clone()))
        .send()
        .await
        .unwrap();
    let etag = format!("\"{}\"", md5_hex(&data));
    assert_eq!(put.e_tag(), Some(etag.as_str()));

    let got = c
        .get_object()
        .bucket(bucket)
        .key("dir/obj.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(got.content_type(), Some("text/plain"));
    assert_eq!(got.content_length(), Some(data.len() as i64));
    assert_eq!(got.e_tag(), Some(etag.as_str()));
    let meta = got.metadata().unwrap();
    assert_eq!(meta.get("color").map(String::as_str), Some("blue"));
    assert_eq!(meta.get("owner").map(String::as_str), Some("sdk"));
    assert!(got.last_modified().is_some());
    assert_eq!(body(got).await, data);

    let head = c
        .head_object()
        .bucket(bucket)
        .key("dir/obj.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(head.content_length(), Some(data.len() as i64));
    assert_eq!(head.content_type(), Some("text/plain"));
    assert_eq!(head.e_tag(), Some(etag.as_str()));
    assert_eq!(
        head.metadata().unwrap().get("color").map(String::as_str),
        Some("blue")
    );

    // Range: 206 with Content-Range.
    let status = Seen::default();
    let part = c
        .get_object()
        .bucket(bucket)
        .key("dir/obj.txt")
        .range("bytes=7-15")
        .customize()
        .interceptor(status.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(status.status(), Some(206));
    assert_eq!(
        part.content_range(),
        Some(format!("bytes 7-15/{}", data.len()).as_str())
    );
    assert_eq!(part.content_length(), Some(9));
    assert_eq!(body(part).await, &data[7..16]);
    let suffix = c
        .get_object()
        .bucket(bucket)
        .key("dir/obj.txt")
        .range("bytes=-3")
        .send()
        .await
        .unwrap();
    assert_eq!(body(suffix).await, &data[data.len() - 3..]);

    // Conditional get: If-None-Match with the current ETag is a 304, which
    // the SDK surfaces as an (unmodeled) service error.
    let err = c
        .get_object()
        .bucket(bucket)
        .key("dir/obj.txt")
        .if_none_match(&etag)
        .send()
        .await
        .unwrap_err();
    let SdkError::ServiceError(ref e) = err else {
        panic!("{err:?}")
    };
    assert_eq!(e.raw().status().as_u16(), 304);
    let got = c
        .get_object()
        .bucket(bucket)
        .key("dir/obj.txt")
        .if_none_match("\"0123\"")
        .send()
        .await
        .unwrap();
    assert_eq!(body(got).await, data);
    let err = c
        .get_object()
        .bucket(bucket)
        .key("dir/obj.txt")
        .if_match("\"0123\"")
        .send()
        .await
        .unwrap_err();
    let SdkError::ServiceError(ref e) = err else {
        panic!("{err:?}")
    };
    assert_eq!(e.raw().status().as_u16(), 412);

    // Copy keeps body and metadata (COPY directive).
    let copied = c
        .copy_object()
        .bucket(bucket)
        .key("copy.txt")
        .copy_source(format!("{bucket}/dir/obj.txt"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        copied.copy_object_result().and_then(|r| r.e_tag()),
        Some(etag.as_str())
    );
    let got = c
        .get_object()
        .bucket(bucket)
        .key("copy.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(
        got.metadata().unwrap().get("color").map(String::as_str),
        Some("blue")
    );
    assert_eq!(got.content_type(), Some("text/plain"));
    assert_eq!(body(got).await, data);

    c.delete_object()
        .bucket(bucket)
        .key("dir/obj.txt")
        .send()
        .await
        .unwrap();
    let err = c
        .get_object()
        .bucket(bucket)
        .key("dir/obj.txt")
        .send()
        .await
        .unwrap_err();
    assert!(
        err.as_service_error().is_some_and(|e| e.is_no_such_key()),
        "{err:?}"
    );
    let err = c
        .head_object()
        .bucket(bucket)
        .key("dir/obj.txt")
        .send()
        .await
        .unwrap_err();
    assert!(
        err.as_service_error().is_some_and(|e| e.is_not_found()),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sdk_objects_path_style() {
    let s3 = S3::start();
    objects(&sdk(s3.server.port, true), "sdk-path").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sdk_objects_virtual_hosted() {
    let s3 = S3::start();
    let c = sdk(s3.server.port, false);
    objects(&c, "sdk-virtual").await;
    // The request really named the bucket in the Host header, not the path.
    let seen = Seen::default();
    let got = c
        .get_object()
        .bucket("sdk-virtual")
        .key("copy.txt")
        .customize()
        .interceptor(seen.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(
        seen.header("host"),
        Some(format!("sdk-virtual.localhost:{}", s3.server.port))
    );
    assert!(
        seen.uri()
            .starts_with(&format!("http://127.0.0.1:{}/copy.txt", s3.server.port)),
        "{}",
        seen.uri()
    );
    assert_eq!(body(got).await, b"hello, ruststack s3 sdk");
    let status = Seen::default();
    // The bucket really was addressed by host name: a path-style client
    // sees what the virtual-hosted one wrote.
    let p = sdk(s3.server.port, true);
    let got = p
        .get_object()
        .bucket("sdk-virtual")
        .key("copy.txt")
        .customize()
        .interceptor(status.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(status.status(), Some(200));
    assert_eq!(body(got).await, b"hello, ruststack s3 sdk");
}

#[tokio::test(flavor = "multi_thread")]
async fn sdk_list_objects_v2_and_delete_objects() {
    let s3 = S3::start();
    let c = sdk(s3.server.port, true);
    c.create_bucket().bucket("sdk-list").send().await.unwrap();
    let keys = [
        "a.txt", "b/1", "b/2", "b/3", "c/x/1", "c/y", "d", "e", "f", "g",
    ];
    for k in keys {
        c.put_object()
            .bucket("sdk-list")
            .key(k)
            .body(ByteStream::from(k.as_bytes().to_vec()))
            .send()
            .await
            .unwrap();
    }

    let pref = c
        .list_objects_v2()
        .bucket("sdk-list")
        .prefix("b/")
        .send()
        .await
        .unwrap();
    let got: Vec<_> = pref.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(got, ["b/1", "b/2", "b/3"]);
    assert_eq!(pref.key_count(), Some(3));
    assert_eq!(pref.contents()[0].size(), Some(3));

    let delim = c
        .list_objects_v2()
        .bucket("sdk-list")
        .delimiter("/")
        .send()
        .await
        .unwrap();
    let got: Vec<_> = delim.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(got, ["a.txt", "d", "e", "f", "g"]);
    let prefixes: Vec<_> = delim
        .common_prefixes()
        .iter()
        .filter_map(|p| p.prefix())
        .collect();
    assert_eq!(prefixes, ["b/", "c/"]);
    let nested = c
        .list_objects_v2()
        .bucket("sdk-list")
        .prefix("c/")
        .delimiter("/")
        .send()
        .await
        .unwrap();
    let got: Vec<_> = nested.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(got, ["c/y"]);
    let prefixes: Vec<_> = nested
        .common_prefixes()
        .iter()
        .filter_map(|p| p.prefix())
        .collect();
    assert_eq!(prefixes, ["c/x/"]);

    // Pagination with the SDK's paginator, three keys per page.
    let mut pages = c
        .list_objects_v2()
        .bucket("sdk-list")
        .max_keys(3)
        .into_paginator()
        .send();
    let mut all = Vec::new();
    let mut n = 0;
    while let Some(page) = pages.next().await {
        let page = page.unwrap();
        n += 1;
        assert!(page.contents().len() <= 3);
        assert_eq!(page.is_truncated(), Some(n < 4), "page {n}");
        all.extend(
            page.contents()
                .iter()
                .filter_map(|o| o.key().map(String::from)),
        );
    }
    assert_eq!(n, 4);
    assert_eq!(all, keys);

    let del = c
        .delete_objects()
        .bucket("sdk-list")
        .delete(
            Delete::builder()
                .set_objects(Some(
                    ["b/1", "b/2", "nope"]
                        .iter()
                        .map(|k| ObjectIdentifier::builder().key(*k).build().unwrap())
                        .collect(),
                ))
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let mut deleted: Vec<_> = del.deleted().iter().filter_map(|d| d.key()).collect();
    deleted.sort();
    assert_eq!(deleted, ["b/1", "b/2", "nope"]);
    assert!(del.errors().is_empty());
    let quiet = c
        .delete_objects()
        .bucket("sdk-list")
        .delete(
            Delete::builder()
                .objects(ObjectIdentifier::builder().key("d").build().unwrap())
                .quiet(true)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert!(quiet.deleted().is_empty());
    let left = c.list_objects_v2().bucket("sdk-list").send().await.unwrap();
    let got: Vec<_> = left.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(got, ["a.txt", "b/3", "c/x/1", "c/y", "e", "f", "g"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn sdk_multipart_upload() {
    let s3 = S3::start();
    let c = sdk(s3.server.port, true);
    c.create_bucket().bucket("sdk-mpu").send().await.unwrap();
    let part1 = bytes(5 * 1024 * 1024 + 17, 1);
    let part2 = bytes(123_457, 2);
    let up = c
        .create_multipart_upload()
        .bucket("sdk-mpu")
        .key("big.bin")
        .content_type("application/x-test")
        .send()
        .await
        .unwrap();
    let id = up.upload_id().unwrap();
    assert_eq!(up.bucket(), Some("sdk-mpu"));
    assert_eq!(up.key(), Some("big.bin"));

    // Part 1 streams from a file (aws-chunked with a trailing checksum, in
    // many chunks), part 2 is in memory (checksum header).
    let dir = ruststack_tests::tempdir();
    let file = dir.path().join("part1");
    std::fs::write(&file, &part1).unwrap();
    let mut parts = Vec::new();
    for (n, data) in [(1, &part1), (2, &part2)] {
        let seen = Seen::default();
        let stream = if n == 1 {
            ByteStream::from_path(&file).await.unwrap()
        } else {
            ByteStream::from(data.clone())
        };
        let out = c
            .upload_part()
            .bucket("sdk-mpu")
            .key("big.bin")
            .upload_id(id)
            .part_number(n)
            .body(stream)
            .customize()
            .interceptor(seen.clone())
            .send()
            .await
            .unwrap();
        if n == 1 {
            assert_eq!(
                seen.header("content-encoding").as_deref(),
                Some("aws-chunked")
            );
        }
        assert_eq!(out.e_tag(), Some(format!("\"{}\"", md5_hex(data)).as_str()));
        parts.push(
            CompletedPart::builder()
                .part_number(n)
                .e_tag(out.e_tag().unwrap())
                .set_checksum_crc32(out.checksum_crc32().map(String::from))
                .build(),
        );
    }
    let listed = c
        .list_parts()
        .bucket("sdk-mpu")
        .key("big.bin")
        .upload_id(id)
        .send()
        .await
        .unwrap();
    let sizes: Vec<_> = listed.parts().iter().filter_map(|p| p.size()).collect();
    assert_eq!(sizes, [part1.len() as i64, part2.len() as i64]);

    let done = c
        .complete_multipart_upload()
        .bucket("sdk-mpu")
        .key("big.bin")
        .upload_id(id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(parts))
                .build(),
        )
        .send()
        .await
        .unwrap();
    let mut md5s = Vec::new();
    md5s.extend_from_slice(&Md5::digest(&part1));
    md5s.extend_from_slice(&Md5::digest(&part2));
    let etag = format!("\"{}-2\"", md5_hex(&md5s));
    assert_eq!(done.e_tag(), Some(etag.as_str()));
    assert_eq!(done.key(), Some("big.bin"));

    let got = c
        .get_object()
        .bucket("sdk-mpu")
        .key("big.bin")
        .send()
        .await
        .unwrap();
    assert_eq!(got.e_tag(), Some(etag.as_str()));
    assert_eq!(got.content_type(), Some("application/x-test"));
    assert_eq!(
        got.content_length(),
        Some((part1.len() + part2.len()) as i64)
    );
    let all = body(got).await;
    assert!(all[..part1.len()] == part1[..], "part 1 differs");
    assert!(all[part1.len()..] == part2[..], "part 2 differs");

    let err = c
        .list_parts()
        .bucket("sdk-mpu")
        .key("big.bin")
        .upload_id(id)
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err.as_service_error().and_then(|e| e.meta().code()),
        Some("NoSuchUpload"),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sdk_versioning() {
    let s3 = S3::start();
    let c = sdk(s3.server.port, false);
    c.create_bucket().bucket("sdk-ver").send().await.unwrap();
    let before = c
        .get_bucket_versioning()
        .bucket("sdk-ver")
        .send()
        .await
        .unwrap();
    assert_eq!(before.status(), None);
    c.put_bucket_versioning()
        .bucket("sdk-ver")
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let after = c
        .get_bucket_versioning()
        .bucket("sdk-ver")
        .send()
        .await
        .unwrap();
    assert_eq!(after.status(), Some(&BucketVersioningStatus::Enabled));

    let mut ids = Vec::new();
    for text in ["first", "second"] {
        let out = c
            .put_object()
            .bucket("sdk-ver")
            .key("doc")
            .body(ByteStream::from_static(text.as_bytes()))
            .send()
            .await
            .unwrap();
        ids.push(out.version_id().expect("a version id").to_string());
    }
    assert_ne!(ids[0], ids[1]);

    let versions = c
        .list_object_versions()
        .bucket("sdk-ver")
        .send()
        .await
        .unwrap();
    let listed: Vec<_> = versions
        .versions()
        .iter()
        .map(|v| (v.key().unwrap(), v.version_id().unwrap(), v.is_latest()))
        .collect();
    assert_eq!(
        listed,
        [
            ("doc", ids[1].as_str(), Some(true)),
            ("doc", ids[0].as_str(), Some(false))
        ]
    );

    let old = c
        .get_object()
        .bucket("sdk-ver")
        .key("doc")
        .version_id(&ids[0])
        .send()
        .await
        .unwrap();
    assert_eq!(old.version_id(), Some(ids[0].as_str()));
    assert_eq!(body(old).await, b"first");
    let cur = c
        .get_object()
        .bucket("sdk-ver")
        .key("doc")
        .send()
        .await
        .unwrap();
    assert_eq!(cur.version_id(), Some(ids[1].as_str()));
    assert_eq!(body(cur).await, b"second");

    // Delete without a version id: a delete marker.
    let del = c
        .delete_object()
        .bucket("sdk-ver")
        .key("doc")
        .send()
        .await
        .unwrap();
    assert_eq!(del.delete_marker(), Some(true));
    let marker = del
        .version_id()
        .expect("the marker's version id")
        .to_string();
    let err = c
        .get_object()
        .bucket("sdk-ver")
        .key("doc")
        .send()
        .await
        .unwrap_err();
    assert!(
        err.as_service_error().is_some_and(|e| e.is_no_such_key()),
        "{err:?}"
    );
    let versions = c
        .list_object_versions()
        .bucket("sdk-ver")
        .send()
        .await
        .unwrap();
    assert_eq!(versions.versions().len(), 2);
    let markers: Vec<_> = versions
        .delete_markers()
        .iter()
        .map(|m| (m.key().unwrap(), m.version_id().unwrap(), m.is_latest()))
        .collect();
    assert_eq!(markers, [("doc", marker.as_str(), Some(true))]);
    let old = c
        .get_object()
        .bucket("sdk-ver")
        .key("doc")
        .version_id(&ids[1])
        .send()
        .await
        .unwrap();
    assert_eq!(body(old).await, b"second");

    // Deleting the marker brings the object back.
    let del = c
        .delete_object()
        .bucket("sdk-ver")
        .key("doc")
        .version_id(&marker)
        .send()
        .await
        .unwrap();
    assert_eq!(del.version_id(), Some(marker.as_str()));
    let cur = c
        .get_object()
        .bucket("sdk-ver")
        .key("doc")
        .send()
        .await
        .unwrap();
    assert_eq!(body(cur).await, b"second");
}

#[tokio::test(flavor = "multi_thread")]
async fn sdk_bucket_tagging_and_cors() {
    let s3 = S3::start();
    let c = sdk(s3.server.port, true);
    c.create_bucket().bucket("sdk-conf").send().await.unwrap();

    let err = c
        .get_bucket_tagging()
        .bucket("sdk-conf")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err.as_service_error().and_then(|e| e.meta().code()),
        Some("NoSuchTagSet"),
        "{err:?}"
    );
    c.put_bucket_tagging()
        .bucket("sdk-conf")
        .tagging(
            Tagging::builder()
                .tag_set(Tag::builder().key("team").value("core").build().unwrap())
                .tag_set(Tag::builder().key("env").value("test").build().unwrap())
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let tags = c
        .get_bucket_tagging()
        .bucket("sdk-conf")
        .send()
        .await
        .unwrap();
    let mut got: Vec<_> = tags
        .tag_set()
        .iter()
        .map(|t| (t.key(), t.value()))
        .collect();
    got.sort();
    assert_eq!(got, [("env", "test"), ("team", "core")]);
    c.delete_bucket_tagging()
        .bucket("sdk-conf")
        .send()
        .await
        .unwrap();
    let err = c
        .get_bucket_tagging()
        .bucket("sdk-conf")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err.as_service_error().and_then(|e| e.meta().code()),
        Some("NoSuchTagSet"),
        "{err:?}"
    );

    let err = c
        .get_bucket_cors()
        .bucket("sdk-conf")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err.as_service_error().and_then(|e| e.meta().code()),
        Some("NoSuchCORSConfiguration"),
        "{err:?}"
    );
    c.put_bucket_cors()
        .bucket("sdk-conf")
        .cors_configuration(
            CorsConfiguration::builder()
                .cors_rules(
                    CorsRule::builder()
                        .allowed_origins("https://example.com")
                        .allowed_methods("GET")
                        .allowed_methods("PUT")
                        .allowed_headers("*")
                        .expose_headers("ETag")
                        .max_age_seconds(300)
                        .build()
                        .unwrap(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let cors = c.get_bucket_cors().bucket("sdk-conf").send().await.unwrap();
    let rules = cors.cors_rules();
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0].allowed_origins(), ["https://example.com"]);
    assert_eq!(rules[0].allowed_methods(), ["GET", "PUT"]);
    assert_eq!(rules[0].allowed_headers(), ["*"]);
    assert_eq!(rules[0].expose_headers(), ["ETag"]);
    assert_eq!(rules[0].max_age_seconds(), Some(300));
    c.delete_bucket_cors()
        .bucket("sdk-conf")
        .send()
        .await
        .unwrap();
    let err = c
        .get_bucket_cors()
        .bucket("sdk-conf")
        .send()
        .await
        .unwrap_err();
    assert_eq!(
        err.as_service_error().and_then(|e| e.meta().code()),
        Some("NoSuchCORSConfiguration"),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sdk_checksums() {
    let s3 = S3::start();
    for (path_style, bucket) in [(true, "sdk-sum-path"), (false, "sdk-sum-virtual")] {
        let c = sdk(s3.server.port, path_style);
        c.create_bucket().bucket(bucket).send().await.unwrap();
        // Large enough for the SDK to stream it in several aws-chunked
        // chunks, with the checksum in the trailer.
        let data = bytes(300_000, 7);
        let crc = base64(&crc32fast::hash(&data).to_be_bytes());
        // A streaming (file) body: the SDK sends it aws-chunked, with the
        // checksum in a trailer; an in-memory body gets a checksum header.
        let dir = ruststack_tests::tempdir();
        let file = dir.path().join("sum.bin");
        std::fs::write(&file, &data).unwrap();
        let seen = Seen::default();
        let put = c
            .put_object()
            .bucket(bucket)
            .key("sum.bin")
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .body(ByteStream::from_path(&file).await.unwrap())
            .customize()
            .interceptor(seen.clone())
            .send()
            .await
            .unwrap();
        // What the SDK sent: an aws-chunked body with the CRC32 in a trailer.
        assert!(
            seen.header("content-encoding")
                .is_some_and(|e| e.contains("aws-chunked")),
            "{:?}",
            seen.header("content-encoding")
        );
        assert_eq!(
            seen.header("x-amz-trailer").as_deref(),
            Some("x-amz-checksum-crc32")
        );
        assert_eq!(
            seen.header("x-amz-content-sha256").as_deref(),
            Some("STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER")
        );
        assert_eq!(
            seen.header("x-amz-decoded-content-length"),
            Some(data.len().to_string())
        );
        assert_eq!(seen.status(), Some(200));
        assert_eq!(put.checksum_crc32(), Some(crc.as_str()));
        assert_eq!(
            put.e_tag(),
            Some(format!("\"{}\"", md5_hex(&data)).as_str())
        );

        let got = c
            .get_object()
            .bucket(bucket)
            .key("sum.bin")
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .await
            .unwrap();
        assert_eq!(got.checksum_crc32(), Some(crc.as_str()));
        assert_eq!(got.content_length(), Some(data.len() as i64));
        // The SDK validates the body against the checksum while reading.
        assert!(body(got).await == data, "body differs");

        let head = c
            .head_object()
            .bucket(bucket)
            .key("sum.bin")
            .checksum_mode(ChecksumMode::Enabled)
            .send()
            .await
            .unwrap();
        assert_eq!(head.checksum_crc32(), Some(crc.as_str()));

        // Default behaviour (no algorithm given): the SDK still sends a
        // trailing checksum of its choice, and the body must arrive intact.
        let plain = bytes(70_000, 8);
        c.put_object()
            .bucket(bucket)
            .key("plain.bin")
            .body(ByteStream::from(plain.clone()))
            .send()
            .await
            .unwrap();
        let got = c
            .get_object()
            .bucket(bucket)
            .key("plain.bin")
            .send()
            .await
            .unwrap();
        assert!(body(got).await == plain, "body differs");
    }
}
