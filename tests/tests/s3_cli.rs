//! S3 through the AWS CLI (`aws s3` and `aws s3api`): buckets, objects,
//! listings, multipart, versioning, configurations, and a 200 MiB round trip.

mod s3_common;

use s3_common::{S3, random_file, same_file};
use serde_json::Value;

#[test]
fn buckets_are_created_listed_located_and_deleted_as_aws_does() {
    let s = S3::start();
    assert!(
        s.ok(&["s3", "mb", "s3://alpha-bucket"])
            .contains("make_bucket")
    );
    s.ok(&["s3api", "create-bucket", "--bucket", "beta-bucket"]);
    s.ok(&[
        "s3api",
        "create-bucket",
        "--bucket",
        "gamma-eu",
        "--create-bucket-configuration",
        "LocationConstraint=eu-west-1",
    ]);
    // Re-creating a bucket you own: 200 in us-east-1 (AWS's legacy
    // behaviour), BucketAlreadyOwnedByYou in any other region.
    let again = s.ok(&["s3api", "create-bucket", "--bucket", "alpha-bucket"]);
    assert!(again.contains("/alpha-bucket"), "{again}");
    s.fails_with(
        &[
            "s3api",
            "create-bucket",
            "--bucket",
            "gamma-eu",
            "--create-bucket-configuration",
            "LocationConstraint=eu-west-1",
        ],
        "BucketAlreadyOwnedByYou",
    );
    for bad in ["ab", "Upper-Case", "under_score", "a..b", "192.168.0.1"] {
        s.fails_with(
            &["s3api", "create-bucket", "--bucket", bad],
            "InvalidBucketName",
        );
    }
    s.fails_with(
        &[
            "s3api",
            "create-bucket",
            "--bucket",
            "delta-bucket",
            "--create-bucket-configuration",
            "LocationConstraint=us-east-1",
        ],
        "InvalidLocationConstraint",
    );

    let list = s.json(&["s3api", "list-buckets"]);
    let names: Vec<&str> = list["Buckets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["Name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["alpha-bucket", "beta-bucket", "gamma-eu"]);
    assert!(list["Owner"]["ID"].is_string());
    let page = s.json(&[
        "s3api",
        "list-buckets",
        "--max-buckets",
        "1",
        "--no-paginate",
    ]);
    assert_eq!(page["Buckets"].as_array().unwrap().len(), 1);
    assert_eq!(page["ContinuationToken"], "alpha-bucket");
    let pre = s.json(&["s3api", "list-buckets", "--prefix", "gam"]);
    assert_eq!(pre["Buckets"][0]["Name"], "gamma-eu");
    assert_eq!(pre["Buckets"][0]["BucketRegion"], "eu-west-1");

    let loc = s.json(&["s3api", "get-bucket-location", "--bucket", "gamma-eu"]);
    assert_eq!(loc["LocationConstraint"], "eu-west-1");
    let loc = s.json(&["s3api", "get-bucket-location", "--bucket", "alpha-bucket"]);
    assert!(loc["LocationConstraint"].is_null() || loc["LocationConstraint"] == "");
    let head = s.json(&["s3api", "head-bucket", "--bucket", "gamma-eu"]);
    assert_eq!(head["BucketRegion"], "eu-west-1");
    let out = s.fails(&["s3api", "head-bucket", "--bucket", "missing-bucket"]);
    assert!(out.stderr.contains("404"), "{}", out.stderr);

    std::fs::write(std::env::temp_dir().join("s3-bucket-test.txt"), "x").unwrap();
    s.ok(&[
        "s3",
        "cp",
        std::env::temp_dir()
            .join("s3-bucket-test.txt")
            .to_str()
            .unwrap(),
        "s3://beta-bucket/x.txt",
    ]);
    s.fails_with(
        &["s3api", "delete-bucket", "--bucket", "beta-bucket"],
        "BucketNotEmpty",
    );
    s.ok(&["s3", "rb", "s3://beta-bucket", "--force"]);
    s.ok(&["s3", "rb", "s3://alpha-bucket"]);
    s.fails_with(
        &["s3api", "delete-bucket", "--bucket", "alpha-bucket"],
        "NoSuchBucket",
    );
    assert!(!s.ok(&["s3", "ls"]).contains("alpha-bucket"));
}

#[test]
fn objects_keep_metadata_and_answer_ranges_conditionals_and_copies() {
    let s = S3::start();
    let dir = ruststack_tests::tempdir();
    let file = dir.path().join("body.txt");
    std::fs::write(&file, "0123456789abcdefghij").unwrap();
    let f = file.to_str().unwrap();
    s.ok(&["s3", "mb", "s3://objects"]);
    let put = s.json(&[
        "s3api",
        "put-object",
        "--bucket",
        "objects",
        "--key",
        "dir/doc.txt",
        "--body",
        f,
        "--content-type",
        "text/plain",
        "--cache-control",
        "max-age=60",
        "--content-disposition",
        "inline",
        "--content-language",
        "en",
        "--metadata",
        "color=blue,Size=big",
        "--tagging",
        "a=1&b=2",
        "--storage-class",
        "STANDARD_IA",
    ]);
    assert_eq!(put["ETag"], "\"644be06dfc54061fd1e67f5ebbabcd58\"");

    let head = s.json(&[
        "s3api",
        "head-object",
        "--bucket",
        "objects",
        "--key",
        "dir/doc.txt",
    ]);
    assert_eq!(head["ContentLength"], 20);
    assert_eq!(head["ContentType"], "text/plain");
    assert_eq!(head["CacheControl"], "max-age=60");
    assert_eq!(head["ContentDisposition"], "inline");
    assert_eq!(head["ContentLanguage"], "en");
    assert_eq!(head["Metadata"]["color"], "blue");
    assert_eq!(head["Metadata"]["size"], "big");
    assert_eq!(head["StorageClass"], "STANDARD_IA");
    assert_eq!(head["ETag"], put["ETag"]);

    let tags = s.json(&[
        "s3api",
        "get-object-tagging",
        "--bucket",
        "objects",
        "--key",
        "dir/doc.txt",
    ]);
    assert_eq!(tags["TagSet"][0]["Key"], "a");
    assert_eq!(tags["TagSet"][1]["Value"], "2");

    // Ranges: closed, open, suffix; past the end is InvalidRange.
    let out = dir.path().join("out");
    let o = out.to_str().unwrap();
    for (range, want) in [
        ("bytes=2-5", "2345"),
        ("bytes=15-", "fghij"),
        ("bytes=-3", "hij"),
    ] {
        let r = s.json(&[
            "s3api",
            "get-object",
            "--bucket",
            "objects",
            "--key",
            "dir/doc.txt",
            "--range",
            range,
            o,
        ]);
        assert_eq!(std::fs::read_to_string(&out).unwrap(), want, "{range}");
        assert!(r["ContentRange"].as_str().unwrap().ends_with("/20"));
    }
    s.fails_with(
        &[
            "s3api",
            "get-object",
            "--bucket",
            "objects",
            "--key",
            "dir/doc.txt",
            "--range",
            "bytes=20-",
            o,
        ],
        "InvalidRange",
    );

    // Conditionals.
    let etag = put["ETag"].as_str().unwrap();
    s.ok(&[
        "s3api",
        "get-object",
        "--bucket",
        "objects",
        "--key",
        "dir/doc.txt",
        "--if-match",
        etag,
        o,
    ]);
    s.fails_with(
        &[
            "s3api",
            "get-object",
            "--bucket",
            "objects",
            "--key",
            "dir/doc.txt",
            "--if-match",
            "\"nope\"",
            o,
        ],
        "PreconditionFailed",
    );
    let nm = s.fails(&[
        "s3api",
        "get-object",
        "--bucket",
        "objects",
        "--key",
        "dir/doc.txt",
        "--if-none-match",
        etag,
        o,
    ]);
    assert!(nm.stderr.contains("304"), "{}", nm.stderr);
    s.fails_with(
        &[
            "s3api",
            "get-object",
            "--bucket",
            "objects",
            "--key",
            "dir/doc.txt",
            "--if-unmodified-since",
            "2000-01-01T00:00:00Z",
            o,
        ],
        "PreconditionFailed",
    );
    // response-* overrides.
    let r = s.json(&[
        "s3api",
        "get-object",
        "--bucket",
        "objects",
        "--key",
        "dir/doc.txt",
        "--response-content-type",
        "application/x-test",
        o,
    ]);
    assert_eq!(r["ContentType"], "application/x-test");

    // Conditional writes.
    s.fails_with(
        &[
            "s3api",
            "put-object",
            "--bucket",
            "objects",
            "--key",
            "dir/doc.txt",
            "--body",
            f,
            "--if-none-match",
            "*",
        ],
        "PreconditionFailed",
    );
    s.ok(&[
        "s3api",
        "put-object",
        "--bucket",
        "objects",
        "--key",
        "new.txt",
        "--body",
        f,
        "--if-none-match",
        "*",
    ]);

    // Copies: metadata copied by default, replaced on request; in place needs a change.
    s.ok(&[
        "s3api",
        "copy-object",
        "--bucket",
        "objects",
        "--key",
        "copy.txt",
        "--copy-source",
        "objects/dir/doc.txt",
    ]);
    let c = s.json(&[
        "s3api",
        "head-object",
        "--bucket",
        "objects",
        "--key",
        "copy.txt",
    ]);
    assert_eq!(c["Metadata"]["color"], "blue");
    assert_eq!(c["ETag"], put["ETag"]);
    s.ok(&[
        "s3api",
        "copy-object",
        "--bucket",
        "objects",
        "--key",
        "copy.txt",
        "--copy-source",
        "objects/copy.txt",
        "--metadata-directive",
        "REPLACE",
        "--metadata",
        "shape=round",
        "--content-type",
        "text/x-new",
    ]);
    let c = s.json(&[
        "s3api",
        "head-object",
        "--bucket",
        "objects",
        "--key",
        "copy.txt",
    ]);
    assert_eq!(c["Metadata"]["shape"], "round");
    assert!(c["Metadata"].get("color").is_none());
    assert_eq!(c["ContentType"], "text/x-new");
    s.fails_with(
        &[
            "s3api",
            "copy-object",
            "--bucket",
            "objects",
            "--key",
            "copy.txt",
            "--copy-source",
            "objects/copy.txt",
        ],
        "InvalidRequest",
    );
    s.fails_with(
        &[
            "s3api",
            "copy-object",
            "--bucket",
            "objects",
            "--key",
            "c2",
            "--copy-source",
            "objects/copy.txt",
            "--copy-source-if-match",
            "\"nope\"",
        ],
        "PreconditionFailed",
    );
    s.ok(&["s3", "cp", "s3://objects/copy.txt", o]);
    assert_eq!(
        std::fs::read_to_string(&out).unwrap(),
        "0123456789abcdefghij"
    );

    let attrs = s.json(&[
        "s3api",
        "get-object-attributes",
        "--bucket",
        "objects",
        "--key",
        "copy.txt",
        "--object-attributes",
        "ETag",
        "ObjectSize",
        "StorageClass",
    ]);
    assert_eq!(attrs["ObjectSize"], 20);
    assert_eq!(attrs["ETag"], "644be06dfc54061fd1e67f5ebbabcd58");

    // Batch delete, quiet and not.
    let del = s.json(&[
        "s3api",
        "delete-objects",
        "--bucket",
        "objects",
        "--delete",
        "Objects=[{Key=copy.txt},{Key=never-existed}]",
    ]);
    assert_eq!(del["Deleted"].as_array().unwrap().len(), 2);
    let del = s.json(&[
        "s3api",
        "delete-objects",
        "--bucket",
        "objects",
        "--delete",
        "Objects=[{Key=new.txt}],Quiet=true",
    ]);
    assert!(del.get("Deleted").is_none_or(Value::is_null));
    s.fails_with(
        &[
            "s3api",
            "head-object",
            "--bucket",
            "objects",
            "--key",
            "new.txt",
        ],
        "404",
    );
    s.fails_with(
        &[
            "s3api",
            "get-object",
            "--bucket",
            "objects",
            "--key",
            "new.txt",
            o,
        ],
        "NoSuchKey",
    );
    s.fails_with(
        &[
            "s3api",
            "get-object",
            "--bucket",
            "no-such-bucket",
            "--key",
            "k",
            o,
        ],
        "NoSuchBucket",
    );
    s.ok(&[
        "s3api",
        "delete-object",
        "--bucket",
        "objects",
        "--key",
        "dir/doc.txt",
    ]);
}

#[test]
fn listings_page_in_binary_key_order_with_prefixes_and_delimiters() {
    let s = S3::start();
    s.ok(&["s3", "mb", "s3://listing"]);
    let dir = ruststack_tests::tempdir();
    let f = dir.path().join("f");
    std::fs::write(&f, "x").unwrap();
    let keys = ["a/1", "a/2", "a/b/3", "b", "c/4", "Z", "é", "a+b", "z z"];
    for k in keys {
        s.ok(&[
            "s3api",
            "put-object",
            "--bucket",
            "listing",
            "--key",
            k,
            "--body",
            f.to_str().unwrap(),
        ]);
    }
    let all = s.json(&["s3api", "list-objects-v2", "--bucket", "listing"]);
    let got: Vec<&str> = all["Contents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["Key"].as_str().unwrap())
        .collect();
    let mut want = keys.to_vec();
    want.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
    assert_eq!(got, want);
    let counted = s.json(&[
        "s3api",
        "list-objects-v2",
        "--bucket",
        "listing",
        "--no-paginate",
    ]);
    assert_eq!(counted["KeyCount"], keys.len());

    let d = s.json(&[
        "s3api",
        "list-objects-v2",
        "--bucket",
        "listing",
        "--delimiter",
        "/",
    ]);
    let cps: Vec<&str> = d["CommonPrefixes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["Prefix"].as_str().unwrap())
        .collect();
    assert_eq!(cps, ["a/", "c/"]);
    let top: Vec<&str> = d["Contents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["Key"].as_str().unwrap())
        .collect();
    assert_eq!(top, ["Z", "a+b", "b", "z z", "é"]);
    let sub = s.json(&[
        "s3api",
        "list-objects-v2",
        "--bucket",
        "listing",
        "--prefix",
        "a/",
        "--delimiter",
        "/",
    ]);
    assert_eq!(sub["CommonPrefixes"][0]["Prefix"], "a/b/");
    assert_eq!(sub["Contents"].as_array().unwrap().len(), 2);

    // Manual pages of 2 via continuation tokens.
    let mut token: Option<String> = None;
    let mut seen = Vec::new();
    loop {
        let mut args = vec![
            "s3api",
            "list-objects-v2",
            "--bucket",
            "listing",
            "--max-keys",
            "2",
            "--no-paginate",
        ];
        if let Some(t) = &token {
            args.push("--continuation-token");
            args.push(t);
        }
        let page = s.json(&args);
        for c in page["Contents"].as_array().into_iter().flatten() {
            seen.push(c["Key"].as_str().unwrap().to_string());
        }
        if page["IsTruncated"] == true {
            token = Some(page["NextContinuationToken"].as_str().unwrap().to_string());
        } else {
            break;
        }
    }
    assert_eq!(seen, want);
    let after = s.json(&[
        "s3api",
        "list-objects-v2",
        "--bucket",
        "listing",
        "--start-after",
        "b",
    ]);
    assert_eq!(after["Contents"][0]["Key"], "c/4");
    let owner = s.json(&[
        "s3api",
        "list-objects-v2",
        "--bucket",
        "listing",
        "--fetch-owner",
        "--max-keys",
        "1",
        "--no-paginate",
    ]);
    assert!(owner["Contents"][0]["Owner"]["ID"].is_string());
    let enc = s.json(&[
        "s3api",
        "list-objects-v2",
        "--bucket",
        "listing",
        "--prefix",
        "z",
        "--encoding-type",
        "url",
    ]);
    assert_eq!(
        enc["Contents"][0]["Key"], "z%20z",
        "keys come back url-encoded as asked"
    );

    // v1 with a marker.
    let v1 = s.json(&[
        "s3api",
        "list-objects",
        "--bucket",
        "listing",
        "--marker",
        "a/b/3",
        "--max-keys",
        "2",
        "--no-paginate",
    ]);
    let got: Vec<&str> = v1["Contents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["Key"].as_str().unwrap())
        .collect();
    assert_eq!(got, ["b", "c/4"]);
    assert_eq!(v1["IsTruncated"], true);
    let ls = s.ok(&["s3", "ls", "s3://listing/a/"]);
    assert!(ls.contains("PRE b/") && ls.contains(" 1"), "{ls}");
}

#[test]
fn multipart_uploads_complete_by_the_rules_and_list() {
    let s = S3::start();
    s.ok(&["s3", "mb", "s3://multi"]);
    let dir = ruststack_tests::tempdir();
    let big = dir.path().join("p1");
    random_file(&big, 5 * 1024 * 1024, 7);
    let small = dir.path().join("p2");
    std::fs::write(&small, "tail").unwrap();
    let create = s.json(&[
        "s3api",
        "create-multipart-upload",
        "--bucket",
        "multi",
        "--key",
        "m/obj",
        "--metadata",
        "k=v",
    ]);
    let id = create["UploadId"].as_str().unwrap().to_string();
    let part = |n: &str, f: &std::path::Path| {
        s.json(&[
            "s3api",
            "upload-part",
            "--bucket",
            "multi",
            "--key",
            "m/obj",
            "--upload-id",
            &id,
            "--part-number",
            n,
            "--body",
            f.to_str().unwrap(),
        ])["ETag"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let e1 = part("1", &big);
    let e2 = part("2", &small);
    let ups = s.json(&["s3api", "list-multipart-uploads", "--bucket", "multi"]);
    assert_eq!(ups["Uploads"][0]["UploadId"], id.as_str());
    let parts = s.json(&[
        "s3api",
        "list-parts",
        "--bucket",
        "multi",
        "--key",
        "m/obj",
        "--upload-id",
        &id,
    ]);
    assert_eq!(parts["Parts"].as_array().unwrap().len(), 2);
    assert_eq!(parts["Parts"][1]["Size"], 4);

    let complete = |spec: String| {
        vec![
            "s3api".to_string(),
            "complete-multipart-upload".into(),
            "--bucket".into(),
            "multi".into(),
            "--key".into(),
            "m/obj".into(),
            "--upload-id".into(),
            id.clone(),
            "--multipart-upload".into(),
            spec,
        ]
    };
    let run = |v: Vec<String>| v;
    let bad_order = run(complete(format!(
        r#"{{"Parts":[{{"PartNumber":2,"ETag":{e2}}},{{"PartNumber":1,"ETag":{e1}}}]}}"#
    )));
    s.fails_with(
        &bad_order.iter().map(String::as_str).collect::<Vec<_>>(),
        "InvalidPartOrder",
    );
    let bad_part = complete(r#"{"Parts":[{"PartNumber":1,"ETag":"\"0000\""}]}"#.to_string());
    s.fails_with(
        &bad_part.iter().map(String::as_str).collect::<Vec<_>>(),
        "InvalidPart",
    );
    let too_small = complete(format!(
        r#"{{"Parts":[{{"PartNumber":2,"ETag":{e2}}},{{"PartNumber":3,"ETag":{e2}}}]}}"#
    ));
    s.fails_with(
        &too_small.iter().map(String::as_str).collect::<Vec<_>>(),
        "InvalidPart",
    );
    // Part 2 is 4 bytes: not allowed anywhere but last.
    let e3 = part("3", &big);
    let small_middle = complete(format!(
        r#"{{"Parts":[{{"PartNumber":1,"ETag":{e1}}},{{"PartNumber":2,"ETag":{e2}}},{{"PartNumber":3,"ETag":{e3}}}]}}"#
    ));
    s.fails_with(
        &small_middle.iter().map(String::as_str).collect::<Vec<_>>(),
        "EntityTooSmall",
    );
    let good = complete(format!(
        r#"{{"Parts":[{{"PartNumber":1,"ETag":{e1}}},{{"PartNumber":2,"ETag":{e2}}}]}}"#
    ));
    let done: Value =
        serde_json::from_str(&s.ok(&good.iter().map(String::as_str).collect::<Vec<_>>())).unwrap();
    assert!(done["ETag"].as_str().unwrap().ends_with("-2\""), "{done}");
    let head = s.json(&[
        "s3api",
        "head-object",
        "--bucket",
        "multi",
        "--key",
        "m/obj",
    ]);
    assert_eq!(head["ContentLength"], 5 * 1024 * 1024 + 4);
    assert_eq!(head["Metadata"]["k"], "v");
    let p2 = s.json(&[
        "s3api",
        "head-object",
        "--bucket",
        "multi",
        "--key",
        "m/obj",
        "--part-number",
        "2",
    ]);
    assert_eq!(p2["ContentLength"], 4);
    assert_eq!(p2["PartsCount"], 2);
    let out = dir.path().join("out");
    s.ok(&[
        "s3api",
        "get-object",
        "--bucket",
        "multi",
        "--key",
        "m/obj",
        "--range",
        "bytes=-4",
        out.to_str().unwrap(),
    ]);
    assert_eq!(std::fs::read(&out).unwrap(), b"tail");
    s.fails_with(
        &[
            "s3api",
            "list-parts",
            "--bucket",
            "multi",
            "--key",
            "m/obj",
            "--upload-id",
            &id,
        ],
        "NoSuchUpload",
    );

    // Upload part copy with a range, then abort.
    let c = s.json(&[
        "s3api",
        "create-multipart-upload",
        "--bucket",
        "multi",
        "--key",
        "copy",
    ]);
    let id2 = c["UploadId"].as_str().unwrap();
    let pc = s.json(&[
        "s3api",
        "upload-part-copy",
        "--bucket",
        "multi",
        "--key",
        "copy",
        "--upload-id",
        id2,
        "--part-number",
        "1",
        "--copy-source",
        "multi/m/obj",
        "--copy-source-range",
        "bytes=0-9",
    ]);
    assert!(pc["CopyPartResult"]["ETag"].is_string());
    s.ok(&[
        "s3api",
        "abort-multipart-upload",
        "--bucket",
        "multi",
        "--key",
        "copy",
        "--upload-id",
        id2,
    ]);
    let ups = s.json(&["s3api", "list-multipart-uploads", "--bucket", "multi"]);
    assert!(ups.get("Uploads").is_none_or(Value::is_null));
}

#[test]
fn a_200_mib_file_round_trips_byte_exact_and_sync_works_both_ways() {
    let s = S3::start();
    s.ok(&["s3", "mb", "s3://large"]);
    let dir = ruststack_tests::tempdir();
    let src = dir.path().join("big.bin");
    random_file(&src, 200 * 1024 * 1024, 42);
    s.ok(&[
        "s3",
        "cp",
        src.to_str().unwrap(),
        "s3://large/big.bin",
        "--quiet",
    ]);
    let head = s.json(&[
        "s3api",
        "head-object",
        "--bucket",
        "large",
        "--key",
        "big.bin",
    ]);
    assert_eq!(head["ContentLength"], 200 * 1024 * 1024);
    assert!(
        head["ETag"].as_str().unwrap().contains('-'),
        "multipart ETag: {head}"
    );
    let back = dir.path().join("back.bin");
    s.ok(&[
        "s3",
        "cp",
        "s3://large/big.bin",
        back.to_str().unwrap(),
        "--quiet",
    ]);
    assert!(
        same_file(&src, &back),
        "the download differs from the upload"
    );
    std::fs::remove_file(&src).unwrap();
    std::fs::remove_file(&back).unwrap();

    let up = dir.path().join("up");
    std::fs::create_dir_all(up.join("sub")).unwrap();
    std::fs::write(up.join("a.txt"), "A").unwrap();
    std::fs::write(up.join("sub/b.txt"), "B").unwrap();
    s.ok(&["s3", "sync", up.to_str().unwrap(), "s3://large/tree"]);
    let ls = s.ok(&["s3", "ls", "s3://large/tree/", "--recursive"]);
    assert!(
        ls.contains("tree/a.txt") && ls.contains("tree/sub/b.txt"),
        "{ls}"
    );
    let down = dir.path().join("down");
    s.ok(&["s3", "sync", "s3://large/tree", down.to_str().unwrap()]);
    assert_eq!(
        std::fs::read_to_string(down.join("sub/b.txt")).unwrap(),
        "B"
    );
    std::fs::remove_file(up.join("a.txt")).unwrap();
    s.ok(&[
        "s3",
        "sync",
        up.to_str().unwrap(),
        "s3://large/tree",
        "--delete",
    ]);
    let ls = s.ok(&["s3", "ls", "s3://large/tree/", "--recursive"]);
    assert!(!ls.contains("a.txt"), "{ls}");
    s.ok(&["s3", "rm", "s3://large", "--recursive"]);
    assert!(s.ok(&["s3", "ls", "s3://large"]).trim().is_empty());
}

#[test]
fn versioning_keeps_versions_delete_markers_and_null_versions() {
    let s = S3::start();
    s.ok(&["s3", "mb", "s3://versions"]);
    let dir = ruststack_tests::tempdir();
    let f = |name: &str, body: &str| {
        let p = dir.path().join(name);
        std::fs::write(&p, body).unwrap();
        p.to_str().unwrap().to_string()
    };
    let v = s.json(&["s3api", "get-bucket-versioning", "--bucket", "versions"]);
    assert!(v.get("Status").is_none_or(Value::is_null));
    s.ok(&[
        "s3api",
        "put-object",
        "--bucket",
        "versions",
        "--key",
        "k",
        "--body",
        &f("0", "zero"),
    ]);
    s.ok(&[
        "s3api",
        "put-bucket-versioning",
        "--bucket",
        "versions",
        "--versioning-configuration",
        "Status=Enabled",
    ]);
    assert_eq!(
        s.json(&["s3api", "get-bucket-versioning", "--bucket", "versions"])["Status"],
        "Enabled"
    );
    let p1 = s.json(&[
        "s3api",
        "put-object",
        "--bucket",
        "versions",
        "--key",
        "k",
        "--body",
        &f("1", "one"),
    ]);
    let v1 = p1["VersionId"].as_str().unwrap().to_string();
    let p2 = s.json(&[
        "s3api",
        "put-object",
        "--bucket",
        "versions",
        "--key",
        "k",
        "--body",
        &f("2", "two"),
    ]);
    let v2 = p2["VersionId"].as_str().unwrap().to_string();
    assert_ne!(v1, v2);
    let out = dir.path().join("out");
    let o = out.to_str().unwrap();
    s.ok(&[
        "s3api",
        "get-object",
        "--bucket",
        "versions",
        "--key",
        "k",
        "--version-id",
        &v1,
        o,
    ]);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "one");
    s.ok(&[
        "s3api",
        "get-object",
        "--bucket",
        "versions",
        "--key",
        "k",
        "--version-id",
        "null",
        o,
    ]);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "zero");

    let d = s.json(&[
        "s3api",
        "delete-object",
        "--bucket",
        "versions",
        "--key",
        "k",
    ]);
    assert_eq!(d["DeleteMarker"], true);
    let marker = d["VersionId"].as_str().unwrap().to_string();
    s.fails_with(
        &[
            "s3api",
            "get-object",
            "--bucket",
            "versions",
            "--key",
            "k",
            o,
        ],
        "NoSuchKey",
    );
    let list = s.json(&["s3api", "list-object-versions", "--bucket", "versions"]);
    assert_eq!(list["Versions"].as_array().unwrap().len(), 3);
    assert_eq!(list["DeleteMarkers"][0]["IsLatest"], true);
    assert_eq!(list["Versions"][0]["VersionId"], v2.as_str());
    assert_eq!(list["Versions"][2]["VersionId"], "null");
    // Paging with KeyMarker / VersionIdMarker.
    let page = s.json(&[
        "s3api",
        "list-object-versions",
        "--bucket",
        "versions",
        "--max-keys",
        "2",
        "--no-paginate",
    ]);
    assert_eq!(page["IsTruncated"], true);
    let next = s.json(&[
        "s3api",
        "list-object-versions",
        "--bucket",
        "versions",
        "--no-paginate",
        "--key-marker",
        page["NextKeyMarker"].as_str().unwrap(),
        "--version-id-marker",
        page["NextVersionIdMarker"].as_str().unwrap(),
    ]);
    assert_eq!(next["Versions"].as_array().unwrap().len(), 2);
    assert_eq!(next["Versions"][0]["VersionId"], v1.as_str());

    // Removing the delete marker brings the object back.
    s.ok(&[
        "s3api",
        "delete-object",
        "--bucket",
        "versions",
        "--key",
        "k",
        "--version-id",
        &marker,
    ]);
    s.ok(&[
        "s3api",
        "get-object",
        "--bucket",
        "versions",
        "--key",
        "k",
        o,
    ]);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "two");
    // Deleting the latest version makes the previous one current.
    s.ok(&[
        "s3api",
        "delete-object",
        "--bucket",
        "versions",
        "--key",
        "k",
        "--version-id",
        &v2,
    ]);
    s.ok(&[
        "s3api",
        "get-object",
        "--bucket",
        "versions",
        "--key",
        "k",
        o,
    ]);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "one");

    // Suspended: new writes are the null version, replacing the old null.
    s.ok(&[
        "s3api",
        "put-bucket-versioning",
        "--bucket",
        "versions",
        "--versioning-configuration",
        "Status=Suspended",
    ]);
    let p = s.json(&[
        "s3api",
        "put-object",
        "--bucket",
        "versions",
        "--key",
        "k",
        "--body",
        &f("3", "three"),
    ]);
    assert_eq!(p["VersionId"], "null");
    let list = s.json(&["s3api", "list-object-versions", "--bucket", "versions"]);
    let ids: Vec<&str> = list["Versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["VersionId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["null", v1.as_str()]);
    s.ok(&[
        "s3api",
        "get-object",
        "--bucket",
        "versions",
        "--key",
        "k",
        "--version-id",
        "null",
        o,
    ]);
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "three");
    s.fails_with(
        &[
            "s3api",
            "get-object",
            "--bucket",
            "versions",
            "--key",
            "k",
            "--version-id",
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
            o,
        ],
        "NoSuchVersion",
    );
}

#[test]
fn bucket_configurations_are_stored_and_absent_ones_answer_aws_errors() {
    let s = S3::start();
    s.ok(&["s3", "mb", "s3://configs"]);
    let b = ["--bucket", "configs"];
    let with = |cmd: &str, extra: &[&str]| {
        let mut v = vec!["s3api", cmd];
        v.extend_from_slice(&b);
        v.extend_from_slice(extra);
        v.into_iter().map(str::to_string).collect::<Vec<_>>()
    };
    let run = |v: Vec<String>| s.json(&v.iter().map(String::as_str).collect::<Vec<_>>());
    let fail = |v: Vec<String>, code: &str| {
        s.fails_with(&v.iter().map(String::as_str).collect::<Vec<_>>(), code)
    };

    fail(with("get-bucket-cors", &[]), "NoSuchCORSConfiguration");
    fail(with("get-bucket-policy", &[]), "NoSuchBucketPolicy");
    fail(with("get-bucket-tagging", &[]), "NoSuchTagSet");
    fail(
        with("get-bucket-website", &[]),
        "NoSuchWebsiteConfiguration",
    );
    fail(
        with("get-bucket-lifecycle-configuration", &[]),
        "NoSuchLifecycleConfiguration",
    );
    fail(
        with("get-bucket-replication", &[]),
        "ReplicationConfigurationNotFoundError",
    );
    fail(
        with("get-object-lock-configuration", &[]),
        "ObjectLockConfigurationNotFoundError",
    );
    let enc = run(with("get-bucket-encryption", &[]));
    assert_eq!(
        enc["ServerSideEncryptionConfiguration"]["Rules"][0]["ApplyServerSideEncryptionByDefault"]
            ["SSEAlgorithm"],
        "AES256"
    );
    assert_eq!(
        run(with("get-bucket-request-payment", &[]))["Payer"],
        "BucketOwner"
    );
    assert!(run(with("get-bucket-acl", &[]))["Grants"][0]["Permission"] == "FULL_CONTROL");
    assert_eq!(
        run(with("get-bucket-ownership-controls", &[]))["OwnershipControls"]["Rules"][0]["ObjectOwnership"],
        "BucketOwnerEnforced"
    );
    assert_eq!(
        run(with("get-public-access-block", &[]))["PublicAccessBlockConfiguration"]["BlockPublicAcls"],
        true
    );
    run(with("get-bucket-logging", &[]));
    run(with("get-bucket-accelerate-configuration", &[]));

    run(with(
        "put-bucket-tagging",
        &[
            "--tagging",
            "TagSet=[{Key=env,Value=dev},{Key=team,Value=x}]",
        ],
    ));
    assert_eq!(
        run(with("get-bucket-tagging", &[]))["TagSet"][1]["Key"],
        "team"
    );
    run(with("delete-bucket-tagging", &[]));
    fail(with("get-bucket-tagging", &[]), "NoSuchTagSet");

    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::configs/*"}]}"#;
    run(with("put-bucket-policy", &["--policy", policy]));
    let got: Value = serde_json::from_str(
        run(with("get-bucket-policy", &[]))["Policy"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(got["Statement"][0]["Action"], "s3:GetObject");
    fail(
        with("put-bucket-policy", &["--policy", "not json"]),
        "MalformedPolicy",
    );

    run(with(
        "put-bucket-cors",
        &[
            "--cors-configuration",
            r#"{"CORSRules":[{"AllowedOrigins":["https://example.com"],"AllowedMethods":["GET","PUT"],"AllowedHeaders":["*"],"MaxAgeSeconds":300}]}"#,
        ],
    ));
    let cors = run(with("get-bucket-cors", &[]));
    assert_eq!(cors["CORSRules"][0]["AllowedMethods"][1], "PUT");
    fail(
        with(
            "put-bucket-cors",
            &[
                "--cors-configuration",
                r#"{"CORSRules":[{"AllowedOrigins":["*"],"AllowedMethods":["PATCH"]}]}"#,
            ],
        ),
        "InvalidRequest",
    );

    run(with(
        "put-bucket-website",
        &[
            "--website-configuration",
            r#"{"IndexDocument":{"Suffix":"index.html"},"ErrorDocument":{"Key":"err.html"}}"#,
        ],
    ));
    assert_eq!(
        run(with("get-bucket-website", &[]))["IndexDocument"]["Suffix"],
        "index.html"
    );
    run(with(
        "put-bucket-lifecycle-configuration",
        &[
            "--lifecycle-configuration",
            r#"{"Rules":[{"ID":"r1","Status":"Enabled","Filter":{"Prefix":"logs/"},"Expiration":{"Days":7}}]}"#,
        ],
    ));
    assert_eq!(
        run(with("get-bucket-lifecycle-configuration", &[]))["Rules"][0]["Expiration"]["Days"],
        7
    );
    run(with("delete-bucket-lifecycle", &[]));
    fail(
        with("get-bucket-lifecycle-configuration", &[]),
        "NoSuchLifecycleConfiguration",
    );
    run(with(
        "put-bucket-encryption",
        &[
            "--server-side-encryption-configuration",
            r#"{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"aws:kms","KMSMasterKeyID":"alias/k"}}]}"#,
        ],
    ));
    assert_eq!(
        run(with("get-bucket-encryption", &[]))["ServerSideEncryptionConfiguration"]["Rules"][0]["ApplyServerSideEncryptionByDefault"]
            ["SSEAlgorithm"],
        "aws:kms"
    );
    run(with(
        "put-bucket-accelerate-configuration",
        &["--accelerate-configuration", "Status=Enabled"],
    ));
    assert_eq!(
        run(with("get-bucket-accelerate-configuration", &[]))["Status"],
        "Enabled"
    );
    fail(
        with("put-bucket-acl", &["--acl", "public-read"]),
        "AccessControlListNotSupported",
    );
    run(with(
        "put-bucket-ownership-controls",
        &[
            "--ownership-controls",
            "Rules=[{ObjectOwnership=ObjectWriter}]",
        ],
    ));
    run(with("put-bucket-acl", &["--acl", "public-read"]));
    let acl = run(with("get-bucket-acl", &[]));
    assert_eq!(acl["Grants"][1]["Permission"], "READ");
    run(with("delete-public-access-block", &[]));
    fail(
        with("get-public-access-block", &[]),
        "NoSuchPublicAccessBlockConfiguration",
    );
    run(with(
        "put-bucket-notification-configuration",
        &[
            "--notification-configuration",
            r#"{"QueueConfigurations":[{"Id":"q","QueueArn":"arn:aws:sqs:us-east-1:000000000000:events","Events":["s3:ObjectCreated:*"]}]}"#,
        ],
    ));
    let n = run(with("get-bucket-notification-configuration", &[]));
    assert_eq!(
        n["QueueConfigurations"][0]["Events"][0],
        "s3:ObjectCreated:*"
    );

    // Object lock: bucket created with it; retention stored per object.
    s.ok(&[
        "s3api",
        "create-bucket",
        "--bucket",
        "locked",
        "--object-lock-enabled-for-bucket",
    ]);
    let lock = s.json(&[
        "s3api",
        "get-object-lock-configuration",
        "--bucket",
        "locked",
    ]);
    assert_eq!(
        lock["ObjectLockConfiguration"]["ObjectLockEnabled"],
        "Enabled"
    );
    assert_eq!(
        s.json(&["s3api", "get-bucket-versioning", "--bucket", "locked"])["Status"],
        "Enabled"
    );
    let dir = ruststack_tests::tempdir();
    let f = dir.path().join("f");
    std::fs::write(&f, "x").unwrap();
    s.ok(&[
        "s3api",
        "put-object",
        "--bucket",
        "locked",
        "--key",
        "k",
        "--body",
        f.to_str().unwrap(),
    ]);
    s.ok(&[
        "s3api",
        "put-object-legal-hold",
        "--bucket",
        "locked",
        "--key",
        "k",
        "--legal-hold",
        "Status=ON",
    ]);
    assert_eq!(
        s.json(&[
            "s3api",
            "get-object-legal-hold",
            "--bucket",
            "locked",
            "--key",
            "k"
        ])["LegalHold"]["Status"],
        "ON"
    );
    s.fails_with(
        &[
            "s3api",
            "get-object-retention",
            "--bucket",
            "locked",
            "--key",
            "k",
        ],
        "NoSuchObjectLockConfiguration",
    );
    s.fails_with(
        &[
            "s3api",
            "put-bucket-versioning",
            "--bucket",
            "locked",
            "--versioning-configuration",
            "Status=Suspended",
        ],
        "InvalidBucketState",
    );

    // Locked versions cannot be deleted: legal hold, then GOVERNANCE retention
    // (bypassable), as AWS enforces them.
    let vid = s.json(&["s3api", "head-object", "--bucket", "locked", "--key", "k"])["VersionId"]
        .as_str()
        .unwrap()
        .to_string();
    let del = [
        "s3api",
        "delete-object",
        "--bucket",
        "locked",
        "--key",
        "k",
        "--version-id",
        &vid,
    ];
    s.fails_with(&del, "AccessDenied");
    s.ok(&[
        "s3api",
        "put-object-legal-hold",
        "--bucket",
        "locked",
        "--key",
        "k",
        "--legal-hold",
        "Status=OFF",
    ]);
    s.ok(&[
        "s3api",
        "put-object-retention",
        "--bucket",
        "locked",
        "--key",
        "k",
        "--retention",
        "Mode=GOVERNANCE,RetainUntilDate=2099-01-01T00:00:00Z",
    ]);
    let r = s.json(&[
        "s3api",
        "get-object-retention",
        "--bucket",
        "locked",
        "--key",
        "k",
    ]);
    assert_eq!(r["Retention"]["Mode"], "GOVERNANCE");
    s.fails_with(&del, "AccessDenied");
    let mut bypass = del.to_vec();
    bypass.push("--bypass-governance-retention");
    s.ok(&bypass);
}
