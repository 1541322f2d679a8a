//! SNS targets.

#[allow(unused_imports)]
use super::*;

/// The (form-encoded) ARN of the bench topic with `fan` subscribed queues.
pub(crate) fn sns_topic_arn(fan: usize) -> String {
    format!("arn%3Aaws%3Asns%3A{REGION}%3A{ACCOUNT}%3Abench-fan-{fan}")
}

/// A query-protocol form `POST /` as raw bytes (SNS).
pub(crate) fn form_request(addr: SocketAddr, body: &str) -> Arc<[u8]> {
    format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
    .into()
}

/// Creates one topic per fan-out with that many subscribed SQS queues.
pub(crate) async fn prepare_sns(addr: SocketAddr) -> Result<()> {
    let mut conn = Conn::connect(addr).await?;
    for fan in SNS_FAN_OUTS {
        let create = format!("Action=CreateTopic&Version=2010-03-31&Name=bench-fan-{fan}");
        expect_ok(&mut conn, &form_request(addr, &create), "CreateTopic").await?;
        for i in 0..fan {
            let queue = format!("bench-{fan}-{i}");
            sqs_create_queue(&mut conn, addr, &queue).await?;
            let subscribe = format!(
                "Action=Subscribe&Version=2010-03-31&TopicArn={}&Protocol=sqs\
                 &Endpoint=arn%3Aaws%3Asqs%3A{REGION}%3A{ACCOUNT}%3A{queue}",
                sns_topic_arn(fan)
            );
            expect_ok(&mut conn, &form_request(addr, &subscribe), "Subscribe").await?;
        }
    }
    Ok(())
}

/// SNS Publish fanned out to 1 and 10 SQS queues.
pub(crate) async fn bench_sns(bench: &mut Bench) -> Result<()> {
    let addr = bench.addr;
    prepare_sns(addr).await?;
    for fan in SNS_FAN_OUTS {
        let publish = format!(
            "Action=Publish&Version=2010-03-31&TopicArn={}&Message=hello",
            sns_topic_arn(fan)
        );
        let queues = if fan == 1 { "queue" } else { "queues" };
        bench
            .measure(
                "SNS",
                &format!("Publish → {fan} SQS {queues}"),
                Work::fixed(form_request(addr, &publish)),
                None,
            )
            .await?;
    }
    Ok(())
}
