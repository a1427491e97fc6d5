//! Lightbox's plain shared types: the vocabulary every other crate speaks, with no I/O and no
//! dependency on the engine.
//!
//! - [`digest`]: [`Sha256Digest`], a file's content identity;
//! - [`capture_time`]: [`CaptureTime`], when a photo was taken, with the camera's offset;
//! - [`file_stat`]: [`FileStat`] and [`OsFileId`], what a `stat` says about a file;
//! - [`file_state`]: [`FileState`], where a file is in its life, the [`Step`]s that move it
//!   between states ([`MOVES`], [`FileState::can_move_to`]), and [`StateCounts`];
//! - [`failure_code`]: [`FailureCode`], every failure code, namespaced by where it arises;
//! - [`skip_reason`]: [`SkipReason`], why a file was not uploaded although nothing failed;
//! - [`part`]: [`CompletedPart`], one part of a multipart upload S3 accepted;
//! - [`object_keys`]: the bucket's key layout for originals and previews;
//! - [`role`]: [`Role`], what a signed-in user may do;
//! - [`stage`]: [`Stage`], the one vocabulary of a file's life as people see it (the desktop
//!   app's, generated for TypeScript).
//!
//! Feature `sql` adds the SQLite conversions the catalog needs; `ts` the TypeScript bindings.

pub mod capture_time;
pub mod digest;
pub mod failure_code;
pub mod file_stat;
pub mod file_state;
pub mod object_keys;
pub mod part;
pub mod role;
pub mod skip_reason;
pub mod stage;
pub mod team;

pub use capture_time::{CaptureTime, CaptureTimeParseError};
pub use digest::{InvalidSha256Hex, Sha256Digest};
pub use failure_code::FailureCode;
pub use file_stat::{FileStat, OsFileId};
pub use file_state::{FileState, MOVES, Move, StateCounts, Step, UnknownFileState};
pub use object_keys::PreviewKind;
pub use part::{CompletedPart, PART_NUMBERS, is_part_number};
pub use role::Role;
pub use skip_reason::SkipReason;
pub use stage::Stage;
pub use team::{MemberStatus, TeamGroup};
