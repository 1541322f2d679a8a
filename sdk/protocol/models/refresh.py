#!/usr/bin/env python3
"""Regenerate the vendored AWS service models from a botocore wheel.

Usage:
    pip download botocore --no-deps -d /tmp/botocore
    python3 sdk/protocol/models/refresh.py /tmp/botocore/botocore-*.whl

Why: the codecs in this crate are driven by botocore's service models (the
same files the AWS CLI and boto3 use), so member names, XML names, list
flattening and timestamp formats match AWS. We vendor only the services we
emulate and strip everything the codec never reads (documentation, examples,
endpoint rules) to keep the files small.

SQS: botocore now ships SQS as a JSON-protocol model. Old SDKs (and many
scripts) still speak the legacy query protocol, whose wire names (e.g.
`Attribute.1.Name`, `SendMessageBatchRequestEntry.1.Id`) were dropped from the
model. SQS_QUERY_OVERLAY puts them back, as they were in the last query-protocol
SQS model, so the query codec can serve both. Standard library only.
"""
import gzip
import json
import os
import sys
import zipfile

SERVICES = {
    "s3": "2006-03-01",
    "dynamodb": "2012-08-10",
    "sqs": "2012-11-05",
    "sns": "2010-03-31",
    "dynamodbstreams": "2012-08-10",
    "sts": "2011-06-15",
}

# Keys the codec never reads; removed wherever they appear.
STRIP = {
    "documentation", "documentationUrl", "examples", "deprecatedMessage",
    "deprecatedSince", "contextParam", "staticContextParams",
    "operationContextParams", "endpointdiscovery", "endpointoperation",
    "endpoint", "authtype", "auth", "sensitive", "httpChecksum",
    "unsignedPayload", "hostLabel",
}

SQS_QUERY_OVERLAY = {
    "metadata": {"xmlNamespace": "http://queue.amazonaws.com/doc/2012-11-05/"},
    # list shape -> member locationName
    "list_members": {
        "AWSAccountIdList": "AWSAccountId",
        "ActionNameList": "ActionName",
        "AttributeNameList": "AttributeName",
        "BatchResultErrorEntryList": "BatchResultErrorEntry",
        "BinaryList": "BinaryListValue",
        "ChangeMessageVisibilityBatchRequestEntryList": "ChangeMessageVisibilityBatchRequestEntry",
        "ChangeMessageVisibilityBatchResultEntryList": "ChangeMessageVisibilityBatchResultEntry",
        "DeleteMessageBatchRequestEntryList": "DeleteMessageBatchRequestEntry",
        "DeleteMessageBatchResultEntryList": "DeleteMessageBatchResultEntry",
        "ListMessageMoveTasksResultEntryList": "ListMessageMoveTasksResultEntry",
        "MessageAttributeNameList": "MessageAttributeName",
        "MessageList": "Message",
        "MessageSystemAttributeList": "AttributeName",
        "QueueUrlList": "QueueUrl",
        "SendMessageBatchRequestEntryList": "SendMessageBatchRequestEntry",
        "SendMessageBatchResultEntryList": "SendMessageBatchResultEntry",
        "StringList": "StringListValue",
        "TagKeyList": "TagKey",
    },
    # map shape -> (key locationName, value locationName)
    "map_entries": {
        "MessageBodyAttributeMap": ("Name", "Value"),
        "MessageBodySystemAttributeMap": ("Name", "Value"),
        "MessageSystemAttributeMap": ("Name", "Value"),
        "QueueAttributeMap": ("Name", "Value"),
        "TagMap": ("Key", "Value"),
    },
    # (structure, member) -> member locationName
    "members": {
        ("CreateQueueRequest", "Attributes"): "Attribute",
        ("CreateQueueRequest", "tags"): "Tag",
        ("GetQueueAttributesResult", "Attributes"): "Attribute",
        ("ListQueueTagsResult", "Tags"): "Tag",
        ("Message", "Attributes"): "Attribute",
        ("Message", "MessageAttributes"): "MessageAttribute",
        ("SendMessageRequest", "MessageAttributes"): "MessageAttribute",
        ("SendMessageRequest", "MessageSystemAttributes"): "MessageSystemAttribute",
        ("SendMessageBatchRequestEntry", "MessageAttributes"): "MessageAttribute",
        ("SendMessageBatchRequestEntry", "MessageSystemAttributes"): "MessageSystemAttribute",
        ("SetQueueAttributesRequest", "Attributes"): "Attribute",
        ("TagQueueRequest", "Tags"): "Tag",
    },
}


# Maps whose keys are names (of operations, shapes, members), never stripped.
NAMED = {"operations", "shapes", "members"}


# S3: the XML root element names of outputs whose body is the output
# structure itself. Smithy models carry them as @xmlName; botocore drops them
# (its parsers ignore the root) but the AWS SDKs generated from Smithy check
# them. Stored as the output shape's locationName. Also the S3 XML namespace.
S3_OVERLAY = {
    "metadata": {"xmlNamespace": "http://s3.amazonaws.com/doc/2006-03-01/"},
    "output_roots": {
        "CompleteMultipartUpload": "CompleteMultipartUploadResult",
        "CreateMultipartUpload": "InitiateMultipartUploadResult",
        "CreateSession": "CreateSessionResult",
        "DeleteObjects": "DeleteResult",
        "GetBucketAccelerateConfiguration": "AccelerateConfiguration",
        "GetBucketAcl": "AccessControlPolicy",
        "GetBucketCors": "CORSConfiguration",
        "GetBucketLifecycle": "LifecycleConfiguration",
        "GetBucketLifecycleConfiguration": "LifecycleConfiguration",
        "GetBucketLocation": "LocationConstraint",
        "GetBucketLogging": "BucketLoggingStatus",
        "GetBucketNotification": "NotificationConfiguration",
        "GetBucketNotificationConfiguration": "NotificationConfiguration",
        "GetBucketRequestPayment": "RequestPaymentConfiguration",
        "GetBucketTagging": "Tagging",
        "GetBucketVersioning": "VersioningConfiguration",
        "GetBucketWebsite": "WebsiteConfiguration",
        "GetObjectAcl": "AccessControlPolicy",
        "GetObjectAttributes": "GetObjectAttributesResponse",
        "GetObjectTagging": "Tagging",
        "ListBucketAnalyticsConfigurations": "ListBucketAnalyticsConfigurationResult",
        "ListBucketIntelligentTieringConfigurations": "ListBucketIntelligentTieringConfigurationsOutput",
        "ListBucketInventoryConfigurations": "ListInventoryConfigurationsResult",
        "ListBucketMetricsConfigurations": "ListMetricsConfigurationsResult",
        "ListBuckets": "ListAllMyBucketsResult",
        "ListDirectoryBuckets": "ListAllMyDirectoryBucketsResult",
        "ListMultipartUploads": "ListMultipartUploadsResult",
        "ListObjectVersions": "ListVersionsResult",
        "ListObjects": "ListBucketResult",
        "ListObjectsV2": "ListBucketResult",
        "ListParts": "ListPartsResult",
    },
}


def apply_s3_overlay(model):
    model["metadata"].update(S3_OVERLAY["metadata"])
    for op, root in S3_OVERLAY["output_roots"].items():
        shape = model["operations"][op]["output"]["shape"]
        model["shapes"][shape]["locationName"] = root


def strip(node, named=False):
    if isinstance(node, dict):
        return {
            k: strip(v, k in NAMED and not named)
            for k, v in node.items()
            if named or k not in STRIP
        }
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node


def apply_sqs_overlay(model):
    o = SQS_QUERY_OVERLAY
    shapes = model["shapes"]
    model["metadata"].update(o["metadata"])
    for name, loc in o["list_members"].items():
        shapes[name]["member"]["locationName"] = loc
    for name, (k, v) in o["map_entries"].items():
        shapes[name]["key"]["locationName"] = k
        shapes[name]["value"]["locationName"] = v
    for (struct, member), loc in o["members"].items():
        shapes[struct]["members"][member]["locationName"] = loc
    # Query responses wrap the output in <OpResult>.
    for op in model["operations"].values():
        if "output" in op:
            op["output"].setdefault("resultWrapper", op["name"] + "Result")


def dump(model):
    """One operation / shape per line: small, yet reviewable in diffs."""
    out = ["{"]
    out.append('"version":%s,' % json.dumps(model.get("version", "2.0")))
    out.append('"metadata":%s,' % json.dumps(model["metadata"], sort_keys=True, separators=(",", ":")))
    for section in ("operations", "shapes"):
        items = sorted(model[section].items())
        out.append('"%s":{' % section)
        for i, (k, v) in enumerate(items):
            comma = "," if i + 1 < len(items) else ""
            out.append("%s:%s%s" % (json.dumps(k), json.dumps(v, separators=(",", ":")), comma))
        out.append("}," if section == "operations" else "}")
    out.append("}")
    return "\n".join(out) + "\n"


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    here = os.path.dirname(os.path.abspath(__file__))
    with zipfile.ZipFile(sys.argv[1]) as wheel:
        names = set(wheel.namelist())
        for service, version in SERVICES.items():
            base = "botocore/data/%s/%s/service-2.json" % (service, version)
            if base + ".gz" in names:
                raw = gzip.decompress(wheel.read(base + ".gz"))
            else:
                raw = wheel.read(base)
            model = strip(json.loads(raw))
            if service == "s3":
                apply_s3_overlay(model)
            if service == "sqs":
                apply_sqs_overlay(model)
            path = os.path.join(here, service + ".json")
            with open(path, "w") as f:
                f.write(dump(model))
            print("%s: %d operations, %d shapes -> %s" % (
                service, len(model["operations"]), len(model["shapes"]), path))


if __name__ == "__main__":
    main()
