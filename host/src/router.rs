//! Which plugin serves a request, from the matchers plugins declared.

use ruststack_protocol::encoding::form_decode;

use crate::wit::Matcher;

/// What the router looks at in a request.
#[derive(Debug, Default, Clone)]
pub struct RequestFacts {
    /// Host header without the port, lower-case.
    pub host: String,
    /// Raw path.
    pub path: String,
    /// `X-Amz-Target` header.
    pub target: Option<String>,
    /// `Action` from the query string or a form body.
    pub action: Option<String>,
    /// `Version` from the query string or a form body.
    pub version: Option<String>,
    /// Service named by the SigV4 credential scope.
    pub signing_service: Option<String>,
    /// Region named by the SigV4 credential scope.
    pub region: Option<String>,
    /// Access key id of the credentials.
    pub access_key: Option<String>,
}

/// A SigV4 credential scope: `AKID/date/region/service/aws4_request`.
pub fn parse_credential(credential: &str) -> Option<(String, String, String)> {
    let parts: Vec<&str> = credential.split('/').collect();
    if parts.len() != 5 || parts[4] != "aws4_request" {
        return None;
    }
    Some((
        parts[0].to_string(),
        parts[2].to_string(),
        parts[3].to_string(),
    ))
}

/// The `Credential=` value of a SigV4 `Authorization` header.
pub fn credential_from_authorization(auth: &str) -> Option<&str> {
    let rest = auth.strip_prefix("AWS4-HMAC-SHA256")?;
    let start = rest.find("Credential=")? + "Credential=".len();
    let rest = &rest[start..];
    Some(rest.split([',', ' ']).next().unwrap_or(rest))
}

/// The raw (still percent-encoded) value of `name` in a query string or form body.
pub fn form_field<'a>(form: &'a str, name: &str) -> Option<&'a str> {
    form.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then_some(v)
    })
}

/// Whether a request is a form POST, whose body may name its service
/// (query protocol `Action` and `Version`).
pub fn is_form_post(method: &str, headers: &[(String, String)]) -> bool {
    method == "POST"
        && headers
            .iter()
            .any(|(k, v)| k == "content-type" && v.starts_with("application/x-www-form-urlencoded"))
}

/// The routing facts of a request.
pub fn facts_of(
    method: &str,
    path: &str,
    query: &str,
    headers: &[(String, String)],
    body: &[u8],
) -> RequestFacts {
    let header = |n: &str| {
        headers
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.as_str())
    };
    let host = without_port(header("host").unwrap_or(""));
    let form = if is_form_post(method, headers) {
        std::str::from_utf8(body).unwrap_or("")
    } else {
        ""
    };
    let field = |n: &str| {
        form_field(query, n)
            .or_else(|| form_field(form, n))
            .map(form_decode)
    };
    let credential = header("authorization")
        .and_then(credential_from_authorization)
        .map(str::to_string)
        .or_else(|| form_field(query, "X-Amz-Credential").map(form_decode));
    let scope = credential.as_deref().and_then(parse_credential);
    // SigV2 (S3): `Authorization: AWS <key>:<signature>` or `AWSAccessKeyId=`.
    let v2_key = || {
        header("authorization")
            .and_then(|a| a.strip_prefix("AWS "))
            .and_then(|a| a.split_once(':'))
            .map(|(k, _)| k.trim().to_string())
            .or_else(|| form_field(query, "AWSAccessKeyId").map(form_decode))
    };
    RequestFacts {
        host,
        path: path.to_string(),
        target: header("x-amz-target").map(str::to_string),
        action: field("Action"),
        version: field("Version"),
        access_key: scope.as_ref().map(|s| s.0.clone()).or_else(v2_key),
        region: scope.as_ref().map(|s| s.1.clone()),
        signing_service: scope.map(|s| s.2),
    }
}

/// A `Host` value without its port, lower-case (`[::1]:4566` is `[::1]`).
pub fn without_port(host: &str) -> String {
    let name = match host.rsplit_once(':') {
        Some((h, p))
            if p.bytes().all(|b| b.is_ascii_digit()) && (!h.contains(':') || h.ends_with(']')) =>
        {
            h
        }
        _ => host,
    };
    name.to_ascii_lowercase()
}

/// A host pattern (`*` is one or more characters within a label, `**` one
/// or more whole labels) split into labels once, when its plugin loads: every
/// request is matched against every pattern, so the request's host is split
/// once and each pattern compares label slices.
#[derive(Debug, Clone)]
struct HostPattern(Vec<String>);

impl HostPattern {
    fn new(pattern: &str) -> Self {
        Self(pattern.split('.').map(str::to_string).collect())
    }

    /// Whether the host with these labels fits. Compared from the last
    /// label: patterns end in literal labels, so most mismatches show at once.
    fn matches(&self, host: &[&str]) -> bool {
        fn from_end(p: &[String], h: &[&str]) -> bool {
            match (p.split_last(), h.split_last()) {
                (None, None) => true,
                (Some((pl, p_rest)), _) if pl == "**" => {
                    // One or more whole labels, then the rest of the pattern.
                    (1..=h.len()).any(|n| from_end(p_rest, &h[..h.len() - n]))
                }
                (Some((pl, p_rest)), Some((hl, h_rest))) => {
                    label_matches(pl, hl) && from_end(p_rest, h_rest)
                }
                _ => false,
            }
        }
        from_end(&self.0, host)
    }
}

fn label_matches(pattern: &str, label: &str) -> bool {
    fn glob(p: &[u8], s: &[u8]) -> bool {
        match p.first() {
            None => s.is_empty(),
            Some(b'*') => (1..=s.len()).any(|i| glob(&p[1..], &s[i..])),
            Some(c) => {
                s.first().is_some_and(|x| x.eq_ignore_ascii_case(c)) && glob(&p[1..], &s[1..])
            }
        }
    }
    glob(pattern.as_bytes(), label.as_bytes())
}

/// How well a matcher fits: `None` if it does not. `host` is the request's
/// host split into labels.
fn score(e: &Entry, f: &RequestFacts, host: &[&str]) -> Option<(i32, u32)> {
    let m = &e.matcher;
    let mut fields = 0;
    if let Some(p) = &m.target_prefix {
        if !f
            .target
            .as_deref()
            .is_some_and(|t| t.starts_with(p.as_str()))
        {
            return None;
        }
        fields += 1;
    }
    if let Some(v) = &m.query_version {
        if f.version.as_deref() != Some(v.as_str()) {
            return None;
        }
        fields += 1;
    }
    if !m.query_actions.is_empty() {
        if !f
            .action
            .as_deref()
            .is_some_and(|a| m.query_actions.iter().any(|x| x == a))
        {
            return None;
        }
        fields += 1;
    }
    if let Some(s) = &m.signing_service {
        if f.signing_service.as_deref() != Some(s.as_str()) {
            return None;
        }
        fields += 1;
    }
    if let Some(h) = &e.host {
        if !h.matches(host) {
            return None;
        }
        fields += 1;
    }
    if let Some(p) = &m.path_prefix {
        if !f.path.starts_with(p.as_str()) {
            return None;
        }
        fields += 1;
    }
    (fields > 0).then_some((m.priority, fields))
}

/// The routing table: every plugin's matchers, and the fallback plugin.
#[derive(Default)]
pub struct Router {
    entries: Vec<Entry>,
    fallback: Option<usize>,
}

/// One declared matcher, with its host pattern prepared.
struct Entry {
    plugin: usize,
    matcher: Matcher,
    host: Option<HostPattern>,
}

impl Router {
    /// Adds the matchers of the plugin at `index`.
    pub fn add(&mut self, index: usize, matchers: &[Matcher], fallback: bool) {
        for m in matchers {
            self.entries.push(Entry {
                plugin: index,
                matcher: m.clone(),
                host: m.host_pattern.as_deref().map(HostPattern::new),
            });
        }
        if fallback && self.fallback.is_none() {
            self.fallback = Some(index);
        }
    }

    /// The index of the plugin that serves a request. A request that names
    /// an operation (`X-Amz-Target` or `Action`) that no plugin claims does
    /// not go to the fallback: it belongs to a service that is not loaded.
    pub fn route(&self, facts: &RequestFacts) -> Option<usize> {
        let names_operation = facts.target.is_some() || facts.action.is_some();
        let host: Vec<&str> = facts.host.split('.').collect();
        self.entries
            .iter()
            .filter_map(|e| score(e, facts, &host).map(|s| (s, e.plugin)))
            .max_by_key(|(s, i)| (*s, std::cmp::Reverse(*i)))
            .map(|(_, i)| i)
            .or(self.fallback.filter(|_| !names_operation))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host_matches(pattern: &str, host: &str) -> bool {
        HostPattern::new(pattern).matches(&host.split('.').collect::<Vec<_>>())
    }

    fn matcher() -> Matcher {
        Matcher {
            target_prefix: None,
            query_version: None,
            query_actions: vec![],
            signing_service: None,
            host_pattern: None,
            path_prefix: None,
            priority: 0,
        }
    }

    #[test]
    fn host_patterns() {
        assert!(host_matches("*.localhost", "bucket.localhost"));
        assert!(!host_matches("*.localhost", "localhost"));
        assert!(host_matches(
            "**.s3.**",
            "my.bucket.s3.us-east-1.amazonaws.com"
        ));
        assert!(host_matches(
            "*.s3.localhost.localstack.cloud",
            "b.s3.localhost.localstack.cloud"
        ));
        assert!(!host_matches(
            "*.s3.localhost.localstack.cloud",
            "s3.localhost.localstack.cloud"
        ));
        assert!(host_matches(
            "sqs.*.amazonaws.com",
            "sqs.eu-west-1.amazonaws.com"
        ));
        assert!(host_matches("q-*.example", "q-1.example"));
        assert!(!host_matches("q-*.example", "q-.example"));
    }

    #[test]
    fn credentials() {
        let auth = "AWS4-HMAC-SHA256 Credential=AKID/20240101/eu-west-1/sqs/aws4_request, SignedHeaders=host, Signature=abc";
        let cred = credential_from_authorization(auth).unwrap();
        assert_eq!(
            parse_credential(cred),
            Some(("AKID".into(), "eu-west-1".into(), "sqs".into()))
        );
        assert_eq!(parse_credential("garbage"), None);
    }

    #[test]
    fn most_specific_wins_then_fallback() {
        let mut r = Router::default();
        r.add(0, &[], true);
        r.add(
            1,
            &[Matcher {
                target_prefix: Some("AmazonSQS.".into()),
                ..matcher()
            }],
            false,
        );
        r.add(
            2,
            &[Matcher {
                signing_service: Some("sqs".into()),
                ..matcher()
            }],
            false,
        );
        let mut f = RequestFacts {
            target: Some("AmazonSQS.SendMessage".into()),
            ..Default::default()
        };
        assert_eq!(r.route(&f), Some(1));
        f.signing_service = Some("sqs".into());
        // Equal priority and specificity: the first declared wins.
        assert_eq!(r.route(&f), Some(1));
        f.target = None;
        assert_eq!(r.route(&f), Some(2));
        f.signing_service = None;
        f.path = "/bucket/key".into();
        assert_eq!(r.route(&f), Some(0));
        // Names an operation nobody serves: not for the fallback.
        f.target = Some("Nobody_2020.Do".into());
        assert_eq!(r.route(&f), None);
        f.target = None;
        f.action = Some("ListWidgets".into());
        assert_eq!(r.route(&f), None);
    }
}
