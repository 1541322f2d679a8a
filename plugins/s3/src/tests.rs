//! Unit tests of whole operations through the sdk's test kit (in-memory kv
//! and blobs): bucket rules, versioning bookkeeping and listings.

use ruststack_sdk::testkit::{self, RequestBuilder};

use crate::S3;
use crate::store::{self, Bucket, Obj};

fn call(method: &str, path: &str, query: &str, body: &[u8]) -> (u16, String) {
    let req = RequestBuilder::new(method, path)
        .query(query)
        .body(body)
        .build();
    let (st, b) = testkit::respond::<S3>(req);
    (st, String::from_utf8_lossy(&b).into_owned())
}

fn code(body: &str) -> &str {
    body.split("<Code>")
        .nth(1)
        .and_then(|r| r.split("</Code>").next())
        .unwrap_or("")
}

/// Runs `f` where S3's requests keep their data (the partition scope).
fn in_partition<R>(f: impl FnOnce() -> R) -> R {
    ruststack_sdk::scope::with(ruststack_sdk::scope::Scope::Partition, f)
}

#[test]
fn buckets_follow_the_naming_and_emptiness_rules() {
    testkit::reset();
    assert_eq!(call("PUT", "/unit-bucket", "", b"").0, 200);
    // Re-created by its owner in us-east-1: 200, as AWS answers there.
    assert_eq!(call("PUT", "/unit-bucket", "", b"").0, 200);
    let (st, b) = call("PUT", "/No_Good", "", b"");
    assert_eq!((st, code(&b)), (400, "InvalidBucketName"));
    let (st, b) = call("GET", "/", "", b"");
    assert_eq!(st, 200);
    assert!(b.contains("<Name>unit-bucket</Name>"), "{b}");
    in_partition(|| {
        store::put_object(
            "unit-bucket",
            &Obj {
                key: "k".into(),
                ..Obj::default()
            },
        )
    });
    let (st, b) = call("DELETE", "/unit-bucket", "", b"");
    assert_eq!((st, code(&b)), (409, "BucketNotEmpty"));
    in_partition(|| store::delete_current("unit-bucket", "k"));
    assert_eq!(call("DELETE", "/unit-bucket", "", b"").0, 204);
    let (st, b) = call("GET", "/unit-bucket", "cors", b"");
    assert_eq!((st, code(&b)), (404, "NoSuchBucket"));
}

#[test]
fn versioned_writes_and_deletes_keep_history_in_order() {
    testkit::reset();
    let mut b = Bucket {
        name: "ver".into(),
        region: "us-east-1".into(),
        created_ms: 0,
        versioning: Some("Enabled".into()),
        object_lock: false,
        owner: "000000000000".into(),
    };
    store::put_bucket(&b);
    let obj = |body: &str| Obj {
        key: "k".into(),
        blob: testkit::add_blob(body.as_bytes()),
        size: body.len() as u64,
        ..Obj::default()
    };
    let v1 = crate::object::write(&b, obj("one"));
    let v2 = crate::object::write(&b, obj("two"));
    assert_ne!(v1.vid(), v2.vid());
    assert_eq!(store::object("ver", "k").unwrap().vid(), v2.vid());
    let marker = crate::object::write(
        &b,
        Obj {
            key: "k".into(),
            delete_marker: true,
            ..Obj::default()
        },
    );
    assert!(store::object("ver", "k").is_none());
    let history: Vec<String> = store::key_versions("ver", "k")
        .iter()
        .map(Obj::vid)
        .collect();
    assert_eq!(history, [marker.vid(), v2.vid(), v1.vid()]);
    // Suspended: the null version is replaced, not stacked.
    b.versioning = Some("Suspended".into());
    store::put_bucket(&b);
    crate::object::write(&b, obj("n1"));
    crate::object::write(&b, obj("n2"));
    let nulls = store::key_versions("ver", "k")
        .iter()
        .filter(|o| o.version_id.is_none())
        .count();
    assert_eq!(nulls, 1);
}

#[test]
fn listings_roll_up_common_prefixes_and_page() {
    testkit::reset();
    assert_eq!(call("PUT", "/lister", "", b"").0, 200);
    for k in ["a/1", "a/2", "b/1", "c", "d"] {
        in_partition(|| {
            store::put_object(
                "lister",
                &Obj {
                    key: k.into(),
                    etag: "e".into(),
                    ..Obj::default()
                },
            )
        });
    }
    let (st, b) = call("GET", "/lister", "list-type=2&delimiter=/&max-keys=3", b"");
    assert_eq!(st, 200);
    assert!(
        b.contains("<Prefix>a/</Prefix>") && b.contains("<Prefix>b/</Prefix>"),
        "{b}"
    );
    assert!(
        b.contains("<Key>c</Key>") && !b.contains("<Key>d</Key>"),
        "{b}"
    );
    assert!(b.contains("<IsTruncated>true</IsTruncated>"), "{b}");
    let token = b
        .split("<NextContinuationToken>")
        .nth(1)
        .and_then(|r| r.split('<').next())
        .unwrap()
        .to_string();
    let (_, b) = call(
        "GET",
        "/lister",
        &format!(
            "list-type=2&delimiter=/&continuation-token={}",
            token.replace('=', "%3D")
        ),
        b"",
    );
    assert!(
        b.contains("<Key>d</Key>") && !b.contains("<Key>c</Key>"),
        "{b}"
    );
    assert!(b.contains("<KeyCount>1</KeyCount>"), "{b}");
}
