//! Plan: where a fingerprinted file goes in the bucket, or why it does not go
//! at all (DESIGN.md, data flow step 4). Pure functions, no I/O, time passed in.
//!
//! - [`settings`]: date source and studio time zone;
//! - [`key_planner`]: the candidate key `originals/YYYY/MM/DD/<name>` for a file;
//! - [`sanitize`]: the `<name>` part (NFC, no controls, no `..`, bounded length);
//! - [`original_key`]: an original's key and the rename ladder (the layout itself is
//!   `lightbox_types::object_keys`);
//! - [`mod@decide`]: upload, skip a duplicate, skip a tombstone, or rename, following
//!   a two-step contract with the caller's lookups.
//!
//! ```
//! use jiff::Timestamp;
//! use jiff::tz::TimeZone;
//! use sync_core::plan::{DateSource, Decision, KeyFacts, KeyPlanner, decide};
//!
//! let planner = KeyPlanner::with_time_zone(DateSource::UploadDate, TimeZone::UTC);
//! let sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
//! let now: Timestamp = "2024-03-09T10:00:00Z".parse()?;
//! let key = planner.candidate_key("IMG_0001.JPG", sha, None, now);
//! // Step 1: another file already has this name.
//! let facts = KeyFacts { key_owner: Some("ff".repeat(32)), ..KeyFacts::default() };
//! let Decision::Rename { key: renamed } = decide(&key, sha, &facts) else { panic!() };
//! assert_eq!(renamed.as_str(), "originals/2024/03/09/IMG_0001_01234567.JPG");
//! // Step 2: the caller looks up the renamed key's owner: free.
//! let facts = KeyFacts { key_owner: None, ..facts };
//! assert_eq!(decide(&renamed, sha, &facts), Decision::Upload { key: renamed.clone() });
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod decide;
pub mod key_planner;
pub mod original_key;
pub mod sanitize;
pub mod settings;

pub use decide::{Decision, KeyFacts, decide, resolve_key};
pub use key_planner::KeyPlanner;
pub use original_key::OriginalKey;
pub use sanitize::{SafeName, sanitize_name};
pub use settings::{DateSource, PlanError, PlanSettings};
