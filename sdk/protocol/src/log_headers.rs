//! The private response headers by which a plugin tells the host which
//! operation it served and which error code it answered, for the request
//! log and the console. The sdk's encoder sets them; the host takes them
//! out before the response leaves, so clients never see them.

/// The operation a plugin served.
pub const OPERATION_HEADER: &str = "x-ruststack-operation";
/// The error code a plugin answered.
pub const ERROR_CODE_HEADER: &str = "x-ruststack-error-code";
