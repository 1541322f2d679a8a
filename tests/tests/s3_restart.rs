//! After SIGKILL and a restart on the same data dir, S3 still has its
//! buckets, objects (bytes and metadata), versions, configurations and
//! multipart uploads in progress — which can then be completed.

mod s3_common;

use s3_common::{S3, random_file, same_file};
use serde_json::Value;

#[test]
fn everything_survives_sigkill_and_restart() {
    let data = ruststack_tests::tempdir();
    let mut s = S3::start_with_data(data.path());
    let dir = ruststack_tests::tempdir();
    let big = dir.path().join("big");
    random_file(&big, 3 * 1024 * 1024 + 17, 3);
    let part = dir.path().join("part");
    random_file(&part, 5 * 1024 * 1024, 4);
    let small = dir.path().join("small");
    std::fs::write(&small, "small body").unwrap();

    s.ok(&["s3", "mb", "s3://keep-plain"]);
    s.ok(&["s3", "mb", "s3://keep-versioned"]);
    s.ok(&[
        "s3api",
        "put-object",
        "--bucket",
        "keep-plain",
        "--key",
        "dir/small.txt",
        "--body",
        small.to_str().unwrap(),
        "--metadata",
        "owner=me",
        "--content-type",
        "text/plain",
    ]);
    s.ok(&["s3", "cp", big.to_str().unwrap(), "s3://keep-plain/big.bin"]);
    s.ok(&[
        "s3api",
        "put-bucket-tagging",
        "--bucket",
        "keep-plain",
        "--tagging",
        "TagSet=[{Key=k,Value=v}]",
    ]);
    s.ok(&[
        "s3api",
        "put-bucket-cors",
        "--bucket",
        "keep-plain",
        "--cors-configuration",
        r#"{"CORSRules":[{"AllowedOrigins":["*"],"AllowedMethods":["GET"]}]}"#,
    ]);
    s.ok(&[
        "s3api",
        "put-bucket-versioning",
        "--bucket",
        "keep-versioned",
        "--versioning-configuration",
        "Status=Enabled",
    ]);
    let v1 = s.json(&[
        "s3api",
        "put-object",
        "--bucket",
        "keep-versioned",
        "--key",
        "k",
        "--body",
        small.to_str().unwrap(),
    ]);
    s.json(&[
        "s3api",
        "put-object",
        "--bucket",
        "keep-versioned",
        "--key",
        "k",
        "--body",
        big.to_str().unwrap(),
    ]);
    let upload = s.json(&[
        "s3api",
        "create-multipart-upload",
        "--bucket",
        "keep-plain",
        "--key",
        "mp",
    ]);
    let id = upload["UploadId"].as_str().unwrap().to_string();
    let e1 = s.json(&[
        "s3api",
        "upload-part",
        "--bucket",
        "keep-plain",
        "--key",
        "mp",
        "--upload-id",
        &id,
        "--part-number",
        "1",
        "--body",
        part.to_str().unwrap(),
    ])["ETag"]
        .as_str()
        .unwrap()
        .to_string();

    s.server.restart();

    let ls = s.ok(&["s3", "ls"]);
    assert!(
        ls.contains("keep-plain") && ls.contains("keep-versioned"),
        "{ls}"
    );
    let head = s.json(&[
        "s3api",
        "head-object",
        "--bucket",
        "keep-plain",
        "--key",
        "dir/small.txt",
    ]);
    assert_eq!(head["Metadata"]["owner"], "me");
    assert_eq!(head["ContentType"], "text/plain");
    let out = dir.path().join("out");
    s.ok(&["s3", "cp", "s3://keep-plain/big.bin", out.to_str().unwrap()]);
    assert!(same_file(&big, &out));
    assert_eq!(
        s.json(&["s3api", "get-bucket-tagging", "--bucket", "keep-plain"])["TagSet"][0]["Key"],
        "k"
    );
    assert_eq!(
        s.json(&["s3api", "get-bucket-cors", "--bucket", "keep-plain"])["CORSRules"][0]["AllowedMethods"]
            [0],
        "GET"
    );
    assert_eq!(
        s.json(&[
            "s3api",
            "get-bucket-versioning",
            "--bucket",
            "keep-versioned"
        ])["Status"],
        "Enabled"
    );
    let versions = s.json(&[
        "s3api",
        "list-object-versions",
        "--bucket",
        "keep-versioned",
    ]);
    assert_eq!(versions["Versions"].as_array().unwrap().len(), 2);
    s.ok(&[
        "s3api",
        "get-object",
        "--bucket",
        "keep-versioned",
        "--key",
        "k",
        "--version-id",
        v1["VersionId"].as_str().unwrap(),
        out.to_str().unwrap(),
    ]);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "small body");

    let ups = s.json(&["s3api", "list-multipart-uploads", "--bucket", "keep-plain"]);
    assert_eq!(ups["Uploads"][0]["UploadId"], id.as_str());
    let parts = s.json(&[
        "s3api",
        "list-parts",
        "--bucket",
        "keep-plain",
        "--key",
        "mp",
        "--upload-id",
        &id,
    ]);
    assert_eq!(parts["Parts"][0]["ETag"], e1.as_str());
    let e2 = s.json(&[
        "s3api",
        "upload-part",
        "--bucket",
        "keep-plain",
        "--key",
        "mp",
        "--upload-id",
        &id,
        "--part-number",
        "2",
        "--body",
        small.to_str().unwrap(),
    ])["ETag"]
        .as_str()
        .unwrap()
        .to_string();
    let spec =
        format!(r#"{{"Parts":[{{"PartNumber":1,"ETag":{e1}}},{{"PartNumber":2,"ETag":{e2}}}]}}"#);
    let done: Value = serde_json::from_str(&s.ok(&[
        "s3api",
        "complete-multipart-upload",
        "--bucket",
        "keep-plain",
        "--key",
        "mp",
        "--upload-id",
        &id,
        "--multipart-upload",
        &spec,
    ]))
    .unwrap();
    assert!(done["ETag"].as_str().unwrap().ends_with("-2\""));

    // And the completed object survives another SIGKILL.
    s.server.restart();
    let head = s.json(&[
        "s3api",
        "head-object",
        "--bucket",
        "keep-plain",
        "--key",
        "mp",
    ]);
    assert_eq!(head["ContentLength"], 5 * 1024 * 1024 + 10);
    s.ok(&[
        "s3api",
        "get-object",
        "--bucket",
        "keep-plain",
        "--key",
        "mp",
        "--range",
        "bytes=-10",
        out.to_str().unwrap(),
    ]);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "small body");
}
