//! Which [`OverwriteGuard`] an endpoint needs, found out once when the uploader starts.
//!
//! AWS S3 (and moto) refuse a `PutObject` with `If-None-Match: *` on an existing key with 412,
//! so the conditional write alone protects other machines' objects: two requests per small
//! file (the PUT and the verifying HEAD). Garage 2.5 ignores the header and overwrites, so it
//! needs a `HeadObject` first: three requests. The probe writes a tiny object at
//! [`PROBE_KEY`] with `If-None-Match: *`, twice; the key is only ever the probe's, so
//! overwriting it on a server that ignores the header harms nothing. Then it deletes it, so a
//! bucket holds only photos; where that is refused (a writer role may not delete), the object
//! stays, and later probes on an honouring server are refused at the first write.
//!
//! - first write refused with 412: an earlier probe's object is there and the server honoured
//!   the condition → [`OverwriteGuard::IfNoneMatch`];
//! - first written, second refused with 412 → [`OverwriteGuard::IfNoneMatch`];
//! - both written: the server ignored the condition → [`OverwriteGuard::HeadFirst`];
//! - any error (no permission, the server down): [`OverwriteGuard::HeadFirst`], the safe one.

use aws_sdk_s3::primitives::ByteStream;

use super::transfer::is_precondition_failed;
use super::{OverwriteGuard, S3Call, S3Transfer, UploadError};

/// The probe's object: under `originals/` (the one prefix the staff and daemon roles may create
/// objects in, and only with `If-None-Match`, which the probe always sends), in a dot folder
/// that no dated gallery listing shows (`originals/YYYY/MM/DD/` only).
pub const PROBE_KEY: &str = "originals/.lightbox/probe/if-none-match";

const PROBE_BODY: &[u8] = b"Lightbox checks here whether this server honours If-None-Match.\n";

/// What one conditional write of the probe answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeWrite {
    /// The server stored it (whether or not something was there).
    Written,
    /// 412 Precondition Failed: the key existed and the server left it alone.
    Refused,
}

/// The guard the two probe writes call for (pure; `second` is `None` when the first was
/// refused and no second write was made).
#[must_use]
pub fn guard_from_probe(first: ProbeWrite, second: Option<ProbeWrite>) -> OverwriteGuard {
    match (first, second) {
        (ProbeWrite::Refused, _) | (ProbeWrite::Written, Some(ProbeWrite::Refused)) => {
            OverwriteGuard::IfNoneMatch
        }
        (ProbeWrite::Written, Some(ProbeWrite::Written) | None) => OverwriteGuard::HeadFirst,
    }
}

impl S3Transfer {
    /// Find out whether this endpoint honours `If-None-Match: *` (see the module docs). One
    /// attempt per write, no retries: any failure means [`OverwriteGuard::HeadFirst`].
    pub async fn probe_overwrite_guard(&self) -> OverwriteGuard {
        let probed = async {
            let first = self.probe_write().await?;
            let second = match first {
                ProbeWrite::Refused => None,
                ProbeWrite::Written => Some(self.probe_write().await?),
            };
            Ok::<_, UploadError>(guard_from_probe(first, second))
        }
        .await;
        self.remove_probe().await;
        match probed {
            Ok(guard) => {
                tracing::info!(
                    bucket = self.bucket(),
                    ?guard,
                    "overwrite guard chosen by probing If-None-Match"
                );
                guard
            }
            Err(error) => {
                tracing::warn!(
                    bucket = self.bucket(),
                    %error,
                    "could not probe If-None-Match; checking with HEAD before every write"
                );
                OverwriteGuard::HeadFirst
            }
        }
    }

    /// Delete the probe object; a refusal (no `s3:DeleteObject`) leaves it, which is harmless.
    async fn remove_probe(&self) {
        let deleted = self
            .client
            .delete_object()
            .bucket(&self.bucket)
            .key(PROBE_KEY)
            .send()
            .await;
        if let Err(error) = deleted {
            tracing::debug!(
                bucket = self.bucket(),
                error = %aws_sdk_s3::error::DisplayErrorContext(error),
                "the If-None-Match probe object stays (not allowed to delete it)"
            );
        }
    }

    async fn probe_write(&self) -> Result<ProbeWrite, UploadError> {
        let sent = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(PROBE_KEY)
            .if_none_match("*")
            .body(ByteStream::from_static(PROBE_BODY))
            .send()
            .await;
        match sent {
            Ok(_) => Ok(ProbeWrite::Written),
            Err(error) if is_precondition_failed(&error) => Ok(ProbeWrite::Refused),
            Err(error) => Err(UploadError::from_sdk(
                S3Call::PutObject,
                &self.bucket,
                PROBE_KEY,
                error,
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_probe_writes_decide_the_guard() {
        use OverwriteGuard::{HeadFirst, IfNoneMatch};
        use ProbeWrite::{Refused, Written};
        for (first, second, guard, why) in [
            (
                Refused,
                None,
                IfNoneMatch,
                "an earlier probe's object was kept: honoured",
            ),
            (
                Written,
                Some(Refused),
                IfNoneMatch,
                "created, then kept: honoured",
            ),
            (
                Written,
                Some(Written),
                HeadFirst,
                "overwritten: ignored (Garage 2.5)",
            ),
            (Written, None, HeadFirst, "no second answer: the safe guard"),
        ] {
            assert_eq!(guard_from_probe(first, second), guard, "{why}");
        }
    }
}
