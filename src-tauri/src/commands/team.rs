//! Team screen (admins only; AWS refuses anyone else): the studio's users.

use app_service::ipc::{InvitationView, IpcError, TeamGroup, TeamMember};
use tauri::State;

use crate::state::AppCore;

#[tauri::command]
pub async fn team_members(core: State<'_, AppCore>) -> Result<Vec<TeamMember>, IpcError> {
    core.get()?.team_members().await
}

#[tauri::command]
pub async fn invite_member(
    core: State<'_, AppCore>,
    email: String,
    username: Option<String>,
    group: TeamGroup,
    show_password: bool,
) -> Result<InvitationView, IpcError> {
    core.get()?
        .invite_member(&email, username.as_deref(), group, show_password)
        .await
}

#[tauri::command]
pub async fn set_member_group(
    core: State<'_, AppCore>,
    username: String,
    group: TeamGroup,
) -> Result<(), IpcError> {
    core.get()?.set_member_group(&username, group).await
}

#[tauri::command]
pub async fn disable_member(core: State<'_, AppCore>, username: String) -> Result<(), IpcError> {
    core.get()?.disable_member(&username).await
}

#[tauri::command]
pub async fn enable_member(core: State<'_, AppCore>, username: String) -> Result<(), IpcError> {
    core.get()?.enable_member(&username).await
}

#[tauri::command]
pub async fn reset_member_password(
    core: State<'_, AppCore>,
    username: String,
) -> Result<(), IpcError> {
    core.get()?.reset_member_password(&username).await
}

#[tauri::command]
pub async fn remove_member(core: State<'_, AppCore>, username: String) -> Result<(), IpcError> {
    core.get()?.remove_member(&username).await
}
