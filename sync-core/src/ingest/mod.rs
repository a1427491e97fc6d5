//! Ingest: the steps between "a file appeared in a watched folder" and "we know
//! what it is" (DESIGN.md, data flow steps 2 and 3).
//!
//! - [`filter`]: is this path a candidate at all (temporary, hidden, sidecar
//!   names; include/exclude globs; photo/RAW/video extensions)? Pure.
//! - [`settle`]: has the file stopped changing long enough to be read? A pure
//!   state machine fed with `stat` observations and the time, plus tiny I/O probes.
//! - [`fingerprint`]: one streaming read computing the SHA-256 (content identity),
//!   the CRC64-NVME that S3 checks, and the EXIF facts ([`exif_facts`]).
//! - [`presence`]: is a watched folder there (online, offline, replaced), and what to do
//!   about it (watch it again, scan it)? A pure state machine fed with one look at the folder.
//!
//! Nothing here touches the catalog, the watcher or S3: callers feed these
//! functions and store what they return.

pub mod exif_facts;
pub mod filter;
pub mod fingerprint;
pub mod presence;
pub mod settle;

pub use exif_facts::ExifFacts;
pub use filter::{FileKinds, Filter, FilterError, FilterSettings, IgnoreReason, Verdict};
pub use fingerprint::{
    ContentDigest, ContentSums, Fingerprint, FingerprintError, FingerprintOptions, fingerprint_file,
};
pub use presence::{
    FolderIdentity, FolderLook, Presence, PresenceAction, PresenceStep, next_presence,
};
pub use settle::{
    SettleError, SettleSettings, SettleStatus, SettleTracker, Settler, probe_open, stat_file,
};
