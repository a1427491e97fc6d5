//! What the app is and which configuration it runs with.

use sync_core::config::Config;
use sync_core::ipc::{AppInfo, IpcError};

#[tauri::command]
pub fn app_info() -> Result<AppInfo, IpcError> {
    Ok(AppInfo::new(Config::load(None)?))
}
