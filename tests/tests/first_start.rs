//! A first start on a new machine (empty data folder, empty home, no cache)
//! runs the built-in services from the code the build compiled ahead of
//! time; later starts, with any data folder, find it in the per-user cache; a
//! cache that cannot be written never stops the server.

use std::path::Path;

use ruststack_tests::{Server, aws_cli, cli_ok, health, tempdir};

const SERVICES: [&str; 4] = ["dynamodb", "s3", "sns", "sqs"];

/// Where each built-in's compiled code came from, per the health answer.
fn code_origins(url: &str) -> Vec<String> {
    let h = health(url);
    SERVICES
        .iter()
        .map(|s| {
            h["services"][s]["code"]
                .as_str()
                .unwrap_or_else(|| panic!("no code origin for {s}: {h}"))
                .to_string()
        })
        .collect()
}

/// Starts a server whose home is `home` (and no XDG cache folder).
fn start_in(home: &Path, data: &Path, extra: &[&str]) -> Server {
    let mut args = vec!["--data-dir", data.to_str().unwrap()];
    args.extend_from_slice(extra);
    Server::start_with_env(
        &args,
        &[("HOME", home.to_str().unwrap()), ("XDG_CACHE_HOME", "")],
    )
}

fn cached_files(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |rd| {
        rd.flatten()
            .filter(|e| e.path().extension().is_some_and(|x| x == "cwasm"))
            .count()
    })
}

#[test]
fn a_first_start_serves_precompiled_code_and_later_starts_find_it_cached() {
    let home = tempdir();
    let first_data = tempdir();
    let s = start_in(home.path(), first_data.path(), &[]);
    assert_eq!(code_origins(&s.url), vec!["precompiled"; 4]);
    // Signed requests (the AWS CLI signs with SigV4) to two services.
    cli_ok(aws_cli(
        &s.url,
        None,
        &["s3api", "create-bucket", "--bucket", "first"],
    ));
    let q = cli_ok(aws_cli(
        &s.url,
        None,
        &["sqs", "create-queue", "--queue-name", "first"],
    ));
    assert!(q["QueueUrl"].as_str().unwrap().ends_with("/first"), "{q}");
    drop(s);

    let cache = home.path().join(".cache/ruststack");
    assert_eq!(cached_files(&cache), 4, "{}", cache.display());
    // Another data folder on the same machine: the code is in the user's cache.
    let second_data = tempdir();
    let s = start_in(home.path(), second_data.path(), &[]);
    assert_eq!(code_origins(&s.url), vec!["cache"; 4]);
    let other = aws_cli(&s.url, None, &["s3api", "head-bucket", "--bucket", "first"]);
    assert_ne!(other.code, 0, "a bucket of another data folder is visible");
    drop(s);
    // --ephemeral uses the same cache.
    let s = Server::start_with_env(
        &["--ephemeral"],
        &[
            ("HOME", home.path().to_str().unwrap()),
            ("XDG_CACHE_HOME", ""),
        ],
    );
    assert_eq!(code_origins(&s.url), vec!["cache"; 4]);
}

#[test]
fn xdg_cache_home_and_cache_dir_choose_the_cache() {
    let home = tempdir();
    let xdg = tempdir();
    let data = tempdir();
    let s = Server::start_with_env(
        &["--data-dir", data.path().to_str().unwrap()],
        &[
            ("HOME", home.path().to_str().unwrap()),
            ("XDG_CACHE_HOME", xdg.path().to_str().unwrap()),
        ],
    );
    assert_eq!(code_origins(&s.url), vec!["precompiled"; 4]);
    drop(s);
    assert_eq!(cached_files(&xdg.path().join("ruststack")), 4);
    assert_eq!(cached_files(&home.path().join(".cache/ruststack")), 0);

    let chosen = tempdir();
    let s = start_in(
        home.path(),
        data.path(),
        &["--cache-dir", chosen.path().to_str().unwrap()],
    );
    assert_eq!(code_origins(&s.url), vec!["precompiled"; 4]);
    drop(s);
    assert_eq!(cached_files(chosen.path()), 4);
}

#[test]
fn a_cache_that_cannot_be_written_is_no_reason_to_fail() {
    let home = tempdir();
    let data = tempdir();
    // A cache "folder" that is a file: it can be neither made nor written.
    let blocker = home.path().join("not-a-folder");
    std::fs::write(&blocker, b"x").unwrap();
    let s = start_in(
        home.path(),
        data.path(),
        &["--cache-dir", blocker.to_str().unwrap()],
    );
    assert_eq!(code_origins(&s.url), vec!["precompiled"; 4]);
    let t = cli_ok(aws_cli(
        &s.url,
        None,
        &["sns", "create-topic", "--name", "still-serving"],
    ));
    assert!(
        t["TopicArn"].as_str().unwrap().ends_with(":still-serving"),
        "{t}"
    );
}
