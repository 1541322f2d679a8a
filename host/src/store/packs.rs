//! Pack files: small blobs share one append-only file.
//!
//! A file per small blob costs an inode, a directory entry and (when durable)
//! a disk sync per object, which is most of what a small S3 PutObject costs.
//! Blobs of at most [`PACKED_MAX`] bytes are therefore kept in memory by the
//! call and appended by the committer, the only writer, to the active pack
//! file; a durable store syncs the pack once per batch. A pack is an
//! ordinary blob file to everything else: extents point into it and it is
//! deleted once no extent does, except while it is still being appended to
//! (it is checked again when it is sealed).

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

use super::blobfiles::{Extent, file_path};
use super::random_hex;

/// Blobs up to this many bytes are packed.
pub const PACKED_MAX: usize = 64 * 1024;

/// A pack is sealed once it holds this many bytes.
const PACK_SIZE: u64 = 16 * 1024 * 1024;

/// The committer's active pack.
pub struct Packer {
    dir: PathBuf,
    /// Sync the pack before a commit points into it (durable stores).
    durable: bool,
    active: Option<Active>,
    /// The active pack got bytes since the last [`Packer::sync`].
    dirty: bool,
}

struct Active {
    id: String,
    file: File,
    len: u64,
}

impl Packer {
    /// Packs in the blob folder `dir`, synced when `durable`.
    pub fn new(dir: PathBuf, durable: bool) -> Self {
        Self {
            dir,
            durable,
            active: None,
            dirty: false,
        }
    }

    /// Whether `file` is the pack being appended to (not to be deleted yet).
    pub fn is_active(&self, file: &str) -> bool {
        self.active.as_ref().is_some_and(|a| a.id == file)
    }

    /// Appends `bytes`, returning where they are and the pack sealed to make
    /// room, if any (the caller deletes it when nothing points into it).
    pub fn append(&mut self, bytes: &[u8]) -> std::io::Result<(Extent, Option<String>)> {
        let mut sealed = None;
        if self
            .active
            .as_ref()
            .is_some_and(|a| a.len + bytes.len() as u64 > PACK_SIZE)
        {
            self.sync()?;
            sealed = self.active.take().map(|a| a.id);
        }
        let active = match &mut self.active {
            Some(a) => a,
            None => {
                let id = random_hex(16);
                let path = file_path(&self.dir, &id);
                std::fs::create_dir_all(path.parent().expect("blob path has a parent"))?;
                let file = File::create(&path)?;
                self.active.insert(Active { id, file, len: 0 })
            }
        };
        active.file.write_all_at(bytes, active.len)?;
        let extent = Extent {
            file: active.id.clone(),
            offset: active.len,
            len: bytes.len() as u64,
        };
        active.len += bytes.len() as u64;
        self.dirty |= !bytes.is_empty();
        Ok((extent, sealed))
    }

    /// Syncs what was appended to the disk, before the commit that points
    /// into it; nothing unless the store is durable (buffered stores leave
    /// it to the operating system, as they do every other blob file).
    pub fn sync(&mut self) -> std::io::Result<()> {
        if self.durable
            && self.dirty
            && let Some(a) = &self.active
        {
            a.file.sync_data()?;
        }
        self.dirty = false;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_then_seals_a_full_pack() {
        let dir = std::env::temp_dir().join(format!("packs-{}", random_hex(6)));
        let mut p = Packer::new(dir.clone(), true);
        let (a, sealed) = p.append(b"hello").unwrap();
        assert!(sealed.is_none());
        let (b, _) = p.append(b"world!").unwrap();
        assert_eq!((a.file.as_str(), a.offset, a.len), (b.file.as_str(), 0, 5));
        assert_eq!((b.offset, b.len), (5, 6));
        assert!(p.is_active(&a.file));
        let big = vec![7u8; PACK_SIZE as usize];
        let (c, sealed) = p.append(&big).unwrap();
        assert_eq!(sealed.as_deref(), Some(a.file.as_str()));
        assert_ne!(c.file, a.file);
        assert!(!p.is_active(&a.file));
        let bytes = std::fs::read(file_path(&dir, &a.file)).unwrap();
        assert_eq!(bytes, b"helloworld!");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
