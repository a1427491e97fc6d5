//! The `lightbox` binary's integration tests (one binary for the crate): the CLI and the
//! daemon against the local stack, and the fault suite on the real binary.

mod auth_cli;
mod auth_srp;
mod cli;
mod config_check;
mod config_import;
mod daemon_emf;
mod daemon_ops;
mod daemon_reload;
mod gallery_cli;
mod reliability;
mod support;
mod upload_controls;
mod upload_crash;
mod upload_push;
mod users_cli;
