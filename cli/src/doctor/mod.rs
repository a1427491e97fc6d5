//! `lightbox doctor`: is this machine ready to run the daemon? Each check says what it
//! found and, when it fails, how to fix it.
//!
//! - `verdict`: pure functions from gathered facts to `Check`s (tested without I/O);
//! - `probe`: the I/O that gathers them (config, credentials, a probe object in the
//!   bucket, the server's clock, inotify limits, free disk);
//! - `index_probe`: the shared index's mode, and a read of its table.

mod index_probe;
mod probe;
mod verdict;

pub use probe::{DoctorInput, run_checks};
pub use verdict::{CheckStatus, all_passed};
