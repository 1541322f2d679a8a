//! The DynamoDB expression language: a tokenizer ([`lexer`]), a parser that
//! resolves placeholders ([`parser`]), and evaluators for conditions and
//! projections ([`eval`]) and for update actions ([`update`]).

pub mod ast;
pub mod eval;
pub mod lexer;
pub mod parser;
pub mod update;
