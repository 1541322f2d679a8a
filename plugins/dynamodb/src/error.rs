//! DynamoDB errors: an [`AwsError`] plus the JSON members some errors carry
//! (`Item` on ConditionalCheckFailedException, `CancellationReasons` on
//! TransactionCanceledException), which the generic codec cannot express.

use ruststack_sdk::AwsError;
use ruststack_sdk::protocol::{Codec, HttpResponse, Value};

/// An error answer of an operation.
#[derive(Debug)]
pub struct DdbError {
    /// Code, status and message (boxed: results stay small).
    pub error: Box<AwsError>,
    /// Extra JSON members merged into the error body.
    pub fields: Vec<(String, Value)>,
}

impl From<AwsError> for DdbError {
    fn from(error: AwsError) -> Self {
        DdbError {
            error: Box::new(error),
            fields: Vec::new(),
        }
    }
}

impl DdbError {
    /// The response: the codec's error body with the extra members added.
    pub fn encode(&self, codec: &Codec<'_>, rid: &str) -> HttpResponse {
        let mut r = codec.encode_error(&self.error, rid);
        if !self.fields.is_empty()
            && let Ok(Value::Object(mut body)) = serde_json::from_slice::<Value>(&r.body)
        {
            for (k, v) in &self.fields {
                body.insert(k.clone(), v.clone());
            }
            r.body = serde_json::to_vec(&Value::Object(body)).expect("JSON values serialize");
        }
        r
    }

    /// Adds a JSON member to the error body.
    pub fn with(mut self, name: &str, v: Value) -> Self {
        self.fields.push((name.into(), v));
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
