//! Published vectors (the AWS SigV4 test suite, the S3 SigV4 and SigV2
//! documentation examples), each accepted as published and refused once a
//! byte of the secret, a signed header or the path changes; then the
//! failures AWS answers, in each dialect's words.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ruststack_protocol::AwsError;

use crate::canonical::{hmac256, sha256_hex, signing_key};
use crate::chunked::ChunkSeed;
use crate::*;

// The SigV4 test suite's credentials and time.
const SUITE_KEY: &str = "AKIDEXAMPLE";
const SUITE_SECRET: &str = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const SUITE_DATE: &str = "20150830T123600Z";

// The S3 documentation's credentials.
const S3_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
const S3_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
const S3_DATE: &str = "20130524T000000Z";

/// A request to verify, owning its parts.
#[derive(Clone)]
struct T {
    method: &'static str,
    path: String,
    query: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl T {
    fn new(method: &'static str, path: &str, headers: &[(&str, &str)]) -> T {
        T {
            method,
            path: path.into(),
            query: String::new(),
            headers: headers
                .iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
                .collect(),
            body: Vec::new(),
        }
    }

    fn query(mut self, q: &str) -> T {
        self.query = q.into();
        self
    }

    fn body(mut self, b: &[u8]) -> T {
        self.body = b.to_vec();
        self
    }

    fn header(mut self, k: &str, v: &str) -> T {
        self.headers.push((k.to_ascii_lowercase(), v.to_string()));
        self
    }

    /// Replaces the value of the first header with this name.
    fn set(mut self, k: &str, v: &str) -> T {
        let h = self
            .headers
            .iter_mut()
            .find(|(n, _)| n == k)
            .expect("header present");
        h.1 = v.to_string();
        self
    }

    fn without(mut self, k: &str) -> T {
        self.headers.retain(|(n, _)| n != k);
        self
    }

    fn req(&self) -> Request<'_> {
        Request {
            method: self.method,
            path: &self.path,
            query: &self.query,
            headers: &self.headers,
        }
    }

    fn verify(
        &self,
        creds: &Credentials,
        dialect: Dialect,
        now: SystemTime,
    ) -> Result<Verified, AuthError> {
        verify(creds, dialect, &self.req(), Payload::Bytes(&self.body), now)
    }
}

fn at(basic: &str) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(clock::parse_basic(basic).expect("basic date") as u64)
}

fn secs(t: SystemTime, s: i64) -> SystemTime {
    if s >= 0 {
        t + Duration::from_secs(s as u64)
    } else {
        t - Duration::from_secs((-s) as u64)
    }
}

fn creds(key: &str, secret: &str) -> Credentials {
    Credentials::new([(key.to_string(), secret.to_string())])
}

/// The secret with its last byte changed.
fn flipped(secret: &str) -> String {
    let mut s = secret.to_string();
    let last = s.pop().unwrap();
    s.push(if last == 'Y' { 'Z' } else { 'Y' });
    s
}

/// Asserts the code of a failed verification.
#[track_caller]
fn code(r: Result<Verified, AuthError>) -> (u16, String) {
    let e = r.expect_err("refused");
    (e.status, e.code)
}

/// The suite's `Authorization` value.
fn suite_auth(signed: &str, sig: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential={SUITE_KEY}/20150830/us-east-1/service/aws4_request, SignedHeaders={signed}, Signature={sig}"
    )
}

/// A suite request: host, date, then `extra` headers, then the
/// Authorization.
fn suite(
    method: &'static str,
    path_and_query: &str,
    extra: &[(&str, &str)],
    signed: &str,
    sig: &str,
) -> T {
    let (path, query) = path_and_query
        .split_once('?')
        .unwrap_or((path_and_query, ""));
    let mut t = T::new(
        method,
        path,
        &[
            ("host", "example.amazonaws.com"),
            ("x-amz-date", SUITE_DATE),
        ],
    )
    .query(query);
    for (k, v) in extra {
        t = t.header(k, v);
    }
    t.header("authorization", &suite_auth(signed, sig))
}

/// Accepted as published, in both non-S3 dialects; refused with each
/// dialect's code when the secret changes, and when `tamper` changes the
/// request.
#[track_caller]
fn assert_vector(
    t: &T,
    now: SystemTime,
    dialects: &[Dialect],
    key: &str,
    secret: &str,
    tampered: &[T],
) {
    for &d in dialects {
        let v = t
            .verify(&creds(key, secret), d, now)
            .unwrap_or_else(|e| panic!("{d:?}: {e}: {:?}", e.extra));
        assert_eq!(v.access_key, key);
        let wrong = match d {
            Dialect::S3 => (403, "SignatureDoesNotMatch".to_string()),
            Dialect::Json => (400, "InvalidSignatureException".to_string()),
            Dialect::Query => (403, "SignatureDoesNotMatch".to_string()),
        };
        assert_eq!(
            code(t.verify(&creds(key, &flipped(secret)), d, now)),
            wrong,
            "{d:?} wrong secret"
        );
        for bad in tampered {
            assert_eq!(
                code(bad.verify(&creds(key, secret), d, now)),
                wrong,
                "{d:?} tampered"
            );
        }
    }
}

const NON_S3: [Dialect; 2] = [Dialect::Json, Dialect::Query];

/// Method, path and query, extra headers, signed headers, signature, body.
type SuiteCase = (
    &'static str,
    &'static str,
    Vec<(&'static str, &'static str)>,
    &'static str,
    &'static str,
    &'static [u8],
);

#[test]
fn sigv4_test_suite_vectors() {
    let now = at(SUITE_DATE);
    let cases: Vec<SuiteCase> = vec![
        (
            "GET",
            "/",
            vec![],
            "host;x-amz-date",
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
            b"",
        ),
        // get-relative-relative and get-slash-dot-slash normalise to /.
        (
            "GET",
            "/example1/example2/../..",
            vec![],
            "host;x-amz-date",
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
            b"",
        ),
        (
            "GET",
            "/./",
            vec![],
            "host;x-amz-date",
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
            b"",
        ),
        (
            "GET",
            "//example//",
            vec![],
            "host;x-amz-date",
            "9a624bd73a37c9a373b5312afbebe7a714a789de108f0bdfe846570885f57e84",
            b"",
        ),
        (
            "GET",
            "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
            vec![],
            "host;x-amz-date",
            "07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f",
            b"",
        ),
        (
            "GET",
            "/?Param2=value2&Param1=value1",
            vec![],
            "host;x-amz-date",
            "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500",
            b"",
        ),
        (
            "GET",
            "/?Param1=value2&Param1=value1",
            vec![],
            "host;x-amz-date",
            "5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694",
            b"",
        ),
        (
            "GET",
            "/?\u{1234}=bar",
            vec![],
            "host;x-amz-date",
            "2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04",
            b"",
        ),
        (
            "GET",
            "/",
            vec![
                ("my-header1", "value4"),
                ("my-header1", "value1"),
                ("my-header1", "value3"),
                ("my-header1", "value2"),
            ],
            "host;my-header1;x-amz-date",
            "08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01",
            b"",
        ),
        (
            "GET",
            "/",
            vec![
                ("my-header1", "value2"),
                ("my-header1", "value2"),
                ("my-header1", "value1"),
            ],
            "host;my-header1;x-amz-date",
            "c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea",
            b"",
        ),
        (
            "GET",
            "/",
            vec![("my-header1", " value1"), ("my-header2", "\"a   b   c\"")],
            "host;my-header1;my-header2;x-amz-date",
            "acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736",
            b"",
        ),
        (
            "POST",
            "/",
            vec![("content-type", "application/x-www-form-urlencoded")],
            "content-type;host;x-amz-date",
            "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a",
            b"Param1=value1",
        ),
        // get-vanilla-with-session-token: the token is signed, and accepted.
        (
            "GET",
            "/",
            vec![(
                "x-amz-security-token",
                "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267",
            )],
            "host;x-amz-date;x-amz-security-token",
            "07ec1639c89043aa0e3e2de82b96708f198cceab042d4a97044c66dd9f74e7f8",
            b"",
        ),
    ];
    for (method, target, extra, signed, sig, body) in cases {
        let t = suite(method, target, &extra, signed, sig).body(body);
        let mut tampered = vec![
            t.clone().set("x-amz-date", "20150830T123601Z"),
            t.clone().set("host", "example.amazonaws.org"),
            T {
                path: format!("{}x", t.path),
                ..t.clone()
            },
        ];
        if !body.is_empty() {
            tampered.push(t.clone().body(b"Param1=value2"));
        }
        if let Some((k, _)) = extra.first() {
            let mut x = t.clone();
            x.headers
                .iter_mut()
                .find(|(n, _)| n == k)
                .unwrap()
                .1
                .push('!');
            tampered.push(x);
        }
        assert_vector(&t, now, &NON_S3, SUITE_KEY, SUITE_SECRET, &tampered);
    }
}

#[test]
fn non_s3_body_spilled_to_a_file_is_hashed_from_the_file() {
    let dir = std::env::temp_dir().join(format!("ruststack-auth-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("body");
    std::fs::write(&file, b"Param1=value1").unwrap();
    let t = suite(
        "POST",
        "/",
        &[("content-type", "application/x-www-form-urlencoded")],
        "content-type;host;x-amz-date",
        "ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a",
    );
    let c = creds(SUITE_KEY, SUITE_SECRET);
    let now = at(SUITE_DATE);
    assert!(verify(&c, Dialect::Query, &t.req(), Payload::File(&file), now).is_ok());
    std::fs::write(&file, b"Param1=value2").unwrap();
    let e = verify(&c, Dialect::Query, &t.req(), Payload::File(&file), now).unwrap_err();
    assert_eq!(e.code, "SignatureDoesNotMatch");
    let e = verify(
        &c,
        Dialect::Query,
        &t.req(),
        Payload::File(&dir.join("missing")),
        now,
    )
    .unwrap_err();
    assert_eq!((e.status, e.code.as_str()), (500, "InternalFailure"));
    std::fs::remove_dir_all(&dir).ok();
}

/// The S3 documentation's GET Object example (Range header).
fn s3_get_object() -> T {
    T::new(
        "GET",
        "/test.txt",
        &[
            ("host", "examplebucket.s3.amazonaws.com"),
            ("range", "bytes=0-9"),
            ("x-amz-content-sha256", canonical::EMPTY_SHA256),
            ("x-amz-date", S3_DATE),
            (
                "authorization",
                "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
            ),
        ],
    )
}

#[test]
fn s3_get_object_example() {
    let t = s3_get_object();
    let tampered = [
        t.clone().set("range", "bytes=0-8"),
        t.clone().set("host", "examplebucket2.s3.amazonaws.com"),
        T {
            path: "/test.txu".into(),
            ..t.clone()
        },
        t.clone().query("versionId=1"),
    ];
    assert_vector(
        &t,
        at(S3_DATE),
        &[Dialect::S3],
        S3_KEY,
        S3_SECRET,
        &tampered,
    );
    let v = t
        .verify(&creds(S3_KEY, S3_SECRET), Dialect::S3, at(S3_DATE))
        .unwrap();
    assert_eq!(
        (v.scheme, v.region.as_str(), v.service.as_str()),
        (Scheme::V4Header, "us-east-1", "s3")
    );
    assert!(v.chunk_verifier().is_none());

    // What S3 explains about a wrong signature.
    let e = t
        .verify(
            &creds(S3_KEY, &flipped(S3_SECRET)),
            Dialect::S3,
            at(S3_DATE),
        )
        .unwrap_err();
    let canonical = "GET\n/test.txt\n\nhost:examplebucket.s3.amazonaws.com\nrange:bytes=0-9\nx-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\nx-amz-date:20130524T000000Z\n\nhost;range;x-amz-content-sha256;x-amz-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    let sts = "AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972";
    assert_eq!(e.message, error::S3_SIGNATURE_MESSAGE);
    let names: Vec<&str> = e.extra.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(
        names,
        [
            "AWSAccessKeyId",
            "StringToSign",
            "SignatureProvided",
            "StringToSignBytes",
            "CanonicalRequest",
            "CanonicalRequestBytes"
        ]
    );
    assert_eq!(e.extra("AWSAccessKeyId"), Some(S3_KEY));
    assert_eq!(e.extra("CanonicalRequest"), Some(canonical));
    assert_eq!(e.extra("StringToSign"), Some(sts));
    assert!(
        e.extra("StringToSignBytes")
            .unwrap()
            .starts_with("41 57 53 34 2d 48 4d 41 43 2d 53 48 41 32 35 36 0a 32")
    );
    assert_eq!(
        e.extra("SignatureProvided"),
        Some("f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
    );
}

#[test]
fn s3_content_sha256_is_checked_against_the_body() {
    let t = s3_get_object().body(b"not empty");
    let e = t
        .verify(&creds(S3_KEY, S3_SECRET), Dialect::S3, at(S3_DATE))
        .unwrap_err();
    assert_eq!(
        (e.status, e.code.as_str()),
        (400, "XAmzContentSHA256Mismatch")
    );
    assert_eq!(
        e.message,
        "The provided 'x-amz-content-sha256' header does not match what was computed."
    );
    assert_eq!(
        e.extra("ClientComputedContentSHA256"),
        Some(canonical::EMPTY_SHA256)
    );
    assert_eq!(
        e.extra("S3ComputedContentSHA256"),
        Some(sha256_hex(b"not empty").as_str())
    );
    // A value that is neither a hash nor a known mode.
    let t = s3_get_object().set("x-amz-content-sha256", "SOMETHING");
    let e = t
        .verify(&creds(S3_KEY, S3_SECRET), Dialect::S3, at(S3_DATE))
        .unwrap_err();
    assert_eq!((e.status, e.code.as_str()), (400, "InvalidArgument"));
}

/// The S3 documentation's presigned URL example.
fn s3_presigned(expires: &str) -> T {
    T::new("GET", "/test.txt", &[("host", "examplebucket.s3.amazonaws.com")]).query(&format!(
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires={expires}&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
    ))
}

#[test]
fn s3_presigned_url_example() {
    let t = s3_presigned("86400");
    let now = secs(at(S3_DATE), 3600);
    let tampered = [
        t.clone().set("host", "examplebucket.s3.amazonaws.co"),
        T {
            path: "/test.tx".into(),
            ..t.clone()
        },
        s3_presigned("86401"),
        t.clone().query(&format!("{}&x-id=GetObject", t.query)),
    ];
    assert_vector(&t, now, &[Dialect::S3], S3_KEY, S3_SECRET, &tampered);
    let v = t
        .verify(&creds(S3_KEY, S3_SECRET), Dialect::S3, now)
        .unwrap();
    assert_eq!(v.scheme, Scheme::V4Query);
    // The query parameters in another order sign the same.
    let mut parts: Vec<&str> = t.query.split('&').collect();
    parts.reverse();
    assert!(
        t.clone()
            .query(&parts.join("&"))
            .verify(&creds(S3_KEY, S3_SECRET), Dialect::S3, now)
            .is_ok()
    );
    // Valid up to and including the last second.
    assert!(
        t.verify(
            &creds(S3_KEY, S3_SECRET),
            Dialect::S3,
            secs(at(S3_DATE), 86400)
        )
        .is_ok()
    );
}

#[test]
fn s3_presigned_url_expiry() {
    let c = creds(S3_KEY, S3_SECRET);
    let e = s3_presigned("86400")
        .verify(&c, Dialect::S3, secs(at(S3_DATE), 86401))
        .unwrap_err();
    assert_eq!(
        (e.status, e.code.as_str(), e.message.as_str()),
        (403, "AccessDenied", "Request has expired")
    );
    assert_eq!(
        e.extra,
        [
            ("X-Amz-Expires".to_string(), "86400".to_string()),
            ("Expires".to_string(), "2013-05-25T00:00:00Z".to_string()),
            ("ServerTime".to_string(), "2013-05-25T00:00:01Z".to_string()),
        ]
    );
    let e = s3_presigned("86400")
        .verify(&c, Dialect::S3, secs(at(S3_DATE), -1))
        .unwrap_err();
    assert_eq!(
        (e.status, e.code.as_str(), e.message.as_str()),
        (403, "AccessDenied", "Request is not valid yet")
    );
    let e = s3_presigned("604801")
        .verify(&c, Dialect::S3, at(S3_DATE))
        .unwrap_err();
    assert_eq!(
        (e.status, e.code.as_str()),
        (400, "AuthorizationQueryParametersError")
    );
    assert_eq!(
        e.message,
        "X-Amz-Expires must be less than a week (in seconds); that is, the given X-Amz-Expires must be less than 604800 seconds"
    );
    for bad in ["-1", "soon"] {
        let e = s3_presigned(bad)
            .verify(&c, Dialect::S3, at(S3_DATE))
            .unwrap_err();
        assert_eq!(e.code, "AuthorizationQueryParametersError", "{bad}");
    }
    // Missing parameters.
    let t = s3_presigned("86400");
    let partial = t.query.replace("&X-Amz-SignedHeaders=host", "");
    let e = t
        .clone()
        .query(&partial)
        .verify(&c, Dialect::S3, at(S3_DATE))
        .unwrap_err();
    assert_eq!(
        (e.status, e.code.as_str()),
        (400, "AuthorizationQueryParametersError")
    );
    assert_eq!(
        e.message,
        "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."
    );
    // Unknown key.
    let e = t
        .verify(&creds("other", "x"), Dialect::S3, at(S3_DATE))
        .unwrap_err();
    assert_eq!((e.status, e.code.as_str()), (403, "InvalidAccessKeyId"));
    // Both header and query authentication.
    let both = s3_get_object().query(&t.query);
    let e = both.verify(&c, Dialect::S3, at(S3_DATE)).unwrap_err();
    assert_eq!((e.status, e.code.as_str()), (400, "InvalidArgument"));
}

/// The S3 documentation's aws-chunked PUT example: its headers (seed
/// signature 4f232c43...) and body (64 KiB + 1 KiB of `a`).
fn s3_chunked_put() -> T {
    T::new(
        "PUT",
        "/examplebucket/chunkObject.txt",
        &[
            ("host", "s3.amazonaws.com"),
            ("x-amz-date", S3_DATE),
            ("x-amz-storage-class", "REDUCED_REDUNDANCY"),
            (
                "authorization",
                "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9",
            ),
            ("x-amz-content-sha256", "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"),
            ("content-encoding", "aws-chunked"),
            ("x-amz-decoded-content-length", "66560"),
            ("content-length", "66824"),
        ],
    )
}

const CHUNK_SIGS: [&str; 3] = [
    "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648",
    "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497",
    "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9",
];

fn framed(sigs: &[&str; 3], tail: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend_from_slice(format!("10000;chunk-signature={}\r\n", sigs[0]).as_bytes());
    body.extend_from_slice(&[b'a'; 65536]);
    body.extend_from_slice(format!("\r\n400;chunk-signature={}\r\n", sigs[1]).as_bytes());
    body.extend_from_slice(&[b'a'; 1024]);
    body.extend_from_slice(format!("\r\n0;chunk-signature={}\r\n", sigs[2]).as_bytes());
    body.extend_from_slice(tail);
    body
}

#[test]
fn s3_chunked_upload_example() {
    let t = s3_chunked_put();
    let c = creds(S3_KEY, S3_SECRET);
    let now = at(S3_DATE);
    // The seed: the body is not read (its hash is the STREAMING mode).
    let tampered = [
        t.clone().set("x-amz-storage-class", "STANDARD"),
        t.clone().set("content-length", "66825"),
        T {
            path: "/examplebucket/chunkObject.txu".into(),
            ..t.clone()
        },
    ];
    assert_vector(&t, now, &[Dialect::S3], S3_KEY, S3_SECRET, &tampered);
    let v = t.verify(&c, Dialect::S3, now).unwrap();
    let body = framed(&CHUNK_SIGS, b"\r\n");
    assert_eq!(body.len(), 66824);

    // Whole, and byte by byte in uneven pieces.
    v.chunk_verifier()
        .unwrap()
        .verify_payload(Payload::Bytes(&body))
        .unwrap();
    let mut cv = v.chunk_verifier().unwrap();
    for piece in body.chunks(7) {
        cv.feed(piece).unwrap();
    }
    cv.finish().unwrap();

    // A changed data byte fails at the end of its chunk, with the details.
    let mut bad = body.clone();
    bad[100] = b'b';
    let mut cv = v.chunk_verifier().unwrap();
    let e = cv.feed(&bad[..66_000]).unwrap_err();
    assert_eq!((e.status, e.code.as_str()), (403, "SignatureDoesNotMatch"));
    assert_eq!(e.extra("SignatureProvided"), Some(CHUNK_SIGS[0]));
    assert!(e.extra("StringToSign").unwrap().starts_with(
        "AWS4-HMAC-SHA256-PAYLOAD\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n4f232c43"
    ));
    // ...and stays failed.
    assert_eq!(cv.feed(b"").unwrap_err().code, "SignatureDoesNotMatch");
    assert_eq!(cv.finish().unwrap_err().code, "SignatureDoesNotMatch");

    // A wrong signature on the final chunk.
    let mut sigs = CHUNK_SIGS;
    sigs[2] = CHUNK_SIGS[1];
    let e = v
        .chunk_verifier()
        .unwrap()
        .verify_payload(Payload::Bytes(&framed(&sigs, b"\r\n")))
        .unwrap_err();
    assert_eq!(e.code, "SignatureDoesNotMatch");

    // Truncated, or with bytes after the end.
    for cut in [10, 65_000, 66_822, 66_823] {
        let e = v
            .chunk_verifier()
            .unwrap()
            .verify_payload(Payload::Bytes(&body[..cut]))
            .unwrap_err();
        assert_eq!(e.code, "IncompleteBody", "cut at {cut}");
    }
    let mut long = body.clone();
    long.extend_from_slice(b"x");
    let e = v
        .chunk_verifier()
        .unwrap()
        .verify_payload(Payload::Bytes(&long))
        .unwrap_err();
    assert_eq!(e.code, "IncompleteBody");

    // Spilled to a file.
    let dir = std::env::temp_dir().join(format!("ruststack-auth-chunk-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("body");
    std::fs::write(&file, &body).unwrap();
    v.chunk_verifier()
        .unwrap()
        .verify_payload(Payload::File(&file))
        .unwrap();
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn chunk_framing_errors_are_incomplete_body_at_once() {
    // The example's chain, with or without the lengths the headers gave.
    let seed = |framed_len, decoded_len| {
        ChunkVerifier::new(ChunkSeed {
            dialect: Dialect::S3,
            access_key: S3_KEY.into(),
            key: signing_key(S3_SECRET, "20130524", "us-east-1", "s3"),
            timestamp: S3_DATE.into(),
            scope: "20130524/us-east-1/s3/aws4_request".into(),
            seed: "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9".into(),
            trailer: false,
            framed_len,
            decoded_len,
        })
    };
    let incomplete = |cv: &mut ChunkVerifier, bytes: &[u8]| {
        let e = cv
            .feed(bytes)
            .expect_err(&String::from_utf8_lossy(&bytes[..bytes.len().min(60)]));
        assert_eq!(
            (e.status, e.code.as_str()),
            (400, "IncompleteBody"),
            "{:?}",
            String::from_utf8_lossy(bytes)
        );
        assert_eq!(e.message, "The request body terminated unexpectedly");
    };
    let sig = CHUNK_SIGS[0];
    // A size near 2^64, with or without the lengths: refused at the header.
    incomplete(
        &mut seed(None, None),
        format!("ffffffffffffffee;chunk-signature={sig}\r\n").as_bytes(),
    );
    incomplete(
        &mut seed(Some(66824), None),
        format!("ffffffffffffffff;chunk-signature={sig}\r\n").as_bytes(),
    );
    incomplete(
        &mut seed(None, Some(66560)),
        format!("10401;chunk-signature={sig}\r\n").as_bytes(),
    );
    incomplete(
        &mut seed(Some(100), None),
        format!("10000;chunk-signature={sig}\r\n").as_bytes(),
    );
    // Over 16 hex digits, not hex, no signature, a short signature.
    incomplete(
        &mut seed(None, None),
        format!("10000000000000000;chunk-signature={sig}\r\n").as_bytes(),
    );
    incomplete(
        &mut seed(None, None),
        format!("zz;chunk-signature={sig}\r\n").as_bytes(),
    );
    incomplete(&mut seed(None, None), b"10000\r\n");
    incomplete(&mut seed(None, None), b"10000;chunk-signature=abc\r\n");
    // A bare LF, an endless header line.
    incomplete(
        &mut seed(None, None),
        format!("10000;chunk-signature={sig}\n").as_bytes(),
    );
    let mut cv = seed(None, None);
    cv.feed(&[b'0'; 4000]).unwrap();
    incomplete(&mut cv, &[b'0'; 200]);
    // Data not followed by CRLF.
    let mut cv = seed(None, None);
    cv.feed(format!("10000;chunk-signature={sig}\r\n").as_bytes())
        .unwrap();
    cv.feed(&[b'a'; 65536]).unwrap();
    incomplete(&mut cv, b"xx");
    // The declared decoded length not reached by the final chunk.
    let body = framed(&CHUNK_SIGS, b"\r\n");
    let e = seed(None, Some(70_000))
        .verify_payload(Payload::Bytes(&body))
        .unwrap_err();
    assert_eq!(e.code, "IncompleteBody");
    // Something other than the empty line after the final chunk.
    let e = seed(None, None)
        .verify_payload(Payload::Bytes(&framed(
            &CHUNK_SIGS,
            b"x-amz-checksum-crc32:AAAAAA==\r\n\r\n",
        )))
        .unwrap_err();
    assert_eq!(e.code, "IncompleteBody");
    seed(Some(66824), Some(66560))
        .verify_payload(Payload::Bytes(&body))
        .unwrap();
}

/// The S3 documentation's trailer example (`x-amz-checksum-crc32c`), its
/// chain from seed 106e2a8a...
fn trailer_verifier() -> ChunkVerifier {
    ChunkVerifier::new(ChunkSeed {
        dialect: Dialect::S3,
        access_key: S3_KEY.into(),
        key: signing_key(S3_SECRET, "20130524", "us-east-1", "s3"),
        timestamp: S3_DATE.into(),
        scope: "20130524/us-east-1/s3/aws4_request".into(),
        seed: "106e2a8a18243abcf37539882f36619c00e2dfc72633413f02d3b74544bfeb8e".into(),
        trailer: true,
        framed_len: None,
        decoded_len: Some(66560),
    })
}

const TRAILER_CHUNK_SIGS: [&str; 3] = [
    "b474d8862b1487a5145d686f57f013e54db672cee1c953b3010fb58501ef5aa2",
    "1c1344b170168f8e65b41376b44b20fe354e373826ccbbe2c1d40a8cae51e5c7",
    "2ca2aba2005185cf7159c6277faf83795951dd77a3a99e6e65d5c9f85863f992",
];

const TRAILER_SIG: &str = "d81f82fc3505edab99d459891051a732e8730629a2e4a59689829ca17fe2e435";

#[test]
fn s3_trailer_example() {
    let ok = framed(
        &TRAILER_CHUNK_SIGS,
        format!("x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:{TRAILER_SIG}\r\n\r\n")
            .as_bytes(),
    );
    trailer_verifier()
        .verify_payload(Payload::Bytes(&ok))
        .unwrap();
    let mut cv = trailer_verifier();
    for b in ok.chunks(1) {
        cv.feed(b).unwrap();
    }
    cv.finish().unwrap();

    // A changed trailer value, a wrong trailer signature.
    for tail in [
        format!("x-amz-checksum-crc32c:sOO8/Q=A\r\nx-amz-trailer-signature:{TRAILER_SIG}\r\n\r\n"),
        format!(
            "x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:{}\r\n\r\n",
            TRAILER_CHUNK_SIGS[0]
        ),
    ] {
        let e = trailer_verifier()
            .verify_payload(Payload::Bytes(&framed(
                &TRAILER_CHUNK_SIGS,
                tail.as_bytes(),
            )))
            .unwrap_err();
        assert_eq!(
            (e.status, e.code.as_str()),
            (403, "SignatureDoesNotMatch"),
            "{tail}"
        );
        assert!(
            e.extra("StringToSign")
                .unwrap()
                .starts_with("AWS4-HMAC-SHA256-TRAILER\n")
        );
    }
    // Malformed trailers: no signature, a line without ':', a short
    // signature, a trailer after the signature, truncated.
    for tail in [
        "x-amz-checksum-crc32c:sOO8/Q==\r\n\r\n".to_string(),
        format!("x-amz-checksum-crc32c sOO8/Q==\r\nx-amz-trailer-signature:{TRAILER_SIG}\r\n\r\n"),
        "x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:abc\r\n\r\n".to_string(),
        format!("x-amz-trailer-signature:{TRAILER_SIG}\r\nx-amz-checksum-crc32c:sOO8/Q==\r\n\r\n"),
        format!("x-amz-checksum-crc32c:sOO8/Q==\r\nx-amz-trailer-signature:{TRAILER_SIG}\r\n"),
    ] {
        let e = trailer_verifier()
            .verify_payload(Payload::Bytes(&framed(
                &TRAILER_CHUNK_SIGS,
                tail.as_bytes(),
            )))
            .unwrap_err();
        assert_eq!(
            (e.status, e.code.as_str()),
            (400, "MalformedTrailerError"),
            "{tail:?}"
        );
        assert_eq!(
            e.message,
            "The request contained trailing data that was not well-formed or did not conform to our published schema."
        );
    }
}

/// A trailer-signed upload end to end: the seed is verified from the
/// headers, then the chain, with signatures computed here the documented
/// way.
#[test]
fn chunked_trailer_upload_end_to_end() {
    let key = signing_key("test", "20130524", "us-east-1", "s3");
    let scope = "20130524/us-east-1/s3/aws4_request";
    let headers = [
        ("host", "localhost:4566"),
        ("x-amz-date", S3_DATE),
        (
            "x-amz-content-sha256",
            "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
        ),
        ("x-amz-trailer", "x-amz-checksum-crc32"),
    ];
    let canonical = format!(
        "PUT\n/b/k\n\nhost:localhost:4566\nx-amz-content-sha256:STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER\nx-amz-date:{S3_DATE}\nx-amz-trailer:x-amz-checksum-crc32\n\nhost;x-amz-content-sha256;x-amz-date;x-amz-trailer\nSTREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
    );
    let sign = |sts: String| hex::encode(hmac256(&key, sts.as_bytes()));
    let seed = sign(format!(
        "AWS4-HMAC-SHA256\n{S3_DATE}\n{scope}\n{}",
        sha256_hex(canonical.as_bytes())
    ));
    let t = T::new("PUT", "/b/k", &headers).header(
        "authorization",
        &format!("AWS4-HMAC-SHA256 Credential=test/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-trailer, Signature={seed}"),
    );
    let v = t
        .verify(&Credentials::default(), Dialect::S3, at(S3_DATE))
        .unwrap();
    let chunk = |prev: &str, data: &[u8]| {
        sign(format!(
            "AWS4-HMAC-SHA256-PAYLOAD\n{S3_DATE}\n{scope}\n{prev}\n{}\n{}",
            canonical::EMPTY_SHA256,
            sha256_hex(data)
        ))
    };
    let s1 = chunk(&seed, b"hello");
    let s2 = chunk(&s1, b"");
    let trailer = sign(format!(
        "AWS4-HMAC-SHA256-TRAILER\n{S3_DATE}\n{scope}\n{s2}\n{}",
        sha256_hex(b"x-amz-checksum-crc32:NhCmhg==\n")
    ));
    let body = format!(
        "5;chunk-signature={s1}\r\nhello\r\n0;chunk-signature={s2}\r\nx-amz-checksum-crc32:NhCmhg==\r\nx-amz-trailer-signature:{trailer}\r\n\r\n"
    );
    v.chunk_verifier()
        .unwrap()
        .verify_payload(Payload::Bytes(body.as_bytes()))
        .unwrap();
    let e = v
        .chunk_verifier()
        .unwrap()
        .verify_payload(Payload::Bytes(body.replace("hello", "hellp").as_bytes()))
        .unwrap_err();
    assert_eq!(e.code, "SignatureDoesNotMatch");
    // Unsigned streaming needs no chunk verifier.
    let canonical_unsigned = canonical.replace(
        "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER",
        "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
    );
    let sig = sign(format!(
        "AWS4-HMAC-SHA256\n{S3_DATE}\n{scope}\n{}",
        sha256_hex(canonical_unsigned.as_bytes())
    ));
    let t = T::new("PUT", "/b/k", &headers)
        .set("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER")
        .header(
            "authorization",
            &format!("AWS4-HMAC-SHA256 Credential=test/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-trailer, Signature={sig}"),
        );
    let v = t
        .verify(&Credentials::default(), Dialect::S3, at(S3_DATE))
        .unwrap();
    assert!(v.chunk_verifier().is_none());
}

#[test]
fn s3_sigv2_examples() {
    let c = creds(S3_KEY, S3_SECRET);
    let v2 = |method: &'static str,
              path: &str,
              query: &str,
              host: &str,
              date: &str,
              extra: &[(&str, &str)],
              sig: &str| {
        let mut t = T::new(method, path, &[("host", host), ("date", date)]).query(query);
        for (k, v) in extra {
            t = t.header(k, v);
        }
        t.header("authorization", &format!("AWS {S3_KEY}:{sig}"))
    };
    let cases = [
        // Path-style and virtual-hosted: the same resource.
        v2(
            "GET",
            "/awsexamplebucket1/photos/puppy.jpg",
            "",
            "s3.us-west-1.amazonaws.com",
            "Tue, 27 Mar 2007 19:36:42 +0000",
            &[],
            "qgk2+6Sv9/oM7G3qLEjTH1a1l1g=",
        ),
        v2(
            "GET",
            "/photos/puppy.jpg",
            "",
            "awsexamplebucket1.s3.us-west-1.amazonaws.com",
            "Tue, 27 Mar 2007 19:36:42 +0000",
            &[],
            "qgk2+6Sv9/oM7G3qLEjTH1a1l1g=",
        ),
        v2(
            "GET",
            "/photos/puppy.jpg",
            "",
            "johnsmith.s3.amazonaws.com",
            "Tue, 27 Mar 2007 19:36:42 +0000",
            &[],
            "bWq2s1WEIj+Ydj0vQ697zp+IXMU=",
        ),
        v2(
            "PUT",
            "/awsexamplebucket1/photos/puppy.jpg",
            "",
            "s3.us-west-1.amazonaws.com",
            "Tue, 27 Mar 2007 21:15:45 +0000",
            &[("content-type", "image/jpeg"), ("content-length", "94328")],
            "iqRzw+ileNPu1fhspnRs8nOjjIA=",
        ),
        // Query parameters that are not sub-resources are not signed.
        v2(
            "GET",
            "/",
            "prefix=photos&max-keys=50&marker=puppy",
            "awsexamplebucket1.s3.us-west-1.amazonaws.com",
            "Tue, 27 Mar 2007 19:42:41 +0000",
            &[("user-agent", "Mozilla/5.0")],
            "m0WP8eCtspQl5Ahe6L1SozdX9YA=",
        ),
        v2(
            "GET",
            "/awsexamplebucket1/",
            "acl",
            "s3.us-west-1.amazonaws.com",
            "Tue, 27 Mar 2007 19:44:46 +0000",
            &[],
            "82ZHiFIjc+WbcwFKGUVEQspPn+0=",
        ),
        v2(
            "PUT",
            "/static.example.com/db-backup.dat.gz",
            "",
            "s3.us-west-1.amazonaws.com",
            "Tue, 27 Mar 2007 21:06:08 +0000",
            &[
                ("user-agent", "curl/7.15.5"),
                ("x-amz-acl", "public-read"),
                ("content-type", "application/x-download"),
                ("content-md5", "4gJE4saaMU4BqNR0kLY+lw=="),
                ("x-amz-meta-reviewedby", "joe@example.com"),
                ("x-amz-meta-reviewedby", "jane@example.com"),
                ("x-amz-meta-filechecksum", "0x02661779"),
                ("x-amz-meta-checksumalgorithm", "crc32"),
                ("content-disposition", "attachment; filename=database.dat"),
                ("content-encoding", "gzip"),
                ("content-length", "5913339"),
            ],
            "jtBQa0Aq+DkULFI8qrpwIjGEx0E=",
        ),
        v2(
            "GET",
            "/",
            "",
            "s3.us-west-1.amazonaws.com",
            "Wed, 28 Mar 2007 01:29:59 +0000",
            &[],
            "qGdzdERIC03wnaRNKh6OqZehG9s=",
        ),
        // x-amz-date replaces Date (the date line is empty).
        v2(
            "DELETE",
            "/awsexamplebucket1/photos/puppy.jpg",
            "",
            "s3.us-west-1.amazonaws.com",
            "Tue, 27 Mar 2007 21:20:27 +0000",
            &[
                ("user-agent", "dotnet"),
                ("x-amz-date", "Tue, 27 Mar 2007 21:20:26 +0000"),
            ],
            "Ri1hpB1zpS9pGqR7y8kuNFCl4sE=",
        ),
    ];
    for t in cases {
        let now = secs(
            UNIX_EPOCH,
            clock::parse_http_date(t.req().header("date").unwrap()).unwrap(),
        );
        let later = ruststack_protocol::time::format_rfc822(
            clock::parse_http_date(t.req().header("date").unwrap()).unwrap() as f64 + 1.0,
        );
        let tampered = [
            t.clone().set("date", &later),
            T {
                path: format!("{}x", t.path),
                ..t.clone()
            },
            t.clone().header("x-amz-meta-extra", "1"),
            t.clone().query(if t.query.is_empty() {
                "versionId=1"
            } else {
                "acl&versionId=1"
            }),
        ];
        let date_changes = t.req().header("x-amz-date").is_none();
        let tampered = if date_changes {
            &tampered[..]
        } else {
            &tampered[1..]
        };
        assert_vector(&t, now, &[Dialect::S3], S3_KEY, S3_SECRET, tampered);
        let v = t.verify(&c, Dialect::S3, now).unwrap();
        assert_eq!(v.scheme, Scheme::V2Header);
    }
    // The string to sign S3 reports (no canonical request for SigV2).
    let t = &v2(
        "GET",
        "/photos/puppy.jpg",
        "",
        "johnsmith.s3.amazonaws.com",
        "Tue, 27 Mar 2007 19:36:42 +0000",
        &[],
        "bWq2s1WEIj+Ydj0vQ697zp+IXMU=",
    );
    let e = t
        .verify(&creds(S3_KEY, "x"), Dialect::S3, at("20070327T193642Z"))
        .unwrap_err();
    assert_eq!(
        e.extra("StringToSign"),
        Some("GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/photos/puppy.jpg")
    );
    assert_eq!(e.extra("CanonicalRequest"), None);
    // Skew, unknown key, no date, malformed header.
    let e = t
        .verify(&c, Dialect::S3, at("20070327T195200Z"))
        .unwrap_err();
    assert_eq!((e.status, e.code.as_str()), (403, "RequestTimeTooSkewed"));
    assert_eq!(
        e.extra("RequestTime"),
        Some("Tue, 27 Mar 2007 19:36:42 +0000")
    );
    assert_eq!(
        code(t.verify(&creds("other", "x"), Dialect::S3, at("20070327T193642Z"))),
        (403, "InvalidAccessKeyId".into())
    );
    let e = t
        .clone()
        .without("date")
        .verify(&c, Dialect::S3, at("20070327T193642Z"))
        .unwrap_err();
    assert_eq!(
        (e.status, e.code.as_str(), e.message.as_str()),
        (
            403,
            "AccessDenied",
            "AWS authentication requires a valid Date or x-amz-date header"
        )
    );
    let e = t
        .clone()
        .set("authorization", "AWS nocolon")
        .verify(&c, Dialect::S3, at("20070327T193642Z"))
        .unwrap_err();
    assert_eq!((e.status, e.code.as_str()), (400, "InvalidArgument"));
}

#[test]
fn s3_sigv2_query_example() {
    let c = creds(S3_KEY, S3_SECRET);
    let t = T::new("GET", "/photos/puppy.jpg", &[("host", "johnsmith.s3.amazonaws.com")])
        .query("AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=1175139620");
    let now = secs(UNIX_EPOCH, 1_175_139_000);
    let tampered = [
        t.clone().set("host", "johnsmith2.s3.amazonaws.com"),
        t.clone()
            .query(&t.query.replace("1175139620", "1175139621")),
        t.clone().header("content-type", "text/plain"),
    ];
    assert_vector(&t, now, &[Dialect::S3], S3_KEY, S3_SECRET, &tampered);
    assert_eq!(
        t.verify(&c, Dialect::S3, now).unwrap().scheme,
        Scheme::V2Query
    );
    let e = t
        .verify(&c, Dialect::S3, secs(UNIX_EPOCH, 1_175_139_621))
        .unwrap_err();
    assert_eq!(
        (e.status, e.code.as_str(), e.message.as_str()),
        (403, "AccessDenied", "Request has expired")
    );
    assert_eq!(e.extra("Expires"), Some("2007-03-29T03:40:20Z"));
    assert_eq!(e.extra("ServerTime"), Some("2007-03-29T03:40:21Z"));
    let partial = t
        .clone()
        .query("AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1175139620");
    let e = partial.verify(&c, Dialect::S3, now).unwrap_err();
    assert_eq!((e.status, e.code.as_str()), (403, "AccessDenied"));
    assert_eq!(
        e.message,
        "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters"
    );
}

#[test]
fn virtual_host_rule() {
    use ruststack_protocol::rest::virtual_bucket;
    assert_eq!(
        virtual_bucket("b.s3.localhost.localstack.cloud").as_deref(),
        Some("b")
    );
    assert_eq!(
        virtual_bucket("b.s3.localhost.localstack.cloud:4566").as_deref(),
        Some("b")
    );
    assert_eq!(
        virtual_bucket("my.bucket.s3.amazonaws.com").as_deref(),
        Some("my.bucket")
    );
    assert_eq!(
        virtual_bucket("b.s3-eu-west-1.amazonaws.com").as_deref(),
        Some("b")
    );
    assert_eq!(virtual_bucket("b.localhost:4566").as_deref(), Some("b"));
    for path_style in [
        "s3.localhost.localstack.cloud",
        "localhost:4566",
        "s3.amazonaws.com",
        "127.0.0.1:4566",
        "s3.localhost",
    ] {
        assert_eq!(virtual_bucket(path_style), None, "{path_style}");
    }
}

#[test]
fn unsigned_requests() {
    let c = Credentials::default();
    let t = T::new("GET", "/", &[("host", "localhost:4566")]);
    let now = SystemTime::now();
    let e = t.verify(&c, Dialect::S3, now).unwrap_err();
    assert_eq!(
        (e.status, e.code.as_str(), e.message.as_str()),
        (403, "AccessDenied", "Access Denied")
    );
    let e = t.verify(&c, Dialect::Json, now).unwrap_err();
    assert_eq!(
        (e.status, e.code.as_str(), e.message.as_str()),
        (
            400,
            "MissingAuthenticationTokenException",
            "Request is missing Authentication Token"
        )
    );
    let e = t.verify(&c, Dialect::Query, now).unwrap_err();
    assert_eq!(
        (e.status, e.code.as_str(), e.message.as_str()),
        (
            403,
            "MissingAuthenticationToken",
            "Request is missing Authentication Token"
        )
    );
    assert!(!is_signed(&t.req()));
    // An empty Authorization header is no signature either.
    assert_eq!(
        code(
            t.clone()
                .header("authorization", " ")
                .verify(&c, Dialect::S3, now)
        )
        .1,
        "AccessDenied"
    );

    // Browser uploads and CORS preflights pass, anonymously.
    let form = [
        ("host", "localhost:4566"),
        ("content-type", "multipart/form-data; boundary=x"),
    ];
    for (path, host) in [
        ("/bucket", None),
        ("/bucket/", None),
        ("/", Some("bucket.s3.localhost.localstack.cloud")),
    ] {
        let mut t = T::new("POST", path, &form);
        if let Some(h) = host {
            t = t.set("host", h);
        }
        let v = t.verify(&c, Dialect::S3, now).unwrap();
        assert_eq!((v.scheme, v.access_key.as_str()), (Scheme::Anonymous, ""));
    }
    for d in [Dialect::S3, Dialect::Json, Dialect::Query] {
        let v = T::new("OPTIONS", "/bucket/key", &[("host", "localhost")]).verify(&c, d, now);
        assert_eq!(v.unwrap().scheme, Scheme::Anonymous);
    }
    // ...but not a POST to a key, not a form to DynamoDB.
    assert!(
        T::new("POST", "/bucket/key", &form)
            .verify(&c, Dialect::S3, now)
            .is_err()
    );
    assert!(
        T::new("POST", "/bucket", &form)
            .verify(&c, Dialect::Json, now)
            .is_err()
    );
    assert!(
        T::new("PUT", "/bucket", &form)
            .verify(&c, Dialect::S3, now)
            .is_err()
    );
}

#[test]
fn is_signed_detects_every_scheme() {
    let t = T::new("GET", "/", &[("host", "h")]);
    assert!(is_signed(
        &t.clone()
            .header("authorization", "AWS4-HMAC-SHA256 Credential=x")
            .req()
    ));
    assert!(is_signed(
        &t.clone().header("authorization", "AWS a:b").req()
    ));
    assert!(is_signed(&t.clone().query("X-Amz-Signature=abc").req()));
    assert!(is_signed(
        &t.clone().query("a=1&X-Amz-Credential=abc").req()
    ));
    assert!(is_signed(&t.clone().query("AWSAccessKeyId=a").req()));
    assert!(!is_signed(&t.clone().query("prefix=X-Amz-Signature").req()));
}

/// The suite's get-vanilla request re-dated: skew is checked before the
/// signature, so the signature need not match.
fn vanilla_at(date: &str) -> T {
    let t = suite(
        "GET",
        "/",
        &[],
        "host;x-amz-date",
        "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31",
    );
    let auth = t
        .req()
        .header("authorization")
        .unwrap()
        .replace("20150830", &date[..8]);
    t.set("x-amz-date", date).set("authorization", &auth)
}

#[test]
fn clock_skew() {
    let c = creds(SUITE_KEY, SUITE_SECRET);
    let now = at("20140325T145251Z");
    let old = vanilla_at("20140325T143453Z");
    let e = old.verify(&c, Dialect::Json, now).unwrap_err();
    assert_eq!(
        (e.status, e.code.as_str()),
        (400, "InvalidSignatureException")
    );
    assert_eq!(
        e.message,
        "Signature expired: 20140325T143453Z is now earlier than 20140325T143751Z (20140325T145251Z - 15 min.)"
    );
    let e = old.verify(&c, Dialect::Query, now).unwrap_err();
    assert_eq!((e.status, e.code.as_str()), (403, "SignatureDoesNotMatch"));
    assert_eq!(
        e.message,
        "Signature expired: 20140325T143453Z is now earlier than 20140325T143751Z (20140325T145251Z - 15 min.)"
    );
    let e = old.verify(&c, Dialect::S3, now).unwrap_err();
    assert_eq!((e.status, e.code.as_str()), (403, "RequestTimeTooSkewed"));
    assert_eq!(
        e.message,
        "The difference between the request time and the current time is too large."
    );
    assert_eq!(
        e.extra,
        [
            ("RequestTime".to_string(), "20140325T143453Z".to_string()),
            ("ServerTime".to_string(), "2014-03-25T14:52:51Z".to_string()),
            (
                "MaxAllowedSkewMilliseconds".to_string(),
                "900000".to_string()
            ),
        ]
    );
    let future = vanilla_at("20140325T151000Z");
    let e = future.verify(&c, Dialect::Query, now).unwrap_err();
    assert_eq!(
        e.message,
        "Signature not yet current: 20140325T151000Z is still later than 20140325T150751Z (20140325T145251Z + 15 min.)"
    );
    // Within 15 minutes either way the signature decides.
    let vanilla = vanilla_at(SUITE_DATE);
    for delta in [-900, 900] {
        assert!(
            vanilla
                .verify(&c, Dialect::Json, secs(at(SUITE_DATE), delta))
                .is_ok()
        );
    }
    for delta in [-901, 901] {
        assert_eq!(
            code(vanilla.verify(&c, Dialect::Json, secs(at(SUITE_DATE), delta))).1,
            "InvalidSignatureException"
        );
    }
}

#[test]
fn unknown_access_key() {
    let t = vanilla_at(SUITE_DATE);
    let c = creds("someone-else", SUITE_SECRET);
    let now = at(SUITE_DATE);
    let e = t.verify(&c, Dialect::S3, now).unwrap_err();
    assert_eq!((e.status, e.code.as_str()), (403, "InvalidAccessKeyId"));
    assert_eq!(
        e.message,
        "The AWS Access Key Id you provided does not exist in our records."
    );
    assert_eq!(e.extra("AWSAccessKeyId"), Some(SUITE_KEY));
    let e = t.verify(&c, Dialect::Json, now).unwrap_err();
    assert_eq!(
        (e.status, e.code.as_str(), e.message.as_str()),
        (
            400,
            "UnrecognizedClientException",
            "The security token included in the request is invalid."
        )
    );
    let e = t.verify(&c, Dialect::Query, now).unwrap_err();
    assert_eq!(
        (e.status, e.code.as_str(), e.message.as_str()),
        (
            403,
            "InvalidClientTokenId",
            "The security token included in the request is invalid."
        )
    );
}

#[test]
fn wrong_signature_messages() {
    let t = vanilla_at(SUITE_DATE);
    let c = creds(SUITE_KEY, "wrong");
    let now = at(SUITE_DATE);
    let msg = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";
    let e = t.verify(&c, Dialect::Json, now).unwrap_err();
    assert_eq!(
        (e.status, e.code.as_str(), e.message.as_str()),
        (400, "InvalidSignatureException", msg)
    );
    assert!(e.extra.is_empty());
    let e = t.verify(&c, Dialect::Query, now).unwrap_err();
    assert_eq!(
        (e.status, e.code.as_str(), e.message.as_str()),
        (403, "SignatureDoesNotMatch", msg)
    );
    let e = t.verify(&c, Dialect::S3, now).unwrap_err();
    assert_eq!((e.status, e.code.as_str()), (403, "SignatureDoesNotMatch"));
    assert_eq!(
        e.message,
        "The request signature we calculated does not match the signature you provided. Check your key and signing method."
    );
    let aws: AwsError = e.clone().into();
    assert_eq!(
        (aws.status, aws.code.as_str(), aws.extra.len()),
        (403, "SignatureDoesNotMatch", 6)
    );
    assert!(aws.sender_fault);
}

#[test]
fn malformed_authorization() {
    let c = creds(SUITE_KEY, SUITE_SECRET);
    let now = at(SUITE_DATE);
    let t = vanilla_at(SUITE_DATE);
    let with_auth = |a: &str| t.clone().set("authorization", a);

    let partial = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date";
    let e = with_auth(partial).verify(&c, Dialect::S3, now).unwrap_err();
    assert_eq!(
        (e.status, e.code.as_str()),
        (400, "AuthorizationHeaderMalformed")
    );
    assert_eq!(
        e.message,
        "The authorization header is malformed; the authorization header requires three components: Credential, SignedHeaders, and Signature."
    );
    let e = with_auth(partial)
        .verify(&c, Dialect::Json, now)
        .unwrap_err();
    assert_eq!(
        (e.status, e.code.as_str()),
        (400, "IncompleteSignatureException")
    );
    assert_eq!(
        e.message,
        format!("Authorization header requires 'Signature' parameter. Authorization={partial}")
    );
    let e = with_auth(partial)
        .without("x-amz-date")
        .verify(&c, Dialect::Query, now)
        .unwrap_err();
    assert_eq!((e.status, e.code.as_str()), (400, "IncompleteSignature"));
    assert_eq!(
        e.message,
        format!(
            "Authorization header requires 'Signature' parameter. Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization={partial}"
        )
    );
    let e = with_auth("AWS4-HMAC-SHA256")
        .verify(&c, Dialect::Json, now)
        .unwrap_err();
    assert_eq!(
        e.message,
        "Authorization header requires 'Credential' parameter. Authorization header requires 'Signature' parameter. Authorization header requires 'SignedHeaders' parameter. Authorization=AWS4-HMAC-SHA256"
    );

    let bad_credential = t
        .req()
        .header("authorization")
        .unwrap()
        .replace("/aws4_request", "/aws5_request");
    let e = with_auth(&bad_credential)
        .verify(&c, Dialect::S3, now)
        .unwrap_err();
    assert_eq!(
        (e.status, e.code.as_str()),
        (400, "AuthorizationHeaderMalformed")
    );
    assert_eq!(
        e.message,
        "The authorization header is malformed; the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\"."
    );
    let e = with_auth(&bad_credential)
        .verify(&c, Dialect::Query, now)
        .unwrap_err();
    assert_eq!((e.status, e.code.as_str()), (400, "IncompleteSignature"));
    assert_eq!(
        e.message,
        "Credential should be scoped with a valid terminator: 'aws4_request', not 'aws5_request'."
    );

    // No date at all (S3) / a date that is not ISO basic (JSON).
    let e = t
        .clone()
        .without("x-amz-date")
        .verify(&c, Dialect::S3, now)
        .unwrap_err();
    assert_eq!((e.status, e.code.as_str()), (403, "AccessDenied"));
    assert_eq!(
        e.message,
        "AWS authentication requires a valid Date or x-amz-date header"
    );
    let e = t
        .clone()
        .set("x-amz-date", "2015-08-30T12:36:00Z")
        .verify(&c, Dialect::Json, now)
        .unwrap_err();
    assert_eq!(e.code, "IncompleteSignatureException");
    // A credential date that is not the request's.
    let e = t
        .clone()
        .set("x-amz-date", "20150831T000000Z")
        .verify(&c, Dialect::Json, at("20150831T000000Z"))
        .unwrap_err();
    assert_eq!(e.code, "InvalidSignatureException");
    assert!(
        e.message
            .starts_with("Date in Credential scope does not match")
    );
    // Another scheme.
    let e = with_auth("Bearer abc")
        .verify(&c, Dialect::S3, now)
        .unwrap_err();
    assert_eq!(
        (e.status, e.code.as_str(), e.message.as_str()),
        (400, "InvalidArgument", "Unsupported Authorization Type")
    );
    let e = with_auth("Bearer abc")
        .verify(&c, Dialect::Json, now)
        .unwrap_err();
    assert_eq!(e.code, "IncompleteSignatureException");
}

#[test]
fn dialect_of_a_date_header_signed_request() {
    // A request dated by `Date:` only signs the ISO basic form of it.
    let c = creds(SUITE_KEY, SUITE_SECRET);
    let key = signing_key(SUITE_SECRET, "20150830", "us-east-1", "service");
    let canonical = format!(
        "GET\n/\n\ndate:Sun, 30 Aug 2015 12:36:00 GMT\nhost:example.amazonaws.com\n\ndate;host\n{}",
        canonical::EMPTY_SHA256
    );
    let sts = format!(
        "AWS4-HMAC-SHA256\n{SUITE_DATE}\n20150830/us-east-1/service/aws4_request\n{}",
        sha256_hex(canonical.as_bytes())
    );
    let sig = hex::encode(hmac256(&key, sts.as_bytes()));
    let t = T::new(
        "GET",
        "/",
        &[
            ("host", "example.amazonaws.com"),
            ("date", "Sun, 30 Aug 2015 12:36:00 GMT"),
        ],
    )
    .header("authorization", &suite_auth("date;host", &sig));
    assert!(t.verify(&c, Dialect::Json, at(SUITE_DATE)).is_ok());
    assert!(
        t.clone()
            .set("date", "Sun, 30 Aug 2015 12:36:01 GMT")
            .verify(&c, Dialect::Json, at(SUITE_DATE))
            .is_err()
    );
}

#[test]
fn s3_path_signed_as_sent_is_accepted() {
    // A client that left `(` unencoded on the wire and signed it so.
    let key = signing_key("test", "20130524", "us-east-1", "s3");
    let sign_path = |signed_path: &str| {
        let canonical = format!(
            "GET\n{signed_path}\n\nhost:localhost\nx-amz-content-sha256:UNSIGNED-PAYLOAD\nx-amz-date:{S3_DATE}\n\nhost;x-amz-content-sha256;x-amz-date\nUNSIGNED-PAYLOAD"
        );
        let sts = format!(
            "AWS4-HMAC-SHA256\n{S3_DATE}\n20130524/us-east-1/s3/aws4_request\n{}",
            sha256_hex(canonical.as_bytes())
        );
        let sig = hex::encode(hmac256(&key, sts.as_bytes()));
        T::new("GET", "/b/a(1)", &[("host", "localhost"), ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"), ("x-amz-date", S3_DATE)]).header(
            "authorization",
            &format!("AWS4-HMAC-SHA256 Credential=test/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature={sig}"),
        )
    };
    let c = Credentials::default();
    assert!(
        sign_path("/b/a(1)")
            .verify(&c, Dialect::S3, at(S3_DATE))
            .is_ok()
    );
    assert!(
        sign_path("/b/a%281%29")
            .verify(&c, Dialect::S3, at(S3_DATE))
            .is_ok()
    );
    let e = sign_path("/b/a%28")
        .verify(&c, Dialect::S3, at(S3_DATE))
        .unwrap_err();
    assert_eq!(
        e.extra("CanonicalRequest").unwrap().lines().nth(1),
        Some("/b/a%281%29")
    );
}

#[test]
fn credentials() {
    assert_eq!(
        Credentials::parse_pair("AKID:se:cret"),
        Ok(("AKID".into(), "se:cret".into()))
    );
    for bad in ["nocolon", ":secret", "key:", "a b:c"] {
        assert!(Credentials::parse_pair(bad).is_err(), "{bad}");
    }
    // Error messages never echo a secret.
    let e = Credentials::parse_pair(":hunter2").unwrap_err();
    assert!(!e.contains("hunter2"), "{e}");
    let c = Credentials::new([("AKID".into(), "s".into())]);
    assert_eq!(c.secret("AKID"), Some("s"));
    assert_eq!(c.secret("test"), Some("test"));
    assert_eq!(c.secret("nobody"), None);
    assert!(!format!("{c:?}").contains("\"s\""));
    assert_eq!(
        Credentials::new([("test".into(), "x".into())]).secret("test"),
        Some("x")
    );
}

#[test]
fn needs_body_only_when_the_signature_or_a_check_reads_it() {
    assert!(!needs_body(
        &s3_get_object()
            .set("x-amz-content-sha256", "UNSIGNED-PAYLOAD")
            .req()
    ));
    assert!(!needs_body(&s3_chunked_put().req()));
    assert!(!needs_body(&s3_presigned("86400").req()));
    assert!(needs_body(&s3_get_object().req()), "hex hash is compared");
    assert!(needs_body(
        &s3_get_object().without("x-amz-content-sha256").req()
    ));
    assert!(
        needs_body(&vanilla_at(SUITE_DATE).req()),
        "non-S3 signs the body"
    );
    assert!(!needs_body(
        &T::new("GET", "/", &[("authorization", "AWS a:b")]).req()
    ));
    assert!(!needs_body(&T::new("GET", "/", &[]).req()));
}

/// Presigned URLs of the JSON / query services: the body is hashed, and
/// errors are worded per dialect.
#[test]
fn non_s3_presigned_url() {
    let key = signing_key(SUITE_SECRET, "20150830", "us-east-1", "sqs");
    let query = format!(
        "Action=ListQueues&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential={SUITE_KEY}%2F20150830%2Fus-east-1%2Fsqs%2Faws4_request&X-Amz-Date={SUITE_DATE}&X-Amz-Expires=60&X-Amz-SignedHeaders=host"
    );
    let canonical = format!(
        "GET\n/\n{}\nhost:sqs.us-east-1.amazonaws.com\n\nhost\n{}",
        canonical::canonical_query(&query, true),
        canonical::EMPTY_SHA256
    );
    let sts = format!(
        "AWS4-HMAC-SHA256\n{SUITE_DATE}\n20150830/us-east-1/sqs/aws4_request\n{}",
        sha256_hex(canonical.as_bytes())
    );
    let sig = hex::encode(hmac256(&key, sts.as_bytes()));
    let t = T::new("GET", "/", &[("host", "sqs.us-east-1.amazonaws.com")])
        .query(&format!("{query}&X-Amz-Signature={sig}"));
    let c = creds(SUITE_KEY, SUITE_SECRET);
    let v = t.verify(&c, Dialect::Query, at(SUITE_DATE)).unwrap();
    assert_eq!((v.scheme, v.service.as_str()), (Scheme::V4Query, "sqs"));
    assert!(needs_body(&t.req()));
    // A body changes the payload hash.
    assert_eq!(
        code(
            t.clone()
                .body(b"x")
                .verify(&c, Dialect::Query, at(SUITE_DATE))
        )
        .1,
        "SignatureDoesNotMatch"
    );
    let e = t
        .verify(&c, Dialect::Json, secs(at(SUITE_DATE), 61))
        .unwrap_err();
    assert_eq!(
        (e.status, e.code.as_str()),
        (400, "InvalidSignatureException")
    );
    assert!(e.message.starts_with("Signature expired"), "{}", e.message);
    let e = t
        .clone()
        .query(&t.query.replace("&X-Amz-Date=20150830T123600Z", ""))
        .verify(&c, Dialect::Query, at(SUITE_DATE))
        .unwrap_err();
    assert_eq!((e.status, e.code.as_str()), (400, "IncompleteSignature"));
    assert_eq!(
        e.message,
        "AWS query-string parameters must include 'X-Amz-Date'. Re-examine the query-string parameters."
    );
}
