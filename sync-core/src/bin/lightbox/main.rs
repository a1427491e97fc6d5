//! `lightbox`: the headless daemon and command-line client. Wiring only; the work
//! is in `sync_core`.

use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use sync_core::config::Config;

#[derive(Parser)]
#[command(
    name = "lightbox",
    version,
    about = "Get a studio's photos from the cameras into its S3 bucket"
)]
struct Cli {
    /// Config file (default: $LIGHTBOX_CONFIG, then the platform config dir).
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Show or locate the effective configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Check that the configured bucket is reachable with the configured credentials.
    Check,
    /// Run in the foreground as the daemon until Ctrl-C or SIGTERM.
    Run {
        /// A camera import folder to watch (repeatable).
        #[arg(long = "folder", value_name = "DIR")]
        folders: Vec<PathBuf>,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Print the effective configuration (defaults + file + environment) as TOML.
    Show {
        /// Print JSON instead of TOML.
        #[arg(long)]
        json: bool,
    },
    /// Print the path of the config file in use.
    Path,
}

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
            check_bucket(&loaded.config).await?;
            println!("ok: bucket {} is reachable", loaded.config.storage.bucket);
        }
        Command::Run { folders } => {
            check_bucket(&loaded.config).await?;
            for folder in &folders {
                anyhow::ensure!(
                    folder.is_dir(),
                    "folder {} does not exist or is not a directory: create it or fix the path",
                    folder.display()
                );
            }
            tracing::info!(bucket = %loaded.config.storage.bucket, ?folders, "lightbox is running; Ctrl-C stops it");
            shutdown_signal().await?;
            tracing::info!("stopped");
        }
    }
    Ok(())
}

async fn check_bucket(config: &Config) -> Result<()> {
    let storage = config.require_storage()?;
    let client = sync_core::s3_client::build_s3_client(storage, &config.auth).await;
    client
        .head_bucket()
        .bucket(&storage.bucket)
        .send()
        .await
        .map_err(|e| anyhow::anyhow!("{}", aws_sdk_s3::error::DisplayErrorContext(e)))
        .with_context(|| {
            format!(
                "bucket {} is not reachable: check storage.endpoint, storage.region and the credentials",
                storage.bucket
            )
        })?;
    Ok(())
}

/// Resolves on Ctrl-C (SIGINT) or SIGTERM.
async fn shutdown_signal() -> Result<()> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r?,
        _ = term.recv() => {}
    }
    Ok(())
}
