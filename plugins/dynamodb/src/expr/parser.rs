//! Recursive-descent parser for DynamoDB expressions. Placeholders are
//! resolved while parsing against [`Placeholders`], which records which ones
//! were used so unused ones can be rejected as AWS does.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::ast::{Action, CmpOp, Cond, Operand, Path, Step};
use super::lexer::{Tok, near, tokenize};

/// `ExpressionAttributeNames` / `ExpressionAttributeValues` of a request and
/// which of them the request's expressions used.
#[derive(Default)]
pub struct Placeholders {
    names: Map<String, Value>,
    values: Map<String, Value>,
    used_names: BTreeSet<String>,
    used_values: BTreeSet<String>,
}

impl Placeholders {
    /// From the request's (possibly absent) maps.
    pub fn new(names: Option<&Value>, values: Option<&Value>) -> Self {
        Placeholders::from_maps(
            names.and_then(Value::as_object),
            values.and_then(Value::as_object),
        )
    }

    /// From the request's (possibly absent) maps, as decoded objects.
    pub fn from_maps(
        names: Option<&Map<String, Value>>,
        values: Option<&Map<String, Value>>,
    ) -> Self {
        Placeholders {
            names: names.cloned().unwrap_or_default(),
            values: values.cloned().unwrap_or_default(),
            ..Default::default()
        }
    }

    /// True when the request supplied `ExpressionAttributeValues`.
    pub fn has_values(&self) -> bool {
        !self.values.is_empty()
    }

    /// The value maps' entries (for validating their AttributeValues).
    pub fn values(&self) -> &Map<String, Value> {
        &self.values
    }

    /// AWS's error when a supplied placeholder was not used by any expression.
    pub fn check_unused(&self) -> Result<(), String> {
        let unused_n: Vec<&String> = self
            .names
            .keys()
            .filter(|k| !self.used_names.contains(*k))
            .collect();
        if !unused_n.is_empty() {
            let keys: Vec<&str> = unused_n.iter().map(|s| s.as_str()).collect();
            return Err(format!(
                "Value provided in ExpressionAttributeNames unused in expressions: keys: {{{}}}",
                keys.join(", ")
            ));
        }
        let unused_v: Vec<&String> = self
            .values
            .keys()
            .filter(|k| !self.used_values.contains(*k))
            .collect();
        if !unused_v.is_empty() {
            let keys: Vec<&str> = unused_v.iter().map(|s| s.as_str()).collect();
            return Err(format!(
                "Value provided in ExpressionAttributeValues unused in expressions: keys: {{{}}}",
                keys.join(", ")
            ));
        }
        Ok(())
    }
}

/// Words DynamoDB reserves that a bare name in an expression may not be.
const RESERVED: &[&str] = &[
    "ABORT",
    "ABSOLUTE",
    "ACTION",
    "ADD",
    "ALL",
    "ALTER",
    "AND",
    "ANY",
    "AS",
    "ASC",
    "BETWEEN",
    "BY",
    "CASE",
    "COMMENT",
    "COUNT",
    "CREATE",
    "DATA",
    "DATE",
    "DAY",
    "DELETE",
    "DESC",
    "DROP",
    "ELSE",
    "END",
    "EXISTS",
    "FROM",
    "GROUP",
    "HOUR",
    "IN",
    "INDEX",
    "INSERT",
    "INTO",
    "IS",
    "KEY",
    "KEYS",
    "LIMIT",
    "MINUTE",
    "MONTH",
    "NAME",
    "NOT",
    "NULL",
    "OR",
    "ORDER",
    "REMOVE",
    "SECOND",
    "SELECT",
    "SET",
    "STATUS",
    "TABLE",
    "TIME",
    "TIMESTAMP",
    "TTL",
    "TYPE",
    "UPDATE",
    "USER",
    "VALUE",
    "VALUES",
    "WHERE",
    "YEAR",
    "ZONE",
];

/// What kind of expression is parsed (for error messages).
#[derive(Clone, Copy)]
pub enum Kind {
    Condition,
    KeyCondition,
    Filter,
    Update,
    Projection,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Condition => "ConditionExpression",
            Kind::KeyCondition => "KeyConditionExpression",
            Kind::Filter => "FilterExpression",
            Kind::Update => "UpdateExpression",
            Kind::Projection => "ProjectionExpression",
        }
    }
}

/// Deepest nesting of parentheses, `NOT`s and update functions. AWS refuses
/// anything deeper (as redundant parentheses, or as over 300 operators);
/// the parser recurses once per level, so without a bound a deeply nested
/// expression overflowed the stack.
pub const MAX_NESTING: usize = 300;

struct Parser<'a> {
    src: &'a str,
    toks: Vec<(Tok, usize)>,
    pos: usize,
    ph: &'a mut Placeholders,
    kind: Kind,
    /// Current nesting (see [`MAX_NESTING`]).
    depth: usize,
}

/// Parses a condition-like expression; `Err` is the full ValidationException message.
pub fn parse_condition(src: &str, kind: Kind, ph: &mut Placeholders) -> Result<Cond, String> {
    let mut p = Parser::new(src, kind, ph)?;
    let c = p.condition()?;
    p.expect_eof()?;
    Ok(c)
}

/// Parses an update expression into its actions.
pub fn parse_update(src: &str, ph: &mut Placeholders) -> Result<Vec<Action>, String> {
    let mut p = Parser::new(src, Kind::Update, ph)?;
    let mut actions = Vec::new();
    let mut seen = BTreeSet::new();
    loop {
        let clause = match p.peek() {
            Tok::Eof if !actions.is_empty() => break,
            t @ Tok::Ident(_)
                if ["SET", "REMOVE", "ADD", "DELETE"]
                    .iter()
                    .any(|k| t.is_kw(k)) =>
            {
                t.text().to_ascii_uppercase()
            }
            _ => return Err(p.syntax_error()),
        };
        if !seen.insert(clause.clone()) {
            return Err(p.err(&format!(
                "The \"{clause}\" section can only be used once in an update expression;"
            )));
        }
        p.pos += 1;
        loop {
            let path = p.path()?;
            let action = match clause.as_str() {
                "SET" => {
                    if p.peek() != &Tok::Eq {
                        return Err(p.syntax_error());
                    }
                    p.pos += 1;
                    Action::Set(path, p.set_value()?)
                }
                "REMOVE" => Action::Remove(path),
                _ => {
                    let v = match p.operand()? {
                        Operand::Value(v) => v,
                        _ => return Err(p.syntax_error()),
                    };
                    if clause == "ADD" {
                        Action::Add(path, v)
                    } else {
                        Action::Delete(path, v)
                    }
                }
            };
            actions.push(action);
            if p.peek() == &Tok::Comma {
                p.pos += 1;
            } else {
                break;
            }
        }
    }
    Ok(actions)
}

/// Parses a projection expression into its paths.
pub fn parse_projection(src: &str, ph: &mut Placeholders) -> Result<Vec<Path>, String> {
    let mut p = Parser::new(src, Kind::Projection, ph)?;
    let mut paths = vec![p.path()?];
    while p.peek() == &Tok::Comma {
        p.pos += 1;
        paths.push(p.path()?);
    }
    p.expect_eof()?;
    let refs: Vec<&Path> = paths.iter().collect();
    if let Some(msg) = super::clash::first_clash(&refs) {
        return Err(format!("Invalid ProjectionExpression: {msg}"));
    }
    Ok(paths)
}

impl<'a> Parser<'a> {
    fn new(src: &'a str, kind: Kind, ph: &'a mut Placeholders) -> Result<Self, String> {
        if src.trim().is_empty() {
            return Err(format!(
                "Invalid {}: The expression can not be empty;",
                kind.label()
            ));
        }
        let toks = tokenize(src).map_err(|e| format!("Invalid {}: {e}", kind.label()))?;
        Ok(Parser {
            src,
            toks,
            pos: 0,
            ph,
            kind,
            depth: 0,
        })
    }

    /// Enters one more nesting level (leave it with `self.depth -= 1`).
    fn nest(&mut self) -> Result<(), String> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(self.err(&format!(
                "The expression is nested too deeply; maximum nesting: {MAX_NESTING}"
            )));
        }
        Ok(())
    }

    fn peek(&self) -> &Tok {
        &self.toks[self.pos].0
    }

    fn err(&self, msg: &str) -> String {
        format!("Invalid {}: {msg}", self.kind.label())
    }

    fn syntax_error(&self) -> String {
        let (t, at) = &self.toks[self.pos];
        self.err(&format!(
            "Syntax error; token: \"{}\", near: \"{}\"",
            t.text(),
            near(self.src, *at)
        ))
    }

    fn expect(&mut self, t: Tok) -> Result<(), String> {
        if *self.peek() == t {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.syntax_error())
        }
    }

    fn expect_eof(&self) -> Result<(), String> {
        if *self.peek() == Tok::Eof {
            Ok(())
        } else {
            Err(self.syntax_error())
        }
    }

    fn condition(&mut self) -> Result<Cond, String> {
        let mut left = self.and()?;
        while self.peek().is_kw("OR") {
            self.pos += 1;
            let right = self.and()?;
            left = Cond::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self) -> Result<Cond, String> {
        let mut left = self.not()?;
        while self.peek().is_kw("AND") {
            self.pos += 1;
            let right = self.not()?;
            left = Cond::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn not(&mut self) -> Result<Cond, String> {
        if self.peek().is_kw("NOT") {
            self.pos += 1;
            self.nest()?;
            let inner = self.not()?;
            self.depth -= 1;
            return Ok(Cond::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Cond, String> {
        if self.peek() == &Tok::LParen {
            self.pos += 1;
            self.nest()?;
            let c = self.condition()?;
            self.depth -= 1;
            self.expect(Tok::RParen)?;
            return Ok(c);
        }
        if let Tok::Ident(name) = self.peek().clone()
            && self.toks[self.pos + 1].0 == Tok::LParen
            && !name.eq_ignore_ascii_case("size")
        {
            return self.function(&name);
        }
        let left = self.operand()?;
        let op = match self.peek() {
            Tok::Eq => CmpOp::Eq,
            Tok::Ne => CmpOp::Ne,
            Tok::Lt => CmpOp::Lt,
            Tok::Le => CmpOp::Le,
            Tok::Gt => CmpOp::Gt,
            Tok::Ge => CmpOp::Ge,
            t if t.is_kw("BETWEEN") => {
                self.pos += 1;
                let lo = self.operand()?;
                if !self.peek().is_kw("AND") {
                    return Err(self.syntax_error());
                }
                self.pos += 1;
                let hi = self.operand()?;
                return Ok(Cond::Between(left, lo, hi));
            }
            t if t.is_kw("IN") => {
                self.pos += 1;
                self.expect(Tok::LParen)?;
                let mut list = vec![self.operand()?];
                while self.peek() == &Tok::Comma {
                    self.pos += 1;
                    list.push(self.operand()?);
                }
                self.expect(Tok::RParen)?;
                if list.len() > 100 {
                    return Err(self.err("The IN operator can take at most 100 operands"));
                }
                return Ok(Cond::In(left, list));
            }
            _ => return Err(self.syntax_error()),
        };
        self.pos += 1;
        let right = self.operand()?;
        Ok(Cond::Cmp(left, op, right))
    }

    fn function(&mut self, name: &str) -> Result<Cond, String> {
        let lname = name.to_ascii_lowercase();
        let arity = match lname.as_str() {
            "attribute_exists" | "attribute_not_exists" => 1,
            "attribute_type" | "begins_with" | "contains" => 2,
            "if_not_exists" | "list_append" => {
                return Err(self.err(&format!(
                    "The function is not allowed in a condition expression; function: {name}"
                )));
            }
            _ => return Err(self.err(&format!("Invalid function name; function: {name}"))),
        };
        self.pos += 2;
        let mut args = vec![self.operand()?];
        while self.peek() == &Tok::Comma {
            self.pos += 1;
            args.push(self.operand()?);
        }
        self.expect(Tok::RParen)?;
        if args.len() != arity {
            return Err(self.err(&format!(
                "Incorrect number of operands for operator or function; operator or function: {lname}, number of operands: {}",
                args.len()
            )));
        }
        let path_arg = |a: &Operand, this: &Self| match a {
            Operand::Path(p) => Ok(p.clone()),
            _ => Err(this.err(&format!(
                "Operator or function requires a document path; operator or function: {lname}"
            ))),
        };
        let mut it = args.into_iter();
        let a = it.next().expect("arity checked");
        Ok(match lname.as_str() {
            "attribute_exists" => Cond::Exists(path_arg(&a, self)?),
            "attribute_not_exists" => Cond::NotExists(path_arg(&a, self)?),
            "attribute_type" => Cond::Type(path_arg(&a, self)?, it.next().expect("arity")),
            "begins_with" => Cond::BeginsWith(a, it.next().expect("arity")),
            _ => Cond::Contains(a, it.next().expect("arity")),
        })
    }

    /// A condition operand: path, value or `size(path)`.
    fn operand(&mut self) -> Result<Operand, String> {
        match self.peek().clone() {
            Tok::Value(v) => {
                self.pos += 1;
                Ok(Operand::Value(self.value(&v)?))
            }
            Tok::Ident(n) if self.toks[self.pos + 1].0 == Tok::LParen => {
                if !n.eq_ignore_ascii_case("size") {
                    if matches!(self.kind, Kind::Update) {
                        return Err(self.err(&format!("Invalid function name; function: {n}")));
                    }
                    return Err(self.syntax_error());
                }
                self.pos += 2;
                let p = self.path()?;
                self.expect(Tok::RParen)?;
                Ok(Operand::Size(p))
            }
            _ => Ok(Operand::Path(self.path()?)),
        }
    }

    /// The right-hand side of `SET path = ...`.
    fn set_value(&mut self) -> Result<Operand, String> {
        let left = self.set_operand()?;
        match self.peek() {
            Tok::Plus => {
                self.pos += 1;
                Ok(Operand::Plus(Box::new(left), Box::new(self.set_operand()?)))
            }
            Tok::Minus => {
                self.pos += 1;
                Ok(Operand::Minus(
                    Box::new(left),
                    Box::new(self.set_operand()?),
                ))
            }
            _ => Ok(left),
        }
    }

    fn set_operand(&mut self) -> Result<Operand, String> {
        if let Tok::Ident(n) = self.peek().clone()
            && self.toks[self.pos + 1].0 == Tok::LParen
        {
            let lname = n.to_ascii_lowercase();
            self.pos += 2;
            self.nest()?;
            let out = match lname.as_str() {
                "if_not_exists" => {
                    let p = self.path()?;
                    self.expect(Tok::Comma)?;
                    let v = self.set_operand()?;
                    Operand::IfNotExists(p, Box::new(v))
                }
                "list_append" => {
                    let a = self.set_operand()?;
                    self.expect(Tok::Comma)?;
                    let b = self.set_operand()?;
                    Operand::ListAppend(Box::new(a), Box::new(b))
                }
                "attribute_exists"
                | "attribute_not_exists"
                | "attribute_type"
                | "begins_with"
                | "contains"
                | "size" => {
                    return Err(self.err(&format!(
                        "The function is not allowed in an update expression; function: {lname}"
                    )));
                }
                _ => return Err(self.err(&format!("Invalid function name; function: {n}"))),
            };
            self.depth -= 1;
            self.expect(Tok::RParen)?;
            return Ok(out);
        }
        match self.peek().clone() {
            Tok::Value(v) => {
                self.pos += 1;
                Ok(Operand::Value(self.value(&v)?))
            }
            _ => Ok(Operand::Path(self.path()?)),
        }
    }

    fn value(&mut self, v: &str) -> Result<Value, String> {
        match self.ph.values.get(v) {
            Some(val) => {
                self.ph.used_values.insert(v.to_string());
                Ok(val.clone())
            }
            None => Err(format!(
                "Invalid {}: An expression attribute value used in expression is not defined; attribute value: {v}",
                self.kind.label()
            )),
        }
    }

    fn name(&mut self) -> Result<String, String> {
        let t = self.peek().clone();
        self.pos += 1;
        match t {
            Tok::Name(n) => match self.ph.names.get(&n).and_then(Value::as_str) {
                Some(s) => {
                    self.ph.used_names.insert(n.clone());
                    Ok(s.to_string())
                }
                None => Err(self.err(&format!(
                    "An expression attribute name used in the document path is not defined; attribute name: {n}"
                ))),
            },
            Tok::Ident(n) => {
                if RESERVED.iter().any(|r| r.eq_ignore_ascii_case(&n)) {
                    return Err(self.err(&format!(
                        "Attribute name is a reserved keyword; reserved keyword: {n}"
                    )));
                }
                Ok(n)
            }
            _ => {
                self.pos -= 1;
                Err(self.syntax_error())
            }
        }
    }

    fn path(&mut self) -> Result<Path, String> {
        let mut p = vec![Step::Attr(self.name()?)];
        loop {
            match self.peek() {
                Tok::Dot => {
                    self.pos += 1;
                    p.push(Step::Attr(self.name()?));
                }
                Tok::LBracket => {
                    self.pos += 1;
                    let Tok::Int(n) = self.peek().clone() else {
                        return Err(self.syntax_error());
                    };
                    let i: usize = n.parse().map_err(|_| {
                        self.err("List index is not within the allowable range; index: [n]")
                    })?;
                    self.pos += 1;
                    self.expect(Tok::RBracket)?;
                    p.push(Step::Index(i));
                }
                _ => return Ok(p),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn ph() -> Placeholders {
        Placeholders::new(
            Some(&json!({"#n": "name", "#s": "status"})),
            Some(&json!({":v": {"S": "x"}, ":n": {"N": "1"}})),
        )
    }

    #[test]
    fn precedence_and_functions() {
        let mut p = ph();
        let c = parse_condition(
            "a = :v OR NOT b < :n AND attribute_exists(#n.c[1])",
            Kind::Condition,
            &mut p,
        )
        .unwrap();
        let Cond::Or(_, right) = c else {
            panic!("OR binds loosest")
        };
        let Cond::And(l, r) = *right else {
            panic!("AND binds tighter")
        };
        assert!(matches!(*l, Cond::Not(_)));
        assert_eq!(
            *r,
            Cond::Exists(vec![
                Step::Attr("name".into()),
                Step::Attr("c".into()),
                Step::Index(1)
            ])
        );
        assert_eq!(
            p.check_unused().unwrap_err(),
            "Value provided in ExpressionAttributeNames unused in expressions: keys: {#s}"
        );
    }

    #[test]
    fn between_in_size() {
        let mut p = ph();
        let c = parse_condition(
            "size(a) BETWEEN :n AND :n OR a IN (:v, :v)",
            Kind::Filter,
            &mut p,
        )
        .unwrap();
        assert!(matches!(c, Cond::Or(..)));
    }

    #[test]
    fn errors_as_aws_words_them() {
        let mut p = ph();
        assert_eq!(
            parse_condition("a = :zz", Kind::Condition, &mut p).unwrap_err(),
            "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :zz"
        );
        assert!(
            parse_condition("a = ", Kind::Condition, &mut p)
                .unwrap_err()
                .contains("Syntax error; token: \"<EOF>\"")
        );
        assert_eq!(
            parse_condition("status = :v", Kind::Condition, &mut p).unwrap_err(),
            "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: status"
        );
        assert!(
            parse_condition("foo(a)", Kind::Condition, &mut p)
                .unwrap_err()
                .contains("Invalid function name")
        );
        assert!(
            parse_update("SET a = :v SET b = :v", &mut p)
                .unwrap_err()
                .contains("can only be used once")
        );
    }

    #[test]
    fn deep_nesting_is_refused_not_overflowing() {
        // Found by `just fuzz` (dynamodb-expr, replayed large): 10,000
        // nested parentheses overflowed the stack (a crash natively, a trap
        // in the plugin).
        let mut p = ph();
        let deep = |open: &str, close: &str, n: usize| {
            format!("{}a = :v{}", open.repeat(n), close.repeat(n))
        };
        for src in [
            deep("(", ")", 100_000),
            deep("NOT ", "", 100_000),
            deep("(NOT ", ")", MAX_NESTING),
        ] {
            let e = parse_condition(&src, Kind::Condition, &mut p).unwrap_err();
            assert!(e.contains("nested too deeply"), "{e}");
        }
        assert!(parse_condition(&deep("(", ")", MAX_NESTING), Kind::Filter, &mut p).is_ok());
        let e = parse_update(
            &format!(
                "SET a = {}:v{}",
                "if_not_exists(a, ".repeat(1000),
                ")".repeat(1000)
            ),
            &mut p,
        )
        .unwrap_err();
        assert!(e.contains("nested too deeply"), "{e}");
        let nested = format!(
            "SET a = {}:v{}",
            "list_append(:v, ".repeat(MAX_NESTING),
            ")".repeat(MAX_NESTING)
        );
        assert!(parse_update(&nested, &mut p).is_ok());
    }

    #[test]
    fn update_clauses() {
        let mut p = ph();
        let a = parse_update("SET a = a + :n, b = if_not_exists(b, :v), c = list_append(c, :v) REMOVE d[0] ADD e :n DELETE f :v", &mut p).unwrap();
        assert_eq!(a.len(), 6);
        assert!(matches!(&a[0], Action::Set(_, Operand::Plus(..))));
        assert!(
            matches!(&a[3], Action::Remove(p) if p == &vec![Step::Attr("d".into()), Step::Index(0)])
        );
        let paths = parse_projection("a, b.c, #n[3]", &mut p).unwrap();
        assert_eq!(paths.len(), 3);
    }
}
