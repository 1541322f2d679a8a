//! DynamoDB errors: an [`AwsError`], boxed so results stay small; the JSON
//! members some errors carry (`Item` on ConditionalCheckFailedException,
//! `CancellationReasons` on TransactionCanceledException) are the error's
//! structured members, written by the codec.

use ruststack_sdk::AwsError;
use ruststack_sdk::protocol::Value;

/// An error answer of an operation.
#[derive(Debug)]
pub struct DdbError {
    /// Code, status, message and members (boxed: results stay small).
    pub error: Box<AwsError>,
}

impl From<AwsError> for DdbError {
    fn from(error: AwsError) -> Self {
        DdbError {
            error: Box::new(error),
        }
    }
}

impl DdbError {
    /// Adds a JSON member to the error body.
    pub fn with(mut self, name: &str, v: Value) -> Self {
        *self.error = std::mem::take(&mut *self.error).with_member(name, v);
        self
    }
}

/// 400 ValidationException.
pub fn validation(msg: impl Into<String>) -> DdbError {
    AwsError::validation(msg).into()
}

/// 400 ResourceNotFoundException for an unknown table in item operations.
pub fn not_found() -> DdbError {
    AwsError::client("ResourceNotFoundException", "Requested resource not found").into()
}

/// 400 ResourceNotFoundException as table operations word it.
pub fn table_not_found(name: &str) -> DdbError {
    AwsError::client(
        "ResourceNotFoundException",
        format!("Requested resource not found: Table: {name} not found"),
    )
    .into()
}

/// 400 ConditionalCheckFailedException.
pub fn condition_failed() -> DdbError {
    AwsError::client(
        "ConditionalCheckFailedException",
        "The conditional request failed",
    )
    .into()
}

/// Shorthand result type of operations.
pub type Res<T> = Result<T, DdbError>;
