//! Sign-in screen: the steps of a sign-in, forgot password, sign-out.

use app_service::ipc::{CodeDelivery, IpcError, SessionView, SignInStep, SignOutView, TotpSetup};
use tauri::State;

use crate::state::AppCore;

#[tauri::command]
pub async fn session_state(core: State<'_, AppCore>) -> Result<SessionView, IpcError> {
    core.get()?.session_state().await
}

#[tauri::command]
pub async fn sign_in(
    core: State<'_, AppCore>,
    username: String,
    password: String,
) -> Result<SignInStep, IpcError> {
    core.get()?.sign_in(&username, password).await
}

#[tauri::command]
pub async fn complete_new_password(
    core: State<'_, AppCore>,
    new_password: String,
) -> Result<SignInStep, IpcError> {
    core.get()?.complete_new_password(new_password).await
}

#[tauri::command]
pub async fn answer_totp(core: State<'_, AppCore>, code: String) -> Result<SignInStep, IpcError> {
    core.get()?.answer_totp(&code).await
}

#[tauri::command]
pub async fn begin_totp_setup(core: State<'_, AppCore>) -> Result<TotpSetup, IpcError> {
    core.get()?.begin_totp_setup().await
}

#[tauri::command]
pub async fn verify_totp_setup(
    core: State<'_, AppCore>,
    code: String,
) -> Result<SignInStep, IpcError> {
    core.get()?.verify_totp_setup(&code).await
}

#[tauri::command]
pub async fn forgot_password(
    core: State<'_, AppCore>,
    username: String,
) -> Result<CodeDelivery, IpcError> {
    core.get()?.forgot_password(&username).await
}

#[tauri::command]
pub async fn confirm_forgot_password(
    core: State<'_, AppCore>,
    username: String,
    code: String,
    new_password: String,
) -> Result<(), IpcError> {
    core.get()?
        .confirm_forgot_password(&username, &code, new_password)
        .await
}

#[tauri::command]
pub async fn sign_out(core: State<'_, AppCore>) -> Result<SignOutView, IpcError> {
    core.get()?.sign_out().await
}
