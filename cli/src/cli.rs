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
    /// Check config, credentials, bucket access, clock skew, inotify limits and free
    /// disk; each failing check says how to fix it. Exits 1 when one fails.
    Doctor {
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Run the daemon as a systemd service.
    #[command(subcommand)]
    Service(ServiceCommand),
    /// Upload files and folders once (same pipeline as `run`, no settle wait), then exit;
    /// non-zero exit when any file failed.
    Push(PushArgs),
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
    /// Browse, open and delete photos in the bucket.
    #[command(subcommand)]
    Gallery(GalleryCommand),
    /// Unpack a ZIP of photos into the import folder, to be uploaded like a camera import.
    ImportZip { file: PathBuf },
    /// Manage the studio's team (admins only: AWS refuses anyone else).
    Users(UsersArgs),
}

#[derive(clap::Args)]
pub struct UsersArgs {
    /// Print JSON for scripts (errors too: `{"error": {"code", "message"}}`).
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: UsersCommand,
}

#[derive(Subcommand)]
pub enum UsersCommand {
    /// Everyone who may sign in: group, status, created, last changed.
    Ls,
    /// Invite someone by e-mail; Cognito mails the temporary password unless --show-password.
    Invite {
        email: String,
        /// `staff` (upload and view) or `admins` (also delete and manage the team).
        #[arg(long)]
        group: String,
        /// The user name to sign in with (default: the e-mail address).
        #[arg(long)]
        username: Option<String>,
        /// Send no e-mail: print the temporary password (once) to pass on yourself.
        #[arg(long)]
        show_password: bool,
    },
    /// Move someone to `staff` or `admins`.
    SetGroup { username: String, group: String },
    /// Stop someone signing in, and end their sign-ins.
    Disable { username: String },
    /// Let a disabled user sign in again.
    Enable { username: String },
    /// Make someone choose a new password with a code Cognito sends them.
    ResetPassword { username: String },
    /// Delete someone's account (asks you to type the user name unless --yes); their photos stay.
    Rm {
        username: String,
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Subcommand)]
pub enum GalleryCommand {
    /// List originals, newest first, a page of 200 at a time (refreshes the local cache).
    Ls {
        /// A day (YYYY-MM-DD), month (YYYY-MM) or year (YYYY).
        #[arg(long)]
        date: Option<String>,
        /// The page after this one: the `next` of the page before (same --date).
        #[arg(long, conflicts_with = "all")]
        cursor: Option<String>,
        /// Every page, one after another (with --json: one object per line).
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// Presigned URLs (thumb, screen, original) for an original's key.
    Url { key: String },
    /// Delete originals and their previews (asks for confirmation unless --yes).
    Rm {
        #[arg(required = true)]
        keys: Vec<String>,
        #[arg(long)]
        yes: bool,
    },
    /// Download an original.
    Get {
        key: String,
        #[arg(short = 'o', long = "output")]
        output: PathBuf,
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
    /// Check the configured studio without signing in: user pool, app client, identity
    /// pool, bucket (and say the index table is checked after sign-in). Exits 1 when one fails.
    Check {
        /// Print JSON for scripts.
        #[arg(long)]
        json: bool,
    },
    /// Turn `terraform output -json` (infra/examples/studio) into a config file.
    ImportTerraform {
        /// The file written by `terraform output -json lightbox > lightbox.json` (infra/README.md).
        file: PathBuf,
        /// Write the config here instead of printing it.
        #[arg(long, value_name = "PATH")]
        write: Option<PathBuf>,
        /// Replace the file at --write if it exists.
        #[arg(long, requires = "write")]
        force: bool,
    },
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

#[derive(Subcommand)]
pub enum ServiceCommand {
    /// Write the systemd unit for `lightbox run` (system-wide unless --user).
    Install {
        /// A user unit (~/.config/systemd/user) instead of a system one.
        #[arg(long)]
        user: bool,
        /// Print the unit instead of writing it.
        #[arg(long)]
        print: bool,
        /// Replace an existing unit.
        #[arg(long)]
        force: bool,
    },
}

#[derive(clap::Args)]
pub struct PushArgs {
    /// Files and folders to upload (folders with everything below them).
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// One JSON line per finished file, then a summary line (no progress bars).
    #[arg(long)]
    pub json: bool,
    /// Files and requests in flight at once (overrides upload.concurrency and
    /// upload.max_requests_in_flight).
    #[arg(long, value_name = "N")]
    pub concurrency: Option<usize>,
    /// Multipart part size in MiB (overrides upload.part_size_mib).
    #[arg(long, value_name = "MIB")]
    pub part_size_mib: Option<u64>,
    /// Keep the push's catalog (upload journal) here, so that a push that was interrupted
    /// resumes its multipart uploads when run again with the same PATH. Default: a
    /// temporary catalog, removed at exit.
    #[arg(long, value_name = "PATH")]
    pub catalog: Option<PathBuf>,
}
