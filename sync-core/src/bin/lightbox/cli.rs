//! The command line, as clap types.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "lightbox",
    version,
    about = "Get a studio's photos from the cameras into its S3 bucket"
)]
pub struct Cli {
    /// Config file (default: $LIGHTBOX_CONFIG, then the platform config dir).
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Show or locate the effective configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Check that the configured bucket is reachable with the configured credentials.
    Check,
    /// Run in the foreground as the daemon (watch folders, queue, upload) until
    /// Ctrl-C or SIGTERM.
    Run {
        /// Also watch this folder (repeatable; it is remembered in the catalog).
        #[arg(long = "folder", value_name = "DIR")]
        folders: Vec<PathBuf>,
    },
    /// Manage the watched camera import folders.
    #[command(subcommand)]
    Folders(FoldersCommand),
    /// Sign in to the studio's Cognito user pool (prompts for every challenge).
    Login {
        /// The user name (prompted when not given).
        #[arg(long)]
        username: Option<String>,
        /// Read the password, then any new password or code, one line each from stdin.
        #[arg(long)]
        password_stdin: bool,
        /// Reset a forgotten password with an emailed code first.
        #[arg(long)]
        forgot_password: bool,
    },
    /// Sign out everywhere and forget the refresh token.
    Logout,
    /// Who is signed in: user, groups, token expiry, where the refresh token is kept.
    Whoami {
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Files in the queue, by state.
    Status {
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum ConfigCommand {
    /// Print the effective configuration (defaults + file + environment) as TOML.
    Show {
        /// Print JSON instead of TOML.
        #[arg(long)]
        json: bool,
    },
    /// Print the path of the config file in use.
    Path,
}

#[derive(Subcommand)]
pub enum FoldersCommand {
    /// Watch a folder (and everything below it).
    Add { path: PathBuf },
    /// Stop watching a folder. Its files leave the queue; nothing uploaded is touched.
    Rm { path: PathBuf },
    /// List the watched folders.
    Ls {
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
}
