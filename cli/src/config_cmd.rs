//! `lightbox config import-terraform`: `terraform output -json` into a config file.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result, bail};
use sync_core::config::Config;
use sync_core::terraform_import::StudioOutputs;

/// Print the config for `file`, or write it to `write` (refusing to replace an
/// existing file unless `force`).
pub fn import_terraform(file: &Path, write: Option<&Path>, force: bool) -> Result<()> {
    let text = std::fs::read_to_string(file).with_context(|| {
        format!(
            "cannot read {}: pass the file written by `terraform output -json lightbox > lightbox.json` (infra/README.md)",
            file.display()
        )
    })?;
    let outputs = StudioOutputs::from_terraform_json(&text)
        .with_context(|| format!("{} cannot be imported", file.display()))?;
    let toml = outputs.to_config_toml();
    // What we write must be what `lightbox` reads back.
    Config::from_toml_str(&toml)
        .context("the imported config does not parse (a bug: please report it)")?;
    let Some(path) = write else {
        print!("{toml}");
        return Ok(());
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create {}: check the path", dir.display()))?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    let mut out = match options.open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => bail!(
            "{} already exists: pass --force to replace it, or --write another path",
            path.display()
        ),
        Err(e) => {
            return Err(e).with_context(|| format!("cannot write {}", path.display()));
        }
    };
    out.write_all(toml.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    eprintln!(
        "wrote {}: bucket {}, user pool {} in {}",
        path.display(),
        outputs.bucket,
        outputs.user_pool_id,
        outputs.region
    );
    Ok(())
}

/// `lightbox config check`: each of the studio's pieces, in plain words; false when one failed.
pub async fn check(config: &sync_core::config::Config, json: bool) -> Result<bool> {
    use sync_core::setup_check::{self, Status};
    let results = setup_check::run(config).await;
    if json {
        println!("{}", serde_json::to_string_pretty(&results)?);
    } else {
        for r in &results {
            let mark = match r.status {
                Status::Passed => "ok",
                Status::Warning => "warning",
                Status::Failed => "FAILED",
                Status::NotChecked => "not checked",
            };
            println!("{mark:>11}  {}", r.detail);
        }
    }
    Ok(setup_check::ready(&results))
}
