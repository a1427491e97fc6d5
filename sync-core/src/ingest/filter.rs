//! Which paths in a watched folder are upload candidates.
//!
//! A pure decision on the path relative to the watched folder: no file is opened.
//! The order of the checks is fixed, so the reason shown to the user is stable:
//!
//! 1. built-in ignores, outermost folder first: `CaptureOne/` folders, hidden
//!    (dot) folders; then the file name: `.syncthing.*`, `._*`, `.DS_Store`,
//!    other hidden files, `Thumbs.db`, `desktop.ini`, `*.tmp`, `*.part`,
//!    `*.crdownload`, `*~`. These cannot be switched off: they are never photos.
//! 2. the configured `exclude` globs, then the `include` globs (when any is set,
//!    a path must match one of them);
//! 3. the content type, by case-insensitive extension ([`FileKinds`]).
//!
//! Globs match the whole relative path with `/` separators, case-insensitively.
//! `*` also crosses folders (`Rejects/*` excludes everything below `Rejects/`);
//! `**` works as usual.

use std::fmt;
use std::path::{Component, Path};

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use lightbox_types::FailureCode;
use serde::{Deserialize, Serialize};

/// Image extensions accepted by [`FileKinds::Photos`] (lowercase).
pub const IMAGE_EXTENSIONS: &[&str] = &[
    "jpg", "jpeg", "png", "tif", "tiff", "heic", "heif", "webp", "avif",
];

/// Camera RAW extensions accepted by [`FileKinds::Photos`] (lowercase).
pub const RAW_EXTENSIONS: &[&str] = &[
    "cr2", "cr3", "nef", "nrw", "arw", "srf", "sr2", "dng", "raf", "orf", "rw2", "pef", "srw",
    "x3f", "iiq", "3fr",
];

/// Video extensions added by [`FileKinds::PhotosAndVideos`] (lowercase).
pub const VIDEO_EXTENSIONS: &[&str] = &["mp4", "mov", "avi", "mts", "m2ts"];

/// Suffixes of files that are still being written by a browser, a copy tool or an editor.
const TEMPORARY_SUFFIXES: &[&str] = &[".tmp", ".part", ".crdownload"];

/// Which content types are uploaded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileKinds {
    /// Images and camera RAW files (the default).
    #[default]
    Photos,
    /// Photos plus camera video clips.
    PhotosAndVideos,
    /// Every file that is not ignored, whatever its extension.
    Everything,
}

impl FileKinds {
    /// Whether a file with this lowercase extension (`None`: no extension) is wanted.
    #[must_use]
    pub fn accepts(self, extension: Option<&str>) -> bool {
        let photo = |ext: &str| IMAGE_EXTENSIONS.contains(&ext) || RAW_EXTENSIONS.contains(&ext);
        match (self, extension) {
            (Self::Everything, _) => true,
            (_, None) => false,
            (Self::Photos, Some(ext)) => photo(ext),
            (Self::PhotosAndVideos, Some(ext)) => photo(ext) || VIDEO_EXTENSIONS.contains(&ext),
        }
    }
}

/// What to pick up from a watched folder.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FilterSettings {
    /// Content types to upload.
    pub kinds: FileKinds,
    /// When not empty, only relative paths matching one of these globs are uploaded.
    pub include: Vec<String>,
    /// Relative paths matching any of these globs are never uploaded.
    pub exclude: Vec<String>,
}

/// Why a path is skipped. Shown in the UI next to the file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum IgnoreReason {
    /// A file still being downloaded or copied (`*.tmp`, `*.part`, `*.crdownload`,
    /// `*~`, `.syncthing.*`).
    TemporaryName,
    /// An operating-system or metadata sidecar (`._*`, `.DS_Store`, `Thumbs.db`, `desktop.ini`).
    SystemFile,
    /// A hidden (dot) file, or anything inside a hidden folder.
    Hidden,
    /// Inside a `CaptureOne/` folder (Capture One's cache and settings).
    CaptureOneFolder,
    /// Matched the configured exclude glob `pattern`.
    Excluded { pattern: String },
    /// Include globs are configured and none of them matches.
    NotIncluded,
}

impl fmt::Display for IgnoreReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TemporaryName => f.write_str("a temporary file still being written"),
            Self::SystemFile => f.write_str("a system or sidecar file"),
            Self::Hidden => f.write_str("hidden, or inside a hidden folder"),
            Self::CaptureOneFolder => f.write_str("inside a CaptureOne folder"),
            Self::Excluded { pattern } => write!(f, "excluded by the pattern `{pattern}`"),
            Self::NotIncluded => f.write_str("not matched by any include pattern"),
        }
    }
}

/// The filter's answer for one path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", content = "detail", rename_all = "snake_case")]
pub enum Verdict {
    /// Upload it (once it settles).
    Candidate,
    /// Skipped by name or location, with the reason.
    Ignored(IgnoreReason),
    /// Not a content type the settings ask for: the lowercase extension, `None` if it has none.
    NotAPhoto(Option<String>),
}

impl Verdict {
    /// Whether the file should go on to settle and upload.
    #[must_use]
    pub fn is_candidate(&self) -> bool {
        matches!(self, Self::Candidate)
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Candidate => f.write_str("will be uploaded"),
            Self::Ignored(reason) => write!(f, "skipped: {reason}"),
            Self::NotAPhoto(Some(ext)) => {
                write!(
                    f,
                    "skipped: .{ext} files are not uploaded with the current file types"
                )
            }
            Self::NotAPhoto(None) => f.write_str("skipped: the file has no extension"),
        }
    }
}

/// The filter settings were invalid.
#[derive(Debug, thiserror::Error)]
pub enum FilterError {
    #[error(
        "the {setting} pattern `{pattern}` is not a valid glob ({source}): fix it in the folder \
         filter settings, for example `**/*.jpg` or `Rejects/**`"
    )]
    InvalidGlob {
        /// `"include"` or `"exclude"`.
        setting: &'static str,
        pattern: String,
        #[source]
        source: globset::Error,
    },
}

impl FilterError {
    /// A stable code for logs, the catalog and the UI.
    #[must_use]
    pub fn code(&self) -> FailureCode {
        match self {
            Self::InvalidGlob { .. } => FailureCode::IngestInvalidGlob,
        }
    }
}

/// Compiled [`FilterSettings`]: decides for each relative path.
#[derive(Debug, Clone)]
pub struct Filter {
    kinds: FileKinds,
    include: Option<GlobSet>,
    exclude: GlobSet,
    exclude_patterns: Vec<String>,
}

impl Filter {
    /// Compile the globs. Fails on the first invalid pattern, naming it.
    pub fn new(settings: &FilterSettings) -> Result<Self, FilterError> {
        let include = if settings.include.is_empty() {
            None
        } else {
            Some(compile("include", &settings.include)?)
        };
        Ok(Self {
            kinds: settings.kinds,
            include,
            exclude: compile("exclude", &settings.exclude)?,
            exclude_patterns: settings.exclude.clone(),
        })
    }

    /// Decide for `relative`, a path relative to the watched folder.
    /// Root, `.` and `..` components are not names and are skipped.
    #[must_use]
    pub fn verdict(&self, relative: &Path) -> Verdict {
        let names: Vec<String> = relative
            .components()
            .filter_map(|c| match c {
                Component::Normal(name) => Some(name.to_string_lossy().into_owned()),
                _ => None,
            })
            .collect();
        let Some((file_name, folders)) = names.split_last() else {
            // The watched folder itself: not a file.
            return Verdict::NotAPhoto(None);
        };
        let builtin = folders.iter().find_map(|f| folder_ignore(f));
        if let Some(reason) = builtin.or_else(|| name_ignore(file_name)) {
            return Verdict::Ignored(reason);
        }
        // Globs see the normalized path: `/` separators, no `./`.
        let joined = names.join("/");
        if let Some(index) = self.exclude.matches(&joined).first() {
            let pattern = self
                .exclude_patterns
                .get(*index)
                .cloned()
                .unwrap_or_default();
            return Verdict::Ignored(IgnoreReason::Excluded { pattern });
        }
        if self
            .include
            .as_ref()
            .is_some_and(|include| !include.is_match(&joined))
        {
            return Verdict::Ignored(IgnoreReason::NotIncluded);
        }
        let extension = extension_of(file_name);
        if self.kinds.accepts(extension.as_deref()) {
            Verdict::Candidate
        } else {
            Verdict::NotAPhoto(extension)
        }
    }
}

fn compile(setting: &'static str, patterns: &[String]) -> Result<GlobSet, FilterError> {
    let invalid = |pattern: &str, source| FilterError::InvalidGlob {
        setting,
        pattern: pattern.to_owned(),
        source,
    };
    let mut builder = GlobSetBuilder::new();
    for pattern in patterns {
        let glob = GlobBuilder::new(pattern)
            .case_insensitive(true)
            .backslash_escape(true)
            .build()
            .map_err(|e| invalid(pattern, e))?;
        builder.add(glob);
    }
    builder
        .build()
        .map_err(|e| invalid(&patterns.join(", "), e))
}

fn folder_ignore(folder: &str) -> Option<IgnoreReason> {
    if folder.eq_ignore_ascii_case("CaptureOne") {
        Some(IgnoreReason::CaptureOneFolder)
    } else if folder.starts_with('.') {
        Some(IgnoreReason::Hidden)
    } else {
        None
    }
}

fn name_ignore(name: &str) -> Option<IgnoreReason> {
    let lower = name.to_lowercase();
    if lower.starts_with(".syncthing.") {
        Some(IgnoreReason::TemporaryName)
    } else if lower.starts_with("._") || lower == ".ds_store" {
        Some(IgnoreReason::SystemFile)
    } else if lower.starts_with('.') {
        Some(IgnoreReason::Hidden)
    } else if lower == "thumbs.db" || lower == "desktop.ini" {
        Some(IgnoreReason::SystemFile)
    } else if lower.ends_with('~') || TEMPORARY_SUFFIXES.iter().any(|s| lower.ends_with(s)) {
        Some(IgnoreReason::TemporaryName)
    } else {
        None
    }
}

/// The lowercase extension after the last dot; `None` when there is none or it is empty.
fn extension_of(file_name: &str) -> Option<String> {
    Path::new(file_name)
        .extension()
        .map(|ext| ext.to_string_lossy().to_lowercase())
        .filter(|ext| !ext.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(settings: &FilterSettings) -> Filter {
        Filter::new(settings).expect("test settings are valid")
    }

    fn ignored(reason: IgnoreReason) -> Verdict {
        Verdict::Ignored(reason)
    }

    fn not_a_photo(ext: &str) -> Verdict {
        Verdict::NotAPhoto(Some(ext.to_owned()))
    }

    #[test]
    fn default_settings_table() {
        use IgnoreReason::{CaptureOneFolder, Hidden, SystemFile, TemporaryName};
        let f = filter(&FilterSettings::default());
        let cases: &[(&str, Verdict)] = &[
            ("IMG_0001.JPG", Verdict::Candidate),
            ("shoot/IMG_0001.jpeg", Verdict::Candidate),
            ("a/b/c/DSC_1234.NEF", Verdict::Candidate),
            ("R5/IMG_1.CR3", Verdict::Candidate),
            ("scan.Tiff", Verdict::Candidate),
            ("phone/IMG_1.HEIC", Verdict::Candidate),
            ("P1.iiq", Verdict::Candidate),
            ("H6D.3FR", Verdict::Candidate),
            ("IMG_0001.jpg.tmp", ignored(TemporaryName)),
            ("IMG_0001.JPG.PART", ignored(TemporaryName)),
            ("dl/photo.jpg.crdownload", ignored(TemporaryName)),
            ("IMG_0001.jpg~", ignored(TemporaryName)),
            (".syncthing.IMG_1.jpg.tmp", ignored(TemporaryName)),
            ("._IMG_0001.jpg", ignored(SystemFile)),
            (".DS_Store", ignored(SystemFile)),
            ("shoot/Thumbs.db", ignored(SystemFile)),
            ("shoot/THUMBS.DB", ignored(SystemFile)),
            ("desktop.ini", ignored(SystemFile)),
            (".hidden.jpg", ignored(Hidden)),
            (".cache/IMG_1.jpg", ignored(Hidden)),
            ("shoot/.thumbs/IMG_1.jpg", ignored(Hidden)),
            ("CaptureOne/Cache/IMG_1.jpg", ignored(CaptureOneFolder)),
            (
                "session/captureone/Settings/IMG_1.cos",
                ignored(CaptureOneFolder),
            ),
            // A file merely named like the folder is not inside it.
            ("CaptureOne.jpg", Verdict::Candidate),
            // The outermost folder gives the reason.
            (".trash/CaptureOne/x.jpg", ignored(Hidden)),
            ("clip.MP4", not_a_photo("mp4")),
            ("notes.txt", not_a_photo("txt")),
            ("IMG_1.xmp", not_a_photo("xmp")),
            ("README", Verdict::NotAPhoto(None)),
            ("trailing.", Verdict::NotAPhoto(None)),
            ("./IMG_1.jpg", Verdict::Candidate),
            ("", Verdict::NotAPhoto(None)),
        ];
        for (path, want) in cases {
            assert_eq!(
                &f.verdict(Path::new(path)),
                want,
                "default filter on {path:?}"
            );
        }
    }

    #[test]
    fn file_kinds_table() {
        let cases: &[(FileKinds, &str, bool)] = &[
            (FileKinds::Photos, "a.jpg", true),
            (FileKinds::Photos, "a.dng", true),
            (FileKinds::Photos, "a.mov", false),
            (FileKinds::PhotosAndVideos, "a.MOV", true),
            (FileKinds::PhotosAndVideos, "a.m2ts", true),
            (FileKinds::PhotosAndVideos, "a.arw", true),
            (FileKinds::PhotosAndVideos, "a.txt", false),
            (FileKinds::Everything, "a.txt", true),
            (FileKinds::Everything, "Makefile", true),
            // "Everything" still skips what is never a finished file.
            (FileKinds::Everything, "a.txt.part", false),
            (FileKinds::Everything, ".DS_Store", false),
        ];
        for (kinds, path, want) in cases {
            let f = filter(&FilterSettings {
                kinds: *kinds,
                ..FilterSettings::default()
            });
            assert_eq!(
                f.verdict(Path::new(path)).is_candidate(),
                *want,
                "{kinds:?} on {path:?}"
            );
        }
    }

    #[test]
    fn include_and_exclude_globs_table() {
        let f = filter(&FilterSettings {
            include: vec!["Studio A/**".to_owned(), "*.raf".to_owned()],
            exclude: vec!["**/rejects/**".to_owned(), "*_proof.jpg".to_owned()],
            ..FilterSettings::default()
        });
        let excluded = |p: &str| {
            ignored(IgnoreReason::Excluded {
                pattern: p.to_owned(),
            })
        };
        let cases: &[(&str, Verdict)] = &[
            ("Studio A/IMG_1.jpg", Verdict::Candidate),
            ("studio a/day1/IMG_1.JPG", Verdict::Candidate),
            ("Studio B/IMG_1.jpg", ignored(IgnoreReason::NotIncluded)),
            ("Studio B/X100.RAF", Verdict::Candidate),
            ("Studio A/Rejects/IMG_2.jpg", excluded("**/rejects/**")),
            ("Studio A/IMG_3_proof.jpg", excluded("*_proof.jpg")),
            // Built-in ignores come before the globs.
            (
                "Studio A/IMG_1.jpg.tmp",
                ignored(IgnoreReason::TemporaryName),
            ),
            ("Studio A/notes.txt", not_a_photo("txt")),
            ("./Studio A/IMG_4.jpg", Verdict::Candidate),
        ];
        for (path, want) in cases {
            assert_eq!(&f.verdict(Path::new(path)), want, "globs on {path:?}");
        }
    }

    #[test]
    fn invalid_glob_names_the_pattern_and_setting() {
        let err = Filter::new(&FilterSettings {
            exclude: vec!["ok/**".to_owned(), "bad[".to_owned()],
            ..FilterSettings::default()
        })
        .expect_err("an unclosed class is invalid");
        let text = err.to_string();
        assert!(
            text.contains("`bad[`") && text.contains("exclude"),
            "{text}"
        );
        assert_eq!(err.code(), FailureCode::IngestInvalidGlob);
    }

    #[test]
    fn settings_deserialize_with_defaults_and_reject_unknown_fields() {
        let s: FilterSettings =
            serde_json::from_str(r#"{"kinds":"photos-and-videos"}"#).expect("valid settings");
        assert_eq!(s.kinds, FileKinds::PhotosAndVideos);
        assert!(
            s.include.is_empty() && s.exclude.is_empty(),
            "lists default to empty"
        );
        let err = serde_json::from_str::<FilterSettings>(r#"{"exclud":["x"]}"#)
            .expect_err("a typo must not be silently ignored");
        assert!(err.to_string().contains("exclud"), "{err}");
    }

    #[test]
    fn verdict_serializes_for_the_ui() {
        let v = Verdict::Ignored(IgnoreReason::Excluded {
            pattern: "*.x".to_owned(),
        });
        let json = serde_json::to_string(&v).expect("serializable");
        assert_eq!(
            json, r#"{"verdict":"ignored","detail":{"reason":"excluded","pattern":"*.x"}}"#,
            "the UI switches on `verdict` and `reason`"
        );
        assert_eq!(v.to_string(), "skipped: excluded by the pattern `*.x`");
    }
}
