//! The Lightbox engine: from a camera import folder to a verified object in the
//! studio's S3 bucket, and the gallery read back from it.
//!
//! This crate must not depend on tauri: the desktop shell (`src-tauri`) and the
//! `lightbox` binary are thin wrappers over it.

pub mod auth;
pub mod catalog;
pub mod config;
pub mod desktop;
pub mod doctor;
pub mod engine;
pub mod file_stat;
pub mod gallery;
pub mod ingest;
pub mod ipc;
pub mod ops;
pub mod plan;
pub mod preview;
pub mod retry;
pub mod s3_client;
pub mod service_unit;
pub mod terraform_import;
pub mod upload;
pub mod zip_import;

/// The version of the engine, as built.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
