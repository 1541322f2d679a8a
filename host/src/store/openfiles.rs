//! Open blob files kept for small reads.
//!
//! A small GetObject would otherwise open and close its blob file on every
//! request, and those two system calls cost more than reading the bytes.
//! Blob files never change once written, so an open file can be read at any
//! offset by many requests at once; the committer forgets a file when it
//! deletes it.

use std::collections::HashMap;
use std::fs::File;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use super::blobfiles::{Extent, file_path, read_window};

/// How many files stay open; past it the set starts over.
const MAX_OPEN: usize = 128;

/// Committed blob files kept open, by file id.
pub struct OpenFiles {
    dir: PathBuf,
    files: Mutex<HashMap<String, Arc<File>>>,
}

impl OpenFiles {
    /// Files of the blob folder `dir`.
    pub fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            files: Mutex::new(HashMap::new()),
        }
    }

    fn get(&self, file: &str) -> std::io::Result<Arc<File>> {
        if let Some(f) = self.files.lock().unwrap().get(file) {
            return Ok(f.clone());
        }
        let f = Arc::new(File::open(file_path(&self.dir, file))?);
        let mut files = self.files.lock().unwrap();
        if files.len() >= MAX_OPEN {
            files.clear();
        }
        files.insert(file.to_string(), f.clone());
        Ok(f)
    }

    /// The bytes of committed extents, read through kept-open files.
    pub fn read(&self, extents: &[Extent]) -> std::io::Result<Vec<u8>> {
        read_window(extents, |file| self.get(file))
    }

    /// Closes a file that is about to be deleted.
    pub fn forget(&self, file: &str) {
        self.files.lock().unwrap().remove(file);
    }

    /// Closes every file (the whole state was replaced).
    pub fn forget_all(&self) {
        self.files.lock().unwrap().clear();
    }
}
