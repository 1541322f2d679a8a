//! SQS errors as AWS sends them: the JSON `__type` code plus the legacy
//! query code (`x-amzn-query-error` on JSON, `<Code>` on query), which is
//! what aws-sdk-go-v2, botocore and Terraform compare against.

use ruststack_sdk::AwsError;

fn err(code: &str, query_code: &str, message: impl Into<String>) -> AwsError {
    AwsError::client(code, message).with_query_code(query_code)
}

/// The queue named by a request does not exist.
pub fn no_queue() -> AwsError {
    err(
        "QueueDoesNotExist",
        "AWS.SimpleQueueService.NonExistentQueue",
        "The specified queue does not exist.",
    )
}

/// CreateQueue with an existing name and different attributes.
pub fn queue_exists(attr: &str) -> AwsError {
    err(
        "QueueNameExists",
        "QueueAlreadyExists",
        format!(
            "A queue already exists with the same name and a different value for attribute {attr}"
        ),
    )
}

/// A generic bad parameter (`InvalidParameterValue`).
pub fn invalid_parameter(message: impl Into<String>) -> AwsError {
    err(
        "InvalidParameterValueException",
        "InvalidParameterValue",
        message,
    )
}

/// A required parameter is absent or empty.
pub fn missing_parameter(name: &str) -> AwsError {
    err(
        "MissingParameter",
        "MissingParameter",
        format!("The request must contain the parameter {name}."),
    )
}

/// An attribute name SQS does not know.
pub fn invalid_attribute_name(name: &str) -> AwsError {
    err(
        "InvalidAttributeName",
        "InvalidAttributeName",
        format!("Unknown Attribute {name}."),
    )
}

/// An attribute value out of range or malformed.
pub fn invalid_attribute_value(name: &str, reason: Option<&str>) -> AwsError {
    let message = match reason {
        Some(r) => format!("Invalid value for the parameter {name}. Reason: {r}"),
        None => format!("Invalid value for the parameter {name}."),
    };
    err("InvalidAttributeValue", "InvalidAttributeValue", message)
}

/// A receipt handle that does not parse or belongs to another queue: 404,
/// as AWS answers it.
pub fn receipt_invalid(handle: &str) -> AwsError {
    AwsError::new(
        404,
        "ReceiptHandleIsInvalid",
        format!("The input receipt handle \"{handle}\" is not a valid receipt handle."),
    )
    .with_query_code("ReceiptHandleIsInvalid")
}

/// A message body with characters SQS rejects.
pub fn invalid_contents(c: char) -> AwsError {
    err(
        "InvalidMessageContents",
        "InvalidMessageContents",
        format!(
            "Invalid binary character '#x{:X}' was found in the message body, the set of allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF",
            c as u32
        ),
    )
}

/// A batch without entries.
pub fn empty_batch(op: &str) -> AwsError {
    err(
        "EmptyBatchRequest",
        "AWS.SimpleQueueService.EmptyBatchRequest",
        format!("There should be at least one {op}RequestEntry in the request."),
    )
}

/// A batch of more than ten entries.
pub fn too_many_entries(n: usize) -> AwsError {
    err(
        "TooManyEntriesInBatchRequest",
        "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
        format!("Maximum number of entries per request are 10. You have sent {n}."),
    )
}

/// Two entries of a batch share an id; AWS names the first repeated one
/// (`Id idA repeated.`).
pub fn ids_not_distinct(id: &str) -> AwsError {
    err(
        "BatchEntryIdsNotDistinct",
        "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
        format!("Id {id} repeated."),
    )
}

/// A batch entry id with characters outside `[A-Za-z0-9_-]` or too long.
pub fn invalid_batch_id() -> AwsError {
    err(
        "InvalidBatchEntryId",
        "AWS.SimpleQueueService.InvalidBatchEntryId",
        "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.",
    )
}

/// The batch's total payload (bodies and message attributes) is over the
/// service limit; AWS tells how much was sent.
pub fn batch_too_long(limit: u64, sent: u64) -> AwsError {
    err(
        "BatchRequestTooLong",
        "AWS.SimpleQueueService.BatchRequestTooLong",
        format!("Batch requests cannot be longer than {limit} bytes. You have sent {sent} bytes."),
    )
}

/// A batch entry with an empty message body: AWS fails only that entry,
/// with code `EmptyValue` (a SendMessage without a body is
/// `MissingParameter` instead).
pub fn empty_value(name: &str) -> AwsError {
    err(
        "EmptyValue",
        "EmptyValue",
        format!("The request must contain the parameter {name}."),
    )
}

/// A parameter value AWS rejects with its `Value <v> for parameter <p> is
/// invalid. Reason: <r>` wording.
pub fn invalid_value(param: &str, value: &str, reason: &str) -> AwsError {
    invalid_parameter(format!(
        "Value {value} for parameter {param} is invalid. Reason: {reason}"
    ))
}

/// PurgeQueue within 60 seconds of the previous one: 403, as AWS answers it.
pub fn purge_in_progress(name: &str) -> AwsError {
    AwsError::new(
        403,
        "PurgeQueueInProgress",
        format!("Only one PurgeQueue operation on {name} is allowed every 60 seconds."),
    )
    .with_query_code("AWS.SimpleQueueService.PurgeQueueInProgress")
}

/// A resource (message move task) that does not exist.
pub fn resource_not_found(message: impl Into<String>) -> AwsError {
    AwsError::new(404, "ResourceNotFoundException", message)
        .with_query_code("ResourceNotFoundException")
}
