//! Order-preserving key encoding: tuples of strings and integers encoded so
//! that byte order equals tuple order, which makes prefix scans and range
//! queries over composite keys correct.
//!
//! Strings and bytes: each `0x00` becomes `0x00 0xFF`, then `0x00 0x01` ends
//! the component (so "a" < "a\0" < "ab"). Unsigned integers: 8 bytes
//! big-endian. Signed integers: the sign bit flipped, then big-endian.

/// Builds an encoded key component by component.
#[derive(Default, Clone, Debug, PartialEq, Eq)]
pub struct Key(Vec<u8>);

impl Key {
    /// An empty key.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a string component.
    pub fn str(self, s: &str) -> Self {
        self.bytes(s.as_bytes())
    }

    /// Appends a byte-string component.
    pub fn bytes(mut self, b: &[u8]) -> Self {
        for &x in b {
            self.0.push(x);
            if x == 0 {
                self.0.push(0xFF);
            }
        }
        self.0.extend_from_slice(&[0, 1]);
        self
    }

    /// Appends an unsigned integer component.
    pub fn u64(mut self, n: u64) -> Self {
        self.0.extend_from_slice(&n.to_be_bytes());
        self
    }

    /// Appends a signed integer component.
    pub fn i64(mut self, n: i64) -> Self {
        self.0
            .extend_from_slice(&((n as u64) ^ (1 << 63)).to_be_bytes());
        self
    }

    /// The encoded bytes.
    pub fn into_bytes(self) -> Vec<u8> {
        self.0
    }

    /// The encoded bytes, borrowed.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

/// Reads components back out of an encoded key, in order.
pub struct KeyReader<'a>(&'a [u8]);

impl<'a> KeyReader<'a> {
    /// Starts reading `key`.
    pub fn new(key: &'a [u8]) -> Self {
        Self(key)
    }

    /// The next byte-string component.
    pub fn bytes(&mut self) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        let mut i = 0;
        while i < self.0.len() {
            let b = self.0[i];
            if b == 0 {
                match self.0.get(i + 1)? {
                    0xFF => {
                        out.push(0);
                        i += 2;
                    }
                    1 => {
                        self.0 = &self.0[i + 2..];
                        return Some(out);
                    }
                    _ => return None,
                }
            } else {
                out.push(b);
                i += 1;
            }
        }
        None
    }

    /// The next string component.
    pub fn str(&mut self) -> Option<String> {
        String::from_utf8(self.bytes()?).ok()
    }

    /// The next unsigned integer component.
    pub fn u64(&mut self) -> Option<u64> {
        let (head, rest) = self.0.split_at_checked(8)?;
        self.0 = rest;
        Some(u64::from_be_bytes(head.try_into().ok()?))
    }

    /// The next signed integer component.
    pub fn i64(&mut self) -> Option<i64> {
        self.u64().map(|n| (n ^ (1 << 63)) as i64)
    }

    /// Bytes not read yet.
    pub fn rest(&self) -> &'a [u8] {
        self.0
    }
}

/// The smallest key greater than every key starting with `prefix`
/// (`None` when there is none: the prefix is all `0xFF`).
pub fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xFF {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_matches_tuple_order() {
        let keys = [
            Key::new().str("a").u64(2),
            Key::new().str("a").u64(10),
            Key::new().str("a\0").u64(0),
            Key::new().str("ab").u64(0),
            Key::new().str("b").i64(-5),
            Key::new().str("b").i64(3),
        ];
        for w in keys.windows(2) {
            assert!(w[0].as_bytes() < w[1].as_bytes(), "{w:?}");
        }
    }

    #[test]
    fn round_trips() {
        let k = Key::new().str("q\0x").u64(7).i64(-1).into_bytes();
        let mut r = KeyReader::new(&k);
        assert_eq!(r.str().as_deref(), Some("q\0x"));
        assert_eq!(r.u64(), Some(7));
        assert_eq!(r.i64(), Some(-1));
        assert!(r.rest().is_empty());
    }

    #[test]
    fn prefix_end_bounds_the_prefix() {
        assert_eq!(prefix_end(b"ab"), Some(b"ac".to_vec()));
        assert_eq!(prefix_end(&[1, 0xFF]), Some(vec![2]));
        assert_eq!(prefix_end(&[0xFF, 0xFF]), None);
    }
}
