//! Persistence: one redb file holding every plugin's kv namespace, blob
//! records and timers, plus blob bytes in files beside it.
//!
//! Calls never write to redb directly. A call reads a snapshot and stages its
//! writes in a [`CallTxn`]; when the call returns, the staged writes go to the
//! single committer thread, which validates compare-and-set checks and applies
//! many calls' writes in one redb transaction (group commit). That gives each
//! call all-or-nothing writes, serializable compare-and-set, and one disk sync
//! for many concurrent writers.

mod archive;
mod backend;
mod blobfiles;
mod commit;
mod notify;
mod openfiles;
mod packs;
mod snapshot;
mod txn;

pub use blobfiles::{BlobRecord, Extent, file_path as blob_file_path, read_extents, slice_extents};
pub use commit::{CommitOutcome, TimerEntry};
pub use notify::{ChangeFeed, WaitEnd};
pub use snapshot::Snapshot;
pub use txn::{CallTxn, IncomingBody, TxnError};

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use redb::{Database, ReadableTable, TableDefinition};

/// Layout version of everything the host keeps in redb. Bumped (with a
/// migration) whenever the host's own tables change shape.
pub const FORMAT_VERSION: u32 = 1;

/// Host metadata (format version, ...).
pub(crate) const META: TableDefinition<&str, &[u8]> = TableDefinition::new("host/meta");
/// Blob id -> [`BlobRecord`] (JSON).
pub(crate) const BLOBS: TableDefinition<&str, &[u8]> = TableDefinition::new("host/blobs");
/// Blob file id -> number of blob extents that point into it.
pub(crate) const BLOB_FILES: TableDefinition<&str, u64> = TableDefinition::new("host/blob-files");
/// Due time (ms, big-endian) + sequence -> plugin name + payload.
pub(crate) const TIMERS: TableDefinition<&[u8], &[u8]> = TableDefinition::new("host/timers");

/// The name of a plugin's kv table.
pub(crate) fn kv_table_name(plugin: &str) -> String {
    format!("kv/{plugin}")
}

/// How hard a commit tries to reach the disk before it is acknowledged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Durability {
    /// Every commit is in the operating system before the client hears back,
    /// so a killed or crashed server loses nothing; the disk is synced at most
    /// a second later, so a power loss may lose the last second.
    Buffered,
    /// Every commit is synced to the disk before the client hears back.
    Immediate,
}

/// The persistent state of the server.
pub struct Store {
    db: Arc<Database>,
    blob_dir: PathBuf,
    feed: Arc<ChangeFeed>,
    committer: commit::CommitterHandle,
    durability: Durability,
    snapshots: snapshot::SnapshotCache,
    open_files: Arc<openfiles::OpenFiles>,
    /// Blob file deletions held back while an export reads the files.
    pins: Arc<blobfiles::Pins>,
    /// Keeps the temporary blob folder of an ephemeral store alive.
    _temp: Option<TempDir>,
}

/// A folder removed when the store is dropped (ephemeral mode).
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// redb's own page cache. Pages beyond it are read through the operating
/// system's file cache, which costs a read call but no resident memory of
/// the server; 4 MiB holds the hot part of a local test data set, and is
/// most of what an idle server holds after a busy spell. (16 MiB made SNS
/// fan-out to a growing queue ~40% faster, but the server held ~24 MiB more
/// after load runs, past the 64 MB the benchmark allows.)
const PAGE_CACHE_BYTES: usize = 4 * 1024 * 1024;

impl Store {
    /// Opens (or creates) the store in `data_dir`.
    pub fn open(data_dir: &Path, durability: Durability) -> Result<Arc<Self>> {
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("creating data dir {}", data_dir.display()))?;
        let path = data_dir.join("ruststack.redb");
        let (backend, syncer) = backend::SyncingFile::open(&path, durability)?;
        let db = Database::builder()
            .set_cache_size(PAGE_CACHE_BYTES)
            .create_with_backend(backend)
            .with_context(|| format!("opening {}", path.display()))?;
        let blob_dir = data_dir.join("blobs");
        let store = Self::assemble(db, blob_dir, durability, None)?;
        if let Some(syncer) = syncer {
            syncer.start();
        }
        Ok(store)
    }

    /// A store that keeps kv in memory and blobs in a temporary folder that is
    /// removed on exit: nothing survives the process.
    pub fn ephemeral() -> Result<Arc<Self>> {
        let db = Database::builder()
            .set_cache_size(PAGE_CACHE_BYTES)
            .create_with_backend(redb::backends::InMemoryBackend::new())?;
        let dir = std::env::temp_dir().join(format!("ruststack-{}", random_hex(8)));
        Self::assemble(db, dir.clone(), Durability::Buffered, Some(TempDir(dir)))
    }

    fn assemble(
        db: Database,
        blob_dir: PathBuf,
        durability: Durability,
        temp: Option<TempDir>,
    ) -> Result<Arc<Self>> {
        std::fs::create_dir_all(&blob_dir)?;
        let db = Arc::new(db);
        init_tables(&db)?;
        blobfiles::sweep_orphans(&db, &blob_dir)?;
        let feed = Arc::new(ChangeFeed::default());
        let open_files = Arc::new(openfiles::OpenFiles::new(blob_dir.clone()));
        let pins = Arc::new(blobfiles::Pins::default());
        let committer = commit::spawn(
            db.clone(),
            blob_dir.clone(),
            feed.clone(),
            open_files.clone(),
            pins.clone(),
            durability == Durability::Immediate,
        )?;
        Ok(Arc::new(Self {
            db,
            blob_dir,
            feed,
            committer,
            durability,
            snapshots: Default::default(),
            open_files,
            pins,
            _temp: temp,
        }))
    }

    /// Makes sure a plugin's namespace exists, so reads never meet a missing table.
    pub fn ensure_namespace(&self, plugin: &str) -> Result<()> {
        let name = kv_table_name(plugin);
        let w = self.db.begin_write()?;
        w.open_table(TableDefinition::<&[u8], &[u8]>::new(&name))?;
        w.commit()?;
        // A new table is a change: snapshots opened before it lack it.
        self.feed.publish(&plugin.into(), Vec::new());
        Ok(())
    }

    /// A read snapshot holding at least every commit up to `seq`.
    pub fn snapshot(&self, seq: u64) -> Result<Arc<Snapshot>> {
        self.snapshots.at_least(&self.db, seq)
    }

    /// Starts a call's transaction on a snapshot holding every commit
    /// acknowledged so far (shared with the calls that begin before the next).
    pub fn begin(
        self: &Arc<Self>,
        plugin: Arc<str>,
        incoming: Option<Arc<IncomingBody>>,
    ) -> Result<CallTxn> {
        CallTxn::begin(self.clone(), plugin, incoming)
    }

    /// Commits waiters and long polls listen to.
    pub fn feed(&self) -> &Arc<ChangeFeed> {
        &self.feed
    }

    /// Where blob files live.
    pub fn blob_dir(&self) -> &Path {
        &self.blob_dir
    }

    /// The configured durability.
    pub fn durability(&self) -> Durability {
        self.durability
    }

    pub(crate) fn committer(&self) -> &commit::CommitterHandle {
        &self.committer
    }

    /// The bytes of extents of committed blobs (small answers: the files
    /// stay open for the next read).
    pub fn read_committed(&self, extents: &[Extent]) -> std::io::Result<Vec<u8>> {
        self.open_files.read(extents)
    }

    /// Looks up a committed blob of `plugin`.
    pub fn blob(&self, plugin: &str, id: &str) -> Result<Option<BlobRecord>> {
        self.snapshot(self.feed.seq())?.blob(plugin, id)
    }

    /// Timers due at or before `now_ms`, oldest first (at most `limit`).
    pub fn due_timers(&self, now_ms: u64, limit: usize) -> Result<Vec<TimerEntry>> {
        commit::due_timers(&self.db, now_ms, limit)
    }

    /// Drops a timer that cannot be served, outside any call.
    pub fn remove_timer(&self, key: &[u8]) -> Result<()> {
        let w = self.db.begin_write()?;
        w.open_table(TIMERS)?.remove(key)?;
        w.commit()?;
        Ok(())
    }

    /// Writes the whole state, as of one snapshot, as an archive to `out`
    /// (see [`archive`]); the server keeps serving meanwhile.
    pub fn export(&self, out: impl std::io::Write) -> Result<()> {
        let _pin = self.pins.pin();
        archive::export(&self.db, &self.blob_dir, self.scratch_dir(), out)
    }

    /// Replaces the whole state with the archive `input` (see [`archive`]):
    /// every plugin's data, blobs and timers. Returns the plugin namespaces
    /// it holds.
    pub fn import(&self, input: impl std::io::Read) -> Result<Vec<String>> {
        let staging = archive::staging_dir(&self.blob_dir);
        let result =
            archive::unpack(input, &staging).and_then(|()| self.committer.replace(staging.clone()));
        let _ = std::fs::remove_dir_all(&staging);
        result
    }

    /// A folder for temporary files beside the blobs (the same file system).
    pub fn scratch_dir(&self) -> &Path {
        self.blob_dir.parent().unwrap_or(&self.blob_dir)
    }

    /// Stops the committer after it has written everything queued.
    pub fn shutdown(&self) {
        self.committer.shutdown();
    }
}

fn init_tables(db: &Database) -> Result<()> {
    let w = db.begin_write()?;
    {
        let mut meta = w.open_table(META)?;
        let found = meta
            .get("format-version")?
            .map(|v| u32::from_be_bytes(v.value().try_into().unwrap_or([0; 4])));
        match found {
            None => {
                meta.insert("format-version", FORMAT_VERSION.to_be_bytes().as_slice())?;
            }
            Some(v) if v == FORMAT_VERSION => {}
            Some(v) => bail!(
                "the data dir holds format version {v}; this build reads version {FORMAT_VERSION}"
            ),
        }
        w.open_table(BLOBS)?;
        w.open_table(BLOB_FILES)?;
        w.open_table(TIMERS)?;
    }
    w.commit()?;
    Ok(())
}

/// Random lower-case hex from the OS's generator.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    getrandom::fill(&mut buf).expect("the OS random source failed");
    hex::encode(buf)
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}
