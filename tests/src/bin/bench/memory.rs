//! Memory beyond the load runs: what a first start holds after a user's
//! first commands, and what four 15 MB DynamoDB items sent at once cost.

#[allow(unused_imports)]
use super::*;

/// How long a server is left alone before an "idle" reading (its idle
/// trimmer runs after a second without requests).
pub(crate) const IDLE_WAIT: Duration = Duration::from_secs(2);

/// RSS of a first start (fresh home and data folder) around the basic commands.
pub(crate) struct FirstUse {
    /// Right after the server started.
    pub(crate) started_mb: f64,
    /// Right after the last basic command.
    pub(crate) after_mb: f64,
    /// [`IDLE_WAIT`] later.
    pub(crate) idle_mb: f64,
}

/// The server's RSS around four concurrent 15 MB DynamoDB PutItems.
pub(crate) struct Attack {
    pub(crate) before_mb: f64,
    pub(crate) peak_mb: f64,
    /// [`IDLE_WAIT`] after the answers.
    pub(crate) after_mb: f64,
    /// Status and error code of each answer.
    pub(crate) answers: Vec<(u16, String)>,
}

/// Starts a server as a user first would (empty home, so empty caches) and
/// sends what a user first tries: a bucket and an object, a table and an
/// item, a queue and a message, a topic fanned out to the queue.
pub(crate) async fn first_use(cfg: &Config, scratch: &Path) -> Result<FirstUse> {
    let home = scratch.join("home-first-use");
    std::fs::create_dir_all(&home)?;
    let server = Server::start(
        cfg,
        Launch::Plain { home: &home },
        &scratch.join("first-use.log"),
    )?;
    let started_mb = rss_mb(server.pid())?;
    let addr = server.addr;
    let mut conn = Conn::connect(addr).await?;
    expect_ok(
        &mut conn,
        &s3_head(addr, "PUT", "/first-use", 0),
        "CreateBucket",
    )
    .await?;
    let object = b"hello, world";
    let status = conn
        .call(
            &s3_head(addr, "PUT", "/first-use/hello.txt", object.len()),
            object,
        )
        .await?;
    ensure_ok(status, &conn, "PutObject")?;
    create_table(&mut conn, addr, "first-use").await?;
    let item =
        serde_json::json!({"TableName": "first-use", "Item": {"id": {"S": "1"}, "v": {"S": "x"}}});
    expect_ok(&mut conn, &ddb_request(addr, "PutItem", &item), "PutItem").await?;
    let key = serde_json::json!({"TableName": "first-use", "Key": {"id": {"S": "1"}}});
    expect_ok(&mut conn, &ddb_request(addr, "GetItem", &key), "GetItem").await?;
    let queue_url = sqs_create_queue(&mut conn, addr, "first-use").await?;
    let send = serde_json::json!({"QueueUrl": queue_url, "MessageBody": "hello"}).to_string();
    expect_ok(
        &mut conn,
        &json_request(addr, "AmazonSQS.SendMessage", &send),
        "SendMessage",
    )
    .await?;
    let topic = "Action=CreateTopic&Version=2010-03-31&Name=first-use";
    expect_ok(&mut conn, &form_request(addr, topic), "CreateTopic").await?;
    let topic_arn = format!("arn%3Aaws%3Asns%3A{REGION}%3A{ACCOUNT}%3Afirst-use");
    let subscribe = format!(
        "Action=Subscribe&Version=2010-03-31&TopicArn={topic_arn}&Protocol=sqs\
         &Endpoint=arn%3Aaws%3Asqs%3A{REGION}%3A{ACCOUNT}%3Afirst-use"
    );
    expect_ok(&mut conn, &form_request(addr, &subscribe), "Subscribe").await?;
    let publish = format!("Action=Publish&Version=2010-03-31&TopicArn={topic_arn}&Message=fan-out");
    expect_ok(&mut conn, &form_request(addr, &publish), "Publish").await?;
    let receive = serde_json::json!({"QueueUrl": queue_url, "MaxNumberOfMessages": 10}).to_string();
    expect_ok(
        &mut conn,
        &json_request(addr, "AmazonSQS.ReceiveMessage", &receive),
        "ReceiveMessage",
    )
    .await?;
    let received = receipt_handles(conn.body())?.len();
    if received != 2 {
        bail!("ReceiveMessage after the fan-out got {received} messages, not 2");
    }
    let after_mb = rss_mb(server.pid())?;
    tokio::time::sleep(IDLE_WAIT).await;
    let idle_mb = rss_mb(server.pid())?;
    eprintln!(
        "bench: first use: RSS {started_mb:.1} MiB started, {after_mb:.1} after the basic commands, {idle_mb:.1} idle"
    );
    Ok(FirstUse {
        started_mb,
        after_mb,
        idle_mb,
    })
}

/// Creates an on-demand table keyed by the string `id`.
async fn create_table(conn: &mut Conn, addr: SocketAddr, name: &str) -> Result<()> {
    let table = serde_json::json!({
        "TableName": name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
    });
    expect_ok(
        conn,
        &ddb_request(addr, "CreateTable", &table),
        "CreateTable",
    )
    .await
}

fn ensure_ok(status: u16, conn: &Conn, what: &str) -> Result<()> {
    if status != 200 {
        bail!(
            "{what} answered {status}: {}",
            String::from_utf8_lossy(conn.body())
        );
    }
    Ok(())
}

/// Bytes of each attacking item.
const ATTACK_ITEM_BYTES: usize = 15 * 1024 * 1024;

/// Four clients at once each PutItem a 15 MB item made of many small list
/// elements (which decoded would take many times its size).
pub(crate) async fn dynamodb_attack(cfg: &Config, scratch: &Path) -> Result<Attack> {
    let home = scratch.join("home-0");
    std::fs::create_dir_all(&home)?;
    let server = Server::start(
        cfg,
        Launch::Plain { home: &home },
        &scratch.join("attack.log"),
    )?;
    let addr = server.addr;
    let mut conn = Conn::connect(addr).await?;
    create_table(&mut conn, addr, "attack").await?;
    tokio::time::sleep(IDLE_WAIT).await;
    let before_mb = rss_mb(server.pid())?;

    let mut body = String::with_capacity(ATTACK_ITEM_BYTES + 100);
    body.push_str(r#"{"TableName":"attack","Item":{"id":{"S":"a"},"l":{"L":["#);
    while body.len() < ATTACK_ITEM_BYTES {
        body.push_str(r#"{"N":"1"},"#);
    }
    body.pop();
    body.push_str("]}}}");
    let request: Arc<[u8]> = json_request(addr, "DynamoDB_20120810.PutItem", &body);
    drop(body);
    let sampler = RssSampler::every(server.pid(), Duration::from_millis(10))?;
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let request = request.clone();
            tokio::spawn(async move {
                let mut conn = Conn::connect(addr).await?;
                let status = conn.call(&request, &[]).await?;
                let answer: serde_json::Value =
                    serde_json::from_slice(conn.body()).unwrap_or_default();
                let code = answer["__type"].as_str().unwrap_or_default();
                let code = code.rsplit('#').next().unwrap_or_default().to_string();
                Ok::<_, anyhow::Error>((status, code))
            })
        })
        .collect();
    let mut answers = Vec::new();
    for t in tasks {
        answers.push(t.await??);
    }
    let peak_mb = sampler.peak();
    tokio::time::sleep(IDLE_WAIT).await;
    let after_mb = rss_mb(server.pid())?;
    eprintln!(
        "bench: 4 x 15 MB PutItem: {answers:?}; RSS {before_mb:.1} → peak {peak_mb:.1} → {after_mb:.1} MiB"
    );
    Ok(Attack {
        before_mb,
        peak_mb,
        after_mb,
        answers,
    })
}

/// The memory checks, or why one could not run.
pub(crate) struct Checks {
    pub(crate) first_use: Result<FirstUse, String>,
    pub(crate) attack: Result<Attack, String>,
}
