//! `lightbox folders` and `lightbox status`: the catalog from the command line.

use anyhow::Result;
use jiff::Timestamp;
use lightbox_types::FileState;
use sync_core::catalog::{Catalog, CatalogLock};
use sync_core::config::Config;
use sync_core::engine::CATALOG_FILE;

use crate::cli::FoldersCommand;

pub fn folders(config: &Config, command: FoldersCommand) -> Result<()> {
    let path = config.state_dir()?.join(CATALOG_FILE);
    match command {
        FoldersCommand::Ls { json } => {
            let folders = Catalog::open(&path)?.list_folders()?;
            if json {
                let list: Vec<_> = folders
                    .iter()
                    .map(|f| serde_json::json!({"path": f.path, "enabled": f.enabled}))
                    .collect();
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else if folders.is_empty() {
                println!("no folders watched yet: lightbox folders add DIR");
            } else {
                for f in folders {
                    println!(
                        "{}{}",
                        f.path.display(),
                        if f.enabled { "" } else { " (disabled)" }
                    );
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
    let counts = Catalog::open(&path)?.counts_by_state()?;
    if json {
        let map: serde_json::Map<String, serde_json::Value> = counts
            .iter()
            .map(|(state, n)| (state.as_str().to_owned(), n.into()))
            .collect();
        println!("{}", serde_json::Value::Object(map));
    } else {
        for state in FileState::ALL {
            println!("{:>10}  {}", state.as_str(), counts.get(state));
        }
        println!("{:>10}  {}", "total", counts.total());
    }
    Ok(())
}
