//! SNS's error codes, with the statuses and messages AWS uses.

use ruststack_sdk::AwsError;

/// 400 `InvalidParameter`; AWS prefixes the message with "Invalid parameter: ".
pub fn invalid_parameter(message: impl AsRef<str>) -> AwsError {
    AwsError::client(
        "InvalidParameter",
        format!("Invalid parameter: {}", message.as_ref()),
    )
}

/// 400 `ParameterValueInvalid` (malformed message attributes): the code of
/// the model's `InvalidParameterValueException`, which SDKs map it to.
pub fn invalid_parameter_value(message: impl Into<String>) -> AwsError {
    AwsError::client("ParameterValueInvalid", message)
}

/// 404 `NotFound`, what SNS answers for unknown topics and subscriptions.
pub fn not_found(message: impl Into<String>) -> AwsError {
    AwsError::new(404, "NotFound", message)
}

/// `NotFound` for a topic.
pub fn topic_not_found() -> AwsError {
    not_found("Topic does not exist")
}

/// `NotFound` for a subscription.
pub fn subscription_not_found() -> AwsError {
    not_found("Subscription does not exist")
}

/// 404 `ResourceNotFound` (tagging and data protection calls).
pub fn resource_not_found() -> AwsError {
    AwsError::new(404, "ResourceNotFound", "Resource does not exist")
}

/// `Ok` when `value` has the six `:`-separated parts every ARN has, else
/// AWS's `Invalid parameter: <param> Reason: An ARN must have at least 6
/// elements, not N` (an empty value counts as one part), which SNS answers
/// before it looks at what the ARN names.
pub fn arn_elements(param: &str, value: &str) -> Result<(), AwsError> {
    let n = value.split(':').count();
    if n < 6 {
        return Err(invalid_parameter(format!(
            "{param} Reason: An ARN must have at least 6 elements, not {n}"
        )));
    }
    Ok(())
}

/// `InvalidParameter` for a missing required parameter, as SNS words it
/// when the client did not check (`<param> Reason: no value for required parameter`).
pub fn missing_parameter(param: &str) -> AwsError {
    invalid_parameter(format!("{param} Reason: no value for required parameter"))
}

/// The `Invalid parameter: ` error `e` as Subscribe words it for a bad
/// attribute: AWS puts `Attributes Reason: ` after the prefix there, while
/// SetSubscriptionAttributes reports the same problem without it.
pub fn in_attributes(mut e: AwsError) -> AwsError {
    if let Some(rest) = e.message.strip_prefix("Invalid parameter: ") {
        e.message = format!("Invalid parameter: Attributes Reason: {rest}");
    }
    e
}
