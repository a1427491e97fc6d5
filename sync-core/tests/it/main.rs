//! sync-core's integration tests (one binary): the engine on real files, and the
//! `lightbox` binary against the local stack.

mod auth_cli;
mod auth_credentials;
mod auth_srp;
mod auth_tokens;
mod cli;
mod config_import;
mod daemon_ops;
mod desktop;
mod gallery;
mod gallery_cli;
mod ingest;
mod preview;
mod preview_catchup;
mod support;
mod upload;
mod upload_controls;
mod upload_crash;
mod upload_engine;
mod upload_faults;
mod upload_orphans;
mod upload_push;
mod zip_import;
