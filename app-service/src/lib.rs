//! The desktop app's service layer: everything the Tauri shell's commands call, with no tauri
//! in it. `src-tauri` depends on this crate alone.
//!
//! [`DesktopCore`] holds the sign-in between its steps, the engine once signed in (or the
//! note that the headless daemon holds the catalog), the activity batches, the gallery and
//! the settings file. Each public method is one command of `src-tauri` and returns the IPC
//! types of [`ipc`] or an [`ipc::IpcError`] whose message says what to do.
//!
//! - [`activity`]: the pure reducer from engine events to activity rows.
//! - [`batcher`]: batches of changed rows at most every 250 ms, with the speed.
//! - [`notices`]: when to notify and what the tray says (pure).
//! - [`sign_in`]: the sign-in steps and the TOTP QR code.
//! - [`settings_file`]: the Settings screen over the config file.
//! - [`csp`]: the content security policy for the configured bucket.
//! - `engine_slot`, `gallery_ops`, `import`: the engine, the gallery, dropped files.
//! - `team_ops`: the Team screen (admins), over `sync_core::team`.
//! - `errors`: every engine error as `{code, message}`, one mapping per error type.

pub mod activity;
pub mod batcher;
pub mod csp;
mod desktop_core;
mod dropped;
mod engine_slot;
mod errors;
mod gallery_ops;
mod import;
pub mod ipc;
pub mod notices;
pub mod settings_file;
pub mod sign_in;
mod team_ops;

pub use desktop_core::DesktopCore;
pub use errors::not_signed_in;
/// The wire-crate log filter the desktop shell installs (the shell depends on this crate alone).
pub use sync_core::log_safety;
