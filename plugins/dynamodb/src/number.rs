//! DynamoDB numbers: decimals of up to 38 significant digits with a
//! magnitude between 1E-130 and 9.99..E+125, never `f64`. Parsing
//! normalises them (AWS returns `1.50` as `1.5`), arithmetic is exact, and
//! [`Decimal::sort_key`] encodes them so that byte order is numeric order.

use std::cmp::Ordering;

/// A normalised decimal: `(-1)^neg × 0.d1d2…dn × 10^exp`, `digits` without
/// leading or trailing zeros; zero has no digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decimal {
    neg: bool,
    digits: Vec<u8>,
    exp: i32,
}

/// Why a number was refused, worded as DynamoDB words it.
pub fn not_numeric(text: &str) -> String {
    format!("The parameter cannot be converted to a numeric value: {text}")
}

impl Decimal {
    /// Zero.
    pub fn zero() -> Self {
        Decimal {
            neg: false,
            digits: Vec::new(),
            exp: 0,
        }
    }

    /// Parses a DynamoDB number string; `Err` is the ValidationException message.
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim();
        let (neg, rest) = match t.as_bytes().first() {
            Some(b'-') => (true, &t[1..]),
            Some(b'+') => (false, &t[1..]),
            _ => (false, t),
        };
        let (mantissa, e) = match rest.find(['e', 'E']) {
            Some(i) => {
                let e: i32 = rest[i + 1..].parse().map_err(|_| not_numeric(text))?;
                (&rest[..i], e)
            }
            None => (rest, 0),
        };
        let (int, frac) = match mantissa.split_once('.') {
            Some((a, b)) => (a, b),
            None => (mantissa, ""),
        };
        if (int.is_empty() && frac.is_empty())
            || !int.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(not_numeric(text));
        }
        let mut digits: Vec<u8> = int.bytes().chain(frac.bytes()).map(|b| b - b'0').collect();
        let mut exp = (int.len() as i32).saturating_add(e);
        // Leading zeros go in one step: removing them one at a time moved
        // the rest each time, quadratic in a long zero-padded number.
        let zeros = digits.iter().take_while(|&&d| d == 0).count();
        digits.drain(..zeros);
        exp = exp.saturating_sub(i32::try_from(zeros).unwrap_or(i32::MAX));
        while digits.last() == Some(&0) {
            digits.pop();
        }
        if digits.is_empty() {
            return Ok(Self::zero());
        }
        let d = Decimal { neg, digits, exp };
        d.check()?;
        Ok(d)
    }

    /// Enforces DynamoDB's precision and range limits.
    pub fn check(&self) -> Result<(), String> {
        if self.digits.is_empty() {
            return Ok(());
        }
        if self.digits.len() > 38 {
            return Err("Attempting to store more than 38 significant digits in a Number".into());
        }
        if self.exp > 126 {
            return Err("Number overflow. Attempting to store a number with magnitude larger than supported range".into());
        }
        if self.exp < -129 {
            return Err("Number underflow. Attempting to store a number with magnitude smaller than supported range".into());
        }
        Ok(())
    }

    /// True for zero.
    pub fn is_zero(&self) -> bool {
        self.digits.is_empty()
    }

    /// The canonical text DynamoDB returns (plain notation, no trailing zeros).
    pub fn to_text(&self) -> String {
        if self.digits.is_empty() {
            return "0".into();
        }
        let ds: String = self.digits.iter().map(|d| (b'0' + d) as char).collect();
        let n = self.digits.len() as i32;
        let body = if self.exp <= 0 {
            format!("0.{}{}", "0".repeat((-self.exp) as usize), ds)
        } else if self.exp >= n {
            format!("{}{}", ds, "0".repeat((self.exp - n) as usize))
        } else {
            format!("{}.{}", &ds[..self.exp as usize], &ds[self.exp as usize..])
        };
        if self.neg { format!("-{body}") } else { body }
    }

    /// The digits as an integer scaled so the last digit has power `low`.
    fn scaled(&self, low: i32) -> Vec<u8> {
        let mut v = self.digits.clone();
        let last = self.exp - self.digits.len() as i32;
        v.extend(std::iter::repeat_n(0, (last - low).max(0) as usize));
        v
    }

    fn from_scaled(neg: bool, mut v: Vec<u8>, low: i32) -> Self {
        while v.first() == Some(&0) {
            v.remove(0);
        }
        let exp = low + v.len() as i32;
        while v.last() == Some(&0) {
            v.pop();
        }
        if v.is_empty() {
            return Self::zero();
        }
        Decimal {
            neg,
            digits: v,
            exp,
        }
    }

    /// Exact sum.
    pub fn add(&self, other: &Decimal) -> Decimal {
        if self.is_zero() {
            return other.clone();
        }
        if other.is_zero() {
            return self.clone();
        }
        let low = (self.exp - self.digits.len() as i32).min(other.exp - other.digits.len() as i32);
        let a = self.scaled(low);
        let b = other.scaled(low);
        if self.neg == other.neg {
            Self::from_scaled(self.neg, add_mag(&a, &b), low)
        } else {
            match cmp_mag(&a, &b) {
                Ordering::Equal => Self::zero(),
                Ordering::Greater => Self::from_scaled(self.neg, sub_mag(&a, &b), low),
                Ordering::Less => Self::from_scaled(other.neg, sub_mag(&b, &a), low),
            }
        }
    }

    /// Exact difference.
    pub fn sub(&self, other: &Decimal) -> Decimal {
        let mut o = other.clone();
        if !o.is_zero() {
            o.neg = !o.neg;
        }
        self.add(&o)
    }

    /// Bytes whose order is the numeric order (for sort and partition keys).
    pub fn sort_key(&self) -> Vec<u8> {
        if self.is_zero() {
            return vec![0x02];
        }
        let e = (self.exp + 1000) as u16;
        if self.neg {
            let mut out = vec![0x01];
            out.extend_from_slice(&(!e).to_be_bytes());
            out.extend(self.digits.iter().map(|d| 10 - d));
            out.push(0xFF);
            out
        } else {
            let mut out = vec![0x03];
            out.extend_from_slice(&e.to_be_bytes());
            out.extend(self.digits.iter().map(|d| d + 1));
            out
        }
    }
}

fn cmp_mag(a: &[u8], b: &[u8]) -> Ordering {
    let strip = |x: &[u8]| x.iter().position(|&d| d != 0).map_or(0, |p| x.len() - p);
    strip(a).cmp(&strip(b)).then_with(|| {
        let a = &a[a.len() - strip(a)..];
        let b = &b[b.len() - strip(b)..];
        a.cmp(b)
    })
}

fn add_mag(a: &[u8], b: &[u8]) -> Vec<u8> {
    let n = a.len().max(b.len());
    let mut out = vec![0u8; n + 1];
    let mut carry = 0;
    for i in 0..n {
        let x = if i < a.len() { a[a.len() - 1 - i] } else { 0 };
        let y = if i < b.len() { b[b.len() - 1 - i] } else { 0 };
        let s = x + y + carry;
        out[n - i] = s % 10;
        carry = s / 10;
    }
    out[0] = carry;
    out
}

/// `a - b` for `a >= b`.
fn sub_mag(a: &[u8], b: &[u8]) -> Vec<u8> {
    let n = a.len().max(b.len());
    let mut out = vec![0u8; n];
    let mut borrow = 0i8;
    for i in 0..n {
        let x = if i < a.len() {
            a[a.len() - 1 - i] as i8
        } else {
            0
        };
        let y = if i < b.len() {
            b[b.len() - 1 - i] as i8
        } else {
            0
        };
        let mut s = x - y - borrow;
        borrow = 0;
        if s < 0 {
            s += 10;
            borrow = 1;
        }
        out[n - 1 - i] = s as u8;
    }
    out
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Self) -> Ordering {
        self.sort_key().cmp(&other.sort_key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        Decimal::parse(s).unwrap()
    }

    #[test]
    fn normalises_text() {
        assert_eq!(d("1.50").to_text(), "1.5");
        assert_eq!(d("1e2").to_text(), "100");
        assert_eq!(d("-0.00120").to_text(), "-0.0012");
        assert_eq!(d("-0").to_text(), "0");
        assert_eq!(d("123.456").to_text(), "123.456");
        assert!(Decimal::parse("abc").is_err());
        assert!(Decimal::parse("1.2.3").is_err());
        assert!(Decimal::parse("123456789012345678901234567890123456789").is_err());
        assert!(Decimal::parse("1e126").is_err());
        assert!(Decimal::parse("1e-131").is_err());
    }

    #[test]
    fn long_zero_padding_parses_in_linear_time() {
        // Found by `just fuzz` review of dynamodb-attr-json: 2 MB of leading
        // zeros in a PutItem number took 22 s (quadratic), 16 MB (the
        // request limit) would take far longer.
        let padded = format!("-{}1.50{}", "0".repeat(4_000_000), "0".repeat(1000));
        assert_eq!(d(&padded).to_text(), "-1.5");
        let tiny = format!("0.{}1", "0".repeat(128));
        assert_eq!(d(&tiny).to_text(), tiny);
        assert!(Decimal::parse(&format!("0.{}1", "0".repeat(130))).is_err());
        assert_eq!(d(&"0".repeat(100_000)).to_text(), "0");
    }

    #[test]
    fn exact_arithmetic() {
        assert_eq!(d("0.1").add(&d("0.2")).to_text(), "0.3");
        assert_eq!(d("5").sub(&d("7.5")).to_text(), "-2.5");
        assert_eq!(d("-5").add(&d("5")).to_text(), "0");
        assert_eq!(d("99").add(&d("1")).to_text(), "100");
        assert_eq!(
            d("12345678901234567890123456789012345678")
                .add(&d("1"))
                .to_text(),
            "12345678901234567890123456789012345679"
        );
    }

    #[test]
    fn sort_key_is_numeric_order() {
        let xs = [
            "-1000", "-10", "-1.23", "-1.2", "-1", "-0.5", "0", "0.001", "0.5", "1", "1.2", "1.23",
            "2", "10", "100", "1e100",
        ];
        for w in xs.windows(2) {
            assert!(
                d(w[0]).sort_key() < d(w[1]).sort_key(),
                "{} < {}",
                w[0],
                w[1]
            );
        }
    }
}
