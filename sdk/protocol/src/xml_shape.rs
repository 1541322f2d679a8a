//! Values ↔ XML elements by shape: the XML rules shared by rest-xml bodies
//! and query-protocol responses (member names, `locationName`, wrapped and
//! flattened lists, `entry` maps, attributes, namespaces).

use serde_json::{Map, Value};

use crate::model::{MemberRef, Model, Shape, ShapeType, XmlNamespace};
use crate::value::{TimestampFormat, scalar_from_text, scalar_to_text};
use crate::xml::{Element, XmlWriter};

/// The `xmlns` attribute for a namespace.
pub fn ns_attr(ns: &XmlNamespace) -> (String, String) {
    match &ns.prefix {
        Some(p) => (format!("xmlns:{p}"), ns.uri.clone()),
        None => ("xmlns".to_string(), ns.uri.clone()),
    }
}

fn is_flat(r: &MemberRef, shape: &Shape) -> bool {
    r.flattened || shape.flattened
}

/// Element name of the items of a list (wrapped) or, for flattened lists, the
/// repeated element (list member's `locationName`, else the member's name).
fn list_item_name<'a>(shape: &'a Shape, flat: bool, member_name: &'a str) -> &'a str {
    let loc = shape
        .member
        .as_ref()
        .and_then(|m| m.location_name.as_deref());
    match (flat, loc) {
        (_, Some(l)) => l,
        (true, None) => member_name,
        (false, None) => "member",
    }
}

/// Writes `value` as the element `name` of shape `shape` (reached through
/// `via`, whose traits such as `flattened` and `xmlNamespace` apply).
/// `extra_attrs` go on the element itself (e.g. the root `xmlns`).
pub fn write_value(
    w: &mut XmlWriter,
    model: &Model,
    via: &MemberRef,
    name: &str,
    value: &Value,
    extra_attrs: &[(String, String)],
) {
    let shape = model.shape_of(via);
    let mut attrs: Vec<(String, String)> = extra_attrs.to_vec();
    if let Some(ns) = via.xml_namespace.as_ref().or(shape.xml_namespace.as_ref()) {
        let a = ns_attr(ns);
        if !attrs.iter().any(|(k, _)| *k == a.0) {
            attrs.push(a);
        }
    }
    match (shape.kind, value) {
        (ShapeType::Structure, Value::Object(obj)) => {
            // Attribute members first: they belong on the start tag.
            for m in &shape.members {
                if !m.xml_attribute {
                    continue;
                }
                if let Some(v) = obj.get(&m.name).filter(|v| !v.is_null()) {
                    let ms = model.shape_of(m);
                    if let Some(ns) = &m.xml_namespace {
                        attrs.push(ns_attr(ns));
                    }
                    if let Some(text) = scalar_to_text(ms, v, ts_format(m, ms)) {
                        attrs.push((m.wire_name().to_string(), text));
                    }
                }
            }
            let a: Vec<(&str, &str)> = attrs
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            w.start(name, &a);
            write_members(w, model, shape, obj);
            w.end(name);
        }
        (ShapeType::List, Value::Array(items)) => {
            let Some(item) = &shape.member else { return };
            if is_flat(via, shape) {
                let item_name = list_item_name(shape, true, name);
                for v in items.iter().filter(|v| !v.is_null()) {
                    write_value(w, model, item, item_name, v, &attrs);
                }
            } else {
                let a: Vec<(&str, &str)> = attrs
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                w.start(name, &a);
                let item_name = list_item_name(shape, false, name);
                for v in items.iter().filter(|v| !v.is_null()) {
                    write_value(w, model, item, item_name, v, &[]);
                }
                w.end(name);
            }
        }
        (ShapeType::Map, Value::Object(obj)) => {
            let (Some(k), Some(vref)) = (&shape.key, &shape.value) else {
                return;
            };
            let key_name = k.location_name.as_deref().unwrap_or("key");
            let value_name = vref.location_name.as_deref().unwrap_or("value");
            let flat = is_flat(via, shape);
            let a: Vec<(&str, &str)> = attrs
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            if !flat {
                w.start(name, &a);
            }
            for (key, v) in obj.iter().filter(|(_, v)| !v.is_null()) {
                let entry = if flat { name } else { "entry" };
                w.start(entry, if flat { &a } else { &[] });
                write_value(w, model, k, key_name, &Value::String(key.clone()), &[]);
                write_value(w, model, vref, value_name, v, &[]);
                w.end(entry);
            }
            if !flat {
                w.end(name);
            }
        }
        (_, v) => {
            if let Some(text) = scalar_to_text(shape, v, ts_format(via, shape)) {
                let a: Vec<(&str, &str)> = attrs
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                w.start(name, &a).text(&text).end(name);
            }
        }
    }
}

/// Writes the body members (no `location`, not attributes) of a structure.
pub fn write_members(w: &mut XmlWriter, model: &Model, shape: &Shape, obj: &Map<String, Value>) {
    for m in &shape.members {
        if m.location.is_some() || m.xml_attribute {
            continue;
        }
        if let Some(v) = obj.get(&m.name).filter(|v| !v.is_null()) {
            write_value(w, model, &m.target, m.wire_name(), v, &[]);
        }
    }
}

fn ts_format(r: &MemberRef, shape: &Shape) -> TimestampFormat {
    TimestampFormat::resolve(
        r.timestamp_format.as_deref(),
        shape,
        TimestampFormat::Iso8601,
    )
}

/// Why an XML element does not fit its shape.
pub type ShapeError = String;

/// Reads an element as a value of the shape behind `via`.
pub fn read_value(model: &Model, via: &MemberRef, el: &Element) -> Result<Value, ShapeError> {
    let shape = model.shape_of(via);
    match shape.kind {
        ShapeType::Structure => read_structure(model, shape, el, false).map(Value::Object),
        ShapeType::List => {
            // A wrapped list; flattened lists are collected by the parent.
            let Some(item) = &shape.member else {
                return Ok(Value::Array(vec![]));
            };
            let item_name = list_item_name(shape, false, &el.name);
            el.children_named(item_name)
                .map(|c| read_value(model, item, c))
                .collect::<Result<Vec<_>, _>>()
                .map(Value::Array)
        }
        ShapeType::Map => {
            let mut out = Map::new();
            for entry in el.children_named("entry") {
                read_entry(model, shape, entry, &mut out)?;
            }
            Ok(Value::Object(out))
        }
        _ => scalar_from_text(shape, &el.text).map_err(|e| format!("{}: {e}", el.name)),
    }
}

fn read_entry(
    model: &Model,
    shape: &Shape,
    entry: &Element,
    out: &mut Map<String, Value>,
) -> Result<(), ShapeError> {
    let (Some(k), Some(v)) = (&shape.key, &shape.value) else {
        return Ok(());
    };
    let key_name = k.location_name.as_deref().unwrap_or("key");
    let value_name = v.location_name.as_deref().unwrap_or("value");
    let key = entry
        .child_text(key_name)
        .ok_or_else(|| format!("map entry without <{key_name}>"))?;
    let value = match entry.child(value_name) {
        Some(el) => read_value(model, v, el)?,
        None => Value::Null,
    };
    out.insert(key.to_string(), value);
    Ok(())
}

/// Reads the members of a structure from an element. With `body_only`,
/// members bound to the URI, headers, etc. are skipped (rest-xml input roots).
pub fn read_structure(
    model: &Model,
    shape: &Shape,
    el: &Element,
    body_only: bool,
) -> Result<Map<String, Value>, ShapeError> {
    let mut out = Map::new();
    for m in &shape.members {
        if body_only && m.location.is_some() {
            continue;
        }
        let ms = model.shape_of(m);
        let name = m.wire_name();
        if m.xml_attribute {
            let local = name.rsplit(':').next().unwrap_or(name);
            if let Some(v) = el.attr(local) {
                out.insert(m.name.clone(), scalar_from_text(ms, v)?);
            }
            continue;
        }
        let flat = is_flat(&m.target, ms);
        match ms.kind {
            ShapeType::List if flat => {
                let item_name = list_item_name(ms, true, name);
                let item = ms.member.as_ref().expect("list shapes have a member");
                let items: Vec<Value> = el
                    .children_named(item_name)
                    .map(|c| read_value(model, item, c))
                    .collect::<Result<_, _>>()?;
                if !items.is_empty() {
                    out.insert(m.name.clone(), Value::Array(items));
                }
            }
            ShapeType::Map if flat => {
                let mut map = Map::new();
                for entry in el.children_named(name) {
                    read_entry(model, ms, entry, &mut map)?;
                }
                if !map.is_empty() {
                    out.insert(m.name.clone(), Value::Object(map));
                }
            }
            _ => {
                if let Some(c) = el.child(name) {
                    out.insert(m.name.clone(), read_value(model, &m.target, c)?);
                }
            }
        }
    }
    Ok(out)
}
