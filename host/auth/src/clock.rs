//! The timestamp formats signatures use: the ISO 8601 basic format of
//! `X-Amz-Date` (`20130524T000000Z`), HTTP dates (`Date:` and SigV2's
//! `x-amz-date`), and the extended ISO format S3 writes in error details
//! (`2017-07-20T04:18:45Z`). Whole seconds since the Unix epoch throughout.

use std::time::{SystemTime, UNIX_EPOCH};

use ruststack_protocol::time::{format_iso8601, parse_rfc822};

/// Whole seconds since the epoch (floor; before 1970 negative).
pub fn unix(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_secs() as i64,
        Err(e) => {
            let d = e.duration();
            -(d.as_secs() as i64) - i64::from(d.subsec_nanos() > 0)
        }
    }
}

/// `2017-07-20T04:18:45Z`.
pub fn iso(secs: i64) -> String {
    format_iso8601(secs as f64).replace(".000Z", "Z")
}

/// `20170720T041845Z`.
pub fn basic(secs: i64) -> String {
    iso(secs).replace(['-', ':'], "")
}

pub use ruststack_protocol::time::parse_basic_iso8601 as parse_basic;

/// Parses an HTTP date as clients send it in `Date:` (RFC 1123 with `GMT`,
/// `UTC` or a numeric `+hhmm`/`-hhmm` zone; the RFC 850 and asctime forms
/// are not accepted, no AWS client sends them).
pub fn parse_http_date(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Some(t) = parse_rfc822(s) {
        return Some(t as i64);
    }
    // A numeric zone other than +0000: parse without it and shift.
    let (rest, zone) = s.rsplit_once(' ')?;
    let (sign, hhmm) = match zone.as_bytes().first()? {
        b'+' => (1, &zone[1..]),
        b'-' => (-1, &zone[1..]),
        _ => return None,
    };
    if hhmm.len() != 4 || !hhmm.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let offset = hhmm[..2].parse::<i64>().ok()? * 3600 + hhmm[2..].parse::<i64>().ok()? * 60;
    parse_rfc822(rest).map(|t| t as i64 - sign * offset)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn formats_and_parses() {
        let t = 1_369_353_600; // 2013-05-24T00:00:00Z
        assert_eq!(iso(t), "2013-05-24T00:00:00Z");
        assert_eq!(basic(t), "20130524T000000Z");
        assert_eq!(parse_basic("20130524T000000Z"), Some(t));
        for bad in [
            "2013-05-24T00:00:00Z",
            "20130524T000000",
            "20130231T000000Z",
            "20130524T240000Z",
            "2013052AT000000Z",
            "",
        ] {
            assert_eq!(parse_basic(bad), None, "{bad}");
        }
        assert_eq!(parse_http_date("Fri, 24 May 2013 00:00:00 GMT"), Some(t));
        assert_eq!(parse_http_date("Fri, 24 May 2013 00:00:00 +0000"), Some(t));
        assert_eq!(parse_http_date("Fri, 24 May 2013 02:00:00 +0200"), Some(t));
        assert_eq!(parse_http_date("Thu, 23 May 2013 19:00:00 -0500"), Some(t));
        assert_eq!(parse_http_date("yesterday"), None);
        assert_eq!(unix(UNIX_EPOCH + Duration::from_millis(1500)), 1);
        assert_eq!(unix(UNIX_EPOCH - Duration::from_millis(1500)), -2);
    }
}
