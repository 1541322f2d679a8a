//! The DynamoDB expression language: a tokenizer ([`lexer`]), a parser that
//! resolves placeholders ([`parser`]), and evaluators for conditions and
//! projections ([`eval`]) and for update actions ([`update`]), and the
//! paths that may not stand together in one expression ([`clash`]).

pub mod ast;
pub mod clash;
pub mod eval;
pub mod lexer;
pub mod parser;
pub mod update;
