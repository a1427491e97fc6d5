//! Folders screen: the watched camera import folders. `add_folder` opens the native folder
//! picker from Rust and adds what the person picks: the webview names no path.

use app_service::ipc::{FolderView, IpcError};
use tauri::{AppHandle, State};

use crate::state::AppCore;

#[tauri::command]
pub async fn folders(core: State<'_, AppCore>) -> Result<Vec<FolderView>, IpcError> {
    core.get()?.folders().await
}

/// `None` when the person cancelled the picker.
#[tauri::command]
pub async fn add_folder(
    app: AppHandle,
    core: State<'_, AppCore>,
) -> Result<Option<FolderView>, IpcError> {
    let core = core.get()?;
    let Some(path) = crate::dialogs::pick_folder(&app).await else {
        return Ok(None);
    };
    core.add_folder(&path).await.map(Some)
}

#[tauri::command]
pub async fn remove_folder(core: State<'_, AppCore>, path: String) -> Result<(), IpcError> {
    core.get()?.remove_folder(&path).await
}
