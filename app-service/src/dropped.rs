//! The paths dropped on the window, as the OS handed them to Rust (the window's `DragDrop`
//! event in `src-tauri`, passed to [`crate::DesktopCore::files_dropped`]). `import_paths` takes
//! only paths remembered here, each once: a webview that names any other path gets a refusal,
//! so a script in the page cannot make the app read a file the user never dropped.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

#[derive(Debug, Default)]
pub struct DroppedPaths {
    paths: Mutex<HashSet<PathBuf>>,
}

impl DroppedPaths {
    /// Remember the paths of one drop (added to any not yet imported).
    pub fn remember(&self, dropped: impl IntoIterator<Item = PathBuf>) {
        self.paths
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend(dropped);
    }

    /// Whether `path` was dropped and not imported yet; forgets it when it was.
    pub fn take(&self, path: &Path) -> bool {
        self.paths
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_dropped_path_is_taken_and_only_once() {
        let dropped = DroppedPaths::default();
        dropped.remember([PathBuf::from("/photos/a.jpg")]);
        assert!(
            !dropped.take(Path::new("/home/me/.ssh/id_ed25519")),
            "never dropped"
        );
        assert!(dropped.take(Path::new("/photos/a.jpg")), "dropped");
        assert!(!dropped.take(Path::new("/photos/a.jpg")), "taken once");
    }
}
