//! The Lightbox desktop shell: window, commands and events over `sync_core`.
//! Thin on purpose: every decision lives in sync-core.

mod commands;

/// Start the desktop app.
///
/// # Panics
/// When the window system cannot be started (no display), which Tauri reports
/// as an error with no way to continue.
pub fn run() {
    tauri::Builder::default()
        .invoke_handler(tauri::generate_handler![commands::app::app_info])
        .run(tauri::generate_context!())
        .expect("the Lightbox window could not be started: is a display available?");
}
