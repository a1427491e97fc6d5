//! `lightbox folders` and `lightbox status`: the catalog from the command line.

use anyhow::Result;
use jiff::Timestamp;
use lightbox_types::FileState;
use sync_core::catalog::{Catalog, CatalogLock, FolderState, WatchedFolder};
use sync_core::config::Config;
use sync_core::engine::CATALOG_FILE;

use crate::cli::FoldersCommand;

pub fn folders(config: &Config, command: FoldersCommand) -> Result<()> {
    let path = config.state_dir()?.join(CATALOG_FILE);
    match command {
        FoldersCommand::Ls { json } => {
            let folders = Catalog::open(&path)?.list_folders()?;
            if json {
                let list: Vec<_> = folders.iter().map(folder_json).collect();
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else if folders.is_empty() {
                println!("no folders watched yet: lightbox folders add DIR");
            } else {
                for f in &folders {
                    println!("{}  {}", f.path.display(), folder_state_text(f));
                }
            }
        }
        FoldersCommand::Add { path: dir } => {
            let canonical = std::fs::canonicalize(&dir).map_err(|e| {
                anyhow::anyhow!(
                    "folder {} cannot be watched ({e}): create it or check the path",
                    dir.display()
                )
            })?;
            anyhow::ensure!(canonical.is_dir(), "{} is not a folder", dir.display());
            let _lock = CatalogLock::acquire(&path)?;
            Catalog::open(&path)?.add_folder(&canonical, Timestamp::now())?;
            println!(
                "watching {} (the running daemon picks it up at its next start)",
                canonical.display()
            );
        }
        FoldersCommand::Rm { path: dir } => {
            let canonical = std::fs::canonicalize(&dir).unwrap_or(dir.clone());
            let _lock = CatalogLock::acquire(&path)?;
            let mut catalog = Catalog::open(&path)?;
            let folder = catalog
                .list_folders()?
                .into_iter()
                .find(|f| f.path == canonical);
            let Some(folder) = folder else {
                anyhow::bail!("{} is not watched: see lightbox folders ls", dir.display());
            };
            let removed = catalog.remove_folder(folder.id)?;
            println!(
                "stopped watching {} ({} queued files dropped; nothing uploaded was touched)",
                folder.path.display(),
                removed.files_removed
            );
        }
    }
    Ok(())
}

pub fn status(config: &Config, json: bool) -> Result<()> {
    let path = config.state_dir()?.join(CATALOG_FILE);
    let catalog = Catalog::open(&path)?;
    let counts = catalog.counts_by_state()?;
    let folders = catalog.list_folders()?;
    let duplicates = catalog.duplicate_count()?;
    if json {
        let mut map: serde_json::Map<String, serde_json::Value> = counts
            .iter()
            .map(|(state, n)| (state.as_str().to_owned(), n.into()))
            .collect();
        // Not states: readers that sum the states take only the numbers, so the duplicates
        // (counted in `done` already) go in an object.
        map.insert(
            "done_detail".to_owned(),
            serde_json::json!({ "duplicates": duplicates }),
        );
        map.insert(
            "folders".to_owned(),
            folders
                .iter()
                .filter(|f| f.enabled)
                .map(folder_json)
                .collect(),
        );
        println!("{}", serde_json::Value::Object(map));
    } else {
        for state in FileState::ALL {
            if state == FileState::Done && duplicates > 0 {
                println!(
                    "{:>10}  {} ({duplicates} of them already in the bucket: duplicates)",
                    state.as_str(),
                    counts.get(state)
                );
            } else {
                println!("{:>10}  {}", state.as_str(), counts.get(state));
            }
        }
        println!("{:>10}  {}", "total", counts.total());
        let watched: Vec<_> = folders.iter().filter(|f| f.enabled).collect();
        if !watched.is_empty() {
            println!("folders:");
            for f in watched {
                println!("  {}  {}", f.path.display(), folder_state_text(f));
            }
        }
    }
    Ok(())
}

/// A folder's state as `folders ls` and `status` print it: online or offline since when
/// (offline with why), as the running engine last saw it.
fn folder_state_text(folder: &WatchedFolder) -> String {
    if !folder.enabled {
        return "(disabled)".to_owned();
    }
    match &folder.presence {
        None => "not looked at yet (lightbox run watches it)".to_owned(),
        Some(p) => match (&p.reason, p.state) {
            (Some(reason), FolderState::Offline) => {
                format!("offline since {} ({reason})", p.since)
            }
            (_, state) => format!("{} since {}", state.as_str(), p.since),
        },
    }
}

/// A folder as `folders ls --json` and `status --json` print it.
fn folder_json(folder: &WatchedFolder) -> serde_json::Value {
    let presence = folder.presence.as_ref();
    serde_json::json!({
        "path": folder.path,
        "enabled": folder.enabled,
        "state": presence.map(|p| p.state.as_str()),
        "since": presence.map(|p| p.since.to_string()),
        "reason": presence.and_then(|p| p.reason.clone()),
    })
}
