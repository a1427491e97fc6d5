//! The Lightbox engine: from a camera import folder to a verified object in the
//! studio's S3 bucket, and the gallery read back from it.
//!
//! The engine only: it must not depend on tauri or on anything only a binary needs. The plain
//! shared types are `lightbox_types`; the desktop app's service layer is `lightbox-app-service`;
//! the `lightbox` binary (CLI, daemon ops, doctor) is `lightbox-cli` (docs/architecture.md).

pub mod auth;
pub mod catalog;
pub mod config;
pub mod credential_expiry;
pub mod engine;
pub mod gallery;
pub mod index;
pub mod ingest;
pub mod log_safety;
pub mod plan;
pub mod preview;
pub mod private_fs;
pub mod retry;
pub mod s3_client;
pub mod sdk_failure;
pub mod setup_check;
pub mod team;
pub mod terraform_import;
pub mod upload;
pub mod zip_import;

/// The version of the engine, as built.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
