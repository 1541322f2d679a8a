//! A replay of the calls Terraform's AWS provider makes for `aws_s3_bucket`,
//! `aws_s3_bucket_versioning` and `aws_s3_object` (create, read, destroy; see
//! terraform-provider-calls.md), path-style and virtual-hosted, checking
//! each answer is what the provider expects from AWS.

mod s3_common;

use ruststack_tests::client;
use ruststack_tests::{xml_all, xml_text};
use s3_common::S3;

/// One addressing style: how to reach a bucket (and an object in it).
struct Style {
    base: String,
    host: Option<String>,
    prefix: String,
}

impl Style {
    fn call(
        &self,
        method: &str,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: &str,
        signed: bool,
    ) -> (u16, reqwest::header::HeaderMap, String) {
        let url = format!("{}{}{}", self.base, self.prefix, path_and_query);
        let mut rb = client()
            .request(reqwest::Method::from_bytes(method.as_bytes()).unwrap(), url)
            .body(body.to_string());
        if let Some(h) = &self.host {
            rb = rb.header("host", h);
        }
        if signed {
            rb = rb.header(
                "authorization",
                "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00",
            );
        }
        for (k, v) in headers {
            rb = rb.header(*k, *v);
        }
        let r = rb.send().expect("request");
        let status = r.status().as_u16();
        let headers = r.headers().clone();
        (status, headers, r.text().unwrap_or_default())
    }

    fn get(&self, pq: &str) -> (u16, reqwest::header::HeaderMap, String) {
        self.call("GET", pq, &[], "", true)
    }
}

fn code(body: &str) -> String {
    xml_text(body, "Code").unwrap_or_default().to_string()
}

fn replay(s: &S3, style: &Style, bucket: &str) {
    let url = s.url();
    // provider configure: sts:GetCallerIdentity.
    let r = client()
        .post(format!("{url}/"))
        .header("content-type", "application/x-www-form-urlencoded")
        .header(
            "authorization",
            "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/sts/aws4_request, SignedHeaders=host, Signature=00",
        )
        .body("Action=GetCallerIdentity&Version=2011-06-15")
        .send()
        .unwrap();
    let body = r.text().unwrap();
    assert_eq!(xml_text(&body, "Account"), Some("000000000000"));
    assert!(xml_text(&body, "Arn").unwrap().starts_with("arn:aws:"));

    // ---- aws_s3_bucket: create ----
    let (st, _, _) = style.call("HEAD", "/", &[], "", true);
    assert_eq!(st, 404, "HeadBucket before create");
    let (st, _, body) = style.call("PUT", "/", &[("x-amz-acl", "private")], "", true);
    assert_eq!(st, 200, "CreateBucket: {body}");
    let (st, _, _) = style.call("HEAD", "/", &[], "", true);
    assert_eq!(st, 200);
    let (st, _, body) = style.get("/?tagging");
    assert_eq!((st, code(&body).as_str()), (404, "NoSuchTagSet"));
    let tagging = r#"<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet><Tag><Key>Name</Key><Value>tf</Value></Tag></TagSet></Tagging>"#;
    let (st, _, body) = style.call("PUT", "/?tagging", &[], tagging, true);
    assert!(st == 204 || st == 200, "PutBucketTagging {st}: {body}");

    // ---- aws_s3_bucket: read ----
    let (st, _, _) = style.call("HEAD", "/", &[], "", true);
    assert_eq!(st, 200);
    let expect_error = |pq: &str, want: &str| {
        let (st, _, body) = style.get(pq);
        assert_eq!(st, 404, "{pq}: {body}");
        assert_eq!(code(&body), want, "{pq}");
        assert_eq!(xml_text(&body, "BucketName"), Some(bucket), "{pq}");
    };
    expect_error("/?policy", "NoSuchBucketPolicy");
    let (st, _, body) = style.get("/?acl");
    assert_eq!(st, 200);
    assert_eq!(xml_text(&body, "Permission"), Some("FULL_CONTROL"));
    assert!(body.contains("<AccessControlList>"), "{body}");
    expect_error("/?cors", "NoSuchCORSConfiguration");
    expect_error("/?website", "NoSuchWebsiteConfiguration");
    let (st, _, body) = style.get("/?versioning");
    assert_eq!(st, 200);
    assert!(
        body.contains("<VersioningConfiguration") && xml_text(&body, "Status").is_none(),
        "{body}"
    );
    let (st, _, body) = style.get("/?accelerate");
    assert_eq!(st, 200, "{body}");
    let (st, _, body) = style.get("/?requestPayment");
    assert_eq!((st, xml_text(&body, "Payer")), (200, Some("BucketOwner")));
    let (st, _, body) = style.get("/?logging");
    assert_eq!(st, 200);
    assert!(
        body.contains("BucketLoggingStatus") && !body.contains("LoggingEnabled"),
        "{body}"
    );
    expect_error("/?lifecycle", "NoSuchLifecycleConfiguration");
    expect_error("/?replication", "ReplicationConfigurationNotFoundError");
    let (st, _, body) = style.get("/?encryption");
    assert_eq!((st, xml_text(&body, "SSEAlgorithm")), (200, Some("AES256")));
    expect_error("/?object-lock", "ObjectLockConfigurationNotFoundError");
    // manager.GetBucketRegion: an anonymous HeadBucket.
    let (st, h, _) = style.call("HEAD", "/", &[], "", false);
    assert_eq!(st, 200);
    assert_eq!(h["x-amz-bucket-region"], "us-east-1");
    let (st, _, body) = style.get("/?tagging");
    assert_eq!(st, 200);
    assert_eq!(xml_text(&body, "Key"), Some("Name"));

    // ---- aws_s3_bucket_versioning ----
    let enabled = r#"<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Enabled</Status></VersioningConfiguration>"#;
    let (st, _, body) = style.call("PUT", "/?versioning", &[], enabled, true);
    assert_eq!(st, 200, "{body}");
    for _ in 0..3 {
        let (_, _, body) = style.get("/?versioning");
        assert_eq!(xml_text(&body, "Status"), Some("Enabled"));
    }

    // ---- aws_s3_object ----
    let (st, h, body) = style.call(
        "PUT",
        "/tf/object.txt",
        &[
            ("content-type", "text/plain"),
            ("x-amz-tagging", "env=test&team=a%20b"),
        ],
        "terraform body",
        true,
    );
    assert_eq!(st, 200, "{body}");
    let vid = h["x-amz-version-id"].to_str().unwrap().to_string();
    let (st, h, _) = style.call("HEAD", "/tf/object.txt", &[], "", true);
    assert_eq!(st, 200);
    assert_eq!(h["content-type"], "text/plain");
    assert_eq!(h["x-amz-version-id"], vid.as_str());
    assert_eq!(h["content-length"], "14");
    for forbidden in [
        "cache-control",
        "content-disposition",
        "content-encoding",
        "content-language",
        "x-amz-website-redirect-location",
        "x-amz-object-lock-mode",
    ] {
        assert!(h.get(forbidden).is_none(), "{forbidden} must be absent");
    }
    assert!(!h.keys().any(|k| k.as_str().starts_with("x-amz-meta-")));
    let (st, _, body) = style.get("/tf/object.txt?tagging");
    assert_eq!(st, 200);
    assert_eq!(xml_all(&body, "Key"), ["env", "team"]);
    assert_eq!(xml_all(&body, "Value"), ["test", "a b"]);

    // destroy aws_s3_object: deleteAllObjectVersions.
    let (_, _, body) = style.get("/?versions&prefix=tf%2Fobject.txt");
    let ids = xml_all(&body, "VersionId");
    assert_eq!(ids, std::slice::from_ref(&vid));
    for id in ids {
        let (st, _, _) = style.call(
            "DELETE",
            &format!("/tf/object.txt?versionId={id}"),
            &[],
            "",
            true,
        );
        assert_eq!(st, 204);
    }
    let (_, _, body) = style.get("/?versions&prefix=tf%2Fobject.txt");
    assert!(
        !body.contains("<DeleteMarker>") && !body.contains("<Version>"),
        "{body}"
    );
    let (st, _, _) = style.call("HEAD", "/tf/object.txt", &[], "", true);
    assert_eq!(st, 404);
    // A plain DeleteObject of a missing key in a versioned bucket: 204 + marker.
    let (st, h, _) = style.call("DELETE", "/tf/other.txt", &[], "", true);
    assert_eq!(st, 204);
    assert_eq!(h["x-amz-delete-marker"], "true");
    let (_, _, body) = style.get("/?versions&prefix=tf%2Fother.txt");
    let markers = xml_all(&body, "VersionId");
    assert_eq!(markers.len(), 1, "{body}");
    let (st, _, _) = style.call(
        "DELETE",
        &format!("/tf/other.txt?versionId={}", markers[0]),
        &[],
        "",
        true,
    );
    assert_eq!(st, 204);

    // destroy aws_s3_bucket_versioning: Suspended.
    let suspended = r#"<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Suspended</Status></VersioningConfiguration>"#;
    let (st, _, _) = style.call("PUT", "/?versioning", &[], suspended, true);
    assert_eq!(st, 200);
    let (_, _, body) = style.get("/?versioning");
    assert_eq!(xml_text(&body, "Status"), Some("Suspended"));

    // destroy aws_s3_bucket.
    let (st, _, body) = style.call("DELETE", "/", &[], "", true);
    assert_eq!(st, 204, "{body}");
    let (st, _, _) = style.call("HEAD", "/", &[], "", true);
    assert_eq!(st, 404);
    let (st, _, body) = style.call("DELETE", "/", &[], "", true);
    assert_eq!((st, code(&body).as_str()), (404, "NoSuchBucket"));
}

#[test]
fn terraform_s3_resources_replay_path_style() {
    let s = S3::start();
    let style = Style {
        base: s.url(),
        host: None,
        prefix: "/tf-path-bucket".into(),
    };
    replay(&s, &style, "tf-path-bucket");
}

#[test]
fn terraform_s3_resources_replay_virtual_hosted() {
    let s = S3::start();
    let style = Style {
        base: s.url(),
        host: Some(format!("tf-virtual-bucket.localhost:{}", s.server.port)),
        prefix: String::new(),
    };
    replay(&s, &style, "tf-virtual-bucket");
}
