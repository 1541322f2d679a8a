//! The MD5 digests SQS returns and SDKs verify: of the body, and of message
//! (or system) attributes in AWS's length-prefixed binary encoding.

use base64::Engine;
use md5::{Digest, Md5};
use serde_json::Value;

/// Lower-case hex MD5 of `bytes`.
pub fn md5_hex(bytes: &[u8]) -> String {
    Md5::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn push_len_prefixed(buf: &mut Vec<u8>, bytes: &[u8]) {
    buf.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    buf.extend_from_slice(bytes);
}

/// MD5 of an attribute map (`{name: {DataType, StringValue|BinaryValue}}`,
/// binary values base64): names sorted; each is name, data type, a transport
/// byte (1 string, 2 binary) and the value, every part length-prefixed.
pub fn attributes_md5(attrs: &serde_json::Map<String, Value>) -> String {
    let mut names: Vec<&String> = attrs.keys().collect();
    names.sort();
    let mut buf = Vec::new();
    for name in names {
        let a = &attrs[name];
        push_len_prefixed(&mut buf, name.as_bytes());
        push_len_prefixed(
            &mut buf,
            a["DataType"].as_str().unwrap_or_default().as_bytes(),
        );
        if let Some(s) = a["StringValue"].as_str() {
            buf.push(1);
            push_len_prefixed(&mut buf, s.as_bytes());
        } else if let Some(b) = a["BinaryValue"].as_str() {
            buf.push(2);
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b)
                .unwrap_or_default();
            push_len_prefixed(&mut buf, &bytes);
        }
    }
    md5_hex(&buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn known_digests() {
        // Values as returned by AWS for the same input.
        assert_eq!(md5_hex(b"hello"), "5d41402abc4b2a76b9719d911017c592");
        let attrs = json!({"a": {"DataType": "String", "StringValue": "v"}});
        let expected = {
            let mut b = Vec::new();
            b.extend_from_slice(&[0, 0, 0, 1, b'a', 0, 0, 0, 6]);
            b.extend_from_slice(b"String");
            b.extend_from_slice(&[1, 0, 0, 0, 1, b'v']);
            md5_hex(&b)
        };
        assert_eq!(attributes_md5(attrs.as_object().unwrap()), expected);
    }
}
