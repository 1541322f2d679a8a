//! Buckets: create, head, delete, list, location, versioning state.

use ruststack_sdk::protocol::shapes::s3::{input, out, output};
use ruststack_sdk::{AwsError, ids};

use crate::dispatch::{Ctx, OpResult, reply};
use crate::store::{self, Bucket};
use crate::util;
use ruststack_sdk::http::Reply;

/// The region a `LocationConstraint` names (`EU` is the legacy eu-west-1).
fn constraint_region(c: &str) -> &str {
    match c {
        "" => "us-east-1",
        "EU" => "eu-west-1",
        other => other,
    }
}

/// Validates a bucket name from a request.
pub fn check_name(name: &str) -> Result<(), AwsError> {
    if util::valid_bucket_name(name) {
        Ok(())
    } else {
        Err(
            AwsError::client("InvalidBucketName", "The specified bucket is not valid.")
                .with_extra("BucketName", name),
        )
    }
}

/// CreateBucket.
pub fn create_bucket(ctx: &Ctx, input: input::CreateBucket<'_>) -> OpResult {
    let name = input.bucket().unwrap_or_default();
    check_name(name)?;
    let constraint = input
        .create_bucket_configuration()
        .and_then(|c| c.location_constraint());
    let region = match constraint {
        Some("us-east-1") => {
            return Err(AwsError::client(
                "InvalidLocationConstraint",
                "The specified location-constraint is not valid",
            )
            .with_extra("LocationConstraint", "us-east-1"));
        }
        Some(c) => {
            let r = constraint_region(c);
            if ctx.region != "us-east-1" && r != ctx.region {
                return Err(AwsError::client(
                    "IllegalLocationConstraintException",
                    format!(
                        "The {r} location constraint is incompatible for the region specific endpoint this request was sent to."
                    ),
                ));
            }
            r.to_string()
        }
        None if ctx.region != "us-east-1" => {
            return Err(AwsError::client(
                "IllegalLocationConstraintException",
                "The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.",
            ));
        }
        None => "us-east-1".to_string(),
    };
    let acl_public = input
        .acl()
        .is_some_and(|a| a != "private" && a != "bucket-owner-full-control")
        || [
            input.grant_read(),
            input.grant_write(),
            input.grant_read_acp(),
            input.grant_write_acp(),
        ]
        .iter()
        .any(Option::is_some);
    if acl_public
        && input
            .object_ownership()
            .is_none_or(|o| o == "BucketOwnerEnforced")
    {
        return Err(AwsError::client(
            "InvalidBucketAclWithObjectOwnership",
            "Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting",
        ));
    }
    let lock = input.object_lock_enabled_for_bucket().unwrap_or(false);
    let b = Bucket {
        name: name.to_string(),
        region: region.clone(),
        created_ms: ids::now_ms(),
        versioning: lock.then(|| "Enabled".into()),
        object_lock: lock,
        owner: ctx.req.context.account.clone(),
    };
    if !store::insert_bucket(&b) {
        let old = store::bucket(name);
        let theirs = old.as_ref().is_some_and(|old| old.owner != b.owner);
        // For legacy compatibility, re-creating a bucket you own in North
        // Virginia succeeds (AWS's CreateBucket reference); every other
        // region answers BucketAlreadyOwnedByYou.
        if !theirs && region == "us-east-1" && old.is_some_and(|o| o.region == "us-east-1") {
            return Ok(reply(
                output::CreateBucket::new()
                    .location(format!("/{name}"))
                    .bucket_arn(arn(name)),
            ));
        }
        return Err(if theirs {
            AwsError::new(
                409,
                "BucketAlreadyExists",
                "The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.",
            )
        } else {
            AwsError::new(
                409,
                "BucketAlreadyOwnedByYou",
                "Your previous request to create the named bucket succeeded and you already own it.",
            )
        }
        .with_extra("BucketName", name));
    }
    if b.object_lock {
        let lock = out::ObjectLockConfiguration::new().object_lock_enabled("Enabled");
        store::put_config(name, "ObjectLock", &lock.into());
    }
    crate::config::new_bucket_defaults(name);
    if let Some(own) = input.object_ownership() {
        store::put_config(name, "OwnershipControls", &crate::config::ownership(own));
    }
    if let Some(acl) = input.acl() {
        store::put_config(name, "Acl", &crate::config::canned_acl(acl));
    }
    let location = if region == "us-east-1" {
        format!("/{name}")
    } else {
        format!("http://{name}.s3.localhost.localstack.cloud:4566/")
    };
    Ok(reply(
        output::CreateBucket::new()
            .location(location)
            .bucket_arn(arn(name)),
    ))
}

/// A bucket's ARN.
fn arn(name: &str) -> String {
    format!("arn:aws:s3:::{name}")
}

/// HeadBucket: 200 with the region, or a bodiless 404.
pub fn head_bucket(_ctx: &Ctx, input: input::HeadBucket<'_>) -> OpResult {
    let name = input.bucket().unwrap_or_default();
    let b = store::require_bucket(name)?;
    Ok(reply(
        output::HeadBucket::new()
            .bucket_region(b.region)
            .bucket_arn(arn(name))
            .access_point_alias(false),
    ))
}

/// DeleteBucket: only when empty (no objects, versions or uploads).
pub fn delete_bucket(_ctx: &Ctx, input: input::DeleteBucket<'_>) -> OpResult {
    let name = input.bucket().unwrap_or_default();
    store::require_bucket(name)?;
    if store::has_objects(name) {
        return Err(AwsError::new(
            409,
            "BucketNotEmpty",
            "The bucket you tried to delete is not empty",
        )
        .with_extra("BucketName", name));
    }
    for u in store::scan_uploads(name, "") {
        for p in store::parts(&u.id) {
            let _ = ruststack_sdk::blobs::delete(&p.blob);
        }
        store::delete_upload(name, &u);
    }
    store::delete_bucket(name);
    Ok(Reply::default())
}

/// ListBuckets, with Prefix, MaxBuckets and ContinuationToken.
pub fn list_buckets(ctx: &Ctx, input: input::ListBuckets<'_>) -> OpResult {
    let prefix = input.prefix().unwrap_or_default();
    let max = input.max_buckets().unwrap_or(10_000);
    if !(1..=10_000).contains(&max) {
        return Err(util::invalid_argument(
            "Argument max-buckets must be an integer between 1 and 10000.",
            "max-buckets",
            &max.to_string(),
        ));
    }
    let after = input.continuation_token().unwrap_or_default();
    let mut all: Vec<Bucket> = store::buckets()
        .into_iter()
        .filter(|b| {
            b.owner == ctx.req.context.account
                && b.name.starts_with(prefix)
                && b.name.as_str() > after
        })
        .collect();
    let more = all.len() > max as usize;
    all.truncate(max as usize);
    let buckets: Vec<out::Bucket> = all
        .iter()
        .map(|b| {
            out::Bucket::new()
                .name(b.name.as_str())
                .creation_date(util::ts(b.created_ms))
                .bucket_region(b.region.as_str())
                .bucket_arn(arn(&b.name))
        })
        .collect();
    let mut out = output::ListBuckets::new()
        .buckets(buckets)
        .owner(util::owner());
    if more && let Some(last) = all.last() {
        out.set_continuation_token(last.name.as_str());
    }
    if input.prefix().is_some() {
        out.set_prefix(prefix);
    }
    Ok(reply(out))
}

/// GetBucketLocation: empty for us-east-1.
pub fn get_bucket_location(_ctx: &Ctx, input: input::GetBucketLocation<'_>) -> OpResult {
    let b = store::require_bucket(input.bucket().unwrap_or_default())?;
    let loc = if b.region == "us-east-1" {
        String::new()
    } else {
        b.region
    };
    Ok(reply(
        output::GetBucketLocation::new().location_constraint(loc),
    ))
}

/// PutBucketVersioning. The first time versioning is set, existing objects
/// become `null` versions in the versions table.
pub fn put_bucket_versioning(_ctx: &Ctx, input: input::PutBucketVersioning<'_>) -> OpResult {
    let name = input.bucket().unwrap_or_default();
    let mut b = store::require_bucket(name)?;
    let status = input.versioning_configuration().and_then(|c| c.status());
    let status = match status {
        Some(st @ ("Enabled" | "Suspended")) => st.to_string(),
        None => return Ok(Reply::default()),
        Some(_) => return Err(AwsError::malformed_xml()),
    };
    if b.object_lock && status == "Suspended" {
        return Err(AwsError::new(
            409,
            "InvalidBucketState",
            "An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.",
        ));
    }
    if b.versioning.is_none() {
        let mut start = Vec::new();
        loop {
            let page = store::scan_objects(name, "", &start, 1000);
            let Some(last) = page.last() else { break };
            start = last.key.as_bytes().to_vec();
            start.push(0);
            for mut o in page {
                if o.seq == 0 {
                    o.seq = store::next_seq(name);
                    store::put_object(name, &o);
                }
                store::put_version(name, &o);
            }
        }
    }
    b.versioning = Some(status);
    store::put_bucket(&b);
    Ok(Reply::default())
}

/// GetBucketVersioning: no Status until versioning was set.
pub fn get_bucket_versioning(_ctx: &Ctx, input: input::GetBucketVersioning<'_>) -> OpResult {
    let b = store::require_bucket(input.bucket().unwrap_or_default())?;
    Ok(reply(
        output::GetBucketVersioning::new().status(b.versioning),
    ))
}
