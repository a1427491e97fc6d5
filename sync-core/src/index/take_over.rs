//! Taking over a stale reservation (docs/index.md, "Stale reservations"): the staleness is
//! judged here by the reader's clock, and DynamoDB only checks that the reservation is still
//! exactly the one read (a heartbeat or another taker in between makes it fail).

use super::client::IndexTable;
use super::error::IndexError;
use super::items::{ContentItem, Hold, ItemState, KeyItem, Registration};
use super::reserve::{Reserve, ReserveOutcome, reserve};
use crate::retry::{Clock, CredentialRefresh, Retrier};

/// What a takeover came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TakeOver {
    /// A reservation read is not stale at `now`: its holder may still be uploading. Nothing
    /// was written; wait until it would go stale.
    NotStale(Hold),
    /// The reservation was attempted over the stale one(s): its outcome.
    Attempted(ReserveOutcome),
}

/// The hold of an item as read, when it is reserved.
fn reserved_hold(state: ItemState, hold: Option<&Hold>) -> Option<Hold> {
    (state == ItemState::Reserved)
        .then(|| hold.cloned())
        .flatten()
}

/// Reserve `registration` for `station`, taking over the reservations of `content` and `key`
/// (the items as read; `None` for an item that does not exist) if they are stale at
/// `now_ms`.
///
/// # Errors
/// As [`reserve`].
pub async fn take_over<C: Clock, R: CredentialRefresh>(
    table: &IndexTable,
    retrier: &Retrier<C, R>,
    station: &str,
    registration: Registration,
    content: Option<&ContentItem>,
    key: Option<&KeyItem>,
    now_ms: i64,
) -> Result<TakeOver, IndexError> {
    let content_seen = content.and_then(|c| reserved_hold(c.state, c.hold.as_ref()));
    let key_seen = key.and_then(|k| reserved_hold(k.state, k.hold.as_ref()));
    if let Some(fresh) = [&content_seen, &key_seen]
        .into_iter()
        .flatten()
        .find(|hold| !hold.is_stale(now_ms))
    {
        return Ok(TakeOver::NotStale(fresh.clone()));
    }
    let file = Reserve {
        registration,
        content_seen,
        key_seen,
    };
    let mut outcomes =
        reserve(table, retrier, station, std::slice::from_ref(&file), now_ms).await?;
    Ok(TakeOver::Attempted(
        outcomes.pop().expect("one outcome per file"),
    ))
}
