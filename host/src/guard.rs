//! Browser safety. A server on a developer's machine is reachable from every
//! web page the developer opens: a page can point a name it controls at
//! 127.0.0.1 (DNS rebinding) and read answers, or submit a form or load an
//! image that sends an AWS request. Two checks, before any plugin runs:
//! the `Host` a request names must be one this server answers to, and a
//! cross-site browser request ([`ruststack_protocol::browser`]) to a query or
//! JSON service must carry an `Authorization` header (which a browser only
//! sends after a CORS preflight the server allowed). S3 judges cross-site
//! requests itself, by the bucket's CORS rules.

use std::net::IpAddr;

/// Which `Host` names the server answers to.
#[derive(Debug, Clone)]
pub struct AllowedHosts {
    /// Any host at all (`--allowed-hosts '*'`, or a server listening on a
    /// non-loopback address without `--allowed-hosts`).
    any: bool,
    /// Names added with `--allowed-hosts` (lower-case; `*.example.com`
    /// allows every name under `example.com`).
    extra: Vec<String>,
}

impl AllowedHosts {
    /// The rule for a server listening on `listen` with these extra names:
    /// on a loopback address only local and AWS-style names unless more are
    /// given; elsewhere (a container, a shared CI host) any name unless
    /// `--allowed-hosts` narrows it.
    pub fn new(listen: &str, extra: &[String]) -> Self {
        let extra: Vec<String> = extra
            .iter()
            .map(|h| h.trim().to_ascii_lowercase())
            .filter(|h| !h.is_empty())
            .collect();
        let loopback = is_loopback(listen);
        AllowedHosts {
            any: extra.iter().any(|h| h == "*") || (!loopback && extra.is_empty()),
            extra,
        }
    }

    /// Whether a request whose `Host` header names `host` (without its port,
    /// lower-case) is served. A request without a `Host` (HTTP/1.0 tools)
    /// comes from no browser and is served.
    pub fn allows(&self, host: &str) -> bool {
        if self.any || host.is_empty() || is_local_name(host) {
            return true;
        }
        self.extra
            .iter()
            .any(|pattern| match pattern.strip_prefix("*.") {
                Some(domain) => host.ends_with(&format!(".{domain}")),
                None => pattern == host,
            })
    }
}

/// Whether a listening address is a loopback one (`127.0.0.1`, `::1`,
/// `localhost`).
fn is_loopback(listen: &str) -> bool {
    let addr = listen.trim_start_matches('[').trim_end_matches(']');
    addr.eq_ignore_ascii_case("localhost")
        || addr.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Names that only ever reach this machine, or that AWS clients use when
/// pointed at an emulator: loopback addresses, `localhost` and names under
/// it, LocalStack's `localhost.localstack.cloud` names, and AWS service
/// names (`s3.amazonaws.com`, `sqs.eu-west-1.amazonaws.com`), which a
/// client reaches through its hosts file or endpoint resolver.
fn is_local_name(host: &str) -> bool {
    let host = host.trim_end_matches('.');
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
        || host == "localhost"
        || host.ends_with(".localhost")
        || host == "localhost.localstack.cloud"
        || host.ends_with(".localhost.localstack.cloud")
        || host.ends_with(".amazonaws.com")
        || host.ends_with(".amazonaws.com.cn")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_servers_answer_local_and_aws_names_only() {
        let hosts = AllowedHosts::new("127.0.0.1", &[]);
        for ok in [
            "localhost",
            "127.0.0.1",
            "127.1.2.3",
            "[::1]",
            "my-bucket.localhost",
            "sqs.eu-west-1.localhost.localstack.cloud",
            "localhost.localstack.cloud",
            "s3.amazonaws.com",
            "b.s3.us-west-2.amazonaws.com",
            "",
        ] {
            assert!(hosts.allows(ok), "{ok}");
        }
        for refused in [
            "evil.example.com",
            "localhost.evil.com",
            "amazonaws.com.evil.com",
            "192.168.1.4",
            "10.0.0.1",
        ] {
            assert!(!hosts.allows(refused), "{refused}");
        }
    }

    #[test]
    fn allowed_hosts_add_names_or_everything() {
        let hosts = AllowedHosts::new("::1", &["devbox.lan".into(), "*.corp.example".into()]);
        assert!(hosts.allows("devbox.lan"));
        assert!(hosts.allows("s3.corp.example"));
        assert!(!hosts.allows("corp.example.org"));
        assert!(!hosts.allows("other.lan"));
        assert!(AllowedHosts::new("127.0.0.1", &["*".into()]).allows("anything.example"));
    }

    #[test]
    fn other_addresses_answer_any_host_unless_narrowed() {
        assert!(AllowedHosts::new("0.0.0.0", &[]).allows("ruststack.internal"));
        let narrowed = AllowedHosts::new("0.0.0.0", &["ruststack.internal".into()]);
        assert!(narrowed.allows("ruststack.internal"));
        assert!(narrowed.allows("localhost"));
        assert!(!narrowed.allows("evil.example.com"));
    }
}
