//! Who is calling, decided once per request for every plugin: the account
//! comes from the access key id (a 12-digit key id is that account, as
//! LocalStack users expect; any other key is the default account), the
//! region from the SigV4 credential scope, else from a region named in the
//! host (`sqs.eu-west-1.localhost.localstack.cloud`), else the default.

use ruststack_protocol::region::is_region;

/// Whether `s` is an AWS account id: exactly 12 ASCII digits.
pub fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The account a request with this access key id runs as.
pub fn account_for(access_key: Option<&str>, default_account: &str) -> String {
    match access_key {
        Some(k) if is_account_id(k) => k.to_string(),
        _ => default_account.to_string(),
    }
}

/// A region named by a label of the host (`s3.eu-west-1.amazonaws.com`,
/// `eu-west-1.queue.localhost.localstack.cloud`), if any.
pub fn region_from_host(host: &str) -> Option<&str> {
    host.split('.').find(|label| is_region(label))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_twelve_digit_key_is_its_account_any_other_the_default() {
        assert_eq!(
            account_for(Some("111111111111"), "000000000000"),
            "111111111111"
        );
        assert_eq!(account_for(Some("test"), "000000000000"), "000000000000");
        assert_eq!(
            account_for(Some("1111111111112"), "123456789012"),
            "123456789012"
        );
        assert_eq!(
            account_for(Some("AKIAIOSFODNN7EXAMPLE"), "000000000000"),
            "000000000000"
        );
        assert_eq!(account_for(None, "222222222222"), "222222222222");
    }

    #[test]
    fn regions_are_found_in_host_names() {
        assert_eq!(
            region_from_host("sqs.eu-west-1.localhost.localstack.cloud"),
            Some("eu-west-1")
        );
        assert_eq!(
            region_from_host("eu-central-1.queue.localhost.localstack.cloud"),
            Some("eu-central-1")
        );
        assert_eq!(
            region_from_host("bucket.s3.us-gov-west-1.amazonaws.com"),
            Some("us-gov-west-1")
        );
        assert_eq!(region_from_host("localhost"), None);
        assert_eq!(region_from_host("my-bucket-1.localhost"), None);
        assert_eq!(region_from_host("127.0.0.1"), None);
    }
}
