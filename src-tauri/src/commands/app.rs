//! What the app is, which configuration it runs with, and who runs the engine.

use app_service::ipc::{AppInfo, IpcError};
use tauri::State;

use crate::state::AppCore;

#[tauri::command]
pub async fn app_info(core: State<'_, AppCore>) -> Result<AppInfo, IpcError> {
    match core.get() {
        Ok(core) => Ok(core.app_info().await),
        // Say what is wrong with the config (the same error the core could not start with).
        Err(_) => AppInfo::from_config_file(None),
    }
}
