//! [`S3Transfer`]'s multipart calls, behind [`super::Transfer`]'s create, put part n, complete
//! and abort, and the two lists a resume and the orphan sweep need. Every call is stateless: the
//! caller keeps the upload id and the [`CompletedPart`]s (the catalog's multipart journal).
//!
//! Uploads are created with CRC64/NVME and checksum type `FULL_OBJECT`: every part carries its
//! own CRC64/NVME (checked by the server on arrival), and the server combines them into the
//! CRC64/NVME of the whole object, which `complete` compares with the fingerprint's. So the
//! finished object's checksum is the same value whether it went up in one put or in parts.

use std::path::Path;

use aws_sdk_s3::operation::abort_multipart_upload::AbortMultipartUploadError;
use aws_sdk_s3::types::{
    ChecksumAlgorithm, ChecksumType, CompletedMultipartUpload, CompletedPart as S3CompletedPart,
};
use jiff::Timestamp;

use super::checksum::part_crc64nvme;
use super::meta::content_type_for;
use super::transfer::{is_precondition_failed, signed_len};
use super::{ExpectedContent, ObjectMeta, PutOutcome, S3Call, S3Transfer, UploadError};
use lightbox_types::CompletedPart;

/// A multipart upload the bucket has in flight (for aborting orphans).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingUpload {
    pub key: String,
    pub upload_id: String,
    /// When it was created, if the server said.
    pub initiated: Option<Timestamp>,
}

impl S3Transfer {
    /// Start a multipart upload of `key` with `meta`, for CRC64/NVME `FULL_OBJECT` checksums.
    /// Returns the upload id, which the caller journals before sending any part.
    ///
    /// # Errors
    /// S3 failures; [`UploadError::BadResponse`] when the reply has no upload id.
    pub(super) async fn create_multipart_upload(
        &self,
        key: &str,
        meta: &ObjectMeta,
    ) -> Result<String, UploadError> {
        let call = S3Call::CreateMultipartUpload;
        let _active = self.controls.enter().await;
        let output = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .content_type(content_type_for(key))
            .checksum_algorithm(ChecksumAlgorithm::Crc64Nvme)
            .checksum_type(ChecksumType::FullObject)
            .set_metadata(Some(meta.to_user_metadata()))
            .send()
            .await
            .map_err(|e| UploadError::from_sdk(call, &self.bucket, key, e))?;
        output
            .upload_id()
            .filter(|id| !id.is_empty())
            .map(str::to_owned)
            .ok_or_else(|| self.bad_response(call, key, "has no UploadId"))
    }

    /// Upload part `part_number` of `upload_id`: `len` bytes of `path` from `offset`, streamed
    /// from the file. Its CRC64/NVME is computed first (one read of the range) and sent with
    /// it; the server refuses the part unless the bytes it received match. Uploading a part
    /// number again replaces it.
    ///
    /// # Errors
    /// [`UploadError::PartNumberOutOfRange`], [`UploadError::FileVanished`],
    /// [`UploadError::FileChanged`], S3 failures; [`UploadError::BadResponse`] without an ETag.
    pub(super) async fn upload_part(
        &self,
        upload_id: &str,
        key: &str,
        part_number: u16,
        path: &Path,
        offset: u64,
        len: u64,
    ) -> Result<CompletedPart, UploadError> {
        let call = S3Call::UploadPart;
        if !lightbox_types::is_part_number(part_number) {
            return Err(UploadError::PartNumberOutOfRange { part_number });
        }
        let _active = self.controls.enter().await;
        let checksum = part_crc64nvme(path, offset, len).await?;
        let body = self.file_range_body(path, offset, len).await?;
        let output = self
            .client
            .upload_part()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .part_number(i32::from(part_number))
            .content_length(signed_len(len))
            .checksum_algorithm(ChecksumAlgorithm::Crc64Nvme)
            .checksum_crc64_nvme(&checksum)
            .body(body)
            .send()
            .await
            .map_err(|e| UploadError::from_sdk(call, &self.bucket, key, e))?;
        self.check_echo(call, key, output.checksum_crc64_nvme(), &checksum)?;
        let etag = output
            .e_tag()
            .map(str::to_owned)
            .ok_or_else(|| self.bad_response(call, key, "has no ETag"))?;
        Ok(CompletedPart {
            part_number,
            etag,
            checksum,
            size: len,
        })
    }

    /// The parts the server holds for `upload_id`, in part-number order, every page of them.
    /// A part the server lists without a CRC64/NVME has an empty `checksum`.
    ///
    /// # Errors
    /// S3 failures (`upload_gone` when the upload no longer exists);
    /// [`UploadError::BadResponse`] for a part without number or ETag, or a page that claims
    /// more but gives no marker.
    pub(super) async fn list_all_parts(
        &self,
        upload_id: &str,
        key: &str,
    ) -> Result<Vec<CompletedPart>, UploadError> {
        let call = S3Call::ListParts;
        let mut parts = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let page = self
                .client
                .list_parts()
                .bucket(&self.bucket)
                .key(key)
                .upload_id(upload_id)
                .max_parts(self.list_page_size)
                .set_part_number_marker(marker.clone())
                .send()
                .await
                .map_err(|e| UploadError::from_sdk(call, &self.bucket, key, e))?;
            for part in page.parts() {
                let part_number = part
                    .part_number()
                    .and_then(|n| u16::try_from(n).ok())
                    .ok_or_else(|| self.bad_response(call, key, "lists a part without a number"))?;
                parts.push(CompletedPart {
                    part_number,
                    etag: part
                        .e_tag()
                        .map(str::to_owned)
                        .ok_or_else(|| self.bad_response(call, key, "lists a part without ETag"))?,
                    checksum: part.checksum_crc64_nvme().unwrap_or_default().to_owned(),
                    size: part
                        .size()
                        .and_then(|size| u64::try_from(size).ok())
                        .unwrap_or_default(),
                });
            }
            let next = page.next_part_number_marker().map(str::to_owned);
            if page.is_truncated() != Some(true) {
                break;
            }
            if next.is_none() || next == marker {
                return Err(self.bad_response(
                    call,
                    key,
                    "says more parts follow but gives no new NextPartNumberMarker",
                ));
            }
            marker = next;
        }
        parts.sort_by_key(|part| part.part_number);
        Ok(parts)
    }

    /// Complete `upload_id` from `parts` (any order; each part's checksum is sent when known)
    /// with `If-None-Match: *`. With `expected`, the whole-object CRC64/NVME and size are sent
    /// too, and the server refuses to complete unless the parts add up to exactly that content
    /// (`upload_content_mismatch`: the file changed; abort and start again).
    ///
    /// On [`PutOutcome::AlreadyExists`] the upload is still open: compare the existing object
    /// with `head` (after a retry whose first reply was lost it is ours), then abort the
    /// upload.
    ///
    /// # Errors
    /// S3 failures: `upload_gone` (the upload may have completed already: HEAD the key),
    /// `upload_invalid_part`, `upload_content_mismatch`.
    pub(super) async fn complete_multipart_upload(
        &self,
        upload_id: &str,
        key: &str,
        parts: &[CompletedPart],
        expected: Option<&ExpectedContent>,
    ) -> Result<PutOutcome, UploadError> {
        let call = S3Call::CompleteMultipartUpload;
        let _active = self.controls.enter().await;
        if self.key_taken_by_head(key).await? {
            return Ok(PutOutcome::AlreadyExists);
        }
        let mut ordered: Vec<&CompletedPart> = parts.iter().collect();
        ordered.sort_by_key(|part| part.part_number);
        let s3_parts = ordered
            .into_iter()
            .map(|part| {
                S3CompletedPart::builder()
                    .part_number(i32::from(part.part_number))
                    .e_tag(&part.etag)
                    .set_checksum_crc64_nvme(
                        Some(part.checksum.clone()).filter(|checksum| !checksum.is_empty()),
                    )
                    .build()
            })
            .collect();
        let mut request = self
            .client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .if_none_match("*")
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(s3_parts))
                    .build(),
            );
        if let Some(expected) = expected {
            request = request
                .checksum_crc64_nvme(&expected.crc64nvme_base64)
                .checksum_type(ChecksumType::FullObject)
                .mpu_object_size(signed_len(expected.size));
        }
        match request.send().await {
            Ok(output) => {
                if let Some(expected) = expected {
                    self.check_echo(
                        call,
                        key,
                        output.checksum_crc64_nvme(),
                        &expected.crc64nvme_base64,
                    )?;
                }
                Ok(PutOutcome::Created)
            }
            Err(error) if is_precondition_failed(&error) => Ok(PutOutcome::AlreadyExists),
            Err(error) => Err(UploadError::from_sdk(call, &self.bucket, key, error)),
        }
    }

    /// Abort `upload_id`, freeing its parts. An upload that no longer exists counts as aborted.
    ///
    /// # Errors
    /// S3 failures other than "no such upload".
    pub(super) async fn abort_multipart_upload(
        &self,
        upload_id: &str,
        key: &str,
    ) -> Result<(), UploadError> {
        match self
            .client
            .abort_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(error)
                if matches!(
                    error.as_service_error(),
                    Some(AbortMultipartUploadError::NoSuchUpload(_))
                ) || error
                    .raw_response()
                    .is_some_and(|raw| raw.status().as_u16() == 404) =>
            {
                Ok(())
            }
            Err(error) => Err(UploadError::from_sdk(
                S3Call::AbortMultipartUpload,
                &self.bucket,
                key,
                error,
            )),
        }
    }

    /// Every multipart upload in flight under `prefix`, every page of them, in the order the
    /// server lists them (by key).
    ///
    /// # Errors
    /// S3 failures; [`UploadError::BadResponse`] for a page that claims more but gives no
    /// markers.
    pub async fn list_uploads(&self, prefix: &str) -> Result<Vec<PendingUpload>, UploadError> {
        let call = S3Call::ListMultipartUploads;
        let mut uploads = Vec::new();
        let mut markers: (Option<String>, Option<String>) = (None, None);
        loop {
            let page = self
                .client
                .list_multipart_uploads()
                .bucket(&self.bucket)
                .prefix(prefix)
                .max_uploads(self.list_page_size)
                .set_key_marker(markers.0.clone())
                .set_upload_id_marker(markers.1.clone())
                .send()
                .await
                .map_err(|e| UploadError::from_sdk(call, &self.bucket, prefix, e))?;
            for upload in page.uploads() {
                let (Some(key), Some(upload_id)) = (upload.key(), upload.upload_id()) else {
                    return Err(self.bad_response(
                        call,
                        prefix,
                        "lists an upload without key or id",
                    ));
                };
                uploads.push(PendingUpload {
                    key: key.to_owned(),
                    upload_id: upload_id.to_owned(),
                    initiated: upload
                        .initiated()
                        .and_then(|at| Timestamp::new(at.secs(), 0).ok()),
                });
            }
            let next = (
                page.next_key_marker().map(str::to_owned),
                page.next_upload_id_marker().map(str::to_owned),
            );
            if page.is_truncated() != Some(true) {
                break;
            }
            if next.0.is_none() || next == markers {
                return Err(self.bad_response(
                    call,
                    prefix,
                    "says more uploads follow but gives no new NextKeyMarker",
                ));
            }
            markers = next;
        }
        Ok(uploads)
    }
}
