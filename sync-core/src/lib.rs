//! The Lightbox engine: from a camera import folder to a verified object in the
//! studio's S3 bucket, and the gallery read back from it.
//!
//! This crate must not depend on tauri: the desktop shell (`src-tauri`) and the
//! `lightbox` binary are thin wrappers over it.

pub mod auth;
pub mod catalog;
pub mod config;
pub mod engine;
pub mod file_stat;
pub mod ingest;
pub mod ipc;
pub mod plan;
pub mod retry;
pub mod s3_client;
pub mod upload;

/// The version of the engine, as built.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
