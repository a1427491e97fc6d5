//! Gallery screen and drops: days, pages, download, the two-step delete, dropped files and
//! ZIPs.

use app_service::ipc::{
    DeletePlanView, DeleteReportView, GalleryDay, GalleryPage, ImportReport, IpcError,
};
use tauri::State;

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

/// `destination` comes from the dialog plugin's `save()` in the UI.
#[tauri::command]
pub async fn download_original(
    core: State<'_, AppCore>,
    key: String,
    destination: String,
) -> Result<(), IpcError> {
    core.get()?.download_original(&key, &destination).await
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

#[tauri::command]
pub async fn import_paths(
    core: State<'_, AppCore>,
    paths: Vec<String>,
) -> Result<ImportReport, IpcError> {
    core.get()?.import_paths(&paths).await
}
