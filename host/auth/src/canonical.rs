//! The pieces of a SigV4 canonical request (URI, query, headers), the
//! hashing and HMAC primitives, and query-string parsing.

use hmac::{Hmac, Mac};
use ruststack_protocol::encoding::{percent_decode, percent_decode_bytes, uri_encode_bytes};
use sha2::{Digest, Sha256};

use crate::{AuthError, Payload, Request};

/// The hex SHA-256 of nothing: the payload hash of an empty body.
pub const EMPTY_SHA256: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

/// The raw `name=value` pairs of a query string (empty parts skipped; a part
/// without `=` has an empty value).
pub fn raw_pairs(query: &str) -> impl Iterator<Item = (&str, &str)> {
    query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| p.split_once('=').unwrap_or((p, "")))
}

/// The decoded value of the first query parameter with this (exact) name.
pub fn query_param(query: &str, name: &str) -> Option<String> {
    raw_pairs(query)
        .find(|(k, _)| percent_decode_bytes(k) == name.as_bytes())
        .map(|(_, v)| percent_decode(v))
}

/// Whether the query has a parameter with this (exact) name.
pub fn has_param(query: &str, name: &str) -> bool {
    raw_pairs(query).any(|(k, _)| percent_decode_bytes(k) == name.as_bytes())
}

/// The canonical URI of an S3 request: the path as the client encoded it,
/// not normalised. Clients encode keys with AWS's encoding, so decoding and
/// re-encoding gives back what they signed, and also what a client signed
/// that left a character such as `(` unencoded on the wire while encoding
/// it for the signature; [`s3_uri_as_sent`] covers the opposite case.
pub fn s3_uri(path: &str) -> String {
    if path.is_empty() {
        return "/".into();
    }
    uri_encode_bytes(&percent_decode_bytes(path), true)
}

/// The S3 path byte for byte as received (a client that signed its wire
/// path with characters AWS would encode).
pub fn s3_uri_as_sent(path: &str) -> String {
    if path.is_empty() {
        "/".into()
    } else {
        path.to_string()
    }
}

/// The canonical URI of every other service: the path with `.`/`..`
/// segments resolved and empty segments dropped (as botocore and the AWS
/// SDKs normalise), then URI-encoded once more. The path arrives encoded
/// once, so a key `a b` signs as `a%2520b`: the double encoding AWS uses for
/// all services but S3.
pub fn standard_uri(path: &str) -> String {
    uri_encode_bytes(normalize_path(path).as_bytes(), true)
}

/// RFC 3986 dot-segment removal, also collapsing `//`.
fn normalize_path(path: &str) -> String {
    if path.is_empty() {
        return "/".into();
    }
    let mut out: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            s => out.push(s),
        }
    }
    let first = if path.starts_with('/') { "/" } else { "" };
    let last = if path.ends_with('/') && !out.is_empty() {
        "/"
    } else {
        ""
    };
    format!("{first}{}{last}", out.join("/"))
}

/// The canonical query string: every parameter (but `X-Amz-Signature` when
/// `presigned`) decoded and re-encoded with AWS's encoding, sorted by name
/// then value.
pub fn canonical_query(query: &str, presigned: bool) -> String {
    let mut pairs: Vec<(String, String)> = raw_pairs(query)
        .filter(|(k, _)| !(presigned && percent_decode_bytes(k) == b"X-Amz-Signature"))
        .map(|(k, v)| {
            (
                uri_encode_bytes(&percent_decode_bytes(k), false),
                uri_encode_bytes(&percent_decode_bytes(v), false),
            )
        })
        .collect();
    pairs.sort();
    join_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
}

/// The canonical query as botocore builds it: the parameters as they are on
/// the wire, sorted. The same as [`canonical_query`] for properly encoded
/// queries; differs when a client left characters unencoded (e.g. a `+`).
pub fn canonical_query_as_sent(query: &str, presigned: bool) -> String {
    let mut pairs: Vec<(&str, &str)> = raw_pairs(query)
        .filter(|(k, _)| !(presigned && percent_decode_bytes(k) == b"X-Amz-Signature"))
        .collect();
    pairs.sort();
    join_pairs(pairs.into_iter())
}

fn join_pairs<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let mut out = String::new();
    for (k, v) in pairs {
        if !out.is_empty() {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// Trims a header value and collapses inner runs of whitespace to one
/// space (SigV4's `Trimall`).
fn trim_all(v: &str) -> String {
    v.split_ascii_whitespace().collect::<Vec<_>>().join(" ")
}

/// The canonical headers block (`name:value\n` for each signed header, in
/// the order of the signed-header list; repeated headers joined with `,` in
/// the order received).
pub fn canonical_headers(req: &Request, signed: &[&str]) -> String {
    let mut out = String::new();
    for name in signed {
        out.push_str(name);
        out.push(':');
        let values: Vec<String> = req
            .headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| trim_all(v))
            .collect();
        out.push_str(&values.join(","));
        out.push('\n');
    }
    out
}

/// Hex SHA-256.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// HMAC-SHA256.
pub fn hmac256(key: &[u8], msg: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(msg);
    mac.finalize().into_bytes().into()
}

/// The SigV4 signing key of a secret for a date, region and service.
pub fn signing_key(secret: &str, date: &str, region: &str, service: &str) -> [u8; 32] {
    let k = hmac256(format!("AWS4{secret}").as_bytes(), date.as_bytes());
    let k = hmac256(&k, region.as_bytes());
    let k = hmac256(&k, service.as_bytes());
    hmac256(&k, b"aws4_request")
}

/// Compares two signatures without an early exit.
pub fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The hex SHA-256 of the received body, read from memory or streamed from
/// the file it was spilled to.
pub fn hash_payload(payload: Payload) -> Result<String, AuthError> {
    match payload {
        Payload::Bytes(b) => Ok(sha256_hex(b)),
        Payload::File(path) => {
            use std::io::Read;
            let mut file = std::fs::File::open(path).map_err(|e| AuthError::io(&e))?;
            let mut hasher = Sha256::new();
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                let n = match file.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(AuthError::io(&e)),
                };
                hasher.update(&buf[..n]);
            }
            Ok(hex::encode(hasher.finalize()))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_aws() {
        assert_eq!(
            uri_encode_bytes(b"a b~c*d+e/f", false),
            "a%20b~c%2Ad%2Be%2Ff"
        );
        assert_eq!(uri_encode_bytes(b"a b/c", true), "a%20b/c");
        assert_eq!(s3_uri("/b/my%20key(1)"), "/b/my%20key%281%29");
        assert_eq!(s3_uri_as_sent("/b/my%20key(1)"), "/b/my%20key(1)");
        assert_eq!(standard_uri("/a%20b"), "/a%2520b");
        assert_eq!(standard_uri(""), "/");
        assert_eq!(standard_uri("//example//"), "/example/");
        assert_eq!(standard_uri("/example1/example2/../.."), "/");
        assert_eq!(standard_uri("/./"), "/");
        assert_eq!(standard_uri("/a/..b/.c"), "/a/..b/.c");
    }

    #[test]
    fn canonical_queries() {
        assert_eq!(
            canonical_query("Param2=value2&Param1=value1", false),
            "Param1=value1&Param2=value2"
        );
        assert_eq!(canonical_query("a=10&a=9", false), "a=10&a=9");
        assert_eq!(canonical_query("x=a.b&x=a%2Fb", false), "x=a%2Fb&x=a.b");
        assert_eq!(canonical_query("b&a=1", false), "a=1&b=");
        assert_eq!(canonical_query("a=1=2", false), "a=1%3D2");
        assert_eq!(canonical_query("q=a+b", false), "q=a%2Bb");
        assert_eq!(canonical_query_as_sent("q=a+b&a", false), "a=&q=a+b");
        assert_eq!(
            canonical_query("X-Amz-Signature=x&X-Amz-Date=1", true),
            "X-Amz-Date=1"
        );
    }
}
