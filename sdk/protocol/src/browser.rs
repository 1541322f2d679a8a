//! Requests a web browser sends on behalf of a page: the host refuses
//! unsigned ones to query and JSON services, and S3 holds them to a bucket's
//! CORS rules, so both must agree on which requests those are.

/// Whether a request comes from a web page of another site: a browser marks
/// such requests with `Sec-Fetch-Site` (`cross-site`, `same-site`) or an
/// `Origin` that is not the server's own (`host`: the request's `Host`
/// header, port included). Tools and SDKs send neither.
pub fn is_cross_site(origin: Option<&str>, sec_fetch_site: Option<&str>, host: &str) -> bool {
    let marked = sec_fetch_site.map(str::trim).is_some_and(|site| {
        site.eq_ignore_ascii_case("cross-site") || site.eq_ignore_ascii_case("same-site")
    });
    let foreign = origin.map(str::trim).is_some_and(|origin| {
        origin.split_once("://").is_none_or(|(_, authority)| {
            !authority.trim_end_matches('/').eq_ignore_ascii_case(host)
        })
    });
    marked || foreign
}

#[cfg(test)]
mod tests {
    use super::is_cross_site;

    #[test]
    fn cross_site_requests_are_those_browsers_mark() {
        let host = "localhost:4566";
        assert!(!is_cross_site(None, None, host));
        assert!(is_cross_site(Some("https://evil.example"), None, host));
        assert!(is_cross_site(Some("null"), None, host));
        assert!(!is_cross_site(Some("http://localhost:4566"), None, host));
        assert!(!is_cross_site(Some(" http://LOCALHOST:4566/ "), None, host));
        assert!(is_cross_site(None, Some("cross-site"), host));
        assert!(is_cross_site(None, Some("same-site"), host));
        assert!(!is_cross_site(None, Some("same-origin"), host));
        assert!(!is_cross_site(None, Some("none"), host));
    }
}
