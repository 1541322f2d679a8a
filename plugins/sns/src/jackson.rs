//! Why a JSON attribute value does not parse, in the words of the Jackson
//! parser AWS reads it with.
//!
//! SNS answers a malformed FilterPolicy or RedrivePolicy with `failed to
//! parse JSON. ` followed by Jackson's message and location, e.g.
//! `Unexpected character ('i' (code 105)): was expecting double-quote to
//! start field name\n at [Source: REDACTED (...); line: 1, column: 2]`.
//! [`syntax_error`] walks the text as Jackson does and words the common
//! mistakes the same way: a field name without quotes, a bare word where a
//! value belongs, a missing comma or colon. For anything else it answers
//! `None` and the caller keeps its plain message.

/// Jackson's location suffix (source redacted, as AWS's parser has it).
pub fn location(line: usize, column: usize) -> String {
    format!(
        "\n at [Source: REDACTED (`StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION` disabled); line: {line}, column: {column}]"
    )
}

/// How Jackson names a character in its messages.
fn describe(c: char) -> String {
    let code = u32::from(c);
    if c.is_control() {
        format!("(CTRL-CHAR, code {code})")
    } else if code > 255 {
        format!("'{c}' (code {code} / 0x{code:x})")
    } else {
        format!("'{c}' (code {code})")
    }
}

/// What Jackson lists as acceptable where a value was expected.
const VALUES: &str = "(JSON String, Number, Array, Object or token 'null', 'true' or 'false')";

/// Deepest nesting walked (serde_json, which parsed nothing here, allows 128).
const MAX_DEPTH: usize = 128;

struct Walk {
    chars: Vec<char>,
    /// Index of the next character to read.
    pos: usize,
}

/// `Err(Some(message))` for a mistake worded as Jackson does, `Err(None)` for
/// one it is not known how Jackson words.
type Step = Result<(), Option<String>>;

impl Walk {
    /// 1-based line and column of character index `at`.
    fn place(&self, at: usize) -> (usize, usize) {
        let before = &self.chars[..at.min(self.chars.len())];
        let line = 1 + before.iter().filter(|c| **c == '\n').count();
        let start = before.iter().rposition(|c| *c == '\n').map_or(0, |i| i + 1);
        (line, at - start + 1)
    }

    fn fail(&self, message: String, at: usize) -> Step {
        let (line, column) = self.place(at);
        Err(Some(format!("{message}{}", location(line, column))))
    }

    /// An unexpected character, located at itself.
    fn unexpected(&self, at: usize, what: &str) -> Step {
        self.fail(
            format!(
                "Unexpected character ({}): {what}",
                describe(self.chars[at])
            ),
            at,
        )
    }

    /// A bare word: Jackson reads on while it could be part of an
    /// identifier and reports the word, located after it.
    fn bad_token(&mut self, start: usize) -> Step {
        let mut end = start + 1;
        while end < self.chars.len()
            && end - start < 256
            && (self.chars[end].is_alphanumeric() || matches!(self.chars[end], '_' | '$'))
        {
            end += 1;
        }
        let word: String = self.chars[start..end].iter().collect();
        self.fail(
            format!("Unrecognized token '{word}': was expecting {VALUES}"),
            end,
        )
    }

    fn skip_ws(&mut self) -> Option<char> {
        while let Some(&c) = self.chars.get(self.pos) {
            if matches!(c, ' ' | '\t' | '\n' | '\r') {
                self.pos += 1;
            } else {
                return Some(c);
            }
        }
        None
    }

    fn value(&mut self, depth: usize) -> Step {
        if depth > MAX_DEPTH {
            return Err(None);
        }
        let Some(c) = self.skip_ws() else {
            return Err(None);
        };
        let start = self.pos;
        match c {
            '{' => {
                self.pos += 1;
                self.object(depth)
            }
            '[' => {
                self.pos += 1;
                self.array(depth)
            }
            '"' => self.string(),
            't' | 'f' | 'n' => {
                let word = match c {
                    't' => "true",
                    'f' => "false",
                    _ => "null",
                };
                let matched = word
                    .chars()
                    .enumerate()
                    .all(|(i, w)| self.chars.get(start + i) == Some(&w));
                let next = self.chars.get(start + word.len());
                if matched && !next.is_some_and(|n| n.is_alphanumeric() || *n == '_') {
                    self.pos = start + word.len();
                    Ok(())
                } else {
                    self.bad_token(start)
                }
            }
            '-' | '0'..='9' => self.number(),
            c if c.is_alphabetic() || c == '_' || c == '$' => self.bad_token(start),
            _ => Err(None),
        }
    }

    fn number(&mut self) -> Step {
        let start = self.pos;
        while let Some(&c) = self.chars.get(self.pos) {
            if c.is_ascii_digit() || matches!(c, '-' | '+' | '.' | 'e' | 'E') {
                self.pos += 1;
            } else {
                break;
            }
        }
        let text: String = self.chars[start..self.pos].iter().collect();
        match serde_json::from_str::<serde_json::Number>(&text) {
            Ok(_) => Ok(()),
            Err(_) => Err(None),
        }
    }

    fn string(&mut self) -> Step {
        self.pos += 1;
        while let Some(&c) = self.chars.get(self.pos) {
            self.pos += 1;
            match c {
                '"' => return Ok(()),
                '\\' => self.pos += 1,
                c if u32::from(c) < 0x20 => return Err(None),
                _ => {}
            }
        }
        Err(None)
    }

    fn object(&mut self, depth: usize) -> Step {
        if self.skip_ws() == Some('}') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            match self.skip_ws() {
                Some('"') => self.string()?,
                Some(_) => {
                    return self
                        .unexpected(self.pos, "was expecting double-quote to start field name");
                }
                None => return Err(None),
            }
            match self.skip_ws() {
                Some(':') => self.pos += 1,
                Some(_) => {
                    return self.unexpected(
                        self.pos,
                        "was expecting a colon to separate field name and value",
                    );
                }
                None => return Err(None),
            }
            self.value(depth + 1)?;
            match self.skip_ws() {
                Some(',') => self.pos += 1,
                Some('}') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(_) => {
                    return self
                        .unexpected(self.pos, "was expecting comma to separate Object entries");
                }
                None => return Err(None),
            }
        }
    }

    fn array(&mut self, depth: usize) -> Step {
        if self.skip_ws() == Some(']') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.value(depth + 1)?;
            match self.skip_ws() {
                Some(',') => self.pos += 1,
                Some(']') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(_) => {
                    return self
                        .unexpected(self.pos, "was expecting comma to separate Array entries");
                }
                None => return Err(None),
            }
        }
    }
}

/// Jackson's message and location for the first mistake in `text`, when it
/// is one whose wording is known; `None` otherwise (also for valid JSON).
pub fn syntax_error(text: &str) -> Option<String> {
    let mut w = Walk {
        chars: text.chars().collect(),
        pos: 0,
    };
    w.value(0).err().flatten()
}

/// The reason a JSON attribute failed to parse, as SNS words it after the
/// attribute's name: `failed to parse JSON. <Jackson's message>` when the
/// mistake is one [`syntax_error`] knows, else just `failed to parse JSON.`.
pub fn parse_failure(text: &str) -> String {
    match syntax_error(text) {
        Some(m) => format!("failed to parse JSON. {m}"),
        None => "failed to parse JSON.".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loc(column: usize) -> String {
        location(1, column)
    }

    #[test]
    fn recorded_mistakes() {
        assert_eq!(
            syntax_error("{invalidjson}"),
            Some(format!(
                "Unexpected character ('i' (code 105)): was expecting double-quote to start field name{}",
                loc(2)
            ))
        );
        assert_eq!(
            syntax_error("invalid-json"),
            Some(format!(
                "Unrecognized token 'invalid': was expecting {VALUES}{}",
                loc(8)
            ))
        );
    }

    #[test]
    fn other_mistakes_and_valid_text() {
        assert_eq!(
            syntax_error(r#"{"a" ["x"]}"#),
            Some(format!(
                "Unexpected character ('[' (code 91)): was expecting a colon to separate field name and value{}",
                loc(6)
            ))
        );
        assert_eq!(
            syntax_error("{\"a\": [\"x\"]\n \"b\": 1}"),
            Some(format!(
                "Unexpected character ('\"' (code 34)): was expecting comma to separate Object entries{}",
                location(2, 2)
            ))
        );
        assert_eq!(
            syntax_error(r#"{"a": tru}"#),
            Some(format!(
                "Unrecognized token 'tru': was expecting {VALUES}{}",
                loc(10)
            ))
        );
        assert_eq!(
            syntax_error(r#"{"a": ["x", 1.5, null, {"b": false}]}"#),
            None
        );
        assert_eq!(syntax_error(r#"{"a": "#), None);
    }
}
