//! SQS targets.

#[allow(unused_imports)]
use super::*;

pub(crate) async fn sqs_create_queue(
    conn: &mut Conn,
    addr: SocketAddr,
    name: &str,
) -> Result<String> {
    let body = serde_json::json!({ "QueueName": name }).to_string();
    expect_ok(
        conn,
        &json_request(addr, "AmazonSQS.CreateQueue", &body),
        "CreateQueue",
    )
    .await?;
    let answer: serde_json::Value = serde_json::from_slice(conn.body())?;
    answer["QueueUrl"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| anyhow!("CreateQueue without QueueUrl"))
}

pub(crate) fn sqs_send_batch(addr: SocketAddr, queue_url: &str) -> Arc<[u8]> {
    let entries: Vec<_> = (0..10)
        .map(|i| serde_json::json!({ "Id": i.to_string(), "MessageBody": format!("hello {i}") }))
        .collect();
    let body = serde_json::json!({ "QueueUrl": queue_url, "Entries": entries }).to_string();
    json_request(addr, "AmazonSQS.SendMessageBatch", &body)
}

pub(crate) async fn bench_sqs(bench: &mut Bench) -> Result<()> {
    let addr = bench.addr;
    let mut conn = Conn::connect(addr).await?;
    let queue_url = sqs_create_queue(&mut conn, addr, "bench").await?;
    let send = serde_json::json!({ "QueueUrl": queue_url, "MessageBody": "hello" }).to_string();
    bench
        .measure(
            "SQS",
            "SendMessage",
            Work::fixed(json_request(addr, "AmazonSQS.SendMessage", &send)),
            Some(MSGS),
        )
        .await?;
    bench
        .measure(
            "SQS",
            "SendMessageBatch (10)",
            Work::Fixed {
                request: sqs_send_batch(addr, &queue_url),
                units: 10,
            },
            Some(MSGS),
        )
        .await?;

    // Enough messages that the receive runs never find the queue empty.
    let attributes = serde_json::json!({
        "QueueUrl": queue_url,
        "AttributeNames": ["ApproximateNumberOfMessages"],
    })
    .to_string();
    expect_ok(
        &mut conn,
        &json_request(addr, "AmazonSQS.GetQueueAttributes", &attributes),
        "GetQueueAttributes",
    )
    .await?;
    let answer: serde_json::Value = serde_json::from_slice(conn.body())?;
    let queued: u64 = answer["Attributes"]["ApproximateNumberOfMessages"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let runs = CONNECTIONS.len() as f64;
    let wanted = (SQS_PREFILL_PER_SEC * runs * (bench.secs + WARMUP).as_secs_f64()) as u64;
    if queued < wanted {
        let batch = sqs_send_batch(addr, &queue_url);
        let batches = (wanted - queued).div_ceil(10);
        setup_concurrently(addr, batches, "SendMessageBatch (pre-fill)", move |_| {
            (batch.to_vec(), Vec::new())
        })
        .await?;
    }
    eprintln!(
        "bench: queue holds {} messages before the receive runs",
        queued.max(wanted)
    );

    let receive = serde_json::json!({
        "QueueUrl": queue_url,
        "MaxNumberOfMessages": 10,
        "WaitTimeSeconds": 0,
    })
    .to_string();
    bench
        .measure(
            "SQS",
            "ReceiveMessage (10) + DeleteMessage ×10",
            Work::ReceiveDelete {
                addr,
                receive: json_request(addr, "AmazonSQS.ReceiveMessage", &receive),
                queue_url,
            },
            Some(MSGS),
        )
        .await
}

/// The receipt handles of a ReceiveMessage answer.
pub(crate) fn receipt_handles(body: &[u8]) -> Result<Vec<String>> {
    let answer: serde_json::Value = serde_json::from_slice(body)?;
    Ok(answer["Messages"]
        .as_array()
        .map(|messages| {
            messages
                .iter()
                .filter_map(|m| m["ReceiptHandle"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default())
}
