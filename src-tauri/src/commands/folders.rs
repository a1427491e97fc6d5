//! Folders screen: the watched camera import folders. The UI picks a folder with the dialog
//! plugin's `open({ directory: true })` and passes its path here.

use app_service::ipc::{FolderView, IpcError};
use tauri::State;

use crate::state::AppCore;

#[tauri::command]
pub async fn folders(core: State<'_, AppCore>) -> Result<Vec<FolderView>, IpcError> {
    core.get()?.folders().await
}

#[tauri::command]
pub async fn add_folder(core: State<'_, AppCore>, path: String) -> Result<FolderView, IpcError> {
    core.get()?.add_folder(&path).await
}

#[tauri::command]
pub async fn remove_folder(core: State<'_, AppCore>, path: String) -> Result<(), IpcError> {
    core.get()?.remove_folder(&path).await
}
