//! A filter policy read the way AWS reads it, token by token, so that its
//! complaints come out in AWS's words and at AWS's place.
//!
//! SNS checks a policy with a streaming rule compiler (AWS's open-source
//! `event-ruler`, an older release: `anything-but` takes only `prefix`)
//! over a Jackson parser, on the policy re-serialized compactly, and its
//! messages end with Jackson's location: `\n at [Source: REDACTED
//! (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: 1,
//! column: N]`. The column is where Jackson's read pointer stands when the
//! compiler gives up, which depends on how far it has read: a field name is
//! read together with the first character of its value (all of a number or
//! literal), a string value only up to its opening quote until its text is
//! asked for. [`Reader`] keeps that pointer over the compact form.
//!
//! Only called on text serde_json has parsed, so the lexer may assume
//! well-formed JSON; it still never panics and reports a generic problem
//! when something does not add up.

/// Jackson's location suffix: policies are one line once compact.
fn location(column: usize) -> String {
    crate::jackson::location(1, column)
}

/// The kinds of token Jackson reports.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    StartObject,
    EndObject,
    StartArray,
    EndArray,
    FieldName(String),
    Str(String),
    Int(String),
    Float(String),
    True,
    False,
    Null,
}

impl Tok {
    fn is_numeric(&self) -> bool {
        matches!(self, Tok::Int(_) | Tok::Float(_))
    }

    /// Jackson's `getText()` of the token.
    fn text(&self) -> String {
        match self {
            Tok::StartObject => "{".into(),
            Tok::EndObject => "}".into(),
            Tok::StartArray => "[".into(),
            Tok::EndArray => "]".into(),
            Tok::FieldName(s) | Tok::Str(s) | Tok::Int(s) | Tok::Float(s) => s.clone(),
            Tok::True => "true".into(),
            Tok::False => "false".into(),
            Tok::Null => "null".into(),
        }
    }

    fn number(&self) -> Option<f64> {
        match self {
            Tok::Int(s) | Tok::Float(s) => s.parse().ok(),
            _ => None,
        }
    }
}

/// A scanned token: what it is, and where it starts and ends in the compact form.
#[derive(Debug, Clone)]
struct Scanned {
    tok: Tok,
    start: usize,
    end: usize,
}

/// Splits well-formed JSON into tokens, with positions counted over the
/// text without its whitespace (the compact form).
fn scan(text: &str) -> Option<Vec<Scanned>> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut pos) = (0usize, 0usize);
    // Whether the next string in an object is a field name.
    let mut stack: Vec<bool> = Vec::new();
    let mut expect_name = false;
    while i < chars.len() {
        let c = chars[i];
        let start = pos;
        match c {
            ' ' | '\t' | '\n' | '\r' => {
                i += 1;
                continue;
            }
            ',' | ':' => {
                expect_name = c == ',' && stack.last() == Some(&true);
                i += 1;
                pos += 1;
                continue;
            }
            '{' | '[' => {
                stack.push(c == '{');
                expect_name = c == '{';
                out.push(Scanned {
                    tok: if c == '{' {
                        Tok::StartObject
                    } else {
                        Tok::StartArray
                    },
                    start,
                    end: start + 1,
                });
                i += 1;
                pos += 1;
            }
            '}' | ']' => {
                stack.pop();
                expect_name = false;
                out.push(Scanned {
                    tok: if c == '}' {
                        Tok::EndObject
                    } else {
                        Tok::EndArray
                    },
                    start,
                    end: start + 1,
                });
                i += 1;
                pos += 1;
            }
            '"' => {
                let mut j = i + 1;
                while j < chars.len() && chars[j] != '"' {
                    j += if chars[j] == '\\' { 2 } else { 1 };
                }
                if j >= chars.len() {
                    return None;
                }
                let raw: String = chars[i..=j].iter().collect();
                let value: String = serde_json::from_str(&raw).ok()?;
                let len = j + 1 - i;
                out.push(Scanned {
                    tok: if expect_name {
                        Tok::FieldName(value)
                    } else {
                        Tok::Str(value)
                    },
                    start,
                    end: start + len,
                });
                expect_name = false;
                i = j + 1;
                pos += len;
            }
            _ => {
                let mut j = i;
                while j < chars.len()
                    && !matches!(chars[j], ',' | ']' | '}' | ' ' | '\t' | '\n' | '\r')
                {
                    j += 1;
                }
                let raw: String = chars[i..j].iter().collect();
                let tok = match raw.as_str() {
                    "true" => Tok::True,
                    "false" => Tok::False,
                    "null" => Tok::Null,
                    n if n.contains(['.', 'e', 'E']) => Tok::Float(raw.clone()),
                    _ => Tok::Int(raw.clone()),
                };
                let len = j - i;
                if len == 0 {
                    return None;
                }
                out.push(Scanned {
                    tok,
                    start,
                    end: start + len,
                });
                expect_name = false;
                i = j;
                pos += len;
            }
        }
    }
    Some(out)
}

/// A problem found, in AWS's words, with the column it was found at.
pub struct Complaint {
    /// What is wrong (`Unrecognized match type wrong-operator`).
    pub reason: String,
    /// Jackson's 1-based column.
    pub column: usize,
}

impl Complaint {
    /// The reason with Jackson's location suffix, as AWS reports it.
    pub fn message(&self) -> String {
        format!("{}{}", self.reason, location(self.column))
    }
}

/// Jackson's view of a token stream: the current token and the read pointer.
struct Reader {
    toks: Vec<Scanned>,
    /// Index of the next token to read.
    next: usize,
    /// The token last returned.
    current: Option<Scanned>,
    /// A value token already read past (after a field name).
    pending: Option<Scanned>,
    /// The current token is a string whose text is not read yet.
    incomplete: bool,
    /// Jackson's read pointer, 0-based over the compact form.
    ptr: usize,
}

type Check<T> = Result<T, Complaint>;

impl Reader {
    fn new(toks: Vec<Scanned>) -> Self {
        Reader {
            toks,
            next: 0,
            current: None,
            pending: None,
            incomplete: false,
            ptr: 0,
        }
    }

    fn barf<T>(&self, reason: impl Into<String>) -> Check<T> {
        Err(Complaint {
            reason: reason.into(),
            column: self.ptr + 1,
        })
    }

    /// Moves the pointer past a value token's first part: a string's
    /// opening quote (its text comes later), all of anything else.
    fn enter(&mut self, s: &Scanned) {
        if matches!(s.tok, Tok::Str(_)) {
            self.ptr = s.start + 1;
            self.incomplete = true;
        } else {
            self.ptr = s.end;
        }
    }

    fn next_token(&mut self) -> Check<Tok> {
        if self.incomplete
            && let Some(c) = &self.current
        {
            self.ptr = c.end;
        }
        self.incomplete = false;
        if let Some(p) = self.pending.take() {
            self.incomplete = matches!(p.tok, Tok::Str(_));
            let tok = p.tok.clone();
            self.current = Some(p);
            return Ok(tok);
        }
        let Some(s) = self.toks.get(self.next).cloned() else {
            return self.barf("Unexpected end-of-input");
        };
        self.next += 1;
        if matches!(s.tok, Tok::FieldName(_)) {
            // The name, its colon and the start of its value.
            self.ptr = s.end + 1;
            if let Some(v) = self.toks.get(self.next).cloned() {
                self.next += 1;
                self.enter(&v);
                self.incomplete = false;
                self.pending = Some(v);
            }
        } else {
            self.enter(&s);
        }
        let tok = s.tok.clone();
        self.current = Some(s);
        Ok(tok)
    }

    /// Jackson's `getText()`: reads the rest of a pending string.
    fn text(&mut self) -> String {
        if self.incomplete
            && let Some(c) = &self.current
        {
            self.ptr = c.end;
            self.incomplete = false;
        }
        self.current
            .as_ref()
            .map(|c| c.tok.text())
            .unwrap_or_default()
    }
}

/// Checks `policy` (valid JSON, an object) as AWS's rule compiler does.
pub fn check(policy: &str) -> Result<(), Complaint> {
    let Some(toks) = scan(policy) else {
        return Err(Complaint {
            reason: "Unexpected character".into(),
            column: 1,
        });
    };
    let mut r = Reader::new(toks);
    if r.next_token()? != Tok::StartObject {
        return r.barf("Filter is not an object");
    }
    parse_object(&mut r)
}

fn parse_object(r: &mut Reader) -> Check<()> {
    let mut fields = false;
    loop {
        let t = r.next_token()?;
        if t == Tok::EndObject {
            break;
        }
        fields = true;
        let Tok::FieldName(step) = t else {
            return r.barf("Field name expected");
        };
        if step == "$or" {
            parse_or(r)?;
            continue;
        }
        match r.next_token()? {
            Tok::StartObject => parse_object(r)?,
            Tok::StartArray => write_rules(r)?,
            _ => return r.barf(format!("\"{step}\" must be an object or an array")),
        }
    }
    if !fields {
        return r.barf("Empty objects are not allowed");
    }
    Ok(())
}

fn parse_or(r: &mut Reader) -> Check<()> {
    if r.next_token()? != Tok::StartArray {
        return r.barf("It must be an Array followed with $or.");
    }
    let mut n = 0;
    loop {
        match r.next_token()? {
            Tok::EndArray => break,
            Tok::StartObject => parse_object(r)?,
            _ => return r.barf("Only JSON object is allowed in array of $or relationship."),
        }
        n += 1;
    }
    if n < 2 {
        return r.barf("There must have at least 2 Objects in $or relationship.");
    }
    Ok(())
}

fn write_rules(r: &mut Reader) -> Check<()> {
    let mut values = 0;
    loop {
        match r.next_token()? {
            Tok::EndArray => break,
            Tok::StartObject => match_expression(r)?,
            Tok::Str(_) | Tok::Int(_) | Tok::Float(_) | Tok::True | Tok::False | Tok::Null => {
                r.text();
            }
            _ => return r.barf("Match value must be String, number, true, false, or null"),
        }
        values += 1;
    }
    if values == 0 {
        return r.barf("Empty arrays are not allowed");
    }
    Ok(())
}

/// `{"<op>": <arg>}` inside a condition list.
fn match_expression(r: &mut Reader) -> Check<()> {
    let Tok::FieldName(op) = r.next_token()? else {
        return r.barf("Match expression name not found");
    };
    match op.as_str() {
        "prefix" | "suffix" | "equals-ignore-case" | "cidr" => {
            if !matches!(r.next_token()?, Tok::Str(_)) {
                let what = if op == "cidr" { "prefix" } else { op.as_str() };
                return r.barf(format!("{what} match pattern must be a string"));
            }
            // A malformed network is reported after this pass, without a
            // location (the compiler throws it as a different exception).
            r.text();
            end_of_expression(r)
        }
        "numeric" => {
            if r.next_token()? != Tok::StartArray {
                return r.barf("Value of numeric must be an array.");
            }
            numeric(r)?;
            if r.next_token()? != Tok::EndObject {
                return r.barf("Too many elements in numeric expression");
            }
            Ok(())
        }
        "anything-but" => anything_but(r),
        "exists" => {
            if !matches!(r.next_token()?, Tok::True | Tok::False) {
                return r.barf("exists match pattern must be either true or false.");
            }
            end_of_expression(r)
        }
        _ => r.barf(format!("Unrecognized match type {op}")),
    }
}

fn end_of_expression(r: &mut Reader) -> Check<()> {
    if r.next_token()? != Tok::EndObject {
        return r.barf("Only one key allowed in match expression");
    }
    Ok(())
}

fn anything_but(r: &mut Reader) -> Check<()> {
    let t = r.next_token()?;
    match t {
        Tok::StartObject => {
            let Tok::FieldName(op) = r.next_token()? else {
                return r.barf("Anything-But expression name not found");
            };
            if op != "prefix" {
                return r.barf(format!("Unsupported anything-but pattern: {op}"));
            }
            if !matches!(r.next_token()?, Tok::Str(_)) {
                return r.barf("prefix match pattern must be a string");
            }
            if r.text().is_empty() {
                return r.barf("Null prefix not allowed");
            }
            end_of_expression(r)?;
            end_of_expression(r)
        }
        Tok::StartArray => {
            let (mut numbers, mut strings) = (false, false);
            loop {
                match r.next_token()? {
                    Tok::EndArray => break,
                    Tok::Str(_) => {
                        r.text();
                        strings = true;
                    }
                    t if t.is_numeric() => numbers = true,
                    _ => {
                        return r.barf(
                            "Inside anything but list, start|null|boolean is not supported.",
                        );
                    }
                }
            }
            if numbers == strings {
                return r.barf(
                    "Inside anything but list, either all values are number or string, mixed type is not supported",
                );
            }
            if r.next_token()? != Tok::EndObject {
                return r.barf("Too many elements in numeric expression");
            }
            Ok(())
        }
        Tok::Str(_) | Tok::Int(_) | Tok::Float(_) => {
            r.text();
            if r.next_token()? != Tok::EndObject {
                return r.barf("Too many elements in numeric expression");
            }
            Ok(())
        }
        _ => r.barf("Value of anything-but must be an array or single string/number value."),
    }
}

/// `[op, n]` or `[lower-op, n, upper-op, m]`, after its `[`.
fn numeric(r: &mut Reader) -> Check<()> {
    if !matches!(r.next_token()?, Tok::Str(_)) {
        let text = r.text();
        return r.barf(format!("Invalid member in numeric match: {text}"));
    }
    let op = r.text();
    let t = r.next_token()?;
    let name = match op.as_str() {
        "=" => "equals",
        ">=" | ">" | "<=" | "<" => op.as_str(),
        _ => return r.barf(format!("Unrecognized numeric range operator: {op}")),
    };
    if !t.is_numeric() {
        return r.barf(format!("Value of {name} must be numeric"));
    }
    let bottom = t.number().unwrap_or(f64::NAN);
    if let Some(c) = number_complaint(bottom) {
        return r.barf(c);
    }
    let t = r.next_token()?;
    if t == Tok::EndArray {
        return Ok(());
    }
    if matches!(op.as_str(), "=" | "<" | "<=") {
        return r.barf("Too many elements in numeric expression");
    }
    if !matches!(t, Tok::Str(_)) {
        let text = r.text();
        return r.barf(format!("Bad value in numeric range: {text}"));
    }
    let top_op = r.text();
    if !matches!(top_op.as_str(), "<" | "<=") {
        return r.barf(format!("Bad numeric range operator: {top_op}"));
    }
    let t = r.next_token()?;
    if !t.is_numeric() {
        return r.barf(format!("Value of {top_op} must be numeric"));
    }
    let top = t.number().unwrap_or(f64::NAN);
    if let Some(c) = number_complaint(top) {
        return r.barf(c);
    }
    if r.next_token()? != Tok::EndArray {
        return r.barf("Too many terms in numeric range expression");
    }
    if bottom >= top {
        return r.barf("Bottom must be less than top");
    }
    Ok(())
}

/// Numbers in `numeric` conditions must lie within ±1e9.
fn number_complaint(n: f64) -> Option<&'static str> {
    (!(-crate::filter::MAX_NUMBER..=crate::filter::MAX_NUMBER).contains(&n))
        .then_some("Numeric value must be between -1.0E9 and 1.0E9")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(policy: &str) -> (String, usize) {
        let c = check(policy).expect_err("a complaint");
        (c.reason, c.column)
    }

    #[test]
    fn columns_are_where_aws_reports_them() {
        for (policy, reason, column) in [
            (
                r#"{"key":[["value"]]}"#,
                "Match value must be String, number, true, false, or null",
                10,
            ),
            (
                r#"{"key":[{"wrong-operator":true}]}"#,
                "Unrecognized match type wrong-operator",
                31,
            ),
            (
                r#"{"key":[{"suffix":"value","prefix":"value2"}]}"#,
                "Only one key allowed in match expression",
                37,
            ),
            (
                r#"{"key":[{"suffix":100}]}"#,
                "suffix match pattern must be a string",
                22,
            ),
            (
                r#"{"key":[{"suffix":null}]}"#,
                "suffix match pattern must be a string",
                23,
            ),
            (
                r#"{"key":[{"suffix":[]}]}"#,
                "suffix match pattern must be a string",
                20,
            ),
            (
                r#"{"key":{"suffix":"value"}}"#,
                "\"suffix\" must be an object or an array",
                19,
            ),
            (
                r#"{"key":{"not-an-operator":"value"}}"#,
                "\"not-an-operator\" must be an object or an array",
                28,
            ),
            (
                r#"{"key":[{"numeric":[]}]}"#,
                "Invalid member in numeric match: ]",
                22,
            ),
            (
                r#"{"key":[{"numeric":["operator"]}]}"#,
                "Unrecognized numeric range operator: operator",
                32,
            ),
            (
                r#"{"key":[{"numeric":[1,"<="]}]}"#,
                "Invalid member in numeric match: 1",
                22,
            ),
            (
                r#"{"key":[{"numeric":["=","000"]}]}"#,
                "Value of equals must be numeric",
                26,
            ),
            (
                r#"{"key":[{"numeric":[">="]}]}"#,
                "Value of >= must be numeric",
                26,
            ),
            (
                r#"{"key":[{"numeric":["<",100,">",10]}]}"#,
                "Too many elements in numeric expression",
                30,
            ),
            (
                r#"{"key":[{"numeric":[">=",1,">",2]}]}"#,
                "Bad numeric range operator: >",
                31,
            ),
            (
                r#"{"key":[{"numeric":[">",3,"<",1]}]}"#,
                "Bottom must be less than top",
                33,
            ),
            (
                r#"{"key":[{"numeric":[">",20,"<="]}]}"#,
                "Value of <= must be numeric",
                33,
            ),
            (
                r#"{"key":[{"numeric":[">",20,30]}]}"#,
                "Bad value in numeric range: 30",
                30,
            ),
            (
                r#"{"key":[{"numeric":[">",20,"test"]}]}"#,
                "Bad numeric range operator: test",
                34,
            ),
            (
                r#"{"key":[{"numeric":[">","20","<","30"]}]}"#,
                "Value of > must be numeric",
                26,
            ),
            (
                r#"{"key":[{"numeric":[">",20,"<","30"]}]}"#,
                "Value of < must be numeric",
                33,
            ),
            (
                r#"{"key":[{"numeric":[">",20,"<",30,"<",50]}]}"#,
                "Too many terms in numeric range expression",
                36,
            ),
            (
                r#"{"key":[{"exists":null}]}"#,
                "exists match pattern must be either true or false.",
                23,
            ),
            (
                r#"{"key":[{"exists":"no"}]}"#,
                "exists match pattern must be either true or false.",
                20,
            ),
            (
                r#"{"key_a":"value_one"}"#,
                "\"key_a\" must be an object or an array",
                11,
            ),
        ] {
            assert_eq!(col(policy), (reason.to_string(), column), "{policy}");
        }
    }

    #[test]
    fn whitespace_does_not_count() {
        assert_eq!(
            col("{ \"key\" : [ [ \"value\" ] ] }"),
            (
                "Match value must be String, number, true, false, or null".to_string(),
                10
            )
        );
    }

    #[test]
    fn accepted_policies() {
        for p in [
            r#"{"a":["x",1,null,true,{"prefix":"p"},{"anything-but":{"prefix":"test-"}}]}"#,
            r#"{"a":[{"anything-but":["test","test2"]},{"anything-but":"test"},{"numeric":[">",0,"<=",5]}]}"#,
            r#"{"a":{"b":[{"exists":false}]},"$or":[{"c":["1"]},{"d":[{"cidr":"10.0.0.0/24"}]}]}"#,
        ] {
            assert!(check(p).is_ok(), "{p}");
        }
    }
}
