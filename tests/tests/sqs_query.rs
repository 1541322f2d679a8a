//! SQS over the legacy query protocol (form posts, XML answers), as older
//! SDKs send it, plus requests addressed to a queue URL path.

mod sqs_common;

use ruststack_tests::{client, xml_text};
use sqs_common::{query, query_with, start};

const V: (&str, &str) = ("Version", "2012-11-05");

#[test]
fn query_protocol_round_trip() {
    let (s, _p) = start(&[]);
    let u = &s.url;
    let (st, _, x) = query(
        u,
        "/",
        &[
            ("Action", "CreateQueue"),
            V,
            ("QueueName", "legacy"),
            ("Attribute.1.Name", "VisibilityTimeout"),
            ("Attribute.1.Value", "12"),
            ("Tag.1.Key", "k"),
            ("Tag.1.Value", "v"),
        ],
    );
    assert_eq!(st, 200, "{x}");
    assert!(
        x.contains("<CreateQueueResponse xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\">"),
        "{x}"
    );
    let url = xml_text(&x, "QueueUrl").unwrap().to_string();
    assert_eq!(url, format!("{u}/000000000000/legacy"));

    let (_, _, x) = query(
        u,
        "/",
        &[("Action", "GetQueueUrl"), V, ("QueueName", "legacy")],
    );
    assert_eq!(xml_text(&x, "QueueUrl"), Some(url.as_str()));
    let (_, _, x) = query(
        u,
        "/",
        &[("Action", "ListQueueTags"), V, ("QueueUrl", &url)],
    );
    assert!(x.contains("<Tag><Key>k</Key><Value>v</Value></Tag>"), "{x}");

    let (st, _, x) = query(
        u,
        "/",
        &[
            ("Action", "SendMessage"),
            V,
            ("QueueUrl", &url),
            ("MessageBody", "hi there"),
            ("MessageAttribute.1.Name", "n"),
            ("MessageAttribute.1.Value.DataType", "Number"),
            ("MessageAttribute.1.Value.StringValue", "7"),
        ],
    );
    assert_eq!(st, 200, "{x}");
    assert_eq!(
        xml_text(&x, "MD5OfMessageBody"),
        Some("fd33e2e8ad3cb1bdd3ea8f5633fcf5c7")
    );
    let md5_attrs = xml_text(&x, "MD5OfMessageAttributes").unwrap().to_string();

    let (_, _, x) = query(
        u,
        "/",
        &[
            ("Action", "ReceiveMessage"),
            V,
            ("QueueUrl", &url),
            ("AttributeName.1", "All"),
            ("MessageAttributeName.1", "All"),
            ("MaxNumberOfMessages", "5"),
        ],
    );
    assert_eq!(xml_text(&x, "Body"), Some("hi there"), "{x}");
    assert_eq!(
        xml_text(&x, "MD5OfMessageAttributes"),
        Some(md5_attrs.as_str())
    );
    assert!(
        x.contains("<Attribute><Name>ApproximateReceiveCount</Name><Value>1</Value></Attribute>"),
        "{x}"
    );
    assert!(x.contains("<MessageAttribute><Name>n</Name><Value><StringValue>7</StringValue><DataType>Number</DataType></Value></MessageAttribute>"), "{x}");
    let handle = xml_text(&x, "ReceiptHandle").unwrap().to_string();
    let (st, _, x) = query(
        u,
        "/",
        &[
            ("Action", "DeleteMessage"),
            V,
            ("QueueUrl", &url),
            ("ReceiptHandle", &handle),
        ],
    );
    assert_eq!(st, 200, "{x}");
    assert!(x.contains("<DeleteMessageResponse"), "{x}");

    let (_, _, x) = query(
        u,
        "/",
        &[
            ("Action", "SendMessageBatch"),
            V,
            ("QueueUrl", &url),
            ("SendMessageBatchRequestEntry.1.Id", "a"),
            ("SendMessageBatchRequestEntry.1.MessageBody", "one"),
            ("SendMessageBatchRequestEntry.2.Id", "b"),
            ("SendMessageBatchRequestEntry.2.MessageBody", "two"),
        ],
    );
    assert_eq!(x.matches("<SendMessageBatchResultEntry>").count(), 2, "{x}");

    let (_, _, x) = query(
        u,
        "/",
        &[
            ("Action", "GetQueueAttributes"),
            V,
            ("QueueUrl", &url),
            ("AttributeName.1", "All"),
        ],
    );
    assert!(
        x.contains(
            "<Attribute><Name>ApproximateNumberOfMessages</Name><Value>2</Value></Attribute>"
        ),
        "{x}"
    );
    assert!(
        x.contains("<Attribute><Name>VisibilityTimeout</Name><Value>12</Value></Attribute>"),
        "{x}"
    );
    let (st, _, _) = query(
        u,
        "/",
        &[
            ("Action", "SetQueueAttributes"),
            V,
            ("QueueUrl", &url),
            ("Attribute.1.Name", "DelaySeconds"),
            ("Attribute.1.Value", "3"),
        ],
    );
    assert_eq!(st, 200);

    // A GET with the parameters in the query string.
    let x = client()
        .get(format!(
            "{u}/?Action=ListQueues&Version=2012-11-05&QueueNamePrefix=leg"
        ))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert_eq!(xml_text(&x, "QueueUrl"), Some(url.as_str()), "{x}");

    // Errors: XML with the legacy codes.
    let (st, _, x) = query(
        u,
        "/",
        &[("Action", "GetQueueUrl"), V, ("QueueName", "nope")],
    );
    assert_eq!(st, 400);
    assert_eq!(
        xml_text(&x, "Code"),
        Some("AWS.SimpleQueueService.NonExistentQueue"),
        "{x}"
    );
    assert_eq!(xml_text(&x, "Type"), Some("Sender"));
    let (st, _, x) = query(u, "/", &[("Action", "SendMessage"), V, ("QueueUrl", &url)]);
    assert_eq!(
        (st, xml_text(&x, "Code")),
        (400, Some("MissingParameter")),
        "{x}"
    );
    let (st, _, x) = query(
        u,
        "/",
        &[
            ("Action", "ReceiveMessage"),
            V,
            ("QueueUrl", &url),
            ("MaxNumberOfMessages", "11"),
        ],
    );
    assert_eq!(
        (st, xml_text(&x, "Code")),
        (400, Some("InvalidParameterValue")),
        "{x}"
    );
    let (st, _, x) = query(
        u,
        "/",
        &[
            ("Action", "CreateQueue"),
            V,
            ("QueueName", "legacy"),
            ("Attribute.1.Name", "VisibilityTimeout"),
            ("Attribute.1.Value", "1"),
        ],
    );
    assert_eq!(
        (st, xml_text(&x, "Code")),
        (400, Some("QueueAlreadyExists")),
        "{x}"
    );
    let (st, _, x) = query(
        u,
        "/",
        &[("Action", "DeleteMessageBatch"), V, ("QueueUrl", &url)],
    );
    // The query protocol sends no entries at all for an empty batch; AWS
    // answers that the first entry's Id is missing.
    assert_eq!(
        (st, xml_text(&x, "Code"), xml_text(&x, "Message")),
        (
            400,
            Some("MissingParameter"),
            Some("The request must contain the parameter DeleteMessageBatchRequestEntry.1.Id.")
        ),
        "{x}"
    );
    let (st, _, x) = query(u, "/", &[("Action", "Bogus"), V]);
    assert_eq!(
        (st, xml_text(&x, "Code")),
        (400, Some("InvalidAction")),
        "{x}"
    );

    let (st, _, _) = query(u, "/", &[("Action", "DeleteQueue"), V, ("QueueUrl", &url)]);
    assert_eq!(st, 200);
    let (st, _, x) = query(
        u,
        "/",
        &[("Action", "GetQueueAttributes"), V, ("QueueUrl", &url)],
    );
    assert_eq!(
        (st, xml_text(&x, "Code")),
        (400, Some("AWS.SimpleQueueService.NonExistentQueue"))
    );
}

#[test]
fn requests_to_a_queue_url_path_are_routed_to_sqs() {
    let (s, _p) = start(&[]);
    let u = &s.url;
    query(
        u,
        "/",
        &[("Action", "CreateQueue"), V, ("QueueName", "pathq")],
    );
    // No Version and no QueueUrl: the path alone names service and queue.
    let (st, _, x) = query(
        u,
        "/000000000000/pathq",
        &[("Action", "SendMessage"), ("MessageBody", "via path")],
    );
    assert_eq!(st, 200, "{x}");
    let (st, _, x) = query(u, "/000000000000/pathq", &[("Action", "ReceiveMessage")]);
    assert_eq!((st, xml_text(&x, "Body")), (200, Some("via path")), "{x}");
    let (st, _, x) = query(u, "/000000000000/missing", &[("Action", "ReceiveMessage")]);
    assert_eq!(
        (st, xml_text(&x, "Code")),
        (400, Some("AWS.SimpleQueueService.NonExistentQueue")),
        "{x}"
    );
}

#[test]
fn json_errors_carry_the_query_error_header() {
    let (s, _p) = start(&[]);
    let resp = client()
        .post(format!("{}/", s.url))
        .header("x-amz-target", "AmazonSQS.GetQueueAttributes")
        .header("content-type", "application/x-amz-json-1.0")
        .body(format!(
            r#"{{"QueueUrl":"{}/000000000000/none","AttributeNames":["All"]}}"#,
            s.url
        ))
        .send()
        .unwrap();
    assert_eq!(resp.status(), 400);
    assert_eq!(
        resp.headers()
            .get("x-amzn-query-error")
            .and_then(|v| v.to_str().ok()),
        Some("AWS.SimpleQueueService.NonExistentQueue;Sender")
    );
    let body: serde_json::Value = resp.json().unwrap();
    assert_eq!(body["__type"], "com.amazonaws.sqs#QueueDoesNotExist");
}

#[test]
fn localstack_style_host_names_route_to_sqs_and_shape_queue_urls() {
    let (s, _p) = start(&[]);
    let host = format!("sqs.us-east-1.localhost.localstack.cloud:{}", s.port);
    // No Version, no target, no signature: the host alone names the service.
    let (_, _, x) = query_with(
        &s.url,
        "/",
        &[("host", &host)],
        &[("Action", "CreateQueue"), ("QueueName", "hosted")],
    );
    assert_eq!(
        xml_text(&x, "QueueUrl"),
        Some(format!("http://{host}/000000000000/hosted").as_str()),
        "{x}"
    );
}

#[test]
fn json_requests_name_a_missing_member_as_query_ones_do() {
    let (s, _p) = start(&[]);
    let (_, created) = sqs_common::sqs(
        &s.url,
        "CreateQueue",
        serde_json::json!({"QueueName": "strict"}),
    );
    let url = created["QueueUrl"].as_str().unwrap().to_string();
    let (status, body) =
        sqs_common::sqs(&s.url, "SendMessage", serde_json::json!({"QueueUrl": url}));
    assert_eq!(status, 400, "{body}");
    assert!(
        body["__type"]
            .as_str()
            .is_some_and(|t| t.ends_with("#MissingParameter")),
        "{body}"
    );
    assert_eq!(
        body["message"],
        "The request must contain the parameter MessageBody."
    );
    let (status, body) = sqs_common::sqs(
        &s.url,
        "SendMessageBatch",
        serde_json::json!({"QueueUrl": url}),
    );
    assert_eq!(status, 400, "{body}");
    assert!(
        body["__type"]
            .as_str()
            .is_some_and(|t| t.ends_with("EmptyBatchRequest")),
        "{body}"
    );
}
