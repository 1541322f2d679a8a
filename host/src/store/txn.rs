//! One call's view of its plugin's data: a snapshot plus staged writes.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::io::Write;
use std::ops::Bound;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::Result;
use md5::{Digest, Md5};

use super::blobfiles::{self, BlobRecord, Extent};
use super::commit::{Commit, CommitOutcome, Part};
use super::packs::PACKED_MAX;
use super::snapshot::{KvTable, Snapshot};
use super::{Durability, Store, random_hex};

/// A blob operation that cannot be done; mirrors the WIT `blob-error`.
#[derive(Debug, thiserror::Error)]
pub enum TxnError {
    /// No such blob in this plugin's namespace.
    #[error("no such blob")]
    NotFound,
    /// The range lies outside the blob.
    #[error("range outside the blob")]
    OutOfRange,
    /// The disk or the database failed.
    #[error("{0}")]
    Io(String),
}

impl From<std::io::Error> for TxnError {
    fn from(e: std::io::Error) -> Self {
        TxnError::Io(e.to_string())
    }
}

impl From<anyhow::Error> for TxnError {
    fn from(e: anyhow::Error) -> Self {
        TxnError::Io(e.to_string())
    }
}

impl From<redb::StorageError> for TxnError {
    fn from(e: redb::StorageError) -> Self {
        TxnError::Io(e.to_string())
    }
}

/// A request body the host wrote to a blob file before calling the plugin.
pub struct IncomingBody {
    /// The blob id the plugin sees.
    pub blob_id: String,
    /// The file holding the bytes.
    pub file: String,
    /// Length in bytes.
    pub len: u64,
    /// MD5 computed while receiving it (hex).
    pub md5: String,
    /// Set once a committed call kept it; otherwise it is deleted after the request.
    pub kept: AtomicBool,
}

/// A blob created (or composed) during this call, not yet committed.
enum PendingBlob {
    /// Small so far: the bytes stay in memory and the committer packs them.
    Buffered { bytes: Vec<u8>, md5: Md5 },
    /// Past [`PACKED_MAX`]: its own file, appended to.
    Written {
        file: File,
        file_id: String,
        len: u64,
        md5: Md5,
    },
    /// Slices of other blobs, sharing their files.
    Composed { extents: Vec<Extent> },
}

impl PendingBlob {
    /// The blob's bytes in files; `None` while they are only in memory.
    fn extents(&self) -> Option<Vec<Extent>> {
        match self {
            PendingBlob::Buffered { .. } => None,
            PendingBlob::Written { file_id, len, .. } => Some(vec![Extent {
                file: file_id.clone(),
                offset: 0,
                len: *len,
            }]),
            PendingBlob::Composed { extents } => Some(extents.clone()),
        }
    }
}

/// Rows of the snapshot in scan order.
type Rows<'a> = Box<dyn Iterator<Item = Result<(Vec<u8>, Vec<u8>)>> + 'a>;
/// Staged writes in scan order (`None` = deleted).
type Staged<'a> = Box<dyn Iterator<Item = (&'a Vec<u8>, &'a Option<Vec<u8>>)> + 'a>;
/// One row as redb yields it.
type RawRow<'a> = Result<
    (
        redb::AccessGuard<'a, &'static [u8]>,
        redb::AccessGuard<'a, &'static [u8]>,
    ),
    redb::StorageError,
>;

/// Staged state of one plugin call. Dropping it without [`CallTxn::commit`]
/// discards everything (and deletes blob files the call wrote).
pub struct CallTxn {
    store: Arc<Store>,
    plugin: Arc<str>,
    snapshot: Arc<Snapshot>,
    table: Option<Arc<KvTable>>,
    seq: u64,
    overlay: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    checks: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    pending: HashMap<String, PendingBlob>,
    deleted: HashSet<String>,
    incoming: Option<Arc<IncomingBody>>,
    keep_incoming: bool,
    new_files: Vec<String>,
    timers: Vec<(u64, Vec<u8>)>,
    timer_done: Option<Vec<u8>>,
    /// Transactions of calls this call invoked, one per plugin, committed
    /// with this one in one piece (see [`CallTxn::join`]).
    joined: Vec<CallTxn>,
}

/// What a staged part needs done once its verdict is known.
struct Settle {
    committed_files: HashSet<String>,
    incoming_kept: Option<Arc<IncomingBody>>,
}

impl CallTxn {
    pub(super) fn begin(
        store: Arc<Store>,
        plugin: Arc<str>,
        incoming: Option<Arc<IncomingBody>>,
    ) -> Result<Self> {
        // Read the sequence first: every commit it counts is in the snapshot.
        let seq = store.feed().seq();
        let snapshot = store.snapshot(seq)?;
        let table = snapshot.kv_table(&plugin)?;
        Ok(Self {
            store,
            plugin,
            snapshot,
            table,
            seq,
            overlay: BTreeMap::new(),
            checks: BTreeMap::new(),
            pending: HashMap::new(),
            deleted: HashSet::new(),
            incoming,
            keep_incoming: false,
            new_files: Vec::new(),
            timers: Vec::new(),
            timer_done: None,
            joined: Vec::new(),
        })
    }

    /// The plugin whose data this transaction holds.
    pub fn plugin(&self) -> &Arc<str> {
        &self.plugin
    }

    /// Takes back the joined transaction of `plugin`, for another call of
    /// that plugin the same caller invokes: it sees what the earlier one
    /// staged, as one transaction would.
    pub fn take_joined(&mut self, plugin: &str) -> Option<CallTxn> {
        let i = self.joined.iter().position(|t| &*t.plugin == plugin)?;
        Some(self.joined.swap_remove(i))
    }

    /// Joins the transaction of a call this call invoked (of another
    /// plugin): its writes are stored with this call's, when this call
    /// commits, or not at all. The invoked call therefore never waits for a
    /// commit of its own while its caller holds an instance and a turn, and
    /// a caller that conflicts and runs again does not deliver twice.
    pub fn join(&mut self, child: CallTxn) {
        debug_assert!(child.plugin != self.plugin && child.joined.is_empty());
        self.joined.push(child);
    }

    /// The commit sequence this call's snapshot reflects (for waits).
    pub fn snapshot_seq(&self) -> u64 {
        self.seq
    }

    fn snapshot_get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        Ok(match &self.table {
            Some(t) => t.get(key)?.map(|v| v.value().to_vec()),
            None => None,
        })
    }

    /// The current value of `key` as this call sees it.
    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>> {
        match self.overlay.get(key) {
            Some(v) => Ok(v.clone()),
            None => self.snapshot_get(key),
        }
    }

    /// Stages a write.
    pub fn put(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.overlay.insert(key, Some(value));
    }

    /// Stages a delete; true if the key existed.
    pub fn delete(&mut self, key: Vec<u8>) -> Result<bool> {
        let existed = self.get(&key)?.is_some();
        self.overlay.insert(key, None);
        Ok(existed)
    }

    /// Compare-and-set, checked again at commit.
    pub fn compare_and_set(
        &mut self,
        key: Vec<u8>,
        expected: Option<Vec<u8>>,
        new: Option<Vec<u8>>,
    ) -> Result<bool> {
        if !self.checks.contains_key(&key) && !self.overlay.contains_key(&key) {
            let seen = self.snapshot_get(&key)?;
            self.checks.insert(key.clone(), seen);
        }
        let current = self.get(&key)?;
        if current != expected {
            return Ok(false);
        }
        self.overlay.insert(key, new);
        Ok(true)
    }

    /// Entries in `[start, end)`, merged from the snapshot and staged writes.
    pub fn scan(
        &self,
        start: &[u8],
        end: Option<&[u8]>,
        limit: u32,
        reverse: bool,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let limit = limit as usize;
        if limit == 0 || end.is_some_and(|e| e <= start) {
            return Ok(Vec::new());
        }
        let upper = end.map_or(Bound::Unbounded, Bound::Excluded);
        let bounds: (Bound<&[u8]>, Bound<&[u8]>) = (Bound::Included(start), upper);
        let mut snap: Rows<'_> = match &self.table {
            Some(t) => {
                let range = t.range::<&[u8]>(bounds)?;
                let map = |r: RawRow<'_>| {
                    r.map(|(k, v)| (k.value().to_vec(), v.value().to_vec()))
                        .map_err(anyhow::Error::from)
                };
                if reverse {
                    Box::new(range.rev().map(map))
                } else {
                    Box::new(range.map(map))
                }
            }
            None => Box::new(std::iter::empty()),
        };
        let ov_bounds = (
            Bound::Included(start.to_vec()),
            end.map_or(Bound::Unbounded, |e| Bound::Excluded(e.to_vec())),
        );
        let mut ov: Staged<'_> = if reverse {
            Box::new(self.overlay.range(ov_bounds).rev())
        } else {
            Box::new(self.overlay.range(ov_bounds))
        };
        let order = |a: &[u8], b: &[u8]| if reverse { b.cmp(a) } else { a.cmp(b) };
        let mut out = Vec::new();
        let mut s_next = snap.next().transpose()?;
        let mut o_next = ov.next();
        while out.len() < limit {
            match (&s_next, o_next) {
                (None, None) => break,
                (Some(_), None) => {
                    out.push(s_next.take().unwrap());
                    s_next = snap.next().transpose()?;
                }
                (None, Some((k, v))) => {
                    if let Some(v) = v {
                        out.push((k.clone(), v.clone()));
                    }
                    o_next = ov.next();
                }
                (Some((sk, _)), Some((ok, ov_val))) => match order(sk, ok) {
                    Ordering::Less => {
                        out.push(s_next.take().unwrap());
                        s_next = snap.next().transpose()?;
                    }
                    ord => {
                        if let Some(v) = ov_val {
                            out.push((ok.clone(), v.clone()));
                        }
                        if ord == Ordering::Equal {
                            s_next = snap.next().transpose()?;
                        }
                        o_next = ov.next();
                    }
                },
            }
        }
        Ok(out)
    }

    // ----- blobs -----

    /// The incoming body, if `id` names it.
    fn incoming_named(&self, id: &str) -> Option<&Arc<IncomingBody>> {
        self.incoming.as_ref().filter(|inc| inc.blob_id == id)
    }

    /// The extents of a blob whose bytes are in files (see [`Self::spill`]
    /// for a small pending blob, whose bytes are only in memory).
    fn extents_of(&self, id: &str) -> Result<Vec<Extent>, TxnError> {
        if let Some(p) = self.pending.get(id) {
            return p
                .extents()
                .ok_or_else(|| TxnError::Io("a buffered blob has no file yet".into()));
        }
        if self.deleted.contains(id) {
            return Err(TxnError::NotFound);
        }
        if let Some(inc) = self.incoming_named(id) {
            return Ok(vec![Extent {
                file: inc.file.clone(),
                offset: 0,
                len: inc.len,
            }]);
        }
        self.committed_blob(id).map(|r| r.extents)
    }

    fn committed_blob(&self, id: &str) -> Result<BlobRecord, TxnError> {
        self.snapshot
            .blob(&self.plugin, id)?
            .ok_or(TxnError::NotFound)
    }

    /// Creates an empty blob for this call to append to.
    pub fn blob_create(&mut self) -> Result<String, TxnError> {
        let id = random_hex(16);
        self.pending.insert(
            id.clone(),
            PendingBlob::Buffered {
                bytes: Vec::new(),
                md5: Md5::new(),
            },
        );
        Ok(id)
    }

    /// Moves a small pending blob's bytes from memory to a file of its own
    /// (when it outgrows a pack, or is sliced by a compose).
    fn spill(&mut self, id: &str) -> Result<(), TxnError> {
        let Some(PendingBlob::Buffered { bytes, md5 }) = self.pending.get(id) else {
            return Ok(());
        };
        let file_id = random_hex(16);
        let path = blobfiles::file_path(self.store.blob_dir(), &file_id);
        std::fs::create_dir_all(path.parent().expect("blob path has a parent"))?;
        let mut file = File::create(&path)?;
        self.new_files.push(file_id.clone());
        file.write_all(bytes)?;
        let written = PendingBlob::Written {
            file,
            file_id,
            len: bytes.len() as u64,
            md5: md5.clone(),
        };
        self.pending.insert(id.to_string(), written);
        Ok(())
    }

    /// Appends to a blob created by this call.
    pub fn blob_append(&mut self, id: &str, data: &[u8]) -> Result<(), TxnError> {
        if let Some(PendingBlob::Buffered { bytes, .. }) = self.pending.get(id)
            && bytes.len() + data.len() > PACKED_MAX
        {
            self.spill(id)?;
        }
        match self.pending.get_mut(id).ok_or(TxnError::NotFound)? {
            PendingBlob::Buffered { bytes, md5 } => {
                bytes.extend_from_slice(data);
                md5.update(data);
            }
            PendingBlob::Written { file, len, md5, .. } => {
                file.write_all(data)?;
                md5.update(data);
                *len += data.len() as u64;
            }
            PendingBlob::Composed { .. } => {
                return Err(TxnError::Io("a composed blob cannot be appended to".into()));
            }
        }
        Ok(())
    }

    /// Reads a range of a blob.
    pub fn blob_read(&self, id: &str, offset: u64, len: u32) -> Result<Vec<u8>, TxnError> {
        if let Some(PendingBlob::Buffered { bytes, .. }) = self.pending.get(id) {
            let start = usize::try_from(offset).unwrap_or(usize::MAX);
            if start > bytes.len() {
                return Err(TxnError::OutOfRange);
            }
            let end = bytes.len().min(start.saturating_add(len as usize));
            return Ok(bytes[start..end].to_vec());
        }
        let extents = self.extents_of(id)?;
        let total: u64 = extents.iter().map(|e| e.len).sum();
        if offset > total {
            return Err(TxnError::OutOfRange);
        }
        Ok(blobfiles::read_extents(
            self.store.blob_dir(),
            &extents,
            offset,
            len as u64,
        )?)
    }

    /// Length of a blob.
    pub fn blob_size(&self, id: &str) -> Result<u64, TxnError> {
        if let Some(PendingBlob::Buffered { bytes, .. }) = self.pending.get(id) {
            return Ok(bytes.len() as u64);
        }
        Ok(self.extents_of(id)?.iter().map(|e| e.len).sum())
    }

    /// Resolves a blob slice into extents (for compose and response bodies).
    pub fn blob_slice(
        &self,
        id: &str,
        offset: u64,
        len: Option<u64>,
    ) -> Result<Vec<Extent>, TxnError> {
        let extents = self.extents_of(id)?;
        blobfiles::slice_extents(&extents, offset, len).ok_or(TxnError::OutOfRange)
    }

    /// The MD5 already known for a blob, if any (avoids re-reading big blobs).
    pub fn known_md5(&self, id: &str) -> Option<String> {
        if let Some(p) = self.pending.get(id) {
            return match p {
                PendingBlob::Buffered { md5, .. } | PendingBlob::Written { md5, .. } => {
                    Some(hex::encode(md5.clone().finalize()))
                }
                PendingBlob::Composed { .. } => None,
            };
        }
        if let Some(inc) = self.incoming_named(id) {
            return Some(inc.md5.clone());
        }
        self.committed_blob(id).ok().and_then(|r| r.md5)
    }

    /// Feeds a blob's bytes to `sink`.
    pub fn blob_stream(&self, id: &str, mut sink: impl FnMut(&[u8])) -> Result<(), TxnError> {
        if let Some(PendingBlob::Buffered { bytes, .. }) = self.pending.get(id) {
            sink(bytes);
            return Ok(());
        }
        let extents = self.extents_of(id)?;
        Ok(blobfiles::stream_extents(
            self.store.blob_dir(),
            &extents,
            sink,
        )?)
    }

    /// A new blob made of slices of others, sharing their files.
    pub fn blob_compose(
        &mut self,
        parts: &[(String, u64, Option<u64>)],
    ) -> Result<String, TxnError> {
        let mut extents = Vec::new();
        for (id, offset, len) in parts {
            self.spill(id)?;
            extents.extend(self.blob_slice(id, *offset, *len)?);
        }
        extents.retain(|e| e.len > 0);
        let id = random_hex(16);
        self.pending
            .insert(id.clone(), PendingBlob::Composed { extents });
        Ok(id)
    }

    /// Keeps the incoming body blob after the request.
    pub fn blob_keep(&mut self, id: &str) -> Result<(), TxnError> {
        match &self.incoming {
            Some(inc) if inc.blob_id == id => {
                self.keep_incoming = true;
                Ok(())
            }
            _ if self.pending.contains_key(id) => Ok(()),
            _ => Err(TxnError::NotFound),
        }
    }

    /// Deletes a blob.
    pub fn blob_delete(&mut self, id: &str) -> Result<(), TxnError> {
        if self.pending.remove(id).is_some() {
            return Ok(());
        }
        if self.incoming_named(id).is_some() {
            self.keep_incoming = false;
            return Ok(());
        }
        if self.deleted.contains(id) {
            return Err(TxnError::NotFound);
        }
        self.committed_blob(id)?;
        self.deleted.insert(id.to_string());
        Ok(())
    }

    // ----- timers -----

    /// Stages a timer that fires `delay_ms` from now.
    pub fn schedule(&mut self, delay_ms: u64, payload: Vec<u8>) {
        self.timers
            .push((super::now_ms().saturating_add(delay_ms), payload));
    }

    /// Marks the timer this call is serving as done, in the same commit.
    pub fn finish_timer(&mut self, key: Vec<u8>) {
        self.timer_done = Some(key);
    }

    /// Whether this call itself (not the calls it invoked) staged nothing.
    fn stages_nothing(&self) -> bool {
        self.overlay.is_empty()
            && self.pending.is_empty()
            && self.deleted.is_empty()
            && !(self.keep_incoming && self.incoming.is_some())
            && self.timers.is_empty()
            && self.timer_done.is_none()
    }

    /// Sends the staged writes (with those of joined calls) to the committer
    /// and waits for the verdict; a call that staged nothing sends no part,
    /// and nothing at all is sent when no call staged anything.
    pub async fn commit(mut self) -> Result<CommitOutcome> {
        let store = self.store.clone();
        let mut joined = std::mem::take(&mut self.joined);
        let mut txns: Vec<&mut CallTxn> = std::iter::once(&mut self)
            .chain(joined.iter_mut())
            .filter(|t| !t.stages_nothing())
            .collect();
        if txns.is_empty() {
            return Ok(CommitOutcome::Committed);
        }
        let mut parts = Vec::with_capacity(txns.len());
        let mut staged = Vec::with_capacity(txns.len());
        for t in &mut txns {
            let (part, done) = t.stage()?;
            parts.push(part);
            staged.push(done);
        }
        let (tx, rx) = tokio::sync::oneshot::channel();
        store.committer().send(Commit { parts, reply: tx })?;
        let outcome = rx
            .await
            .map_err(|_| anyhow::anyhow!("the committer stopped"))??;
        if outcome == CommitOutcome::Committed {
            for (t, done) in txns.into_iter().zip(staged) {
                t.committed(done);
            }
        }
        Ok(outcome)
    }

    /// Moves the staged writes into a commit part: small blobs to be packed,
    /// written blob files synced (in durable mode) and recorded.
    fn stage(&mut self) -> Result<(Part, Settle)> {
        let incoming_kept = self.keep_incoming.then(|| self.incoming.clone()).flatten();
        let durable = self.store.durability() == Durability::Immediate;
        let mut blob_puts = Vec::new();
        let mut packed = Vec::new();
        let mut committed_files = HashSet::new();
        for (id, p) in self.pending.drain() {
            let (extents, md5) = match p {
                PendingBlob::Buffered { bytes, md5 } => {
                    packed.push((id, bytes, hex::encode(md5.finalize())));
                    continue;
                }
                PendingBlob::Written {
                    file,
                    file_id,
                    len,
                    md5,
                } => {
                    if durable {
                        file.sync_data()?;
                    }
                    let extent = Extent {
                        file: file_id,
                        offset: 0,
                        len,
                    };
                    (vec![extent], Some(hex::encode(md5.finalize())))
                }
                PendingBlob::Composed { extents } => (extents, None),
            };
            committed_files.extend(extents.iter().map(|e| e.file.clone()));
            blob_puts.push((
                id,
                BlobRecord {
                    plugin: self.plugin.to_string(),
                    extents,
                    md5,
                },
            ));
        }
        if let Some(inc) = &incoming_kept {
            if durable {
                File::open(blobfiles::file_path(self.store.blob_dir(), &inc.file))?.sync_data()?;
            }
            blob_puts.push((
                inc.blob_id.clone(),
                BlobRecord {
                    plugin: self.plugin.to_string(),
                    extents: vec![Extent {
                        file: inc.file.clone(),
                        offset: 0,
                        len: inc.len,
                    }],
                    md5: Some(inc.md5.clone()),
                },
            ));
        }
        let part = Part {
            plugin: self.plugin.clone(),
            writes: std::mem::take(&mut self.overlay),
            checks: std::mem::take(&mut self.checks),
            blob_puts,
            packed,
            blob_deletes: self.deleted.drain().collect(),
            timers: std::mem::take(&mut self.timers),
            timer_done: self.timer_done.take(),
        };
        Ok((
            part,
            Settle {
                committed_files,
                incoming_kept,
            },
        ))
    }

    /// Keeps the blob files a committed part now points to.
    fn committed(&mut self, done: Settle) {
        self.new_files.retain(|f| !done.committed_files.contains(f));
        // A committed blob composed from the incoming body keeps its file.
        if let Some(inc) = self
            .incoming
            .as_ref()
            .filter(|i| done.committed_files.contains(&i.file))
        {
            inc.kept.store(true, std::sync::atomic::Ordering::Release);
        }
        if let Some(inc) = done.incoming_kept {
            inc.kept.store(true, std::sync::atomic::Ordering::Release);
        }
    }
}

impl Drop for CallTxn {
    fn drop(&mut self) {
        // Files written by a call that did not commit belong to no one.
        for f in self.new_files.drain(..) {
            let _ = std::fs::remove_file(blobfiles::file_path(self.store.blob_dir(), &f));
        }
    }
}
