//! Request bodies of object writes, as blobs: plain bodies are kept as they
//! arrived; `aws-chunked` bodies (`STREAMING-*` payloads, the default of
//! current AWS CLIs and SDKs) are unframed by reading only the chunk headers
//! and composing the chunk data slices into a new blob, so no data byte is
//! copied or held in memory. Trailing checksums are returned.

use ruststack_sdk::protocol::aws_chunked;
use ruststack_sdk::{AwsError, BlobSlice, Body, Request, blobs};

/// An uploaded body.
pub struct Ingested {
    /// The blob holding the payload bytes.
    pub blob: String,
    /// Payload length.
    pub size: u64,
    /// Trailing headers (`x-amz-checksum-crc32`, ...), lower-case names.
    pub trailers: Vec<(String, String)>,
}

fn io() -> AwsError {
    AwsError::internal_failure()
}

fn incomplete() -> AwsError {
    aws_chunked::incomplete_body()
}

/// Whether the request body uses aws-chunked framing.
pub fn is_chunked(req: &Request) -> bool {
    req.header("content-encoding")
        .is_some_and(|c| c.split(',').any(|p| p.trim() == "aws-chunked"))
        || req
            .header("x-amz-content-sha256")
            .is_some_and(|v| v.starts_with("STREAMING-"))
}

/// Source of framed bytes: an in-memory body or a blob read in ranges.
enum Src<'a> {
    Mem(&'a [u8]),
    Blob(&'a str, u64, u64),
}

impl Src<'_> {
    fn len(&self) -> u64 {
        match self {
            Src::Mem(b) => b.len() as u64,
            Src::Blob(_, _, len) => *len,
        }
    }

    fn read(&self, at: u64, n: u32) -> Result<Vec<u8>, AwsError> {
        match self {
            Src::Mem(b) => {
                let s = usize::try_from(at).unwrap_or(usize::MAX).min(b.len());
                let e = s.saturating_add(n as usize).min(b.len());
                Ok(b[s..e].to_vec())
            }
            Src::Blob(id, off, len) => {
                let n = (n as u64).min(len.saturating_sub(at)) as u32;
                if n == 0 {
                    return Ok(Vec::new());
                }
                let from = off.checked_add(at).ok_or_else(incomplete)?;
                blobs::read(id, from, n).map_err(|_| io())
            }
        }
    }

    /// The line starting at `at` (without CRLF) and the offset after it.
    /// Reads at most one line's worth ([`aws_chunked::MAX_LINE`] + CRLF).
    fn line(&self, at: u64) -> Result<(Vec<u8>, u64), AwsError> {
        let mut buf = self.read(at, aws_chunked::MAX_LINE as u32 + 2)?;
        let end = buf
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or_else(incomplete)?;
        buf.truncate(end);
        let next = at.checked_add(end as u64 + 2).ok_or_else(incomplete)?;
        Ok((buf, next))
    }
}

/// Takes the request body as a blob: kept as is, unframed, or written from
/// inline bytes. The caller owns the returned blob.
pub fn ingest(req: &Request) -> Result<Ingested, AwsError> {
    let chunked = is_chunked(req);
    match &req.body {
        Body::Empty => {
            let blob = blobs::create().map_err(|_| io())?;
            Ok(Ingested {
                blob,
                size: 0,
                trailers: Vec::new(),
            })
        }
        Body::Bytes(b) if !chunked => {
            let blob = blobs::create().map_err(|_| io())?;
            blobs::append(&blob, b).map_err(|_| io())?;
            Ok(Ingested {
                blob,
                size: b.len() as u64,
                trailers: Vec::new(),
            })
        }
        Body::Bytes(b) => {
            let (slices, trailers) = unframe(&Src::Mem(b))?;
            let blob = blobs::create().map_err(|_| io())?;
            let mut size = 0;
            for (at, len) in slices {
                // unframe keeps every slice inside the body.
                blobs::append(&blob, &b[at as usize..(at + len) as usize]).map_err(|_| io())?;
                size += len;
            }
            Ok(Ingested {
                blob,
                size,
                trailers,
            })
        }
        Body::Blob(s) => {
            let total = match s.length {
                Some(l) => l,
                None => blobs::size(&s.blob).map_err(|_| io())? - s.offset,
            };
            if !chunked && s.offset == 0 {
                blobs::keep(&s.blob).map_err(|_| io())?;
                return Ok(Ingested {
                    blob: s.blob.clone(),
                    size: total,
                    trailers: Vec::new(),
                });
            }
            let (slices, trailers) = if chunked {
                unframe(&Src::Blob(&s.blob, s.offset, total))?
            } else {
                (vec![(0, total)], Vec::new())
            };
            let parts: Vec<BlobSlice> = slices
                .iter()
                .map(|&(at, len)| BlobSlice {
                    blob: s.blob.clone(),
                    offset: s.offset + at,
                    length: Some(len),
                })
                .collect();
            let size = slices.iter().map(|(_, l)| l).sum();
            // The composed blob shares the upload's file; the host keeps that
            // file for it, and the framed upload itself is dropped.
            let blob = blobs::compose(&parts).map_err(|_| io())?;
            Ok(Ingested {
                blob,
                size,
                trailers,
            })
        }
    }
}

type Unframed = (Vec<(u64, u64)>, Vec<(String, String)>);

/// Walks the chunk headers: `<hex size>[;chunk-signature=..]\r\n<data>\r\n`
/// up to a zero-size chunk, then trailer lines up to an empty line. Returns
/// the data ranges and the trailers. Lines are parsed by
/// [`aws_chunked`] (the same parser the host's signature verifier uses); a
/// chunk size beyond the bytes left answers `IncompleteBody` at once (all
/// offsets use checked arithmetic, so a size near 2^64 cannot wrap), a
/// trailer line that is not `name:value` answers `MalformedTrailerError`.
fn unframe(src: &Src) -> Result<Unframed, AwsError> {
    let total = src.len();
    let mut at = 0u64;
    let mut slices = Vec::new();
    loop {
        let (line, next) = src.line(at)?;
        let size = aws_chunked::parse_chunk_header(&line)
            .map_err(|_| incomplete())?
            .size;
        at = next;
        if size == 0 {
            break;
        }
        let end = at
            .checked_add(size)
            .filter(|&end| end <= total)
            .ok_or_else(incomplete)?;
        slices.push((at, size));
        at = end;
        // CRLF after the data.
        if src.read(at, 2)? == b"\r\n" {
            at = at.checked_add(2).ok_or_else(incomplete)?;
        }
    }
    let mut trailers = Vec::new();
    while at < total {
        let Ok((line, next)) = src.line(at) else {
            break;
        };
        at = next;
        if line.is_empty() {
            break;
        }
        let (k, v) = aws_chunked::parse_trailer(&line)?;
        trailers.push((k.to_ascii_lowercase(), v.to_string()));
    }
    Ok((slices, trailers))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unframes_signed_and_unsigned_chunks_with_trailers() {
        let body = b"5;chunk-signature=abc\r\nhello\r\n3;chunk-signature=d\r\n wo\r\n0;chunk-signature=e\r\nx-amz-checksum-crc32:AAAAAA==\r\nx-amz-trailer-signature:f\r\n\r\n";
        let (slices, trailers) = unframe(&Src::Mem(body)).unwrap();
        let data: Vec<u8> = slices
            .iter()
            .flat_map(|&(a, l)| body[a as usize..(a + l) as usize].to_vec())
            .collect();
        assert_eq!(data, b"hello wo");
        assert_eq!(
            trailers[0],
            ("x-amz-checksum-crc32".into(), "AAAAAA==".into())
        );
        let (slices, _) = unframe(&Src::Mem(b"0\r\n\r\n")).unwrap();
        assert!(slices.is_empty());
        assert!(unframe(&Src::Mem(b"zz\r\n")).is_err());
        assert!(unframe(&Src::Mem(b"10\r\nshort")).is_err());
    }

    #[test]
    fn huge_chunk_size_is_an_incomplete_body_at_once() {
        // at + size used to wrap around 2^64 and loop forever.
        for body in [
            &b"ffffffffffffffee\r\nhello\r\n0\r\n\r\n"[..],
            b"ffffffffffffffff;chunk-signature=ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648\r\nx\r\n",
            b"5\r\nhello\r\nfffffffffffffffa\r\n",
        ] {
            let Err(err) = unframe(&Src::Mem(body)) else {
                panic!("{body:?} was accepted")
            };
            assert_eq!(err.code, "IncompleteBody");
            assert_eq!(err.message, "The request body terminated unexpectedly");
        }
        // More than 16 hex digits is not a size at all.
        let err = unframe(&Src::Mem(b"10000000000000000\r\n")).err().unwrap();
        assert_eq!(err.code, "IncompleteBody");
    }

    #[test]
    fn malformed_trailer_line_is_refused() {
        let err = unframe(&Src::Mem(b"0\r\nno-colon-here\r\n\r\n"))
            .err()
            .unwrap();
        assert_eq!(err.code, "MalformedTrailerError");
    }
}
