//! Gallery screen and drops: days, pages, download, the two-step delete, dropped files and
//! ZIPs.

use app_service::ipc::{
    DeletePlanView, DeleteReportView, GalleryDay, GalleryPage, ImportReport, IpcError,
};
use tauri::{AppHandle, State};

use crate::state::AppCore;

#[tauri::command]
pub async fn gallery_days(core: State<'_, AppCore>) -> Result<Vec<GalleryDay>, IpcError> {
    core.get()?.gallery_days().await
}

#[tauri::command]
pub async fn gallery_page(
    core: State<'_, AppCore>,
    day: String,
    cursor: Option<String>,
    limit: u64,
) -> Result<GalleryPage, IpcError> {
    core.get()?
        .gallery_page(&day, cursor.as_deref(), limit)
        .await
}

/// Opens the native save dialog from Rust (the webview names no destination) and saves the
/// original there; where it was saved, `None` when the person cancelled.
#[tauri::command]
pub async fn download_original(
    app: AppHandle,
    core: State<'_, AppCore>,
    key: String,
) -> Result<Option<String>, IpcError> {
    let core = core.get()?;
    let name = key.rsplit('/').next().unwrap_or("photo");
    let Some(destination) = crate::dialogs::pick_save_file(&app, name).await else {
        return Ok(None);
    };
    core.download_original(&key, &destination).await?;
    Ok(Some(destination.display().to_string()))
}

#[tauri::command]
pub async fn prepare_delete(
    core: State<'_, AppCore>,
    keys: Vec<String>,
) -> Result<DeletePlanView, IpcError> {
    core.get()?.prepare_delete(&keys).await
}

#[tauri::command]
pub async fn confirm_delete(
    core: State<'_, AppCore>,
    token: String,
) -> Result<DeleteReportView, IpcError> {
    core.get()?.confirm_delete(&token).await
}

/// Only paths that arrived through the window's drop event (remembered in Rust by
/// [`crate::files_dropped`]) are imported; any other is refused.
#[tauri::command]
pub async fn import_paths(
    core: State<'_, AppCore>,
    paths: Vec<String>,
) -> Result<ImportReport, IpcError> {
    core.get()?.import_paths(&paths).await
}
