//! Syntax trees of DynamoDB expressions, with placeholders already resolved.

use serde_json::Value;

/// One step of a document path.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Step {
    /// A map key (or top-level attribute name).
    Attr(String),
    /// A list index.
    Index(usize),
}

/// A document path such as `a.b[2].c`.
pub type Path = Vec<Step>;

/// Renders a path the way AWS error messages show it (`[a, b, [2]]`).
pub fn path_text(p: &Path) -> String {
    let parts: Vec<String> = p
        .iter()
        .map(|s| match s {
            Step::Attr(a) => a.clone(),
            Step::Index(i) => format!("[{i}]"),
        })
        .collect();
    format!("[{}]", parts.join(", "))
}

/// A value-producing operand.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    /// The attribute at a path (absent when the item has none).
    Path(Path),
    /// An `ExpressionAttributeValues` entry (an AttributeValue JSON).
    Value(Value),
    /// `size(path)`.
    Size(Path),
    /// `if_not_exists(path, operand)` (update expressions only).
    IfNotExists(Path, Box<Operand>),
    /// `list_append(a, b)` (update expressions only).
    ListAppend(Box<Operand>, Box<Operand>),
    /// `a + b` (update expressions only).
    Plus(Box<Operand>, Box<Operand>),
    /// `a - b` (update expressions only).
    Minus(Box<Operand>, Box<Operand>),
}

/// Comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// A condition (ConditionExpression, FilterExpression, KeyConditionExpression).
#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    Cmp(Operand, CmpOp, Operand),
    Between(Operand, Operand, Operand),
    In(Operand, Vec<Operand>),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
    Not(Box<Cond>),
    Exists(Path),
    NotExists(Path),
    Type(Path, Operand),
    BeginsWith(Operand, Operand),
    Contains(Operand, Operand),
}

/// One action of an update expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Set(Path, Operand),
    Remove(Path),
    Add(Path, Value),
    Delete(Path, Value),
}
