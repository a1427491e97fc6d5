//! Where the refresh token lives between runs: the OS keyring (`keyring` crate:
//! Secret Service on Linux, Keychain on macOS, Credential Manager on Windows), or,
//! where no keyring service exists (servers, CI), a mode-0600 file in the state
//! directory. `lightbox whoami` says which.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::secret::Secret;

const SERVICE: &str = "lightbox";

/// Which store to use (`auth.refresh_token_store`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StoreChoice {
    /// The keyring when one answers, else the file.
    #[default]
    Auto,
    Keyring,
    File,
}

/// Where the token was found or put.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "path")]
pub enum StoreLocation {
    Keyring,
    File(PathBuf),
}

impl std::fmt::Display for StoreLocation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Keyring => f.write_str("the OS keyring (service \"lightbox\")"),
            Self::File(p) => write!(
                f,
                "the file {} (mode 0600; no keyring service here)",
                p.display()
            ),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RefreshStoreError {
    #[error(
        "the OS keyring refused the refresh token ({0}): unlock the keyring, or set auth.refresh_token_store = \"file\""
    )]
    Keyring(String),
    #[error(
        "the refresh token file {path} could not be {action} ({source}): check the state directory's permissions"
    )]
    File {
        path: PathBuf,
        action: &'static str,
        #[source]
        source: std::io::Error,
    },
    #[error("the keyring worker stopped ({0}); try again")]
    Worker(String),
    /// The token file is readable by others, or someone else owns it: not used.
    #[error(
        "the refresh token file {path} {problem}, so it was not used; delete it and sign in again \
         (`lightbox login`), or fix it with `chown $USER {path}` and `chmod 600 {path}`"
    )]
    Unsafe { path: PathBuf, problem: String },
}

/// The refresh token of the user signed in to one app client.
#[derive(Debug, Clone)]
pub struct RefreshStore {
    choice: StoreChoice,
    /// Keyring account: the app client id, so two pools do not collide.
    account: String,
    file: PathBuf,
}

impl RefreshStore {
    #[must_use]
    pub fn new(choice: StoreChoice, state_dir: &Path, client_id: &str) -> Self {
        Self {
            choice,
            account: client_id.to_owned(),
            file: state_dir
                .join("auth")
                .join(format!("refresh-token-{client_id}")),
        }
    }

    /// Keep `token`; returns where it went. A stale copy in the other store is removed.
    pub async fn save(&self, token: &Secret) -> Result<StoreLocation, RefreshStoreError> {
        if self.use_keyring().await {
            let account = self.account.clone();
            let token = token.clone();
            blocking(move || {
                keyring::Entry::new(SERVICE, &account)
                    .and_then(|e| e.set_password(token.expose()))
                    .map_err(|e| RefreshStoreError::Keyring(e.to_string()))
            })
            .await??;
            remove_file(&self.file)?;
            return Ok(StoreLocation::Keyring);
        }
        write_private(&self.file, token.expose())?;
        Ok(StoreLocation::File(self.file.clone()))
    }

    /// The kept token and where it was, or `None` when signed out.
    pub async fn load(&self) -> Result<Option<(Secret, StoreLocation)>, RefreshStoreError> {
        if self.use_keyring().await {
            let account = self.account.clone();
            let found = blocking(move || {
                match keyring::Entry::new(SERVICE, &account).and_then(|e| e.get_password()) {
                    Ok(t) => Ok(Some(Secret::new(t))),
                    Err(keyring::Error::NoEntry) => Ok(None),
                    Err(e) => Err(RefreshStoreError::Keyring(e.to_string())),
                }
            })
            .await??;
            if let Some(t) = found {
                return Ok(Some((t, StoreLocation::Keyring)));
            }
        }
        match read_private(&self.file) {
            Ok(text) => Ok(Some((
                Secret::new(text.trim().to_owned()),
                StoreLocation::File(self.file.clone()),
            ))),
            Err(ReadError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(ReadError::Io(source)) => Err(RefreshStoreError::File {
                path: self.file.clone(),
                action: "read",
                source,
            }),
            Err(ReadError::Unsafe(problem)) => Err(RefreshStoreError::Unsafe {
                path: self.file.clone(),
                problem,
            }),
        }
    }

    /// Forget the token in both stores.
    pub async fn delete(&self) -> Result<(), RefreshStoreError> {
        if self.use_keyring().await {
            let account = self.account.clone();
            blocking(move || {
                match keyring::Entry::new(SERVICE, &account).and_then(|e| e.delete_credential()) {
                    Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
                    Err(e) => Err(RefreshStoreError::Keyring(e.to_string())),
                }
            })
            .await??;
        }
        remove_file(&self.file)
    }

    /// Whether to use the keyring: as configured, or in `auto` when one answers.
    async fn use_keyring(&self) -> bool {
        match self.choice {
            StoreChoice::Keyring => true,
            StoreChoice::File => false,
            StoreChoice::Auto => {
                let account = self.account.clone();
                blocking(move || keyring_answers(&account))
                    .await
                    .unwrap_or(false)
            }
        }
    }
}

/// A keyring service exists when a lookup either finds the entry or says it has none;
/// a platform failure (no D-Bus session, no Secret Service) means there is none.
fn keyring_answers(account: &str) -> bool {
    match keyring::Entry::new(SERVICE, account).and_then(|e| e.get_password()) {
        Ok(_) | Err(keyring::Error::NoEntry) => true,
        Err(e) => {
            tracing::debug!(error = %e, "no usable OS keyring; the refresh token goes in a file");
            false
        }
    }
}

/// Keyring calls block (D-Bus round trips): keep them off the async workers.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, RefreshStoreError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| RefreshStoreError::Worker(e.to_string()))
}

/// Write `text` to `path` through a fresh temporary file in the same folder: a random name
/// created with `O_CREAT|O_EXCL` (never follows a link, never reuses a file) and mode 0600 from
/// the start (the `tempfile` crate), renamed over `path`. The folder is created 0700.
fn write_private(path: &Path, text: &str) -> Result<(), RefreshStoreError> {
    use std::io::Write as _;
    let err = |action, source| RefreshStoreError::File {
        path: path.to_path_buf(),
        action,
        source,
    };
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    crate::private_fs::create_dir_all(dir).map_err(|e| err("created", e))?;
    let mut file = tempfile::Builder::new()
        .prefix(".refresh-token.")
        .tempfile_in(dir)
        .map_err(|e| err("written", e))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.as_file().sync_all())
        .map_err(|e| err("written", e))?;
    file.persist(path).map_err(|e| err("written", e.error))?;
    Ok(())
}

enum ReadError {
    Io(std::io::Error),
    Unsafe(String),
}

/// Read the token file, refusing a link, a file others may read or write, and a file another
/// user owns (opened with `O_NOFOLLOW`, checked on the open file).
fn read_private(path: &Path) -> Result<String, ReadError> {
    use std::io::Read as _;
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(
        &mut options,
        rustix::fs::OFlags::NOFOLLOW.bits().cast_signed(),
    );
    let mut file = options.open(path).map_err(|e| {
        if is_link_refused(&e) {
            ReadError::Unsafe("is a symbolic link".to_owned())
        } else {
            ReadError::Io(e)
        }
    })?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt as _;
        let meta = file.metadata().map_err(ReadError::Io)?;
        if let Some(problem) =
            unsafe_file(meta.mode(), meta.uid(), rustix::process::getuid().as_raw())
        {
            return Err(ReadError::Unsafe(problem));
        }
    }
    let mut text = String::new();
    file.read_to_string(&mut text).map_err(ReadError::Io)?;
    Ok(text)
}

/// `O_NOFOLLOW` met a symbolic link (`ELOOP`).
#[cfg(unix)]
fn is_link_refused(e: &std::io::Error) -> bool {
    e.raw_os_error() == Some(rustix::io::Errno::LOOP.raw_os_error())
}

#[cfg(not(unix))]
fn is_link_refused(_e: &std::io::Error) -> bool {
    false
}

/// What is wrong with a token file of `mode` owned by `owner`, read by `me` (pure).
#[cfg(unix)]
fn unsafe_file(mode: u32, owner: u32, me: u32) -> Option<String> {
    if owner != me {
        return Some(format!("belongs to another user (uid {owner})"));
    }
    if mode & 0o077 != 0 {
        return Some(format!(
            "may be read or written by others (mode {:o})",
            mode & 0o777
        ));
    }
    None
}

fn remove_file(path: &Path) -> Result<(), RefreshStoreError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(source) => Err(RefreshStoreError::File {
            path: path.to_path_buf(),
            action: "removed",
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_token_file_others_may_read_or_another_user_owns_is_refused() {
        assert_eq!(unsafe_file(0o100_600, 1000, 1000), None);
        assert!(unsafe_file(0o100_644, 1000, 1000).is_some_and(|p| p.contains("644")));
        assert!(unsafe_file(0o100_660, 1000, 1000).is_some());
        assert!(unsafe_file(0o100_600, 0, 1000).is_some_and(|p| p.contains("another user")));
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn load_refuses_a_readable_or_linked_token_file_and_says_how_to_fix_it() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().expect("tempdir");
        let store = RefreshStore::new(StoreChoice::File, dir.path(), "client1");
        let at = store.save(&Secret::new("rt-1".into())).await.expect("save");
        let StoreLocation::File(path) = at else {
            panic!("file chosen")
        };
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        let err = store
            .load()
            .await
            .expect_err("group/world-readable is refused");
        assert!(err.to_string().contains("chmod 600"), "{err}");
        std::fs::remove_file(&path).expect("rm");
        let elsewhere = dir.path().join("elsewhere");
        std::fs::write(&elsewhere, "rt-planted").expect("write");
        std::fs::set_permissions(&elsewhere, std::fs::Permissions::from_mode(0o600))
            .expect("chmod");
        std::os::unix::fs::symlink(&elsewhere, &path).expect("symlink");
        let err = store.load().await.expect_err("a link is refused");
        assert!(err.to_string().contains("symbolic link"), "{err}");
        // Saving replaces the link with a file; the link's target is untouched.
        store.save(&Secret::new("rt-2".into())).await.expect("save");
        assert_eq!(
            std::fs::read_to_string(&elsewhere).expect("read"),
            "rt-planted"
        );
        assert!(
            !std::fs::symlink_metadata(&path)
                .expect("stat")
                .file_type()
                .is_symlink()
        );
        let auth_dir = path.parent().expect("dir");
        let mode = std::fs::metadata(auth_dir)
            .expect("stat")
            .permissions()
            .mode()
            & 0o777;
        assert_eq!(mode, 0o700, "the auth folder is private");
    }

    #[tokio::test]
    async fn file_store_round_trips_with_mode_0600() {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = RefreshStore::new(StoreChoice::File, dir.path(), "client1");
        assert!(
            store.load().await.expect("load").is_none(),
            "nothing kept yet"
        );
        let at = store
            .save(&Secret::new("rt-123".into()))
            .await
            .expect("save");
        let StoreLocation::File(path) = &at else {
            panic!("file was chosen: {at:?}")
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(path).expect("stat").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "only the owner may read the token");
        }
        let (token, from) = store.load().await.expect("load").expect("kept");
        assert_eq!(token.expose(), "rt-123");
        assert_eq!(from, at, "found where it was put");
        store.delete().await.expect("delete");
        assert!(
            store.load().await.expect("load").is_none(),
            "gone after delete"
        );
    }
}
