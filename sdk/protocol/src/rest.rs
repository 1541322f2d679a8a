//! What rest-xml and rest-json share: request-URI templates, operation
//! resolution by method + path + query, and the members bound to the URI,
//! query string, headers and status code.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Map, Value};

use crate::encoding::{parse_form, percent_decode};
use crate::model::{Location, Model, Operation, Shape, ShapeType};
use crate::value::{TimestampFormat, scalar_from_text, scalar_to_text};
use crate::{AwsError, HttpRequest};

/// One path segment of a request-URI template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// Must equal this text.
    Literal(String),
    /// `{Name}`: one non-empty segment.
    Label(String),
    /// `{Name+}`: the rest of the path (non-empty, may contain `/`).
    Greedy(String),
}

/// A parsed `requestUri` such as `/{Bucket}/{Key+}?uploads` or
/// `/{Bucket}?list-type=2`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UriTemplate {
    /// Path segments.
    pub segments: Vec<Segment>,
    /// Query literals that must be present (`uploads`) or have a value
    /// (`list-type=2`).
    pub query: Vec<(String, Option<String>)>,
    /// How specific the template is (query literals, literal path segments,
    /// labels): among templates that fit a request the most specific wins.
    specificity: (usize, usize, usize),
}

fn split_path(path: &str) -> Vec<&str> {
    let p = path.strip_prefix('/').unwrap_or(path);
    if p.is_empty() {
        Vec::new()
    } else {
        p.split('/').collect()
    }
}

impl UriTemplate {
    /// Parses a model's `requestUri`.
    pub fn parse(uri: &str) -> UriTemplate {
        let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
        let segments = split_path(path)
            .into_iter()
            .map(
                |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    Some(l) => match l.strip_suffix('+') {
                        Some(g) => Segment::Greedy(g.to_string()),
                        None => Segment::Label(l.to_string()),
                    },
                    None => Segment::Literal(s.to_string()),
                },
            )
            .collect();
        let query = query
            .split('&')
            .filter(|q| !q.is_empty())
            .map(|q| match q.split_once('=') {
                Some((k, v)) => (k.to_string(), Some(v.to_string())),
                None => (q.to_string(), None),
            })
            .collect();
        let mut t = UriTemplate {
            segments,
            query,
            specificity: (0, 0, 0),
        };
        t.specificity = t.count_specificity();
        t
    }

    /// Whether the path, split by [`PathSegments::new`], fits the template;
    /// unlike [`UriTemplate::match_path`] it allocates nothing.
    fn fits(&self, path: &PathSegments<'_>) -> bool {
        let segs = &path.raw;
        let mut i = 0;
        for seg in &self.segments {
            match seg {
                Segment::Literal(l) => {
                    if path.decoded.get(i).map(|s| s.as_ref()) != Some(l.as_str()) {
                        return false;
                    }
                    i += 1;
                }
                Segment::Label(_) => {
                    if segs.get(i).is_none_or(|s| s.is_empty()) {
                        return false;
                    }
                    i += 1;
                }
                Segment::Greedy(_) => {
                    // Joined with `/`, the rest is empty only if it is at
                    // most one empty segment.
                    match segs.get(i..) {
                        None | Some([]) | Some([""]) => return false,
                        Some(_) => i = segs.len(),
                    }
                }
            }
        }
        matches!(segs.get(i..), Some([]) | Some([""]) | None)
    }

    /// Matches a raw (percent-encoded) path; returns the decoded labels.
    /// Whether it matches is [`UriTemplate::fits`]'s decision alone.
    pub fn match_path(&self, path: &str) -> Option<Vec<(String, String)>> {
        let segs = PathSegments::new(path);
        if !self.fits(&segs) {
            return None;
        }
        let mut labels = Vec::new();
        let mut i = 0;
        for seg in &self.segments {
            match seg {
                Segment::Literal(_) => i += 1,
                Segment::Label(name) => {
                    labels.push((name.clone(), segs.decoded[i].to_string()));
                    i += 1;
                }
                Segment::Greedy(name) => {
                    labels.push((name.clone(), percent_decode(&segs.raw[i..].join("/"))));
                    i = segs.raw.len();
                }
            }
        }
        Some(labels)
    }

    /// Whether the query literals are present. `x-id` literals (added to
    /// S3 templates for SDKs) are optional.
    pub fn match_query(&self, query: &[(String, String)]) -> bool {
        self.query.iter().all(|(k, v)| {
            let found = query.iter().find(|(qk, _)| qk == k);
            match (found, v) {
                (None, _) => k == "x-id",
                (Some(_), None) => true,
                (Some((_, qv)), Some(v)) => qv == v,
            }
        })
    }

    fn count_specificity(&self) -> (usize, usize, usize) {
        let lits = self.query.iter().filter(|(k, _)| k != "x-id").count();
        let path_lits = self
            .segments
            .iter()
            .filter(|s| matches!(s, Segment::Literal(_)))
            .count();
        let labels = self
            .segments
            .iter()
            .filter(|s| matches!(s, Segment::Label(_)))
            .count();
        (lits, path_lits, labels)
    }
}

/// A request path split once into raw and percent-decoded segments, so that
/// matching it against every operation's template costs no allocation.
struct PathSegments<'a> {
    raw: Vec<&'a str>,
    decoded: Vec<std::borrow::Cow<'a, str>>,
}

impl<'a> PathSegments<'a> {
    fn new(path: &'a str) -> Self {
        let raw = split_path(path);
        let decoded = raw
            .iter()
            .map(|s| {
                if s.contains('%') {
                    std::borrow::Cow::Owned(percent_decode(s))
                } else {
                    std::borrow::Cow::Borrowed(*s)
                }
            })
            .collect();
        PathSegments { raw, decoded }
    }
}

/// The bucket a virtual-hosted `Host` names, one rule for the S3
/// plugin and the signature checks (so they agree): `<bucket>.localhost`,
/// `<bucket>.s3.<anything>` (e.g. `b.s3.localhost.localstack.cloud`,
/// `b.s3.amazonaws.com`, `b.s3.us-east-1.amazonaws.com`: everything before
/// the first `.s3.`, so bucket names with dots work) and
/// `<bucket>.s3-<region>.amazonaws.com`. Any other host (`localhost:4566`,
/// `s3.localhost.localstack.cloud`, an IP) is path-style. The port is
/// ignored.
pub fn virtual_bucket(host: &str) -> Option<String> {
    let host = host.trim().to_ascii_lowercase();
    let host = host.split(':').next().unwrap_or("");
    if let Some(b) = host.strip_suffix(".localhost") {
        return (!b.is_empty() && b != "s3" && !b.ends_with(".s3")).then(|| b.to_string());
    }
    if let Some(i) = host.find(".s3.") {
        return Some(host[..i].to_string()).filter(|b| !b.is_empty());
    }
    if let Some(i) = host.find(".s3-")
        && host.ends_with(".amazonaws.com")
    {
        return Some(host[..i].to_string()).filter(|b| !b.is_empty());
    }
    None
}

/// Rewrites a virtual-hosted S3 path (`/key`, with the bucket from the host)
/// to path style (`/bucket/key`).
pub fn path_style(bucket: &str, path: &str) -> String {
    let key = path.strip_prefix('/').unwrap_or(path);
    format!("/{bucket}/{key}")
}

/// Finds the operation for a REST request: the method must match, then the
/// path template and query literals; among matches the most specific wins
/// (query literals, then literal path segments, then labels), then the one
/// whose required query/header members are all present and most numerous,
/// and non-deprecated operations before deprecated ones. E.g. `PUT
/// /b/k?partNumber=1&uploadId=u` is `UploadPart`, not `PutObject`.
pub fn resolve_operation<'m>(
    model: &'m Model,
    req: &HttpRequest<'_>,
    virtual_bucket: Option<&str>,
) -> Result<&'m Operation, AwsError> {
    let owned;
    let path = match virtual_bucket {
        Some(b) => {
            owned = path_style(b, req.path);
            owned.as_str()
        }
        None => req.path,
    };
    let query = parse_form(req.query);
    let segments = PathSegments::new(path);
    let fits = |r: &Route| r.template.match_query(&query) && r.template.fits(&segments);
    let group = model
        .routes
        .groups
        .iter()
        .find(|(m, _)| m.eq_ignore_ascii_case(req.method))
        .map_or(0..0, |(_, range)| range.clone());
    let mut best: Option<(_, &Route)> = None;
    for r in &model.routes.routes[group] {
        if !fits(r) {
            continue;
        }
        let (present, missing) = required_bindings(&r.required, &query, req);
        let score = (missing == 0, r.template.specificity, present, !r.deprecated);
        if best.as_ref().is_none_or(|(s, _)| score > *s) {
            best = Some((score, r));
        }
    }
    match best {
        Some((_, r)) => model
            .operation(&r.name)
            .ok_or_else(AwsError::internal_failure),
        // No operation of this method fits: a wrong method (405) if one of
        // another method does, else an unknown path.
        None if model.routes.routes.iter().any(fits) => Err(AwsError::method_not_allowed()),
        None => Err(AwsError::invalid_request(format!(
            "No operation matches {} {}",
            req.method, req.path
        ))),
    }
}

/// The operations of a model as REST resolution sees them, grouped by HTTP
/// method in one contiguous list, built when the model loads: resolving a
/// request walks only its method's group.
#[derive(Debug, Clone, Default)]
pub(crate) struct Routes {
    /// Method (as the model spells it) and its operations' place in `routes`.
    groups: Vec<(String, std::ops::Range<usize>)>,
    routes: Vec<Route>,
}

/// What resolution tests of one operation.
#[derive(Debug, Clone)]
struct Route {
    name: String,
    template: UriTemplate,
    required: Vec<RequiredBinding>,
    deprecated: bool,
}

impl Routes {
    /// The routes of every operation of `model` (templates already parsed).
    pub(crate) fn of(model: &Model) -> Routes {
        let mut ops: Vec<&Operation> = model.operations.values().collect();
        ops.sort_by(|a, b| a.http.method.cmp(&b.http.method));
        let mut out = Routes::default();
        for op in ops {
            let at = out.routes.len();
            match out.groups.last_mut() {
                Some((m, range)) if *m == op.http.method => range.end = at + 1,
                _ => out.groups.push((op.http.method.clone(), at..at + 1)),
            }
            out.routes.push(Route {
                name: op.name.clone(),
                template: op.http.template.clone(),
                required: RequiredBinding::of(model, op),
                deprecated: op.deprecated,
            });
        }
        out
    }
}

/// A required input member bound to the query string or a header; whether
/// a request carries it tells operations that share a template apart (e.g.
/// `ListParts` needs `uploadId`, `GetObject` does not).
#[derive(Debug, Clone, PartialEq, Eq)]
struct RequiredBinding {
    /// Bound to a header (else to the query string).
    header: bool,
    /// The header or query-string name.
    wire_name: String,
}

impl RequiredBinding {
    /// The required query-string and header members of `op`'s input.
    fn of(model: &Model, op: &Operation) -> Vec<RequiredBinding> {
        let Some(shape) = model.input_shape(op) else {
            return Vec::new();
        };
        shape
            .members
            .iter()
            .filter(|m| shape.required.contains(&m.name))
            .filter_map(|m| {
                let header = match m.location {
                    Some(Location::Querystring) => false,
                    Some(Location::Header) => true,
                    _ => return None,
                };
                Some(RequiredBinding {
                    header,
                    wire_name: m.wire_name().to_string(),
                })
            })
            .collect()
    }
}

/// Counts the required query-string and header members of `op`'s input that
/// the request has and lacks.
fn required_bindings(
    required: &[RequiredBinding],
    query: &[(String, String)],
    req: &HttpRequest<'_>,
) -> (usize, usize) {
    let present = required
        .iter()
        .filter(|b| match b.header {
            true => req.header(&b.wire_name).is_some(),
            false => query.iter().any(|(k, _)| *k == b.wire_name),
        })
        .count();
    (present, required.len() - present)
}

fn bad(name: &str, e: String) -> AwsError {
    AwsError::client("InvalidArgument", format!("{name}: {e}"))
}

/// `s` without `prefix`, compared without regard to ASCII case.
fn strip_prefix_ignore_case<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.as_bytes().get(..prefix.len())?;
    // Equal ASCII-insensitively means `prefix.len()` ends on a char boundary.
    head.eq_ignore_ascii_case(prefix.as_bytes())
        .then(|| &s[prefix.len()..])
}

/// Decodes the members bound to URI labels, the query string and headers
/// into `out`. Type errors are `InvalidArgument` (S3's error for them).
pub fn decode_bindings(
    model: &Model,
    op: &Operation,
    shape: &Shape,
    req: &HttpRequest<'_>,
    out: &mut Map<String, Value>,
) -> Result<(), AwsError> {
    let labels = op.http.template.match_path(req.path).unwrap_or_default();
    let query = parse_form(req.query);
    let is_bound = |k: &str| {
        shape.members.iter().any(|m| {
            m.location == Some(Location::Querystring)
                && m.location_name.is_some()
                && m.wire_name() == k
        })
    };
    for m in &shape.members {
        let ms = model.shape_of(m);
        let name = m.wire_name();
        let value = match m.location {
            Some(Location::Uri) => match labels.iter().find(|(l, _)| l == name) {
                Some((_, v)) => Some(scalar_from_text(ms, v).map_err(|e| bad(name, e))?),
                None => None,
            },
            Some(Location::Querystring) => match ms.kind {
                ShapeType::List => {
                    let item = model.shape_of(ms.member.as_ref().expect("list member"));
                    let items = query
                        .iter()
                        .filter(|(k, _)| k == name)
                        .map(|(_, v)| scalar_from_text(item, v).map_err(|e| bad(name, e)))
                        .collect::<Result<Vec<_>, _>>()?;
                    (!items.is_empty()).then_some(Value::Array(items))
                }
                ShapeType::Map => {
                    // Unbound query parameters, as a map.
                    let mut map = Map::new();
                    for (k, v) in &query {
                        if !is_bound(k) {
                            map.insert(k.clone(), Value::String(v.clone()));
                        }
                    }
                    (!map.is_empty()).then_some(Value::Object(map))
                }
                _ => match query.iter().find(|(k, _)| k == name) {
                    Some((_, v)) => Some(scalar_from_text(ms, v).map_err(|e| bad(name, e))?),
                    None => None,
                },
            },
            Some(Location::Header) => match req.header(name) {
                Some(v) if m.jsonvalue => {
                    let raw = B64.decode(v.trim()).map_err(|e| bad(name, e.to_string()))?;
                    Some(serde_json::from_slice(&raw).map_err(|e| bad(name, e.to_string()))?)
                }
                Some(v) if ms.kind == ShapeType::List => {
                    let item = model.shape_of(ms.member.as_ref().expect("list member"));
                    let items = v
                        .split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(|s| scalar_from_text(item, s).map_err(|e| bad(name, e)))
                        .collect::<Result<Vec<_>, _>>()?;
                    Some(Value::Array(items))
                }
                Some(v) => Some(scalar_from_text(ms, v).map_err(|e| bad(name, e))?),
                None => None,
            },
            Some(Location::Headers) => {
                let mut map = Map::new();
                for (k, v) in req.headers {
                    if let Some(rest) = strip_prefix_ignore_case(k, name) {
                        map.insert(rest.to_ascii_lowercase(), Value::String(v.clone()));
                    }
                }
                (!map.is_empty()).then_some(Value::Object(map))
            }
            _ => None,
        };
        if let Some(v) = value {
            out.insert(m.name.clone(), v);
        }
    }
    Ok(())
}

/// Encodes the output members bound to headers and the status code. Returns
/// the status from a `statusCode` member, if any.
pub fn encode_bindings(
    model: &Model,
    shape: &Shape,
    obj: &Map<String, Value>,
    headers: &mut Vec<(String, String)>,
) -> Option<u16> {
    let mut status = None;
    // Walks the output's few values rather than the shape's many members
    // (GetObject's output has some 40), finding each value's member.
    for (key, v) in obj {
        if v.is_null() {
            continue;
        }
        let Some(m) = shape.member_named(key) else {
            continue;
        };
        let ms = model.shape_of(m);
        let name = m.wire_name();
        match m.location {
            Some(Location::StatusCode) => status = v.as_u64().and_then(|s| u16::try_from(s).ok()),
            Some(Location::Header) => {
                let ts = TimestampFormat::resolve(
                    m.timestamp_format.as_deref(),
                    ms,
                    TimestampFormat::Rfc822,
                );
                let text = if m.jsonvalue {
                    Some(B64.encode(v.to_string()))
                } else if let (ShapeType::List, Value::Array(items)) = (ms.kind, v) {
                    let item = model.shape_of(ms.member.as_ref().expect("list member"));
                    Some(
                        items
                            .iter()
                            .filter_map(|i| scalar_to_text(item, i, ts))
                            .collect::<Vec<_>>()
                            .join(", "),
                    )
                } else {
                    scalar_to_text(ms, v, ts)
                };
                if let Some(text) = text {
                    headers.push((name.to_string(), text));
                }
            }
            Some(Location::Headers) => {
                if let Value::Object(map) = v {
                    for (k, v) in map {
                        if let Some(s) = v.as_str() {
                            headers.push((format!("{name}{k}"), s.to_string()));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    status
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates() {
        let t = UriTemplate::parse("/{Bucket}/{Key+}?uploads");
        assert_eq!(
            t.segments,
            vec![
                Segment::Label("Bucket".into()),
                Segment::Greedy("Key".into())
            ]
        );
        assert_eq!(t.query, vec![("uploads".to_string(), None)]);
        assert_eq!(
            t.match_path("/b/a%20b/c/"),
            Some(vec![
                ("Bucket".into(), "b".into()),
                ("Key".into(), "a b/c/".into())
            ])
        );
        assert_eq!(t.match_path("/b"), None);
        assert_eq!(t.match_path("/b/"), None);
        let b = UriTemplate::parse("/{Bucket}");
        assert!(b.match_path("/b/").is_some());
        assert!(b.match_path("/b/k").is_none());
        assert!(b.match_path("/").is_none());
        assert!(UriTemplate::parse("/").match_path("/").is_some());
        let v2 = UriTemplate::parse("/{Bucket}?list-type=2");
        assert!(v2.match_query(&[("list-type".into(), "2".into())]));
        assert!(!v2.match_query(&[("list-type".into(), "1".into())]));
        assert!(!v2.match_query(&[]));
    }
}
