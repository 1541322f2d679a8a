//! The routes, one function each, over a typed table:
//!
//! | request                                   | answer                                   |
//! |-------------------------------------------|------------------------------------------|
//! | `GET /{{name}}/items?limit=&next=`        | 200 `{"items": [...], "next": "..."}`    |
//! | `PUT /{{name}}/items/{id}`, body `{"description": "..."}` | 200, the stored item     |
//! | `GET /{{name}}/items/{id}`                | 200, the item; 404 if there is none      |
//! | `DELETE /{{name}}/items/{id}`             | 204; 404 if there is none                |
//!
//! An item is `{"id": ..., "description": ..., "createdAt": ..., "updatedAt": ...}`
//! (times in ISO 8601); an error is `{"__type": <code>, "message": ...}`.

use ruststack_sdk::http::Reply;
use ruststack_sdk::ids::now_ms;
use ruststack_sdk::keys::Key;
use ruststack_sdk::protocol::time::format_iso8601_millis;
use ruststack_sdk::protocol::{Protocol, Value, error_response};
use ruststack_sdk::table::Table;
use ruststack_sdk::{AwsError, Body, Outcome, Request, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// The routes, for the plugin's description.
pub const OPERATIONS: [&str; 4] = ["ListItems", "PutItem", "GetItem", "DeleteItem"];

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
    /// Its id: the last segment of its path.
    pub id: String,
    /// Free text, from the body of a `PUT`.
    pub description: String,
    /// When it was first put, ms since the epoch.
    pub created_ms: u64,
    /// When it was last put, ms since the epoch.
    pub updated_ms: u64,
}

/// The body of a `PUT`. An unknown field is refused, so a misspelt one is
/// not silently dropped.
#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct {{Item}}Input {
    description: String,
}

/// The records, by id. The sdk keeps each account's and region's apart.
fn table() -> Table<{{Item}}> {
    Table::new("{{name}}")
}

fn key(id: &str) -> Key {
    Key::new().str(id)
}

/// A record as the API shows it.
fn shape(record: &{{Item}}) -> Value {
    json!({
        "id": record.id,
        "description": record.description,
        "createdAt": format_iso8601_millis(record.created_ms as i64),
        "updatedAt": format_iso8601_millis(record.updated_ms as i64),
    })
}

fn not_found(id: &str) -> AwsError {
    AwsError::new(404, "NotFound", format!("Item {id} does not exist"))
}

/// Serves a request: routes on method and path, answers with the route's
/// reply or error.
pub fn handle(req: &Request) -> Outcome {
    let path = req
        .path
        .strip_prefix(crate::PATH_PREFIX)
        .unwrap_or_default();
    let segments: Vec<&str> = path.split('/').collect();
    let result = match (req.method.as_str(), segments.as_slice()) {
        ("GET", ["items"] | ["items", ""]) => list(req),
        ("PUT", ["items", id]) if !id.is_empty() => put(req, id),
        ("GET", ["items", id]) if !id.is_empty() => get(id),
        ("DELETE", ["items", id]) if !id.is_empty() => delete(id),
        (_, ["items"] | ["items", _]) => Err(AwsError::method_not_allowed()),
        _ => Err(AwsError::new(
            404,
            "NotFound",
            format!("No route for {} {}", req.method, req.path),
        )),
    };
    match result {
        Ok(reply) => send(reply),
        Err(e) => Outcome::respond(error_response(
            Protocol::RestJson,
            &e,
            &req.context.request_id,
        )),
    }
}

/// A reply as the response: its value as a JSON document (or its own body)
/// with its status (200 unless it sets one) and headers.
fn send(reply: Reply) -> Outcome {
    let body = reply.body.unwrap_or_else(|| {
        Body::Bytes(serde_json::to_vec(&reply.value).expect("JSON values serialize"))
    });
    let mut headers = vec![("content-type".to_string(), "application/json".to_string())];
    headers.extend(reply.headers);
    Outcome::respond(Response {
        status: reply.status.unwrap_or(200),
        headers,
        body,
    })
}

fn put(req: &Request, id: &str) -> Result<Reply, AwsError> {
    let body = req.body_bytes()?;
    let input: {{Item}}Input = if body.is_empty() {
        {{Item}}Input::default()
    } else {
        serde_json::from_slice(&body)
            .map_err(|e| AwsError::client("BadRequest", format!("The body is not valid: {e}")))?
    };
    let now = now_ms();
    // A read-modify-write that keeps the creation time of an item put again:
    // `Table::update` writes only if nothing changed the record meanwhile
    // (else it reads again), so concurrent puts never lose one another's.
    let record = table()
        .update(&key(id), |current| {
            Some({{Item}} {
                id: id.into(),
                description: input.description.clone(),
                created_ms: current.map_or(now, |c| c.created_ms),
                updated_ms: now,
            })
        })
        .expect("update stores what it is given");
    Ok(shape(&record).into())
}

fn get(id: &str) -> Result<Reply, AwsError> {
    table()
        .get(&key(id))
        .map(|record| shape(&record).into())
        .ok_or_else(|| not_found(id))
}

fn delete(id: &str) -> Result<Reply, AwsError> {
    if !table().delete(&key(id)) {
        return Err(not_found(id));
    }
    Ok(Reply {
        status: Some(204),
        body: Some(Body::Empty),
        ..Reply::default()
    })
}

/// A page of items in id order (`?limit=`, 1-1000, default 100); `next`
/// continues after the last (`?next=`).
fn list(req: &Request) -> Result<Reply, AwsError> {
    let mut limit = 100;
    let mut after = None;
    for (name, value) in req.query.split('&').filter_map(|p| p.split_once('=')) {
        match name {
            "limit" => {
                limit = value
                    .parse::<u32>()
                    .ok()
                    .filter(|n| (1..=1000).contains(n))
                    .ok_or_else(|| {
                        AwsError::client("BadRequest", "limit is a number from 1 to 1000")
                    })?
            }
            "next" => {
                after = Some(
                    decode_token(value)
                        .ok_or_else(|| AwsError::client("BadRequest", "next is not valid"))?,
                )
            }
            _ => {}
        }
    }
    let page = table().list(&Key::new(), after.as_deref(), limit);
    let items: Vec<Value> = page.items.iter().map(|(_, record)| shape(record)).collect();
    let mut out = json!({ "items": items });
    if let Some(next) = page.next {
        out["next"] = json!(encode_token(&next));
    }
    Ok(out.into())
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

    /// Sends a request the way a client does; the status and the answer.
    fn call(method: &str, path_and_query: &str, body: Option<Value>) -> (u16, Value) {
        let (path, query) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        let mut req = RequestBuilder::new(method, path).query(query);
        if let Some(body) = body {
            req = req
                .header("content-type", "application/json")
                .body(body.to_string().as_bytes());
        }
        let (status, body) = testkit::respond::<crate::{{Service}}>(req.build());
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    #[test]
    fn put_get_list_delete() {
        testkit::reset();
        let (status, item) = call(
            "PUT",
            "/{{name}}/items/first",
            Some(json!({"description": "the first one"})),
        );
        assert_eq!(status, 200, "{item}");
        assert_eq!(
            (&item["id"], &item["description"]),
            (&json!("first"), &json!("the first one"))
        );

        let (status, item) = call("GET", "/{{name}}/items/first", None);
        assert_eq!(
            (status, &item["description"]),
            (200, &json!("the first one"))
        );

        let (status, list) = call("GET", "/{{name}}/items", None);
        assert_eq!((status, &list["items"][0]["id"]), (200, &json!("first")));

        assert_eq!(call("DELETE", "/{{name}}/items/first", None).0, 204);
        let (status, err) = call("GET", "/{{name}}/items/first", None);
        assert_eq!((status, &err["__type"]), (404, &json!("NotFound")), "{err}");
        assert_eq!(call("DELETE", "/{{name}}/items/first", None).0, 404);
    }

    #[test]
    fn refuses_bad_bodies_and_unknown_routes() {
        testkit::reset();
        let typo = json!({"descripton": "typo"});
        let (status, err) = call("PUT", "/{{name}}/items/x", Some(typo));
        assert_eq!(
            (status, &err["__type"]),
            (400, &json!("BadRequest")),
            "{err}"
        );
        assert_eq!(call("POST", "/{{name}}/items/x", None).0, 405);
        assert_eq!(call("GET", "/{{name}}/other", None).0, 404);
    }

    #[test]
    fn lists_in_pages() {
        testkit::reset();
        for id in ["c", "a", "b"] {
            let path = format!("/{{name}}/items/{id}");
            assert_eq!(call("PUT", &path, None).0, 200);
        }
        let (_, page) = call("GET", "/{{name}}/items?limit=2", None);
        let ids: Vec<&str> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["a", "b"]);
        let next = page["next"].as_str().unwrap();
        let (_, page) = call("GET", &format!("/{{name}}/items?next={next}"), None);
        assert_eq!(page["items"][0]["id"], "c");
        assert!(page.get("next").is_none());
    }
}
