//! The shared photo index in DynamoDB (docs/index.md): the `[index]` settings, the client,
//! the two item kinds as pure codecs, and the operations, each one function over the client
//! with typed outcomes and [`IndexError`]s. Every call goes through the project's retry
//! policy ([`crate::retry::Retrier`]), as S3's do.
//!
//! The engine calls it when `[index] table` is set: the plan step ([`facts`], then
//! [`reserve`]; `engine/plan_index.rs`), make-live after the previews (`engine/preview.rs`).
//! The gallery does not read it yet.
//!
//! - `[index]` in the settings: [`crate::config::IndexConfig`] (the table; absent, no shared
//!   index), next to `[storage]` (the client depends on the settings, not the other way);
//! - [`client`]: [`IndexTable`], built like the S3 client;
//! - [`items`], [`gallery_keys`]: the content item, the key item, the GSI keys (pure);
//! - [`cursor`]: the opaque day-page cursor (pure);
//! - [`facts`]: the plan step's decision from the items as read (pure);
//! - [`lookup`], [`reserve`], [`take_over`], [`make_live`], [`delete_mark`], [`day_page`]:
//!   the operations; [`transact`] their shared transaction batching.

pub mod attrs;
pub mod client;
pub mod cursor;
pub mod day_page;
pub mod delete_mark;
pub mod error;
mod expr;
pub mod facts;
pub mod gallery_keys;
pub mod items;
pub mod lookup;
pub mod make_live;
pub mod reserve;
pub mod take_over;
mod transact;

pub use crate::config::IndexConfig;
pub use attrs::{Item, ItemError};
pub use client::{IndexTable, build_index_table};
pub use cursor::{CursorError, DayCursor};
pub use day_page::{Card, DayPage, day_page};
pub use delete_mark::{DeleteMark, DeleteOutcome, delete_mark};
pub use error::IndexError;
pub use facts::{IndexStep, index_step};
pub use gallery_keys::{GalleryKeys, key_day, taken};
pub use items::{
    ContentItem, Deletion, Hold, ItemState, KeyItem, LiveFacts, Registration, STALE_AFTER_MS,
    content_pk, key_pk,
};
pub use lookup::{Found, Read, lookup};
pub use make_live::{LiveOutcome, MakeLive, make_live};
pub use reserve::{Reserve, ReserveOutcome, refusal, reserve};
pub use take_over::{TakeOver, take_over};

/// `N` random bytes as lowercase hex: reservation tokens (128 bits) and transaction tokens.
#[must_use]
pub fn random_hex<const N: usize>() -> String {
    hex::encode(rand::random::<[u8; N]>())
}
