//! S3 requests as the AWS CLI sends them, and responses parsed back.

use serde_json::json;

use crate::{
    AwsError, Codec, HttpRequest, Protocol, decode_request, encode_output, models,
    resolve_operation, xml,
};

fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn request<'a>(
    method: &'a str,
    path: &'a str,
    query: &'a str,
    headers: &'a [(String, String)],
    body: &'a [u8],
) -> HttpRequest<'a> {
    HttpRequest {
        method,
        path,
        query,
        headers,
        body,
    }
}

fn op_of(method: &str, path: &str, query: &str, headers: &[(&str, &str)]) -> String {
    let headers = h(headers);
    let req = request(method, path, query, &headers, b"");
    resolve_operation(models::s3(), &req, None)
        .map(|o| o.name.clone())
        .unwrap_or_else(|e| e.code)
}

#[test]
fn resolves_s3_operations() {
    assert_eq!(op_of("GET", "/", "", &[]), "ListBuckets");
    assert_eq!(op_of("PUT", "/b", "", &[]), "CreateBucket");
    assert_eq!(op_of("HEAD", "/b", "", &[]), "HeadBucket");
    assert_eq!(op_of("GET", "/b", "", &[]), "ListObjects");
    assert_eq!(
        op_of("GET", "/b/", "list-type=2&prefix=a", &[]),
        "ListObjectsV2"
    );
    assert_eq!(op_of("GET", "/b", "versioning", &[]), "GetBucketVersioning");
    assert_eq!(
        op_of("GET", "/b", "lifecycle", &[]),
        "GetBucketLifecycleConfiguration"
    );
    assert_eq!(op_of("PUT", "/b", "tagging", &[]), "PutBucketTagging");
    assert_eq!(op_of("POST", "/b", "delete", &[]), "DeleteObjects");
    assert_eq!(op_of("PUT", "/b/k/x.txt", "", &[]), "PutObject");
    assert_eq!(
        op_of("PUT", "/b/k", "", &[("x-amz-copy-source", "/a/b")]),
        "CopyObject"
    );
    assert_eq!(
        op_of("PUT", "/b/k", "partNumber=1&uploadId=u", &[]),
        "UploadPart"
    );
    assert_eq!(
        op_of(
            "PUT",
            "/b/k",
            "partNumber=1&uploadId=u",
            &[("x-amz-copy-source", "/a/b")]
        ),
        "UploadPartCopy"
    );
    assert_eq!(op_of("GET", "/b/k", "", &[]), "GetObject");
    assert_eq!(op_of("GET", "/b/k", "uploadId=u", &[]), "ListParts");
    assert_eq!(
        op_of("DELETE", "/b/k", "uploadId=u", &[]),
        "AbortMultipartUpload"
    );
    assert_eq!(op_of("DELETE", "/b/k", "", &[]), "DeleteObject");
    assert_eq!(
        op_of("POST", "/b/k", "uploads", &[]),
        "CreateMultipartUpload"
    );
    assert_eq!(op_of("GET", "/b/k", "tagging", &[]), "GetObjectTagging");
    assert_eq!(
        op_of("GET", "/b", "analytics", &[]),
        "ListBucketAnalyticsConfigurations"
    );
    assert_eq!(
        op_of("GET", "/b", "analytics&id=x", &[]),
        "GetBucketAnalyticsConfiguration"
    );
    assert_eq!(op_of("PATCH", "/b", "", &[]), "MethodNotAllowed");
}

#[test]
fn virtual_hosted_style() {
    let headers = h(&[]);
    let req = request("GET", "/", "versioning", &headers, b"");
    let (op, input) = decode_request(models::s3(), &req, Some("my-bucket")).unwrap();
    assert_eq!(op.name, "GetBucketVersioning");
    assert_eq!(input, json!({"Bucket": "my-bucket"}));
    let req = request("PUT", "/dir/a%2Bb%20c.txt", "", &headers, b"data");
    let (op, input) = decode_request(models::s3(), &req, Some("my-bucket")).unwrap();
    assert_eq!(op.name, "PutObject");
    assert_eq!(
        input,
        json!({"Bucket": "my-bucket", "Key": "dir/a+b c.txt"})
    );
}

#[test]
fn put_object_as_the_cli_sends_it() {
    let headers = h(&[
        ("host", "localhost:4566"),
        ("content-type", "text/plain"),
        ("content-length", "5"),
        ("content-md5", "XUFAKrxLKna5cZ2REBfFkg=="),
        ("x-amz-meta-color", "blue"),
        ("x-amz-meta-Owner", "me"),
        ("x-amz-tagging", "a=b"),
        ("x-amz-storage-class", "STANDARD"),
        ("expires", "Wed, 21 Oct 2015 07:28:00 GMT"),
        ("x-amz-content-sha256", "UNSIGNED-PAYLOAD"),
    ]);
    let req = request(
        "PUT",
        "/demo/photos/2024/a%20b.txt",
        "x-id=PutObject",
        &headers,
        b"hello",
    );
    let (op, input) = decode_request(models::s3(), &req, None).unwrap();
    assert_eq!(op.name, "PutObject");
    assert_eq!(input["Bucket"], "demo");
    assert_eq!(input["Key"], "photos/2024/a b.txt");
    assert_eq!(input["ContentType"], "text/plain");
    assert_eq!(input["ContentLength"], 5);
    assert_eq!(input["ContentMD5"], "XUFAKrxLKna5cZ2REBfFkg==");
    assert_eq!(input["Metadata"], json!({"color": "blue", "owner": "me"}));
    assert_eq!(input["Tagging"], "a=b");
    assert_eq!(input["StorageClass"], "STANDARD");
    assert!(
        input.get("Body").is_none(),
        "streaming body is the caller's"
    );
}

#[test]
fn create_bucket_with_location_constraint() {
    let body = br#"<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>"#;
    let headers = h(&[("x-amz-acl", "private")]);
    let req = request("PUT", "/demo", "", &headers, body);
    let (op, input) = decode_request(models::s3(), &req, None).unwrap();
    assert_eq!(op.name, "CreateBucket");
    assert_eq!(
        input,
        json!({"Bucket": "demo", "ACL": "private", "CreateBucketConfiguration": {"LocationConstraint": "eu-west-1"}})
    );
    // No body at all (us-east-1).
    let req = request("PUT", "/demo", "", &headers, b"");
    let (_, input) = decode_request(models::s3(), &req, None).unwrap();
    assert_eq!(input, json!({"Bucket": "demo", "ACL": "private"}));
}

#[test]
fn put_bucket_tagging_and_malformed_xml() {
    let body = br#"<?xml version="1.0" encoding="UTF-8"?>
<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><TagSet><Tag><Key>env</Key><Value>dev</Value></Tag><Tag><Key>team</Key><Value>a &amp; b</Value></Tag></TagSet></Tagging>"#;
    let headers = h(&[("content-md5", "x")]);
    let req = request("PUT", "/demo", "tagging", &headers, body);
    let (op, input) = decode_request(models::s3(), &req, None).unwrap();
    assert_eq!(op.name, "PutBucketTagging");
    assert_eq!(
        input["Tagging"],
        json!({"TagSet": [{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": "a & b"}]})
    );
    let req = request("PUT", "/demo", "tagging", &headers, b"<Tagging><TagSet>");
    assert_eq!(
        decode_request(models::s3(), &req, None).unwrap_err().code,
        "MalformedXML"
    );
    // Required payload missing.
    let req = request("PUT", "/demo", "tagging", &headers, b"");
    assert_eq!(
        decode_request(models::s3(), &req, None).unwrap_err().code,
        "MalformedXML"
    );
    // Tag without its required Key.
    let req = request(
        "PUT",
        "/demo",
        "tagging",
        &headers,
        b"<Tagging><TagSet><Tag><Value>v</Value></Tag></TagSet></Tagging>",
    );
    assert_eq!(
        decode_request(models::s3(), &req, None).unwrap_err().code,
        "MalformedXML"
    );
}

#[test]
fn delete_objects_flattened_list() {
    let body = br#"<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Object><Key>a</Key></Object><Object><Key>b</Key><VersionId>v1</VersionId></Object><Quiet>true</Quiet></Delete>"#;
    let headers = h(&[]);
    let req = request("POST", "/demo", "delete", &headers, body);
    let (_, input) = decode_request(models::s3(), &req, None).unwrap();
    assert_eq!(
        input["Delete"],
        json!({"Objects": [{"Key": "a"}, {"Key": "b", "VersionId": "v1"}], "Quiet": true})
    );
}

#[test]
fn list_objects_v2_query_members() {
    let headers = h(&[]);
    let req = request(
        "GET",
        "/demo",
        "list-type=2&prefix=photos%2F&delimiter=%2F&max-keys=10&fetch-owner=true",
        &headers,
        b"",
    );
    let (op, input) = decode_request(models::s3(), &req, None).unwrap();
    assert_eq!(op.name, "ListObjectsV2");
    assert_eq!(
        input,
        json!({"Bucket": "demo", "Prefix": "photos/", "Delimiter": "/", "MaxKeys": 10, "FetchOwner": true})
    );
    let req = request("GET", "/demo", "list-type=2&max-keys=ten", &headers, b"");
    assert_eq!(
        decode_request(models::s3(), &req, None).unwrap_err().code,
        "InvalidArgument"
    );
}

fn body_of(resp: &crate::HttpResponse) -> xml::Element {
    xml::parse(&resp.body).unwrap()
}

#[test]
fn list_buckets_output() {
    let m = models::s3();
    let op = m.operation("ListBuckets").unwrap();
    let out = json!({
        "Buckets": [{"Name": "a", "CreationDate": 1_445_412_480}, {"Name": "b&c", "CreationDate": "2015-10-21T07:28:00Z"}],
        "Owner": {"DisplayName": "me", "ID": "000000000000"}
    });
    let resp = encode_output(m, op, &out, "rid");
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("content-type"), Some("application/xml"));
    let s = String::from_utf8(resp.body.clone()).unwrap();
    assert!(
        s.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?><ListAllMyBucketsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Buckets><Bucket><Name>a</Name><CreationDate>2015-10-21T07:28:00.000Z</CreationDate></Bucket>"),
        "{s}"
    );
    let root = body_of(&resp);
    let names: Vec<_> = root
        .child("Buckets")
        .unwrap()
        .children_named("Bucket")
        .map(|b| b.child_text("Name").unwrap())
        .collect();
    assert_eq!(names, ["a", "b&c"]);
    assert_eq!(
        root.child("Owner").unwrap().child_text("ID"),
        Some("000000000000")
    );
}

#[test]
fn list_objects_v2_output_flattened() {
    let m = models::s3();
    let op = m.operation("ListObjectsV2").unwrap();
    let out = json!({
        "Name": "demo", "Prefix": "", "KeyCount": 2, "MaxKeys": 1000, "IsTruncated": false,
        "Contents": [
            {"Key": "a.txt", "LastModified": 1_445_412_480, "ETag": "\"abc\"", "Size": 5, "StorageClass": "STANDARD"},
            {"Key": "b.txt", "LastModified": 1_445_412_481.5, "ETag": "\"def\"", "Size": 0, "StorageClass": "STANDARD"}
        ],
        "CommonPrefixes": [{"Prefix": "dir/"}]
    });
    let resp = encode_output(m, op, &out, "rid");
    let root = body_of(&resp);
    assert_eq!(root.name, "ListBucketResult");
    let contents: Vec<_> = root.children_named("Contents").collect();
    assert_eq!(contents.len(), 2);
    assert_eq!(contents[0].child_text("ETag"), Some("\"abc\""));
    assert_eq!(
        contents[1].child_text("LastModified"),
        Some("2015-10-21T07:28:01.500Z")
    );
    assert_eq!(root.child_text("IsTruncated"), Some("false"));
    assert_eq!(
        root.child("CommonPrefixes").unwrap().child_text("Prefix"),
        Some("dir/")
    );
    // Round trip: the XML reads back into the same value.
    let back =
        crate::xml_shape::read_structure(m, m.shape("ListObjectsV2Output"), &root, true).unwrap();
    assert_eq!(back["Contents"][1]["LastModified"], json!(1_445_412_481.5));
    assert_eq!(back["Contents"][0]["Size"], json!(5));
    assert_eq!(back["CommonPrefixes"], out["CommonPrefixes"]);
}

#[test]
fn head_and_get_object_headers() {
    let m = models::s3();
    let op = m.operation("GetObject").unwrap();
    let out = json!({
        "ContentLength": 5, "ContentType": "text/plain", "ETag": "\"e\"",
        "LastModified": 1_445_412_480, "Metadata": {"color": "blue"}, "TagCount": 2
    });
    let resp = encode_output(m, op, &out, "rid");
    assert_eq!(
        resp.header("Last-Modified"),
        Some("Wed, 21 Oct 2015 07:28:00 GMT")
    );
    assert_eq!(resp.header("x-amz-meta-color"), Some("blue"));
    assert_eq!(resp.header("Content-Length"), Some("5"));
    assert_eq!(resp.header("x-amz-tagging-count"), Some("2"));
    assert_eq!(resp.header("x-amz-request-id"), Some("rid"));
    assert!(resp.body.is_empty());
}

#[test]
fn payload_and_special_outputs() {
    let m = models::s3();
    let resp = encode_output(
        m,
        m.operation("GetBucketLocation").unwrap(),
        &json!({"LocationConstraint": "eu-west-1"}),
        "r",
    );
    assert_eq!(
        String::from_utf8(resp.body).unwrap(),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><LocationConstraint xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">eu-west-1</LocationConstraint>"
    );
    let resp = encode_output(
        m,
        m.operation("GetBucketPolicy").unwrap(),
        &json!({"Policy": "{\"a\":1}"}),
        "r",
    );
    assert_eq!(resp.body, br#"{"a":1}"#);
    let resp = encode_output(
        m,
        m.operation("CopyObject").unwrap(),
        &json!({"CopyObjectResult": {"ETag": "\"e\"", "LastModified": 0}, "VersionId": "v"}),
        "r",
    );
    let root = body_of(&resp);
    assert_eq!(root.name, "CopyObjectResult");
    assert_eq!(
        root.child_text("LastModified"),
        Some("1970-01-01T00:00:00.000Z")
    );
    assert_eq!(resp.header("x-amz-version-id"), Some("v"));
    let resp = encode_output(
        m,
        m.operation("GetBucketAcl").unwrap(),
        &json!({"Owner": {"ID": "o"}, "Grants": [{"Grantee": {"Type": "CanonicalUser", "ID": "o"}, "Permission": "FULL_CONTROL"}]}),
        "r",
    );
    let s = String::from_utf8(resp.body).unwrap();
    assert!(s.contains("<Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"CanonicalUser\"><ID>o</ID></Grantee>"), "{s}");
    assert!(s.contains("<AccessControlList><Grant>"), "{s}");
    // No body members: 204-style empty responses.
    let resp = encode_output(
        m,
        m.operation("DeleteObject").unwrap(),
        &json!({"DeleteMarker": true}),
        "r",
    );
    assert_eq!(resp.status, 204);
    assert_eq!(resp.header("x-amz-delete-marker"), Some("true"));
    assert!(resp.body.is_empty());
}

#[test]
fn error_shape() {
    let e = AwsError::new(404, "NoSuchBucket", "The specified bucket does not exist")
        .with_extra("BucketName", "demo");
    let resp = crate::error_response(Protocol::RestXml, &e, "rid");
    assert_eq!(resp.status, 404);
    assert_eq!(resp.header("x-amz-request-id"), Some("rid"));
    assert_eq!(
        String::from_utf8(resp.body).unwrap(),
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message>\
         <BucketName>demo</BucketName><RequestId>rid</RequestId><HostId>rid</HostId></Error>"
    );
    let resp = Codec::new(models::s3()).encode_error(&AwsError::internal_failure(), "r");
    assert_eq!(resp.status, 500);
    let root = body_of(&resp);
    assert_eq!(root.child_text("Code"), Some("InternalFailure"));
}
