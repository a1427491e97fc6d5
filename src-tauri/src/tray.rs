//! The tray icon: status in its tooltip and first menu line, pause/resume, show, quit.

use std::sync::Arc;

use app_service::DesktopCore;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager as _};

/// Bring the main window back (tray click, second instance).
pub fn show_main(app: &AppHandle) {
    if let Some(window) = app.get_webview_window("main")
        && let Err(e) = window.show().and_then(|()| window.set_focus())
    {
        tracing::warn!(error = %e, "cannot show the window");
    }
}

/// Build the tray; its status line follows `core`'s batches.
pub fn install(app: &AppHandle, core: Option<Arc<DesktopCore>>) -> tauri::Result<()> {
    let status = MenuItem::with_id(app, "status", "Lightbox: starting", false, None::<&str>)?;
    let menu = Menu::with_items(
        app,
        &[
            &status,
            &PredefinedMenuItem::separator(app)?,
            &MenuItem::with_id(app, "show", "Show Lightbox", true, None::<&str>)?,
            &MenuItem::with_id(app, "pause", "Pause uploads", true, None::<&str>)?,
            &MenuItem::with_id(app, "resume", "Resume uploads", true, None::<&str>)?,
            &PredefinedMenuItem::separator(app)?,
            &MenuItem::with_id(app, "quit", "Quit Lightbox", true, None::<&str>)?,
        ],
    )?;
    let mut builder = TrayIconBuilder::with_id("lightbox")
        .menu(&menu)
        .tooltip("Lightbox")
        .on_menu_event(|app, event| on_menu(app, &event));
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    let tray = builder.build(app)?;
    if let Some(core) = core {
        let notify = app.clone();
        // Inside the async runtime: the core spawns (and keeps) its watcher there.
        tauri::async_runtime::block_on(async move { watch(&core, notify, tray, status) });
    }
    Ok(())
}

/// Notifications and the tray line from the core's batches.
fn watch(
    core: &Arc<DesktopCore>,
    notify: AppHandle,
    tray: tauri::tray::TrayIcon,
    status: MenuItem<tauri::Wry>,
) {
    core.watch_notices(
        move |notice| crate::notify(&notify, &notice),
        move |line| {
            if let Err(e) = tray
                .set_tooltip(Some(&line))
                .and_then(|()| status.set_text(&line))
            {
                tracing::warn!(error = %e, "cannot update the tray");
            }
        },
    );
}

fn on_menu(app: &AppHandle, event: &tauri::menu::MenuEvent) {
    let core = app.state::<crate::state::AppCore>().get().ok().cloned();
    match (event.id().as_ref(), core) {
        ("show", _) => show_main(app),
        ("pause", Some(core)) => spawn_logged(async move { core.pause().await }),
        ("resume", Some(core)) => spawn_logged(async move { core.resume().await }),
        ("quit", core) => {
            let app = app.clone();
            tauri::async_runtime::spawn(async move {
                if let Some(core) = core {
                    core.shutdown().await;
                }
                app.exit(0);
            });
        }
        _ => {}
    }
}

fn spawn_logged(
    work: impl Future<Output = Result<(), app_service::ipc::IpcError>> + Send + 'static,
) {
    tauri::async_runtime::spawn(async move {
        if let Err(e) = work.await {
            tracing::warn!(code = ?e.code, "{}", e.message);
        }
    });
}
