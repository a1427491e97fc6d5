//! The stateless S3 transfer layer (DESIGN.md, data flow step 5): put a small file, the
//! multipart calls in the shape of `object_store`'s `MultipartStore`, and the `HeadObject` that
//! verifies the result. No catalog access and no engine loop: the caller holds the state
//! (upload ids and parts in the catalog's journal) and wraps each call in `retry::Retrier::run`.
//!
//! - [`store`]: the [`Transfer`] trait (`put_small`, `head`, `create_multipart`, `put_part`,
//!   `list_parts`, `complete_multipart`, `abort_multipart`) and [`PutOutcome`]; what
//!   `engine::upload_job` is written against;
//! - [`transfer`]: [`S3Transfer`], the real [`Transfer`] (client with the SDK's retries off,
//!   bucket, overwrite guard), `PutObject` and `HeadObject`;
//! - [`multipart`]: its multipart calls, and `list_uploads` for the orphan sweep;
//! - [`orphans`]: which multipart uploads under our prefix no journal knows (pure), and the
//!   sweep that aborts them;
//! - [`part_size`]: single put or multipart, and the part size (pure);
//! - [`meta`]: the `x-amz-meta-*` Lightbox writes, ASCII-safe;
//! - [`checksum`]: [`ExpectedContent`] and the per-part CRC64/NVME;
//! - [`facts`]: what `HeadObject` says, compared with the fingerprint;
//! - [`guard_probe`]: whether the endpoint honours `If-None-Match` (then no HEAD before writes);
//! - [`error`]: [`UploadError`], with a stable code and an `ErrorClass`;
//! - [`controls`]: [`TransferControls`], the pause gate and bandwidth limit (a
//!   [`TokenBucket`]) that every request through one transfer obeys;
//! - [`credential_cache`]: [`TransferCredentials`], the client's credential cache, which an
//!   `ExpiredToken` reply invalidates so the retry signs with fresh credentials.
//!
//! # Checksums
//!
//! Every object gets the CRC64/NVME of its whole content, the value the fingerprint computed
//! (`Fingerprint::crc64nvme_base64`):
//! - `PutObject` sends it with `checksum_algorithm = CRC64NVME` (both are needed: the value
//!   alone is ignored by some servers), so the server refuses a body that is not exactly the
//!   fingerprinted content;
//! - multipart uploads are created with `CRC64NVME` and checksum type `FULL_OBJECT`; each part
//!   carries its own CRC64/NVME, and `CompleteMultipartUpload` carries the whole-object value,
//!   which the server checks against the combination of the parts' CRCs;
//! - so `HeadObject` with checksum mode on returns the same whole-object CRC64/NVME for both,
//!   and [`ObjectFacts::compare`] verifies an upload against the local fingerprint without
//!   reading anything back.
//!
//! Checked against Garage 2.5 (`tests/tests/e2e/upload.rs`), which verifies checksums: it
//! accepts `FULL_OBJECT` CRC64/NVME multipart uploads, refuses a `PutObject` whose bytes do not
//! match the CRC64/NVME sent and a completion whose whole-object CRC64/NVME is not the
//! combination of the parts' (both with `InvalidDigest`, where AWS says `BadDigest`), and its
//! `HeadObject` returns the whole-object CRC64/NVME with type `FULL_OBJECT` for multipart
//! objects. No fallback to composite SHA-256 was needed. moto verifies no checksum; it is
//! used for `ListParts` (its reply needs the stack's `ListPartsResult` fix) and for
//! `If-None-Match`, which Garage 2.5 ignores on writes (see [`OverwriteGuard`]).
//!
//! Parts cost one extra read of their range (to compute the CRC before sending it as a header,
//! usually from the page cache): the alternative, an aws-chunked trailer, would leave us without
//! the checksum value to journal.

//! # Use
//!
//! ```no_run
//! use std::path::Path;
//!
//! use sync_core::ingest::Fingerprint;
//! use sync_core::retry::{Retrier, RetryError, RetryPolicy};
//! use sync_core::upload::{
//!     ExpectedContent, ObjectMeta, PutOutcome, S3Transfer, Transfer, UploadError,
//! };
//!
//! async fn upload_small(
//!     client: &aws_sdk_s3::Client,
//!     path: &Path,
//!     key: &str,
//!     fingerprint: &Fingerprint,
//!     meta: &ObjectMeta,
//! ) -> Result<bool, RetryError<UploadError>> {
//!     let transfer = S3Transfer::new(client, "studio-photos");
//!     let retrier = Retrier::new(RetryPolicy::default());
//!     let expected = ExpectedContent::from(fingerprint);
//!     let outcome = retrier
//!         .run(|_attempt| transfer.put_small(path, key, meta, &expected))
//!         .await?;
//!     let facts = retrier.run(|_attempt| transfer.head(key)).await?;
//!     // Created or not, the object at `key` must now be the fingerprinted content.
//!     let verified = facts.is_some_and(|facts| {
//!         facts.compare(&expected) == sync_core::upload::ContentMatch::Verified
//!     });
//!     Ok(outcome == PutOutcome::Created && verified)
//! }
//! ```

pub mod checksum;
pub mod controls;
pub mod credential_cache;
pub mod error;
pub mod facts;
mod file_body;
pub mod guard_probe;
pub mod meta;
pub mod multipart;
pub mod orphans;
pub mod part_size;
pub mod store;
pub mod transfer;

pub use checksum::{ExpectedContent, part_crc64nvme};
pub use controls::{TokenBucket, TransferControls};
pub use credential_cache::{RefreshTransferCredentials, TransferCredentials};
pub use error::{S3Call, S3Problem, UploadError};
pub use facts::{ContentMatch, ObjectFacts};
pub use guard_probe::{PROBE_KEY, ProbeWrite, guard_from_probe};
pub use meta::{ObjectMeta, content_type_for};
pub use multipart::PendingUpload;
pub use orphans::{OrphanSweep, abort_orphaned_uploads, orphaned_uploads};
pub use part_size::{
    DEFAULT_PART_SIZE, MIN_PART_SIZE, MULTIPART_THRESHOLD, PartRange, TransferShape, part_ranges,
    part_size_for, transfer_shape,
};
pub use store::{PutOutcome, Transfer};
pub use transfer::is_precondition_failed;
pub use transfer::{OverwriteGuard, S3Transfer};
