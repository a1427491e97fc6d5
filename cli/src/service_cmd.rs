//! `lightbox service install`: write the systemd unit (or print it).

use std::path::{Path, PathBuf};

use crate::service_unit::{UnitParams, UnitScope, systemd_unit};
use anyhow::{Context, Result};

pub fn install(config_path: &Path, user_scope: bool, print: bool, force: bool) -> Result<()> {
    let binary = std::env::current_exe().context("cannot find the lightbox binary's own path")?;
    let config =
        std::path::absolute(config_path).context("cannot make the config path absolute")?;
    let scope = if user_scope {
        UnitScope::User
    } else {
        UnitScope::System
    };
    let unit = systemd_unit(&UnitParams {
        scope,
        binary: &binary,
        config: &config,
        system_user: "lightbox",
    });
    if print {
        print!("{unit}");
        return Ok(());
    }
    let path = unit_path(scope)?;
    anyhow::ensure!(
        force || !path.exists(),
        "{} already exists: pass --force to replace it, or --print to see the new unit",
        path.display()
    );
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(&path, unit).with_context(|| {
        format!(
            "cannot write {} (system units need root: sudo, or --user)",
            path.display()
        )
    })?;
    println!("wrote {}", path.display());
    match scope {
        UnitScope::System => println!(
            "next: sudo useradd --system --home /var/lib/lightbox lightbox (once), \
             then sudo systemctl daemon-reload && sudo systemctl enable --now lightbox"
        ),
        UnitScope::User => {
            println!(
                "next: systemctl --user daemon-reload && systemctl --user enable --now lightbox"
            );
        }
    }
    Ok(())
}

fn unit_path(scope: UnitScope) -> Result<PathBuf> {
    Ok(match scope {
        UnitScope::System => PathBuf::from("/etc/systemd/system/lightbox.service"),
        UnitScope::User => directories::BaseDirs::new()
            .context("no home directory for a user unit")?
            .config_dir()
            .join("systemd/user/lightbox.service"),
    })
}
