"""Starts IMAGE with testcontainers' LocalStack module, as a test suite written
for LocalStack would, then makes a bucket and a queue with boto3 and prints
what came back as JSON.

    python3 testcontainers_localstack.py IMAGE
"""

import json
import sys

from testcontainers.community.localstack import LocalStackContainer

image = sys.argv[1]
region = "eu-west-1"
with LocalStackContainer(image=image, region_name=region).with_services("s3", "sqs") as localstack:
    s3 = localstack.get_client("s3")
    s3.create_bucket(Bucket="tc-bucket", CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_object(Bucket="tc-bucket", Key="k", Body=b"from testcontainers")
    sqs = localstack.get_client("sqs")
    queue_url = sqs.create_queue(QueueName="tc-queue")["QueueUrl"]
    sqs.send_message(QueueUrl=queue_url, MessageBody="hello")
    received = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=5)["Messages"]
    print(
        json.dumps(
            {
                "url": localstack.get_url(),
                "buckets": [b["Name"] for b in s3.list_buckets()["Buckets"]],
                "location": s3.get_bucket_location(Bucket="tc-bucket")["LocationConstraint"],
                "object": s3.get_object(Bucket="tc-bucket", Key="k")["Body"].read().decode(),
                "queue_url": queue_url,
                "received": [m["Body"] for m in received],
            }
        )
    )
