//! The native dialogs, opened from Rust (tauri-plugin-dialog's Rust API): the path the person
//! picks goes straight to the app service, so the webview never names a path to add or write.
//! The dialog's blocking call runs on a blocking thread (`spawn_blocking`), never on the main
//! thread the dialog itself needs.

use std::path::PathBuf;

use tauri::AppHandle;
use tauri_plugin_dialog::{DialogExt as _, FilePath};

/// The title the folder picker shows (the UI end-to-end test finds the dialog by it).
pub const FOLDER_TITLE: &str = "Choose a camera folder";
/// The title the save dialog shows.
pub const SAVE_TITLE: &str = "Save the original";

fn local(path: Option<FilePath>) -> Option<PathBuf> {
    path.and_then(|p| p.into_path().ok())
}

/// The folder the person picks; `None` when cancelled.
pub async fn pick_folder(app: &AppHandle) -> Option<PathBuf> {
    let dialog = app.dialog().file().set_title(FOLDER_TITLE);
    tauri::async_runtime::spawn_blocking(move || local(dialog.blocking_pick_folder()))
        .await
        .ok()
        .flatten()
}

/// Where the person saves `suggested_name`; `None` when cancelled.
pub async fn pick_save_file(app: &AppHandle, suggested_name: &str) -> Option<PathBuf> {
    let dialog = app
        .dialog()
        .file()
        .set_title(SAVE_TITLE)
        .set_file_name(suggested_name);
    tauri::async_runtime::spawn_blocking(move || local(dialog.blocking_save_file()))
        .await
        .ok()
        .flatten()
}
