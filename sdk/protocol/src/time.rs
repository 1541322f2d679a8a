//! Timestamp formatting and parsing in the three wire formats AWS uses, with
//! no date library: ISO 8601 (`2015-10-21T07:28:00.000Z`, XML bodies and query
//! responses), RFC 822 / HTTP-date (`Wed, 21 Oct 2015 07:28:00 GMT`, headers)
//! and epoch seconds (JSON).
//!
//! Decoded values represent timestamps as epoch seconds (a JSON number, with a
//! fraction only when needed); these functions convert between that and text.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch (with millisecond fraction) of a `SystemTime`,
/// the representation timestamps have in decoded values.
pub fn epoch_seconds(t: SystemTime) -> f64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => d.as_millis() as f64 / 1000.0,
        Err(e) => -(e.duration().as_millis() as f64) / 1000.0,
    }
}

/// The current time as epoch seconds (WASI clocks in a plugin).
pub fn now_epoch_seconds() -> f64 {
    epoch_seconds(SystemTime::now())
}

/// Days since 1970-01-01 to (year, month, day). Howard Hinnant's algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// (year, month, day) to days since 1970-01-01.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 } as i64;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

struct Parts {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    min: u32,
    sec: u32,
    millis: u32,
    weekday: usize,
}

fn split(epoch_millis: i64) -> Parts {
    let days = epoch_millis.div_euclid(86_400_000);
    let rem = epoch_millis.rem_euclid(86_400_000);
    let (year, month, day) = civil_from_days(days);
    Parts {
        year,
        month,
        day,
        hour: (rem / 3_600_000) as u32,
        min: (rem / 60_000 % 60) as u32,
        sec: (rem / 1000 % 60) as u32,
        millis: (rem % 1000) as u32,
        // 1970-01-01 was a Thursday (index 4 with Sunday = 0).
        weekday: (days + 4).rem_euclid(7) as usize,
    }
}

const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn to_millis(epoch_seconds: f64) -> i64 {
    (epoch_seconds * 1000.0).round() as i64
}

/// ISO 8601 with milliseconds, as S3 and the query services write it:
/// `2015-10-21T07:28:00.000Z`.
pub fn format_iso8601(epoch_seconds: f64) -> String {
    format_iso8601_millis(to_millis(epoch_seconds))
}

/// [`format_iso8601`] from Unix milliseconds.
pub fn format_iso8601_millis(epoch_millis: i64) -> String {
    let p = split(epoch_millis);
    let mut out = String::with_capacity(24);
    push_year(&mut out, p.year);
    for (sep, n) in [
        ('-', p.month),
        ('-', p.day),
        ('T', p.hour),
        (':', p.min),
        (':', p.sec),
    ] {
        out.push(sep);
        push_digits(&mut out, n, 2);
    }
    out.push('.');
    push_digits(&mut out, p.millis, 3);
    out.push('Z');
    out
}

/// Appends `n` as exactly `width` decimal digits (`n` < 10^`width`). Dates
/// are written on every listing entry and object response, so without the
/// formatting machinery.
fn push_digits(out: &mut String, n: u32, width: u32) {
    for i in (0..width).rev() {
        out.push(char::from(b'0' + (n / 10u32.pow(i) % 10) as u8));
    }
}

/// Appends a year as `{:04}` would.
fn push_year(out: &mut String, year: i64) {
    match u32::try_from(year) {
        Ok(y) if y <= 9999 => push_digits(out, y, 4),
        _ => out.push_str(&format!("{year:04}")),
    }
}

/// RFC 822 / HTTP-date as used in headers (`Last-Modified`, `Expires`):
/// `Wed, 21 Oct 2015 07:28:00 GMT`.
pub fn format_rfc822(epoch_seconds: f64) -> String {
    format_rfc822_millis(to_millis(epoch_seconds))
}

/// [`format_rfc822`] from Unix milliseconds.
pub fn format_rfc822_millis(epoch_millis: i64) -> String {
    let p = split(epoch_millis);
    let mut out = String::with_capacity(29);
    out.push_str(WEEKDAYS[p.weekday]);
    out.push_str(", ");
    push_digits(&mut out, p.day, 2);
    out.push(' ');
    out.push_str(MONTHS[p.month as usize - 1]);
    out.push(' ');
    push_year(&mut out, p.year);
    for (sep, n) in [(' ', p.hour), (':', p.min), (':', p.sec)] {
        out.push(sep);
        push_digits(&mut out, n, 2);
    }
    out.push_str(" GMT");
    out
}

/// Epoch seconds as JSON protocols write them: an integer when whole, else a
/// number with millisecond precision.
pub fn epoch_json(epoch_seconds: f64) -> serde_json::Value {
    let millis = to_millis(epoch_seconds);
    if millis % 1000 == 0 {
        serde_json::Value::from(millis / 1000)
    } else {
        serde_json::Value::from(millis as f64 / 1000.0)
    }
}

/// Parses any timestamp text a client may send: ISO 8601 (`Z` or an offset,
/// optional fraction, also the compact `20151021T072800Z`), RFC 822 /
/// HTTP-date, or epoch seconds. Returns epoch seconds.
pub fn parse_timestamp(s: &str) -> Option<f64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(n) = s.parse::<f64>() {
        return n.is_finite().then_some(n);
    }
    parse_iso8601(s).or_else(|| parse_rfc822(s))
}

fn num(s: &str) -> Option<u32> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn build(y: i64, mo: u32, d: u32, h: u32, mi: u32, s: u32, frac: f64) -> Option<f64> {
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let days = days_from_civil(y, mo, d);
    Some((days * 86_400 + (h * 3600 + mi * 60 + s) as i64) as f64 + frac)
}

/// ISO 8601 date-time to epoch seconds.
pub fn parse_iso8601(s: &str) -> Option<f64> {
    // Fixed-width fields are sliced by byte offsets below: only ASCII text
    // can be an ISO 8601 timestamp (and slicing inside a character panics).
    if !s.is_ascii() {
        return None;
    }
    let s = s.replace(['-', ':'], "");
    // Now like 20151021T072800.123Z or 20151021T072800+0100.
    let (date, rest) = s.split_once(['T', 't', ' '])?;
    if date.len() != 8 {
        return None;
    }
    let y = num(&date[0..4])? as i64;
    let mo = num(&date[4..6])?;
    let d = num(&date[6..8])?;
    let (time, offset) = if let Some(t) = rest.strip_suffix(['Z', 'z']) {
        (t, 0i64)
    } else if let Some(i) = rest.find(['+', '-']) {
        let (t, off) = rest.split_at(i);
        let sign = if off.starts_with('-') { -1 } else { 1 };
        let digits = &off[1..];
        if digits.len() != 4 {
            return None;
        }
        let oh = num(&digits[0..2])? as i64;
        let om = num(&digits[2..4])? as i64;
        (t, sign * (oh * 3600 + om * 60))
    } else {
        (rest, 0)
    };
    let (hms, frac) = match time.split_once(['.', ',']) {
        Some((hms, f)) => {
            num(f)?;
            (hms, format!("0.{f}").parse::<f64>().ok()?)
        }
        None => (time, 0.0),
    };
    if hms.len() != 6 {
        return None;
    }
    let t = build(
        y,
        mo,
        d,
        num(&hms[0..2])?,
        num(&hms[2..4])?,
        num(&hms[4..6])?,
        frac,
    )?;
    Some(t - offset as f64)
}

/// RFC 822 / HTTP-date (`Wed, 21 Oct 2015 07:28:00 GMT`) to epoch seconds.
pub fn parse_rfc822(s: &str) -> Option<f64> {
    let s = s.split_once(',').map(|(_, r)| r).unwrap_or(s);
    let mut it = s.split_whitespace();
    let d = num(it.next()?)?;
    let mo_name = it.next()?;
    let mo = MONTHS
        .iter()
        .position(|m| m.eq_ignore_ascii_case(mo_name))? as u32
        + 1;
    let y = num(it.next()?)? as i64;
    let mut hms = it.next()?.split(':');
    let h = num(hms.next()?)?;
    let mi = num(hms.next()?)?;
    let sec = num(hms.next()?)?;
    match it.next() {
        None | Some("GMT") | Some("UTC") | Some("Z") | Some("+0000") => {}
        _ => return None,
    }
    build(y, mo, d, h, mi, sec, 0.0)
}

/// Parses the ISO 8601 basic format `yyyyMMdd'T'HHmmss'Z'` strictly (the
/// `X-Amz-Date` of SigV4 and of presigned URLs) to epoch seconds.
pub fn parse_basic_iso8601(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if b.len() != 16 || b[8] != b'T' || b[15] != b'Z' || !digits(0..8) || !digits(9..15) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| s[r].parse::<u32>().ok();
    let (y, mo, d) = (n(0..4)?, n(4..6)?, n(6..8)?);
    let (h, mi, sec) = (n(9..11)?, n(11..13)?, n(13..15)?);
    if !(1..=12).contains(&mo)
        || d == 0
        || d > days_in_month(y, mo)
        || h > 23
        || mi > 59
        || sec > 59
    {
        return None;
    }
    build(i64::from(y), mo, d, h, mi, sec, 0.0).map(|t| t as i64)
}

/// Days in month `m` of year `y` (Gregorian).
fn days_in_month(y: u32, m: u32) -> u32 {
    match m {
        2 if (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        let t = 1_445_412_480.0; // 2015-10-21T07:28:00Z
        assert_eq!(format_iso8601(t), "2015-10-21T07:28:00.000Z");
        assert_eq!(format_rfc822(t), "Wed, 21 Oct 2015 07:28:00 GMT");
        assert_eq!(format_iso8601(0.5), "1970-01-01T00:00:00.500Z");
        assert_eq!(
            format_iso8601_millis(951_782_400_000),
            "2000-02-29T00:00:00.000Z"
        );
        assert_eq!(epoch_json(t), serde_json::json!(1_445_412_480));
        assert_eq!(epoch_json(1.25), serde_json::json!(1.25));
    }

    #[test]
    fn parses() {
        let t = 1_445_412_480.0;
        assert_eq!(parse_timestamp("2015-10-21T07:28:00Z"), Some(t));
        assert_eq!(parse_timestamp("2015-10-21T07:28:00.000Z"), Some(t));
        assert_eq!(parse_timestamp("2015-10-21T08:28:00+01:00"), Some(t));
        assert_eq!(parse_timestamp("20151021T072800Z"), Some(t));
        assert_eq!(parse_timestamp("Wed, 21 Oct 2015 07:28:00 GMT"), Some(t));
        assert_eq!(parse_timestamp("1445412480"), Some(t));
        assert_eq!(parse_timestamp("2015-10-21T07:28:00.250Z"), Some(t + 0.25));
        assert_eq!(parse_timestamp("yesterday"), None);
        assert_eq!(parse_timestamp("2015-13-21T07:28:00Z"), None);
    }

    #[test]
    fn non_ascii_timestamps_are_refused_not_sliced() {
        // Found by `just fuzz` (plugin-s3): byte slices inside a character.
        assert_eq!(
            parse_timestamp("20f\u{b1}~I \u{e0}15-10-21T07:28:00Z"),
            None
        );
        assert_eq!(parse_timestamp("2015-10-21T0\u{b5};\u{1}"), None);
        assert_eq!(parse_iso8601("2015-10-21T07:28:00+\u{e9}00"), None);
        assert_eq!(parse_iso8601("2\u{e9}5-10-21T07:28:00Z"), None);
        assert_eq!(parse_iso8601("2015-10-21T07:2\u{e9}Z"), None);
    }

    #[test]
    fn round_trips_every_day_of_a_leap_cycle() {
        for day in -800..2000i64 {
            let t = (day * 86_400 + 3_723) as f64;
            assert_eq!(parse_iso8601(&format_iso8601(t)), Some(t));
            assert_eq!(parse_rfc822(&format_rfc822(t)), Some(t));
        }
    }

    #[test]
    fn formats_like_the_format_macro() {
        let millis = [
            0,
            -1,
            1_445_412_480_123,
            253_402_300_799_999, // 9999-12-31T23:59:59.999Z
            253_402_300_800_000, // year 10000
            -62_167_219_200_001, // just before year 0
        ];
        for m in millis
            .into_iter()
            .chain((0..400).map(|i| i * 7_919_999_999_i64))
        {
            let p = split(m);
            let iso = format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
                p.year, p.month, p.day, p.hour, p.min, p.sec, p.millis
            );
            let rfc = format!(
                "{}, {:02} {} {:04} {:02}:{:02}:{:02} GMT",
                WEEKDAYS[p.weekday],
                p.day,
                MONTHS[p.month as usize - 1],
                p.year,
                p.hour,
                p.min,
                p.sec
            );
            assert_eq!(format_iso8601_millis(m), iso);
            assert_eq!(format_rfc822_millis(m), rfc);
        }
    }
}
