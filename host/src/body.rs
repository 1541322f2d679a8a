//! Request bodies in, response bodies out.
//!
//! Small bodies stay in memory; a body past [`SPILL_AT`] streams to a blob file
//! as it arrives, hashing it on the way, so a multi-GB upload never sits in
//! memory. Blob response bodies stream from their files.

use std::fs::File;
use std::io::{Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;

use axum::body::Body as AxumBody;
use futures_util::StreamExt;
use http_body_util::BodyExt;
use md5::{Digest, Md5};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::store::{IncomingBody, blob_file_path, random_hex};

/// Bodies longer than this always go to a blob file.
pub const SPILL_AT: usize = 1024 * 1024;

/// A received request body.
pub enum Received {
    /// Short enough to keep in memory.
    Memory(Vec<u8>),
    /// Written to a blob file.
    Blob(Arc<IncomingBody>),
}

impl Received {
    /// Deletes the body's file, if it was spilled to one: for a request
    /// refused before any plugin could keep it.
    pub fn discard(&self, blob_dir: &Path) {
        if let Received::Blob(inc) = self {
            discard_unless_kept(inc, blob_dir);
        }
    }

    /// Length in bytes.
    pub fn len(&self) -> u64 {
        match self {
            Received::Memory(b) => b.len() as u64,
            Received::Blob(inc) => inc.len,
        }
    }
}

/// Why a body was not received.
#[derive(Debug, thiserror::Error)]
pub enum ReceiveError {
    /// It grew past the limit it was read with; the rest was not read.
    #[error("the body is longer than allowed")]
    TooLarge,
    /// The connection or the disk failed.
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

impl From<std::io::Error> for ReceiveError {
    fn from(e: std::io::Error) -> Self {
        ReceiveError::Failed(e.into())
    }
}

/// Reads a request body, spilling to a blob file once it grows past
/// `spill_at` bytes (at most [`SPILL_AT`]), and stops (removing what it
/// spilled) once it grows past `max` bytes.
pub async fn receive(
    body: AxumBody,
    blob_dir: &Path,
    spill_at: usize,
    max: Option<u64>,
) -> Result<Received, ReceiveError> {
    let spill_at = spill_at.min(SPILL_AT);
    let mut body = body;
    let mut buf: Vec<u8> = Vec::new();
    let mut spill: Option<(tokio::fs::File, String, Md5, u64)> = None;
    let mut seen: u64 = 0;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| ReceiveError::Failed(e.into()))?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        seen += data.len() as u64;
        if max.is_some_and(|m| seen > m) {
            if let Some((_, id, _, _)) = spill {
                let _ = tokio::fs::remove_file(blob_file_path(blob_dir, &id)).await;
            }
            return Err(ReceiveError::TooLarge);
        }
        match &mut spill {
            Some((file, _, md5, len)) => {
                md5.update(&data);
                *len += data.len() as u64;
                file.write_all(&data).await?;
            }
            None => {
                buf.extend_from_slice(&data);
                if buf.len() > spill_at {
                    let (mut file, id) = new_file(blob_dir).await?;
                    let mut md5 = Md5::new();
                    md5.update(&buf);
                    file.write_all(&buf).await?;
                    let len = buf.len() as u64;
                    buf = Vec::new();
                    spill = Some((file, id, md5, len));
                }
            }
        }
    }
    match spill {
        None => Ok(Received::Memory(buf)),
        Some((mut file, id, md5, len)) => {
            file.flush().await?;
            Ok(Received::Blob(incoming(id, len, md5)))
        }
    }
}

/// Streams a request body into the file `path` (an uploaded state archive),
/// never holding more than a frame in memory.
pub async fn save_to_file(body: AxumBody, path: &Path) -> anyhow::Result<()> {
    let mut body = body;
    let mut file = tokio::fs::File::create(path).await?;
    while let Some(frame) = body.frame().await {
        if let Ok(data) = frame?.into_data() {
            file.write_all(&data).await?;
        }
    }
    file.flush().await?;
    Ok(())
}

/// Writes an in-memory body to a blob file (for plugins that want blobs).
pub async fn to_blob(bytes: &[u8], blob_dir: &Path) -> anyhow::Result<Arc<IncomingBody>> {
    let (mut file, id) = new_file(blob_dir).await?;
    file.write_all(bytes).await?;
    file.flush().await?;
    let mut md5 = Md5::new();
    md5.update(bytes);
    Ok(incoming(id, bytes.len() as u64, md5))
}

fn incoming(file: String, len: u64, md5: Md5) -> Arc<IncomingBody> {
    Arc::new(IncomingBody {
        blob_id: random_hex(16),
        file,
        len,
        md5: hex::encode(md5.finalize()),
        kept: Default::default(),
    })
}

async fn new_file(blob_dir: &Path) -> anyhow::Result<(tokio::fs::File, String)> {
    let id = random_hex(16);
    let path = blob_file_path(blob_dir, &id);
    tokio::fs::create_dir_all(path.parent().expect("blob path has a parent")).await?;
    Ok((tokio::fs::File::create(&path).await?, id))
}

/// Deletes an incoming body's file unless a committed call kept it.
pub fn discard_unless_kept(inc: &IncomingBody, blob_dir: &Path) {
    if !inc.kept.load(std::sync::atomic::Ordering::Acquire) {
        let _ = std::fs::remove_file(blob_file_path(blob_dir, &inc.file));
    }
}

/// Blob bodies up to this size are read into memory and sent in one piece.
pub const SMALL_BODY: u64 = 64 * 1024;

/// A body streamed from ranges of already opened blob files, 256 KiB at a time.
pub fn stream_files(files: Vec<(File, u64, u64)>) -> AxumBody {
    let stream = futures_util::stream::iter(files)
        .then(|(mut f, offset, len)| async move {
            f.seek(SeekFrom::Start(offset))?;
            let reader = tokio::fs::File::from_std(f).take(len);
            let capacity = (len as usize).clamp(8 * 1024, 256 * 1024);
            Ok::<_, std::io::Error>(tokio_util::io::ReaderStream::with_capacity(
                reader, capacity,
            ))
        })
        .flat_map(|r| match r {
            Ok(s) => s.boxed(),
            Err(e) => futures_util::stream::once(async move { Err(e) }).boxed(),
        });
    AxumBody::from_stream(stream)
}
