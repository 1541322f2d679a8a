//! Message move tasks (DLQ redrive): StartMessageMoveTask moves every
//! message of a dead-letter queue back to its source queue (or to
//! `DestinationArn`) within the request, so a task is complete as soon as it
//! is listed; CancelMessageMoveTask therefore only ever finds finished tasks.

use base64::Engine;
use ruststack_sdk::ids::{now_ms, uuid};
use ruststack_sdk::keys::Key;
use ruststack_sdk::protocol::shapes::sqs::{input, out, output};
use ruststack_sdk::table::Table;
use ruststack_sdk::{AwsError, Request};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::attributes;
use crate::errors::{invalid_parameter, missing_parameter, resource_not_found};
use crate::messages;
use crate::queues::{self, Queue};

/// A finished move task.
#[derive(Serialize, Deserialize)]
struct Task {
    handle: String,
    source_arn: String,
    destination_arn: Option<String>,
    moved: u64,
    to_move: u64,
    rate: Option<i64>,
    started_ms: u64,
}

fn tasks() -> Table<Task> {
    Table::new("moves")
}

fn is_dead_letter_queue(q: &Queue) -> bool {
    let arn = q.arn();
    queues::table()
        .list(&Key::new().str(&q.region), None, u32::MAX)
        .items
        .iter()
        .any(|(_, s)| {
            s.attrs
                .get("RedrivePolicy")
                .and_then(|p| attributes::parse_redrive(p))
                .is_some_and(|r| r.target_arn == arn)
        })
}

/// StartMessageMoveTask.
pub fn start(_req: &Request, input: input::StartMessageMoveTask<'_>) -> Result<Value, AwsError> {
    let source_arn = input
        .source_arn()
        .ok_or_else(|| missing_parameter("SourceArn"))?;
    let source = queues::by_arn(source_arn).ok_or_else(|| {
        resource_not_found(
            "The resource that you specified for the SourceArn parameter doesn't exist.",
        )
    })?;
    if !is_dead_letter_queue(&source) {
        return Err(invalid_parameter(
            "Source queue must be configured as a Dead Letter Queue.",
        ));
    }
    let destination = match input.destination_arn() {
        Some(a) => Some(queues::by_arn(a).ok_or_else(|| {
            resource_not_found(
                "The resource that you specified for the DestinationArn parameter doesn't exist.",
            )
        })?),
        None => None,
    };
    let rate = input.max_number_of_messages_per_second();
    if rate.is_some_and(|r| !(1..=500).contains(&r)) {
        return Err(invalid_parameter(
            "Value for parameter MaxNumberOfMessagesPerSecond is invalid. Reason: Must be between 1 and 500.",
        ));
    }
    let moved = messages::move_all(&source, destination.as_ref());
    let handle =
        base64::engine::general_purpose::STANDARD.encode(format!("{}\n{}", uuid(), source_arn));
    let task = Task {
        handle: handle.clone(),
        source_arn: source_arn.to_string(),
        destination_arn: destination.map(|d| d.arn()),
        moved,
        to_move: moved,
        rate,
        started_ms: now_ms(),
    };
    tasks().put(
        &Key::new()
            .str(source_arn)
            .u64(u64::MAX - task.started_ms)
            .str(&handle),
        &task,
    );
    Ok(output::StartMessageMoveTask::new()
        .task_handle(handle)
        .into())
}

/// CancelMessageMoveTask: tasks finish within StartMessageMoveTask, so none
/// is ever running.
pub fn cancel(_req: &Request, input: input::CancelMessageMoveTask<'_>) -> Result<Value, AwsError> {
    let handle = input.task_handle().unwrap_or_default();
    let known = base64::engine::general_purpose::STANDARD
        .decode(handle)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.split_once('\n').map(|(_, arn)| arn.to_string()));
    match known {
        Some(_) => Err(resource_not_found("Only active tasks can be cancelled.")),
        None => Err(resource_not_found("Task does not exist.")),
    }
}

/// ListMessageMoveTasks: the most recent tasks of a source queue.
pub fn list(_req: &Request, input: input::ListMessageMoveTasks<'_>) -> Result<Value, AwsError> {
    let source_arn = input
        .source_arn()
        .ok_or_else(|| missing_parameter("SourceArn"))?;
    if queues::by_arn(source_arn).is_none() {
        return Err(resource_not_found(
            "The resource that you specified for the SourceArn parameter doesn't exist.",
        ));
    }
    let max = input.max_results().unwrap_or(1).clamp(1, 10) as u32;
    let results: Vec<Value> = tasks()
        .list(&Key::new().str(source_arn), None, max)
        .items
        .into_iter()
        .map(|(_, t)| {
            out::ListMessageMoveTasksResultEntry::new()
                .status("COMPLETED")
                .source_arn(t.source_arn)
                .approximate_number_of_messages_moved(t.moved)
                .approximate_number_of_messages_to_move(t.to_move)
                .started_timestamp(t.started_ms)
                .destination_arn(t.destination_arn)
                .max_number_of_messages_per_second(t.rate)
                .into()
        })
        .collect();
    Ok(output::ListMessageMoveTasks::new().results(results).into())
}
