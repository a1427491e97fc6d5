//! The Lightbox desktop shell: window, tray, plugins and commands over
//! `app_service::DesktopCore`. Thin on purpose: every decision lives in the app service.
//!
//! Started against the local stack with `LIGHTBOX_CONFIG` and `LIGHTBOX_STATE_DIR`
//! (docs/desktop.md).

mod commands;
mod dialogs;
mod state;
mod tray;

use app_service::csp::content_security_policy;
use app_service::notices::Notice;
use tauri::utils::config::Csp;
use tauri::{AppHandle, DragDropEvent, Manager as _, WindowEvent};
use tauri_plugin_notification::NotificationExt as _;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

use crate::state::AppCore;

/// Show a desktop notification (decided by sync-core from the batches).
pub(crate) fn notify(app: &AppHandle, notice: &Notice) {
    if let Err(e) = app
        .notification()
        .builder()
        .title(&notice.title)
        .body(&notice.body)
        .show()
    {
        tracing::warn!(error = %e, "cannot show a notification");
    }
}

/// The window's drop event, handled in Rust: the dropped paths, as the OS gave them, are
/// remembered by the app service, and `import_paths` takes only those. A plain function so a
/// test reaches it the way the OS event does (docs/desktop.md).
pub(crate) fn files_dropped(core: &AppCore, event: &DragDropEvent) {
    if let (DragDropEvent::Drop { paths, .. }, Ok(core)) = (event, core.get()) {
        core.files_dropped(paths.clone());
    }
}

/// Start the desktop app.
///
/// # Panics
/// When the window system cannot be started (no display), which Tauri reports
/// as an error with no way to continue.
pub fn run() {
    // The SDK's signing and wire crates stay at info whatever LIGHTBOX_LOG says: their debug
    // and trace events carry tokens and auth bodies.
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LIGHTBOX_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .finish()
        .with(tracing_subscriber::filter::filter_fn(|meta| {
            app_service::log_safety::allowed(meta.target(), meta.level())
        }))
        .init();
    let core = AppCore::load();
    let mut context = tauri::generate_context!();
    // Images only from the configured bucket (presigned previews), set before the window opens.
    if let Ok(core) = core.get() {
        let policy = content_security_policy(&core.config().storage);
        context.config_mut().app.security.csp = Some(Csp::Policy(policy));
    }
    tauri::Builder::default()
        // First: a second start focuses the running window and exits.
        .plugin(tauri_plugin_single_instance::init(|app, _args, _cwd| {
            tray::show_main(app);
        }))
        .plugin(tauri_plugin_dialog::init())
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_autostart::init(
            tauri_plugin_autostart::MacosLauncher::LaunchAgent,
            None,
        ))
        .manage(core)
        .setup(|app| {
            let core = app.state::<AppCore>().get().ok().cloned();
            tray::install(app.handle(), core)?;
            Ok(())
        })
        // Closing the window keeps syncing in the tray; Quit is in the tray menu.
        .on_window_event(|window, event| match event {
            WindowEvent::CloseRequested { api, .. } => {
                api.prevent_close();
                if let Err(e) = window.hide() {
                    tracing::warn!(error = %e, "cannot hide the window");
                }
            }
            WindowEvent::DragDrop(drop) => files_dropped(&window.state::<AppCore>(), drop),
            _ => {}
        })
        .invoke_handler(tauri::generate_handler![
            commands::app::app_info,
            commands::auth::session_state,
            commands::auth::sign_in,
            commands::auth::complete_new_password,
            commands::auth::answer_totp,
            commands::auth::begin_totp_setup,
            commands::auth::verify_totp_setup,
            commands::auth::forgot_password,
            commands::auth::confirm_forgot_password,
            commands::auth::sign_out,
            commands::folders::folders,
            commands::folders::add_folder,
            commands::folders::remove_folder,
            commands::activity::recent_activity,
            commands::activity::watch_activity,
            commands::activity::retry_file,
            commands::activity::pause,
            commands::activity::resume,
            commands::activity::set_bandwidth_limit,
            commands::gallery::gallery_days,
            commands::gallery::gallery_page,
            commands::gallery::download_original,
            commands::gallery::prepare_delete,
            commands::gallery::confirm_delete,
            commands::gallery::import_paths,
            commands::settings::settings,
            commands::settings::save_settings,
            commands::team::team_members,
            commands::team::invite_member,
            commands::team::set_member_group,
            commands::team::disable_member,
            commands::team::enable_member,
            commands::team::reset_member_password,
            commands::team::remove_member,
        ])
        .run(context)
        .expect("the Lightbox window could not be started: is a display available?");
}
