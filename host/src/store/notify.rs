//! Wake long-polling requests when a commit writes keys they wait on.
//!
//! Every commit gets a sequence number. A call remembers the sequence its
//! snapshot started from; when it then asks to wait on a key prefix, commits
//! that landed after its snapshot but before it began to wait are looked up in
//! a short log, so no change is ever missed (a too-old snapshot just wakes at
//! once, which is harmless: the plugin looks again).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

/// How many recent commits are remembered for late waiters.
const LOG_LEN: usize = 512;

/// The stream of commits, as far as waiters care.
#[derive(Default)]
pub struct ChangeFeed {
    seq: AtomicU64,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    log: VecDeque<(u64, Arc<str>, Vec<Vec<u8>>)>,
    waiters: Vec<Waiter>,
    closed: bool,
}

struct Waiter {
    plugin: Arc<str>,
    prefix: Vec<u8>,
    notify: Arc<Notify>,
}

/// Why a wait ended.
#[derive(Debug, PartialEq, Eq)]
pub enum WaitEnd {
    /// A commit wrote a key with the prefix.
    Changed,
    /// The timeout passed.
    TimedOut,
    /// The server is shutting down.
    Closed,
}

impl ChangeFeed {
    /// The sequence number of the newest commit that is visible to new snapshots.
    pub fn seq(&self) -> u64 {
        self.seq.load(Ordering::Acquire)
    }

    /// Records a commit of `plugin` that wrote `keys` and wakes its waiters.
    pub fn publish(&self, plugin: &Arc<str>, keys: Vec<Vec<u8>>) {
        let mut inner = self.inner.lock().unwrap();
        let seq = self.seq.fetch_add(1, Ordering::AcqRel) + 1;
        inner.waiters.retain(|w| {
            let hit = w.plugin == *plugin && keys.iter().any(|k| k.starts_with(&w.prefix));
            if hit {
                w.notify.notify_one();
            }
            !hit
        });
        inner.log.push_back((seq, plugin.clone(), keys));
        if inner.log.len() > LOG_LEN {
            inner.log.pop_front();
        }
    }

    /// Waits until a commit after `since` writes a key of `plugin` starting
    /// with `prefix`, or `timeout` passes.
    pub async fn wait(
        &self,
        plugin: &Arc<str>,
        prefix: &[u8],
        since: u64,
        timeout: Duration,
    ) -> WaitEnd {
        let notify = {
            let mut inner = self.inner.lock().unwrap();
            if inner.closed {
                return WaitEnd::Closed;
            }
            let oldest = inner.log.front().map(|(s, _, _)| *s).unwrap_or(u64::MAX);
            if self.seq() > since && oldest > since + 1 {
                // The log no longer reaches back to our snapshot.
                return WaitEnd::Changed;
            }
            let missed = inner.log.iter().any(|(s, p, keys)| {
                *s > since && p == plugin && keys.iter().any(|k| k.starts_with(prefix))
            });
            if missed {
                return WaitEnd::Changed;
            }
            let notify = Arc::new(Notify::new());
            inner.waiters.push(Waiter {
                plugin: plugin.clone(),
                prefix: prefix.to_vec(),
                notify: notify.clone(),
            });
            notify
        };
        let end = match tokio::time::timeout(timeout, notify.notified()).await {
            Ok(()) => {
                if self.inner.lock().unwrap().closed {
                    WaitEnd::Closed
                } else {
                    WaitEnd::Changed
                }
            }
            Err(_) => WaitEnd::TimedOut,
        };
        let mut inner = self.inner.lock().unwrap();
        inner.waiters.retain(|w| !Arc::ptr_eq(&w.notify, &notify));
        end
    }

    /// Records that everything may have changed (the state was replaced):
    /// snapshots taken before are stale, and every wait ends so that its
    /// call runs again on the new state.
    pub fn changed_everything(&self) {
        let mut inner = self.inner.lock().unwrap();
        self.seq.fetch_add(1, Ordering::AcqRel);
        for w in inner.waiters.drain(..) {
            w.notify.notify_one();
        }
    }

    /// Ends every wait now and refuses new ones (server shutdown).
    pub fn close(&self) {
        let mut inner = self.inner.lock().unwrap();
        inner.closed = true;
        for w in inner.waiters.drain(..) {
            w.notify.notify_one();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn sees_a_commit_made_between_snapshot_and_wait() {
        let feed = ChangeFeed::default();
        let p: Arc<str> = "q".into();
        let since = feed.seq();
        feed.publish(&p, vec![b"queue/a/1".to_vec()]);
        let end = feed
            .wait(&p, b"queue/a/", since, Duration::from_secs(5))
            .await;
        assert_eq!(end, WaitEnd::Changed);
        let end = feed
            .wait(&p, b"queue/b/", since, Duration::from_millis(20))
            .await;
        assert_eq!(end, WaitEnd::TimedOut);
    }

    #[tokio::test]
    async fn wakes_on_a_later_commit() {
        let feed = Arc::new(ChangeFeed::default());
        let p: Arc<str> = "q".into();
        let since = feed.seq();
        let f2 = feed.clone();
        let p2 = p.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            f2.publish(&"other".into(), vec![b"queue/a/1".to_vec()]);
            f2.publish(&p2, vec![b"queue/a/1".to_vec()]);
        });
        let end = feed
            .wait(&p, b"queue/a/", since, Duration::from_secs(5))
            .await;
        assert_eq!(end, WaitEnd::Changed);
    }
}
