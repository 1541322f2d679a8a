//! SQS through the AWS SDK for Rust (JSON protocol, its own parsers and
//! error mapping).

mod sqs_common;

use std::time::{Duration, Instant};

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::{
    DeleteMessageBatchRequestEntry, MessageAttributeValue, MessageSystemAttributeName,
    QueueAttributeName, SendMessageBatchRequestEntry,
};
use ruststack_tests::{Identity, sdk_config};
use sqs_common::start;

fn sdk(url: &str) -> Client {
    Client::new(&sdk_config(url, &Identity::default()))
}

#[tokio::test(flavor = "multi_thread")]
async fn sdk_queue_and_message_operations() {
    let (s, _p) = start(&[]);
    let c = sdk(&s.url);
    let url = c
        .create_queue()
        .queue_name("sdk-q")
        .attributes(QueueAttributeName::VisibilityTimeout, "20")
        .tags("team", "core")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    assert_eq!(url, format!("{}/000000000000/sdk-q", s.url));
    let got = c.get_queue_url().queue_name("sdk-q").send().await.unwrap();
    assert_eq!(got.queue_url(), Some(url.as_str()));
    let err = c
        .get_queue_url()
        .queue_name("missing")
        .send()
        .await
        .unwrap_err();
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_queue_does_not_exist()),
        "{err:?}"
    );

    let listed = c
        .list_queues()
        .queue_name_prefix("sdk")
        .send()
        .await
        .unwrap();
    assert_eq!(listed.queue_urls(), std::slice::from_ref(&url));
    let attrs = c
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await
        .unwrap();
    let a = attrs.attributes().unwrap();
    assert_eq!(a[&QueueAttributeName::VisibilityTimeout], "20");
    assert_eq!(
        a[&QueueAttributeName::QueueArn],
        "arn:aws:sqs:us-east-1:000000000000:sdk-q"
    );
    c.set_queue_attributes()
        .queue_url(&url)
        .attributes(QueueAttributeName::DelaySeconds, "0")
        .send()
        .await
        .unwrap();
    let tags = c.list_queue_tags().queue_url(&url).send().await.unwrap();
    assert_eq!(tags.tags().unwrap()["team"], "core");

    let sent = c
        .send_message()
        .queue_url(&url)
        .message_body("from the sdk")
        .message_attributes(
            "n",
            MessageAttributeValue::builder()
                .data_type("Number")
                .string_value("3")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        sent.md5_of_message_body(),
        Some("22313ab4f5116ddb751e606bcea43854")
    );
    let batch = c
        .send_message_batch()
        .queue_url(&url)
        .entries(
            SendMessageBatchRequestEntry::builder()
                .id("a")
                .message_body("b1")
                .build()
                .unwrap(),
        )
        .entries(
            SendMessageBatchRequestEntry::builder()
                .id("b")
                .message_body("b2")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(batch.successful().len(), 2);
    assert!(batch.failed().is_empty());

    let got = c
        .receive_message()
        .queue_url(&url)
        .max_number_of_messages(10)
        .message_attribute_names("All")
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .send()
        .await
        .unwrap();
    let msgs = got.messages();
    assert_eq!(msgs.len(), 3);
    assert_eq!(msgs[0].body(), Some("from the sdk"));
    assert_eq!(msgs[0].md5_of_body(), sent.md5_of_message_body());
    assert_eq!(
        msgs[0].md5_of_message_attributes(),
        sent.md5_of_message_attributes()
    );
    assert_eq!(
        msgs[0].message_attributes().unwrap()["n"].string_value(),
        Some("3")
    );
    assert_eq!(
        msgs[0].attributes().unwrap()[&MessageSystemAttributeName::ApproximateReceiveCount],
        "1"
    );

    c.change_message_visibility()
        .queue_url(&url)
        .receipt_handle(msgs[0].receipt_handle().unwrap())
        .visibility_timeout(0)
        .send()
        .await
        .unwrap();
    let mut entries = Vec::new();
    for (i, m) in msgs[1..].iter().enumerate() {
        entries.push(
            DeleteMessageBatchRequestEntry::builder()
                .id(format!("d{i}"))
                .receipt_handle(m.receipt_handle().unwrap())
                .build()
                .unwrap(),
        );
    }
    let del = c
        .delete_message_batch()
        .queue_url(&url)
        .set_entries(Some(entries))
        .send()
        .await
        .unwrap();
    assert_eq!(del.successful().len(), 2);
    let again = c.receive_message().queue_url(&url).send().await.unwrap();
    assert_eq!(again.messages()[0].body(), Some("from the sdk"));
    c.delete_message()
        .queue_url(&url)
        .receipt_handle(again.messages()[0].receipt_handle().unwrap())
        .send()
        .await
        .unwrap();

    // Long polling through the SDK wakes on a send.
    let (c2, url2) = (c.clone(), url.clone());
    let waiter = tokio::spawn(async move {
        let t = Instant::now();
        let r = c2
            .receive_message()
            .queue_url(&url2)
            .wait_time_seconds(10)
            .send()
            .await
            .unwrap();
        (r, t.elapsed())
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    c.send_message()
        .queue_url(&url)
        .message_body("wake")
        .send()
        .await
        .unwrap();
    let (r, took) = waiter.await.unwrap();
    assert_eq!(r.messages()[0].body(), Some("wake"));
    assert!(took < Duration::from_secs(2), "{took:?}");

    c.purge_queue().queue_url(&url).send().await.unwrap();
    let err = c.purge_queue().queue_url(&url).send().await.unwrap_err();
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_purge_queue_in_progress()),
        "{err:?}"
    );
    c.delete_queue().queue_url(&url).send().await.unwrap();
    let err = c
        .get_queue_attributes()
        .queue_url(&url)
        .send()
        .await
        .unwrap_err();
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_queue_does_not_exist()),
        "{err:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sdk_fifo_and_errors() {
    let (s, _p) = start(&[]);
    let c = sdk(&s.url);
    let url = c
        .create_queue()
        .queue_name("sdk.fifo")
        .attributes(QueueAttributeName::FifoQueue, "true")
        .attributes(QueueAttributeName::ContentBasedDeduplication, "true")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let first = c
        .send_message()
        .queue_url(&url)
        .message_body("x")
        .message_group_id("g")
        .send()
        .await
        .unwrap();
    let dup = c
        .send_message()
        .queue_url(&url)
        .message_body("x")
        .message_group_id("g")
        .send()
        .await
        .unwrap();
    assert_eq!(first.message_id(), dup.message_id());
    assert!(first.sequence_number().is_some());
    let err = c
        .send_message()
        .queue_url(&url)
        .message_body("x")
        .send()
        .await
        .unwrap_err();
    assert!(err.as_service_error().is_some(), "{err:?}");
    let err = c
        .create_queue()
        .queue_name("sdk.fifo")
        .attributes(QueueAttributeName::FifoQueue, "true")
        .attributes(QueueAttributeName::VisibilityTimeout, "1")
        .send()
        .await
        .unwrap_err();
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_queue_name_exists()),
        "{err:?}"
    );
    let err = c
        .delete_message()
        .queue_url(&url)
        .receipt_handle("bogus")
        .send()
        .await
        .unwrap_err();
    assert!(
        err.as_service_error()
            .is_some_and(|e| e.is_receipt_handle_is_invalid()),
        "{err:?}"
    );
}
