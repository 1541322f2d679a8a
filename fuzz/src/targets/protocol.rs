//! The model-driven codecs of `ruststack-protocol`, with the real service
//! models the plugins load: rest-xml (S3), query (SNS, legacy SQS), JSON
//! (DynamoDB, SQS) and rest-json, each fed whole HTTP requests; and the XML
//! parser under S3's bodies, fed documents.

use std::sync::OnceLock;

use ruststack_protocol::model::{MemberRef, ShapeType};
use ruststack_protocol::{AwsError, Codec, HttpRequest, Model, Protocol, models, xml, xml_shape};

use crate::engine::{Layout, Target, class, fnv};
use crate::http::RawRequest;
use crate::seeds;

/// Decodes a request with `codec`; on an error also encodes it (error
/// messages quote the request, so this checks their escaping too).
fn decode(codec: Codec<'_>, req: &HttpRequest<'_>, vbucket: Option<&str>) -> u64 {
    match codec.decode_request(req, vbucket) {
        Ok((op, input)) => {
            // The decoded value must survive what plugins do with it next.
            let _ = serde_json::to_vec(&input);
            fnv(op.name.as_bytes())
        }
        Err(e) => error_class(codec, &e),
    }
}

fn error_class(codec: Codec<'_>, e: &AwsError) -> u64 {
    let resp = codec.encode_error(e, "fuzz-request-id");
    assert!(
        resp.status >= 300,
        "an error encoded as status {}",
        resp.status
    );
    class(&e.code, &e.message)
}

/// The bucket of a virtual-hosted S3 request (`<bucket>.s3.<...>` or
/// `<bucket>.localhost`), as the S3 plugin derives it from the host name.
fn virtual_bucket(req: &RawRequest) -> Option<String> {
    let host = req.header("host")?.to_ascii_lowercase();
    let host = host.split(':').next().unwrap_or("");
    if let Some(b) = host.strip_suffix(".localhost") {
        return (!b.is_empty() && b != "s3" && !b.ends_with(".s3")).then(|| b.to_string());
    }
    let i = host.find(".s3.").or_else(|| host.find(".s3-"))?;
    Some(host[..i].to_string()).filter(|b| !b.is_empty())
}

/// Tokens of S3 requests: methods, subresources, headers, XML elements.
pub(crate) const S3_DICT: &[&str] = &[
    "PUT ",
    "GET ",
    "POST ",
    "HEAD ",
    "DELETE ",
    "/fuzz-bucket",
    "/fuzz-bucket/k",
    "?uploads",
    "?tagging",
    "?delete",
    "?cors",
    "?acl",
    "?versionId=",
    "uploadId=",
    "partNumber=",
    "list-type=2",
    "max-keys=",
    "x-id=",
    "\nx-amz-meta-a: b",
    "\nx-amz-copy-source: /b/k",
    "\nrange: bytes=",
    "\ncontent-md5: ",
    "\nx-amz-tagging: a=b",
    "\nexpires: ",
    "\nx-amz-object-lock-retain-until-date: ",
    "\nif-modified-since: ",
    "\nx-amz-grant-read: ",
    "\nhost: b.s3.amazonaws.com",
    "\nhost: b.localhost",
    "\ncontent-length: ",
    "\nx-amz-checksum-crc32: ",
    "<Tag>",
    "<Key>",
    "</Key>",
    "<Value>",
    "<Object>",
    "<Part>",
    "<PartNumber>",
    "<ETag>",
    "<CORSRule>",
    "<AllowedOrigin>",
    "<MaxAgeSeconds>",
    "<Rule>",
    "<Filter>",
    "<Days>",
    "<Date>",
    "<Status>",
    "<Quiet>",
    "<Grantee xsi:type=\"Group\">",
    "<Size>",
    "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"",
];

/// S3 requests through the rest-xml codec (path-style and virtual-hosted).
pub fn s3() -> Target {
    fn run(input: &[u8]) -> u64 {
        let req = RawRequest::parse(input);
        let vb = virtual_bucket(&req);
        decode(Codec::new(models::s3()), &req.http(), vb.as_deref())
    }
    Target {
        name: "protocol-s3",
        about: "rest-xml: decode_request with the S3 model (URI labels, query, headers, XML bodies)",
        seeds: seeds::s3,
        dict: S3_DICT,
        max_len: 16 * 1024,
        layout: Layout::Bytes,
        setup: None,
        reset_every: 0,
        run,
    }
}

/// Tokens of query-protocol (and SQS JSON) requests: actions, flattened
/// member names, attribute maps.
pub(crate) const QUERY_DICT: &[&str] = &[
    "Action=",
    "&Version=2012-11-05",
    "&Version=2010-03-31",
    "&QueueUrl=",
    "&MessageBody=",
    "&Attribute.1.Name=",
    "&Attribute.1.Value=",
    "&MessageAttribute.1.Name=a",
    "&MessageAttribute.1.Value.DataType=String",
    "&MessageAttribute.1.Value.StringValue=",
    "&MessageAttribute.1.Value.BinaryValue=",
    "&AttributeName.1=All",
    "&Tag.1.Key=",
    ".member.1",
    ".member.2",
    ".entry.1.",
    ".entry.2.key=",
    "&Attributes.entry.1.key=FilterPolicy",
    "&Attributes.entry.1.value=",
    "&MessageAttributes.entry.1.Name=",
    "&MessageAttributes.entry.1.Value.DataType=Number",
    "&MaxNumberOfMessages=",
    "&WaitTimeSeconds=",
    "&DelaySeconds=",
    ".Id=",
    "SendMessageBatch",
    "CreateQueue",
    "Publish",
    "PublishBatch",
    "Subscribe",
    "\nx-amz-target: AmazonSQS.",
    "\ncontent-type: application/x-www-form-urlencoded",
    "\ncontent-type: application/x-amz-json-1.0",
    "\"QueueUrl\":",
    "\"Entries\":[",
    "\"MessageAttributes\":{",
    "\"DataType\":",
    "\"StringValue\":",
    "\"BinaryValue\":",
    "\"Attributes\":{",
    "\"MaxNumberOfMessages\":",
];

/// SQS requests: the protocol is chosen per request as the plugin does
/// (`X-Amz-Target`: JSON; a form body or `Action`: query).
pub fn sqs() -> Target {
    fn run(input: &[u8]) -> u64 {
        let req = RawRequest::parse(input);
        let http = req.http();
        let wire = Protocol::of_request(&http).unwrap_or(Protocol::Query);
        decode(Codec::with_protocol(models::sqs(), wire), &http, None)
    }
    fn seeds() -> Vec<Vec<u8>> {
        let mut s = seeds::sqs_query();
        s.extend(seeds::sqs_json());
        s
    }
    Target {
        name: "protocol-sqs",
        about: "query and JSON: decode_request with the SQS model, the protocol picked per request",
        seeds,
        dict: QUERY_DICT,
        max_len: 16 * 1024,
        layout: Layout::HttpJson,
        setup: None,
        reset_every: 0,
        run,
    }
}

/// SNS requests through the query codec; STS's when they name its version.
pub fn sns() -> Target {
    fn run(input: &[u8]) -> u64 {
        let req = RawRequest::parse(input);
        let http = req.http();
        let sts = req.query.contains("2011-06-15")
            || String::from_utf8_lossy(&req.body).contains("2011-06-15");
        let model = if sts { models::sts() } else { models::sns() };
        decode(Codec::new(model), &http, None)
    }
    fn seeds() -> Vec<Vec<u8>> {
        let mut s = seeds::sns();
        s.push(crate::http::text(
            "POST /",
            &[("content-type", "application/x-www-form-urlencoded")],
            "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Arole%2Fr&RoleSessionName=s&DurationSeconds=900&Tags.member.1.Key=a&Tags.member.1.Value=b&PolicyArns.member.1.arn=arn%3Aaws%3Aiam%3A%3Aaws%3Apolicy%2FReadOnly",
        ));
        s
    }
    Target {
        name: "protocol-sns",
        about: "query: decode_request with the SNS model (and STS's)",
        seeds,
        dict: QUERY_DICT,
        max_len: 16 * 1024,
        layout: Layout::Bytes,
        setup: None,
        reset_every: 0,
        run,
    }
}

/// Tokens of DynamoDB JSON requests: members, attribute values,
/// expressions, targets.
pub(crate) const JSON_DICT: &[&str] = &[
    "\"TableName\":\"fuzz-table\"",
    "\"Item\":{",
    "\"Key\":{",
    "{\"S\":\"x\"}",
    "{\"N\":\"1\"}",
    "{\"B\":\"AA==\"}",
    "{\"BOOL\":true}",
    "{\"NULL\":true}",
    "{\"SS\":[\"a\"]}",
    "{\"NS\":[\"1\"]}",
    "{\"L\":[]}",
    "{\"M\":{}}",
    "\"ExpressionAttributeValues\":{\":v\":{\"S\":\"x\"}}",
    "\"ExpressionAttributeNames\":{\"#n\":\"a\"}",
    "\"ConditionExpression\":\"",
    "\"UpdateExpression\":\"SET ",
    "\"KeyConditionExpression\":\"",
    "\"ProjectionExpression\":\"",
    "\"FilterExpression\":\"",
    "\"Limit\":",
    "\"ExclusiveStartKey\":",
    "\"Statement\":\"",
    "\"Parameters\":[",
    "\"ReturnValues\":\"ALL_NEW\"",
    "\nx-amz-target: DynamoDB_20120810.",
    "Query",
    "Scan",
    "PutItem",
    "UpdateItem",
    "BatchWriteItem",
    "TransactWriteItems",
    "1.5e308",
    "\"2024-01-01T00:00:00Z\"",
];

/// DynamoDB (and DynamoDB Streams) requests through the JSON codec.
pub fn dynamodb() -> Target {
    fn run(input: &[u8]) -> u64 {
        let req = RawRequest::parse(input);
        let model = ::dynamodb::Api::of_target(req.header("x-amz-target")).model();
        decode(Codec::new(model), &req.http(), None)
    }
    Target {
        name: "protocol-dynamodb",
        about: "JSON 1.0: decode_request with the DynamoDB (and Streams) model",
        seeds: seeds::dynamodb,
        dict: JSON_DICT,
        max_len: 16 * 1024,
        layout: Layout::HttpJson,
        setup: None,
        reset_every: 0,
        run,
    }
}

/// A rest-json model: a subset of Lambda's (no built-in model speaks
/// rest-json yet, plugins bring their own), with every binding kind.
fn lambda() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| {
        Model::from_json(include_str!("../lambda.json")).expect("fuzz/src/lambda.json is valid")
    })
}

fn rest_json_seeds() -> Vec<Vec<u8>> {
    use crate::http::text;
    let json = ("content-type", "application/json");
    vec![
        text(
            "POST /2015-03-31/functions",
            &[json],
            r#"{"FunctionName":"fn","Runtime":"python3.12","Role":"arn:aws:iam::000000000000:role/r","Handler":"app.handler","Code":{"ZipFile":"UEsDBBQAAAAIAA=="},"Timeout":30,"MemorySize":128,"Publish":true,"Environment":{"Variables":{"A":"1","B":null}},"Tags":{"team":"x"},"Layers":["arn:aws:lambda:us-east-1:000000000000:layer:l:1"],"EphemeralStorage":{"Size":512},"ScheduledAt":"2024-01-01T00:00:00Z","Weight":0.5,"Metadata":{"any":[1,{"deep":null}]}}"#,
        ),
        text("GET /2015-03-31/functions/fn?Qualifier=%24LATEST", &[], ""),
        text(
            "GET /2015-03-31/functions/?Marker=abc&MaxItems=50&FunctionVersion=ALL&Since=1700000000&Id=1&Id=2",
            &[],
            "",
        ),
        text(
            "POST /2015-03-31/functions/fn/invocations?Qualifier=1",
            &[
                ("x-amz-invocation-type", "RequestResponse"),
                ("x-amz-log-type", "Tail"),
                ("x-amz-client-context", "eyJjdXN0b20iOnt9fQ=="),
                ("x-amz-context", "eyJhIjpbMSwyXX0="),
                ("if-modified-since", "Wed, 21 Oct 2015 07:28:00 GMT"),
                ("x-amz-retries", "3"),
                ("x-amz-flags", "a, b,c"),
                ("x-amz-meta-Trace", "t-1"),
                json,
            ],
            r#"{"key":"value"}"#,
        ),
        text(
            "POST /2017-03-31/tags/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Afn",
            &[json],
            r#"{"Tags":{"a":"1","b":"2"}}"#,
        ),
        text(
            "DELETE /2017-03-31/tags/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Afn?tagKeys=a&tagKeys=b",
            &[],
            "",
        ),
        text(
            "PUT /2017-10-31/functions/fn/concurrency",
            &[json],
            r#"{"ReservedConcurrentExecutions":10}"#,
        ),
        text(
            "PUT /2015-03-31/event-source-mappings/14e0db71-5d35-4eb5-b481-8945cf9d10c2",
            &[json],
            r#"{"Enabled":false,"BatchSize":10,"FilterCriteria":{"Filters":[{"Pattern":"{\"body\":{\"a\":[1]}}"}]},"StartingPositionTimestamp":1.7e9}"#,
        ),
        text(
            "PUT /2020-01-01/policies/team/a/b",
            &[json],
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow"}]}"#,
        ),
        // The S3 model spoken as rest-json: every S3 binding with JSON bodies.
        text(
            "PUT /fuzz-bucket?tagging",
            &[json],
            r#"{"Tagging":{"TagSet":[{"Key":"a","Value":"b"}]}}"#,
        ),
        text(
            "POST /fuzz-bucket?delete",
            &[json],
            r#"{"Objects":[{"Key":"a","VersionId":"v"}],"Quiet":true}"#,
        ),
        text(
            "PUT /fuzz-bucket/k",
            &[
                ("x-amz-meta-a", "b"),
                ("expires", "Thu, 01 Dec 2030 16:00:00 GMT"),
                ("content-length", "3"),
            ],
            "abc",
        ),
    ]
}

/// rest-json requests: the Lambda subset above, then the S3 model spoken as
/// rest-json (every S3 binding, JSON bodies).
pub fn rest_json() -> Target {
    fn run(input: &[u8]) -> u64 {
        let req = RawRequest::parse(input);
        let http = req.http();
        let a = decode(Codec::new(lambda()), &http, None);
        let b = decode(
            Codec::with_protocol(models::s3(), Protocol::RestJson),
            &http,
            None,
        );
        a ^ b.rotate_left(7)
    }
    Target {
        name: "protocol-rest-json",
        about: "rest-json: decode_request with a Lambda-subset model and the S3 model",
        seeds: rest_json_seeds,
        dict: JSON_DICT,
        max_len: 16 * 1024,
        layout: Layout::HttpJson,
        setup: None,
        reset_every: 0,
        run,
    }
}

/// The S3 body documents by root element name: the structure payloads of
/// the S3 model's operations (Tagging, Delete, CompleteMultipartUpload, ...).
fn s3_documents() -> &'static [(String, MemberRef)] {
    static DOCS: OnceLock<Vec<(String, MemberRef)>> = OnceLock::new();
    DOCS.get_or_init(|| {
        let model = models::s3();
        let mut out: Vec<(String, MemberRef)> = Vec::new();
        for op in model.operations.values() {
            let Some(shape) = model.input_shape(op) else {
                continue;
            };
            let Some(m) = shape.payload.as_ref().and_then(|p| shape.member_named(p)) else {
                continue;
            };
            if model.shape_of(m).kind == ShapeType::Structure
                && !out.iter().any(|(n, _)| n == m.wire_name())
            {
                out.push((m.wire_name().to_string(), m.target.clone()));
            }
        }
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    })
}

const XML_DICT: &[&str] = &[
    "<Tagging>",
    "</Tagging>",
    "<TagSet>",
    "<Tag>",
    "<Key>",
    "</Key>",
    "<Value>",
    "</Value>",
    "<Delete>",
    "<Object>",
    "<Quiet>true</Quiet>",
    "<Part>",
    "<PartNumber>",
    "<CORSRule>",
    "<Rule>",
    "<Filter>",
    "<And>",
    "<Prefix/>",
    "<Expiration>",
    "<Date>",
    "<Days>",
    "<Grant>",
    "<Grantee xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xsi:type=\"CanonicalUser\">",
    "<QueueConfiguration>",
    "<Event>",
    "<FilterRule>",
    "<entry><key>a</key><value>b</value></entry>",
    "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"",
    " a=\"1\"",
    " a='&amp;'",
    "<?pi x?>",
];

/// S3 body documents through the XML parser, then into the S3 model's
/// shapes (as rest-xml decoding reads them).
pub fn xml() -> Target {
    fn run(input: &[u8]) -> u64 {
        let root = match xml::parse(input) {
            Ok(root) => root,
            Err(e) => return class("xml", &e.0),
        };
        let model = models::s3();
        let docs = s3_documents();
        // Unknown root names still get a shape (picked by their hash), so a
        // renamed root is read too.
        let via = match docs.iter().find(|(n, _)| *n == root.name) {
            Some((_, via)) => via,
            None => &docs[(fnv(root.name.as_bytes()) % docs.len() as u64) as usize].1,
        };
        let shaped = xml_shape::read_value(model, via, &root);
        // SelectObjectContent's members are the body itself.
        if let Some(op) = model.operation("SelectObjectContent")
            && let Some(shape) = model.input_shape(op)
        {
            let _ = xml_shape::read_structure(model, shape, &root, true);
        }
        match shaped {
            Ok(_) => fnv(root.name.as_bytes()),
            Err(e) => class("shape", &e),
        }
    }
    fn seeds() -> Vec<Vec<u8>> {
        seeds::s3()
            .into_iter()
            .filter_map(|r| {
                let req = RawRequest::parse(&r);
                req.body.starts_with(b"<").then_some(req.body)
            })
            .collect()
    }
    Target {
        name: "xml",
        about: "the XML parser (xml::parse) and xml_shape::read_value over the S3 body shapes",
        seeds,
        dict: XML_DICT,
        max_len: 32 * 1024,
        layout: Layout::Bytes,
        setup: None,
        reset_every: 0,
        run,
    }
}
