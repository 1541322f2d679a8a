//! Blob bytes on disk.
//!
//! A blob is a list of extents, each a byte range of an immutable file. A file
//! is shared by every blob that points into it (composing multipart parts
//! copies no bytes) and is deleted when the last extent pointing into it goes.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Result;
use redb::{Database, ReadableDatabase};
use serde::{Deserialize, Serialize};

use super::BLOB_FILES;

/// A byte range of one blob file.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Extent {
    /// The file's id (its name under the blob folder).
    pub file: String,
    /// Where the range starts in the file.
    pub offset: u64,
    /// How many bytes.
    pub len: u64,
}

/// What the host knows about a committed blob.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BlobRecord {
    /// The plugin that owns the blob; no other plugin can read it.
    pub plugin: String,
    /// The blob's bytes, in order.
    pub extents: Vec<Extent>,
    /// MD5 of the whole blob when the host computed it while writing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub md5: Option<String>,
}

/// Extents covering a window of the bytes the given extents describe;
/// `None` when the window starts past the end.
pub fn slice_extents(extents: &[Extent], offset: u64, len: Option<u64>) -> Option<Vec<Extent>> {
    let total: u64 = extents.iter().map(|e| e.len).sum();
    if offset > total {
        return None;
    }
    let mut remaining = len.unwrap_or(total - offset).min(total - offset);
    let mut skip = offset;
    let mut out = Vec::new();
    for e in extents {
        if remaining == 0 {
            break;
        }
        if skip >= e.len {
            skip -= e.len;
            continue;
        }
        let take = (e.len - skip).min(remaining);
        out.push(Extent {
            file: e.file.clone(),
            offset: e.offset + skip,
            len: take,
        });
        remaining -= take;
        skip = 0;
    }
    Some(out)
}

/// Path of a blob file: two levels of fan-out keep folders small.
pub fn file_path(dir: &Path, file: &str) -> PathBuf {
    let a = file.get(0..2).unwrap_or("00");
    dir.join(a).join(file)
}

/// Reads up to `len` bytes from `offset` within the given extents.
pub fn read_extents(
    dir: &Path,
    extents: &[Extent],
    offset: u64,
    len: u64,
) -> std::io::Result<Vec<u8>> {
    let window = slice_extents(extents, offset, Some(len)).unwrap_or_default();
    read_window(&window, |file| {
        File::open(file_path(dir, file)).map(Arc::new)
    })
}

/// The bytes of `window`'s extents in order, each read from the file `open`
/// gives for its id (opened for this read, or kept open by the caller).
pub fn read_window(
    window: &[Extent],
    mut open: impl FnMut(&str) -> std::io::Result<Arc<File>>,
) -> std::io::Result<Vec<u8>> {
    let mut out = vec![0u8; window.iter().map(|e| e.len as usize).sum()];
    let mut at = 0;
    for e in window {
        let end = at + e.len as usize;
        open(&e.file)?.read_exact_at(&mut out[at..end], e.offset)?;
        at = end;
    }
    Ok(out)
}

/// Feeds every byte of the extents to `sink`, 256 KiB at a time.
pub fn stream_extents(
    dir: &Path,
    extents: &[Extent],
    mut sink: impl FnMut(&[u8]),
) -> std::io::Result<()> {
    let mut buf = vec![0u8; 256 * 1024];
    for e in extents {
        let mut f = File::open(file_path(dir, &e.file))?;
        f.seek(SeekFrom::Start(e.offset))?;
        let mut left = e.len;
        while left > 0 {
            let n = (left as usize).min(buf.len());
            f.read_exact(&mut buf[..n])?;
            sink(&buf[..n]);
            left -= n as u64;
        }
    }
    Ok(())
}

/// Deletes blob files that no committed blob points into: leftovers of calls
/// that were cut off before they committed.
pub fn sweep_orphans(db: &Database, dir: &Path) -> Result<()> {
    let orphans = orphans(db, dir)?;
    for f in &orphans {
        let _ = std::fs::remove_file(f);
    }
    if !orphans.is_empty() {
        tracing::info!("removed {} unreferenced blob files", orphans.len());
    }
    Ok(())
}

/// The blob files under `dir` that no committed blob points into.
pub fn orphans(db: &Database, dir: &Path) -> Result<Vec<PathBuf>> {
    let r = db.begin_read()?;
    let files = r.open_table(BLOB_FILES)?;
    let mut out = Vec::new();
    for shard in std::fs::read_dir(dir)? {
        let shard = shard?;
        if !shard.file_type()?.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(shard.path())? {
            let f = f?;
            let name = f.file_name().to_string_lossy().to_string();
            if files.get(name.as_str())?.is_none() {
                out.push(f.path());
            }
        }
    }
    Ok(out)
}

/// Blob file deletions held back while an export reads the files (a file
/// that a commit frees during an export is still in the export's snapshot).
#[derive(Default)]
pub struct Pins {
    /// Exports running, and the files to delete when the last one ends.
    inner: std::sync::Mutex<(usize, Vec<PathBuf>)>,
}

impl Pins {
    /// Holds deletions back until the guard is dropped.
    pub fn pin(self: &Arc<Self>) -> PinGuard {
        self.inner.lock().unwrap().0 += 1;
        PinGuard(self.clone())
    }

    /// Deletes the blob file at `path`, now or when the last pin goes.
    pub fn remove(&self, path: PathBuf) {
        let mut inner = self.inner.lock().unwrap();
        if inner.0 > 0 {
            inner.1.push(path);
        } else {
            drop(inner);
            let _ = std::fs::remove_file(path);
        }
    }
}

/// Deletions are held back while this lives.
pub struct PinGuard(Arc<Pins>);

impl Drop for PinGuard {
    fn drop(&mut self) {
        let held = {
            let mut inner = self.0.inner.lock().unwrap();
            inner.0 -= 1;
            if inner.0 == 0 {
                std::mem::take(&mut inner.1)
            } else {
                Vec::new()
            }
        };
        for f in held {
            let _ = std::fs::remove_file(f);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ext(file: &str, offset: u64, len: u64) -> Extent {
        Extent {
            file: file.into(),
            offset,
            len,
        }
    }

    #[test]
    fn slices_across_extents() {
        let extents = vec![ext("a", 0, 10), ext("b", 5, 10)];
        assert_eq!(
            slice_extents(&extents, 8, Some(5)).unwrap(),
            vec![ext("a", 8, 2), ext("b", 5, 3)]
        );
        assert_eq!(
            slice_extents(&extents, 12, None).unwrap(),
            vec![ext("b", 7, 8)]
        );
        assert_eq!(slice_extents(&extents, 20, None).unwrap(), vec![]);
        assert!(slice_extents(&extents, 21, None).is_none());
    }
}
