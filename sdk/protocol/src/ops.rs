//! One enum of operations per built-in service model, generated from the
//! vendored models when the crate is built (`build.rs`). A plugin resolves
//! the operation with the codec, turns its name into a variant once, and
//! dispatches with an exhaustive `match`: a misspelt operation does not
//! compile, and neither does a new model operation that no arm handles.
//!
//! ```
//! use ruststack_protocol::ops::sqs::Op;
//! assert_eq!(Op::from_name("SendMessage"), Some(Op::SendMessage));
//! assert_eq!(Op::SendMessage.name(), "SendMessage");
//! assert_eq!(Op::from_name("SendMesage"), None);
//! ```

include!(concat!(env!("OUT_DIR"), "/ops.rs"));

#[cfg(test)]
mod tests {
    use crate::models;

    fn names(ops: impl Iterator<Item = &'static str>) -> Vec<&'static str> {
        ops.collect()
    }

    #[test]
    fn every_model_operation_has_its_variant() {
        let cases: [(&crate::Model, Vec<&str>); 5] = [
            (
                models::s3(),
                names(super::s3::Op::ALL.iter().map(|o| o.name())),
            ),
            (
                models::sqs(),
                names(super::sqs::Op::ALL.iter().map(|o| o.name())),
            ),
            (
                models::sns(),
                names(super::sns::Op::ALL.iter().map(|o| o.name())),
            ),
            (
                models::dynamodb(),
                names(super::dynamodb::Op::ALL.iter().map(|o| o.name())),
            ),
            (
                models::sts(),
                names(super::sts::Op::ALL.iter().map(|o| o.name())),
            ),
        ];
        for (model, ops) in cases {
            let mut expected: Vec<&str> = model.operations.keys().map(String::as_str).collect();
            expected.sort_unstable();
            assert_eq!(ops, expected);
        }
    }
}
