//! `lightbox`: the headless daemon and command-line client. Wiring only; the work
//! is in `sync_core`.

mod auth_cmd;
mod catalog_cmd;
mod cli;
mod run;

use anyhow::Result;
use clap::Parser;
use cli::{Cli, Command, ConfigCommand};
use sync_core::config::Config;

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("LIGHTBOX_LOG")
                .unwrap_or_else(|_| "info,aws_config=warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
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
        Command::Folders(command) => catalog_cmd::folders(&loaded.config, command)?,
        Command::Login {
            username,
            password_stdin,
            forgot_password,
        } => auth_cmd::login(&loaded.config, username, password_stdin, forgot_password).await?,
        Command::Logout => auth_cmd::logout(&loaded.config).await?,
        Command::Whoami { json } => auth_cmd::whoami(&loaded.config, json).await?,
        Command::Status { json } => catalog_cmd::status(&loaded.config, json)?,
    }
    Ok(())
}
