//! The Settings screen over the config file: what it shows ([`settings_view`]), how a change
//! applies to the typed config ([`apply_settings`], pure and validated), and the edit of the
//! TOML file in place ([`write_settings`]), which keeps the file's comments and every setting
//! the screen does not show.

use std::path::Path;

use toml_edit::{DocumentMut, Item, Table, value};

use crate::ipc::{ErrorCode, IpcError, KeyDate, SettingsView};
use sync_core::config::Config;
use sync_core::ingest::filter::{FileKinds, IMAGE_EXTENSIONS, RAW_EXTENSIONS, VIDEO_EXTENSIONS};
use sync_core::plan::settings::DateSource;

/// What `fileTypes` shows when every file is uploaded, whatever its extension.
pub const EVERY_TYPE: &str = "*";

/// The Settings screen's view of `config`.
#[must_use]
pub fn settings_view(config: &Config) -> SettingsView {
    SettingsView {
        key_date: match config.ingest.plan.date_source {
            DateSource::CaptureDate => KeyDate::Capture,
            DateSource::UploadDate => KeyDate::Upload,
        },
        time_zone: config.ingest.plan.time_zone.clone().unwrap_or_default(),
        file_types: file_types(config),
        settle_secs: config.ingest.settle.base_ms.div_ceil(1000),
        concurrency: u64::try_from(config.upload.concurrency).unwrap_or(u64::MAX),
        bandwidth_limit_mib_per_sec: config.upload.bandwidth_limit_mib_per_sec.filter(|l| *l > 0),
        autostart: config.desktop.autostart,
        notify_on_batch: config.desktop.notify_on_batch,
        notify_on_failure: config.desktop.notify_on_failure,
    }
}

fn kind_extensions(kinds: FileKinds) -> Vec<String> {
    let mut all: Vec<&str> = match kinds {
        FileKinds::Everything => return vec![EVERY_TYPE.to_owned()],
        FileKinds::Photos => [IMAGE_EXTENSIONS, RAW_EXTENSIONS].concat(),
        FileKinds::PhotosAndVideos => [IMAGE_EXTENSIONS, RAW_EXTENSIONS, VIDEO_EXTENSIONS].concat(),
    };
    all.sort_unstable();
    all.into_iter().map(str::to_owned).collect()
}

/// The extensions uploaded: from `include = ["*.ext", ...]` when set, else the kinds' list.
fn file_types(config: &Config) -> Vec<String> {
    let filter = &config.ingest.filter;
    let from_globs: Vec<String> = filter
        .include
        .iter()
        .filter_map(|g| g.strip_prefix("*.").map(str::to_ascii_lowercase))
        .collect();
    if from_globs.is_empty() {
        kind_extensions(filter.kinds)
    } else {
        from_globs
    }
}

fn bad(message: impl Into<String>) -> IpcError {
    IpcError::new(ErrorCode::BadInput, message)
}

/// Normalized extensions (lower case, no dot), or what is wrong with one.
fn clean_types(types: &[String]) -> Result<Vec<String>, IpcError> {
    let mut out: Vec<String> = Vec::new();
    for raw in types {
        let ext = raw.trim().trim_start_matches("*.").trim_start_matches('.');
        let ext = ext.to_ascii_lowercase();
        if ext == EVERY_TYPE {
            return Ok(vec![EVERY_TYPE.to_owned()]);
        }
        if ext.is_empty() || ext.len() > 10 || !ext.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(bad(format!(
                "{raw:?} is not a file type: use an extension like jpg or cr3, or * for every file"
            )));
        }
        if !out.contains(&ext) {
            out.push(ext);
        }
    }
    if out.is_empty() {
        return Err(bad(
            "choose at least one file type (for example jpg), or * for every file",
        ));
    }
    out.sort_unstable();
    Ok(out)
}

/// `config` with the screen's values applied (pure). Checks each value first.
///
/// # Errors
/// `bad_input` naming the value and what to enter instead.
pub fn apply_settings(config: &Config, view: &SettingsView) -> Result<Config, IpcError> {
    let mut next = config.clone();
    let plan = &mut next.ingest.plan;
    plan.date_source = match view.key_date {
        KeyDate::Capture => DateSource::CaptureDate,
        KeyDate::Upload => DateSource::UploadDate,
    };
    plan.time_zone = Some(view.time_zone.trim().to_owned()).filter(|z| !z.is_empty());
    plan.time_zone().map_err(|e| bad(e.to_string()))?;

    let types = clean_types(&view.file_types)?;
    let filter = &mut next.ingest.filter;
    let matching_kind = [
        FileKinds::Photos,
        FileKinds::PhotosAndVideos,
        FileKinds::Everything,
    ]
    .into_iter()
    .find(|k| kind_extensions(*k) == types);
    if let Some(kinds) = matching_kind {
        filter.kinds = kinds;
        filter.include.clear();
    } else {
        filter.kinds = FileKinds::Everything;
        filter.include = types.iter().map(|t| format!("*.{t}")).collect();
    }

    if view.settle_secs == 0 || view.settle_secs > 3600 {
        return Err(bad(
            "the settle window must be between 1 and 3600 seconds (2 suits most cameras)",
        ));
    }
    let settle = &mut next.ingest.settle;
    settle.base_ms = view.settle_secs * 1000;
    settle.max_ms = settle.max_ms.max(settle.base_ms);

    if !(1..=64).contains(&view.concurrency) {
        return Err(bad("concurrency must be between 1 and 64 files at once"));
    }
    next.upload.concurrency = usize::try_from(view.concurrency).unwrap_or(64);
    next.upload.bandwidth_limit_mib_per_sec = view.bandwidth_limit_mib_per_sec.filter(|l| *l > 0);
    next.desktop.autostart = view.autostart;
    next.desktop.notify_on_batch = view.notify_on_batch;
    next.desktop.notify_on_failure = view.notify_on_failure;
    Ok(next)
}

/// Whether going from `old` to `new` needs the engine restarted (everything but the bandwidth
/// limit and the desktop preferences is read when the engine starts).
#[must_use]
pub fn needs_engine_restart(old: &Config, new: &Config) -> bool {
    let mut upload = new.upload.clone();
    upload.bandwidth_limit_mib_per_sec = old.upload.bandwidth_limit_mib_per_sec;
    old.ingest != new.ingest || old.upload != upload
}

/// Write what the screen owns from `config` into the TOML file at `path` (created if missing),
/// keeping everything else in the file as it was.
///
/// # Errors
/// `config` when the file cannot be read, parsed or written.
pub fn write_settings(path: &Path, config: &Config) -> Result<(), IpcError> {
    let failed = |what: &str, e: &dyn std::fmt::Display| {
        IpcError::new(
            ErrorCode::Config,
            format!(
                "cannot {what} the config file {} ({e}); check its permissions and syntax",
                path.display()
            ),
        )
    };
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(failed("read", &e)),
    };
    let mut doc: DocumentMut = text.parse().map_err(|e| failed("parse", &e))?;
    let plan = &config.ingest.plan;
    let date_source = match plan.date_source {
        DateSource::CaptureDate => "capture-date",
        DateSource::UploadDate => "upload-date",
    };
    set(
        &mut doc,
        &["ingest", "plan", "date_source"],
        Some(value(date_source)),
    );
    set(
        &mut doc,
        &["ingest", "plan", "time_zone"],
        plan.time_zone.as_deref().map(value),
    );
    let filter = &config.ingest.filter;
    let kinds = match filter.kinds {
        FileKinds::Photos => "photos",
        FileKinds::PhotosAndVideos => "photos-and-videos",
        FileKinds::Everything => "everything",
    };
    set(&mut doc, &["ingest", "filter", "kinds"], Some(value(kinds)));
    let include: toml_edit::Array = filter.include.iter().map(String::as_str).collect();
    set(
        &mut doc,
        &["ingest", "filter", "include"],
        Some(value(include)),
    );
    let settle = &config.ingest.settle;
    set(
        &mut doc,
        &["ingest", "settle", "base_ms"],
        Some(int(settle.base_ms)),
    );
    set(
        &mut doc,
        &["ingest", "settle", "max_ms"],
        Some(int(settle.max_ms)),
    );
    let upload = &config.upload;
    set(
        &mut doc,
        &["upload", "concurrency"],
        Some(int(u64::try_from(upload.concurrency).unwrap_or(64))),
    );
    set(
        &mut doc,
        &["upload", "bandwidth_limit_mib_per_sec"],
        upload.bandwidth_limit_mib_per_sec.map(int),
    );
    let desktop = &config.desktop;
    set(
        &mut doc,
        &["desktop", "autostart"],
        Some(value(desktop.autostart)),
    );
    set(
        &mut doc,
        &["desktop", "notify_on_batch"],
        Some(value(desktop.notify_on_batch)),
    );
    set(
        &mut doc,
        &["desktop", "notify_on_failure"],
        Some(value(desktop.notify_on_failure)),
    );
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| failed("create the folder of", &e))?;
    }
    // Written beside and renamed, so a crash never leaves half a config.
    let partial = path.with_extension("toml.part");
    std::fs::write(&partial, doc.to_string()).map_err(|e| failed("write", &e))?;
    std::fs::rename(&partial, path).map_err(|e| failed("replace", &e))
}

fn int(n: u64) -> Item {
    value(i64::try_from(n).unwrap_or(i64::MAX))
}

/// Set (or with `None` remove) `path` in `doc`, creating tables on the way.
fn set(doc: &mut DocumentMut, path: &[&str], item: Option<Item>) {
    let Some((last, tables)) = path.split_last() else {
        return;
    };
    let mut table: &mut Table = doc.as_table_mut();
    for name in tables {
        let entry = table.entry(name).or_insert_with(|| {
            let mut t = Table::new();
            t.set_implicit(true);
            Item::Table(t)
        });
        let Some(next) = entry.as_table_mut() else {
            return;
        };
        table = next;
    }
    match item {
        Some(item) => {
            table.insert(last, item);
        }
        None => {
            table.remove(last);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(config: &Config) -> SettingsView {
        settings_view(config)
    }

    #[test]
    fn the_defaults_show_photos_upload_date_and_no_limit() {
        let shown = view(&Config::default());
        assert_eq!(shown.key_date, KeyDate::Upload);
        assert!(
            shown.file_types.contains(&"cr3".to_owned()),
            "RAW is a photo"
        );
        assert!(
            !shown.file_types.contains(&"mp4".to_owned()),
            "videos are off"
        );
        assert_eq!(shown.settle_secs, 2);
        assert_eq!(shown.bandwidth_limit_mib_per_sec, None);
    }

    #[test]
    fn a_custom_type_list_becomes_include_globs_and_reads_back() {
        let mut shown = view(&Config::default());
        shown.file_types = vec![".JPG".into(), "cr3".into(), "jpg".into()];
        let next = apply_settings(&Config::default(), &shown).expect("valid");
        assert_eq!(next.ingest.filter.kinds, FileKinds::Everything);
        assert_eq!(next.ingest.filter.include, ["*.cr3", "*.jpg"]);
        assert_eq!(
            view(&next).file_types,
            ["cr3", "jpg"],
            "reads back as typed, deduplicated"
        );
        shown.file_types = kind_extensions(FileKinds::PhotosAndVideos);
        let kinds = apply_settings(&next, &shown).expect("valid");
        assert_eq!(kinds.ingest.filter.kinds, FileKinds::PhotosAndVideos);
        assert!(
            kinds.ingest.filter.include.is_empty(),
            "a whole kind needs no globs"
        );
    }

    #[test]
    fn bad_values_are_refused_with_what_to_enter() {
        let base = view(&Config::default());
        type Change = Box<dyn Fn(&mut SettingsView)>;
        let cases: [(&str, Change); 5] = [
            (
                "time zone",
                Box::new(|v| v.time_zone = "Mars/Olympus".into()),
            ),
            (
                "file type",
                Box::new(|v| v.file_types = vec!["j pg".into()]),
            ),
            ("no file type", Box::new(|v| v.file_types.clear())),
            ("settle", Box::new(|v| v.settle_secs = 0)),
            ("concurrency", Box::new(|v| v.concurrency = 0)),
        ];
        for (what, change) in cases {
            let mut bad_view = base.clone();
            change(&mut bad_view);
            let err = apply_settings(&Config::default(), &bad_view).expect_err(what);
            assert_eq!(err.code, ErrorCode::BadInput, "{what}: {}", err.message);
        }
    }

    #[test]
    fn only_the_bandwidth_and_desktop_preferences_apply_without_a_restart() {
        let old = Config::default();
        let mut shown = view(&old);
        shown.bandwidth_limit_mib_per_sec = Some(4);
        shown.notify_on_batch = false;
        let live = apply_settings(&old, &shown).expect("valid");
        assert!(!needs_engine_restart(&old, &live));
        shown.concurrency = 2;
        let restart = apply_settings(&old, &shown).expect("valid");
        assert!(needs_engine_restart(&old, &restart));
    }

    #[test]
    fn writing_keeps_comments_and_other_settings_and_reads_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("config.toml");
        std::fs::write(
            &path,
            "# the studio's bucket\n[storage]\nbucket = \"photos\"\n\n[upload]\n# two at once\nconcurrency = 2\n",
        )
        .expect("write");
        let old = Config::load(Some(&path)).expect("loads").config;
        let mut shown = view(&old);
        shown.key_date = KeyDate::Capture;
        shown.time_zone = "Europe/Berlin".into();
        shown.concurrency = 6;
        shown.bandwidth_limit_mib_per_sec = Some(8);
        shown.autostart = true;
        let next = apply_settings(&old, &shown).expect("valid");
        write_settings(&path, &next).expect("written");

        let text = std::fs::read_to_string(&path).expect("read");
        assert!(
            text.contains("# the studio's bucket"),
            "comments stay:\n{text}"
        );
        let reread = Config::load(Some(&path)).expect("still loads").config;
        assert_eq!(reread.storage.bucket, "photos", "other settings stay");
        assert_eq!(view(&reread), shown, "what was saved is what is shown");
        shown.bandwidth_limit_mib_per_sec = None;
        shown.time_zone = String::new();
        write_settings(&path, &apply_settings(&reread, &shown).expect("valid")).expect("written");
        let cleared = Config::load(Some(&path)).expect("loads").config;
        assert_eq!(
            cleared.upload.bandwidth_limit_mib_per_sec, None,
            "a cleared limit is removed"
        );
        assert_eq!(cleared.ingest.plan.time_zone, None);
    }
}
