//! Settings screen: the config file's user-facing part; autostart goes to the OS here.

use app_service::ipc::{ErrorCode, IpcError, SettingsView};
use tauri::{AppHandle, State};
use tauri_plugin_autostart::ManagerExt as _;

use crate::state::AppCore;

#[tauri::command]
pub async fn settings(core: State<'_, AppCore>) -> Result<SettingsView, IpcError> {
    Ok(core.get()?.settings())
}

#[tauri::command]
pub async fn save_settings(
    app: AppHandle,
    core: State<'_, AppCore>,
    settings: SettingsView,
) -> Result<SettingsView, IpcError> {
    let saved = core.get()?.save_settings(&settings).await?;
    let launcher = app.autolaunch();
    let applied = if saved.autostart {
        launcher.enable()
    } else {
        launcher.disable()
    };
    applied.map_err(|e| {
        IpcError::new(
            ErrorCode::Internal,
            format!("settings saved, but starting at login could not be changed ({e})"),
        )
    })?;
    Ok(saved)
}
