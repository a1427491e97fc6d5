//! Activity screen: the first paint, the live batches over a Channel, retry and the upload
//! controls.

use app_service::ipc::{ActivityBatch, FileActivity, IpcError};
use tauri::State;
use tauri::ipc::Channel;

use crate::state::AppCore;

#[tauri::command]
pub async fn recent_activity(
    core: State<'_, AppCore>,
    limit: u64,
) -> Result<Vec<FileActivity>, IpcError> {
    core.get()?.recent_activity(limit).await
}

/// Batches go to `on_event` (at most one per 250 ms) until the window drops the channel.
/// Async so it runs on the async runtime, where the forwarding task is spawned.
#[tauri::command]
pub async fn watch_activity(
    core: State<'_, AppCore>,
    on_event: Channel<ActivityBatch>,
) -> Result<(), IpcError> {
    core.get()?
        .watch_activity(move |batch| on_event.send(batch).is_ok());
    Ok(())
}

#[tauri::command]
pub async fn retry_file(core: State<'_, AppCore>, id: i64) -> Result<(), IpcError> {
    core.get()?.retry_file(id).await
}

#[tauri::command]
pub async fn pause(core: State<'_, AppCore>) -> Result<(), IpcError> {
    core.get()?.pause().await
}

#[tauri::command]
pub async fn resume(core: State<'_, AppCore>) -> Result<(), IpcError> {
    core.get()?.resume().await
}

#[tauri::command]
pub async fn set_bandwidth_limit(
    core: State<'_, AppCore>,
    mib_per_sec: Option<u64>,
) -> Result<(), IpcError> {
    core.get()?.set_bandwidth_limit(mib_per_sec).await
}
