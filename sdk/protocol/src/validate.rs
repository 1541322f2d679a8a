//! Model-driven input validation: the constraint checks AWS runs on every
//! request before the operation itself, with AWS's words.
//!
//! The codecs only make sure a request *decodes* (types, and the first
//! missing required member). AWS services also check the constraints their
//! model declares: required members, lengths, numeric ranges, enums and
//! patterns, recursively, and answer every broken one at once:
//!
//! ```text
//! 2 validation errors detected: Value '' at 'backupName' failed to satisfy constraint: Member must
//! satisfy regular expression pattern: [a-zA-Z0-9_.-]+; Value '' at 'backupName' failed to satisfy
//! constraint: Member must have length greater than or equal to 3
//! ```
//!
//! [`check`] walks a decoded input (what [`crate::decode_input`] returns)
//! against its shape and returns the [`Violation`]s; [`message`] words them as
//! AWS JSON and query services do, and [`validation_error`] wraps that in a
//! `ValidationException`. Services with their own words (S3, SQS, SNS) read
//! the [`Violation`] fields and word them differently. [`Rules`] turns kinds of
//! checks off, so a plugin can adopt validation one kind at a time.
//!
//! How AWS words it (from responses recorded against AWS, see the tests):
//! - member paths are the model's member names with the first letter lower
//!   case (`sSESpecification.kMSMasterKeyId`), joined by `.`; a list element
//!   is `<list>.<n>.member` (1-based), a map value `<map>.<key>.member`;
//! - values are quoted (`'abc'`, `'0'`, `'[]'`), `null` when absent; lists
//!   render as `[a, b]`, maps as `{k=v}`, blobs as
//!   `java.nio.HeapByteBuffer[pos=0 lim=<bytes> cap=<bytes>]`;
//! - constraints of list elements and map keys / values are reported once,
//!   at the list or map, listing every constraint of the element shape:
//!   `Member must satisfy constraint: [...]`, `Map keys must satisfy
//!   constraint: [...]`, `Map value must satisfy constraint: [...]`;
//! - string lengths count characters (Unicode code points), blob lengths
//!   bytes, lists and maps entries;
//! - at most ten violations are reported (the count then says 10).
//!
//! Patterns are Java regexes matched against the whole value; they run on
//! `regex-lite` (small enough for the WebAssembly plugins), compiled once per
//! pattern and thread. Java's ASCII classes (`\p{Print}`, ...) and surrogate
//! pairs (`\uD800\uDC00`) are translated; a pattern that still does not
//! compile (Unicode classes such as `\p{L}`, look-around) is skipped.
//!
//! Not modelled: AWS's order of violations (it varies between services and
//! even requests; this module reports in model member order), the order of
//! enum values in the message (model order here), members marked `sensitive`
//! (AWS leaves their value out; [`crate::model::Shape`] does not keep that
//! trait, and no bundled model uses it), and union checks.

use std::cell::RefCell;
use std::fmt::{self, Write as _};

use regex_lite::Regex;
use rustc_hash::FxHashMap;
use serde_json::{Map, Value};

use crate::error::AwsError;
use crate::model::{Model, Operation, Shape, ShapeType};
use crate::value::is_streaming;

/// How many violations AWS reports at most: a request breaking more
/// constraints is answered with the first ten and `10 validation errors
/// detected`.
pub const AWS_MAX_REPORTED: usize = 10;

/// Nesting beyond which values are neither checked nor rendered: far deeper
/// than anything the codecs decode (serde_json stops at 128), it only bounds
/// the stack for values built by hand.
const MAX_DEPTH: usize = 256;

/// Which kinds of constraints [`check`] enforces, and how many violations it
/// collects. Botocore models carry constraints some services do not enforce
/// (or enforce with their own words), so a plugin turns kinds on as it
/// adopts them. `Rules::default()` is [`Rules::ALL`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    /// Required members must be present (`Member must not be null`).
    pub required: bool,
    /// `min` / `max` length of strings, blobs, lists and maps.
    pub length: bool,
    /// `min` / `max` value of numbers.
    pub range: bool,
    /// String values must be one of the shape's `enum` values.
    pub enums: bool,
    /// String values must match the shape's `pattern`.
    pub patterns: bool,
    /// Stop after this many violations ([`AWS_MAX_REPORTED`] by default:
    /// AWS reports no more, and it bounds the work on hostile inputs).
    pub max_violations: usize,
}

impl Rules {
    /// Every kind of check, at most [`AWS_MAX_REPORTED`] violations: what AWS
    /// JSON services (DynamoDB) and STS do.
    pub const ALL: Rules = Rules {
        required: true,
        length: true,
        range: true,
        enums: true,
        patterns: true,
        max_violations: AWS_MAX_REPORTED,
    };

    /// Required members only: what the codecs check today, so
    /// [`crate::value::check_required`] can become a call of [`check`].
    pub const REQUIRED_ONLY: Rules = Rules {
        required: true,
        length: false,
        range: false,
        enums: false,
        patterns: false,
        max_violations: AWS_MAX_REPORTED,
    };

    /// These rules without the required-member check (for callers whose codec
    /// already answered missing members).
    pub const fn without_required(self) -> Rules {
        Rules {
            required: false,
            ..self
        }
    }

    /// These rules without length checks.
    pub const fn without_length(self) -> Rules {
        Rules {
            length: false,
            ..self
        }
    }

    /// These rules without range checks.
    pub const fn without_range(self) -> Rules {
        Rules {
            range: false,
            ..self
        }
    }

    /// These rules without enum checks (for services that accept values newer
    /// than the model, or answer unknown values with their own error).
    pub const fn without_enums(self) -> Rules {
        Rules {
            enums: false,
            ..self
        }
    }

    /// These rules without pattern checks.
    pub const fn without_patterns(self) -> Rules {
        Rules {
            patterns: false,
            ..self
        }
    }

    /// These rules collecting at most `n` violations (`usize::MAX`: all).
    pub const fn with_max_violations(self, n: usize) -> Rules {
        Rules {
            max_violations: n,
            ..self
        }
    }
}

impl Default for Rules {
    fn default() -> Self {
        Rules::ALL
    }
}

/// Which constraint a [`Violation`] breaks, for services that answer some
/// kinds with their own error (e.g. SQS's `MissingParameter` for required
/// members).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A required member is absent.
    Required,
    /// A string, blob, list or map is too short or too long.
    Length,
    /// A number is out of range.
    Range,
    /// A string is not one of the enum values.
    Enum,
    /// A string does not match the pattern.
    Pattern,
    /// Some elements of a list break the element shape's constraints.
    ListMembers,
    /// Some keys of a map break the key shape's constraints.
    MapKeys,
    /// Some values of a map break the value shape's constraints.
    MapValues,
}

/// One broken constraint. `Display` gives AWS's clause: `Value 'abc' at
/// 'tableName' failed to satisfy constraint: Member must have length greater
/// than or equal to 3`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Where, as AWS writes it: lower-camel member names joined by `.`, list
    /// elements as `<n>.member`, map values as `<key>.member`
    /// (`keySchema.1.member.attributeName`).
    pub path: String,
    /// The model name of the innermost structure member on the path
    /// (`AttributeName`), for messages that name the parameter.
    pub member: String,
    /// The offending value rendered as AWS does, without the quotes (`abc`,
    /// `[a, b]`, `{k=v}`); `None` for an absent member (AWS writes `null`).
    pub value: Option<String>,
    /// The constraint as AWS words it (`Member must not be null`, ...).
    pub constraint: String,
    /// Which kind of constraint.
    pub kind: Kind,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.value {
            Some(v) => write!(f, "Value '{v}'")?,
            None => f.write_str("Value null")?,
        }
        write!(
            f,
            " at '{}' failed to satisfy constraint: {}",
            self.path, self.constraint
        )
    }
}

/// Checks a decoded input against its shape and returns the broken
/// constraints, in model member order (depth first), at most
/// `rules.max_violations`. Values of the wrong JSON type are left to the
/// codecs (they are not reported here).
pub fn check(model: &Model, shape: &Shape, input: &Value, rules: &Rules) -> Vec<Violation> {
    let mut walk = Walk {
        model,
        rules,
        path: Vec::new(),
        out: Vec::new(),
    };
    if rules.max_violations > 0 {
        walk.content(shape, "", input, 0);
    }
    walk.out
}

/// [`check`] for an operation's input (nothing to check when the operation
/// has no input shape).
pub fn check_operation(
    model: &Model,
    op: &Operation,
    input: &Value,
    rules: &Rules,
) -> Vec<Violation> {
    match model.input_shape(op) {
        Some(shape) => check(model, shape, input, rules),
        None => Vec::new(),
    }
}

/// AWS's message for violations: `1 validation error detected: <clause>`, or
/// `N validation errors detected: <clause>; <clause>` (at most
/// [`AWS_MAX_REPORTED`] clauses, whatever the slice holds). Empty for none.
/// JSON services answer it as `ValidationException` ([`validation_error`]),
/// query services (STS, SNS) as `ValidationError`
/// ([`AwsError::validation_error`]).
pub fn message(violations: &[Violation]) -> String {
    let shown = &violations[..violations.len().min(AWS_MAX_REPORTED)];
    if shown.is_empty() {
        return String::new();
    }
    let plural = if shown.len() == 1 { "" } else { "s" };
    let mut s = format!("{} validation error{plural} detected: ", shown.len());
    for (i, v) in shown.iter().enumerate() {
        if i > 0 {
            s.push_str("; ");
        }
        let _ = write!(s, "{v}");
    }
    s
}

/// The `ValidationException` (400) a JSON service answers for these
/// violations; `None` when there are none, so a plugin writes
/// `if let Some(e) = validation_error(&check(..)) { return Err(e) }`.
pub fn validation_error(violations: &[Violation]) -> Option<AwsError> {
    (!violations.is_empty()).then(|| AwsError::validation(message(violations)))
}

/// One step of a member path; rendered only when a violation is reported.
#[derive(Clone, Copy)]
enum Seg<'a> {
    /// A structure member (model name).
    Member(&'a str),
    /// A list element, 1-based.
    Item(usize),
    /// A map value, by key.
    Entry(&'a str),
}

/// The constraints a shape declares, as bits: which apply to a value and
/// which it breaks.
const ENUM: u8 = 1;
const PATTERN: u8 = 2;
const MAX_LEN: u8 = 4;
const MIN_LEN: u8 = 8;
const MAX_VAL: u8 = 16;
const MIN_VAL: u8 = 32;

/// Order of the clauses when one value breaks several constraints (AWS's
/// order varies; recorded DynamoDB and STS answers put the pattern first).
const REPORT_ORDER: [u8; 6] = [ENUM, PATTERN, MAX_LEN, MIN_LEN, MAX_VAL, MIN_VAL];

/// Order of the constraints listed in `Member must satisfy constraint: [...]`
/// (as recorded: maximum, minimum, then pattern).
const LISTED_ORDER: [u8; 6] = [MAX_LEN, MIN_LEN, MAX_VAL, MIN_VAL, PATTERN, ENUM];

struct Walk<'a> {
    model: &'a Model,
    rules: &'a Rules,
    path: Vec<Seg<'a>>,
    out: Vec<Violation>,
}

impl<'a> Walk<'a> {
    fn full(&self) -> bool {
        self.out.len() >= self.rules.max_violations
    }

    fn report(&mut self, member: &str, value: Option<String>, kind: Kind, constraint: String) {
        if self.full() {
            return;
        }
        let mut path = String::new();
        for seg in &self.path {
            if !path.is_empty() {
                path.push('.');
            }
            match seg {
                Seg::Member(name) => push_lower_first(&mut path, name),
                Seg::Item(n) => {
                    let _ = write!(path, "{n}.member");
                }
                Seg::Entry(key) => {
                    path.push_str(key);
                    path.push_str(".member");
                }
            }
        }
        self.out.push(Violation {
            path,
            member: member.to_string(),
            value,
            constraint,
            kind,
        });
    }

    /// Checks what is inside a value: structure members, list elements, map
    /// keys and values. `member` names the innermost structure member.
    fn content(&mut self, shape: &'a Shape, member: &'a str, v: &'a Value, depth: usize) {
        if depth > MAX_DEPTH || self.full() {
            return;
        }
        match (shape.kind, v) {
            (ShapeType::Structure, Value::Object(obj)) => self.structure(shape, obj, depth),
            (ShapeType::List, Value::Array(items)) => {
                let Some(er) = &shape.member else {
                    return;
                };
                let es = self.model.shape_of(er);
                let declared = declared(es, self.rules);
                if declared != 0 && items.iter().any(|item| broken(es, declared, item) != 0) {
                    self.aggregate(Kind::ListMembers, es, declared, shape, member, v);
                }
                if is_container(es) {
                    for (i, item) in items.iter().enumerate() {
                        if self.full() {
                            return;
                        }
                        self.path.push(Seg::Item(i + 1));
                        self.content(es, member, item, depth + 1);
                        self.path.pop();
                    }
                }
            }
            (ShapeType::Map, Value::Object(obj)) => {
                if let Some(kr) = &shape.key {
                    let ks = self.model.shape_of(kr);
                    let declared = declared(ks, self.rules);
                    if declared != 0 && obj.keys().any(|k| broken_text(ks, declared, k) != 0) {
                        self.aggregate(Kind::MapKeys, ks, declared, shape, member, v);
                    }
                }
                let Some(vr) = &shape.value else {
                    return;
                };
                let vs = self.model.shape_of(vr);
                let declared = declared(vs, self.rules);
                if declared != 0 && obj.values().any(|x| broken(vs, declared, x) != 0) {
                    self.aggregate(Kind::MapValues, vs, declared, shape, member, v);
                }
                if is_container(vs) {
                    for (key, x) in obj {
                        if self.full() {
                            return;
                        }
                        self.path.push(Seg::Entry(key));
                        self.content(vs, member, x, depth + 1);
                        self.path.pop();
                    }
                }
            }
            _ => {}
        }
    }

    fn structure(&mut self, shape: &'a Shape, obj: &'a Map<String, Value>, depth: usize) {
        for m in &shape.members {
            if self.full() {
                return;
            }
            match obj.get(&m.name) {
                None | Some(Value::Null) => {
                    if self.rules.required
                        && shape.required.contains(&m.name)
                        && !is_streaming(self.model, m)
                    {
                        self.path.push(Seg::Member(&m.name));
                        self.report(
                            &m.name,
                            None,
                            Kind::Required,
                            "Member must not be null".to_string(),
                        );
                        self.path.pop();
                    }
                }
                Some(child) => {
                    let cs = self.model.shape_of(m);
                    self.path.push(Seg::Member(&m.name));
                    self.own(cs, &m.shape, &m.name, child);
                    self.content(cs, &m.name, child, depth + 1);
                    self.path.pop();
                }
            }
        }
    }

    /// Checks a member value's own constraints, one clause per broken one.
    fn own(&mut self, shape: &Shape, name: &str, member: &str, v: &Value) {
        let declared = declared(shape, self.rules);
        if declared == 0 {
            return;
        }
        let broken = broken(shape, declared, v);
        if broken == 0 {
            return;
        }
        let value = render(self.model, shape, name, v);
        for bit in REPORT_ORDER {
            if broken & bit != 0 {
                self.report(
                    member,
                    Some(value.clone()),
                    kind_of(bit),
                    constraint_text(shape, bit),
                );
            }
        }
    }

    /// Reports elements (or keys, or values) breaking their shape's
    /// constraints once, at the container, listing all those constraints.
    fn aggregate(
        &mut self,
        kind: Kind,
        element: &Shape,
        declared: u8,
        container: &Shape,
        member: &str,
        v: &Value,
    ) {
        let mut constraint = String::from(match kind {
            Kind::MapKeys => "Map keys must satisfy constraint: [",
            Kind::MapValues => "Map value must satisfy constraint: [",
            _ => "Member must satisfy constraint: [",
        });
        let mut first = true;
        for bit in LISTED_ORDER {
            if declared & bit != 0 {
                if !first {
                    constraint.push_str(", ");
                }
                first = false;
                constraint.push_str(&constraint_text(element, bit));
            }
        }
        constraint.push(']');
        let value = render(self.model, container, "", v);
        self.report(member, Some(value), kind, constraint);
    }
}

/// Whether values of a shape can hold other checked values.
fn is_container(shape: &Shape) -> bool {
    matches!(
        shape.kind,
        ShapeType::Structure | ShapeType::List | ShapeType::Map
    )
}

/// Whether values of a shape are text (strings; unknown types are treated as
/// strings by the codecs).
fn is_text(shape: &Shape) -> bool {
    matches!(shape.kind, ShapeType::String | ShapeType::Unknown)
}

/// The constraints a shape declares that the rules enforce.
fn declared(shape: &Shape, rules: &Rules) -> u8 {
    let mut bits = 0;
    let sized = is_text(shape)
        || matches!(
            shape.kind,
            ShapeType::Blob | ShapeType::List | ShapeType::Map
        );
    let numeric = shape.kind.is_integer() || shape.kind.is_float();
    if rules.length && sized {
        if shape.max.is_some() {
            bits |= MAX_LEN;
        }
        if shape.min.is_some() {
            bits |= MIN_LEN;
        }
    }
    if rules.range && numeric {
        if shape.max.is_some() {
            bits |= MAX_VAL;
        }
        if shape.min.is_some() {
            bits |= MIN_VAL;
        }
    }
    if rules.enums && is_text(shape) && !shape.enum_values.is_empty() {
        bits |= ENUM;
    }
    if rules.patterns && is_text(shape) && shape.pattern.is_some() {
        bits |= PATTERN;
    }
    bits
}

/// Which of the `declared` constraints `v` breaks (none for values of
/// another JSON type: those are the codecs' to refuse).
fn broken(shape: &Shape, declared: u8, v: &Value) -> u8 {
    match v {
        Value::String(s) if shape.kind == ShapeType::Blob => {
            broken_length(shape, declared, blob_len(s))
        }
        Value::String(s) if is_text(shape) => broken_text(shape, declared, s),
        Value::Number(n) if shape.kind.is_integer() || shape.kind.is_float() => {
            let Some(x) = n.as_f64() else {
                return 0;
            };
            let mut bits = 0;
            if declared & MAX_VAL != 0 && shape.max.is_some_and(|max| x > max) {
                bits |= MAX_VAL;
            }
            if declared & MIN_VAL != 0 && shape.min.is_some_and(|min| x < min) {
                bits |= MIN_VAL;
            }
            bits
        }
        Value::Array(items) if shape.kind == ShapeType::List => {
            broken_length(shape, declared, items.len())
        }
        Value::Object(obj) if shape.kind == ShapeType::Map => {
            broken_length(shape, declared, obj.len())
        }
        _ => 0,
    }
}

/// [`broken`] for text (strings and map keys).
fn broken_text(shape: &Shape, declared: u8, s: &str) -> u8 {
    let mut bits = 0;
    if declared & ENUM != 0 && !shape.enum_values.iter().any(|e| e == s) {
        bits |= ENUM;
    }
    if declared & PATTERN != 0
        && let Some(pattern) = &shape.pattern
        && pattern_matches(pattern, s) == Some(false)
    {
        bits |= PATTERN;
    }
    if declared & (MAX_LEN | MIN_LEN) != 0 {
        // AWS counts characters (code points), not bytes or UTF-16 units.
        bits |= broken_length(shape, declared, s.chars().count());
    }
    bits
}

fn broken_length(shape: &Shape, declared: u8, len: usize) -> u8 {
    let len = len as f64;
    let mut bits = 0;
    if declared & MAX_LEN != 0 && shape.max.is_some_and(|max| len > max) {
        bits |= MAX_LEN;
    }
    if declared & MIN_LEN != 0 && shape.min.is_some_and(|min| len < min) {
        bits |= MIN_LEN;
    }
    bits
}

fn kind_of(bit: u8) -> Kind {
    match bit {
        ENUM => Kind::Enum,
        PATTERN => Kind::Pattern,
        MAX_LEN | MIN_LEN => Kind::Length,
        _ => Kind::Range,
    }
}

/// AWS's words for one constraint of a shape.
fn constraint_text(shape: &Shape, bit: u8) -> String {
    let bound = |b: Option<f64>| b.unwrap_or_default();
    match bit {
        ENUM => format!(
            "Member must satisfy enum value set: [{}]",
            shape.enum_values.join(", ")
        ),
        PATTERN => format!(
            "Member must satisfy regular expression pattern: {}",
            shape.pattern.as_deref().unwrap_or_default()
        ),
        MAX_LEN => format!(
            "Member must have length less than or equal to {}",
            whole(bound(shape.max))
        ),
        MIN_LEN => format!(
            "Member must have length greater than or equal to {}",
            whole(bound(shape.min))
        ),
        MAX_VAL => format!(
            "Member must have value less than or equal to {}",
            number(shape, bound(shape.max))
        ),
        _ => format!(
            "Member must have value greater than or equal to {}",
            number(shape, bound(shape.min))
        ),
    }
}

/// A bound of a whole-number shape (and every length) as AWS prints it: no
/// decimal point (`1`, `9223372036854775807`).
fn whole(x: f64) -> String {
    if x.fract() == 0.0 {
        // Saturating: a `long` maximum (2^63 - 1 rounds up in f64) prints as
        // Java prints Long.MAX_VALUE.
        (x as i64).to_string()
    } else {
        float_text(x)
    }
}

/// A bound of a number shape: whole for integers, as Java prints a `double`
/// for floats (`1.0`, `0.5`).
fn number(shape: &Shape, x: f64) -> String {
    if !shape.kind.is_float() {
        whole(x)
    } else if x.fract() == 0.0 && x.abs() < 1e7 {
        format!("{}.0", x as i64)
    } else {
        float_text(x)
    }
}

/// A fractional number as text, through serde_json's float printer (already
/// linked) rather than `f64`'s `Display`, which would add its own to every
/// plugin.
fn float_text(x: f64) -> String {
    serde_json::Number::from_f64(x).map_or_else(String::new, |n| n.to_string())
}

/// Bytes encoded by base64 text (decoded blobs are base64 in the values the
/// codecs produce), without decoding it.
fn blob_len(b64: &str) -> usize {
    let n = b64.trim_end_matches('=').len();
    n / 4 * 3
        + match n % 4 {
            2 => 1,
            3 => 2,
            _ => 0,
        }
}

/// Writes `name` with its first letter lower case, as AWS names members in
/// paths and rendered structures (`SSESpecification` -> `sSESpecification`).
fn push_lower_first(out: &mut String, name: &str) {
    let mut chars = name.chars();
    if let Some(first) = chars.next() {
        out.extend(first.to_lowercase());
        out.push_str(chars.as_str());
    }
}

/// Renders a value as AWS does in messages (Java's `toString` of the decoded
/// value): text as is, lists `[a, b]`, maps `{k=v}`, blobs
/// `java.nio.HeapByteBuffer[...]`, structures `Name(member=value, ...)` with
/// the members present. `name` is the shape's name (for structures).
fn render(model: &Model, shape: &Shape, name: &str, v: &Value) -> String {
    let mut out = String::new();
    render_into(model, shape, name, v, &mut out, 0);
    out
}

fn render_into(
    model: &Model,
    shape: &Shape,
    name: &str,
    v: &Value,
    out: &mut String,
    depth: usize,
) {
    if depth > MAX_DEPTH {
        out.push_str("...");
        return;
    }
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => {
            let _ = write!(out, "{b}");
        }
        Value::Number(n) => {
            let _ = write!(out, "{n}");
        }
        Value::String(s) if shape.kind == ShapeType::Blob => {
            let n = blob_len(s);
            let _ = write!(out, "java.nio.HeapByteBuffer[pos=0 lim={n} cap={n}]");
        }
        Value::String(s) => out.push_str(s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                match &shape.member {
                    Some(r) => {
                        render_into(model, model.shape_of(r), &r.shape, item, out, depth + 1)
                    }
                    None => out.push_str(&item.to_string()),
                }
            }
            out.push(']');
        }
        Value::Object(obj) if shape.kind == ShapeType::Map => {
            out.push('{');
            for (i, (key, x)) in obj.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(key);
                out.push('=');
                match &shape.value {
                    Some(r) => render_into(model, model.shape_of(r), &r.shape, x, out, depth + 1),
                    None => out.push_str(&x.to_string()),
                }
            }
            out.push('}');
        }
        Value::Object(obj) if shape.kind == ShapeType::Structure => {
            out.push_str(name);
            out.push('(');
            let mut first = true;
            for m in &shape.members {
                if let Some(x) = obj.get(&m.name).filter(|x| !x.is_null()) {
                    if !first {
                        out.push_str(", ");
                    }
                    first = false;
                    push_lower_first(out, &m.name);
                    out.push('=');
                    render_into(model, model.shape_of(m), &m.shape, x, out, depth + 1);
                }
            }
            out.push(')');
        }
        Value::Object(_) => out.push_str(&v.to_string()),
    }
}

/// Compiled patterns by their model text (shapes share patterns: DynamoDB's
/// table, index and backup names), per thread: compiled on first use, never
/// per request. `None`: the pattern does not compile and is skipped.
#[derive(Default)]
struct Patterns {
    compiled: FxHashMap<Box<str>, Option<Regex>>,
    /// Compilations so far (the tests check none happen per request).
    compiles: usize,
}

thread_local! {
    static PATTERNS: RefCell<Patterns> = RefCell::default();
}

/// Whether `text` matches the whole of a model pattern; `None` when the
/// pattern cannot be compiled (it is then not enforced).
fn pattern_matches(pattern: &str, text: &str) -> Option<bool> {
    PATTERNS.with_borrow_mut(|p| {
        if let Some(re) = p.compiled.get(pattern) {
            return re.as_ref().map(|re| re.is_match(text));
        }
        p.compiles += 1;
        let re = compile(pattern);
        let matched = re.as_ref().map(|re| re.is_match(text));
        p.compiled.insert(pattern.into(), re);
        matched
    })
}

/// Compiles a Java pattern for whole-value matching (Java's `matches()`).
fn compile(pattern: &str) -> Option<Regex> {
    Regex::new(&format!("^(?:{})$", java_to_rust(pattern))).ok()
}

/// Rewrites the Java regex syntax botocore patterns use that `regex-lite`
/// spells differently: POSIX classes (`\p{Print}`, ASCII-only in Java) and
/// UTF-16 surrogate pairs (`\uD800\uDC00` is U+10000). Anything else is left
/// as is; what `regex-lite` cannot compile is skipped by the caller.
fn java_to_rust(pattern: &str) -> String {
    if !pattern.contains('\\') {
        return pattern.to_string();
    }
    let cs: Vec<char> = pattern.chars().collect();
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut in_class = 0usize;
    let mut i = 0;
    while i < cs.len() {
        match cs[i] {
            '\\' if i + 1 < cs.len() => {
                let next = cs[i + 1];
                if matches!(next, 'p' | 'P')
                    && cs.get(i + 2) == Some(&'{')
                    && let Some(len) = cs[i + 3..].iter().position(|&c| c == '}')
                {
                    let name: String = cs[i + 3..i + 3 + len].iter().collect();
                    let negated = next == 'P';
                    if let Some(set) = posix_class(&name)
                        && !(negated && in_class > 0)
                    {
                        if in_class > 0 {
                            out.push_str(set);
                        } else {
                            out.push_str(if negated { "[^" } else { "[" });
                            out.push_str(set);
                            out.push(']');
                        }
                        i += 4 + len;
                        continue;
                    }
                }
                if next == 'u'
                    && let Some(hi) = hex4(&cs, i + 2)
                    && (0xD800..0xDC00).contains(&hi)
                    && cs.get(i + 6) == Some(&'\\')
                    && cs.get(i + 7) == Some(&'u')
                    && let Some(lo) = hex4(&cs, i + 8)
                    && (0xDC00..0xE000).contains(&lo)
                {
                    let cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                    let _ = write!(out, "\\x{{{cp:X}}}");
                    i += 12;
                    continue;
                }
                out.push('\\');
                out.push(next);
                i += 2;
            }
            '[' => {
                in_class += 1;
                out.push('[');
                i += 1;
            }
            ']' if in_class > 0 => {
                in_class -= 1;
                out.push(']');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// Four hex digits at `at` (a `\uXXXX` escape's value).
fn hex4(cs: &[char], at: usize) -> Option<u32> {
    let digits = cs.get(at..at + 4)?;
    digits
        .iter()
        .try_fold(0u32, |acc, c| Some(acc * 16 + c.to_digit(16)?))
}

/// Java's POSIX character classes (US-ASCII only, as Java defines them by
/// default), as the inside of a character class.
fn posix_class(name: &str) -> Option<&'static str> {
    Some(match name {
        "Lower" => "a-z",
        "Upper" => "A-Z",
        "ASCII" => r"\x00-\x7F",
        "Alpha" => "a-zA-Z",
        "Digit" => "0-9",
        "Alnum" => "a-zA-Z0-9",
        "Punct" => r"\x21-\x2F\x3A-\x40\x5B-\x60\x7B-\x7E",
        "Graph" => r"\x21-\x7E",
        "Print" => r"\x20-\x7E",
        "Blank" => r" \t",
        "Cntrl" => r"\x00-\x1F\x7F",
        "XDigit" => "0-9a-fA-F",
        "Space" => r" \t\n\x0B\f\r",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models;
    use serde_json::json;

    fn input_of<'m>(model: &'m Model, op: &str) -> &'m Shape {
        model.input_shape(model.operation(op).unwrap()).unwrap()
    }

    fn run(model: &Model, op: &str, input: Value) -> Vec<Violation> {
        check(model, input_of(model, op), &input, &Rules::ALL)
    }

    fn msg(model: &Model, op: &str, input: Value) -> String {
        message(&run(model, op, input))
    }

    fn compiles() -> usize {
        PATTERNS.with_borrow(|p| p.compiles)
    }

    /// Messages recorded against AWS STS, copied from LocalStack's snapshot
    /// `tests/aws/services/sts/test_sts.snapshot.json` (localstack/localstack:
    /// `test_sts_invalid_parameters` "invalid-session-name", recorded
    /// 21-07-2025, and `test_assume_role_session_name_too_long`, recorded
    /// 09-02-2026). STS is a query service: the code is `ValidationError`.
    #[test]
    fn reproduces_recorded_sts_messages() {
        let sts = models::sts();
        let role = "arn:aws:iam::111111111111:role/test-role";
        let got = msg(
            sts,
            "AssumeRole",
            json!({"RoleArn": role, "RoleSessionName": "Session1:2"}),
        );
        assert_eq!(
            got,
            r"1 validation error detected: Value 'Session1:2' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\w+=,.@-]*"
        );
        let got = msg(
            sts,
            "AssumeRole",
            json!({"RoleArn": role, "RoleSessionName": "s".repeat(65)}),
        );
        assert_eq!(
            got,
            "1 validation error detected: Value 'sssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssssss' at 'roleSessionName' failed to satisfy constraint: Member must have length less than or equal to 64"
        );
        let err = AwsError::validation_error(got);
        assert_eq!((err.status, err.code.as_str()), (400, "ValidationError"));
        assert!(
            run(
                sts,
                "AssumeRole",
                json!({"RoleArn": role, "RoleSessionName": "ok"})
            )
            .is_empty()
        );
    }

    /// DynamoDB, several errors at once, as recorded against AWS (the
    /// degenerate-input catalogue of the ack-api-quirks DynamoDB lab, and
    /// dynalite's tests, which run against live DynamoDB): the pattern clause
    /// first, joined by "; ", counted in the prefix.
    #[test]
    fn several_violations_of_one_member() {
        let ddb = models::dynamodb();
        let got = msg(
            ddb,
            "CreateBackup",
            json!({"TableName": "t", "BackupName": ""}),
        );
        assert_eq!(
            got,
            "2 validation errors detected: Value '' at 'backupName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+; Value '' at 'backupName' failed to satisfy constraint: Member must have length greater than or equal to 3"
        );
        let err = validation_error(&run(
            ddb,
            "CreateBackup",
            json!({"TableName": "t", "BackupName": ""}),
        ))
        .unwrap();
        assert_eq!(
            (err.status, err.code.as_str()),
            (400, "ValidationException")
        );
        assert_eq!(err.message, got);
        assert!(validation_error(&[]).is_none());
        assert_eq!(message(&[]), "");
    }

    /// Required members inside list elements: `<list>.<n>.member.<name>`, as
    /// AWS answered CreateTable with `KeySchema: [{}]` (ack-api-quirks
    /// DynamoDB catalogue, "ct_keyschema_empty_entry").
    #[test]
    fn required_members_in_list_elements() {
        let got = msg(
            models::dynamodb(),
            "CreateTable",
            json!({"TableName": "abc", "KeySchema": [{}],
                   "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}]}),
        );
        assert_eq!(
            got,
            "2 validation errors detected: Value null at 'keySchema.1.member.attributeName' failed to satisfy constraint: Member must not be null; Value null at 'keySchema.1.member.keyType' failed to satisfy constraint: Member must not be null"
        );
    }

    /// Map values are `<map>.<key>.member` (dynalite's Query test, recorded
    /// against DynamoDB: `keyConditions.a.member.comparisonOperator`).
    #[test]
    fn nested_paths_through_maps_and_lists() {
        let ddb = models::dynamodb();
        let v = run(
            ddb,
            "Query",
            json!({"TableName": "abc", "KeyConditions": {"a": {}, "b": {"ComparisonOperator": ""}}}),
        );
        let clauses: Vec<String> = v.iter().map(ToString::to_string).collect();
        assert_eq!(
            clauses,
            [
                "Value null at 'keyConditions.a.member.comparisonOperator' failed to satisfy constraint: Member must not be null",
                "Value '' at 'keyConditions.b.member.comparisonOperator' failed to satisfy constraint: Member must satisfy enum value set: [EQ, NE, IN, LE, LT, GE, GT, BETWEEN, NOT_NULL, NULL, CONTAINS, NOT_CONTAINS, BEGINS_WITH]",
            ]
        );
        assert_eq!(v[0].member, "ComparisonOperator");
        assert_eq!((v[0].kind, v[1].kind), (Kind::Required, Kind::Enum));
        assert_eq!(v[0].value, None);
        // Lists inside structures inside lists (TransactWriteItems).
        let v = run(
            ddb,
            "TransactWriteItems",
            json!({"TransactItems": [
                {"Put": {"TableName": "t", "Item": {}}},
                {"Update": {"Key": {}, "UpdateExpression": "SET a = :a"}}
            ]}),
        );
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(v[0].path, "transactItems.2.member.update.tableName");
        // Nested structure members, as recorded ("ttl_attr_empty_string").
        let got = msg(
            ddb,
            "UpdateTimeToLive",
            json!({"TableName": "t", "TimeToLiveSpecification": {"Enabled": true, "AttributeName": ""}}),
        );
        assert_eq!(
            got,
            "1 validation error detected: Value '' at 'timeToLiveSpecification.attributeName' failed to satisfy constraint: Member must have length greater than or equal to 1"
        );
        // Path names lower only the first letter, as AWS does (recorded:
        // `sSESpecification.kMSMasterKeyId`).
        let mut path = String::new();
        push_lower_first(&mut path, "SSESpecification");
        path.push('.');
        push_lower_first(&mut path, "KMSMasterKeyId");
        assert_eq!(path, "sSESpecification.kMSMasterKeyId");
    }

    #[test]
    fn lengths_count_characters_bytes_and_entries() {
        let ddb = models::dynamodb();
        // Strings: code points (TableName is 1..1024 in the current model;
        // AWS STS counts 2049 emoji as 2049, not 4098 or 8196).
        let emoji = "😀".repeat(1024);
        assert!(run(ddb, "DeleteTable", json!({"TableName": emoji})).is_empty());
        let v = run(
            ddb,
            "DeleteTable",
            json!({"TableName": format!("{emoji}😀")}),
        );
        assert_eq!(
            v[0].constraint,
            "Member must have length less than or equal to 1024"
        );
        assert_eq!(v[0].kind, Kind::Length);
        // Lists: entries; the empty list renders as AWS's `'[]'` (recorded:
        // "ct_keyschema_empty").
        let got = msg(
            ddb,
            "CreateTable",
            json!({"TableName": "abc", "KeySchema": []}),
        );
        assert_eq!(
            got,
            "1 validation error detected: Value '[]' at 'keySchema' failed to satisfy constraint: Member must have length greater than or equal to 1"
        );
        // Maps: entries, rendered `{}` (dynalite, BatchWriteItem).
        let got = msg(ddb, "BatchWriteItem", json!({"RequestItems": {}}));
        assert_eq!(
            got,
            "1 validation error detected: Value '{}' at 'requestItems' failed to satisfy constraint: Member must have length greater than or equal to 1"
        );
    }

    /// A model with the shapes the bundled ones lack (blobs and doubles with
    /// bounds, an uncompilable pattern).
    fn synthetic() -> Model {
        Model::from_json(
            r#"{"metadata":{"protocol":"json","apiVersion":"2020-01-01","targetPrefix":"Svc","jsonVersion":"1.1","endpointPrefix":"svc"},
            "operations":{"Do":{"name":"Do","http":{"method":"POST","requestUri":"/"},"input":{"shape":"In"}}},
            "shapes":{
              "In":{"type":"structure","members":{
                 "Data":{"shape":"Data"},"Weight":{"shape":"Weight"},"Big":{"shape":"Big"},
                 "Broken":{"shape":"Broken"},"Print":{"shape":"Print"},"Wide":{"shape":"Wide"},
                 "Weights":{"shape":"Weights"},"Names":{"shape":"Names"}}},
              "Data":{"type":"blob","min":1,"max":4},
              "Weight":{"type":"double","min":0,"max":1},
              "Big":{"type":"long","max":9223372036854775807},
              "Half":{"type":"float","max":0.5},
              "Broken":{"type":"string","pattern":"(unclosed","max":3},
              "Print":{"type":"string","pattern":"\\p{Print}+"},
              "Wide":{"type":"string","pattern":"[\\u0020-\\uD7FF\\uD800\\uDC00-\\uDBFF\\uDFFF]*"},
              "Weights":{"type":"map","key":{"shape":"Key"},"value":{"shape":"Weight"}},
              "Key":{"type":"string","min":1,"max":3,"pattern":"[0-9]+"},
              "Names":{"type":"list","member":{"shape":"Key"},"max":2}
            }}"#,
        )
        .unwrap()
    }

    #[test]
    fn blobs_ranges_and_number_formats() {
        let m = synthetic();
        // "AAAAAAA=" is 5 bytes; AWS renders blobs as Java's ByteBuffer.
        let v = run(&m, "Do", json!({"Data": "AAAAAAA="}));
        assert_eq!(
            v[0].to_string(),
            "Value 'java.nio.HeapByteBuffer[pos=0 lim=5 cap=5]' at 'data' failed to satisfy constraint: Member must have length less than or equal to 4"
        );
        assert!(run(&m, "Do", json!({"Data": "AAAAAA=="})).is_empty());
        assert_eq!(run(&m, "Do", json!({"Data": ""}))[0].kind, Kind::Length);
        // Doubles print their bounds as Java doubles, longs without a point.
        let v = run(&m, "Do", json!({"Weight": 1.5, "Big": 1}));
        assert_eq!(
            v[0].to_string(),
            "Value '1.5' at 'weight' failed to satisfy constraint: Member must have value less than or equal to 1.0"
        );
        assert_eq!(v.len(), 1);
        assert_eq!(
            run(&m, "Do", json!({"Weight": -0.25}))[0].constraint,
            "Member must have value greater than or equal to 0.0"
        );
        assert_eq!(
            constraint_text(m.shape("Half"), MAX_VAL),
            "Member must have value less than or equal to 0.5"
        );
        let big = m.shape("Big");
        assert_eq!(
            constraint_text(big, MAX_VAL),
            "Member must have value less than or equal to 9223372036854775807"
        );
        // Integers (STS DurationSeconds 900..43200), as recorded for STS.
        let v = run(
            models::sts(),
            "AssumeRole",
            json!({"RoleArn": "arn:aws:iam::111111111111:role/r", "RoleSessionName": "ok", "DurationSeconds": 899}),
        );
        assert_eq!(
            v[0].to_string(),
            "Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"
        );
    }

    #[test]
    fn patterns_java_classes_and_failures_to_compile() {
        let m = synthetic();
        // A pattern regex-lite cannot compile is skipped: no violation, no
        // panic; the other constraints of the shape still hold.
        assert!(run(&m, "Do", json!({"Broken": "abc"})).is_empty());
        assert_eq!(
            run(&m, "Do", json!({"Broken": "abcd"}))[0].kind,
            Kind::Length
        );
        // So is a Unicode class (STS tag keys): still listed in AWS's text.
        let v = run(
            models::sts(),
            "AssumeRole",
            json!({"RoleArn": "arn:aws:iam::111111111111:role/r", "RoleSessionName": "ok",
                   "TransitiveTagKeys": ["not matched: \\p{L} is skipped", ""]}),
        );
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(
            v[0].to_string(),
            r"Value '[not matched: \p{L} is skipped, ]' at 'transitiveTagKeys' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 128, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]+]"
        );
        // Java POSIX classes and surrogate pairs are translated.
        assert!(run(&m, "Do", json!({"Print": "a b~"})).is_empty());
        assert_eq!(
            run(&m, "Do", json!({"Print": "tab\there"}))[0].kind,
            Kind::Pattern
        );
        assert!(run(&m, "Do", json!({"Wide": "emoji 😀 ok"})).is_empty());
        assert_eq!(
            run(&m, "Do", json!({"Wide": "\u{1}"}))[0].constraint,
            r"Member must satisfy regular expression pattern: [\u0020-\uD7FF\uD800\uDC00-\uDBFF\uDFFF]*"
        );
        assert_eq!(
            java_to_rust(r"[\p{Print}x]\P{Digit}"),
            r"[\x20-\x7Ex][^0-9]"
        );
        assert_eq!(java_to_rust(r"\uD800\uDC00"), r"\x{10000}");
        assert_eq!(java_to_rust(r"[^\P{Alpha}]"), r"[^\P{Alpha}]");
        // Whole-value matching, as Java's matches(): anchors and alternation.
        assert_eq!(pattern_matches("a|ab", "ab"), Some(true));
        assert_eq!(pattern_matches("[0-9]+", "12x"), Some(false));
        assert_eq!(pattern_matches("^[0-9]+$", "12"), Some(true));
        assert_eq!(pattern_matches("(", "("), None);
        // DynamoDB's own patterns compile (all but the Unicode class).
        let skipped: Vec<_> = models::dynamodb()
            .shapes
            .iter()
            .filter_map(|(name, s)| s.pattern.as_deref().map(|p| (name, p)))
            .filter(|(_, p)| compile(p).is_none())
            .map(|(name, _)| name.as_str())
            .collect();
        assert!(skipped.is_empty(), "{skipped:?}");
    }

    #[test]
    fn list_elements_and_map_keys_and_values_are_reported_once() {
        let m = synthetic();
        let v = run(
            &m,
            "Do",
            json!({"Weights": {"1": 0.5, "bad": 2, "x": 3}, "Names": ["1", "22", "x"]}),
        );
        let clauses: Vec<String> = v.iter().map(ToString::to_string).collect();
        assert_eq!(
            clauses,
            [
                "Value '{1=0.5, bad=2, x=3}' at 'weights' failed to satisfy constraint: Map keys must satisfy constraint: [Member must have length less than or equal to 3, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: [0-9]+]",
                "Value '{1=0.5, bad=2, x=3}' at 'weights' failed to satisfy constraint: Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0]",
                "Value '[1, 22, x]' at 'names' failed to satisfy constraint: Member must have length less than or equal to 2",
                "Value '[1, 22, x]' at 'names' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 3, Member must have length greater than or equal to 1, Member must satisfy regular expression pattern: [0-9]+]",
            ]
        );
        assert_eq!(
            v.iter().map(|v| v.kind).collect::<Vec<_>>(),
            [
                Kind::MapKeys,
                Kind::MapValues,
                Kind::Length,
                Kind::ListMembers
            ]
        );
        // SNS (query) tag keys, SQS (JSON) attribute names: lists of
        // constrained strings.
        let v = run(
            models::sns(),
            "UntagResource",
            json!({"ResourceArn": "arn:aws:sns:us-east-1:111111111111:t", "TagKeys": ["a", ""]}),
        );
        assert_eq!(
            v[0].to_string(),
            "Value '[a, ]' at 'tagKeys' failed to satisfy constraint: Member must satisfy constraint: [Member must have length less than or equal to 128, Member must have length greater than or equal to 1]"
        );
        let v = run(
            models::sqs(),
            "GetQueueAttributes",
            json!({"QueueUrl": "http://q", "AttributeNames": ["All", "Bogus"]}),
        );
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].kind, Kind::ListMembers);
        assert!(
            v[0].constraint.starts_with(
                "Member must satisfy constraint: [Member must satisfy enum value set: [All, Policy,"
            ),
            "{}",
            v[0].constraint
        );
        // A list of structures renders its elements as `Name(member=value)`.
        let v = run(
            models::dynamodb(),
            "BatchWriteItem",
            json!({"RequestItems": {"t": []}}),
        );
        assert_eq!(
            v[0].to_string(),
            "Value '{t=[]}' at 'requestItems' failed to satisfy constraint: Map value must satisfy constraint: [Member must have length less than or equal to 25, Member must have length greater than or equal to 1]"
        );
        let ks = models::dynamodb().shape("KeySchema");
        assert_eq!(
            render(
                models::dynamodb(),
                ks,
                "KeySchema",
                &json!([{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk"}])
            ),
            "[KeySchemaElement(attributeName=pk, keyType=HASH), KeySchemaElement(attributeName=sk)]"
        );
    }

    #[test]
    fn every_kind_in_one_request_and_at_most_ten() {
        let ddb = models::dynamodb();
        let v = run(
            ddb,
            "Query",
            json!({"TableName": "", "Limit": 0, "ReturnConsumedCapacity": "hi",
                   "AttributesToGet": [], "IndexName": "a;"}),
        );
        let clauses: Vec<String> = v.iter().map(ToString::to_string).collect();
        assert_eq!(
            clauses,
            [
                "Value '' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 1",
                "Value 'a;' at 'indexName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
                "Value 'a;' at 'indexName' failed to satisfy constraint: Member must have length greater than or equal to 3",
                "Value '[]' at 'attributesToGet' failed to satisfy constraint: Member must have length greater than or equal to 1",
                "Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1",
                "Value 'hi' at 'returnConsumedCapacity' failed to satisfy constraint: Member must satisfy enum value set: [INDEXES, TOTAL, NONE]",
            ]
        );
        assert!(message(&v).starts_with("6 validation errors detected: Value '' at 'tableName'"));
        assert_eq!(message(&v).matches("; Value ").count(), 5);

        // Twelve empty key schema elements break 24 constraints: AWS answers
        // the first ten and says 10.
        let many = json!({"TableName": "abc", "KeySchema": vec![json!({}); 12]});
        let v = run(ddb, "CreateTable", many.clone());
        assert_eq!(v.len(), AWS_MAX_REPORTED);
        let got = message(&v);
        assert!(got.starts_with(
            "10 validation errors detected: Value null at 'keySchema.1.member.attributeName'"
        ));
        assert!(got.ends_with("Value null at 'keySchema.5.member.keyType' failed to satisfy constraint: Member must not be null"));
        let all = check(
            ddb,
            input_of(ddb, "CreateTable"),
            &many,
            &Rules::ALL.with_max_violations(usize::MAX),
        );
        assert_eq!(all.len(), 24);
        assert!(message(&all).starts_with("10 validation errors detected"));
    }

    #[test]
    fn rules_turn_kinds_off() {
        let ddb = models::dynamodb();
        let shape = input_of(ddb, "Query");
        let input = json!({"IndexName": "a;", "Limit": 0, "Select": "x", "AttributesToGet": []});
        let kinds = |rules: Rules| {
            check(ddb, shape, &input, &rules)
                .iter()
                .map(|v| v.kind)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            kinds(Rules::ALL),
            [
                Kind::Required,
                Kind::Pattern,
                Kind::Length,
                Kind::Enum,
                Kind::Length,
                Kind::Range
            ]
        );
        assert_eq!(
            kinds(Rules::ALL.without_patterns().without_enums()),
            [Kind::Required, Kind::Length, Kind::Length, Kind::Range]
        );
        assert_eq!(
            kinds(
                Rules::ALL
                    .without_required()
                    .without_length()
                    .without_range()
            ),
            [Kind::Pattern, Kind::Enum]
        );
        assert_eq!(kinds(Rules::REQUIRED_ONLY), [Kind::Required]);
        assert!(kinds(Rules::ALL.with_max_violations(0)).is_empty());
        assert_eq!(Rules::default(), Rules::ALL);
    }

    /// The codecs' required check and this one agree on which member is
    /// missing and write its path alike (`<n>.member`, `<key>.member`); this
    /// one finds them all.
    #[test]
    fn required_agrees_with_the_codecs_check() {
        let ddb = models::dynamodb();
        let s3 = models::s3();
        let sns = models::sns();
        let cases: [(&Model, &str, Value); 6] = [
            (ddb, "PutItem", json!({"Item": {}})),
            (
                ddb,
                "CreateTable",
                json!({"TableName": "abc", "ProvisionedThroughput": {}}),
            ),
            (s3, "PutObject", json!({"Bucket": "b"})),
            (s3, "PutObject", json!({"Bucket": "b", "Key": "k"})),
            (
                ddb,
                "CreateTable",
                json!({"TableName": "abc", "KeySchema": [{"AttributeName": "pk"}]}),
            ),
            (
                sns,
                "Publish",
                json!({"Message": "m", "MessageAttributes": {"attr1": {"StringValue": "v"}}}),
            ),
        ];
        for (model, op, input) in cases {
            let shape = input_of(model, op);
            let ours = check(model, shape, &input, &Rules::REQUIRED_ONLY);
            match crate::value::check_required(model, shape, &input) {
                Ok(()) => assert!(ours.is_empty(), "{op}: {ours:?}"),
                Err(missing) => {
                    assert_eq!(ours[0].path, missing.path, "{op}");
                    assert_eq!(ours[0].member, missing.member, "{op}");
                    assert_eq!(message(&ours[..1]), missing.message(), "{op}");
                }
            }
        }
        // S3's streaming body is the caller's, never "missing".
        assert!(
            check(
                s3,
                input_of(s3, "PutObject"),
                &json!({"Bucket": "b", "Key": "k"}),
                &Rules::ALL
            )
            .is_empty()
        );
        let v = run(
            ddb,
            "CreateTable",
            json!({"TableName": "abc", "ProvisionedThroughput": {}}),
        );
        assert_eq!(
            message(&v),
            "2 validation errors detected: Value null at 'provisionedThroughput.readCapacityUnits' failed to satisfy constraint: Member must not be null; Value null at 'provisionedThroughput.writeCapacityUnits' failed to satisfy constraint: Member must not be null"
        );
    }

    /// Deeply nested DynamoDB documents: paths follow every level; values
    /// deeper than any decoder produces stop the walk instead of the stack.
    #[test]
    fn deep_inputs() {
        let ddb = models::dynamodb();
        let long_name = "n".repeat(65536);
        let mut doc = json!({"S": "leaf"});
        for _ in 0..31 {
            doc = json!({"M": {"a": doc}});
        }
        let mut bottom = json!({"M": {}});
        bottom["M"][long_name.as_str()] = json!({"S": "x"});
        let mut deep = bottom;
        for _ in 0..31 {
            deep = json!({"M": {"a": deep}});
        }
        let v = run(
            ddb,
            "PutItem",
            json!({"TableName": "t", "Item": {"ok": doc, "bad": deep}}),
        );
        assert_eq!(v.len(), 1, "{}", v.len());
        let expected = format!("item.bad.member{}.m", ".m.a.member".repeat(31));
        assert_eq!(v[0].path, expected);
        assert_eq!(v[0].kind, Kind::MapKeys);
        assert_eq!(
            v[0].constraint,
            "Map keys must satisfy constraint: [Member must have length less than or equal to 65535]"
        );
        assert!(v[0].value.as_ref().unwrap().starts_with("{nnnn"));

        // Far deeper than serde_json decodes (128): no stack overflow.
        let mut hostile = json!({"S": "x"});
        for _ in 0..1000 {
            hostile = json!({"L": [hostile]});
        }
        let item = json!({"TableName": "t", "Item": {"a": hostile}});
        assert!(run(ddb, "PutItem", item.clone()).is_empty());
        let shape = input_of(ddb, "PutItem");
        assert!(render(ddb, shape, "PutItemInput", &item).contains("..."));
    }

    #[test]
    fn s3_enums_for_services_with_their_own_words() {
        let s3 = models::s3();
        let v = run(
            s3,
            "PutObject",
            json!({"Bucket": "b", "Key": "k", "ACL": "everyone", "StorageClass": "GLACIER"}),
        );
        assert_eq!(v.len(), 1);
        assert_eq!((v[0].kind, v[0].member.as_str()), (Kind::Enum, "ACL"));
        assert_eq!(v[0].value.as_deref(), Some("everyone"));
        // S3 says it its own way; the fields are there to do so.
        let s3_words = format!(
            "Invalid {}: {}",
            v[0].member,
            v[0].value.as_deref().unwrap()
        );
        assert_eq!(s3_words, "Invalid ACL: everyone");
    }

    /// A typical PutItem costs a few microseconds and compiles no pattern
    /// after the first request.
    #[test]
    fn cost_of_a_typical_put_item() {
        let ddb = models::dynamodb();
        let shape = input_of(ddb, "PutItem");
        let input = json!({
            "TableName": "Music",
            "Item": {
                "Artist": {"S": "No One You Know"},
                "SongTitle": {"S": "Call Me Today"},
                "AlbumTitle": {"S": "Somewhat Famous"},
                "Year": {"N": "2015"},
                "Price": {"N": "2.14"},
                "Genre": {"S": "Country"},
                "Tags": {"SS": ["country", "pop"]},
                "Cover": {"B": "iVBORw0KGgo="},
                "Awards": {"M": {"Grammy": {"BOOL": true}, "Count": {"N": "1"}}},
                "Tracks": {"L": [{"S": "one"}, {"S": "two"}]}
            },
            "ConditionExpression": "attribute_not_exists(#a)",
            "ExpressionAttributeNames": {"#a": "Artist"},
            "ExpressionAttributeValues": {":y": {"N": "2015"}},
            "ReturnValues": "ALL_OLD",
            "ReturnConsumedCapacity": "TOTAL"
        });
        let rules = Rules::ALL;
        assert!(check(ddb, shape, &input, &rules).is_empty());
        // Patterns: a Query with an index name (pattern checked each time).
        let query = input_of(ddb, "Query");
        let q = json!({"TableName": "Music", "IndexName": "by-genre", "Limit": 10,
                       "KeyConditionExpression": "Genre = :g",
                       "ExpressionAttributeValues": {":g": {"S": "Country"}}});
        assert!(check(ddb, query, &q, &rules).is_empty());

        let before = compiles();
        let n = if cfg!(debug_assertions) {
            2_000
        } else {
            50_000
        };
        let t = std::time::Instant::now();
        for _ in 0..n {
            assert!(check(ddb, shape, std::hint::black_box(&input), &rules).is_empty());
        }
        let put = t.elapsed() / n;
        let t = std::time::Instant::now();
        for _ in 0..n {
            assert!(check(ddb, query, std::hint::black_box(&q), &rules).is_empty());
        }
        let query_cost = t.elapsed() / n;
        println!(
            "validate: PutItem (10 attributes) {put:?} per call, Query (pattern) {query_cost:?} per call"
        );
        assert_eq!(compiles(), before, "no pattern compiled per request");
        if !cfg!(debug_assertions) {
            assert!(put.as_micros() < 50, "PutItem validation took {put:?}");
        }
    }
}
