//! Which S3 operation a path-style request is, from its method, target and headers.
//!
//! Used to count bytes per operation and to aim faults at one operation (say,
//! only `UploadPart`). Path-style addressing is assumed (`/bucket/key`), as the
//! local stack uses it.

use std::fmt;

/// The S3 operations the engine and the tests use; anything else is `Other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum S3Operation {
    ListBuckets,
    CreateBucket,
    HeadBucket,
    DeleteBucket,
    ListObjects,
    ListObjectsV2,
    ListMultipartUploads,
    DeleteObjects,
    PutObject,
    CopyObject,
    GetObject,
    HeadObject,
    DeleteObject,
    CreateMultipartUpload,
    UploadPart,
    UploadPartCopy,
    CompleteMultipartUpload,
    AbortMultipartUpload,
    ListParts,
    Other,
}

impl fmt::Display for S3Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// Query parameters that select a variant of an operation rather than another
/// operation (`?x-id=GetObject`, `?versionId=`, `?prefix=`, ...).
const NON_SUBRESOURCE_PARAMS: &[&str] = &[
    "x-id",
    "versionId",
    "partNumber",
    "prefix",
    "delimiter",
    "marker",
    "max-keys",
    "encoding-type",
    "continuation-token",
    "start-after",
    "fetch-owner",
];

impl S3Operation {
    /// Classify a request. `target` is the request target as sent (`/bucket/key?query`);
    /// `copies` says whether it carries an `x-amz-copy-source` header.
    #[must_use]
    pub fn classify(method: &str, target: &str, copies: bool) -> Self {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        let params: Vec<&str> = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| p.split_once('=').map_or(p, |(k, _)| k))
            .collect();
        let has = |name: &str| params.contains(&name);
        let subresources = params
            .iter()
            .filter(|p| !NON_SUBRESOURCE_PARAMS.contains(p) && !p.starts_with("response-"))
            .count();
        let path = path.trim_start_matches('/');
        if path.is_empty() {
            return if method == "GET" {
                Self::ListBuckets
            } else {
                Self::Other
            };
        }
        let is_bucket = path.split_once('/').is_none_or(|(_, key)| key.is_empty());
        if is_bucket {
            Self::classify_bucket(method, &has, subresources)
        } else {
            Self::classify_object(method, &has, subresources, copies)
        }
    }

    fn classify_bucket(method: &str, has: &dyn Fn(&str) -> bool, subresources: usize) -> Self {
        match method {
            "GET" if has("list-type") && subresources == 1 => Self::ListObjectsV2,
            "GET" if has("uploads") => Self::ListMultipartUploads,
            "GET" if subresources == 0 => Self::ListObjects,
            "PUT" if subresources == 0 => Self::CreateBucket,
            "HEAD" => Self::HeadBucket,
            "DELETE" if subresources == 0 => Self::DeleteBucket,
            "POST" if has("delete") => Self::DeleteObjects,
            _ => Self::Other,
        }
    }

    fn classify_object(
        method: &str,
        has: &dyn Fn(&str) -> bool,
        subresources: usize,
        copies: bool,
    ) -> Self {
        match method {
            "PUT" if has("uploadId") && has("partNumber") => {
                if copies {
                    Self::UploadPartCopy
                } else {
                    Self::UploadPart
                }
            }
            "PUT" if subresources == 0 => {
                if copies {
                    Self::CopyObject
                } else {
                    Self::PutObject
                }
            }
            "GET" if has("uploadId") => Self::ListParts,
            "GET" if subresources == 0 => Self::GetObject,
            "HEAD" => Self::HeadObject,
            "DELETE" if has("uploadId") => Self::AbortMultipartUpload,
            "DELETE" if subresources == 0 => Self::DeleteObject,
            "POST" if has("uploads") => Self::CreateMultipartUpload,
            "POST" if has("uploadId") => Self::CompleteMultipartUpload,
            _ => Self::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::S3Operation::{self, *};

    #[test]
    fn fault_proxy_classifies_the_requests_aws_sdk_s3_sends() {
        let table: &[(&str, &str, bool, S3Operation)] = &[
            ("GET", "/", false, ListBuckets),
            ("PUT", "/b", false, CreateBucket),
            ("HEAD", "/b", false, HeadBucket),
            ("DELETE", "/b/", false, DeleteBucket),
            (
                "GET",
                "/b?list-type=2&prefix=originals%2F",
                false,
                ListObjectsV2,
            ),
            ("GET", "/b?prefix=x", false, ListObjects),
            ("GET", "/b?uploads", false, ListMultipartUploads),
            ("GET", "/b?location", false, Other),
            ("POST", "/b?delete", false, DeleteObjects),
            ("PUT", "/b/k?x-id=PutObject", false, PutObject),
            ("PUT", "/b/k", true, CopyObject),
            ("PUT", "/b/k?tagging", false, Other),
            ("GET", "/b/a/b/c.jpg?x-id=GetObject", false, GetObject),
            (
                "GET",
                "/b/k?response-content-type=x&partNumber=1",
                false,
                GetObject,
            ),
            ("HEAD", "/b/k", false, HeadObject),
            ("DELETE", "/b/k?x-id=DeleteObject", false, DeleteObject),
            ("POST", "/b/k?uploads", false, CreateMultipartUpload),
            (
                "POST",
                "/b/k?uploads&x-id=CreateMultipartUpload",
                false,
                CreateMultipartUpload,
            ),
            (
                "PUT",
                "/b/k?x-id=UploadPart&partNumber=3&uploadId=u1",
                false,
                UploadPart,
            ),
            ("PUT", "/b/k?partNumber=3&uploadId=u1", true, UploadPartCopy),
            ("POST", "/b/k?uploadId=u1", false, CompleteMultipartUpload),
            (
                "DELETE",
                "/b/k?uploadId=u1&x-id=AbortMultipartUpload",
                false,
                AbortMultipartUpload,
            ),
            ("GET", "/b/k?uploadId=u1&max-parts=1000", false, ListParts),
        ];
        for &(method, target, copies, expected) in table {
            assert_eq!(
                S3Operation::classify(method, target, copies),
                expected,
                "{method} {target} (copy source: {copies}) is {expected} by the S3 REST API"
            );
        }
    }
}
