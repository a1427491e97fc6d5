//! `lightbox users`: the studio's team, managed with the signed-in admin's own credentials
//! (sync-core `team`). A failure prints its message and its code (in JSON with `--json`)
//! and exits 1.

use std::io::{BufRead as _, Write as _};
use std::process::ExitCode;

use serde_json::json;
use sync_core::config::Config;
use sync_core::team::{Delivery, Member, MemberStatus, Team, TeamError, TeamGroup, parse_group};

use crate::cli::{UsersArgs, UsersCommand};

pub async fn users(config: &Config, args: UsersArgs) -> ExitCode {
    let json = args.json;
    match run(config, args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            if json {
                println!(
                    "{}",
                    json!({"error": {"code": e.code(), "message": e.to_string()}})
                );
            } else {
                eprintln!("lightbox: {e} [{}]", e.code());
            }
            ExitCode::FAILURE
        }
    }
}

async fn run(config: &Config, args: UsersArgs) -> Result<(), TeamError> {
    let json = args.json;
    // Checked before signing in, so a typo costs no round trip.
    let group = match &args.command {
        UsersCommand::Invite { group, .. } | UsersCommand::SetGroup { group, .. } => {
            Some(parse_group(group)?)
        }
        _ => None,
    };
    let team = Team::signed_in(config).await?;
    let (done, username) = match args.command {
        UsersCommand::Ls => {
            let members = team.list().await?;
            print_members(&members, json);
            return Ok(());
        }
        UsersCommand::Invite {
            email,
            username,
            show_password,
            ..
        } => {
            let delivery = if show_password {
                Delivery::Show
            } else {
                Delivery::Email
            };
            let group = group.expect("parsed above");
            let invitation = team
                .invite(username.as_deref(), &email, group, delivery)
                .await?;
            let password = invitation
                .temporary_password
                .as_ref()
                .map(sync_core::auth::Secret::expose);
            if json {
                println!(
                    "{}",
                    json!({"member": invitation.member, "temporary_password": password})
                );
            } else {
                println!(
                    "invited {} ({}) into {}",
                    invitation.member.username,
                    email.trim(),
                    group.as_str()
                );
                match password {
                    Some(p) => println!(
                        "temporary password (shown once; pass it on, it must be changed at first sign-in): {p}"
                    ),
                    None => println!("Cognito e-mails them a temporary password"),
                }
            }
            return Ok(());
        }
        UsersCommand::SetGroup { username, .. } => {
            let group = group.expect("parsed above");
            team.set_group(&username, group).await?;
            (format!("moved to {}", group.as_str()), username)
        }
        UsersCommand::Disable { username } => {
            team.disable(&username).await?;
            ("disabled; their sign-ins were ended".to_owned(), username)
        }
        UsersCommand::Enable { username } => {
            team.enable(&username).await?;
            ("enabled".to_owned(), username)
        }
        UsersCommand::ResetPassword { username } => {
            team.reset_password(&username).await?;
            (
                "must choose a new password at next sign-in, with a code Cognito sends them"
                    .to_owned(),
                username,
            )
        }
        UsersCommand::Rm { username, yes } => {
            if !yes && !confirmed(&username) {
                return Err(TeamError::NotConfirmed(username));
            }
            team.remove(&username).await?;
            (
                "removed; their photos stay in the bucket".to_owned(),
                username,
            )
        }
    };
    if json {
        println!("{}", json!({"username": username, "done": done}));
    } else {
        println!("{username}: {done}");
    }
    Ok(())
}

/// Asks for the user name on stdin (a terminal, or a pipe from a script); the question goes
/// to stderr, so that stdout stays JSON with `--json`.
fn confirmed(username: &str) -> bool {
    eprint!("type the user name ({username}) to remove them for good: ");
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer).is_ok() && answer.trim() == username
}

fn status_text(status: MemberStatus) -> &'static str {
    match status {
        MemberStatus::WaitingForFirstSignIn => "waiting for first sign-in",
        MemberStatus::Active => "active",
        MemberStatus::PasswordReset => "password reset",
        MemberStatus::Disabled => "disabled",
        MemberStatus::Other => "other",
    }
}

fn print_members(members: &[Member], json: bool) {
    if json {
        println!("{}", json!(members));
        return;
    }
    println!(
        "{:<28} {:<32} {:<7} {:<26} {:<21} {:<21}",
        "USER", "E-MAIL", "GROUP", "STATUS", "CREATED", "CHANGED"
    );
    for m in members {
        println!(
            "{:<28} {:<32} {:<7} {:<26} {:<21} {:<21}",
            m.username,
            m.email.as_deref().unwrap_or("-"),
            m.group.map_or("none", TeamGroup::as_str),
            status_text(m.status),
            m.created,
            m.modified
        );
    }
}
