//! User metadata values as S3 carries them in headers: ASCII on the wire.
//! S3 decodes RFC 2047 encoded-words (`=?UTF-8?B?...?=`, `=?UTF-8?Q?...?=`)
//! before storing a value, and answers a value holding non-ASCII characters
//! as one `=?UTF-8?B?...?=` word, so that it is mail-safe. Only this narrow
//! form of RFC 2047 is needed, which the mail crates bury under parsers for
//! whole messages, hence written here.

use crate::util;

/// The value to store for a metadata header as sent.
pub fn decode(value: &str) -> String {
    let words: Vec<&str> = value.split_whitespace().collect();
    let decoded: Option<Vec<String>> = words.iter().map(|w| decode_word(w)).collect();
    match decoded {
        // Whitespace between adjacent encoded-words is not part of the text.
        Some(parts) if !parts.is_empty() => parts.concat(),
        _ => value.to_string(),
    }
}

/// One `=?charset?encoding?text?=` word, if it is one S3 decodes.
fn decode_word(word: &str) -> Option<String> {
    let inner = word.strip_prefix("=?")?.strip_suffix("?=")?;
    let mut fields = inner.splitn(3, '?');
    let charset = fields.next()?.to_ascii_lowercase();
    let encoding = fields.next()?.to_ascii_lowercase();
    let text = fields.next()?;
    let bytes = match encoding.as_str() {
        "b" => util::unb64(text)?,
        "q" => q_decode(text)?,
        _ => return None,
    };
    match charset.as_str() {
        "utf-8" | "us-ascii" => String::from_utf8(bytes).ok(),
        "iso-8859-1" | "latin1" => Some(bytes.iter().map(|&b| char::from(b)).collect()),
        _ => None,
    }
}

/// RFC 2047 "Q": `_` is a space, `=XX` a byte in hex.
fn q_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len());
    let mut bytes = text.bytes();
    while let Some(b) = bytes.next() {
        match b {
            b'_' => out.push(b' '),
            b'=' => {
                let hi = char::from(bytes.next()?).to_digit(16)?;
                let lo = char::from(bytes.next()?).to_digit(16)?;
                out.push((hi * 16 + lo) as u8);
            }
            _ => out.push(b),
        }
    }
    Some(out)
}

/// The header value S3 answers for a stored metadata value.
pub fn encode(value: &str) -> String {
    if value.is_ascii() {
        value.to_string()
    } else {
        format!("=?UTF-8?B?{}?=", util::b64(value.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_ascii_values_round_trip_through_encoded_words() {
        assert_eq!(encode("Hello Worldé"), "=?UTF-8?B?SGVsbG8gV29ybGTDqQ==?=");
        assert_eq!(decode("=?UTF-8?B?SGVsbG8gV29ybGTDqQ==?="), "Hello Worldé");
        assert_eq!(decode("=?utf-8?q?caf=C3=A9_au_lait?="), "café au lait");
        assert_eq!(decode("=?ISO-8859-1?Q?caf=E9?="), "café");
        assert_eq!(decode("=?UTF-8?B?SGVs?= =?UTF-8?B?bG8=?="), "Hello");
        assert_eq!(encode("plain"), "plain");
        // Not encoded-words: kept as sent.
        assert_eq!(decode("=?UTF-8?X?abc?="), "=?UTF-8?X?abc?=");
        assert_eq!(decode("a =?UTF-8?B?SGVs?="), "a =?UTF-8?B?SGVs?=");
        assert_eq!(decode("Hello Worldé"), "Hello Worldé");
    }
}
