//! A tiny XML writer and a tiny XML tree reader (over quick-xml), enough for
//! AWS's XML bodies: no DTDs, namespaces kept as attributes, prefixes dropped
//! on input.

use quick_xml::Reader;
use quick_xml::events::Event;

/// Escapes text for element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#xD;"),
            c => out.push(c),
        }
    }
    out
}

/// Builds an XML document as a string. Plugins use it for the rare bodies the
/// model does not describe; the codecs use it for everything they write.
#[derive(Debug, Default, Clone)]
pub struct XmlWriter {
    out: String,
}

impl XmlWriter {
    /// A writer that starts with the `<?xml version="1.0" encoding="UTF-8"?>`
    /// declaration.
    pub fn with_declaration() -> Self {
        XmlWriter {
            out: "<?xml version=\"1.0\" encoding=\"UTF-8\"?>".to_string(),
        }
    }

    /// A writer with no declaration.
    pub fn new() -> Self {
        Self::default()
    }

    /// Opens `<name attr="v"...>`.
    pub fn start(&mut self, name: &str, attrs: &[(&str, &str)]) -> &mut Self {
        self.out.push('<');
        self.out.push_str(name);
        for (k, v) in attrs {
            self.out.push(' ');
            self.out.push_str(k);
            self.out.push_str("=\"");
            self.out.push_str(&escape(v));
            self.out.push('"');
        }
        self.out.push('>');
        self
    }

    /// Closes `</name>`.
    pub fn end(&mut self, name: &str) -> &mut Self {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
        self
    }

    /// Writes escaped text.
    pub fn text(&mut self, text: &str) -> &mut Self {
        self.out.push_str(&escape(text));
        self
    }

    /// Writes `<name>text</name>`.
    pub fn element(&mut self, name: &str, text: &str) -> &mut Self {
        self.start(name, &[]).text(text).end(name)
    }

    /// The document so far.
    pub fn as_str(&self) -> &str {
        &self.out
    }

    /// The finished document.
    pub fn finish(self) -> String {
        self.out
    }
}

/// A parsed XML element: local name (prefix dropped), attributes (local
/// names, `xmlns` kept), child elements and concatenated text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Element {
    /// Local name of the element.
    pub name: String,
    /// Attributes by local name, in document order.
    pub attrs: Vec<(String, String)>,
    /// Child elements in document order.
    pub children: Vec<Element>,
    /// Text content (direct text and CDATA), entities resolved.
    pub text: String,
}

impl Element {
    /// First child with this local name.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// All children with this local name.
    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// Attribute value by local name.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Text of the first child with this name.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }
}

/// Why an XML document could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlError(pub String);

impl std::fmt::Display for XmlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "malformed XML: {}", self.0)
    }
}

impl std::error::Error for XmlError {}

fn local(name: &[u8]) -> String {
    String::from_utf8_lossy(name).into_owned()
}

fn start_element(e: &quick_xml::events::BytesStart<'_>) -> Result<Element, XmlError> {
    let mut el = Element {
        name: local(e.local_name().as_ref()),
        ..Default::default()
    };
    for a in e.attributes() {
        let a = a.map_err(|e| XmlError(e.to_string()))?;
        let key = if a.key.as_ref().starts_with(b"xmlns") {
            local(a.key.as_ref())
        } else {
            local(a.key.local_name().as_ref())
        };
        let v = a.unescape_value().map_err(|e| XmlError(e.to_string()))?;
        el.attrs.push((key, v.into_owned()));
    }
    Ok(el)
}

/// Deepest element nesting a document may have: AWS's documents nest a
/// handful of levels; a deeper one is refused before it is built.
pub const MAX_DEPTH: usize = 64;
/// Most elements a document may have (S3's largest, a 1000-rule lifecycle
/// configuration, has some tens of thousands), so a document's tree stays a
/// small multiple of its text.
pub const MAX_ELEMENTS: usize = 100_000;

/// Parses a document into its root element. Whitespace-only text between
/// elements is dropped; text of leaf elements is kept verbatim. Documents
/// nested deeper than [`MAX_DEPTH`] or with more than [`MAX_ELEMENTS`]
/// elements are refused.
pub fn parse(input: &[u8]) -> Result<Element, XmlError> {
    let mut reader = Reader::from_reader(input);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let mut elements = 0usize;
    loop {
        let ev = reader
            .read_event()
            .map_err(|e| XmlError(format!("{e} at {}", reader.buffer_position())))?;
        if matches!(ev, Event::Start(_) | Event::Empty(_)) {
            elements += 1;
            if elements > MAX_ELEMENTS {
                return Err(XmlError(format!("more than {MAX_ELEMENTS} elements")));
            }
        }
        match ev {
            Event::Start(e) => {
                if root.is_some() {
                    return Err(XmlError("content after the root element".into()));
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(XmlError(format!("elements nested deeper than {MAX_DEPTH}")));
                }
                stack.push(start_element(&e)?);
            }
            Event::Empty(e) => {
                let el = start_element(&e)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None if root.is_none() => root = Some(el),
                    None => return Err(XmlError("content after the root element".into())),
                }
            }
            Event::End(_) => {
                let el = stack
                    .pop()
                    .ok_or_else(|| XmlError("unbalanced end tag".into()))?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => {
                let text = t.xml_content().map_err(|e| XmlError(e.to_string()))?;
                match stack.last_mut() {
                    Some(el) => el.text.push_str(&text),
                    None if text.trim().is_empty() => {}
                    None => return Err(XmlError("text outside the root element".into())),
                }
            }
            Event::CData(t) => {
                let text = t.xml_content().map_err(|e| XmlError(e.to_string()))?;
                match stack.last_mut() {
                    Some(el) => el.text.push_str(&text),
                    None => return Err(XmlError("CDATA outside the root element".into())),
                }
            }
            Event::GeneralRef(r) => {
                let c = match r.resolve_char_ref().map_err(|e| XmlError(e.to_string()))? {
                    Some(c) => c,
                    None => match r.as_ref() {
                        b"amp" => '&',
                        b"lt" => '<',
                        b"gt" => '>',
                        b"quot" => '"',
                        b"apos" => '\'',
                        other => {
                            return Err(XmlError(format!(
                                "unknown entity &{};",
                                String::from_utf8_lossy(other)
                            )));
                        }
                    },
                };
                match stack.last_mut() {
                    Some(el) => el.text.push(c),
                    None => return Err(XmlError("entity outside the root element".into())),
                }
            }
            Event::DocType(_) => return Err(XmlError("DTDs are not allowed".into())),
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return Err(XmlError("unexpected end of document".into()));
    }
    let mut root = root.ok_or_else(|| XmlError("empty document".into()))?;
    trim_structural_text(&mut root);
    Ok(root)
}

/// Drops the indentation text of elements that have children.
fn trim_structural_text(el: &mut Element) {
    if !el.children.is_empty() {
        if el.text.trim().is_empty() {
            el.text.clear();
        }
        el.children.iter_mut().for_each(trim_structural_text);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_escaped() {
        let mut w = XmlWriter::with_declaration();
        w.start("A", &[("xmlns", "urn:x")])
            .element("B", "x<y & \"z\"")
            .end("A");
        assert_eq!(
            w.finish(),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><A xmlns=\"urn:x\"><B>x&lt;y &amp; &quot;z&quot;</B></A>"
        );
    }

    #[test]
    fn refuses_deep_and_huge_documents() {
        let nest = |n: usize| format!("{}{}", "<a>".repeat(n), "</a>".repeat(n));
        assert!(parse(nest(MAX_DEPTH).as_bytes()).is_ok());
        let e = parse(nest(5000).as_bytes()).unwrap_err();
        assert!(e.0.contains("nested deeper"), "{e}");
        let wide = format!("<r>{}</r>", "<a/>".repeat(MAX_ELEMENTS));
        let e = parse(wide.as_bytes()).unwrap_err();
        assert!(e.0.contains("elements"), "{e}");
    }

    #[test]
    fn parses_tree() {
        let doc = br#"<?xml version="1.0"?>
            <s3:Tagging xmlns:s3="urn:s3"><TagSet>
              <Tag><Key>a &amp; b</Key><Value> v </Value></Tag>
              <Tag><Key><![CDATA[<c>]]></Key><Value/></Tag>
            </TagSet></s3:Tagging>"#;
        let root = parse(doc).unwrap();
        assert_eq!(root.name, "Tagging");
        let tags: Vec<_> = root
            .child("TagSet")
            .unwrap()
            .children_named("Tag")
            .collect();
        assert_eq!(tags.len(), 2);
        assert_eq!(tags[0].child_text("Key"), Some("a & b"));
        assert_eq!(tags[0].child_text("Value"), Some(" v "));
        assert_eq!(tags[1].child_text("Key"), Some("<c>"));
        assert_eq!(tags[1].child_text("Value"), Some(""));
        assert_eq!(root.attr("xmlns:s3"), Some("urn:s3"));
    }

    #[test]
    fn rejects_malformed() {
        assert!(parse(b"<a><b></a>").is_err());
        assert!(parse(b"<a>").is_err());
        assert!(parse(b"").is_err());
        assert!(parse(b"<a/><b/>").is_err());
        assert!(parse(b"<a>&foo;</a>").is_err());
    }
}
