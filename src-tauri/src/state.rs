//! The app's state: the desktop core, or why it could not be made (a broken config), which
//! every command then reports instead of the window staying blank.

use std::sync::Arc;

use app_service::DesktopCore;
use app_service::ipc::IpcError;

pub struct AppCore(Result<Arc<DesktopCore>, IpcError>);

impl AppCore {
    /// The core for the config in `LIGHTBOX_CONFIG` (else the platform file).
    pub fn load() -> Self {
        Self(DesktopCore::new(None).map(Arc::new))
    }

    /// The core, or the config error for the UI to show.
    pub fn get(&self) -> Result<&Arc<DesktopCore>, IpcError> {
        self.0.as_ref().map_err(Clone::clone)
    }
}
