//! Generates the context and one `allow-<command>` permission per app command, so the
//! capability file (capabilities/default.json) grants exactly the commands the UI calls.

/// Every command in `src/commands`, as registered in `lib.rs`.
const COMMANDS: &[&str] = &[
    "app_info",
    "session_state",
    "sign_in",
    "complete_new_password",
    "answer_totp",
    "begin_totp_setup",
    "verify_totp_setup",
    "forgot_password",
    "confirm_forgot_password",
    "sign_out",
    "folders",
    "add_folder",
    "remove_folder",
    "recent_activity",
    "watch_activity",
    "retry_file",
    "pause",
    "resume",
    "set_bandwidth_limit",
    "gallery_days",
    "gallery_page",
    "download_original",
    "prepare_delete",
    "confirm_delete",
    "import_paths",
    "settings",
    "save_settings",
    "team_members",
    "invite_member",
    "set_member_group",
    "disable_member",
    "enable_member",
    "reset_member_password",
    "remove_member",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("tauri-build: check tauri.conf.json and capabilities/");
}
