//! The delete-mark (docs/index.md, "Delete-mark"): an admin's deletion marks on a content
//! item, its GSI keys removed (out of every gallery view), the key recorded for content that
//! was never indexed. Marking twice is refused by the condition and counted as done.

use lightbox_types::Sha256Digest;

use super::attrs::s;
use super::client::IndexTable;
use super::error::IndexError;
use super::expr::UpdateSpec;
use super::gallery_keys::GSI_KEYS;
use super::items::{Deletion, ItemState, content_pk};
use super::transact::{Fate, commit_files};
use crate::retry::{Clock, CredentialRefresh, Retrier};

const OPERATION: &str = "TransactWriteItems (delete-mark)";
/// Only content not yet marked.
const NOT_MARKED: &str = "attribute_not_exists(#deleted_at)";

/// One content to mark deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteMark {
    pub sha256: Sha256Digest,
    /// The object key it was at (recorded if the item has none).
    pub key: String,
    pub deletion: Deletion,
}

/// What became of one delete-mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteOutcome {
    /// Marked now.
    Marked,
    /// It already carried deletion marks (the condition's only way to fail): nothing changed.
    AlreadyDeleted,
}

/// Mark each content deleted, 100 a transaction; outcomes in the order of `marks`.
///
/// # Errors
/// The call's failure once the retry policy gave up, or [`IndexError::Contended`].
pub async fn delete_mark<C: Clock, R: CredentialRefresh>(
    table: &IndexTable,
    retrier: &Retrier<C, R>,
    marks: &[DeleteMark],
) -> Result<Vec<DeleteOutcome>, IndexError> {
    let actions: Vec<_> = marks.iter().map(|mark| vec![action(table, mark)]).collect();
    let fates = commit_files(table, retrier, OPERATION, &actions).await?;
    Ok(fates
        .into_iter()
        .map(|fate| match fate {
            Fate::Committed => DeleteOutcome::Marked,
            Fate::Refused => DeleteOutcome::AlreadyDeleted,
        })
        .collect())
}

fn action(table: &IndexTable, mark: &DeleteMark) -> aws_sdk_dynamodb::types::TransactWriteItem {
    let d = &mark.deletion;
    let spec = UpdateSpec::new(NOT_MARKED)
        .set("state", s(ItemState::Deleted.as_str()))
        .set("deleted_at", s(&d.deleted_at))
        .set("deleted_by_id", s(&d.deleted_by_id))
        .set("deleted_by_name", s(&d.deleted_by_name))
        .set_clause("#key = if_not_exists(#key, :key)")
        .value("key", s(&mark.key));
    GSI_KEYS
        .iter()
        .fold(spec, |spec, name| spec.remove(name))
        .action(table, content_pk(&mark.sha256))
}
