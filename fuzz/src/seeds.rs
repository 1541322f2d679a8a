//! Seed corpora: realistic requests as AWS CLIs and SDKs send them, in the
//! text form of [`crate::http`]. They name the resources the whole-plugin
//! targets create first (bucket `fuzz-bucket`, queue `fuzz-queue`, topic
//! `fuzz-topic`, table `fuzz-table`), so mutations start from requests that
//! reach the handlers, not just the decoders.

use crate::http::text;

/// The bucket the S3 seeds name.
pub const BUCKET: &str = "fuzz-bucket";
/// The queue URL the SQS seeds name.
pub const QUEUE_URL: &str = "http://localhost:4566/000000000000/fuzz-queue";
/// The topic the SNS seeds name.
pub const TOPIC_ARN: &str = "arn:aws:sns:us-east-1:000000000000:fuzz-topic";
/// The table the DynamoDB seeds name.
pub const TABLE: &str = "fuzz-table";

const XML: (&str, &str) = ("content-type", "application/xml");
const SIGNED: (&str, &str) = (
    "authorization",
    "AWS4-HMAC-SHA256 Credential=test/20240101/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=0123456789abcdef",
);
const DATE: (&str, &str) = ("x-amz-date", "20240101T000000Z");
const HOST: (&str, &str) = ("host", "localhost:4566");

/// S3 (rest-xml) requests: bucket configuration documents, object writes
/// with headers, listings with query strings, multipart, virtual hosts.
pub fn s3() -> Vec<Vec<u8>> {
    let b = BUCKET;
    let unsigned = ("x-amz-content-sha256", "UNSIGNED-PAYLOAD");
    let mut out = vec![
        text(&format!("PUT /{b}"), &[HOST, DATE, SIGNED], ""),
        text(
            &format!("PUT /{b}"),
            &[HOST, XML],
            r#"<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>"#,
        ),
        text(
            &format!("PUT /{b}?tagging"),
            &[HOST, XML, ("content-md5", "1B2M2Y8AsgTpgAmY7PhCfg==")],
            r#"<?xml version="1.0" encoding="UTF-8"?>
<Tagging xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <TagSet>
    <Tag><Key>env</Key><Value>prod</Value></Tag>
    <Tag><Key>team &amp; owner</Key><Value>data-eng</Value></Tag>
  </TagSet>
</Tagging>"#,
        ),
        text(
            &format!("POST /{b}?delete"),
            &[HOST, XML, ("content-md5", "aGVsbG8gd29ybGQhISEhIQ==")],
            r#"<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Object><Key>photos/2024/cat.jpg</Key></Object>
  <Object><Key>logs/a&lt;b&gt;.txt</Key><VersionId>3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY</VersionId></Object>
  <Object><Key><![CDATA[weird]]key]]></Key><ETag>"abc"</ETag><LastModifiedTime>2024-01-01T00:00:00Z</LastModifiedTime><Size>12</Size></Object>
  <Quiet>true</Quiet>
</Delete>"#,
        ),
        text(
            &format!(
                "POST /{b}/photos/2024/cat.jpg?uploadId=VXBsb2FkIElEIGZvciA2aWWpbmcncyBteS1tb3ZpZS5tMnRzIHVwbG9hZA"
            ),
            &[HOST, XML],
            r#"<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Part><PartNumber>1</PartNumber><ETag>"a54357aff0632cce46d942af68356b38"</ETag><ChecksumCRC32>AAAAAA==</ChecksumCRC32></Part>
  <Part><PartNumber>2</PartNumber><ETag>"0c78aef83f66abc1fa1e8477f296d394"</ETag></Part>
  <Part><PartNumber>10000</PartNumber><ETag>acbd18db4cc2f85cedef654fccc4a4d8</ETag></Part>
</CompleteMultipartUpload>"#,
        ),
        text(
            &format!("PUT /{b}?cors"),
            &[HOST, XML],
            r#"<CORSConfiguration>
  <CORSRule>
    <ID>web</ID>
    <AllowedOrigin>http://www.example.com</AllowedOrigin>
    <AllowedOrigin>https://*.example.org</AllowedOrigin>
    <AllowedMethod>PUT</AllowedMethod><AllowedMethod>POST</AllowedMethod><AllowedMethod>DELETE</AllowedMethod>
    <AllowedHeader>*</AllowedHeader>
    <ExposeHeader>x-amz-server-side-encryption</ExposeHeader><ExposeHeader>ETag</ExposeHeader>
    <MaxAgeSeconds>3000</MaxAgeSeconds>
  </CORSRule>
  <CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>GET</AllowedMethod></CORSRule>
</CORSConfiguration>"#,
        ),
        text(
            &format!("PUT /{b}?lifecycle"),
            &[HOST, XML],
            r#"<LifecycleConfiguration>
  <Rule><ID>expire-logs</ID><Filter><And><Prefix>logs/</Prefix><Tag><Key>k</Key><Value>v</Value></Tag><ObjectSizeGreaterThan>1024</ObjectSizeGreaterThan></And></Filter><Status>Enabled</Status>
    <Transition><Days>30</Days><StorageClass>STANDARD_IA</StorageClass></Transition>
    <Expiration><Date>2030-01-01T00:00:00.000Z</Date></Expiration>
    <NoncurrentVersionExpiration><NoncurrentDays>7</NoncurrentDays><NewerNoncurrentVersions>3</NewerNoncurrentVersions></NoncurrentVersionExpiration>
    <AbortIncompleteMultipartUpload><DaysAfterInitiation>2</DaysAfterInitiation></AbortIncompleteMultipartUpload>
  </Rule>
  <Rule><ID>tmp</ID><Filter><Prefix>tmp/</Prefix></Filter><Status>Disabled</Status><Expiration><Days>1</Days></Expiration></Rule>
</LifecycleConfiguration>"#,
        ),
        text(
            &format!("PUT /{b}?versioning"),
            &[HOST, XML],
            r#"<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Status>Enabled</Status><MfaDelete>Disabled</MfaDelete></VersioningConfiguration>"#,
        ),
        text(
            &format!("PUT /{b}?notification"),
            &[HOST, XML],
            r#"<NotificationConfiguration>
  <QueueConfiguration><Id>q1</Id><Queue>arn:aws:sqs:us-east-1:000000000000:fuzz-queue</Queue><Event>s3:ObjectCreated:*</Event>
    <Filter><S3Key><FilterRule><Name>prefix</Name><Value>images/</Value></FilterRule><FilterRule><Name>suffix</Name><Value>.jpg</Value></FilterRule></S3Key></Filter>
  </QueueConfiguration>
  <TopicConfiguration><Topic>arn:aws:sns:us-east-1:000000000000:fuzz-topic</Topic><Event>s3:ObjectRemoved:Delete</Event></TopicConfiguration>
  <EventBridgeConfiguration/>
</NotificationConfiguration>"#,
        ),
        text(
            &format!("PUT /{b}?policy"),
            &[HOST, ("content-type", "application/json")],
            r#"{"Version":"2012-10-17","Statement":[{"Sid":"PublicRead","Effect":"Allow","Principal":"*","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::fuzz-bucket/*"]}]}"#,
        ),
        text(
            &format!("PUT /{b}?acl"),
            &[HOST, XML],
            r#"<AccessControlPolicy xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Owner><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID></Owner><AccessControlList><Grant><Grantee xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="CanonicalUser"><ID>75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a</ID></Grantee><Permission>FULL_CONTROL</Permission></Grant><Grant><Grantee xsi:type="Group" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><URI>http://acs.amazonaws.com/groups/global/AllUsers</URI></Grantee><Permission>READ</Permission></Grant></AccessControlList></AccessControlPolicy>"#,
        ),
        text(
            &format!("PUT /{b}?acl"),
            &[
                HOST,
                ("x-amz-acl", "public-read"),
                (
                    "x-amz-grant-read",
                    "uri=\"http://acs.amazonaws.com/groups/global/AllUsers\", id=\"abc\"",
                ),
            ],
            "",
        ),
        text(
            &format!("PUT /{b}?encryption"),
            &[HOST, XML],
            r#"<ServerSideEncryptionConfiguration><Rule><ApplyServerSideEncryptionByDefault><SSEAlgorithm>aws:kms</SSEAlgorithm><KMSMasterKeyID>arn:aws:kms:us-east-1:000000000000:key/1234</KMSMasterKeyID></ApplyServerSideEncryptionByDefault><BucketKeyEnabled>true</BucketKeyEnabled></Rule></ServerSideEncryptionConfiguration>"#,
        ),
        text(
            &format!("PUT /{b}?website"),
            &[HOST, XML],
            r#"<WebsiteConfiguration><IndexDocument><Suffix>index.html</Suffix></IndexDocument><ErrorDocument><Key>error.html</Key></ErrorDocument><RoutingRules><RoutingRule><Condition><KeyPrefixEquals>docs/</KeyPrefixEquals><HttpErrorCodeReturnedEquals>404</HttpErrorCodeReturnedEquals></Condition><Redirect><ReplaceKeyPrefixWith>documents/</ReplaceKeyPrefixWith><HttpRedirectCode>301</HttpRedirectCode></Redirect></RoutingRule></RoutingRules></WebsiteConfiguration>"#,
        ),
        text(
            &format!("PUT /{b}?object-lock"),
            &[HOST, XML],
            r#"<ObjectLockConfiguration><ObjectLockEnabled>Enabled</ObjectLockEnabled><Rule><DefaultRetention><Mode>GOVERNANCE</Mode><Days>1</Days></DefaultRetention></Rule></ObjectLockConfiguration>"#,
        ),
        text(
            &format!("PUT /{b}?publicAccessBlock"),
            &[HOST, XML],
            r#"<PublicAccessBlockConfiguration><BlockPublicAcls>true</BlockPublicAcls><IgnorePublicAcls>false</IgnorePublicAcls><BlockPublicPolicy>true</BlockPublicPolicy><RestrictPublicBuckets>false</RestrictPublicBuckets></PublicAccessBlockConfiguration>"#,
        ),
        text(
            &format!("PUT /{b}?ownershipControls"),
            &[HOST, XML],
            r#"<OwnershipControls><Rule><ObjectOwnership>BucketOwnerEnforced</ObjectOwnership></Rule></OwnershipControls>"#,
        ),
        text(
            &format!("PUT /{b}?logging"),
            &[HOST, XML],
            r#"<BucketLoggingStatus><LoggingEnabled><TargetBucket>logs</TargetBucket><TargetPrefix>fuzz/</TargetPrefix></LoggingEnabled></BucketLoggingStatus>"#,
        ),
        text(
            &format!("PUT /{b}?replication"),
            &[HOST, XML],
            r#"<ReplicationConfiguration><Role>arn:aws:iam::000000000000:role/r</Role><Rule><ID>r1</ID><Priority>1</Priority><Status>Enabled</Status><Filter><Prefix></Prefix></Filter><Destination><Bucket>arn:aws:s3:::other</Bucket></Destination><DeleteMarkerReplication><Status>Disabled</Status></DeleteMarkerReplication></Rule></ReplicationConfiguration>"#,
        ),
        text(
            &format!("PUT /{b}/photos/2024/cat.jpg"),
            &[
                HOST,
                ("content-type", "image/jpeg"),
                ("content-length", "11"),
                ("content-md5", "XrY7u+Ae7tCTyyK7j1rNww=="),
                ("cache-control", "max-age=3600"),
                ("content-disposition", "attachment; filename=\"cat.jpg\""),
                ("expires", "Thu, 01 Dec 2030 16:00:00 GMT"),
                ("x-amz-meta-owner", "alice"),
                ("x-amz-meta-Camera-Model", "EOS 5D"),
                ("x-amz-tagging", "project=blue&cost-center=42"),
                ("x-amz-storage-class", "STANDARD_IA"),
                ("x-amz-server-side-encryption", "AES256"),
                (
                    "x-amz-object-lock-retain-until-date",
                    "2030-01-01T00:00:00Z",
                ),
                ("x-amz-checksum-crc32", "DUoRhQ=="),
                unsigned,
            ],
            "hello world",
        ),
        text(
            &format!("PUT /{b}/big.bin"),
            &[
                HOST,
                ("content-encoding", "aws-chunked"),
                ("x-amz-content-sha256", "STREAMING-UNSIGNED-PAYLOAD-TRAILER"),
                ("x-amz-decoded-content-length", "11"),
                ("x-amz-trailer", "x-amz-checksum-crc32"),
            ],
            "b\r\nhello world\r\n0\r\nx-amz-checksum-crc32:DUoRhQ==\r\n\r\n",
        ),
        text(
            &format!("PUT /{b}/copy.jpg"),
            &[
                HOST,
                (
                    "x-amz-copy-source",
                    "/fuzz-bucket/photos/2024/cat.jpg?versionId=null",
                ),
                ("x-amz-metadata-directive", "REPLACE"),
                (
                    "x-amz-copy-source-if-match",
                    "\"5eb63bbbe01eeed093cb22bb8f5acdc3\"",
                ),
                (
                    "x-amz-copy-source-if-modified-since",
                    "Sat, 01 Jan 2000 00:00:00 GMT",
                ),
            ],
            "",
        ),
        text(
            &format!("PUT /{b}/big.bin?partNumber=2&uploadId=abc"),
            &[
                HOST,
                ("x-amz-copy-source", "fuzz-bucket/photos%2F2024%2Fcat.jpg"),
                ("x-amz-copy-source-range", "bytes=0-5"),
            ],
            "",
        ),
        text(
            &format!("PUT /{b}/big.bin?partNumber=1&uploadId=abc"),
            &[
                HOST,
                ("content-length", "5"),
                ("content-md5", "XUFAKrxLKna5cZ2REBfFkg=="),
            ],
            "hello",
        ),
        text(
            &format!("POST /{b}/big.bin?uploads"),
            &[
                HOST,
                ("x-amz-checksum-algorithm", "CRC32"),
                ("content-type", "application/octet-stream"),
            ],
            "",
        ),
        text(
            &format!("GET /{b}/big.bin?uploadId=abc&max-parts=10&part-number-marker=1"),
            &[HOST],
            "",
        ),
        text(&format!("DELETE /{b}/big.bin?uploadId=abc"), &[HOST], ""),
        text(
            &format!("GET /{b}?uploads&prefix=b&max-uploads=5&key-marker=a&upload-id-marker=x"),
            &[HOST],
            "",
        ),
        text(
            &format!(
                "GET /{b}?list-type=2&prefix=photos%2F&delimiter=%2F&max-keys=2&start-after=a&fetch-owner=true&encoding-type=url"
            ),
            &[HOST],
            "",
        ),
        text(
            &format!("GET /{b}?list-type=2&continuation-token=MTIz&max-keys=1000"),
            &[HOST, ("x-amz-optional-object-attributes", "RestoreStatus")],
            "",
        ),
        text(
            &format!("GET /{b}?marker=a&max-keys=3&delimiter=%2F"),
            &[HOST],
            "",
        ),
        text(
            &format!("GET /{b}?versions&key-marker=a&version-id-marker=null&max-keys=5"),
            &[HOST],
            "",
        ),
        text(
            &format!(
                "GET /{b}/photos/2024/cat.jpg?response-content-type=text%2Fplain&response-cache-control=no-cache&versionId=null&partNumber=1"
            ),
            &[
                HOST,
                ("range", "bytes=0-4"),
                ("if-modified-since", "Wed, 21 Oct 2015 07:28:00 GMT"),
                ("if-none-match", "\"abc\""),
                ("x-amz-checksum-mode", "ENABLED"),
            ],
            "",
        ),
        text(
            &format!("HEAD /{b}/photos/2024/cat.jpg"),
            &[
                HOST,
                ("if-unmodified-since", "2015-10-21T07:28:00Z"),
                ("range", "bytes=-3"),
            ],
            "",
        ),
        text(
            &format!("GET /{b}/photos/2024/cat.jpg?attributes"),
            &[
                HOST,
                (
                    "x-amz-object-attributes",
                    "ETag,Checksum,ObjectParts,StorageClass,ObjectSize",
                ),
                ("x-amz-max-parts", "3"),
            ],
            "",
        ),
        text(
            &format!("PUT /{b}/photos/2024/cat.jpg?tagging&versionId=null"),
            &[HOST, XML],
            r#"<Tagging><TagSet><Tag><Key>a</Key><Value>1</Value></Tag></TagSet></Tagging>"#,
        ),
        text(
            &format!("PUT /{b}/photos/2024/cat.jpg?retention"),
            &[HOST, XML, ("x-amz-bypass-governance-retention", "true")],
            r#"<Retention><Mode>COMPLIANCE</Mode><RetainUntilDate>2030-01-01T00:00:00.000Z</RetainUntilDate></Retention>"#,
        ),
        text(
            &format!("PUT /{b}/photos/2024/cat.jpg?legal-hold"),
            &[HOST, XML],
            r#"<LegalHold><Status>ON</Status></LegalHold>"#,
        ),
        text(
            &format!("POST /{b}/photos/2024/cat.jpg?restore"),
            &[HOST, XML],
            r#"<RestoreRequest><Days>2</Days><GlacierJobParameters><Tier>Standard</Tier></GlacierJobParameters></RestoreRequest>"#,
        ),
        text(
            &format!("POST /{b}/data.csv?select&select-type=2"),
            &[HOST, XML],
            r#"<SelectObjectContentRequest><Expression>SELECT * FROM S3Object s WHERE s.a &gt; 1</Expression><ExpressionType>SQL</ExpressionType><InputSerialization><CSV><FileHeaderInfo>USE</FileHeaderInfo></CSV></InputSerialization><OutputSerialization><JSON/></OutputSerialization><ScanRange><Start>0</Start><End>100</End></ScanRange></SelectObjectContentRequest>"#,
        ),
        text(
            &format!(
                "DELETE /{b}/photos/2024/cat.jpg?versionId=3HL4kqtJlcpXroDTDmJ%2BrmSpXd3dIbrHY"
            ),
            &[
                HOST,
                ("x-amz-mfa", "123 456"),
                ("x-amz-bypass-governance-retention", "false"),
            ],
            "",
        ),
        text(&format!("DELETE /{b}?tagging"), &[HOST], ""),
        text(&format!("GET /{b}?location"), &[HOST], ""),
        text(
            &format!("HEAD /{b}"),
            &[HOST, ("x-amz-expected-bucket-owner", "000000000000")],
            "",
        ),
        text(&format!("DELETE /{b}"), &[HOST], ""),
        text(
            "GET /?x-id=ListBuckets&max-buckets=10&prefix=fuzz&bucket-region=us-east-1",
            &[HOST],
            "",
        ),
        text(
            "GET /photos/2024/cat.jpg",
            &[
                ("host", "fuzz-bucket.s3.amazonaws.com"),
                ("x-amz-request-payer", "requester"),
            ],
            "",
        ),
        text(
            "PUT /?tagging",
            &[("host", "fuzz-bucket.localhost:4566"), XML],
            r#"<Tagging><TagSet><Tag><Key>vhost</Key><Value>yes</Value></Tag></TagSet></Tagging>"#,
        ),
        text(
            "GET /?list-type=2",
            &[("host", "fuzz-bucket.s3.localhost.localstack.cloud:4566")],
            "",
        ),
        text(
            &format!("OPTIONS /{b}/photos/2024/cat.jpg"),
            &[
                HOST,
                ("origin", "http://www.example.com"),
                ("access-control-request-method", "PUT"),
                (
                    "access-control-request-headers",
                    "content-type, x-amz-meta-owner",
                ),
            ],
            "",
        ),
        text(
            &format!(
                "GET /{b}/presigned.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=test%2F20240101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20240101T000000Z&X-Amz-Expires=3600&X-Amz-SignedHeaders=host&X-Amz-Signature=abc"
            ),
            &[HOST],
            "",
        ),
        text(
            "POST /?Action=GetCallerIdentity&Version=2011-06-15",
            &[HOST, ("content-type", "application/x-www-form-urlencoded")],
            "",
        ),
    ];
    out.push(text(
        &format!("PUT /{b}?intelligent-tiering&id=t1"),
        &[HOST, XML],
        r#"<IntelligentTieringConfiguration><Id>t1</Id><Status>Enabled</Status><Tiering><Days>90</Days><AccessTier>ARCHIVE_ACCESS</AccessTier></Tiering></IntelligentTieringConfiguration>"#,
    ));
    out
}

const FORM: (&str, &str) = (
    "content-type",
    "application/x-www-form-urlencoded; charset=utf-8",
);

/// SQS requests in the legacy query protocol (form bodies and query strings).
pub fn sqs_query() -> Vec<Vec<u8>> {
    let q = "http%3A%2F%2Flocalhost%3A4566%2F000000000000%2Ffuzz-queue";
    let v = "Version=2012-11-05";
    vec![
        text(
            "POST /",
            &[HOST, FORM],
            &format!(
                "Action=CreateQueue&QueueName=fuzz-queue&Attribute.1.Name=VisibilityTimeout&Attribute.1.Value=40&Attribute.2.Name=RedrivePolicy&Attribute.2.Value=%7B%22deadLetterTargetArn%22%3A%22arn%3Aaws%3Asqs%3Aus-east-1%3A000000000000%3Adlq%22%2C%22maxReceiveCount%22%3A%225%22%7D&Tag.1.Key=env&Tag.1.Value=test&{v}"
            ),
        ),
        text(
            "POST /",
            &[HOST, FORM],
            &format!(
                "Action=CreateQueue&QueueName=fuzz.fifo&Attribute.1.Name=FifoQueue&Attribute.1.Value=true&Attribute.2.Name=ContentBasedDeduplication&Attribute.2.Value=true&{v}"
            ),
        ),
        text(
            "POST /",
            &[HOST, FORM],
            &format!(
                "Action=SendMessage&QueueUrl={q}&MessageBody=hello+world%21&DelaySeconds=0&MessageAttribute.1.Name=color&MessageAttribute.1.Value.DataType=String&MessageAttribute.1.Value.StringValue=blue&MessageAttribute.2.Name=bin&MessageAttribute.2.Value.DataType=Binary&MessageAttribute.2.Value.BinaryValue=AAECAw%3D%3D&MessageAttribute.3.Name=n&MessageAttribute.3.Value.DataType=Number.float&MessageAttribute.3.Value.StringValue=1.5&MessageSystemAttribute.1.Name=AWSTraceHeader&MessageSystemAttribute.1.Value.DataType=String&MessageSystemAttribute.1.Value.StringValue=Root%3D1-5759e988-bd862e3fe1be46a994272793&{v}"
            ),
        ),
        text(
            "POST /000000000000/fuzz-queue",
            &[HOST, FORM],
            &format!(
                "Action=SendMessageBatch&SendMessageBatchRequestEntry.1.Id=a&SendMessageBatchRequestEntry.1.MessageBody=one&SendMessageBatchRequestEntry.1.DelaySeconds=1&SendMessageBatchRequestEntry.2.Id=b&SendMessageBatchRequestEntry.2.MessageBody=two&SendMessageBatchRequestEntry.2.MessageAttribute.1.Name=k&SendMessageBatchRequestEntry.2.MessageAttribute.1.Value.DataType=String&SendMessageBatchRequestEntry.2.MessageAttribute.1.Value.StringValue=v&{v}"
            ),
        ),
        text(
            "POST /",
            &[HOST, FORM],
            &format!(
                "Action=ReceiveMessage&QueueUrl={q}&MaxNumberOfMessages=10&VisibilityTimeout=5&WaitTimeSeconds=0&AttributeName.1=All&MessageAttributeName.1=All&MessageSystemAttributeName.1=SentTimestamp&ReceiveRequestAttemptId=x&{v}"
            ),
        ),
        text(
            "POST /",
            &[HOST, FORM],
            &format!(
                "Action=DeleteMessage&QueueUrl={q}&ReceiptHandle=AQEBzWwaftRI0KuVm4tP%2BLx%2Fhandle&{v}"
            ),
        ),
        text(
            "POST /",
            &[HOST, FORM],
            &format!(
                "Action=DeleteMessageBatch&QueueUrl={q}&DeleteMessageBatchRequestEntry.1.Id=a&DeleteMessageBatchRequestEntry.1.ReceiptHandle=h1&DeleteMessageBatchRequestEntry.2.Id=b&DeleteMessageBatchRequestEntry.2.ReceiptHandle=h2&{v}"
            ),
        ),
        text(
            "POST /",
            &[HOST, FORM],
            &format!(
                "Action=ChangeMessageVisibility&QueueUrl={q}&ReceiptHandle=h&VisibilityTimeout=60&{v}"
            ),
        ),
        text(
            "POST /",
            &[HOST, FORM],
            &format!(
                "Action=ChangeMessageVisibilityBatch&QueueUrl={q}&ChangeMessageVisibilityBatchRequestEntry.1.Id=a&ChangeMessageVisibilityBatchRequestEntry.1.ReceiptHandle=h&ChangeMessageVisibilityBatchRequestEntry.1.VisibilityTimeout=10&{v}"
            ),
        ),
        text(
            "POST /",
            &[HOST, FORM],
            &format!(
                "Action=SetQueueAttributes&QueueUrl={q}&Attribute.1.Name=Policy&Attribute.1.Value=%7B%7D&Attribute.2.Name=MaximumMessageSize&Attribute.2.Value=2048&Attribute.3.Name=RedriveAllowPolicy&Attribute.3.Value=%7B%22redrivePermission%22%3A%22allowAll%22%7D&{v}"
            ),
        ),
        text(
            "POST /",
            &[HOST, FORM],
            &format!(
                "Action=GetQueueAttributes&QueueUrl={q}&AttributeName.1=All&AttributeName.2=ApproximateNumberOfMessages&{v}"
            ),
        ),
        text(
            &format!(
                "GET /?Action=GetQueueUrl&QueueName=fuzz-queue&QueueOwnerAWSAccountId=000000000000&{v}"
            ),
            &[HOST],
            "",
        ),
        text(
            &format!(
                "GET /?Action=ListQueues&QueueNamePrefix=fuzz&MaxResults=10&NextToken=abc&{v}"
            ),
            &[HOST],
            "",
        ),
        text(
            "POST /",
            &[HOST, FORM],
            &format!(
                "Action=TagQueue&QueueUrl={q}&Tag.1.Key=a&Tag.1.Value=1&Tag.2.Key=b&Tag.2.Value=&{v}"
            ),
        ),
        text(
            "POST /",
            &[HOST, FORM],
            &format!("Action=UntagQueue&QueueUrl={q}&TagKey.1=a&{v}"),
        ),
        text(
            "POST /",
            &[HOST, FORM],
            &format!("Action=ListQueueTags&QueueUrl={q}&{v}"),
        ),
        text(
            "POST /",
            &[HOST, FORM],
            &format!(
                "Action=AddPermission&QueueUrl={q}&Label=l&AWSAccountId.1=111122223333&ActionName.1=SendMessage&{v}"
            ),
        ),
        text(
            "POST /",
            &[HOST, FORM],
            &format!("Action=PurgeQueue&QueueUrl={q}&{v}"),
        ),
        text(
            "POST /",
            &[HOST, FORM],
            &format!(
                "Action=StartMessageMoveTask&SourceArn=arn%3Aaws%3Asqs%3Aus-east-1%3A000000000000%3Adlq&MaxNumberOfMessagesPerSecond=10&{v}"
            ),
        ),
        text(
            "POST /",
            &[HOST, FORM],
            &format!("Action=ListDeadLetterSourceQueues&QueueUrl={q}&MaxResults=5&{v}"),
        ),
        text(
            "POST /",
            &[HOST, FORM],
            &format!("Action=DeleteQueue&QueueUrl={q}&{v}"),
        ),
    ]
}

fn sqs_json_req(op: &str, body: &str) -> Vec<u8> {
    text(
        "POST /",
        &[
            HOST,
            ("x-amz-target", &format!("AmazonSQS.{op}")),
            ("content-type", "application/x-amz-json-1.0"),
            ("x-amzn-query-mode", "true"),
        ],
        body,
    )
}

/// SQS requests in the JSON protocol (what current SDKs send).
pub fn sqs_json() -> Vec<Vec<u8>> {
    let q = QUEUE_URL;
    vec![
        sqs_json_req(
            "CreateQueue",
            r#"{"QueueName":"fuzz-queue","Attributes":{"VisibilityTimeout":"40","MessageRetentionPeriod":"86400","RedrivePolicy":"{\"deadLetterTargetArn\":\"arn:aws:sqs:us-east-1:000000000000:dlq\",\"maxReceiveCount\":3}"},"tags":{"env":"test"}}"#,
        ),
        sqs_json_req(
            "CreateQueue",
            r#"{"QueueName":"fuzz.fifo","Attributes":{"FifoQueue":"true","DeduplicationScope":"messageGroup","FifoThroughputLimit":"perMessageGroupId"}}"#,
        ),
        sqs_json_req(
            "SendMessage",
            &format!(
                r#"{{"QueueUrl":"{q}","MessageBody":"hello \u00e9 \ud83d\ude00","DelaySeconds":2,"MessageAttributes":{{"color":{{"DataType":"String","StringValue":"blue"}},"bin":{{"DataType":"Binary","BinaryValue":"AAECAw=="}},"n":{{"DataType":"Number","StringValue":"-1.5e3"}}}},"MessageSystemAttributes":{{"AWSTraceHeader":{{"DataType":"String","StringValue":"Root=1-abc"}}}}}}"#
            ),
        ),
        sqs_json_req(
            "SendMessage",
            r#"{"QueueUrl":"http://localhost:4566/000000000000/fuzz.fifo","MessageBody":"x","MessageGroupId":"g1","MessageDeduplicationId":"d1"}"#,
        ),
        sqs_json_req(
            "SendMessageBatch",
            &format!(
                r#"{{"QueueUrl":"{q}","Entries":[{{"Id":"a","MessageBody":"one"}},{{"Id":"b","MessageBody":"two","DelaySeconds":1,"MessageAttributes":{{"k":{{"DataType":"String.custom","StringValue":"v"}}}}}}]}}"#
            ),
        ),
        sqs_json_req(
            "ReceiveMessage",
            &format!(
                r#"{{"QueueUrl":"{q}","MaxNumberOfMessages":10,"WaitTimeSeconds":0,"VisibilityTimeout":3,"AttributeNames":["All"],"MessageSystemAttributeNames":["SentTimestamp","ApproximateReceiveCount"],"MessageAttributeNames":["color","bin.*"]}}"#
            ),
        ),
        sqs_json_req(
            "DeleteMessage",
            &format!(r#"{{"QueueUrl":"{q}","ReceiptHandle":"AQEBzWwaftRI0KuVm4tP+handle"}}"#),
        ),
        sqs_json_req(
            "DeleteMessageBatch",
            &format!(
                r#"{{"QueueUrl":"{q}","Entries":[{{"Id":"a","ReceiptHandle":"h1"}},{{"Id":"b","ReceiptHandle":"h2"}}]}}"#
            ),
        ),
        sqs_json_req(
            "ChangeMessageVisibility",
            &format!(r#"{{"QueueUrl":"{q}","ReceiptHandle":"h","VisibilityTimeout":60}}"#),
        ),
        sqs_json_req(
            "ChangeMessageVisibilityBatch",
            &format!(
                r#"{{"QueueUrl":"{q}","Entries":[{{"Id":"a","ReceiptHandle":"h","VisibilityTimeout":10}}]}}"#
            ),
        ),
        sqs_json_req(
            "GetQueueAttributes",
            &format!(r#"{{"QueueUrl":"{q}","AttributeNames":["All"]}}"#),
        ),
        sqs_json_req(
            "SetQueueAttributes",
            &format!(
                r#"{{"QueueUrl":"{q}","Attributes":{{"DelaySeconds":"5","Policy":"","RedriveAllowPolicy":"{{\"redrivePermission\":\"byQueue\",\"sourceQueueArns\":[\"arn:aws:sqs:us-east-1:000000000000:a\"]}}"}}}}"#
            ),
        ),
        sqs_json_req(
            "GetQueueUrl",
            r#"{"QueueName":"fuzz-queue","QueueOwnerAWSAccountId":"000000000000"}"#,
        ),
        sqs_json_req(
            "ListQueues",
            r#"{"QueueNamePrefix":"fuzz","MaxResults":10,"NextToken":"YWJj"}"#,
        ),
        sqs_json_req(
            "TagQueue",
            &format!(r#"{{"QueueUrl":"{q}","Tags":{{"a":"1","b":""}}}}"#),
        ),
        sqs_json_req(
            "UntagQueue",
            &format!(r#"{{"QueueUrl":"{q}","TagKeys":["a"]}}"#),
        ),
        sqs_json_req("ListQueueTags", &format!(r#"{{"QueueUrl":"{q}"}}"#)),
        sqs_json_req("PurgeQueue", &format!(r#"{{"QueueUrl":"{q}"}}"#)),
        sqs_json_req(
            "ListDeadLetterSourceQueues",
            &format!(r#"{{"QueueUrl":"{q}","MaxResults":5}}"#),
        ),
        sqs_json_req(
            "StartMessageMoveTask",
            r#"{"SourceArn":"arn:aws:sqs:us-east-1:000000000000:dlq","DestinationArn":"arn:aws:sqs:us-east-1:000000000000:fuzz-queue","MaxNumberOfMessagesPerSecond":5}"#,
        ),
        sqs_json_req(
            "ListMessageMoveTasks",
            r#"{"SourceArn":"arn:aws:sqs:us-east-1:000000000000:dlq","MaxResults":3}"#,
        ),
        sqs_json_req(
            "CancelMessageMoveTask",
            r#"{"TaskHandle":"eyJ0YXNrSWQiOiJ4In0="}"#,
        ),
        sqs_json_req(
            "AddPermission",
            &format!(
                r#"{{"QueueUrl":"{q}","Label":"l","AWSAccountIds":["111122223333"],"Actions":["SendMessage"]}}"#
            ),
        ),
        sqs_json_req(
            "RemovePermission",
            &format!(r#"{{"QueueUrl":"{q}","Label":"l"}}"#),
        ),
        text(
            "POST /000000000000/fuzz-queue",
            &[
                HOST,
                ("x-amz-target", "AmazonSQS.SendMessage"),
                ("content-type", "application/x-amz-json-1.0"),
            ],
            r#"{"MessageBody":"by path"}"#,
        ),
        sqs_json_req("DeleteQueue", &format!(r#"{{"QueueUrl":"{q}"}}"#)),
    ]
}

/// SNS requests (query protocol).
pub fn sns() -> Vec<Vec<u8>> {
    let t = "arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3Afuzz-topic";
    let v = "Version=2010-03-31";
    let policy = "%7B%22color%22%3A%5B%22blue%22%2C%7B%22prefix%22%3A%22re%22%7D%5D%2C%22n%22%3A%5B%7B%22numeric%22%3A%5B%22%3E%22%2C0%2C%22%3C%3D%22%2C5%5D%7D%5D%7D";
    vec![
        text(
            "POST /",
            &[HOST, FORM],
            &format!(
                "Action=CreateTopic&Name=fuzz-topic&Attributes.entry.1.key=DisplayName&Attributes.entry.1.value=Fuzz&Attributes.entry.2.key=DeliveryPolicy&Attributes.entry.2.value=%7B%22http%22%3A%7B%22defaultHealthyRetryPolicy%22%3A%7B%22numRetries%22%3A3%7D%7D%7D&Tags.member.1.Key=env&Tags.member.1.Value=test&{v}"
            ),
        ),
        text(
            "POST /",
            &[HOST, FORM],
            &format!(
                "Action=CreateTopic&Name=fuzz.fifo&Attributes.entry.1.key=FifoTopic&Attributes.entry.1.value=true&Attributes.entry.2.key=ContentBasedDeduplication&Attributes.entry.2.value=true&{v}"
            ),
        ),
        text(
            "POST /",
            &[HOST, FORM],
            &format!(
                "Action=Publish&TopicArn={t}&Message=hello+world&Subject=greeting&MessageAttributes.entry.1.Name=color&MessageAttributes.entry.1.Value.DataType=String&MessageAttributes.entry.1.Value.StringValue=blue&MessageAttributes.entry.2.Name=n&MessageAttributes.entry.2.Value.DataType=Number&MessageAttributes.entry.2.Value.StringValue=3&MessageAttributes.entry.3.Name=tags&MessageAttributes.entry.3.Value.DataType=String.Array&MessageAttributes.entry.3.Value.StringValue=%5B%22a%22%2C1%2Ctrue%5D&MessageAttributes.entry.4.Name=b&MessageAttributes.entry.4.Value.DataType=Binary&MessageAttributes.entry.4.Value.BinaryValue=AAEC&{v}"
            ),
        ),
        text(
            "POST /",
            &[HOST, FORM],
            &format!(
                "Action=Publish&TopicArn={t}&MessageStructure=json&Message=%7B%22default%22%3A%22d%22%2C%22sqs%22%3A%22s%22%2C%22http%22%3A%22h%22%7D&{v}"
            ),
        ),
        text(
            "POST /",
            &[HOST, FORM],
            &format!(
                "Action=Publish&TopicArn=arn%3Aaws%3Asns%3Aus-east-1%3A000000000000%3Afuzz.fifo&Message=m&MessageGroupId=g&MessageDeduplicationId=d&{v}"
            ),
        ),
        text(
            "POST /",
            &[HOST, FORM],
            &format!(
                "Action=Publish&PhoneNumber=%2B15555550100&Message=sms&MessageAttributes.entry.1.Name=AWS.SNS.SMS.SMSType&MessageAttributes.entry.1.Value.DataType=String&MessageAttributes.entry.1.Value.StringValue=Transactional&{v}"
            ),
        ),
        text(
            "POST /",
            &[HOST, FORM],
            &format!(
                "Action=PublishBatch&TopicArn={t}&PublishBatchRequestEntries.member.1.Id=a&PublishBatchRequestEntries.member.1.Message=one&PublishBatchRequestEntries.member.2.Id=b&PublishBatchRequestEntries.member.2.Message=two&PublishBatchRequestEntries.member.2.MessageAttributes.entry.1.Name=k&PublishBatchRequestEntries.member.2.MessageAttributes.entry.1.Value.DataType=String&PublishBatchRequestEntries.member.2.MessageAttributes.entry.1.Value.StringValue=v&{v}"
            ),
        ),
        text(
            "POST /",
            &[HOST, FORM],
            &format!(
                "Action=Subscribe&TopicArn={t}&Protocol=sqs&Endpoint=arn%3Aaws%3Asqs%3Aus-east-1%3A000000000000%3Afuzz-queue&ReturnSubscriptionArn=true&Attributes.entry.1.key=FilterPolicy&Attributes.entry.1.value={policy}&Attributes.entry.2.key=RawMessageDelivery&Attributes.entry.2.value=true&{v}"
            ),
        ),
        text(
            "POST /",
            &[HOST, FORM],
            &format!(
                "Action=Subscribe&TopicArn={t}&Protocol=sqs&Endpoint=arn%3Aaws%3Asqs%3Aus-east-1%3A000000000000%3Abody-queue&Attributes.entry.1.key=FilterPolicyScope&Attributes.entry.1.value=MessageBody&Attributes.entry.2.key=FilterPolicy&Attributes.entry.2.value=%7B%22a%22%3A%7B%22b%22%3A%5B%7B%22anything-but%22%3A%5B%22x%22%5D%7D%5D%7D%7D&{v}"
            ),
        ),
        text(
            "POST /",
            &[HOST, FORM],
            &format!(
                "Action=Subscribe&TopicArn={t}&Protocol=http&Endpoint=http%3A%2F%2Flocalhost%3A9%2Fhook&{v}"
            ),
        ),
        text(
            "POST /",
            &[HOST, FORM],
            &format!("Action=Subscribe&TopicArn={t}&Protocol=email&Endpoint=a%40example.com&{v}"),
        ),
        text(
            "POST /",
            &[HOST, FORM],
            &format!(
                "Action=ConfirmSubscription&TopicArn={t}&Token=2336412f37fb687f5d51e6e241d09c805&AuthenticateOnUnsubscribe=true&{v}"
            ),
        ),
        text(
            "POST /",
            &[HOST, FORM],
            &format!(
                "Action=SetSubscriptionAttributes&SubscriptionArn={t}%3A1234&AttributeName=FilterPolicy&AttributeValue=%7B%22ip%22%3A%5B%7B%22cidr%22%3A%2210.0.0.0%2F24%22%7D%5D%7D&{v}"
            ),
        ),
        text(
            "POST /",
            &[HOST, FORM],
            &format!("Action=GetSubscriptionAttributes&SubscriptionArn={t}%3A1234&{v}"),
        ),
        text(
            "POST /",
            &[HOST, FORM],
            &format!("Action=Unsubscribe&SubscriptionArn={t}%3A1234&{v}"),
        ),
        text(
            "POST /",
            &[HOST, FORM],
            &format!("Action=ListSubscriptions&NextToken=6162&{v}"),
        ),
        text(
            "POST /",
            &[HOST, FORM],
            &format!("Action=ListSubscriptionsByTopic&TopicArn={t}&{v}"),
        ),
        text(
            "POST /",
            &[HOST, FORM],
            &format!("Action=ListTopics&NextToken=&{v}"),
        ),
        text(
            "POST /",
            &[HOST, FORM],
            &format!("Action=GetTopicAttributes&TopicArn={t}&{v}"),
        ),
        text(
            "POST /",
            &[HOST, FORM],
            &format!(
                "Action=SetTopicAttributes&TopicArn={t}&AttributeName=Policy&AttributeValue=%7B%22Version%22%3A%222012-10-17%22%7D&{v}"
            ),
        ),
        text(
            "POST /",
            &[HOST, FORM],
            &format!(
                "Action=AddPermission&TopicArn={t}&Label=l&AWSAccountId.member.1=111122223333&ActionName.member.1=Publish&{v}"
            ),
        ),
        text(
            "POST /",
            &[HOST, FORM],
            &format!("Action=RemovePermission&TopicArn={t}&Label=l&{v}"),
        ),
        text(
            "POST /",
            &[HOST, FORM],
            &format!(
                "Action=TagResource&ResourceArn={t}&Tags.member.1.Key=a&Tags.member.1.Value=1&{v}"
            ),
        ),
        text(
            "POST /",
            &[HOST, FORM],
            &format!("Action=UntagResource&ResourceArn={t}&TagKeys.member.1=a&{v}"),
        ),
        text(
            "POST /",
            &[HOST, FORM],
            &format!("Action=ListTagsForResource&ResourceArn={t}&{v}"),
        ),
        text(
            "POST /",
            &[HOST, FORM],
            &format!(
                "Action=PutDataProtectionPolicy&ResourceArn={t}&DataProtectionPolicy=%7B%7D&{v}"
            ),
        ),
        text(
            &format!("GET /?Action=DeleteTopic&TopicArn={t}&{v}"),
            &[HOST],
            "",
        ),
    ]
}

fn ddb(op: &str, body: &str) -> Vec<u8> {
    text(
        "POST /",
        &[
            HOST,
            ("x-amz-target", &format!("DynamoDB_20120810.{op}")),
            ("content-type", "application/x-amz-json-1.0"),
        ],
        body,
    )
}

/// The CreateTable body of the table the DynamoDB seeds use: string hash
/// key, number range key, one global and one local secondary index.
pub const CREATE_TABLE: &str = r#"{"TableName":"fuzz-table","BillingMode":"PAY_PER_REQUEST","AttributeDefinitions":[{"AttributeName":"pk","AttributeType":"S"},{"AttributeName":"sk","AttributeType":"N"},{"AttributeName":"gsi_pk","AttributeType":"S"},{"AttributeName":"lsi_sk","AttributeType":"B"}],"KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"sk","KeyType":"RANGE"}],"GlobalSecondaryIndexes":[{"IndexName":"by-gsi","KeySchema":[{"AttributeName":"gsi_pk","KeyType":"HASH"}],"Projection":{"ProjectionType":"INCLUDE","NonKeyAttributes":["tags"]}}],"LocalSecondaryIndexes":[{"IndexName":"by-lsi","KeySchema":[{"AttributeName":"pk","KeyType":"HASH"},{"AttributeName":"lsi_sk","KeyType":"RANGE"}],"Projection":{"ProjectionType":"ALL"}}],"StreamSpecification":{"StreamEnabled":true,"StreamViewType":"NEW_AND_OLD_IMAGES"},"Tags":[{"Key":"env","Value":"fuzz"}]}"#;

/// An item of the seed table with every attribute type.
pub const ITEM: &str = r#"{"pk":{"S":"user#1"},"sk":{"N":"1.50"},"gsi_pk":{"S":"g"},"lsi_sk":{"B":"AAEC"},"name":{"S":"Ada"},"age":{"N":"-36e0"},"active":{"BOOL":true},"nothing":{"NULL":true},"tags":{"SS":["a","b"]},"scores":{"NS":["1","2.5","-3E+2"]},"blobs":{"BS":["AA==","AQ=="]},"address":{"M":{"city":{"S":"London"},"zip":{"N":"12345"},"geo":{"L":[{"N":"51.5"},{"N":"-0.12"}]}}},"history":{"L":[{"S":"x"},{"M":{"k":{"S":"v"}}},{"L":[]}]}}"#;

/// DynamoDB requests (JSON 1.0): tables, items with every attribute type,
/// expressions of every kind, batches, transactions, PartiQL, streams.
pub fn dynamodb() -> Vec<Vec<u8>> {
    let t = TABLE;
    let item = ITEM;
    vec![
        ddb("CreateTable", CREATE_TABLE),
        ddb(
            "PutItem",
            &format!(
                r#"{{"TableName":"{t}","Item":{item},"ReturnValues":"ALL_OLD","ReturnConsumedCapacity":"TOTAL"}}"#
            ),
        ),
        ddb(
            "PutItem",
            &format!(
                r##"{{"TableName":"{t}","Item":{{"pk":{{"S":"user#2"}},"sk":{{"N":"2"}}}},"ConditionExpression":"attribute_not_exists(#p) OR (#a BETWEEN :lo AND :hi)","ExpressionAttributeNames":{{"#p":"pk","#a":"age"}},"ExpressionAttributeValues":{{":lo":{{"N":"1"}},":hi":{{"N":"99"}}}},"ReturnValuesOnConditionCheckFailure":"ALL_OLD"}}"##
            ),
        ),
        ddb(
            "GetItem",
            &format!(
                r##"{{"TableName":"{t}","Key":{{"pk":{{"S":"user#1"}},"sk":{{"N":"1.5"}}}},"ProjectionExpression":"#n, address.city, history[1].k, scores","ExpressionAttributeNames":{{"#n":"name"}},"ConsistentRead":true}}"##
            ),
        ),
        ddb(
            "UpdateItem",
            &format!(
                r##"{{"TableName":"{t}","Key":{{"pk":{{"S":"user#1"}},"sk":{{"N":"1.5"}}}},"UpdateExpression":"SET #n = :n, age = if_not_exists(age, :zero) + :one, history = list_append(history, :more), address.geo[0] = :g REMOVE nothing ADD scores :s, counter :one DELETE tags :t","ConditionExpression":"size(#n) < :ten AND contains(tags, :a) AND begins_with(#n, :pre) AND attribute_type(age, :ntype) AND NOT attribute_exists(missing)","ExpressionAttributeNames":{{"#n":"name"}},"ExpressionAttributeValues":{{":n":{{"S":"Grace"}},":zero":{{"N":"0"}},":one":{{"N":"1"}},":more":{{"L":[{{"S":"y"}}]}},":g":{{"N":"0"}},":s":{{"NS":["9"]}},":t":{{"SS":["a"]}},":ten":{{"N":"10"}},":a":{{"S":"a"}},":pre":{{"S":"A"}},":ntype":{{"S":"N"}}}},"ReturnValues":"UPDATED_NEW"}}"##
            ),
        ),
        ddb(
            "UpdateItem",
            &format!(
                r#"{{"TableName":"{t}","Key":{{"pk":{{"S":"user#3"}},"sk":{{"N":"3"}}}},"AttributeUpdates":{{"count":{{"Action":"ADD","Value":{{"N":"1"}}}},"old":{{"Action":"DELETE"}},"name":{{"Action":"PUT","Value":{{"S":"x"}}}}}},"Expected":{{"name":{{"ComparisonOperator":"NOT_NULL"}},"age":{{"Value":{{"N":"3"}},"Exists":true}}}},"ConditionalOperator":"OR","ReturnValues":"ALL_NEW"}}"#
            ),
        ),
        ddb(
            "DeleteItem",
            &format!(
                r#"{{"TableName":"{t}","Key":{{"pk":{{"S":"user#2"}},"sk":{{"N":"2"}}}},"ConditionExpression":"sk IN (:a, :b, :c)","ExpressionAttributeValues":{{":a":{{"N":"2"}},":b":{{"N":"3"}},":c":{{"N":"4"}}}},"ReturnValues":"ALL_OLD"}}"#
            ),
        ),
        ddb(
            "Query",
            &format!(
                r##"{{"TableName":"{t}","KeyConditionExpression":"pk = :pk AND sk BETWEEN :a AND :b","FilterExpression":"#n <> :x OR attribute_exists(tags)","ExpressionAttributeNames":{{"#n":"name"}},"ExpressionAttributeValues":{{":pk":{{"S":"user#1"}},":a":{{"N":"0"}},":b":{{"N":"10"}},":x":{{"S":"nobody"}}}},"ScanIndexForward":false,"Limit":5,"Select":"ALL_ATTRIBUTES","ExclusiveStartKey":{{"pk":{{"S":"user#1"}},"sk":{{"N":"0"}}}}}}"##
            ),
        ),
        ddb(
            "Query",
            &format!(
                r#"{{"TableName":"{t}","IndexName":"by-gsi","KeyConditionExpression":"gsi_pk = :g","ExpressionAttributeValues":{{":g":{{"S":"g"}}}},"Select":"COUNT"}}"#
            ),
        ),
        ddb(
            "Query",
            &format!(
                r#"{{"TableName":"{t}","IndexName":"by-lsi","KeyConditionExpression":"pk = :p AND begins_with(lsi_sk, :b)","ExpressionAttributeValues":{{":p":{{"S":"user#1"}},":b":{{"B":"AA=="}}}}}}"#
            ),
        ),
        ddb(
            "Query",
            &format!(
                r#"{{"TableName":"{t}","KeyConditions":{{"pk":{{"AttributeValueList":[{{"S":"user#1"}}],"ComparisonOperator":"EQ"}},"sk":{{"AttributeValueList":[{{"N":"1"}}],"ComparisonOperator":"GE"}}}},"QueryFilter":{{"tags":{{"AttributeValueList":[{{"S":"a"}}],"ComparisonOperator":"CONTAINS"}}}},"AttributesToGet":["pk","name"]}}"#
            ),
        ),
        ddb(
            "Scan",
            &format!(
                r##"{{"TableName":"{t}","FilterExpression":"address.city = :c AND size(history) >= :two","ProjectionExpression":"pk, sk, #a","ExpressionAttributeNames":{{"#a":"address"}},"ExpressionAttributeValues":{{":c":{{"S":"London"}},":two":{{"N":"2"}}}},"Segment":0,"TotalSegments":2,"Limit":100}}"##
            ),
        ),
        ddb(
            "Scan",
            &format!(
                r#"{{"TableName":"{t}","ScanFilter":{{"age":{{"AttributeValueList":[{{"N":"1"}},{{"N":"50"}}],"ComparisonOperator":"BETWEEN"}}}},"Select":"SPECIFIC_ATTRIBUTES","AttributesToGet":["age"]}}"#
            ),
        ),
        ddb(
            "BatchWriteItem",
            &format!(
                r#"{{"RequestItems":{{"{t}":[{{"PutRequest":{{"Item":{{"pk":{{"S":"b1"}},"sk":{{"N":"1"}},"v":{{"S":"x"}}}}}}}},{{"DeleteRequest":{{"Key":{{"pk":{{"S":"b2"}},"sk":{{"N":"2"}}}}}}}}]}},"ReturnConsumedCapacity":"INDEXES","ReturnItemCollectionMetrics":"SIZE"}}"#
            ),
        ),
        ddb(
            "BatchGetItem",
            &format!(
                r##"{{"RequestItems":{{"{t}":{{"Keys":[{{"pk":{{"S":"user#1"}},"sk":{{"N":"1.5"}}}},{{"pk":{{"S":"b1"}},"sk":{{"N":"1"}}}}],"ProjectionExpression":"pk, #v","ExpressionAttributeNames":{{"#v":"v"}},"ConsistentRead":true}}}}}}"##
            ),
        ),
        ddb(
            "TransactWriteItems",
            &format!(
                r#"{{"TransactItems":[{{"Put":{{"TableName":"{t}","Item":{{"pk":{{"S":"t1"}},"sk":{{"N":"1"}}}},"ConditionExpression":"attribute_not_exists(pk)"}}}},{{"Update":{{"TableName":"{t}","Key":{{"pk":{{"S":"user#1"}},"sk":{{"N":"1.5"}}}},"UpdateExpression":"SET v = :v","ExpressionAttributeValues":{{":v":{{"S":"t"}}}}}}}},{{"ConditionCheck":{{"TableName":"{t}","Key":{{"pk":{{"S":"b1"}},"sk":{{"N":"1"}}}},"ConditionExpression":"attribute_exists(pk)"}}}},{{"Delete":{{"TableName":"{t}","Key":{{"pk":{{"S":"gone"}},"sk":{{"N":"0"}}}}}}}}],"ClientRequestToken":"tok-1"}}"#
            ),
        ),
        ddb(
            "TransactGetItems",
            &format!(
                r#"{{"TransactItems":[{{"Get":{{"TableName":"{t}","Key":{{"pk":{{"S":"user#1"}},"sk":{{"N":"1.5"}}}},"ProjectionExpression":"pk, age"}}}}]}}"#
            ),
        ),
        ddb(
            "ExecuteStatement",
            &format!(
                r#"{{"Statement":"SELECT pk, age FROM \"{t}\" WHERE pk = ? AND sk >= 1 AND contains(tags, 'a')","Parameters":[{{"S":"user#1"}}],"Limit":10}}"#
            ),
        ),
        ddb(
            "ExecuteStatement",
            &format!(
                r#"{{"Statement":"INSERT INTO \"{t}\" VALUE {{'pk': 'p1', 'sk': 7, 'l': [1, 'two', true, null], 'm': {{'x': <<'a', 'b'>>}}}}"}}"#
            ),
        ),
        ddb(
            "ExecuteStatement",
            &format!(
                r#"{{"Statement":"UPDATE \"{t}\" SET age = age + 1 SET name = 'z' REMOVE nothing WHERE pk = 'user#1' AND sk = 1.5 RETURNING ALL NEW *"}}"#
            ),
        ),
        ddb(
            "BatchExecuteStatement",
            &format!(
                r#"{{"Statements":[{{"Statement":"DELETE FROM \"{t}\" WHERE pk = ? AND sk = ?","Parameters":[{{"S":"p1"}},{{"N":"7"}}]}},{{"Statement":"SELECT * FROM \"{t}\" WHERE pk = 'user#1' AND sk = 1.5"}}]}}"#
            ),
        ),
        ddb(
            "ExecuteTransaction",
            &format!(
                r#"{{"TransactStatements":[{{"Statement":"UPDATE \"{t}\" SET v = ? WHERE pk = 'b1' AND sk = 1","Parameters":[{{"S":"w"}}]}}]}}"#
            ),
        ),
        ddb(
            "UpdateTable",
            &format!(
                r#"{{"TableName":"{t}","AttributeDefinitions":[{{"AttributeName":"g2","AttributeType":"N"}}],"GlobalSecondaryIndexUpdates":[{{"Create":{{"IndexName":"by-g2","KeySchema":[{{"AttributeName":"g2","KeyType":"HASH"}}],"Projection":{{"ProjectionType":"KEYS_ONLY"}}}}}},{{"Delete":{{"IndexName":"nope"}}}}],"StreamSpecification":{{"StreamEnabled":false}}}}"#
            ),
        ),
        ddb(
            "UpdateTimeToLive",
            &format!(
                r#"{{"TableName":"{t}","TimeToLiveSpecification":{{"Enabled":true,"AttributeName":"expires"}}}}"#
            ),
        ),
        ddb("DescribeTimeToLive", &format!(r#"{{"TableName":"{t}"}}"#)),
        ddb("DescribeTable", &format!(r#"{{"TableName":"{t}"}}"#)),
        ddb("ListTables", r#"{"ExclusiveStartTableName":"a","Limit":3}"#),
        ddb(
            "TagResource",
            r#"{"ResourceArn":"arn:aws:dynamodb:us-east-1:000000000000:table/fuzz-table","Tags":[{"Key":"a","Value":"1"}]}"#,
        ),
        ddb(
            "ListTagsOfResource",
            r#"{"ResourceArn":"arn:aws:dynamodb:us-east-1:000000000000:table/fuzz-table","NextToken":"1"}"#,
        ),
        ddb(
            "UpdateContinuousBackups",
            &format!(
                r#"{{"TableName":"{t}","PointInTimeRecoverySpecification":{{"PointInTimeRecoveryEnabled":true,"RecoveryPeriodInDays":7}}}}"#
            ),
        ),
        ddb("DescribeEndpoints", "{}"),
        text(
            "POST /",
            &[
                HOST,
                ("x-amz-target", "DynamoDBStreams_20120810.DescribeStream"),
                ("content-type", "application/x-amz-json-1.0"),
            ],
            r#"{"StreamArn":"arn:aws:dynamodb:us-east-1:000000000000:table/fuzz-table/stream/2024-01-01T00:00:00.000","Limit":10}"#,
        ),
        text(
            "POST /",
            &[
                HOST,
                ("x-amz-target", "DynamoDBStreams_20120810.GetShardIterator"),
                ("content-type", "application/x-amz-json-1.0"),
            ],
            r#"{"StreamArn":"arn:aws:dynamodb:us-east-1:000000000000:table/fuzz-table/stream/2024-01-01T00:00:00.000","ShardId":"shardId-00000001","ShardIteratorType":"TRIM_HORIZON"}"#,
        ),
        ddb("DeleteTable", &format!(r#"{{"TableName":"{t}"}}"#)),
    ]
}
