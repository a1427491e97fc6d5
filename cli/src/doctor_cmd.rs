//! `lightbox doctor`: print each check with what to do; exit non-zero when one fails.

use crate::doctor::{CheckStatus, DoctorInput, all_passed, run_checks};
use anyhow::Result;
use sync_core::config::LoadedConfig;

/// Returns whether every check passed (warnings allowed).
pub async fn doctor(loaded: &LoadedConfig, host: String, json: bool) -> Result<bool> {
    let input = DoctorInput {
        config: loaded.config.clone(),
        config_path: loaded.path.clone(),
        config_found: loaded.file_found,
        host,
    };
    let checks = run_checks(&input).await;
    if json {
        println!("{}", serde_json::to_string_pretty(&checks)?);
    } else {
        for c in &checks {
            let mark = match c.status {
                CheckStatus::Ok => "ok  ",
                CheckStatus::Warn => "warn",
                CheckStatus::Fail => "FAIL",
            };
            println!("{mark} {:<16} {}", c.name, c.detail);
            if let Some(fix) = &c.fix {
                println!("     {:<16} → {fix}", "");
            }
        }
    }
    Ok(all_passed(&checks))
}
