//! SNS through the AWS SDK for Rust (`aws-sdk-sns` with `aws-sdk-sqs`): its
//! own query serializer, XML parsers and error mapping.

mod sns_common;

use aws_sdk_sns::types::{MessageAttributeValue, PublishBatchRequestEntry, Tag};
use ruststack_tests::{Identity, sdk_config};
use sns_common::*;

fn sns_client(url: &str) -> aws_sdk_sns::Client {
    aws_sdk_sns::Client::new(&sdk_config(url, &Identity::default()))
}

fn sqs_client(url: &str) -> aws_sdk_sqs::Client {
    aws_sdk_sqs::Client::new(&sdk_config(url, &Identity::default()))
}

#[tokio::test(flavor = "multi_thread")]
async fn seed_sequence_with_the_sdk() {
    let (s, _p) = tokio::task::spawn_blocking(|| start(None)).await.unwrap();
    let (sns, sqs) = (sns_client(&s.url), sqs_client(&s.url));
    let queue_url = sqs
        .create_queue()
        .queue_name("sdk-seed")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let topic = sns
        .create_topic()
        .name("sdk-topic")
        .send()
        .await
        .unwrap()
        .topic_arn
        .unwrap();
    let sub = sns
        .subscribe()
        .topic_arn(&topic)
        .protocol("sqs")
        .endpoint(&queue_url)
        .send()
        .await
        .unwrap();
    assert!(sub.subscription_arn().unwrap().starts_with(&topic));
    let published = sns
        .publish()
        .topic_arn(&topic)
        .message("test message")
        .message_attributes(
            "color",
            MessageAttributeValue::builder()
                .data_type("String")
                .string_value("blue")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    let got = sqs
        .receive_message()
        .queue_url(&queue_url)
        .send()
        .await
        .unwrap();
    let msgs = got.messages();
    assert_eq!(msgs.len(), 1);
    let env: serde_json::Value = serde_json::from_str(msgs[0].body().unwrap()).unwrap();
    assert_eq!(env["Message"], "test message");
    assert_eq!(env["MessageId"], published.message_id().unwrap());
    assert_eq!(env["MessageAttributes"]["color"]["Value"], "blue");
}

#[tokio::test(flavor = "multi_thread")]
async fn sdk_topics_subscriptions_tags_batches_and_errors() {
    let (s, _p) = tokio::task::spawn_blocking(|| start(None)).await.unwrap();
    let sns = sns_client(&s.url);
    let topic = sns
        .create_topic()
        .name("sdk-ops")
        .attributes("DisplayName", "Ops")
        .tags(Tag::builder().key("team").value("core").build().unwrap())
        .send()
        .await
        .unwrap()
        .topic_arn
        .unwrap();
    let attrs = sns
        .get_topic_attributes()
        .topic_arn(&topic)
        .send()
        .await
        .unwrap();
    let a = attrs.attributes().unwrap();
    assert_eq!(a["DisplayName"], "Ops");
    assert_eq!(a["TopicArn"], topic);
    let topics = sns.list_topics().send().await.unwrap();
    assert_eq!(topics.topics().len(), 1);
    let tags = sns
        .list_tags_for_resource()
        .resource_arn(&topic)
        .send()
        .await
        .unwrap();
    assert_eq!(tags.tags()[0].key(), "team");

    let sub = sns
        .subscribe()
        .topic_arn(&topic)
        .protocol("sqs")
        .endpoint(queue_arn("anything"))
        .return_subscription_arn(true)
        .attributes("RawMessageDelivery", "true")
        .send()
        .await
        .unwrap()
        .subscription_arn
        .unwrap();
    sns.set_subscription_attributes()
        .subscription_arn(&sub)
        .attribute_name("FilterPolicy")
        .attribute_value(r#"{"n": [{"numeric": [">=", 1]}]}"#)
        .send()
        .await
        .unwrap();
    let sa = sns
        .get_subscription_attributes()
        .subscription_arn(&sub)
        .send()
        .await
        .unwrap();
    let sa = sa.attributes().unwrap();
    assert_eq!(sa["RawMessageDelivery"], "true");
    assert_eq!(sa["FilterPolicyScope"], "MessageAttributes");
    let by_topic = sns
        .list_subscriptions_by_topic()
        .topic_arn(&topic)
        .send()
        .await
        .unwrap();
    assert_eq!(
        by_topic.subscriptions()[0].subscription_arn(),
        Some(sub.as_str())
    );

    let batch = sns
        .publish_batch()
        .topic_arn(&topic)
        .publish_batch_request_entries(
            PublishBatchRequestEntry::builder()
                .id("one")
                .message("1")
                .build()
                .unwrap(),
        )
        .publish_batch_request_entries(
            PublishBatchRequestEntry::builder()
                .id("two")
                .message("2")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(batch.successful().len(), 2);
    assert!(batch.failed().is_empty());

    // Errors map to the SDK's modeled error types.
    let err = sns
        .get_topic_attributes()
        .topic_arn(topic_arn("missing"))
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_not_found_exception());
    let err = sns
        .create_topic()
        .name("bad name")
        .send()
        .await
        .unwrap_err();
    assert!(err.into_service_error().is_invalid_parameter_exception());

    sns.unsubscribe()
        .subscription_arn(&sub)
        .send()
        .await
        .unwrap();
    sns.delete_topic().topic_arn(&topic).send().await.unwrap();
    assert!(sns.list_topics().send().await.unwrap().topics().is_empty());
}
