//! From an HTTP request to an operation and back: addressing style,
//! presigned-URL expiry, model decoding, the per-operation handlers, and the
//! response details S3 adds (no body on HEAD, CORS headers).

use ruststack_sdk::http::{Reply, answer};
use ruststack_sdk::protocol::ops::s3::Op;
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
    let input = ruststack_sdk::protocol::decode_input(model, op, &http)?;
    check_owner(req, which, &input)?;
    let ctx = Ctx {
        req,
        region: req.context.region.clone(),
    };
    let reply = route(&ctx, which, &input)?;
    Ok((op, reply))
}

/// A bucket is reached only by the account that owns it (RustStack keeps no
/// bucket policies that could grant another): anyone else gets AWS's
/// `AccessDenied`, as from a bucket without a policy for them. CreateBucket
/// and ListBuckets answer for themselves.
fn check_owner(req: &Request, op: Op, input: &Value) -> Result<(), AwsError> {
    if matches!(op, Op::CreateBucket | Op::ListBuckets) {
        return Ok(());
    }
    let Some(name) = input.get("Bucket").and_then(Value::as_str) else {
        return Ok(());
    };
    match crate::store::bucket(name) {
        Some(b) if b.owner != req.context.account => {
            Err(AwsError::new(403, "AccessDenied", "Access Denied"))
        }
        _ => Ok(()),
    }
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
fn route(ctx: &Ctx, op: Op, input: &Value) -> OpResult {
    match op {
        Op::ListBuckets => bucket::list_buckets(ctx, input),
        Op::CreateBucket => bucket::create_bucket(ctx, input),
        Op::HeadBucket => bucket::head_bucket(ctx, input),
        Op::DeleteBucket => bucket::delete_bucket(ctx, input),
        Op::GetBucketLocation => bucket::get_bucket_location(ctx, input),
        Op::PutBucketVersioning => bucket::put_bucket_versioning(ctx, input),
        Op::GetBucketVersioning => bucket::get_bucket_versioning(ctx, input),
        Op::PutObject => object::put_object(ctx, input),
        Op::GetObject => object::get_object(ctx, input, false),
        Op::HeadObject => object::get_object(ctx, input, true),
        Op::DeleteObject => object::delete_object(ctx, input),
        Op::DeleteObjects => object::delete_objects(ctx, input),
        Op::CopyObject => object::copy_object(ctx, input),
        Op::GetObjectAttributes => object::get_object_attributes(ctx, input),
        Op::GetObjectTagging => object::get_object_tagging(ctx, input),
        Op::PutObjectTagging => object::put_object_tagging(ctx, input),
        Op::DeleteObjectTagging => object::delete_object_tagging(ctx, input),
        Op::GetObjectAcl => object::get_object_acl(ctx, input),
        Op::PutObjectAcl => object::put_object_acl(ctx, input),
        Op::GetObjectRetention
        | Op::PutObjectRetention
        | Op::GetObjectLegalHold
        | Op::PutObjectLegalHold => object::lock(ctx, op, input),
        Op::ListObjects => list::list_objects(ctx, input, false),
        Op::ListObjectsV2 => list::list_objects(ctx, input, true),
        Op::ListObjectVersions => list::list_object_versions(ctx, input),
        Op::CreateMultipartUpload => multipart::create(ctx, input),
        Op::UploadPart => multipart::upload_part(ctx, input),
        Op::UploadPartCopy => multipart::upload_part_copy(ctx, input),
        Op::CompleteMultipartUpload => multipart::complete(ctx, input),
        Op::AbortMultipartUpload => multipart::abort(ctx, input),
        Op::ListMultipartUploads => multipart::list_uploads(ctx, input),
        Op::ListParts => multipart::list_parts(ctx, input),
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
        | Op::PutPublicAccessBlock => config::handle(ctx, op, input)
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
