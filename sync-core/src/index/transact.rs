//! Committing files' actions in `TransactWriteItems` batches (docs/index.md, "Every write as
//! it is issued"): up to 100 actions a transaction, the cancellation reasons read by
//! position, files cancelled only along with others sent again at once, conflicts and
//! throttling retried by the project's retry policy with the batch's `ClientRequestToken`.

use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::TransactWriteItem;

use super::client::IndexTable;
use super::error::IndexError;
use crate::retry::{Clock, CredentialRefresh, Retrier};

/// DynamoDB's limit of actions in one transaction.
pub(crate) const MAX_ACTIONS: usize = 100;
/// How many times files cancelled only along with refused ones are sent again before the
/// operation gives up as contended.
const MAX_ROUNDS: usize = 4;
/// A cancellation reason: this action's condition did not hold.
const CONDITION_FAILED: &str = "ConditionalCheckFailed";

/// What became of one file's actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fate {
    /// All its actions were applied.
    Committed,
    /// A condition of one of its actions did not hold: the facts changed, re-read them.
    Refused,
}

/// One transaction's reply.
enum Sent {
    Committed,
    /// Cancelled with at least one failed condition: each action's reason code, in order.
    Cancelled(Vec<Option<String>>),
}

/// Commit each file's actions (all files have the same number of actions), as many files a
/// transaction as fit; say per file whether it committed or was refused.
///
/// # Errors
/// The call's failure once the retry policy gave up; [`IndexError::Contended`] when files
/// kept being cancelled along with refused ones.
pub(crate) async fn commit_files<C: Clock, R: CredentialRefresh>(
    table: &IndexTable,
    retrier: &Retrier<C, R>,
    operation: &'static str,
    files: &[Vec<TransactWriteItem>],
) -> Result<Vec<Fate>, IndexError> {
    let mut fates: Vec<Option<Fate>> = vec![None; files.len()];
    let per_batch = (MAX_ACTIONS / files.first().map_or(1, Vec::len).max(1)).max(1);
    let mut pending: Vec<usize> = (0..files.len()).collect();
    for _ in 0..MAX_ROUNDS {
        let mut again = Vec::new();
        for batch in pending.chunks(per_batch) {
            let actions: Vec<TransactWriteItem> = batch
                .iter()
                .flat_map(|&i| files[i].iter().cloned())
                .collect();
            match send(table, retrier, operation, actions).await? {
                Sent::Committed => batch.iter().for_each(|&i| fates[i] = Some(Fate::Committed)),
                Sent::Cancelled(reasons) => {
                    let mut at = 0;
                    for &i in batch {
                        let count = files[i].len();
                        let refused = reasons
                            .iter()
                            .skip(at)
                            .take(count)
                            .any(|code| code.as_deref() == Some(CONDITION_FAILED));
                        at += count;
                        if refused {
                            fates[i] = Some(Fate::Refused);
                        } else {
                            again.push(i);
                        }
                    }
                }
            }
        }
        pending = again;
        if pending.is_empty() {
            return Ok(fates.into_iter().flatten().collect());
        }
    }
    Err(IndexError::Contended { operation })
}

/// One transaction, retried by the policy with the same `ClientRequestToken` (so a commit
/// whose reply was lost is not applied twice).
async fn send<C: Clock, R: CredentialRefresh>(
    table: &IndexTable,
    retrier: &Retrier<C, R>,
    operation: &'static str,
    actions: Vec<TransactWriteItem>,
) -> Result<Sent, IndexError> {
    let token = super::random_hex::<16>();
    let (actions, token) = (&actions, &token);
    retrier
        .run(move |_| async move {
            let reply = table
                .client()
                .transact_write_items()
                .set_transact_items(Some(actions.clone()))
                .client_request_token(token)
                .send()
                .await;
            match reply {
                Ok(_) => Ok(Sent::Committed),
                Err(error) => match error.as_service_error() {
                    Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => {
                        let reasons: Vec<Option<String>> = cancelled
                            .cancellation_reasons()
                            .iter()
                            .map(|reason| reason.code().map(str::to_owned))
                            .collect();
                        if reasons
                            .iter()
                            .any(|c| c.as_deref() == Some(CONDITION_FAILED))
                        {
                            Ok(Sent::Cancelled(reasons))
                        } else {
                            // Only conflicts with other transactions or throttling: the
                            // same batch again, after the policy's backoff.
                            Err(IndexError::Contended { operation })
                        }
                    }
                    _ => Err(IndexError::from_sdk(operation, table, &error)),
                },
            }
        })
        .await
        .map_err(|failed| failed.last)
}
