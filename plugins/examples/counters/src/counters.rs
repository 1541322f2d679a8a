//! The JSON API: one function per operation over a typed table.

use ruststack_sdk::http::{Reply, serve_model};
use ruststack_sdk::ids::now_ms;
use ruststack_sdk::keys::Key;
use ruststack_sdk::protocol::Value;
use ruststack_sdk::table::Table;
use ruststack_sdk::{AwsError, Outcome, Request};
use serde::{Deserialize, Serialize};

use crate::api::{Op, input, out, output};

/// A stored counter.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq)]
pub struct Counter {
    /// Its name.
    pub name: String,
    /// Current value.
    pub value: i64,
    /// Last change, ms since the epoch.
    pub updated_ms: u64,
}

fn table() -> Table<Counter> {
    Table::new("counters")
}

fn key(name: &str) -> Key {
    Key::new().str(name)
}

/// A counter as the model's `Counter` shape (time in epoch seconds).
fn shape(c: &Counter) -> out::Counter {
    out::Counter::new()
        .name(c.name.as_str())
        .value(c.value)
        .updated_at(c.updated_ms as f64 / 1000.0)
}

/// The output of the operations that answer with one counter.
fn output(c: &Counter) -> out::CounterOutput {
    out::CounterOutput::new()
        .counter(shape(c))
        .served_by(format!("counters {}", crate::VERSION))
}

fn not_found(name: &str) -> AwsError {
    AwsError::client(
        "ResourceNotFoundException",
        format!("Counter {name} does not exist"),
    )
}

/// Serves a JSON-protocol request: the sdk decodes and checks the input by
/// the model, [`dispatch`] runs the operation.
pub fn handle(req: &Request) -> Outcome {
    serve_model(crate::model(), req, |op, v| dispatch(req, &op.name, &v))
}

/// Runs an operation of the model. The `match` is exhaustive: an operation
/// added to `model.json` does not compile until it has an arm, and each arm
/// reads its input through the view generated for it (`build.rs`).
fn dispatch(req: &Request, op: &str, v: &Value) -> Result<Reply, AwsError> {
    let Some(op) = Op::from_name(op) else {
        return Err(AwsError::not_implemented(op));
    };
    let value: Value = match op {
        Op::CreateCounter => create(input::CreateCounter(v))?.into(),
        Op::GetCounter => get(input::GetCounter(v))?.into(),
        Op::IncrementCounter => increment(input::IncrementCounter(v)).into(),
        Op::SetCounter => set(input::SetCounter(v))?.into(),
        Op::DeleteCounter => delete(input::DeleteCounter(v))?.into(),
        Op::ListCounters => list(input::ListCounters(v))?.into(),
        Op::WaitForCounter => return wait_for(req, input::WaitForCounter(v)),
    };
    Ok(value.into())
}

fn create(input: input::CreateCounter) -> Result<output::CreateCounter, AwsError> {
    let name = input.name().unwrap_or_default();
    let c = Counter {
        name: name.into(),
        value: input.initial_value().unwrap_or(0),
        updated_ms: now_ms(),
    };
    if !table().insert_new(&key(name), &c) {
        return Err(AwsError::client(
            "CounterAlreadyExistsException",
            format!("Counter {name} already exists"),
        ));
    }
    Ok(output(&c))
}

fn get(input: input::GetCounter) -> Result<output::GetCounter, AwsError> {
    let name = input.name().unwrap_or_default();
    table()
        .get(&key(name))
        .map(|c| output(&c))
        .ok_or_else(|| not_found(name))
}

fn increment(input: input::IncrementCounter) -> output::IncrementCounter {
    let name = input.name().unwrap_or_default();
    let by = input.by().unwrap_or(1);
    let c = table().update(&key(name), |c| {
        let mut c = c.unwrap_or(Counter {
            name: name.into(),
            value: 0,
            updated_ms: 0,
        });
        c.value = c.value.saturating_add(by);
        c.updated_ms = now_ms();
        Some(c)
    });
    output(&c.expect("update always stores a counter"))
}

fn set(input: input::SetCounter) -> Result<output::SetCounter, AwsError> {
    let name = input.name().unwrap_or_default();
    let t = table();
    let next = Counter {
        name: name.into(),
        value: input.value().unwrap_or(0),
        updated_ms: now_ms(),
    };
    let written = match input.expected_value() {
        None => {
            t.put(&key(name), &next);
            true
        }
        Some(expected) => match t.get_raw(&key(name)) {
            Some((current, raw)) if current.value == expected => {
                t.replace(&key(name), &raw, Some(&next))
            }
            _ => false,
        },
    };
    if !written {
        return Err(AwsError::client(
            "ConditionalCheckFailedException",
            "The conditional request failed",
        ));
    }
    Ok(output(&next))
}

fn delete(input: input::DeleteCounter) -> Result<output::DeleteCounter, AwsError> {
    let name = input.name().unwrap_or_default();
    if !table().delete(&key(name)) {
        return Err(not_found(name));
    }
    Ok(output::DeleteCounter::new())
}

fn list(input: input::ListCounters) -> Result<output::ListCounters, AwsError> {
    let limit = input.max_results().unwrap_or(100).clamp(1, 1000) as u32;
    let after = match input.next_token() {
        Some(t) => Some(
            decode_token(t).ok_or_else(|| AwsError::validation("The NextToken is not valid"))?,
        ),
        None => None,
    };
    let page = table().list(&Key::new(), after.as_deref(), limit);
    let counters: Vec<Value> = page.items.iter().map(|(_, c)| shape(c).into()).collect();
    Ok(output::ListCounters::new()
        .counters(counters)
        .next_token(page.next.map(|next| encode_token(&next))))
}

/// Waits (without holding anything) until the counter reaches `AtLeast` or
/// `WaitTimeSeconds` pass since the request arrived.
fn wait_for(req: &Request, input: input::WaitForCounter) -> Result<Reply, AwsError> {
    let name = input.name().unwrap_or_default();
    let at_least = input.at_least().unwrap_or(0);
    let wait_ms = input.wait_time_seconds().unwrap_or(0).clamp(0, 20) as u64 * 1000;
    let current = table().get(&key(name));
    if let Some(c) = current.as_ref().filter(|c| c.value >= at_least) {
        let done = output::WaitForCounter::new()
            .counter(shape(c))
            .timed_out(false);
        return Ok(Value::from(done).into());
    }
    let deadline = req.context.received_at_ms + wait_ms;
    let now = now_ms();
    if now >= deadline || req.context.final_call {
        let timed_out = output::WaitForCounter::new()
            .counter(current.as_ref().map(shape))
            .timed_out(true);
        return Ok(Value::from(timed_out).into());
    }
    let remaining = (deadline - now) as u32;
    Ok(Reply::wait(&table().raw_key(&key(name)), remaining))
}

fn encode_token(k: &[u8]) -> String {
    k.iter().map(|b| format!("{b:02x}")).collect()
}

fn decode_token(t: &str) -> Option<Vec<u8>> {
    if !t.len().is_multiple_of(2) {
        return None;
    }
    (0..t.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(t.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The counters with their values, for the operator's console (a plugin
/// lists what it stores in `Service::resources`).
pub fn resources() -> Vec<ruststack_sdk::Resource> {
    table()
        .all()
        .into_iter()
        .map(|(_, c)| ruststack_sdk::Resource {
            kind: "counter".into(),
            detail: format!("value {}", c.value),
            name: c.name,
            count: None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use ruststack_sdk::testkit::{self, RequestBuilder};
    use serde_json::Value;

    use crate::Counters;

    fn call(op: &str, body: &str) -> (u16, Value) {
        let req = RequestBuilder::json(&format!("Counters_20261128.{op}"), body).build();
        let (status, body) = testkit::respond::<Counters>(req);
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }

    #[test]
    fn conditional_set_and_errors() {
        testkit::reset();
        assert_eq!(
            call("CreateCounter", r#"{"Name":"a","InitialValue":5}"#).0,
            200
        );
        let (s, e) = call("CreateCounter", r#"{"Name":"a"}"#);
        assert_eq!(
            (
                s,
                e["__type"]
                    .as_str()
                    .unwrap()
                    .ends_with("CounterAlreadyExistsException")
            ),
            (400, true)
        );
        let (s, e) = call("SetCounter", r#"{"Name":"a","Value":9,"ExpectedValue":4}"#);
        assert_eq!(s, 400);
        assert!(
            e["__type"]
                .as_str()
                .unwrap()
                .ends_with("ConditionalCheckFailedException")
        );
        let (s, o) = call("SetCounter", r#"{"Name":"a","Value":9,"ExpectedValue":5}"#);
        assert_eq!((s, o["Counter"]["Value"].as_i64()), (200, Some(9)));
        let (s, e) = call("GetCounter", r#"{}"#);
        assert_eq!(s, 400, "{e}");
        assert!(
            e["__type"]
                .as_str()
                .unwrap()
                .ends_with("ValidationException"),
            "{e}"
        );
    }

    #[test]
    fn lists_in_pages() {
        testkit::reset();
        for n in ["c", "a", "b"] {
            call("IncrementCounter", &format!(r#"{{"Name":"{n}"}}"#));
        }
        let (_, p1) = call("ListCounters", r#"{"MaxResults":2}"#);
        let names: Vec<&str> = p1["Counters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["Name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["a", "b"]);
        let token = p1["NextToken"].as_str().unwrap();
        let (_, p2) = call("ListCounters", &format!(r#"{{"NextToken":"{token}"}}"#));
        assert_eq!(p2["Counters"][0]["Name"], "c");
        assert!(p2.get("NextToken").is_none());
    }

    #[test]
    fn wait_asks_the_host_to_wait_until_the_deadline() {
        testkit::reset();
        let req = RequestBuilder::json(
            "Counters_20261128.WaitForCounter",
            r#"{"Name":"w","AtLeast":1,"WaitTimeSeconds":5}"#,
        )
        .build();
        assert!(matches!(
            testkit::serve::<Counters>(req),
            Ok(ruststack_sdk::Outcome::Wait(_))
        ));
        let req = RequestBuilder::json(
            "Counters_20261128.WaitForCounter",
            r#"{"Name":"w","AtLeast":1,"WaitTimeSeconds":5}"#,
        )
        .final_call()
        .build();
        let (_, body) = testkit::respond::<Counters>(req);
        let v: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(v["TimedOut"], true);
    }
}
