//! SNS's error codes, with the statuses and messages AWS uses.

use ruststack_sdk::AwsError;

/// 400 `InvalidParameter`; AWS prefixes the message with "Invalid parameter: ".
pub fn invalid_parameter(message: impl AsRef<str>) -> AwsError {
    AwsError::client(
        "InvalidParameter",
        format!("Invalid parameter: {}", message.as_ref()),
    )
}

/// 400 `InvalidParameterValue` (message attributes and batch entries).
pub fn invalid_parameter_value(message: impl Into<String>) -> AwsError {
    AwsError::client("InvalidParameterValue", message)
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
