//! The operations of `model.json`, one function each, over a typed table.
//!
//! The sdk's codec has already checked each input against the model
//! (required members, lengths, types) before a function here sees it, and
//! turns what a function returns into the model's output shape or error.

use ruststack_sdk::http::{Reply, serve_model};
use ruststack_sdk::ids::now_ms;
use ruststack_sdk::keys::Key;
use ruststack_sdk::protocol::Value;
use ruststack_sdk::table::Table;
use ruststack_sdk::{AwsError, Outcome, Request};
use serde::{Deserialize, Serialize};

// Generated from `model.json` when the crate builds (`build.rs`): `Op` has a
// variant per operation, `input::<Op>` reads an operation's input member by
// member, `output::<Op>` and `out::<Shape>` build answers member by member.
// A misspelt operation or member does not compile.
use crate::api::{Op, input, out, output};

/// A stored {{item}}, kept as JSON in the plugin's kv namespace.
///
/// `#[serde(default)]`: a field missing from a stored record takes its
/// default, so a field added here later keeps the records stored before it
/// readable. For a change defaults cannot bridge (a renamed field, a new
/// type), give the table an upgrade: `Table::upgrading` (see "Evolving a
/// stored type" in the sdk's `table` module).
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq)]
#[serde(default)]
pub struct {{Item}} {
    /// Its name, unique within an account and region.
    pub name: String,
    /// Free text, changed by `Update{{Item}}`.
    pub description: String,
    /// When it was created, ms since the epoch.
    pub created_ms: u64,
    /// When it last changed, ms since the epoch.
    pub updated_ms: u64,
}

/// The records, by name. The sdk keeps each account's and region's apart.
fn table() -> Table<{{Item}}> {
    Table::new("{{name}}")
}

fn key(name: &str) -> Key {
    Key::new().str(name)
}

/// A record as the model's `{{Item}}` shape (timestamps in epoch seconds).
fn shape(record: &{{Item}}) -> out::{{Item}} {
    out::{{Item}}::new()
        .name(record.name.as_str())
        .description(record.description.as_str())
        .created_at(record.created_ms as f64 / 1000.0)
        .updated_at(record.updated_ms as f64 / 1000.0)
}

/// The output of the operations that answer with one record.
fn output(record: &{{Item}}) -> out::{{Item}}Output {
    out::{{Item}}Output::new().{{item_member}}(shape(record))
}

fn not_found(name: &str) -> AwsError {
    AwsError::client(
        "ResourceNotFoundException",
        format!("{{Item}} {name} does not exist"),
    )
}

/// Serves a request: the sdk decodes it and checks it against the model,
/// [`dispatch`] runs the operation, the sdk answers with its output or error.
pub fn handle(req: &Request) -> Outcome {
    serve_model(crate::model(), req, |op, input| dispatch(&op.name, &input))
}

/// Runs an operation. The `match` is exhaustive: an operation added to
/// `model.json` does not compile until it has an arm here.
fn dispatch(op: &str, v: &Value) -> Result<Reply, AwsError> {
    let Some(op) = Op::from_name(op) else {
        return Err(AwsError::not_implemented(op));
    };
    let answer: Value = match op {
        Op::Create{{Item}} => create(input::Create{{Item}}(v))?.into(),
        Op::Get{{Item}} => get(input::Get{{Item}}(v))?.into(),
        Op::List{{Items}} => list(input::List{{Items}}(v))?.into(),
        Op::Update{{Item}} => update(input::Update{{Item}}(v))?.into(),
        Op::Delete{{Item}} => delete(input::Delete{{Item}}(v))?.into(),
    };
    Ok(answer.into())
}

fn create(input: input::Create{{Item}}) -> Result<output::Create{{Item}}, AwsError> {
    // The model makes `Name` required: the sdk has refused a request
    // without it before this runs.
    let name = input.name().unwrap_or_default();
    let now = now_ms();
    let record = {{Item}} {
        name: name.into(),
        description: input.description().unwrap_or_default().into(),
        created_ms: now,
        updated_ms: now,
    };
    // Stored only if the name is free; two concurrent creates cannot both win.
    if !table().insert_new(&key(name), &record) {
        return Err(AwsError::client(
            "{{Item}}AlreadyExistsException",
            format!("{{Item}} {name} already exists"),
        ));
    }
    Ok(output(&record))
}

fn get(input: input::Get{{Item}}) -> Result<output::Get{{Item}}, AwsError> {
    let name = input.name().unwrap_or_default();
    table()
        .get(&key(name))
        .map(|record| output(&record))
        .ok_or_else(|| not_found(name))
}

fn update(input: input::Update{{Item}}) -> Result<output::Update{{Item}}, AwsError> {
    let name = input.name().unwrap_or_default();
    let description = input.description().unwrap_or_default();
    // A read-modify-write: `Table::update` reads the record, applies the
    // change and writes it back only if nothing changed it meanwhile (else it
    // reads again), so concurrent updates never lose one another's writes.
    // Returning `None` (no record) writes nothing.
    table()
        .update(&key(name), |current| {
            current.map(|mut record| {
                record.description = description.into();
                record.updated_ms = now_ms();
                record
            })
        })
        .map(|record| output(&record))
        .ok_or_else(|| not_found(name))
}

fn delete(input: input::Delete{{Item}}) -> Result<output::Delete{{Item}}, AwsError> {
    let name = input.name().unwrap_or_default();
    if !table().delete(&key(name)) {
        return Err(not_found(name));
    }
    Ok(output::Delete{{Item}}::new())
}

/// A page of records in name order; `NextToken` continues after the last.
fn list(input: input::List{{Items}}) -> Result<output::List{{Items}}, AwsError> {
    let limit = input.max_results().unwrap_or(100).clamp(1, 1000) as u32;
    let after = match input.next_token() {
        Some(token) => Some(
            decode_token(token)
                .ok_or_else(|| AwsError::validation("The NextToken is not valid"))?,
        ),
        None => None,
    };
    let page = table().list(&Key::new(), after.as_deref(), limit);
    let records: Vec<Value> = page
        .items
        .iter()
        .map(|(_, record)| shape(record).into())
        .collect();
    Ok(output::List{{Items}}::new()
        .{{items_member}}(records)
        .next_token(page.next.map(|next| encode_token(&next))))
}

/// A page's last key, as hex text.
fn encode_token(key: &[u8]) -> String {
    key.iter().map(|b| format!("{b:02x}")).collect()
}

fn decode_token(token: &str) -> Option<Vec<u8>> {
    if !token.len().is_multiple_of(2) {
        return None;
    }
    (0..token.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(token.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Native unit tests: `cargo test` runs the plugin against the sdk's
/// in-memory stand-in for the host (`ruststack_sdk::testkit`).
#[cfg(test)]
mod tests {
    use ruststack_sdk::testkit::{self, RequestBuilder};
    use serde_json::{Value, json};

    /// Calls an operation the way a client does; the status and the answer.
    fn call(operation: &str, body: Value) -> (u16, Value) {
        let target = format!("{}{operation}", crate::TARGET_PREFIX);
        let req = RequestBuilder::json(&target, &body.to_string()).build();
        let (status, body) = testkit::respond::<crate::{{Service}}>(req);
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    /// The error code of an error answer (`__type` is `<namespace>#<code>`
    /// or the bare code).
    fn code(error: &Value) -> &str {
        let t = error["__type"].as_str().unwrap_or_default();
        t.rsplit('#').next().unwrap_or(t)
    }

    #[test]
    fn create_get_update_delete() {
        testkit::reset();
        let (status, out) = call(
            "Create{{Item}}",
            json!({"Name": "first", "Description": "the first one"}),
        );
        assert_eq!(status, 200, "{out}");
        assert_eq!(out["{{Item}}"]["Name"], "first");
        assert_eq!(out["{{Item}}"]["Description"], "the first one");

        let (status, err) = call("Create{{Item}}", json!({"Name": "first"}));
        assert_eq!(status, 400, "{err}");
        assert_eq!(code(&err), "{{Item}}AlreadyExistsException");

        let (status, out) = call(
            "Update{{Item}}",
            json!({"Name": "first", "Description": "changed"}),
        );
        assert_eq!(status, 200, "{out}");
        assert_eq!(out["{{Item}}"]["Description"], "changed");
        let (_, out) = call("Get{{Item}}", json!({"Name": "first"}));
        assert_eq!(out["{{Item}}"]["Description"], "changed");

        assert_eq!(call("Delete{{Item}}", json!({"Name": "first"})).0, 200);
        let (status, err) = call("Get{{Item}}", json!({"Name": "first"}));
        assert_eq!((status, code(&err)), (400, "ResourceNotFoundException"));
        let change = json!({"Name": "first", "Description": "x"});
        let (status, err) = call("Update{{Item}}", change);
        assert_eq!((status, code(&err)), (400, "ResourceNotFoundException"));
    }

    #[test]
    fn the_model_refuses_invalid_input() {
        testkit::reset();
        let (status, err) = call("Get{{Item}}", json!({}));
        assert_eq!((status, code(&err)), (400, "ValidationException"), "{err}");
    }

    #[test]
    fn lists_in_pages() {
        testkit::reset();
        for name in ["c", "a", "b"] {
            assert_eq!(call("Create{{Item}}", json!({ "Name": name })).0, 200);
        }
        let (_, page) = call("List{{Items}}", json!({"MaxResults": 2}));
        let names: Vec<&str> = page["{{Items}}"]
            .as_array()
            .unwrap()
            .iter()
            .map(|record| record["Name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["a", "b"]);
        let token = page["NextToken"].as_str().unwrap();
        let (_, page) = call("List{{Items}}", json!({ "NextToken": token }));
        assert_eq!(page["{{Items}}"][0]["Name"], "c");
        assert!(page.get("NextToken").is_none());
    }

    #[test]
    fn records_stored_before_a_field_was_added_stay_readable() {
        let old: super::{{Item}} = serde_json::from_value(json!({"name": "old"})).unwrap();
        assert_eq!((old.name.as_str(), old.description.as_str()), ("old", ""));
    }
}
