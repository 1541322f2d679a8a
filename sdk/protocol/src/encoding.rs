//! Percent-encoding and form parsing shared by the codecs and plugins.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, percent_encode};

/// What AWS's `UriEncode` escapes: all but `A-Z a-z 0-9 - _ . ~`.
const URI_ESCAPED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// [`URI_ESCAPED`] but `/`, for paths.
const PATH_ESCAPED: &AsciiSet = &URI_ESCAPED.remove(b'/');

/// Decodes `%XX` escapes (invalid escapes are kept as they are; invalid UTF-8
/// is replaced). Used for URI labels and query strings.
pub fn percent_decode(s: &str) -> String {
    lossy(percent_decode_bytes(s))
}

/// Decodes an `application/x-www-form-urlencoded` component: like
/// [`percent_decode`] but `+` means space.
pub fn form_decode(s: &str) -> String {
    lossy(percent_decode_bytes(&s.replace('+', " ")))
}

/// Decodes `%XX` escapes like [`percent_decode`], but `None` when the
/// bytes are not UTF-8: S3 refuses such a path (`InvalidURI`) instead of
/// storing a key with U+FFFD, which two different paths would share.
pub fn percent_decode_exact(s: &str) -> Option<String> {
    String::from_utf8(percent_decode_bytes(s)).ok()
}

/// The bytes `%XX` escapes stand for (invalid escapes kept as they are; `+`
/// stays `+`): what signatures cover, which need not be UTF-8.
pub fn percent_decode_bytes(s: &str) -> Vec<u8> {
    percent_decode_str(s).collect()
}

fn lossy(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Percent-encodes everything but the unreserved characters
/// (`A-Z a-z 0-9 - _ . ~`), and `/` too unless `keep_slash`. This is AWS's
/// `UriEncode` (SigV4, S3 `encoding-type=url` listings, S3 keys in URLs).
pub fn uri_encode(s: &str, keep_slash: bool) -> String {
    uri_encode_bytes(s.as_bytes(), keep_slash)
}

/// [`uri_encode`] of bytes that need not be UTF-8 (a decoded path that
/// a signature covers).
pub fn uri_encode_bytes(bytes: &[u8], keep_slash: bool) -> String {
    let set = if keep_slash {
        PATH_ESCAPED
    } else {
        URI_ESCAPED
    };
    percent_encode(bytes, set).to_string()
}

/// Parses a query string or form body into decoded `(name, value)` pairs, in
/// order. A name without `=` gets an empty value (`?versioning`).
pub fn parse_form(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (form_decode(k), form_decode(v)),
            None => (form_decode(p), String::new()),
        })
        .collect()
}

/// Builds a form body / query string from pairs (the inverse of [`parse_form`]).
pub fn encode_form<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    pairs
        .into_iter()
        .map(|(k, v)| format!("{}={}", uri_encode(k, false), uri_encode(v, false)))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes() {
        assert_eq!(percent_decode("a%20b+c%2Fd"), "a b+c/d");
        assert_eq!(form_decode("a%20b+c"), "a b c");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(percent_decode("caf%C3%A9"), "café");
    }

    #[test]
    fn encodes() {
        assert_eq!(uri_encode("a b/c~é", true), "a%20b/c~%C3%A9");
        assert_eq!(uri_encode("a/b", false), "a%2Fb");
    }

    #[test]
    fn forms() {
        assert_eq!(
            parse_form("Action=SendMessage&MessageBody=hi+there%21&versioning"),
            vec![
                ("Action".into(), "SendMessage".into()),
                ("MessageBody".into(), "hi there!".into()),
                ("versioning".into(), String::new()),
            ]
        );
        assert_eq!(encode_form([("a b", "c&d")]), "a%20b=c%26d");
    }
}
