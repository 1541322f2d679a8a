//! The rest-xml protocol (S3): operations chosen by method + URI template,
//! members bound to the URI, query string and headers, and an XML (or raw)
//! body.

mod decode;
mod encode;

pub use decode::decode_input;
pub use encode::{encode_error, encode_output};

#[cfg(test)]
mod tests;
