//! `lightbox login | logout | whoami`: prompts and printing; the work is in `sync_core::auth`.

use std::io::{BufRead as _, Write as _};

use anyhow::{Context as _, Result, bail};
use sync_core::auth::Secret;
use sync_core::auth::session::{Auth, Whoami};
use sync_core::auth::user_pool::SignInStep;
use sync_core::config::Config;

/// Where answers come from: the terminal, or one line each from stdin (`--password-stdin`).
struct Answers {
    from_stdin: bool,
}

impl Answers {
    fn line(&self, prompt: &str) -> Result<String> {
        if !self.from_stdin {
            eprint!("{prompt}: ");
            std::io::stderr().flush().context("writing the prompt")?;
        }
        let mut line = String::new();
        let n = std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("reading stdin")?;
        if n == 0 {
            bail!("stdin ended before the answer to \"{prompt}\": give one line per question");
        }
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }

    fn secret(&self, prompt: &str) -> Result<Secret> {
        if self.from_stdin {
            return self.line(prompt).map(Secret::new);
        }
        rpassword::prompt_password(format!("{prompt}: "))
            .map(Secret::new)
            .context("reading the password from the terminal")
    }
}

pub async fn login(
    config: &Config,
    username: Option<String>,
    password_stdin: bool,
    forgot_password: bool,
) -> Result<()> {
    let auth = Auth::from_config(&config.auth.cognito, &config.state_dir()?).await?;
    let answers = Answers {
        from_stdin: password_stdin,
    };
    let username = match username {
        Some(u) => u,
        None => answers.line("User name")?,
    };
    if forgot_password {
        let sent_to = auth.pool.forgot_password(&username).await?;
        eprintln!("A reset code was sent to {sent_to}.");
        let code = answers.line("Reset code")?;
        let new = answers.secret("New password")?;
        auth.pool
            .confirm_forgot_password(&username, &code, &new)
            .await?;
        eprintln!("Password changed. Signing in with it.");
    }
    let password = answers.secret("Password")?;
    let mut step = auth
        .pool
        .sign_in(&username, &password, jiff::Timestamp::now())
        .await?;
    let tokens = loop {
        step = match step {
            SignInStep::Done(tokens) => break tokens,
            SignInStep::NewPasswordRequired(challenge) => {
                eprintln!("This is the first sign-in: choose a new password.");
                let new = answers.secret("New password")?;
                if !password_stdin {
                    let again = answers.secret("New password again")?;
                    if again != new {
                        bail!("the two new passwords differ: run `lightbox login` again");
                    }
                }
                auth.pool.set_new_password(&challenge, &new).await?
            }
            SignInStep::SoftwareTokenMfa(challenge) => {
                let code = answers.line("Code from the authenticator app")?;
                auth.pool.answer_totp(&challenge, code.trim()).await?
            }
            SignInStep::MfaSetup(challenge) => {
                let enrolment = auth.pool.start_totp_enrolment(&challenge).await?;
                eprintln!(
                    "The pool requires an authenticator app. Add this key to it:\n  {}\n(or open {})",
                    enrolment.secret.expose(),
                    enrolment.otpauth_uri.expose()
                );
                let code = answers.line("First code from the authenticator app")?;
                auth.pool
                    .finish_totp_enrolment(&enrolment, code.trim())
                    .await?
            }
        };
    };
    let who = auth.keep(&tokens).await?;
    println!("signed in as {} ({:?})", who.user, who.role);
    println!("refresh token kept in {}", who.refresh_token_stored_in);
    Ok(())
}

pub async fn logout(config: &Config) -> Result<()> {
    let auth = Auth::from_config(&config.auth.cognito, &config.state_dir()?).await?;
    let report = auth.sign_out().await?;
    match report.global_sign_out {
        Ok(()) => println!("signed out everywhere (GlobalSignOut)"),
        Err(e) => println!("GlobalSignOut failed ({e}); the refresh token was forgotten here"),
    }
    match report.revoke {
        Ok(()) => println!("refresh token revoked"),
        Err(e) => println!(
            "refresh token not revoked (best effort; the server said: {e}); GlobalSignOut already invalidated it"
        ),
    }
    Ok(())
}

pub async fn whoami(config: &Config, json: bool) -> Result<()> {
    let auth = Auth::from_config(&config.auth.cognito, &config.state_dir()?).await?;
    let who: Whoami = auth.whoami().await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&who)?);
        return Ok(());
    }
    println!("user:          {}", who.user);
    if let Some(email) = &who.email {
        println!("email:         {email}");
    }
    println!("groups:        {}", who.groups.join(", "));
    println!("role:          {:?}", who.role);
    println!("token expires: {}", who.token_expires_at);
    println!("refresh token: {}", who.refresh_token_stored_in);
    Ok(())
}
