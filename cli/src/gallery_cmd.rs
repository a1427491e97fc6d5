//! `lightbox gallery ...` and `lightbox import-zip`: the gallery backend from the command line.

use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use jiff::Timestamp;
use lightbox_types::Role;
use sync_core::catalog::{Catalog, CatalogHandle, CatalogLock};
use sync_core::config::Config;
use sync_core::engine::CATALOG_FILE;
use sync_core::gallery::{Bucket, CACHE_FILE, GalleryCache, Page, checked_date_prefix, refresh};
use sync_core::zip_import::{Limits, Unpacked, unpack_into};

use crate::cli::GalleryCommand;

async fn bucket(config: &Config) -> Result<Bucket> {
    let storage = config.require_storage()?;
    let (client, credentials) =
        sync_core::s3_client::build_tracked_s3_client(storage, &config.auth, &config.state_dir()?)
            .await;
    Ok(Bucket {
        client,
        bucket: storage.bucket.clone(),
        credentials,
    })
}

pub async fn gallery(config: &Config, command: GalleryCommand) -> Result<()> {
    let bucket = bucket(config).await?;
    match command {
        GalleryCommand::Ls {
            date,
            cursor,
            all,
            json,
        } => {
            let prefix = checked_date_prefix(date.as_deref())?;
            let mut cache = GalleryCache::open(&config.state_dir()?.join(CACHE_FILE))?;
            refresh(&bucket, &mut cache, &prefix).await?;
            if all {
                list_all(&cache, &prefix, json)?;
            } else {
                let page = cache.page(&prefix, cursor.as_deref(), PAGE)?;
                print_page(&page, date.as_deref(), json)?;
            }
        }
        GalleryCommand::Url { key } => {
            bucket.require_original(&key).await?;
            let lifetime = bucket.presign_lifetime(Timestamp::now()).await?;
            let urls = bucket.photo_urls(&key, lifetime).await?;
            println!("{}", serde_json::to_string_pretty(&urls)?);
        }
        GalleryCommand::Get { key, output } => {
            let bytes = bucket.download(&key, &output).await?;
            println!("{bytes} bytes written to {}", output.display());
        }
        GalleryCommand::Rm { keys, yes } => {
            // The CLI runs with the operator's own credentials: S3 permissions decide beyond this.
            let now = Timestamp::now();
            let preview = bucket.preview_delete(&keys, Role::Admin, now).await?;
            println!("will delete {} objects:", preview.objects.len());
            for key in &preview.objects {
                println!("  {key}");
            }
            if !preview.undoable {
                println!("the bucket has no versioning: this cannot be undone");
            }
            if !yes && !std::io::stdin().is_terminal() {
                anyhow::bail!(
                    "nothing deleted: no terminal to confirm on; pass --yes to delete without asking"
                );
            }
            if !yes && !confirmed()? {
                anyhow::bail!("nothing deleted");
            }
            let path = config.state_dir()?.join(CATALOG_FILE);
            let _lock = CatalogLock::acquire(&path)
                .context("stop the daemon first: the delete records tombstones in its catalog")?;
            let catalog = CatalogHandle::start(Catalog::open(&path)?)?;
            let user = std::env::var("USER").unwrap_or_else(|_| "lightbox".to_owned());
            let index = match config.require_storage() {
                Ok(storage) => {
                    sync_core::index::build_index_table(
                        &config.index,
                        storage,
                        &config.auth,
                        &config.state_dir()?,
                    )
                    .await
                }
                Err(_) => None,
            };
            let outcome = match &index {
                // With a shared index: the record in the bucket and the delete-mark first,
                // so every station skips the content from then on (docs/index.md, "Deletes").
                Some(index) => {
                    let by = sync_core::gallery::DeletedBy {
                        id: user.clone(),
                        name: user.clone(),
                    };
                    bucket
                        .delete_indexed(
                            index,
                            &catalog,
                            &keys,
                            &preview.token,
                            Role::Admin,
                            &by,
                            now,
                        )
                        .await?
                }
                None => {
                    bucket
                        .delete(&catalog, &keys, &preview.token, Role::Admin, &user, now)
                        .await?
                }
            };
            println!(
                "deleted {} objects; {} tombstones recorded",
                outcome.deleted.len(),
                outcome.tombstoned
            );
        }
    }
    Ok(())
}

/// Photos per page of `gallery ls`.
const PAGE: usize = 200;

/// One page: as JSON (`items` and `next`), or a line per photo and the command for the next.
fn print_page(page: &Page, date: Option<&str>, json: bool) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(page)?);
        return Ok(());
    }
    for o in &page.items {
        println!("{:>12}  {}", o.size, o.key);
    }
    if let Some(next) = &page.next {
        let date = date.map(|d| format!(" --date {d}")).unwrap_or_default();
        println!(
            "({} shown, newest first; the next page: lightbox gallery ls{date} --cursor {next}, \
             or every page: --all)",
            page.items.len()
        );
    }
    Ok(())
}

/// Every page, newest first: a line per photo (JSON lines with `json`), and on a terminal a
/// count on stderr as the pages go by.
fn list_all(cache: &GalleryCache, prefix: &str, json: bool) -> Result<()> {
    let progress = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    progress.set_style(
        ProgressStyle::with_template("{spinner} {pos} photos listed")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    let mut stdout = std::io::stdout().lock();
    let mut cursor: Option<String> = None;
    loop {
        let page = cache.page(prefix, cursor.as_deref(), PAGE)?;
        for o in &page.items {
            if json {
                serde_json::to_writer(&mut stdout, o)?;
                writeln!(stdout)?;
            } else {
                writeln!(stdout, "{:>12}  {}", o.size, o.key)?;
            }
        }
        progress.inc(page.items.len() as u64);
        match page.next {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    progress.finish_and_clear();
    eprintln!("{} photos", progress.position());
    Ok(())
}

fn confirmed() -> Result<bool> {
    print!("type yes to delete: ");
    std::io::stdout().flush()?;
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    Ok(answer.trim() == "yes")
}

/// Unpack into a fresh folder under `<state>/imports/` and make `<state>/imports` a watched
/// folder.
pub fn import(config: &Config, archive: &Path) -> Result<()> {
    let imports: PathBuf = config.state_dir()?.join("imports");
    let Unpacked { folder, report } = unpack_into(archive, &imports, Limits::default())?;
    for (name, reason) in &report.skipped {
        println!("skipped {name}: {reason}");
    }
    println!(
        "{} photos ({} bytes) unpacked into {}",
        report.imported.len(),
        report.bytes,
        folder.display()
    );
    let path = config.state_dir()?.join(CATALOG_FILE);
    let canonical = std::fs::canonicalize(&imports)?;
    match CatalogLock::acquire(&path) {
        Ok(_lock) => {
            let mut catalog = Catalog::open(&path)?;
            if !catalog.list_folders()?.iter().any(|f| f.path == canonical) {
                catalog.add_folder(&canonical, Timestamp::now())?;
            }
            println!("they upload with the next `lightbox run`");
        }
        Err(_) => println!(
            "the running daemon uploads them if it watches {} (lightbox folders add)",
            canonical.display()
        ),
    }
    Ok(())
}
