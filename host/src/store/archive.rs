//! State archives: the whole store, every table and every blob file, as one
//! tar file taken at a consistent point (one redb read snapshot), so a state
//! can be saved, moved to another machine and restored while a server runs.
//!
//! Layout: `manifest.json` (format and version), `tables.bin` (each table's
//! name and entries, length-prefixed) and `blobs/<file id>` (the blob files
//! the tables point into). A file of a newer version is refused with a
//! message naming both versions.

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition, TableHandle};
use serde::{Deserialize, Serialize};

use super::{BLOB_FILES, META, blobfiles};

/// The archive layout this build writes and reads.
pub const ARCHIVE_VERSION: u32 = 1;

/// What an archive says of itself.
#[derive(Serialize, Deserialize)]
struct Manifest {
    /// Always `ruststack-state`.
    format: String,
    /// The archive layout ([`ARCHIVE_VERSION`]).
    version: u32,
    /// The version of the server that wrote it.
    ruststack: String,
    /// When it was taken, ms since the epoch.
    exported_at_ms: u64,
}

/// How a table's keys and values are typed in redb.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    /// `&[u8]` → `&[u8]` (plugin kv, timers).
    Bytes,
    /// `&str` → `&[u8]` (blob records, host metadata).
    Text,
    /// `&str` → `u64` (blob file reference counts).
    Count,
}

fn kind_of(table: &str) -> Kind {
    match table {
        "host/blob-files" => Kind::Count,
        "host/blobs" | "host/meta" => Kind::Text,
        _ => Kind::Bytes,
    }
}

/// Writes the store as of one snapshot to `out`. `scratch` is a folder for
/// the table dump while it is written.
pub fn export(db: &Database, blob_dir: &Path, scratch: &Path, out: impl Write) -> Result<()> {
    let read = db.begin_read()?;
    let dump_path = scratch.join(format!("tables-{}.bin", super::random_hex(8)));
    let result = (|| {
        let mut dump = BufWriter::new(File::create(&dump_path)?);
        let mut names: Vec<String> = read.list_tables()?.map(|t| t.name().to_string()).collect();
        names.sort();
        for name in &names {
            write_chunk(&mut dump, b'T', name.as_bytes())?;
            match kind_of(name) {
                Kind::Bytes => {
                    let t = read.open_table(TableDefinition::<&[u8], &[u8]>::new(name))?;
                    for e in t.iter()? {
                        let (k, v) = e?;
                        write_entry(&mut dump, k.value(), v.value())?;
                    }
                }
                Kind::Text => {
                    let t = read.open_table(TableDefinition::<&str, &[u8]>::new(name))?;
                    for e in t.iter()? {
                        let (k, v) = e?;
                        write_entry(&mut dump, k.value().as_bytes(), v.value())?;
                    }
                }
                Kind::Count => {
                    let t = read.open_table(TableDefinition::<&str, u64>::new(name))?;
                    for e in t.iter()? {
                        let (k, v) = e?;
                        write_entry(&mut dump, k.value().as_bytes(), &v.value().to_be_bytes())?;
                    }
                }
            }
        }
        dump.write_all(b"Z")?;
        dump.into_inner().map_err(|e| e.into_error())?.sync_all()?;

        let mut tar = tar::Builder::new(out);
        let manifest = serde_json::to_vec_pretty(&Manifest {
            format: "ruststack-state".into(),
            version: ARCHIVE_VERSION,
            ruststack: env!("CARGO_PKG_VERSION").into(),
            exported_at_ms: super::now_ms(),
        })?;
        append(
            &mut tar,
            "manifest.json",
            manifest.len() as u64,
            &manifest[..],
        )?;
        let dump = File::open(&dump_path)?;
        append(&mut tar, "tables.bin", dump.metadata()?.len(), dump)?;
        let files = read.open_table(BLOB_FILES)?;
        for e in files.iter()? {
            let (id, _) = e?;
            let id = id.value();
            let path = blobfiles::file_path(blob_dir, id);
            let file = File::open(&path)
                .with_context(|| format!("opening blob file {}", path.display()))?;
            // The pack being appended to grows: take what it held when opened.
            let len = file.metadata()?.len();
            append(&mut tar, &format!("blobs/{id}"), len, file.take(len))?;
        }
        tar.into_inner()?.flush()?;
        Ok(())
    })();
    let _ = std::fs::remove_file(&dump_path);
    result
}

fn append(tar: &mut tar::Builder<impl Write>, path: &str, len: u64, data: impl Read) -> Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_size(len);
    header.set_mode(0o644);
    header.set_mtime(super::now_ms() / 1000);
    tar.append_data(&mut header, path, data)
        .with_context(|| format!("writing {path} to the archive"))
}

fn write_chunk(w: &mut impl Write, tag: u8, bytes: &[u8]) -> std::io::Result<()> {
    w.write_all(&[tag])?;
    w.write_all(&(bytes.len() as u32).to_be_bytes())?;
    w.write_all(bytes)
}

fn write_entry(w: &mut impl Write, key: &[u8], value: &[u8]) -> std::io::Result<()> {
    write_chunk(w, b'E', key)?;
    w.write_all(&(value.len() as u32).to_be_bytes())?;
    w.write_all(value)
}

/// Unpacks an archive into the new folder `staging`: `tables.bin` and
/// `blobs/`; refuses one that is not an archive or of a newer version.
pub fn unpack(input: impl Read, staging: &Path) -> Result<()> {
    std::fs::create_dir_all(staging.join("blobs"))?;
    let mut tar = tar::Archive::new(input);
    let mut manifest = None;
    for entry in tar.entries().context("not a state archive (a tar file)")? {
        let mut entry = entry.context("not a state archive (a tar file)")?;
        let path = entry.path()?.to_string_lossy().to_string();
        match path.as_str() {
            "manifest.json" => {
                let mut text = Vec::new();
                entry.read_to_end(&mut text)?;
                let m: Manifest = serde_json::from_slice(&text)
                    .context("the archive's manifest.json is not a state manifest")?;
                if m.format != "ruststack-state" {
                    bail!("not a ruststack state archive (format {:?})", m.format);
                }
                if m.version > ARCHIVE_VERSION {
                    bail!(
                        "the archive is state format {} (written by ruststack {}); this build reads format {ARCHIVE_VERSION} and older",
                        m.version,
                        m.ruststack
                    );
                }
                manifest = Some(m);
            }
            "tables.bin" => {
                entry.unpack(staging.join("tables.bin"))?;
            }
            p => match p.strip_prefix("blobs/") {
                Some(id) if is_file_id(id) => {
                    entry.unpack(staging.join("blobs").join(id))?;
                }
                _ => bail!("unexpected entry {p:?} in the state archive"),
            },
        }
    }
    if manifest.is_none() {
        bail!("not a state archive: no manifest.json");
    }
    if !staging.join("tables.bin").is_file() {
        bail!("the state archive has no tables.bin");
    }
    Ok(())
}

/// A blob file id as the store makes them (hex), so a path in an archive
/// cannot leave the blob folder.
fn is_file_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Replaces every table of `db` but the host's metadata with the staged
/// ones, in one write transaction, and moves the staged blob files into
/// `blob_dir`. Returns the plugin namespaces now stored. Run by the
/// committer, the store's one writer.
pub fn apply(db: &Database, blob_dir: &Path, staging: &Path) -> Result<Vec<String>> {
    let write = db.begin_write()?;
    let old: Vec<_> = write.list_tables()?.collect();
    for handle in old {
        if handle.name() != META.name() {
            write.delete_table(handle)?;
        }
    }
    let mut plugins = Vec::new();
    let mut dump = BufReader::new(File::open(staging.join("tables.bin"))?);
    let mut current: Option<String> = None;
    loop {
        let mut tag = [0u8; 1];
        dump.read_exact(&mut tag).context("tables.bin ends early")?;
        match tag[0] {
            b'Z' => break,
            b'T' => {
                let name = String::from_utf8(read_chunk(&mut dump)?)?;
                if let Some(p) = name.strip_prefix("kv/") {
                    plugins.push(p.to_string());
                }
                if name != META.name() {
                    // Created even when empty, as it was.
                    match kind_of(&name) {
                        Kind::Bytes => {
                            drop(write.open_table(TableDefinition::<&[u8], &[u8]>::new(&name))?)
                        }
                        Kind::Text => {
                            drop(write.open_table(TableDefinition::<&str, &[u8]>::new(&name))?)
                        }
                        Kind::Count => {
                            drop(write.open_table(TableDefinition::<&str, u64>::new(&name))?)
                        }
                    }
                }
                current = Some(name);
            }
            b'E' => {
                let key = read_chunk(&mut dump)?;
                let value = read_chunk(&mut dump)?;
                let Some(name) = current.as_deref() else {
                    bail!("tables.bin has an entry before any table");
                };
                if name == META.name() {
                    continue;
                }
                match kind_of(name) {
                    Kind::Bytes => {
                        write
                            .open_table(TableDefinition::<&[u8], &[u8]>::new(name))?
                            .insert(key.as_slice(), value.as_slice())?;
                    }
                    Kind::Text => {
                        let k = std::str::from_utf8(&key)?;
                        write
                            .open_table(TableDefinition::<&str, &[u8]>::new(name))?
                            .insert(k, value.as_slice())?;
                    }
                    Kind::Count => {
                        let k = std::str::from_utf8(&key)?;
                        let n = u64::from_be_bytes(
                            value.as_slice().try_into().context("a count is 8 bytes")?,
                        );
                        write
                            .open_table(TableDefinition::<&str, u64>::new(name))?
                            .insert(k, n)?;
                    }
                }
            }
            t => bail!("tables.bin is damaged (tag {t})"),
        }
    }
    // The blob files, moved in before the tables that point at them commit.
    for f in std::fs::read_dir(staging.join("blobs"))? {
        let f = f?;
        let id = f.file_name().to_string_lossy().to_string();
        let to = blobfiles::file_path(blob_dir, &id);
        std::fs::create_dir_all(to.parent().expect("blob path has a parent"))?;
        std::fs::rename(f.path(), &to)
            .or_else(|_| std::fs::copy(f.path(), &to).map(|_| ()))
            .with_context(|| format!("moving blob file {id} in"))?;
    }
    write.commit()?;
    Ok(plugins)
}

fn read_chunk(r: &mut impl Read) -> Result<Vec<u8>> {
    let mut len = [0u8; 4];
    r.read_exact(&mut len).context("tables.bin ends early")?;
    let mut bytes = vec![0u8; u32::from_be_bytes(len) as usize];
    r.read_exact(&mut bytes).context("tables.bin ends early")?;
    Ok(bytes)
}

/// A new staging folder for an archive being imported, beside `blob_dir`
/// (the same file system, so its blob files move in without a copy).
pub fn staging_dir(blob_dir: &Path) -> PathBuf {
    let parent = blob_dir.parent().unwrap_or(blob_dir);
    parent.join(format!("import-{}", super::random_hex(8)))
}
