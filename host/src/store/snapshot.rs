//! Read snapshots shared by the calls that begin between two commits.
//!
//! Opening a redb read transaction and a plugin's table costs more than a
//! small read itself. While no commit lands, every call would open the same
//! view of the data, so the newest snapshot is kept and handed to each call
//! that begins before the next commit; the first call after a commit opens
//! a new one. A call still sees every commit acknowledged before it began.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use anyhow::Result;
use redb::{Database, ReadOnlyTable, ReadTransaction, ReadableDatabase, TableDefinition};

use super::blobfiles::BlobRecord;
use super::{BLOBS, kv_table_name};

/// A plugin's kv table as one snapshot sees it.
pub(super) type KvTable = ReadOnlyTable<&'static [u8], &'static [u8]>;

/// One redb read transaction and the tables opened in it so far.
pub struct Snapshot {
    /// The commit sequence (see `ChangeFeed::seq`) it reflects at least.
    pub(super) seq: u64,
    txn: ReadTransaction,
    /// Plugin kv tables by plugin name; `None` when the table does not exist.
    tables: Mutex<HashMap<Arc<str>, Option<Arc<KvTable>>>>,
}

impl Snapshot {
    fn open(db: &Database, seq: u64) -> Result<Self> {
        Ok(Self {
            seq,
            txn: db.begin_read()?,
            tables: Mutex::new(HashMap::new()),
        })
    }

    /// The kv table of `plugin`, opened once per snapshot.
    pub(super) fn kv_table(&self, plugin: &Arc<str>) -> Result<Option<Arc<KvTable>>> {
        if let Some(t) = self.tables.lock().unwrap().get(plugin) {
            return Ok(t.clone());
        }
        let name = kv_table_name(plugin);
        let table = match self
            .txn
            .open_table(TableDefinition::<&[u8], &[u8]>::new(&name))
        {
            Ok(t) => Some(Arc::new(t)),
            Err(redb::TableError::TableDoesNotExist(_)) => None,
            Err(e) => return Err(e.into()),
        };
        self.tables
            .lock()
            .unwrap()
            .insert(plugin.clone(), table.clone());
        Ok(table)
    }

    /// The committed record of a blob, if `plugin` owns one with this id.
    pub fn blob(&self, plugin: &str, id: &str) -> Result<Option<BlobRecord>> {
        let t = self.txn.open_table(BLOBS)?;
        Ok(match t.get(id)? {
            Some(v) => {
                let rec: BlobRecord = serde_json::from_slice(v.value())?;
                (rec.plugin == plugin).then_some(rec)
            }
            None => None,
        })
    }
}

/// The newest snapshot, reused while the commit sequence stands still.
#[derive(Default)]
pub(super) struct SnapshotCache {
    newest: Mutex<Option<Arc<Snapshot>>>,
}

impl SnapshotCache {
    /// A snapshot that holds every commit up to `seq`: the cached one when
    /// no commit landed since it was opened, else a new one.
    pub(super) fn at_least(&self, db: &Database, seq: u64) -> Result<Arc<Snapshot>> {
        if let Some(s) = self.newest.lock().unwrap().as_ref()
            && s.seq >= seq
        {
            return Ok(s.clone());
        }
        let fresh = Arc::new(Snapshot::open(db, seq)?);
        let mut newest = self.newest.lock().unwrap();
        if newest.as_ref().is_none_or(|s| s.seq < seq) {
            *newest = Some(fresh.clone());
        }
        Ok(fresh)
    }
}
