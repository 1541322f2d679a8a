//! Verification of aws-chunked bodies with signed chunks
//! (`STREAMING-AWS4-HMAC-SHA256-PAYLOAD[-TRAILER]`), incrementally, as the
//! body streams in.

use ruststack_protocol::aws_chunked::{self, MAX_LINE, TRAILER_SIGNATURE};
use sha2::{Digest, Sha256};

use crate::canonical::{EMPTY_SHA256, hmac256, same, sha256_hex};
use crate::{AuthError, Dialect, Payload};

/// Most bytes of trailers (canonical form) kept for the trailer signature.
const MAX_TRAILERS: usize = 16 * 1024;

/// The largest chunk that can be real: S3 takes at most 5 GiB in one PUT,
/// so a bigger size is refused at once even when the request announced no
/// length to compare it with.
const MAX_CHUNK: u64 = 5 << 30;

/// What the chunk signatures chain from: the request's signing key, time,
/// scope and signature (the "seed").
#[derive(Clone)]
pub(crate) struct ChunkSeed {
    pub dialect: Dialect,
    pub access_key: String,
    pub key: [u8; 32],
    pub timestamp: String,
    pub scope: String,
    pub seed: String,
    pub trailer: bool,
    /// `Content-Length` of the framed body, when sent.
    pub framed_len: Option<u64>,
    /// `x-amz-decoded-content-length`, when sent.
    pub decoded_len: Option<u64>,
}

impl std::fmt::Debug for ChunkSeed {
    /// Everything but the signing key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChunkSeed")
            .field("access_key", &self.access_key)
            .field("timestamp", &self.timestamp)
            .field("scope", &self.scope)
            .field("seed", &self.seed)
            .field("trailer", &self.trailer)
            .field("framed_len", &self.framed_len)
            .field("decoded_len", &self.decoded_len)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading a chunk header line.
    Header,
    /// Hashing chunk data.
    Data,
    /// Expecting the `\r` after chunk data.
    DataCr,
    /// Expecting the `\n` after chunk data.
    DataLf,
    /// After the final chunk without trailers: expecting the empty line.
    End,
    /// Reading trailer lines.
    Trailer,
    /// The body is complete: nothing more may follow.
    Done,
}

/// Checks an aws-chunked body's chunk signatures (and, for the `-TRAILER`
/// variant, the trailer signature) as the bytes arrive, in pieces of any
/// size.
///
/// Each chunk's signature signs `AWS4-HMAC-SHA256-PAYLOAD`, the request
/// time and scope, the previous signature (the request's for the first
/// chunk), the hash of nothing and the hash of the chunk data; the trailer
/// signature signs `AWS4-HMAC-SHA256-TRAILER`, time, scope, the final
/// chunk's signature and the hash of the trailers (`name:value\n` each).
///
/// Memory stays bounded whatever the body size: data bytes are hashed as
/// they pass, and only the current header or trailer line is buffered
/// (refused past [`aws_chunked::MAX_LINE`]). Framing errors are reported
/// at the byte that shows them: a size beyond `Content-Length`,
/// `x-amz-decoded-content-length` or 5 GiB (S3's largest single upload) as
/// soon as its header line ends. The
/// first error is final: later calls repeat it.
#[derive(Debug, Clone)]
pub struct ChunkVerifier {
    seed: ChunkSeed,
    previous: String,
    state: State,
    line: Vec<u8>,
    remaining: u64,
    hasher: Sha256,
    expected: String,
    /// Framed bytes consumed so far.
    pos: u64,
    decoded_left: Option<u64>,
    trailers: Vec<(String, String)>,
    trailers_len: usize,
    trailer_signature: Option<String>,
    failed: Option<AuthError>,
}

impl ChunkVerifier {
    pub(crate) fn new(seed: ChunkSeed) -> Self {
        ChunkVerifier {
            previous: seed.seed.clone(),
            pos: 0,
            decoded_left: seed.decoded_len,
            seed,
            state: State::Header,
            line: Vec::new(),
            remaining: 0,
            hasher: Sha256::new(),
            expected: String::new(),
            trailers: Vec::new(),
            trailers_len: 0,
            trailer_signature: None,
            failed: None,
        }
    }

    /// Feeds the next bytes of the framed body. Fails at once on a chunk
    /// whose signature does not match (403 `SignatureDoesNotMatch`), on
    /// malformed framing or a size beyond the body (400 `IncompleteBody`),
    /// on a malformed trailer (400 `MalformedTrailerError`).
    pub fn feed(&mut self, bytes: &[u8]) -> Result<(), AuthError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let result = self.feed_inner(bytes);
        if let Err(e) = &result {
            self.failed = Some(e.clone());
        }
        result
    }

    /// Ends the body: fails with 400 `IncompleteBody` unless the final chunk
    /// (and trailers) arrived complete.
    pub fn finish(self) -> Result<(), AuthError> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        if self.state == State::Done {
            Ok(())
        } else if self.state == State::Trailer {
            Err(AuthError::malformed_trailer())
        } else {
            Err(AuthError::incomplete_body())
        }
    }

    /// Runs a whole received body through the verifier: from memory, or
    /// streamed from the file it was spilled to.
    pub fn verify_payload(mut self, payload: Payload) -> Result<(), AuthError> {
        match payload {
            Payload::Bytes(b) => self.feed(b)?,
            Payload::File(path) => {
                use std::io::Read;
                let mut file = std::fs::File::open(path).map_err(|e| AuthError::io(&e))?;
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    match file.read(&mut buf) {
                        Ok(0) => break,
                        Ok(n) => self.feed(&buf[..n])?,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(AuthError::io(&e)),
                    }
                }
            }
        }
        self.finish()
    }

    fn feed_inner(&mut self, mut bytes: &[u8]) -> Result<(), AuthError> {
        if let Some(len) = self.seed.framed_len
            && self.pos.saturating_add(bytes.len() as u64) > len
        {
            // More bytes than Content-Length announced.
            return Err(AuthError::incomplete_body());
        }
        while !bytes.is_empty() {
            let before = bytes.len();
            self.step(&mut bytes)?;
            self.pos += (before - bytes.len()) as u64;
        }
        Ok(())
    }

    /// Consumes bytes from the front of `bytes` for the current state (at
    /// most up to the end of a line or of chunk data).
    fn step(&mut self, bytes: &mut &[u8]) -> Result<(), AuthError> {
        match self.state {
            State::Header | State::End | State::Trailer => {
                let newline = bytes.iter().position(|&b| b == b'\n');
                let take = newline.map_or(bytes.len(), |i| i + 1);
                if self.line.len() + take > MAX_LINE + 2 {
                    return Err(self.line_error());
                }
                self.line.extend_from_slice(&bytes[..take]);
                *bytes = &bytes[take..];
                if newline.is_some() {
                    self.pos += take as u64;
                    let mut line = std::mem::take(&mut self.line);
                    if !line.ends_with(b"\r\n") {
                        return Err(self.line_error());
                    }
                    line.truncate(line.len() - 2);
                    let result = self.on_line(&line);
                    self.pos -= take as u64;
                    result?;
                }
            }
            State::Data => {
                let n = usize::try_from(self.remaining)
                    .unwrap_or(usize::MAX)
                    .min(bytes.len());
                self.hasher.update(&bytes[..n]);
                *bytes = &bytes[n..];
                self.remaining -= n as u64;
                if self.remaining == 0 {
                    let hash = hex::encode(std::mem::take(&mut self.hasher).finalize());
                    self.check_chunk(&hash)?;
                    self.state = State::DataCr;
                }
            }
            State::DataCr | State::DataLf => {
                let want = if self.state == State::DataCr {
                    b'\r'
                } else {
                    b'\n'
                };
                if bytes[0] != want {
                    return Err(AuthError::incomplete_body());
                }
                *bytes = &bytes[1..];
                self.state = if self.state == State::DataCr {
                    State::DataLf
                } else {
                    State::Header
                };
            }
            State::Done => return Err(AuthError::incomplete_body()),
        }
        Ok(())
    }

    fn line_error(&self) -> AuthError {
        if self.state == State::Trailer {
            AuthError::malformed_trailer()
        } else {
            AuthError::incomplete_body()
        }
    }

    fn on_line(&mut self, line: &[u8]) -> Result<(), AuthError> {
        match self.state {
            State::Header => self.on_header(line),
            State::End if line.is_empty() => {
                self.state = State::Done;
                Ok(())
            }
            State::End => Err(AuthError::incomplete_body()),
            State::Trailer if line.is_empty() => self.on_trailers_end(),
            State::Trailer => self.on_trailer(line),
            _ => unreachable!("lines are only read in line states"),
        }
    }

    fn on_header(&mut self, line: &[u8]) -> Result<(), AuthError> {
        let header =
            aws_chunked::parse_chunk_header(line).map_err(|_| AuthError::incomplete_body())?;
        let signature = header
            .signature
            .filter(|s| s.len() == 64)
            .ok_or_else(AuthError::incomplete_body)?;
        let size = header.size;
        if size > MAX_CHUNK {
            return Err(AuthError::incomplete_body());
        }
        // The data and its CRLF must fit in what is left of the body
        // (`pos` is just past this header line).
        if let Some(len) = self.seed.framed_len
            && size
                .checked_add(2)
                .is_none_or(|need| need > len.saturating_sub(self.pos))
        {
            return Err(AuthError::incomplete_body());
        }
        if let Some(left) = self.decoded_left {
            self.decoded_left = Some(
                left.checked_sub(size)
                    .ok_or_else(AuthError::incomplete_body)?,
            );
        }
        self.expected = signature.to_string();
        if size == 0 {
            if self.decoded_left.is_some_and(|left| left != 0) {
                return Err(AuthError::incomplete_body());
            }
            self.check_chunk(EMPTY_SHA256)?;
            self.state = if self.seed.trailer {
                State::Trailer
            } else {
                State::End
            };
        } else {
            self.remaining = size;
            self.hasher = Sha256::new();
            self.state = State::Data;
        }
        Ok(())
    }

    /// Checks the signature of the chunk just read (`hash`: of its data).
    fn check_chunk(&mut self, hash: &str) -> Result<(), AuthError> {
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256-PAYLOAD\n{}\n{}\n{}\n{EMPTY_SHA256}\n{hash}",
            self.seed.timestamp, self.seed.scope, self.previous
        );
        let provided = std::mem::take(&mut self.expected);
        self.check(string_to_sign, provided)
    }

    fn check(&mut self, string_to_sign: String, provided: String) -> Result<(), AuthError> {
        let computed = hex::encode(hmac256(&self.seed.key, string_to_sign.as_bytes()));
        if !same(&computed, &provided) {
            return Err(self.seed.dialect.mismatch(
                &self.seed.access_key,
                &string_to_sign,
                &provided,
                None,
            ));
        }
        self.previous = computed;
        Ok(())
    }

    fn on_trailer(&mut self, line: &[u8]) -> Result<(), AuthError> {
        let (name, value) =
            aws_chunked::parse_trailer(line).map_err(|_| AuthError::malformed_trailer())?;
        if self.trailer_signature.is_some() {
            // Nothing may follow the signature but the empty line.
            return Err(AuthError::malformed_trailer());
        }
        if name.eq_ignore_ascii_case(TRAILER_SIGNATURE) {
            if value.len() != 64 || !value.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(AuthError::malformed_trailer());
            }
            self.trailer_signature = Some(value.to_string());
            return Ok(());
        }
        self.trailers_len += name.len() + value.len() + 2;
        if self.trailers_len > MAX_TRAILERS {
            return Err(AuthError::malformed_trailer());
        }
        self.trailers
            .push((name.to_ascii_lowercase(), value.to_string()));
        Ok(())
    }

    fn on_trailers_end(&mut self) -> Result<(), AuthError> {
        let Some(provided) = self.trailer_signature.take() else {
            return Err(AuthError::malformed_trailer());
        };
        self.trailers.sort();
        let canonical: String = self
            .trailers
            .iter()
            .map(|(k, v)| format!("{k}:{v}\n"))
            .collect();
        let string_to_sign = format!(
            "AWS4-HMAC-SHA256-TRAILER\n{}\n{}\n{}\n{}",
            self.seed.timestamp,
            self.seed.scope,
            self.previous,
            sha256_hex(canonical.as_bytes())
        );
        self.check(string_to_sign, provided)?;
        self.state = State::Done;
        Ok(())
    }
}
