//! The `aws-chunked` content encoding: parsing of its lines, shared by the
//! host's signature verifier (which checks the chunk signatures while a body
//! streams in) and the S3 plugin (which unframes the stored body), so both
//! accept and refuse exactly the same framing.
//!
//! A framed body is a series of chunks, each
//! `<hex size>[;chunk-signature=<64 hex>]\r\n<size bytes>\r\n`, ending with a
//! zero-size chunk; then either an empty line, or (for the `-TRAILER` payload
//! variants) trailer lines `name:value\r\n` ended by an empty line.
//!
//! Only single lines are parsed here: readers find the line ends themselves
//! and must not buffer more than [`MAX_LINE`] bytes looking for one, so a
//! body of gigabytes never makes them hold more than one line. A parsed chunk
//! size is only bounded by `u64`: callers compare it with the bytes left using
//! checked arithmetic (`at.checked_add(size)`), never `at + size`.

use crate::AwsError;

/// The longest chunk-header or trailer line (without its CRLF) a reader has
/// to buffer. A signed chunk header is at most 97 bytes and trailer lines
/// carry short checksums, so anything longer is malformed framing.
pub const MAX_LINE: usize = 4096;

/// The name of the trailer line that carries the trailer signature.
pub const TRAILER_SIGNATURE: &str = "x-amz-trailer-signature";

/// A parsed chunk header line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkHeader<'a> {
    /// Number of data bytes in the chunk; 0 marks the final chunk.
    pub size: u64,
    /// The `chunk-signature` extension (64 hex digits from real signers),
    /// present in the signed payload variants.
    pub signature: Option<&'a str>,
}

/// Why a line is not valid aws-chunked framing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FramingError {
    /// A chunk header that is not `<hex size>[;chunk-signature=<hex>]`
    /// (S3 answers [`incomplete_body`]).
    ChunkHeader,
    /// A trailer line that is not `name:value` (S3 answers
    /// [`malformed_trailer`]).
    Trailer,
}

impl std::fmt::Display for FramingError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FramingError::ChunkHeader => f.write_str("malformed aws-chunked chunk header"),
            FramingError::Trailer => f.write_str("malformed aws-chunked trailer line"),
        }
    }
}

impl std::error::Error for FramingError {}

impl From<FramingError> for AwsError {
    fn from(e: FramingError) -> Self {
        match e {
            FramingError::ChunkHeader => incomplete_body(),
            FramingError::Trailer => malformed_trailer(),
        }
    }
}

/// 400 `IncompleteBody`: what S3 answers for malformed framing or a chunk
/// that claims more bytes than the body holds.
pub fn incomplete_body() -> AwsError {
    AwsError::client("IncompleteBody", "The request body terminated unexpectedly")
}

/// 400 `MalformedTrailerError`: what S3 answers for trailer lines that do not
/// parse.
pub fn malformed_trailer() -> AwsError {
    AwsError::client(
        "MalformedTrailerError",
        "The request contained trailing data that was not well-formed or did not conform to our published schema.",
    )
}

fn is_hex(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Parses a chunk header line (without its CRLF):
/// `<hex size>[;chunk-signature=<hex>]`. The size has 1 to 16 hex digits
/// (so it always fits a `u64`); spaces or tabs around it are tolerated; any
/// other extension, or a line over [`MAX_LINE`] bytes, is an error. The
/// signature is returned if it has 1 to 64 hex digits: readers that only
/// unframe ignore it, and a verifier requires exactly 64 (a real HMAC-SHA256
/// in hex) before comparing.
pub fn parse_chunk_header(line: &[u8]) -> Result<ChunkHeader<'_>, FramingError> {
    if line.len() > MAX_LINE {
        return Err(FramingError::ChunkHeader);
    }
    let line = std::str::from_utf8(line).map_err(|_| FramingError::ChunkHeader)?;
    let (size, ext) = match line.split_once(';') {
        Some((size, ext)) => (size, Some(ext)),
        None => (line, None),
    };
    let size = size.trim_matches([' ', '\t']);
    if size.is_empty() || size.len() > 16 || !is_hex(size) {
        return Err(FramingError::ChunkHeader);
    }
    let size = u64::from_str_radix(size, 16).map_err(|_| FramingError::ChunkHeader)?;
    let signature = match ext {
        None => None,
        Some(ext) => {
            let sig = ext
                .trim_matches([' ', '\t'])
                .strip_prefix("chunk-signature=")
                .ok_or(FramingError::ChunkHeader)?;
            if sig.is_empty() || sig.len() > 64 || !is_hex(sig) {
                return Err(FramingError::ChunkHeader);
            }
            Some(sig)
        }
    };
    Ok(ChunkHeader { size, signature })
}

/// Parses a trailer line (without its CRLF): `name:value`. The name must be
/// a non-empty HTTP token; the value is returned without surrounding spaces
/// or tabs and must hold no control characters. Names are returned as sent:
/// compare them case-insensitively.
pub fn parse_trailer(line: &[u8]) -> Result<(&str, &str), FramingError> {
    if line.len() > MAX_LINE {
        return Err(FramingError::Trailer);
    }
    let line = std::str::from_utf8(line).map_err(|_| FramingError::Trailer)?;
    let (name, value) = line.split_once(':').ok_or(FramingError::Trailer)?;
    let token = |b: u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b);
    if name.is_empty() || !name.bytes().all(token) {
        return Err(FramingError::Trailer);
    }
    let value = value.trim_matches([' ', '\t']);
    if value.chars().any(char::is_control) {
        return Err(FramingError::Trailer);
    }
    Ok((name, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIG: &str = "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648";

    #[test]
    fn chunk_headers() {
        assert_eq!(
            parse_chunk_header(b"10000"),
            Ok(ChunkHeader {
                size: 0x10000,
                signature: None
            })
        );
        let line = format!("400;chunk-signature={SIG}");
        assert_eq!(
            parse_chunk_header(line.as_bytes()),
            Ok(ChunkHeader {
                size: 1024,
                signature: Some(SIG)
            })
        );
        assert_eq!(
            parse_chunk_header(b"5;chunk-signature=abc").map(|h| h.signature),
            Ok(Some("abc"))
        );
        assert_eq!(
            parse_chunk_header(b"ffffffffffffffff").map(|h| h.size),
            Ok(u64::MAX)
        );
        for bad in [
            &b""[..],
            b";chunk-signature=ab",
            b"zz",
            b"-1",
            b"+1",
            b"10000000000000000",
            b"5;chunk-signature=xyz",
            b"5;chunk-signature=00000000000000000000000000000000000000000000000000000000000000000",
            b"5;other=1",
            b"5;chunk-signature=",
            b"5\r",
        ] {
            assert_eq!(
                parse_chunk_header(bad),
                Err(FramingError::ChunkHeader),
                "{bad:?}"
            );
        }
        let long = vec![b'0'; MAX_LINE + 1];
        assert!(parse_chunk_header(&long).is_err());
    }

    #[test]
    fn trailers() {
        assert_eq!(
            parse_trailer(b"x-amz-checksum-crc32c:sOO8/Q=="),
            Ok(("x-amz-checksum-crc32c", "sOO8/Q=="))
        );
        assert_eq!(parse_trailer(b"X-Meta: a b "), Ok(("X-Meta", "a b")));
        assert_eq!(parse_trailer(b"x-empty:"), Ok(("x-empty", "")));
        for bad in [&b"novalue"[..], b":v", b"a b:v", b"a:\x01", b"a:\xff"] {
            assert_eq!(parse_trailer(bad), Err(FramingError::Trailer), "{bad:?}");
        }
    }

    #[test]
    fn errors_map_to_s3_codes() {
        assert_eq!(
            AwsError::from(FramingError::ChunkHeader).code,
            "IncompleteBody"
        );
        assert_eq!(
            AwsError::from(FramingError::Trailer).code,
            "MalformedTrailerError"
        );
    }
}
