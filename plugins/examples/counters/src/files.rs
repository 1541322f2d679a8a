//! The file API: `PUT`, `GET`, `HEAD` and `DELETE /_counters/files/<name>`.
//! Bodies are blobs end to end: the upload is kept as it arrived and the
//! download streams from disk, so size costs the plugin no memory.

use ruststack_sdk::blobs::{self, DigestAlgorithm};
use ruststack_sdk::keys::Key;
use ruststack_sdk::protocol::{Protocol, error_response};
use ruststack_sdk::table::Table;
use ruststack_sdk::{AwsError, BlobSlice, Body, Outcome, Request, Response};
use serde::{Deserialize, Serialize};

/// A stored file.
#[derive(Serialize, Deserialize)]
struct File {
    blob: String,
    size: u64,
    md5: String,
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn error(req: &Request, e: AwsError) -> Outcome {
    Outcome::respond(error_response(Protocol::Json, &e, &req.context.request_id))
}

/// Serves the file API.
pub fn handle(req: &Request) -> Outcome {
    let name = &req.path[crate::FILES_PREFIX.len()..];
    if name.is_empty() {
        return error(req, AwsError::validation("A file name is required"));
    }
    let table: Table<File> = Table::new("files");
    let key = Key::new().str(name);
    match req.method.as_str() {
        "PUT" => {
            let blob = match &req.body {
                Body::Blob(s) => {
                    if blobs::keep(&s.blob).is_err() {
                        return error(req, AwsError::internal_failure());
                    }
                    s.blob.clone()
                }
                Body::Bytes(b) => {
                    match blobs::create().and_then(|id| blobs::append(&id, b).map(|()| id)) {
                        Ok(id) => id,
                        Err(_) => return error(req, AwsError::internal_failure()),
                    }
                }
                Body::Empty => match blobs::create() {
                    Ok(id) => id,
                    Err(_) => return error(req, AwsError::internal_failure()),
                },
            };
            let (Ok(size), Ok(md5)) = (
                blobs::size(&blob),
                blobs::digest(&blob, DigestAlgorithm::Md5),
            ) else {
                return error(req, AwsError::internal_failure());
            };
            let md5 = hex(&md5);
            if let Some(old) = table.get(&key) {
                let _ = blobs::delete(&old.blob);
            }
            table.put(
                &key,
                &File {
                    blob,
                    size,
                    md5: md5.clone(),
                },
            );
            Outcome::respond(Response {
                status: 200,
                headers: vec![("etag".into(), format!("\"{md5}\""))],
                body: Body::Empty,
            })
        }
        "GET" | "HEAD" => match table.get(&key) {
            None => error(
                req,
                AwsError::client(
                    "ResourceNotFoundException",
                    format!("File {name} does not exist"),
                ),
            ),
            Some(f) => Outcome::respond(Response {
                status: 200,
                headers: vec![
                    ("etag".into(), format!("\"{}\"", f.md5)),
                    ("content-length".into(), f.size.to_string()),
                    ("content-type".into(), "application/octet-stream".into()),
                ],
                body: if req.method == "HEAD" {
                    Body::Empty
                } else {
                    Body::Blob(BlobSlice {
                        blob: f.blob,
                        offset: 0,
                        length: None,
                    })
                },
            }),
        },
        "DELETE" => {
            if let Some(f) = table.get(&key) {
                let _ = blobs::delete(&f.blob);
                table.delete(&key);
            }
            Outcome::respond(Response {
                status: 204,
                headers: vec![],
                body: Body::Empty,
            })
        }
        _ => error(req, AwsError::method_not_allowed()),
    }
}
