//! From an HTTP request to an operation and back: addressing style,
//! presigned-URL expiry, model decoding, the per-operation handlers, and the
//! response details S3 adds (no body on HEAD, CORS headers).

use ruststack_sdk::http::{Reply, answer};
use ruststack_sdk::protocol::ops::s3::Op;
use ruststack_sdk::protocol::shapes::s3::input;
use ruststack_sdk::protocol::{Codec, HttpRequest, Operation, models, time};
use ruststack_sdk::{AwsError, Body, Outcome, Request, blobs};
use serde_json::Value;

use crate::{bucket, config, cors, list, multipart, object, util};

/// What an operation handler sees.
pub struct Ctx<'a> {
    /// The request.
    pub req: &'a Request,
    /// The region the request was sent to.
    pub region: String,
}

impl Ctx<'_> {
    /// A request header (lower-case name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.req.header(name)
    }
}

/// Operation result.
pub type OpResult = Result<Reply, AwsError>;

/// A reply answering `output` (a generated output builder, or a stored
/// document that is the output as it stands).
pub fn reply(output: impl Into<Value>) -> Reply {
    Reply::from(output.into())
}

/// Serves one S3 request.
pub fn handle(req: &Request) -> Outcome {
    let codec = Codec::new(models::s3());
    let vbucket = util::virtual_bucket(&req.context.host);
    let mut out = if req.method == "OPTIONS" {
        Outcome::respond(cors::preflight(req, vbucket.as_deref()))
    } else {
        let result = cors::check_cross_site(req, vbucket.as_deref())
            .and_then(|()| serve(req, vbucket.as_deref()));
        answer(req, &codec, result)
    };
    if let Outcome::Respond(resp) = &mut out {
        if !resp.headers.iter().any(|(k, _)| k == "x-amz-id-2") {
            let rid = req.context.request_id.clone();
            resp.headers.push(("x-amz-id-2".into(), rid));
        }
        cors::add_headers(req, vbucket.as_deref(), resp);
    }
    out
}

/// Refuses a path whose escapes are not UTF-8 (`%ff`) or that holds a NUL:
/// such a key could not be stored as itself nor listed in XML, so AWS's
/// `InvalidURI` answers it rather than a lossy key two paths would share.
fn check_uri(path: &str) -> Result<(), AwsError> {
    match ruststack_sdk::protocol::encoding::percent_decode_exact(path) {
        Some(p) if !p.contains('\0') => Ok(()),
        _ => Err(
            AwsError::client("InvalidURI", "Couldn't parse the specified URI.")
                .with_extra("URI", path),
        ),
    }
}

/// Rejects presigned URLs past their expiry (SigV4 and SigV2).
fn check_presigned(req: &Request) -> Result<(), AwsError> {
    let q = ruststack_sdk::protocol::encoding::parse_form(&req.query);
    let get = |n: &str| q.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
    let now = req.context.received_at_ms as f64 / 1000.0;
    let expired = |expires_at: f64| {
        AwsError::new(403, "AccessDenied", "Request has expired")
            .with_extra("Expires", time::format_iso8601(expires_at))
            .with_extra("ServerTime", time::format_iso8601(now))
    };
    if let (Some(date), Some(exp)) = (get("X-Amz-Date"), get("X-Amz-Expires")) {
        let Some(start) =
            time::parse_iso8601(date).or_else(|| time::parse_basic_iso8601(date).map(|t| t as f64))
        else {
            return Err(AwsError::new(
                403,
                "AuthorizationQueryParametersError",
                "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\"",
            ));
        };
        let Ok(secs) = exp.parse::<u64>() else {
            return Err(AwsError::new(
                403,
                "AuthorizationQueryParametersError",
                "X-Amz-Expires should be a number",
            ));
        };
        if secs > 604_800 {
            return Err(AwsError::new(
                403,
                "AuthorizationQueryParametersError",
                "X-Amz-Expires must be less than a week (in seconds) that is 604800",
            ));
        }
        if now > start + secs as f64 {
            return Err(expired(start + secs as f64).with_extra("X-Amz-Expires", exp));
        }
    } else if let (Some(_), Some(exp)) = (get("Signature"), get("Expires"))
        && let Ok(at) = exp.parse::<f64>()
        && now > at
    {
        return Err(expired(at));
    }
    Ok(())
}

fn serve(req: &Request, vbucket: Option<&str>) -> Result<(&'static Operation, Reply), AwsError> {
    check_uri(&req.path)?;
    check_presigned(req)?;
    let model = models::s3();
    let probe = HttpRequest {
        method: &req.method,
        path: &req.path,
        query: &req.query,
        headers: &req.headers,
        body: &[],
    };
    let op = ruststack_sdk::protocol::resolve_operation(model, &probe, vbucket)?;
    ruststack_sdk::http::note_operation(&op.name);
    let which = Op::from_name(&op.name).ok_or_else(|| AwsError::not_implemented(&op.name))?;
    let streaming = matches!(which, Op::PutObject | Op::UploadPart);
    let body = if streaming {
        Vec::new()
    } else {
        document_body(req)?
    };
    // Decode with the operation already resolved (resolving walks every
    // operation's URI template; once per request is enough).
    let path = match vbucket {
        Some(b) => ruststack_sdk::protocol::rest::path_style(b, &req.path),
        None => req.path.clone(),
    };
    let http = HttpRequest {
        path: &path,
        body: &body,
        ..probe
    };
    let value = ruststack_sdk::protocol::decode_input(model, op, &http)?;
    crate::validation::check(op, &value)?;
    check_owner(req, which, &value)?;
    let ctx = Ctx {
        req,
        region: req.context.region.clone(),
    };
    let reply = route(&ctx, which, &value)?;
    Ok((op, reply))
}

/// A bucket is reached only by the account that owns it (RustStack keeps no
/// bucket policies that could grant another): anyone else gets AWS's
/// `AccessDenied`, as from a bucket without a policy for them. CreateBucket
/// and ListBuckets answer for themselves.
fn check_owner(req: &Request, op: Op, value: &Value) -> Result<(), AwsError> {
    if matches!(op, Op::CreateBucket | Op::ListBuckets) {
        return Ok(());
    }
    let Some(name) = bucket_of(op, value) else {
        return Ok(());
    };
    match crate::store::bucket(name) {
        Some(b) if b.owner != req.context.account => {
            Err(AwsError::new(403, "AccessDenied", "Access Denied"))
        }
        _ => Ok(()),
    }
}

/// The `Bucket` member of `op`'s decoded input, read through the
/// operation's typed view: every operation has an arm, so a new model
/// operation does not compile until it is listed here.
pub fn bucket_of(op: Op, value: &Value) -> Option<&str> {
    macro_rules! bucket_member {
        ($($name:ident),* $(,)?) => {
            match op {
                $(Op::$name => input::$name(value).bucket(),)*
                Op::ListBuckets | Op::ListDirectoryBuckets | Op::WriteGetObjectResponse => None,
            }
        };
    }
    bucket_member!(
        AbortMultipartUpload,
        CompleteMultipartUpload,
        CopyObject,
        CreateBucket,
        CreateBucketMetadataConfiguration,
        CreateBucketMetadataTableConfiguration,
        CreateMultipartUpload,
        CreateSession,
        DeleteBucket,
        DeleteBucketAnalyticsConfiguration,
        DeleteBucketCors,
        DeleteBucketEncryption,
        DeleteBucketIntelligentTieringConfiguration,
        DeleteBucketInventoryConfiguration,
        DeleteBucketLifecycle,
        DeleteBucketMetadataConfiguration,
        DeleteBucketMetadataTableConfiguration,
        DeleteBucketMetricsConfiguration,
        DeleteBucketOwnershipControls,
        DeleteBucketPolicy,
        DeleteBucketReplication,
        DeleteBucketTagging,
        DeleteBucketWebsite,
        DeleteObject,
        DeleteObjectAnnotation,
        DeleteObjectTagging,
        DeleteObjects,
        DeletePublicAccessBlock,
        GetBucketAbac,
        GetBucketAccelerateConfiguration,
        GetBucketAcl,
        GetBucketAnalyticsConfiguration,
        GetBucketCors,
        GetBucketEncryption,
        GetBucketIntelligentTieringConfiguration,
        GetBucketInventoryConfiguration,
        GetBucketLifecycle,
        GetBucketLifecycleConfiguration,
        GetBucketLocation,
        GetBucketLogging,
        GetBucketMetadataConfiguration,
        GetBucketMetadataTableConfiguration,
        GetBucketMetricsConfiguration,
        GetBucketNotification,
        GetBucketNotificationConfiguration,
        GetBucketOwnershipControls,
        GetBucketPolicy,
        GetBucketPolicyStatus,
        GetBucketReplication,
        GetBucketRequestPayment,
        GetBucketTagging,
        GetBucketVersioning,
        GetBucketWebsite,
        GetObject,
        GetObjectAcl,
        GetObjectAnnotation,
        GetObjectAttributes,
        GetObjectLegalHold,
        GetObjectLockConfiguration,
        GetObjectRetention,
        GetObjectTagging,
        GetObjectTorrent,
        GetPublicAccessBlock,
        HeadBucket,
        HeadObject,
        ListBucketAnalyticsConfigurations,
        ListBucketIntelligentTieringConfigurations,
        ListBucketInventoryConfigurations,
        ListBucketMetricsConfigurations,
        ListMultipartUploads,
        ListObjectAnnotations,
        ListObjectVersions,
        ListObjects,
        ListObjectsV2,
        ListParts,
        PutBucketAbac,
        PutBucketAccelerateConfiguration,
        PutBucketAcl,
        PutBucketAnalyticsConfiguration,
        PutBucketCors,
        PutBucketEncryption,
        PutBucketIntelligentTieringConfiguration,
        PutBucketInventoryConfiguration,
        PutBucketLifecycle,
        PutBucketLifecycleConfiguration,
        PutBucketLogging,
        PutBucketMetricsConfiguration,
        PutBucketNotification,
        PutBucketNotificationConfiguration,
        PutBucketOwnershipControls,
        PutBucketPolicy,
        PutBucketReplication,
        PutBucketRequestPayment,
        PutBucketTagging,
        PutBucketVersioning,
        PutBucketWebsite,
        PutObject,
        PutObjectAcl,
        PutObjectAnnotation,
        PutObjectLegalHold,
        PutObjectLockConfiguration,
        PutObjectRetention,
        PutObjectTagging,
        PutPublicAccessBlock,
        RenameObject,
        RestoreObject,
        SelectObjectContent,
        UpdateBucketMetadataAnnotationTableConfiguration,
        UpdateBucketMetadataInventoryTableConfiguration,
        UpdateBucketMetadataJournalTableConfiguration,
        UpdateObjectEncryption,
        UploadPart,
        UploadPartCopy,
    )
}

/// Most bytes a request document (an XML configuration, a policy, a
/// DeleteObjects list) may have: a DeleteObjects of 1000 of the longest keys
/// needs about a megabyte.
pub const MAX_DOCUMENT_BODY: u64 = 4 * 1024 * 1024;

/// The body of an operation that takes a document, read into memory only
/// when it is no longer than [`MAX_DOCUMENT_BODY`].
fn document_body(req: &Request) -> Result<Vec<u8>, AwsError> {
    let len = match &req.body {
        Body::Empty => 0,
        Body::Bytes(b) => b.len() as u64,
        Body::Blob(s) => blobs::size(&s.blob).map_err(|_| AwsError::internal_failure())?,
    };
    if len > MAX_DOCUMENT_BODY {
        return Err(AwsError::client(
            "MaxMessageLengthExceeded",
            "Your request was too big.",
        ));
    }
    Ok(match &req.body {
        Body::Empty => Vec::new(),
        Body::Bytes(b) => b.clone(),
        Body::Blob(s) => blobs::read_all(&s.blob).map_err(|_| AwsError::internal_failure())?,
    })
}

/// Runs an operation of the S3 model: every one has an arm, so a new model
/// operation does not compile until it is handled or listed as not emulated.
fn route(ctx: &Ctx, op: Op, value: &Value) -> OpResult {
    match op {
        Op::ListBuckets => bucket::list_buckets(ctx, input::ListBuckets(value)),
        Op::CreateBucket => bucket::create_bucket(ctx, input::CreateBucket(value)),
        Op::HeadBucket => bucket::head_bucket(ctx, input::HeadBucket(value)),
        Op::DeleteBucket => bucket::delete_bucket(ctx, input::DeleteBucket(value)),
        Op::GetBucketLocation => bucket::get_bucket_location(ctx, input::GetBucketLocation(value)),
        Op::PutBucketVersioning => {
            bucket::put_bucket_versioning(ctx, input::PutBucketVersioning(value))
        }
        Op::GetBucketVersioning => {
            bucket::get_bucket_versioning(ctx, input::GetBucketVersioning(value))
        }
        Op::PutObject => object::put_object(ctx, input::PutObject(value)),
        Op::GetObject => object::get_object(ctx, input::GetObject(value)),
        Op::HeadObject => object::head_object(ctx, input::HeadObject(value)),
        Op::DeleteObject => object::delete_object(ctx, input::DeleteObject(value)),
        Op::DeleteObjects => object::delete_objects(ctx, input::DeleteObjects(value)),
        Op::CopyObject => object::copy_object(ctx, input::CopyObject(value)),
        Op::GetObjectAttributes => {
            object::get_object_attributes(ctx, input::GetObjectAttributes(value))
        }
        Op::GetObjectTagging => object::get_object_tagging(ctx, input::GetObjectTagging(value)),
        Op::PutObjectTagging => object::put_object_tagging(ctx, input::PutObjectTagging(value)),
        Op::DeleteObjectTagging => {
            object::delete_object_tagging(ctx, input::DeleteObjectTagging(value))
        }
        Op::GetObjectAcl => object::get_object_acl(ctx, input::GetObjectAcl(value)),
        Op::PutObjectAcl => object::put_object_acl(ctx, input::PutObjectAcl(value)),
        Op::GetObjectRetention => {
            object::get_object_retention(ctx, input::GetObjectRetention(value))
        }
        Op::PutObjectRetention => {
            object::put_object_retention(ctx, input::PutObjectRetention(value))
        }
        Op::GetObjectLegalHold => {
            object::get_object_legal_hold(ctx, input::GetObjectLegalHold(value))
        }
        Op::PutObjectLegalHold => {
            object::put_object_legal_hold(ctx, input::PutObjectLegalHold(value))
        }
        Op::ListObjects => list::list_objects(ctx, input::ListObjects(value)),
        Op::ListObjectsV2 => list::list_objects_v2(ctx, input::ListObjectsV2(value)),
        Op::ListObjectVersions => list::list_object_versions(ctx, input::ListObjectVersions(value)),
        Op::CreateMultipartUpload => multipart::create(ctx, input::CreateMultipartUpload(value)),
        Op::UploadPart => multipart::upload_part(ctx, input::UploadPart(value)),
        Op::UploadPartCopy => multipart::upload_part_copy(ctx, input::UploadPartCopy(value)),
        Op::CompleteMultipartUpload => {
            multipart::complete(ctx, input::CompleteMultipartUpload(value))
        }
        Op::AbortMultipartUpload => multipart::abort(ctx, input::AbortMultipartUpload(value)),
        Op::ListMultipartUploads => {
            multipart::list_uploads(ctx, input::ListMultipartUploads(value))
        }
        Op::ListParts => multipart::list_parts(ctx, input::ListParts(value)),
        // Bucket and object-lock configurations, stored as documents.
        Op::DeleteBucketCors
        | Op::DeleteBucketEncryption
        | Op::DeleteBucketLifecycle
        | Op::DeleteBucketOwnershipControls
        | Op::DeleteBucketPolicy
        | Op::DeleteBucketReplication
        | Op::DeleteBucketTagging
        | Op::DeleteBucketWebsite
        | Op::DeletePublicAccessBlock
        | Op::GetBucketAccelerateConfiguration
        | Op::GetBucketAcl
        | Op::GetBucketCors
        | Op::GetBucketEncryption
        | Op::GetBucketLifecycleConfiguration
        | Op::GetBucketLogging
        | Op::GetBucketNotificationConfiguration
        | Op::GetBucketOwnershipControls
        | Op::GetBucketPolicy
        | Op::GetBucketReplication
        | Op::GetBucketRequestPayment
        | Op::GetBucketTagging
        | Op::GetBucketWebsite
        | Op::GetObjectLockConfiguration
        | Op::GetPublicAccessBlock
        | Op::PutBucketAccelerateConfiguration
        | Op::PutBucketAcl
        | Op::PutBucketCors
        | Op::PutBucketEncryption
        | Op::PutBucketLifecycleConfiguration
        | Op::PutBucketLogging
        | Op::PutBucketNotificationConfiguration
        | Op::PutBucketOwnershipControls
        | Op::PutBucketPolicy
        | Op::PutBucketReplication
        | Op::PutBucketRequestPayment
        | Op::PutBucketTagging
        | Op::PutBucketWebsite
        | Op::PutObjectLockConfiguration
        | Op::PutPublicAccessBlock => config::handle(ctx, op, value)
            .unwrap_or_else(|| Err(AwsError::not_implemented(op.name()))),
        // Not emulated: AWS's NotImplemented-style answer.
        Op::CreateBucketMetadataConfiguration
        | Op::CreateBucketMetadataTableConfiguration
        | Op::CreateSession
        | Op::DeleteBucketAnalyticsConfiguration
        | Op::DeleteBucketIntelligentTieringConfiguration
        | Op::DeleteBucketInventoryConfiguration
        | Op::DeleteBucketMetadataConfiguration
        | Op::DeleteBucketMetadataTableConfiguration
        | Op::DeleteBucketMetricsConfiguration
        | Op::DeleteObjectAnnotation
        | Op::GetBucketAbac
        | Op::GetBucketAnalyticsConfiguration
        | Op::GetBucketIntelligentTieringConfiguration
        | Op::GetBucketInventoryConfiguration
        | Op::GetBucketLifecycle
        | Op::GetBucketMetadataConfiguration
        | Op::GetBucketMetadataTableConfiguration
        | Op::GetBucketMetricsConfiguration
        | Op::GetBucketNotification
        | Op::GetBucketPolicyStatus
        | Op::GetObjectAnnotation
        | Op::GetObjectTorrent
        | Op::ListBucketAnalyticsConfigurations
        | Op::ListBucketIntelligentTieringConfigurations
        | Op::ListBucketInventoryConfigurations
        | Op::ListBucketMetricsConfigurations
        | Op::ListDirectoryBuckets
        | Op::ListObjectAnnotations
        | Op::PutBucketAbac
        | Op::PutBucketAnalyticsConfiguration
        | Op::PutBucketIntelligentTieringConfiguration
        | Op::PutBucketInventoryConfiguration
        | Op::PutBucketLifecycle
        | Op::PutBucketMetricsConfiguration
        | Op::PutBucketNotification
        | Op::PutObjectAnnotation
        | Op::RenameObject
        | Op::RestoreObject
        | Op::SelectObjectContent
        | Op::UpdateBucketMetadataAnnotationTableConfiguration
        | Op::UpdateBucketMetadataInventoryTableConfiguration
        | Op::UpdateBucketMetadataJournalTableConfiguration
        | Op::UpdateObjectEncryption
        | Op::WriteGetObjectResponse => Err(AwsError::not_implemented(op.name())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `bucket_of` reads the `Bucket` member of exactly the operations whose
    /// model input has one.
    #[test]
    fn bucket_of_every_operation_with_a_bucket() {
        let model = models::s3();
        let value = serde_json::json!({"Bucket": "b"});
        for name in model.operation_names() {
            let op = Op::from_name(&name).unwrap();
            let has = model
                .operation(&name)
                .and_then(|o| model.input_shape(o))
                .is_some_and(|s| s.member_named("Bucket").is_some());
            let want = has.then_some("b");
            assert_eq!(bucket_of(op, &value), want, "{name}");
        }
    }
}
