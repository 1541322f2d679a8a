//! AWS region names: recognised in host names (the host picks a request's
//! region from `sqs.eu-west-1.localhost.localstack.cloud`) and in stored
//! keys (plugins place data stored before regions were kept apart).

/// Whether `s` is shaped like a region name: an area, its parts, a number
/// (`us-east-1`, `ap-southeast-2`, `us-gov-west-1`, `cn-north-1`), so that a
/// bucket named `my-bucket-1` is not taken for one.
pub fn is_region(s: &str) -> bool {
    const AREAS: [&str; 10] = ["af", "ap", "ca", "cn", "eu", "il", "me", "mx", "sa", "us"];
    const PARTS: [&str; 13] = [
        "east",
        "west",
        "north",
        "south",
        "central",
        "northeast",
        "northwest",
        "southeast",
        "southwest",
        "gov",
        "iso",
        "isob",
        "isof",
    ];
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() >= 3
        && AREAS.contains(&parts[0])
        && parts[1..parts.len() - 1].iter().all(|p| PARTS.contains(p))
        && parts
            .last()
            .is_some_and(|n| !n.is_empty() && n.len() <= 2 && n.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_names_and_look_alikes() {
        for r in [
            "us-east-1",
            "eu-west-1",
            "ap-southeast-2",
            "us-gov-west-1",
            "cn-north-1",
        ] {
            assert!(is_region(r), "{r}");
        }
        for s in [
            "my-bucket-1",
            "us-east",
            "s3-website-us",
            "us-east-123",
            "eu-west-x",
        ] {
            assert!(!is_region(s), "{s}");
        }
    }
}
