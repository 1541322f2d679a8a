//! The built-in service models, vendored from botocore by
//! `models/refresh.py`, parsed once on first use.

use std::sync::OnceLock;

use crate::Model;

macro_rules! builtin {
    ($(#[$doc:meta])* $fn:ident, $file:literal) => {
        $(#[$doc])*
        pub fn $fn() -> &'static Model {
            static MODEL: OnceLock<Model> = OnceLock::new();
            MODEL.get_or_init(|| {
                Model::from_json(include_str!(concat!("../models/", $file)))
                    .expect(concat!("vendored model ", $file, " is valid"))
            })
        }
    };
}

builtin!(
    /// Amazon S3 (rest-xml, 2006-03-01).
    s3,
    "s3.json"
);
builtin!(
    /// Amazon DynamoDB (JSON 1.0, 2012-08-10).
    dynamodb,
    "dynamodb.json"
);
builtin!(
    /// Amazon DynamoDB Streams (JSON 1.0, 2012-08-10), served by the DynamoDB
    /// plugin beside its tables.
    dynamodbstreams,
    "dynamodbstreams.json"
);
builtin!(
    /// Amazon SQS (JSON 1.0, query compatible, 2012-11-05). The legacy query
    /// wire names are restored in the vendored file, so the query codec works
    /// with this model too.
    sqs,
    "sqs.json"
);
builtin!(
    /// Amazon SNS (query, 2010-03-31).
    sns,
    "sns.json"
);
builtin!(
    /// AWS STS (query, 2011-06-15).
    sts,
    "sts.json"
);

#[cfg(test)]
mod tests {
    use crate::Protocol;

    #[test]
    fn all_builtin_models_parse() {
        assert_eq!(super::s3().protocol(), Protocol::RestXml);
        assert_eq!(super::dynamodb().protocol(), Protocol::Json);
        assert_eq!(super::sqs().protocol(), Protocol::Json);
        assert_eq!(super::sns().protocol(), Protocol::Query);
        assert_eq!(super::sts().protocol(), Protocol::Query);
        assert!(super::s3().operation("PutObject").is_some());
        assert_eq!(super::s3().operations.len(), 116);
    }
}
