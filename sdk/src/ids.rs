//! Ids and ARNs that look like AWS's.

/// Random bytes from the host (WASI random, or the OS natively).
pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf).expect("the random source failed");
    buf
}

/// A random number (spreading work, breaking ties).
pub fn random_u64() -> u64 {
    let mut buf = [0u8; 8];
    getrandom::fill(&mut buf).expect("the random source failed");
    u64::from_le_bytes(buf)
}

/// `n` random bytes as lower-case hex.
pub fn random_hex(n: usize) -> String {
    random_bytes(n).iter().map(|b| format!("{b:02x}")).collect()
}

/// A random (v4) UUID, as AWS uses for message ids and request ids.
pub fn uuid() -> String {
    let mut b = random_bytes(16);
    b[6] = (b[6] & 0x0F) | 0x40;
    b[8] = (b[8] & 0x3F) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// Whether `s` is 1 to 80 ASCII letters, digits, hyphens and underscores:
/// the rule AWS applies to batch entry ids (SQS, SNS), queue names and
/// permission labels.
pub fn is_short_name(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 80
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
}

/// `arn:aws:<service>:<region>:<account>:<resource>`.
pub fn arn(service: &str, region: &str, account: &str, resource: &str) -> String {
    format!("arn:aws:{service}:{region}:{account}:{resource}")
}

/// The parts of an ARN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arn {
    /// Usually `aws`.
    pub partition: String,
    /// e.g. `sqs`.
    pub service: String,
    /// e.g. `us-east-1` (empty for global services).
    pub region: String,
    /// Twelve digits (empty for some services).
    pub account: String,
    /// Everything after the fifth colon.
    pub resource: String,
}

/// Splits an ARN; `None` if it is not one.
pub fn parse_arn(s: &str) -> Option<Arn> {
    let mut it = s.splitn(6, ':');
    if it.next()? != "arn" {
        return None;
    }
    let partition = it.next()?.to_string();
    let service = it.next()?.to_string();
    let region = it.next()?.to_string();
    let account = it.next()?.to_string();
    let resource = it.next()?.to_string();
    if partition.is_empty() || service.is_empty() {
        return None;
    }
    Some(Arn {
        partition,
        service,
        region,
        account,
        resource,
    })
}

/// Milliseconds since the Unix epoch (WASI wall clock).
pub fn now_ms() -> u64 {
    now_us() / 1000
}

/// Microseconds since the Unix epoch (WASI wall clock): finer than one
/// client's round trip, so it orders one client's requests.
pub fn now_us() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_micros() as u64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_shape() {
        let u = uuid();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert_ne!(uuid(), u);
    }

    #[test]
    fn arns_round_trip() {
        let a = arn("sns", "us-east-1", "000000000000", "topic:with:colons");
        let p = parse_arn(&a).unwrap();
        assert_eq!(p.service, "sns");
        assert_eq!(p.resource, "topic:with:colons");
        assert!(parse_arn("nope").is_none());
    }
}
