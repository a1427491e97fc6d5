//! The facts lookup (docs/index.md, "Lookups"): content items and key items in
//! `BatchGetItem`s of at most 100 distinct keys, whole items, `UnprocessedKeys` sent again
//! after the retry policy's backoff.

use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;

use aws_sdk_dynamodb::types::KeysAndAttributes;
use lightbox_types::Sha256Digest;

use super::attrs::{Item, s};
use super::client::IndexTable;
use super::error::IndexError;
use super::items::{ContentItem, KeyItem, content_pk, key_pk};
use crate::retry::{Clock, CredentialRefresh, Retrier};

/// DynamoDB's limit of keys in one `BatchGetItem`.
const MAX_KEYS: usize = 100;
const OPERATION: &str = "BatchGetItem";

/// How fresh a lookup must be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Read {
    /// Eventually consistent: for planning (a stale read costs one cancelled transaction).
    Eventual,
    /// Strongly consistent: the re-read after a cancellation.
    Consistent,
}

/// The items found; an item absent here does not exist.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Found {
    pub contents: HashMap<Sha256Digest, ContentItem>,
    pub keys: HashMap<String, KeyItem>,
}

/// Read the content items of `contents` and the key items of `keys` (each looked up once).
///
/// # Errors
/// The call's failure once the retry policy gave up, or [`IndexError::BadItem`].
pub async fn lookup<'a, C: Clock, R: CredentialRefresh>(
    table: &IndexTable,
    retrier: &Retrier<C, R>,
    contents: impl IntoIterator<Item = &'a Sha256Digest>,
    keys: impl IntoIterator<Item = &'a str>,
    read: Read,
) -> Result<Found, IndexError> {
    let pks: BTreeSet<String> = contents
        .into_iter()
        .map(content_pk)
        .chain(keys.into_iter().map(key_pk))
        .collect();
    let pks: Vec<String> = pks.into_iter().collect();
    let mut found = Found::default();
    for chunk in pks.chunks(MAX_KEYS) {
        for item in batch_get(table, retrier, chunk, read).await? {
            let pk = item
                .get("pk")
                .and_then(|v| v.as_s().ok())
                .cloned()
                .unwrap_or_default();
            let bad = |error| IndexError::BadItem {
                pk: pk.clone(),
                error,
            };
            if pk.starts_with("C#") {
                let content = ContentItem::from_item(&item).map_err(bad)?;
                found.contents.insert(content.sha256, content);
            } else {
                let key = KeyItem::from_item(&item).map_err(bad)?;
                found.keys.insert(key.key.clone(), key);
            }
        }
    }
    Ok(found)
}

/// One `BatchGetItem` of up to 100 `pks`, until every key was processed.
async fn batch_get<C: Clock, R: CredentialRefresh>(
    table: &IndexTable,
    retrier: &Retrier<C, R>,
    pks: &[String],
    read: Read,
) -> Result<Vec<Item>, IndexError> {
    // What is still to read and what was read, kept across the policy's attempts.
    let state = Mutex::new((pks.to_vec(), Vec::<Item>::new()));
    let state = &state;
    retrier
        .run(move |_| async move {
            let pending = lock(state).0.clone();
            let keys: Vec<Item> = pending
                .iter()
                .map(|pk| Item::from([("pk".to_owned(), s(pk))]))
                .collect();
            let request = KeysAndAttributes::builder()
                .set_keys(Some(keys))
                .consistent_read(read == Read::Consistent)
                .build()
                .expect("keys are set");
            let reply = table
                .client()
                .batch_get_item()
                .request_items(table.table(), request)
                .send()
                .await
                .map_err(|error| IndexError::from_sdk(OPERATION, table, &error))?;
            let items = reply
                .responses()
                .and_then(|by_table| by_table.get(table.table()))
                .cloned()
                .unwrap_or_default();
            let left: Vec<String> = reply
                .unprocessed_keys()
                .and_then(|by_table| by_table.get(table.table()))
                .map(|unread| {
                    unread
                        .keys()
                        .iter()
                        .filter_map(|key| key.get("pk").and_then(|v| v.as_s().ok()).cloned())
                        .collect()
                })
                .unwrap_or_default();
            let mut state = lock(state);
            state.1.extend(items);
            state.0 = left;
            match state.0.len() {
                0 => Ok(()),
                left => Err(IndexError::Unprocessed {
                    operation: OPERATION,
                    left,
                }),
            }
        })
        .await
        .map_err(|failed| failed.last)?;
    Ok(std::mem::take(&mut lock(state).1))
}

/// The lock; a panic elsewhere while it was held leaves plain data behind, still usable.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
