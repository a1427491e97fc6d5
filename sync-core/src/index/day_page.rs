//! A day's page of cards, newest first (docs/index.md, "Gallery views"): a `Query` of the
//! `by_day` index, deleted content left out, resumed after the opaque cursor's card.

use std::str::FromStr;

use lightbox_types::Sha256Digest;

use super::attrs::{Item, ItemError, opt_n, opt_s, req_s, s};
use super::client::IndexTable;
use super::cursor::DayCursor;
use super::error::IndexError;
use crate::retry::{Clock, CredentialRefresh, Retrier};

const OPERATION: &str = "Query";
/// The index of days.
const BY_DAY: &str = "by_day";
const DAY_RANGE: &str = "#g_month = :month AND #g_day BETWEEN :from AND :to";
const NOT_DELETED: &str = "attribute_not_exists(#deleted_at)";

/// One photo as a gallery card (the attributes the GSIs project).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Card {
    pub sha256: Sha256Digest,
    pub key: String,
    pub size: Option<u64>,
    pub original_name: Option<String>,
    pub captured: Option<String>,
    pub uploaded_at: Option<String>,
    pub uploader_name: Option<String>,
    pub thumb_key: Option<String>,
    pub screen_key: Option<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// Its `by_day` sort key (day, sort time, content).
    pub g_day: String,
}

impl Card {
    /// Decode a card from a `by_day` item.
    ///
    /// # Errors
    /// The first attribute that is missing or unreadable.
    pub fn from_item(item: &Item) -> Result<Self, ItemError> {
        let sha256 = req_s(item, "pk")?
            .strip_prefix("C#")
            .and_then(|hex| Sha256Digest::from_str(hex).ok())
            .ok_or(ItemError::Invalid("pk"))?;
        Ok(Self {
            sha256,
            key: req_s(item, "key")?,
            size: opt_n(item, "size")?,
            original_name: opt_s(item, "original_name")?,
            captured: opt_s(item, "captured")?,
            uploaded_at: opt_s(item, "uploaded_at")?,
            uploader_name: opt_s(item, "uploader_name")?,
            thumb_key: opt_s(item, "thumb_key")?,
            screen_key: opt_s(item, "screen_key")?,
            width: opt_n(item, "width")?,
            height: opt_n(item, "height")?,
            g_day: req_s(item, "g_day")?,
        })
    }
}

/// A page of cards and the cursor of the next page (`None` at the end of the day).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayPage {
    pub cards: Vec<Card>,
    pub next: Option<String>,
}

/// At most `limit` cards of `day` (`YYYY-MM-DD`), newest first, after `cursor`.
///
/// # Errors
/// [`IndexError::BadDay`], [`IndexError::BadCursor`] (start again without it), the call's
/// failure once the retry policy gave up, [`IndexError::BadItem`].
pub async fn day_page<C: Clock, R: CredentialRefresh>(
    table: &IndexTable,
    retrier: &Retrier<C, R>,
    day: &str,
    limit: u16,
    cursor: Option<&str>,
) -> Result<DayPage, IndexError> {
    let valid = super::gallery_keys::key_day(&format!("originals/{}/x", day.replace('-', "/")))
        .is_some_and(|parsed| parsed == day);
    if !valid || limit == 0 {
        return Err(IndexError::BadDay {
            day: day.to_owned(),
        });
    }
    let month = &day[..7];
    let mut start = cursor
        .map(|text| DayCursor::decode(text, day))
        .transpose()?
        .map(|c| {
            Item::from([
                ("pk".to_owned(), s(c.pk)),
                ("g_month".to_owned(), s(c.month)),
                ("g_day".to_owned(), s(c.g_day)),
            ])
        });
    let mut cards: Vec<Card> = Vec::new();
    let wanted = usize::from(limit);
    loop {
        let remaining = i32::try_from(wanted - cards.len()).expect("a u16 fits");
        let request = &start;
        let reply = retrier
            .run(move |_| async move {
                table
                    .client()
                    .query()
                    .table_name(table.table())
                    .index_name(BY_DAY)
                    .key_condition_expression(DAY_RANGE)
                    .filter_expression(NOT_DELETED)
                    .expression_attribute_names("#g_month", "g_month")
                    .expression_attribute_names("#g_day", "g_day")
                    .expression_attribute_names("#deleted_at", "deleted_at")
                    .expression_attribute_values(":month", s(month))
                    .expression_attribute_values(":from", s(format!("{day}#")))
                    .expression_attribute_values(":to", s(format!("{day}$")))
                    .scan_index_forward(false)
                    .limit(remaining)
                    .set_exclusive_start_key(request.clone())
                    .send()
                    .await
                    .map_err(|error| IndexError::from_sdk(OPERATION, table, &error))
            })
            .await
            .map_err(|failed| failed.last)?;
        for item in reply.items() {
            cards.push(Card::from_item(item).map_err(|error| {
                IndexError::BadItem {
                    pk: item
                        .get("pk")
                        .and_then(|v| v.as_s().ok())
                        .cloned()
                        .unwrap_or_default(),
                    error,
                }
            })?);
        }
        start = reply.last_evaluated_key().cloned();
        if start.is_none() {
            return Ok(DayPage { cards, next: None });
        }
        if cards.len() >= wanted {
            let last = cards.last().expect("a full page has a last card");
            let next = DayCursor {
                month: month.to_owned(),
                g_day: last.g_day.clone(),
                pk: super::items::content_pk(&last.sha256),
            };
            return Ok(DayPage {
                next: Some(next.encode(day)),
                cards,
            });
        }
    }
}
