//! The committer: the one thread that writes to redb.
//!
//! Calls hand it their staged writes; it takes whatever is queued, validates
//! each call's compare-and-set checks in order against the latest data, applies
//! the calls that pass, and commits them all in one redb transaction (one disk
//! sync for many calls). A call whose checks fail is told `Conflict` and runs
//! again on a fresh snapshot.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc;

use anyhow::{Result, anyhow};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};

use super::blobfiles::Pins;
use super::blobfiles::{self, BlobRecord};
use super::notify::ChangeFeed;
use super::openfiles::OpenFiles;
use super::packs::Packer;
use super::{BLOB_FILES, BLOBS, TIMERS, kv_table_name};

/// The most calls folded into one redb transaction.
const MAX_BATCH: usize = 512;

/// Staged writes of one call, and of the calls it invoked that joined it:
/// stored together or not at all.
pub struct Commit {
    /// One part per plugin, each on its own plugin's table.
    pub parts: Vec<Part>,
    pub reply: tokio::sync::oneshot::Sender<Result<CommitOutcome>>,
}

/// The staged writes of one plugin within a [`Commit`].
pub struct Part {
    pub plugin: Arc<str>,
    pub writes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    pub checks: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    pub blob_puts: Vec<(String, BlobRecord)>,
    /// Small blobs whose bytes the committer packs (id, bytes, MD5 in hex).
    pub packed: Vec<(String, Vec<u8>, String)>,
    pub blob_deletes: Vec<String>,
    pub timers: Vec<(u64, Vec<u8>)>,
    pub timer_done: Option<Vec<u8>>,
}

/// The committer's verdict on one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitOutcome {
    /// Everything the call staged is stored.
    Committed,
    /// A compare-and-set no longer holds; nothing was stored.
    Conflict,
}

/// A timer that is due.
#[derive(Debug, Clone)]
pub struct TimerEntry {
    /// The row key (due time + sequence), passed back to mark it done.
    pub key: Vec<u8>,
    /// The plugin to call.
    pub plugin: String,
    /// What the plugin asked to get back.
    pub payload: Vec<u8>,
}

enum Msg {
    Commit(Box<Commit>),
    /// Replace the whole state with the archive unpacked in this folder.
    Replace(PathBuf, mpsc::Sender<Result<Vec<String>>>),
    Shutdown(mpsc::Sender<()>),
}

/// Sends work to the committer thread.
pub struct CommitterHandle {
    tx: mpsc::Sender<Msg>,
}

impl CommitterHandle {
    /// Queues a call's writes.
    pub fn send(&self, c: Commit) -> Result<()> {
        self.tx
            .send(Msg::Commit(Box::new(c)))
            .map_err(|_| anyhow!("the store is closed"))
    }

    /// Replaces the whole state with the archive unpacked in `staging`
    /// after everything queued before is written; the plugin namespaces
    /// now stored.
    pub fn replace(&self, staging: PathBuf) -> Result<Vec<String>> {
        let (tx, rx) = mpsc::channel();
        self.tx
            .send(Msg::Replace(staging, tx))
            .map_err(|_| anyhow!("the store is closed"))?;
        rx.recv().map_err(|_| anyhow!("the store is closed"))?
    }

    /// Waits until everything queued before this is written, then stops.
    pub fn shutdown(&self) {
        let (tx, rx) = mpsc::channel();
        if self.tx.send(Msg::Shutdown(tx)).is_ok() {
            let _ = rx.recv();
        }
    }
}

/// Starts the committer thread.
pub fn spawn(
    db: Arc<Database>,
    blob_dir: PathBuf,
    feed: Arc<ChangeFeed>,
    open_files: Arc<OpenFiles>,
    pins: Arc<Pins>,
    durable: bool,
) -> Result<CommitterHandle> {
    let (tx, rx) = mpsc::channel::<Msg>();
    std::thread::Builder::new()
        .name("ruststack-commit".into())
        .spawn(move || run(db, blob_dir, feed, open_files, pins, durable, rx))?;
    Ok(CommitterHandle { tx })
}

fn run(
    db: Arc<Database>,
    blob_dir: PathBuf,
    feed: Arc<ChangeFeed>,
    open_files: Arc<OpenFiles>,
    pins: Arc<Pins>,
    durable: bool,
    rx: mpsc::Receiver<Msg>,
) {
    let mut timer_seq: u64 = 0;
    let mut packer = Packer::new(blob_dir.clone(), durable);
    while let Ok(first) = rx.recv() {
        let mut batch = Vec::new();
        let mut stop = None;
        let mut replace = None;
        match first {
            Msg::Commit(c) => batch.push(c),
            Msg::Replace(staging, done) => replace = Some((staging, done)),
            Msg::Shutdown(done) => stop = Some(done),
        }
        while stop.is_none() && replace.is_none() && batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(Msg::Commit(c)) => batch.push(c),
                Ok(Msg::Replace(staging, done)) => replace = Some((staging, done)),
                Ok(Msg::Shutdown(done)) => stop = Some(done),
                Err(_) => break,
            }
        }
        if !batch.is_empty() {
            match apply_batch(&db, &batch, &mut timer_seq, &mut packer) {
                Ok((verdicts, dead_files)) => {
                    for f in dead_files {
                        open_files.forget(&f);
                        pins.remove(blobfiles::file_path(&blob_dir, &f));
                    }
                    for (c, verdict) in batch.into_iter().zip(verdicts) {
                        if verdict == CommitOutcome::Committed {
                            for p in &c.parts {
                                feed.publish(&p.plugin, p.writes.keys().cloned().collect());
                            }
                        }
                        let _ = c.reply.send(Ok(verdict));
                    }
                }
                Err(e) => {
                    tracing::error!("commit failed: {e:#}");
                    for c in batch {
                        let _ = c.reply.send(Err(anyhow!("commit failed: {e}")));
                    }
                }
            }
        }
        if let Some((staging, done)) = replace {
            // The active pack belongs to the state being replaced.
            packer = Packer::new(blob_dir.clone(), durable);
            let result = super::archive::apply(&db, &blob_dir, &staging).and_then(|plugins| {
                open_files.forget_all();
                for f in blobfiles::orphans(&db, &blob_dir)? {
                    pins.remove(f);
                }
                feed.changed_everything();
                Ok(plugins)
            });
            if let Err(e) = &result {
                tracing::error!("replacing the state failed: {e:#}");
            }
            let _ = done.send(result);
        }
        if let Some(done) = stop {
            let _ = done.send(());
            break;
        }
    }
}

/// Applies a batch in one transaction; returns each call's verdict and the
/// blob files no longer referenced by anything.
fn apply_batch(
    db: &Database,
    batch: &[Box<Commit>],
    timer_seq: &mut u64,
    packer: &mut Packer,
) -> Result<(Vec<CommitOutcome>, Vec<String>)> {
    let w = db.begin_write()?;
    let mut verdicts = Vec::with_capacity(batch.len());
    let mut dead_files = Vec::new();
    {
        let mut tables: HashMap<Arc<str>, redb::Table<&[u8], &[u8]>> = HashMap::new();
        let mut blobs = w.open_table(BLOBS)?;
        let mut files = w.open_table(BLOB_FILES)?;
        let mut timers = w.open_table(TIMERS)?;
        for c in batch {
            for p in &c.parts {
                if !tables.contains_key(&p.plugin) {
                    let name = kv_table_name(&p.plugin);
                    let t = w.open_table(TableDefinition::<&[u8], &[u8]>::new(&name))?;
                    tables.insert(p.plugin.clone(), t);
                }
            }
            // Parts are of distinct plugins, so no part's writes can change
            // what another part's checks read.
            let mut ok = true;
            'checks: for p in &c.parts {
                let table = tables.get(&p.plugin).expect("opened above");
                for (k, seen) in &p.checks {
                    let now = table.get(k.as_slice())?.map(|v| v.value().to_vec());
                    if now != *seen {
                        ok = false;
                        break 'checks;
                    }
                }
            }
            if !ok {
                verdicts.push(CommitOutcome::Conflict);
                continue;
            }
            for p in &c.parts {
                let table = tables.get_mut(&p.plugin).expect("opened above");
                for (k, v) in &p.writes {
                    match v {
                        Some(v) => {
                            table.insert(k.as_slice(), v.as_slice())?;
                        }
                        None => {
                            table.remove(k.as_slice())?;
                        }
                    }
                }
                for (id, rec) in &p.blob_puts {
                    put_blob(&mut files, &mut blobs, id, rec)?;
                }
                for (id, bytes, md5) in &p.packed {
                    let (extent, sealed) = packer.append(bytes)?;
                    if let Some(sealed) = sealed
                        && files.get(sealed.as_str())?.is_none()
                    {
                        dead_files.push(sealed);
                    }
                    let rec = BlobRecord {
                        plugin: p.plugin.to_string(),
                        extents: vec![extent],
                        md5: Some(md5.clone()),
                    };
                    put_blob(&mut files, &mut blobs, id, &rec)?;
                }
                for id in &p.blob_deletes {
                    let rec = match blobs.remove(id.as_str())? {
                        Some(v) => serde_json::from_slice::<BlobRecord>(v.value())?,
                        None => continue,
                    };
                    for e in &rec.extents {
                        let n = files.get(e.file.as_str())?.map(|v| v.value()).unwrap_or(0);
                        if n <= 1 {
                            files.remove(e.file.as_str())?;
                            if !packer.is_active(&e.file) {
                                dead_files.push(e.file.clone());
                            }
                        } else {
                            files.insert(e.file.as_str(), n - 1)?;
                        }
                    }
                }
                for (due, payload) in &p.timers {
                    *timer_seq += 1;
                    let mut key = due.to_be_bytes().to_vec();
                    key.extend_from_slice(&crate::store::now_ms().to_be_bytes());
                    key.extend_from_slice(&timer_seq.to_be_bytes());
                    let mut val = (p.plugin.len() as u32).to_be_bytes().to_vec();
                    val.extend_from_slice(p.plugin.as_bytes());
                    val.extend_from_slice(payload);
                    timers.insert(key.as_slice(), val.as_slice())?;
                }
                if let Some(k) = &p.timer_done {
                    timers.remove(k.as_slice())?;
                }
            }
            verdicts.push(CommitOutcome::Committed);
        }
    }
    packer.sync()?;
    w.commit()?;
    Ok((verdicts, dead_files))
}

/// Stores a blob's record and counts its extents in their files.
fn put_blob(
    files: &mut redb::Table<&str, u64>,
    blobs: &mut redb::Table<&str, &[u8]>,
    id: &str,
    rec: &BlobRecord,
) -> Result<()> {
    for e in &rec.extents {
        let n = files.get(e.file.as_str())?.map(|v| v.value()).unwrap_or(0);
        files.insert(e.file.as_str(), n + 1)?;
    }
    blobs.insert(id, serde_json::to_vec(rec)?.as_slice())?;
    Ok(())
}

/// Timers due at or before `now_ms`.
pub fn due_timers(db: &Database, now_ms: u64, limit: usize) -> Result<Vec<TimerEntry>> {
    let r = db.begin_read()?;
    let t = r.open_table(TIMERS)?;
    let end = (now_ms + 1).to_be_bytes();
    let mut out = Vec::new();
    for row in t.range::<&[u8]>(..end.as_slice())? {
        let (k, v) = row?;
        let v = v.value();
        if v.len() < 4 {
            continue;
        }
        let n = u32::from_be_bytes(v[..4].try_into().expect("4 bytes")) as usize;
        if v.len() < 4 + n {
            continue;
        }
        out.push(TimerEntry {
            key: k.value().to_vec(),
            plugin: String::from_utf8_lossy(&v[4..4 + n]).into_owned(),
            payload: v[4 + n..].to_vec(),
        });
        if out.len() >= limit {
            break;
        }
    }
    Ok(out)
}
