//! `lightbox`: the headless daemon and command-line client. Wiring only; the work
//! is in `sync_core`.

mod catalog_cmd;
mod cli;
mod push;
mod run;

use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;
use cli::{Cli, Command, ConfigCommand};
use sync_core::config::Config;

#[tokio::main]
async fn main() -> Result<ExitCode> {
    let cli = Cli::parse();
    // `push` draws progress bars: only warnings are logged under them.
    let default_log = if matches!(cli.command, Command::Push(_)) {
        "warn"
    } else {
        "info,aws_config=warn"
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LIGHTBOX_LOG")
                .unwrap_or_else(|_| default_log.into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let loaded = Config::load(cli.config.as_deref())?;
    match cli.command {
        Command::Config(ConfigCommand::Show { json }) => {
            if json {
                println!("{}", serde_json::to_string_pretty(&loaded.config)?);
            } else {
                print!("{}", toml::to_string_pretty(&loaded.config)?);
            }
        }
        Command::Config(ConfigCommand::Path) => {
            let state = if loaded.file_found {
                ""
            } else {
                " (not found; defaults in use)"
            };
            println!("{}{state}", loaded.path.display());
        }
        Command::Check => {
            run::check_bucket(&loaded.config).await?;
            println!("ok: bucket {} is reachable", loaded.config.storage.bucket);
        }
        Command::Run { folders } => run::run(&loaded.config, &folders).await?,
        Command::Push(args) => return push::push(&loaded.config, args).await,
        Command::Folders(command) => catalog_cmd::folders(&loaded.config, command)?,
        Command::Status { json } => catalog_cmd::status(&loaded.config, json)?,
    }
    Ok(ExitCode::SUCCESS)
}
