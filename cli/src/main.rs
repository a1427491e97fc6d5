//! `lightbox`: the headless daemon and command-line client. The engine is `sync_core`; this
//! crate holds what only the binary needs: argument parsing and the commands (`*_cmd`, `push`,
//! `run`), the daemon's `/health` and `/metrics` ([`ops`]), `doctor`, the systemd unit and the
//! SIGHUP reload plan.

mod auth_cmd;
mod catalog_cmd;
mod cli;
mod config_cmd;
mod config_reload;
mod doctor;
mod doctor_cmd;
mod gallery_cmd;
mod ops;
mod push;
mod run;
mod service_cmd;
mod service_unit;
mod users_cmd;

use std::io::IsTerminal as _;
use std::process::ExitCode;

use anyhow::Result;
use clap::Parser;
use cli::{Cli, Command, ConfigCommand, ServiceCommand};
use sync_core::config::Config;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;

#[tokio::main]
async fn main() -> Result<ExitCode> {
    let cli = Cli::parse();
    // `push` draws progress bars: only warnings are logged under them.
    init_logging(if matches!(cli.command, Command::Push(_)) {
        "warn"
    } else {
        "info,aws_config=warn"
    });
    // Needs no config (and may be writing the first one).
    if let Command::Config(ConfigCommand::ImportTerraform { file, write, force }) = &cli.command {
        config_cmd::import_terraform(file, write.as_deref(), *force)?;
        return Ok(ExitCode::SUCCESS);
    }
    let loaded = Config::load(cli.config.as_deref())?;
    match cli.command {
        Command::Config(ConfigCommand::Show { json }) => {
            if json {
                println!("{}", serde_json::to_string_pretty(&loaded.config)?);
            } else {
                print!("{}", toml::to_string_pretty(&loaded.config)?);
            }
        }
        Command::Config(ConfigCommand::ImportTerraform { .. }) => unreachable!("handled above"),
        Command::Config(ConfigCommand::Check { json }) => {
            if !config_cmd::check(&loaded.config, json).await? {
                return Ok(ExitCode::FAILURE);
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
        Command::Doctor { json } => {
            if !doctor_cmd::doctor(&loaded, sync_core::engine::source_host(), json).await? {
                return Ok(ExitCode::FAILURE);
            }
        }
        Command::Service(ServiceCommand::Install { user, print, force }) => {
            service_cmd::install(&loaded.path, user, print, force)?;
        }
        Command::Run { folders } => {
            run::run(&loaded.config, cli.config.as_deref(), &folders).await?;
        }
        Command::Push(args) => return push::push(&loaded.config, args).await,
        Command::Folders(command) => catalog_cmd::folders(&loaded.config, command)?,
        Command::Login {
            username,
            password_stdin,
            forgot_password,
        } => auth_cmd::login(&loaded.config, username, password_stdin, forgot_password).await?,
        Command::Logout => auth_cmd::logout(&loaded.config).await?,
        Command::Whoami { json } => auth_cmd::whoami(&loaded.config, json).await?,
        Command::Status { json } => catalog_cmd::status(&loaded.config, json)?,
        Command::Gallery(command) => gallery_cmd::gallery(&loaded.config, command).await?,
        Command::ImportZip { file } => gallery_cmd::import(&loaded.config, &file)?,
        Command::Users(args) => return Ok(users_cmd::users(&loaded.config, args).await),
    }
    Ok(ExitCode::SUCCESS)
}

/// Logs go to stderr: levels from `LIGHTBOX_LOG` (an `EnvFilter`, else `default`), one
/// JSON object per line when `LIGHTBOX_LOG_FORMAT=json` (for journald and collectors).
fn init_logging(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("LIGHTBOX_LOG")
        .unwrap_or_else(|_| default.into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colours only on a terminal: a log file or journald gets plain text.
        .with_ansi(std::io::stderr().is_terminal());
    // The SDK's signing and wire crates stay at info whatever LIGHTBOX_LOG says: their debug
    // and trace events carry tokens and auth bodies.
    let quiet_wire = tracing_subscriber::filter::filter_fn(|meta| {
        sync_core::log_safety::allowed(meta.target(), meta.level())
    });
    if std::env::var("LIGHTBOX_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json")) {
        builder.json().finish().with(quiet_wire).init();
    } else {
        builder.finish().with(quiet_wire).init();
    }
}
