//! Tokenizer for DynamoDB expressions (condition, key condition, filter,
//! update and projection expressions share one lexical grammar).

/// One token with the byte offset where it starts.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// A bare attribute name or keyword (`SET`, `AND`, `size`, `price`).
    Ident(String),
    /// An expression attribute name placeholder (`#n`).
    Name(String),
    /// An expression attribute value placeholder (`:v`).
    Value(String),
    /// A non-negative integer (list index).
    Int(String),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Dot,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Plus,
    Minus,
    Eof,
}

impl Tok {
    /// The token as AWS quotes it in syntax errors.
    pub fn text(&self) -> String {
        match self {
            Tok::Ident(s) | Tok::Name(s) | Tok::Value(s) | Tok::Int(s) => s.clone(),
            Tok::LParen => "(".into(),
            Tok::RParen => ")".into(),
            Tok::LBracket => "[".into(),
            Tok::RBracket => "]".into(),
            Tok::Comma => ",".into(),
            Tok::Dot => ".".into(),
            Tok::Eq => "=".into(),
            Tok::Ne => "<>".into(),
            Tok::Lt => "<".into(),
            Tok::Le => "<=".into(),
            Tok::Gt => ">".into(),
            Tok::Ge => ">=".into(),
            Tok::Plus => "+".into(),
            Tok::Minus => "-".into(),
            Tok::Eof => "<EOF>".into(),
        }
    }

    /// True when this is the keyword `kw` (case-insensitive).
    pub fn is_kw(&self, kw: &str) -> bool {
        matches!(self, Tok::Ident(s) if s.eq_ignore_ascii_case(kw))
    }
}

/// Splits `src` into tokens (ending with [`Tok::Eof`]); `Err` is AWS's
/// "Invalid character" message tail.
pub fn tokenize(src: &str) -> Result<Vec<(Tok, usize)>, String> {
    let b = src.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let word = |i: usize| {
        let mut j = i;
        while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
            j += 1;
        }
        j
    };
    while i < b.len() {
        let c = b[i];
        let start = i;
        let tok = match c {
            b' ' | b'\t' | b'\n' | b'\r' => {
                i += 1;
                continue;
            }
            b'(' => Tok::LParen,
            b')' => Tok::RParen,
            b'[' => Tok::LBracket,
            b']' => Tok::RBracket,
            b',' => Tok::Comma,
            b'.' => Tok::Dot,
            b'=' => Tok::Eq,
            b'+' => Tok::Plus,
            b'-' => Tok::Minus,
            b'<' => match b.get(i + 1) {
                Some(b'=') => {
                    i += 1;
                    Tok::Le
                }
                Some(b'>') => {
                    i += 1;
                    Tok::Ne
                }
                _ => Tok::Lt,
            },
            b'>' => {
                if b.get(i + 1) == Some(&b'=') {
                    i += 1;
                    Tok::Ge
                } else {
                    Tok::Gt
                }
            }
            b'#' | b':' => {
                let j = word(i + 1);
                if j == i + 1 {
                    return Err(format!(
                        "Syntax error; token: \"{}\", near: \"{}\"",
                        c as char,
                        near(src, i)
                    ));
                }
                let s = src[i..j].to_string();
                i = j;
                out.push((
                    if c == b'#' {
                        Tok::Name(s)
                    } else {
                        Tok::Value(s)
                    },
                    start,
                ));
                continue;
            }
            c if c.is_ascii_digit() => {
                let mut j = i;
                while j < b.len() && b[j].is_ascii_digit() {
                    j += 1;
                }
                out.push((Tok::Int(src[i..j].to_string()), start));
                i = j;
                continue;
            }
            c if c.is_ascii_alphabetic() || c == b'_' => {
                let j = word(i);
                out.push((Tok::Ident(src[i..j].to_string()), start));
                i = j;
                continue;
            }
            _ => {
                let ch = src[i..].chars().next().unwrap_or('?');
                return Err(format!(
                    "Invalid character encountered; character: \"{ch}\""
                ));
            }
        };
        i += 1;
        out.push((tok, start));
    }
    out.push((Tok::Eof, src.len()));
    Ok(out)
}

/// A few characters around `pos`, as AWS shows in `near:`.
pub fn near(src: &str, pos: usize) -> String {
    let start = src[..pos.min(src.len())]
        .char_indices()
        .rev()
        .nth(8)
        .map_or(0, |(i, _)| i);
    let end = src[pos.min(src.len())..]
        .char_indices()
        .nth(8)
        .map_or(src.len(), |(i, _)| pos + i);
    src[start..end].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens() {
        let t: Vec<Tok> = tokenize("#a.b[2] <= :v AND size(x)<>:w")
            .unwrap()
            .into_iter()
            .map(|(t, _)| t)
            .collect();
        assert_eq!(
            t,
            vec![
                Tok::Name("#a".into()),
                Tok::Dot,
                Tok::Ident("b".into()),
                Tok::LBracket,
                Tok::Int("2".into()),
                Tok::RBracket,
                Tok::Le,
                Tok::Value(":v".into()),
                Tok::Ident("AND".into()),
                Tok::Ident("size".into()),
                Tok::LParen,
                Tok::Ident("x".into()),
                Tok::RParen,
                Tok::Ne,
                Tok::Value(":w".into()),
                Tok::Eof
            ]
        );
        assert!(
            tokenize("a = $")
                .unwrap_err()
                .starts_with("Invalid character")
        );
    }
}
