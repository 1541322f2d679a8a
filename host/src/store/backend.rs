//! The redb file backend with the durability policy of [`Durability`].
//!
//! redb syncs the file at every commit. In `buffered` mode the sync only hands
//! the data to the operating system (every write already did), and a
//! background thread syncs the disk once a second: a killed server loses
//! nothing, a power loss at most the last second.

use std::fmt;
use std::fs::{File, OpenOptions};
use std::ops::Bound;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Result;
use redb::backends::FileBackend;
use redb::{BackendError, StorageBackend};

use super::Durability;

/// A redb backend that syncs according to the configured durability.
pub struct SyncingFile {
    inner: FileBackend,
    durability: Durability,
    dirty: Arc<AtomicBool>,
}

impl fmt::Debug for SyncingFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SyncingFile")
            .field("durability", &self.durability)
            .finish()
    }
}

/// The once-a-second disk sync of buffered mode.
pub struct Syncer {
    file: File,
    dirty: Arc<AtomicBool>,
}

impl Syncer {
    /// Starts syncing in a background thread for the life of the process.
    pub fn start(self) {
        std::thread::Builder::new()
            .name("ruststack-sync".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(Duration::from_secs(1));
                    if self.dirty.swap(false, Ordering::AcqRel)
                        && let Err(e) = self.file.sync_data()
                    {
                        tracing::error!("syncing the store to disk failed: {e}");
                    }
                }
            })
            .expect("spawning the sync thread");
    }
}

impl SyncingFile {
    /// Opens the file; in buffered mode also returns its background syncer.
    pub fn open(path: &Path, durability: Durability) -> Result<(Self, Option<Syncer>)> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)?;
        let dirty = Arc::new(AtomicBool::new(false));
        let syncer = match durability {
            Durability::Buffered => Some(Syncer {
                file: file.try_clone()?,
                dirty: dirty.clone(),
            }),
            Durability::Immediate => None,
        };
        let inner = FileBackend::new(file)?;
        Ok((
            Self {
                inner,
                durability,
                dirty,
            },
            syncer,
        ))
    }
}

impl StorageBackend for SyncingFile {
    fn len(&self) -> std::io::Result<u64> {
        self.inner.len()
    }

    fn read(&self, offset: u64, out: &mut [u8]) -> std::io::Result<()> {
        self.inner.read(offset, out)
    }

    fn set_len(&self, len: u64) -> std::io::Result<()> {
        self.inner.set_len(len)
    }

    fn sync_data(&self) -> std::io::Result<()> {
        match self.durability {
            Durability::Immediate => self.inner.sync_data(),
            Durability::Buffered => {
                self.dirty.store(true, Ordering::Release);
                Ok(())
            }
        }
    }

    fn write(&self, offset: u64, data: &[u8]) -> std::io::Result<()> {
        self.inner.write(offset, data)
    }

    fn close(&self) -> std::io::Result<()> {
        let synced = self.inner.sync_data();
        self.inner.close()?;
        synced
    }

    fn try_lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        self.inner.try_lock_range(start, end)
    }

    fn try_lock_shared_range(
        &self,
        start: Bound<u64>,
        end: Bound<u64>,
    ) -> Result<bool, BackendError> {
        self.inner.try_lock_shared_range(start, end)
    }

    fn lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.inner.lock_range(start, end)
    }

    fn lock_shared_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.inner.lock_shared_range(start, end)
    }

    fn unlock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<(), BackendError> {
        self.inner.unlock_range(start, end)
    }

    fn query_lock_range(&self, start: Bound<u64>, end: Bound<u64>) -> Result<bool, BackendError> {
        self.inner.query_lock_range(start, end)
    }
}
