//! The console in a real headless Chromium: it loads without errors, lists
//! a bucket, a table, a queue and a topic made with the AWS CLI, shows a
//! new call in its live feed (and the call's details when clicked), and its
//! snapshot and restore buttons round-trip the state. A screenshot is saved
//! to `target/console.png`.
//!
//! Without Chromium on `PATH` the test says so and passes, unless
//! `RUSTSTACK_REQUIRE_BROWSER` is set (CI installs Chromium and sets it).

use std::time::Duration;

use ruststack_tests::browser::{self, Browser};
use ruststack_tests::{Server, aws_cli, cli_ok, client, tempdir, workspace};
use serde_json::json;

#[test]
fn the_console_lists_resources_follows_calls_and_round_trips_snapshots() {
    let Some(exe) = browser::find() else {
        assert!(
            std::env::var_os("RUSTSTACK_REQUIRE_BROWSER").is_none(),
            "no Chromium on PATH (apt-get install chromium)"
        );
        eprintln!(
            "SKIPPED: no Chromium on PATH; install it (apt-get install chromium) to run this test"
        );
        return;
    };
    let s = Server::start(&["--ephemeral"]);
    let u = &s.url;
    cli_ok(aws_cli(
        u,
        None,
        &["s3api", "create-bucket", "--bucket", "console-bucket"],
    ));
    ruststack_tests::cli_create_table(u, "console-table");
    cli_ok(aws_cli(
        u,
        None,
        &["sqs", "create-queue", "--queue-name", "console-queue"],
    ));
    cli_ok(aws_cli(
        u,
        None,
        &["sns", "create-topic", "--name", "console-topic"],
    ));

    let chromium = Browser::launch(&exe);
    let mut page = chromium.page();
    let downloads = tempdir();
    for (method, params) in [
        ("Runtime.enable", json!({})),
        ("Log.enable", json!({})),
        ("Page.enable", json!({})),
        (
            "Page.setDownloadBehavior",
            json!({"behavior": "allow", "downloadPath": downloads.path().to_str().unwrap()}),
        ),
    ] {
        page.call(method, params);
    }
    page.call("Page.navigate", json!({"url": format!("{u}/_ruststack/")}));
    let listed = "['console-bucket','console-table','console-queue','console-topic']\
        .every(n => document.querySelector('#resources tbody').innerText.includes(n))";
    assert!(
        page.wait_for(listed, Duration::from_secs(20)).is_some(),
        "resources: {}",
        page.eval("document.querySelector('#resources').innerText")
    );
    let plugins = page.eval("document.querySelector('#plugins tbody').innerText");
    for name in ["s3", "dynamodb", "sqs", "sns", "ttl-sweep-seconds"] {
        assert!(plugins.as_str().unwrap().contains(name), "{plugins}");
    }

    // A call made now shows in the feed.
    cli_ok(aws_cli(u, None, &["sqs", "list-queues"]));
    let shown = page
        .wait_for(
            "document.querySelector('#feed tbody').innerText.includes('ListQueues')",
            Duration::from_secs(5),
        )
        .expect("the call in the live feed");
    eprintln!("the feed showed the call {shown:?} after the CLI returned");
    // Opened, it shows its headers and bodies.
    page.eval("[...document.querySelectorAll('#feed tbody tr')].find(r => r.innerText.includes('ListQueues')).click()");
    let details = page.eval("document.querySelector('#details').innerText");
    let details = details.as_str().unwrap();
    assert!(details.contains("sqs.ListQueues 200"), "{details}");
    assert!(
        details.contains("x-amz-target: AmazonSQS.ListQueues"),
        "{details}"
    );

    std::fs::write(workspace().join("target/console.png"), page.screenshot()).unwrap();

    // Snapshot with its button, change the state, restore with the other.
    page.eval("document.querySelector('#snapshot').click()");
    let saved = downloads.path().join("ruststack-state.tar");
    let start = std::time::Instant::now();
    while !saved.is_file() && start.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(saved.is_file(), "the snapshot was not downloaded");
    cli_ok(aws_cli(
        u,
        None,
        &["s3api", "create-bucket", "--bucket", "after-snapshot"],
    ));
    page.set_file("#restore-file", &saved);
    assert!(
        page.wait_for(
            "document.querySelector('#message').innerText === 'restored ruststack-state.tar'",
            Duration::from_secs(20),
        )
        .is_some(),
        "message: {}",
        page.eval("document.querySelector('#message').innerText")
    );
    assert_eq!(
        client()
            .head(format!("{u}/after-snapshot"))
            .send()
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        client()
            .head(format!("{u}/console-bucket"))
            .send()
            .unwrap()
            .status(),
        200
    );

    let errors = page.errors();
    assert!(errors.is_empty(), "the page reported errors: {errors:#?}");
}
