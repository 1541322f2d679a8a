//! S3 details through the AWS SDK for Rust where AWS's behaviour is easy to
//! get wrong: conditional writes (PutObject and CompleteMultipartUpload, with
//! If-Match and If-None-Match, on present and absent objects), completing an
//! upload twice, non-ASCII metadata, bodies without a length, and values
//! outside the model's enums (each answered with S3's own error).

mod s3_common;

use std::io::{Read, Write};

use aws_sdk_s3::Client;
use aws_sdk_s3::error::ProvideErrorMetadata;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use ruststack_tests::{Identity, sdk_config};
use s3_common::S3;

fn sdk(url: &str) -> Client {
    let conf = aws_sdk_s3::config::Builder::from(&sdk_config(url, &Identity::default()))
        .force_path_style(true)
        .build();
    Client::from_conf(conf)
}

/// (HTTP status, error code) of a failed call.
fn failure<E: ProvideErrorMetadata + std::fmt::Debug, R: std::fmt::Debug>(
    r: Result<R, aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>>,
) -> (u16, String) {
    let e = r.expect_err("the call must fail");
    let status = e.raw_response().map(|r| r.status().as_u16()).unwrap_or(0);
    let code = e
        .as_service_error()
        .and_then(|s| s.code())
        .unwrap_or_default()
        .to_string();
    (status, code)
}

async fn put(c: &Client, key: &str, body: &str) -> String {
    c.put_object()
        .bucket("cond")
        .key(key)
        .body(ByteStream::from(body.as_bytes().to_vec()))
        .send()
        .await
        .unwrap()
        .e_tag()
        .unwrap()
        .to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn conditional_put_object() {
    let s3 = S3::start();
    let c = sdk(&s3.url());
    c.create_bucket().bucket("cond").send().await.unwrap();
    let attempt = |key: &str, if_match: Option<&str>, if_none: Option<&str>| {
        c.put_object()
            .bucket("cond")
            .key(key)
            .set_if_match(if_match.map(String::from))
            .set_if_none_match(if_none.map(String::from))
            .body(ByteStream::from_static(b"new"))
            .send()
    };
    // If-None-Match: * — absent: written; present: 412.
    attempt("a", None, Some("*"))
        .await
        .expect("absent key, If-None-Match *");
    assert_eq!(
        failure(attempt("a", None, Some("*")).await),
        (412, "PreconditionFailed".into())
    );
    // If-Match — absent: 404 NoSuchKey; wrong ETag: 412; right ETag: written.
    assert_eq!(
        failure(attempt("b", Some("\"0123456789abcdef0123456789abcdef\""), None).await),
        (404, "NoSuchKey".into())
    );
    let etag = put(&c, "b", "old").await;
    assert_eq!(
        failure(attempt("b", Some("\"0123456789abcdef0123456789abcdef\""), None).await),
        (412, "PreconditionFailed".into())
    );
    let leaked: &'static str = Box::leak(etag.into_boxed_str());
    attempt("b", Some(leaked), None)
        .await
        .expect("matching ETag");
    // If-None-Match with an ETag is plain HTTP that S3 does not implement.
    assert_eq!(
        failure(attempt("b", None, Some("\"0123456789abcdef0123456789abcdef\"")).await),
        (501, "NotImplemented".into())
    );
    let got = c.get_object().bucket("cond").key("b").send().await.unwrap();
    assert_eq!(
        got.body.collect().await.unwrap().into_bytes().as_ref(),
        b"new"
    );
}

/// Starts an upload of `key` with one part; (upload id, the completion).
async fn one_part_upload(c: &Client, key: &str) -> (String, CompletedMultipartUpload) {
    let id = c
        .create_multipart_upload()
        .bucket("cond")
        .key(key)
        .send()
        .await
        .unwrap()
        .upload_id()
        .unwrap()
        .to_string();
    let part = c
        .upload_part()
        .bucket("cond")
        .key(key)
        .upload_id(&id)
        .part_number(1)
        .body(ByteStream::from_static(b"multipart body"))
        .send()
        .await
        .unwrap();
    let done = CompletedMultipartUpload::builder()
        .parts(
            CompletedPart::builder()
                .part_number(1)
                .e_tag(part.e_tag().unwrap())
                .build(),
        )
        .build();
    (id, done)
}

#[tokio::test(flavor = "multi_thread")]
async fn conditional_and_repeated_complete_multipart_upload() {
    let s3 = S3::start();
    let c = sdk(&s3.url());
    c.create_bucket().bucket("cond").send().await.unwrap();
    let complete = |key: &str,
                    id: &str,
                    done: &CompletedMultipartUpload,
                    if_match: Option<&str>,
                    if_none: Option<&str>| {
        c.complete_multipart_upload()
            .bucket("cond")
            .key(key)
            .upload_id(id)
            .multipart_upload(done.clone())
            .set_if_match(if_match.map(String::from))
            .set_if_none_match(if_none.map(String::from))
            .send()
    };
    // If-Match on a key that does not exist: 404 NoSuchKey, the upload stays.
    let (id, done) = one_part_upload(&c, "m").await;
    assert_eq!(
        failure(
            complete(
                "m",
                &id,
                &done,
                Some("\"0123456789abcdef0123456789abcdef\""),
                None
            )
            .await
        ),
        (404, "NoSuchKey".into())
    );
    // If-None-Match: * on an absent key completes.
    let first = complete("m", &id, &done, None, Some("*"))
        .await
        .expect("absent key");
    // Completing again with the same parts answers as the first time did.
    let again = complete("m", &id, &done, None, None)
        .await
        .expect("a repeated completion");
    assert_eq!(again.e_tag(), first.e_tag());
    // With other parts it is an unknown upload.
    let other = CompletedMultipartUpload::builder()
        .parts(
            CompletedPart::builder()
                .part_number(1)
                .e_tag("\"ffffffffffffffffffffffffffffffff\"")
                .build(),
        )
        .build();
    assert_eq!(
        failure(complete("m", &id, &other, None, None).await),
        (404, "NoSuchUpload".into())
    );
    // The key now exists: If-None-Match: * and a wrong If-Match get 412.
    let (id2, done2) = one_part_upload(&c, "m").await;
    assert_eq!(
        failure(complete("m", &id2, &done2, None, Some("*")).await),
        (412, "PreconditionFailed".into())
    );
    assert_eq!(
        failure(
            complete(
                "m",
                &id2,
                &done2,
                Some("\"0123456789abcdef0123456789abcdef\""),
                None
            )
            .await
        ),
        (412, "PreconditionFailed".into())
    );
    // The object's own ETag matches.
    let current = first.e_tag().unwrap().to_string();
    let replaced = complete("m", &id2, &done2, Some(&current), None)
        .await
        .expect("matching ETag");
    assert_eq!(
        replaced.e_tag(),
        first.e_tag(),
        "same single part, same ETag"
    );
    // Once the object was replaced, the first upload no longer completes again.
    put(&c, "m", "overwritten").await;
    assert_eq!(
        failure(complete("m", &id, &done, None, None).await),
        (404, "NoSuchUpload".into())
    );
}

/// Sends raw HTTP/1.1 bytes; (status, whole response text).
fn raw(port: u16, request: &[u8]) -> (u16, String) {
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    conn.write_all(request).unwrap();
    let mut out = Vec::new();
    conn.read_to_end(&mut out).unwrap();
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}

#[tokio::test(flavor = "multi_thread")]
async fn non_ascii_metadata_is_answered_as_rfc_2047() {
    let s3 = S3::start();
    let c = sdk(&s3.url());
    c.create_bucket().bucket("cond").send().await.unwrap();
    // Raw UTF-8 bytes in the header, as some clients send them.
    let mut req = b"PUT /cond/raw HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\nConnection: close\r\nx-amz-meta-greeting: Hello World".to_vec();
    req.extend_from_slice("é".as_bytes());
    req.extend_from_slice(b"\r\n\r\nhi");
    let (status, text) = raw(s3.server.port, &req);
    assert_eq!(status, 200, "{text}");
    let head = c
        .head_object()
        .bucket("cond")
        .key("raw")
        .send()
        .await
        .unwrap();
    assert_eq!(
        head.metadata().unwrap()["greeting"],
        "=?UTF-8?B?SGVsbG8gV29ybGTDqQ==?="
    );
    // An encoded-word is decoded when stored and answered encoded again; an
    // ASCII value is kept as it is.
    c.put_object()
        .bucket("cond")
        .key("encoded")
        .metadata("greeting", "=?UTF-8?Q?caf=C3=A9?=")
        .metadata("plain", "just ascii")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
    let head = c
        .head_object()
        .bucket("cond")
        .key("encoded")
        .send()
        .await
        .unwrap();
    let meta = head.metadata().unwrap();
    assert_eq!(meta["greeting"], "=?UTF-8?B?Y2Fmw6k=?=");
    assert_eq!(meta["plain"], "just ascii");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_body_without_a_length_is_refused() {
    let s3 = S3::start();
    let c = sdk(&s3.url());
    c.create_bucket().bucket("cond").send().await.unwrap();
    let (status, text) = raw(
        s3.server.port,
        b"PUT /cond/nolength HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(status, 411, "{text}");
    assert!(text.contains("<Code>MissingContentLength</Code>"), "{text}");
    assert!(
        text.contains("<Message>You must provide the Content-Length HTTP header.</Message>"),
        "{text}"
    );
    let missing = c.head_object().bucket("cond").key("nolength").send().await;
    assert_eq!(failure(missing).0, 404);
}

/// The AWS CLI (botocore) asks for url-encoded listings on its own and
/// decodes what each operation's answer encodes: a prefix with a newline
/// comes back as sent from both ListObjects and ListObjectsV2.
#[test]
fn listing_prefixes_with_control_characters_reach_the_cli_as_sent() {
    let s3 = S3::start();
    s3.ok(&["s3api", "create-bucket", "--bucket", "lists"]);
    let body = std::env::temp_dir().join(format!("s3-fidelity-{}", std::process::id()));
    std::fs::write(&body, b"x").unwrap();
    s3.ok(&[
        "s3api",
        "put-object",
        "--bucket",
        "lists",
        "--key",
        "dir\nname/file",
        "--body",
        body.to_str().unwrap(),
    ]);
    for op in ["list-objects", "list-objects-v2"] {
        let out = s3.json(&["s3api", op, "--bucket", "lists", "--prefix", "dir\n"]);
        assert_eq!(out["Prefix"], "dir\n", "{op}: {out}");
        assert_eq!(out["Contents"][0]["Key"], "dir\nname/file", "{op}: {out}");
        let out = s3.json(&[
            "s3api",
            op,
            "--bucket",
            "lists",
            "--prefix",
            "dir\n",
            "--delimiter",
            "/",
        ]);
        assert_eq!(
            out["CommonPrefixes"][0]["Prefix"], "dir\nname/",
            "{op}: {out}"
        );
    }
    let _ = std::fs::remove_file(body);
}

/// (HTTP status, error code, message, raw XML body) of a failed call.
fn failure_body<E: ProvideErrorMetadata + std::fmt::Debug, R: std::fmt::Debug>(
    r: Result<R, aws_sdk_s3::error::SdkError<E, aws_sdk_s3::config::http::HttpResponse>>,
) -> (u16, String, String, String) {
    let e = r.expect_err("the call must fail");
    let raw = e.raw_response().expect("an answer from the server");
    let status = raw.status().as_u16();
    let body = String::from_utf8_lossy(raw.body().bytes().unwrap_or_default()).into_owned();
    let service = e.as_service_error();
    let code = service
        .and_then(|s| s.code())
        .unwrap_or_default()
        .to_string();
    let message = service
        .and_then(|s| s.message())
        .unwrap_or_default()
        .to_string();
    (status, code, message, body)
}

#[tokio::test(flavor = "multi_thread")]
async fn values_outside_the_model_enums_get_s3_own_errors() {
    use aws_sdk_s3::types::{
        BucketVersioningStatus, ChecksumAlgorithm, EncodingType, ObjectCannedAcl, ObjectOwnership,
        ServerSideEncryption, VersioningConfiguration,
    };
    let s3 = S3::start();
    let c = sdk(&s3.url());
    let (status, code, message, body) = failure_body(
        c.create_bucket()
            .bucket("enums")
            .object_ownership(ObjectOwnership::from("RandomValue"))
            .send()
            .await,
    );
    assert_eq!((status, code.as_str()), (400, "InvalidArgument"));
    assert_eq!(
        message,
        "Invalid x-amz-object-ownership header: RandomValue"
    );
    assert!(
        body.contains("<ArgumentName>x-amz-object-ownership</ArgumentName>"),
        "{body}"
    );
    assert!(!body.contains("<ArgumentValue>"), "{body}");

    c.create_bucket()
        .bucket("enums")
        .object_ownership(ObjectOwnership::ObjectWriter)
        .send()
        .await
        .unwrap();
    let (status, code, message, body) = failure_body(
        c.put_object()
            .bucket("enums")
            .key("k")
            .acl(ObjectCannedAcl::from("fake-acl"))
            .body(ByteStream::from_static(b"x"))
            .send()
            .await,
    );
    assert_eq!(
        (status, code.as_str(), message.as_str()),
        (400, "InvalidArgument", "")
    );
    assert!(
        body.contains(
            "<ArgumentName>x-amz-acl</ArgumentName><ArgumentValue>fake-acl</ArgumentValue>"
        ),
        "{body}"
    );

    let (status, code, message, _) = failure_body(
        c.put_object()
            .bucket("enums")
            .key("k")
            .server_side_encryption(ServerSideEncryption::from("foo"))
            .body(ByteStream::from_static(b"x"))
            .send()
            .await,
    );
    assert_eq!((status, code.as_str()), (400, "InvalidArgument"));
    assert_eq!(message, "The encryption method specified is not supported");

    let (status, code, message, body) = failure_body(
        c.put_object()
            .bucket("enums")
            .key("k")
            .storage_class(aws_sdk_s3::types::StorageClass::from("FakeClass"))
            .body(ByteStream::from_static(b"x"))
            .send()
            .await,
    );
    assert_eq!((status, code.as_str()), (400, "InvalidStorageClass"));
    assert_eq!(message, "The storage class you specified is not valid");
    assert!(
        body.contains("<StorageClassRequested>FakeClass</StorageClassRequested>"),
        "{body}"
    );

    let (status, code, _, _) = failure_body(
        c.put_bucket_versioning()
            .bucket("enums")
            .versioning_configuration(
                VersioningConfiguration::builder()
                    .status(BucketVersioningStatus::from("Disabled"))
                    .build(),
            )
            .send()
            .await,
    );
    assert_eq!((status, code.as_str()), (400, "MalformedXML"));

    let (status, code, message, _) = failure_body(
        c.create_multipart_upload()
            .bucket("enums")
            .key("k")
            .checksum_algorithm(ChecksumAlgorithm::from("FOO"))
            .send()
            .await,
    );
    assert_eq!((status, code.as_str()), (400, "InvalidRequest"));
    assert!(
        message.starts_with("Checksum algorithm provided is unsupported."),
        "{message}"
    );

    let (status, code, message, body) = failure_body(
        c.list_objects_v2()
            .bucket("enums")
            .encoding_type(EncodingType::from("foo"))
            .send()
            .await,
    );
    assert_eq!((status, code.as_str()), (400, "InvalidArgument"));
    assert_eq!(message, "Invalid Encoding Method specified in Request");
    assert!(
        body.contains("<ArgumentValue>foo</ArgumentValue>"),
        "{body}"
    );

    // Nothing was stored by the refused calls.
    let listed = c.list_objects_v2().bucket("enums").send().await.unwrap();
    assert_eq!(listed.key_count(), Some(0));
}

#[tokio::test(flavor = "multi_thread")]
async fn response_expires_is_answered_as_an_http_date() {
    let s3 = S3::start();
    let c = sdk(&s3.url());
    c.create_bucket().bucket("overrides").send().await.unwrap();
    c.put_object()
        .bucket("overrides")
        .key("k")
        .body(ByteStream::from_static(b"x"))
        .send()
        .await
        .unwrap();
    let got = c
        .get_object()
        .bucket("overrides")
        .key("k")
        .response_expires(aws_sdk_s3::primitives::DateTime::from_secs(1_445_412_480))
        .send()
        .await
        .unwrap();
    assert_eq!(got.expires_string(), Some("Wed, 21 Oct 2015 07:28:00 GMT"));
}
