//! Percent-encoding and form parsing shared by the codecs and plugins.

/// Decodes `%XX` escapes (invalid escapes are kept as they are; invalid UTF-8
/// is replaced). Used for URI labels and query strings.
pub fn percent_decode(s: &str) -> String {
    decode(s, false)
}

/// Decodes an `application/x-www-form-urlencoded` component: like
/// [`percent_decode`] but `+` means space.
pub fn form_decode(s: &str) -> String {
    decode(s, true)
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes `%XX` escapes like [`percent_decode`], but `None` when the
/// bytes are not UTF-8: S3 refuses such a path (`InvalidURI`) instead of
/// storing a key with U+FFFD, which two different paths would share.
pub fn percent_decode_exact(s: &str) -> Option<String> {
    String::from_utf8(decode_bytes(s, false)).ok()
}

fn decode(s: &str, plus_is_space: bool) -> String {
    let out = decode_bytes(s, plus_is_space);
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn decode_bytes(s: &str, plus_is_space: bool) -> Vec<u8> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' if plus_is_space => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    out
}

/// Percent-encodes everything but the unreserved characters
/// (`A-Z a-z 0-9 - _ . ~`), and `/` too unless `keep_slash`. This is AWS's
/// `UriEncode` (SigV4, S3 `encoding-type=url` listings, S3 keys in URLs).
pub fn uri_encode(s: &str, keep_slash: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b'/' if keep_slash => out.push('/'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
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
