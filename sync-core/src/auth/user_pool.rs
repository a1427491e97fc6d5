//! Sign-in against the Cognito user pool: `USER_SRP_AUTH` (or `USER_PASSWORD_AUTH`
//! where configured), its challenges (new password, TOTP and TOTP enrolment),
//! refresh, forgot-password and sign-out. Each call is one step; the caller (CLI or
//! app) asks the user for what the next step needs.

use std::collections::HashMap;

use aws_sdk_cognitoidentityprovider::Client;
use aws_sdk_cognitoidentityprovider::config::http::HttpResponse;
use aws_sdk_cognitoidentityprovider::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_cognitoidentityprovider::types::{
    AuthFlowType, AuthenticationResultType, ChallengeNameType,
};

use super::SignInFlow;
use super::password_policy::PasswordPolicy;
use super::refresh_store::RefreshStoreError;
use super::secret::Secret;
use super::srp::{SrpClient, SrpError, VerifierChallenge};
use super::tokens::{TokenError, peek_claims};
use crate::sdk_failure::SdkFailure;

/// The three tokens after a sign-in (a refresh brings no new refresh token).
#[derive(Debug, Clone)]
pub struct Tokens {
    pub id: Secret,
    pub access: Secret,
    pub refresh: Option<Secret>,
    /// When the ID token expires (from its `exp`).
    pub expires_at: jiff::Timestamp,
}

/// A challenge to answer before the tokens come.
#[derive(Debug, Clone)]
pub struct Challenge {
    /// The user name Cognito knows the user by.
    pub username: String,
    session: Secret,
}

/// Where a sign-in stands after one step.
#[derive(Debug)]
pub enum SignInStep {
    Done(Tokens),
    /// First sign-in with a temporary password: choose a new one.
    NewPasswordRequired(Challenge),
    /// Type the current code from the authenticator app.
    SoftwareTokenMfa(Challenge),
    /// The pool requires MFA and the user has none yet: enrol an authenticator app.
    MfaSetup(Challenge),
}

/// An authenticator app to enrol: the shared secret and an `otpauth://` URI for it.
#[derive(Debug, Clone)]
pub struct TotpEnrolment {
    pub secret: Secret,
    pub otpauth_uri: Secret,
    challenge: Challenge,
}

/// What sign-out achieved. Revocation is best effort: some servers (moto) do not implement it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignOutReport {
    /// `GlobalSignOut` invalidated every refresh token of the user.
    pub global_sign_out: Result<(), String>,
    /// `RevokeToken` revoked this refresh token.
    pub revoke: Result<(), String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error(
        "wrong user name or password: check both and try again (or run `lightbox login --forgot-password`)"
    )]
    WrongPassword,
    #[error("no user {0:?} in this pool: check the name, or ask an admin to create the account")]
    UnknownUser(String),
    #[error("the new password does not meet the pool's policy; it needs {}", .unmet.join(", "))]
    WeakPassword { unmet: Vec<String> },
    #[error(
        "the sign-in session expired (they last a few minutes): start again with `lightbox login`"
    )]
    SessionExpired,
    #[error("the code is wrong or too old: type the current code from the authenticator app")]
    WrongCode,
    #[error(
        "signed out: the refresh token is no longer valid. Sign in again with `lightbox login`"
    )]
    SignedOut,
    #[error(
        "setting `{0}` is not set: run `lightbox config import-terraform` or set it under [auth.cognito]"
    )]
    Unset(&'static str),
    #[error(
        "Cognito answered {challenge}, which Lightbox cannot handle: ask an admin to check the pool's settings"
    )]
    UnsupportedChallenge { challenge: String },
    #[error(transparent)]
    Srp(#[from] SrpError),
    #[error("the pool sent a token Lightbox cannot read: {0}")]
    Token(#[from] TokenError),
    /// A Cognito call failed; `failure` is its kind, read from the SDK's error.
    #[error("Cognito: {failure} ({detail}); check the network and auth.cognito in the config")]
    Service { failure: SdkFailure, detail: String },
    #[error(
        "Cognito's reply could not be used ({0}): check that auth.cognito points at a Cognito user pool"
    )]
    BadReply(String),
    #[error(transparent)]
    Store(#[from] RefreshStoreError),
}

/// The user pool as one app client sees it.
#[derive(Debug, Clone)]
pub struct UserPool {
    client: Client,
    pool_id: String,
    client_id: String,
    flow: SignInFlow,
    policy: PasswordPolicy,
}

impl UserPool {
    #[must_use]
    pub fn new(
        client: Client,
        pool_id: String,
        client_id: String,
        flow: SignInFlow,
        policy: PasswordPolicy,
    ) -> Self {
        Self {
            client,
            pool_id,
            client_id,
            flow,
            policy,
        }
    }

    /// The first step: `USER_SRP_AUTH` (then `PASSWORD_VERIFIER`), or `USER_PASSWORD_AUTH`.
    pub async fn sign_in(
        &self,
        username: &str,
        password: &Secret,
        now: jiff::Timestamp,
    ) -> Result<SignInStep, SignInError> {
        tracing::debug!(username, flow = ?self.flow, "signing in");
        match self.flow {
            SignInFlow::Password => {
                let out = self
                    .client
                    .initiate_auth()
                    .client_id(&self.client_id)
                    .auth_flow(AuthFlowType::UserPasswordAuth)
                    .auth_parameters("USERNAME", username)
                    .auth_parameters("PASSWORD", password.expose())
                    .send()
                    .await
                    .map_err(|e| classify(&e, username, Step::Credentials))?;
                step(
                    out.challenge_name,
                    out.challenge_parameters.as_ref(),
                    out.session,
                    out.authentication_result,
                    username,
                )
            }
            SignInFlow::Srp => {
                let srp = SrpClient::new();
                let out = self
                    .client
                    .initiate_auth()
                    .client_id(&self.client_id)
                    .auth_flow(AuthFlowType::UserSrpAuth)
                    .auth_parameters("USERNAME", username)
                    .auth_parameters("SRP_A", srp.srp_a())
                    .send()
                    .await
                    .map_err(|e| classify(&e, username, Step::Credentials))?;
                if out.challenge_name != Some(ChallengeNameType::PasswordVerifier) {
                    return step(
                        out.challenge_name,
                        out.challenge_parameters.as_ref(),
                        out.session,
                        out.authentication_result,
                        username,
                    );
                }
                let params = out.challenge_parameters.unwrap_or_default();
                let get = |k: &'static str| {
                    params
                        .get(k)
                        .map(String::as_str)
                        .ok_or(SignInError::BadReply(format!(
                            "PASSWORD_VERIFIER without {k}"
                        )))
                };
                let challenge = VerifierChallenge {
                    user_id_for_srp: get("USER_ID_FOR_SRP")?,
                    srp_b: get("SRP_B")?,
                    salt: get("SALT")?,
                    secret_block: get("SECRET_BLOCK")?,
                };
                let claim = srp.password_claim(&self.pool_id, &challenge, password, now)?;
                let cognito_user = params.get("USERNAME").map_or(username, String::as_str);
                let mut req = self
                    .client
                    .respond_to_auth_challenge()
                    .client_id(&self.client_id)
                    .challenge_name(ChallengeNameType::PasswordVerifier)
                    .challenge_responses("USERNAME", cognito_user)
                    .challenge_responses("PASSWORD_CLAIM_SECRET_BLOCK", challenge.secret_block)
                    .challenge_responses("PASSWORD_CLAIM_SIGNATURE", claim.signature)
                    .challenge_responses("TIMESTAMP", claim.timestamp);
                if let Some(session) = out.session {
                    req = req.session(session);
                }
                let out = req
                    .send()
                    .await
                    .map_err(|e| classify(&e, username, Step::Credentials))?;
                step(
                    out.challenge_name,
                    out.challenge_parameters.as_ref(),
                    out.session,
                    out.authentication_result,
                    cognito_user,
                )
            }
        }
    }

    /// Answer `NEW_PASSWORD_REQUIRED`. The policy is checked here first, so every unmet
    /// rule is listed before anything is sent.
    pub async fn set_new_password(
        &self,
        challenge: &Challenge,
        new_password: &Secret,
    ) -> Result<SignInStep, SignInError> {
        let unmet = self.policy.unmet_rules(new_password.expose());
        if !unmet.is_empty() {
            return Err(SignInError::WeakPassword { unmet });
        }
        self.respond(
            challenge,
            ChallengeNameType::NewPasswordRequired,
            &[("NEW_PASSWORD", new_password.expose())],
        )
        .await
    }

    /// Answer `SOFTWARE_TOKEN_MFA` with the app's current code.
    pub async fn answer_totp(
        &self,
        challenge: &Challenge,
        code: &str,
    ) -> Result<SignInStep, SignInError> {
        self.respond(
            challenge,
            ChallengeNameType::SoftwareTokenMfa,
            &[("SOFTWARE_TOKEN_MFA_CODE", code)],
        )
        .await
    }

    /// Start enrolling an authenticator app (`MFA_SETUP`): the secret to add to it.
    pub async fn start_totp_enrolment(
        &self,
        challenge: &Challenge,
    ) -> Result<TotpEnrolment, SignInError> {
        let out = self
            .client
            .associate_software_token()
            .session(challenge.session.expose())
            .send()
            .await
            .map_err(|e| classify(&e, &challenge.username, Step::Challenge))?;
        let secret = out
            .secret_code
            .ok_or_else(|| SignInError::BadReply("AssociateSoftwareToken gave no secret".into()))?;
        let otpauth_uri = format!(
            "otpauth://totp/Lightbox:{user}?secret={secret}&issuer=Lightbox",
            user = challenge.username
        );
        Ok(TotpEnrolment {
            secret: Secret::new(secret),
            otpauth_uri: Secret::new(otpauth_uri),
            challenge: Challenge {
                username: challenge.username.clone(),
                session: out
                    .session
                    .map_or_else(|| challenge.session.clone(), Secret::new),
            },
        })
    }

    /// Finish enrolment with the first code the app shows, then complete the sign-in.
    pub async fn finish_totp_enrolment(
        &self,
        enrolment: &TotpEnrolment,
        code: &str,
    ) -> Result<SignInStep, SignInError> {
        let challenge = &enrolment.challenge;
        let out = self
            .client
            .verify_software_token()
            .session(challenge.session.expose())
            .user_code(code)
            .friendly_device_name("Lightbox")
            .send()
            .await
            .map_err(|e| classify(&e, &challenge.username, Step::Challenge))?;
        let next = Challenge {
            username: challenge.username.clone(),
            session: out
                .session
                .map_or_else(|| challenge.session.clone(), Secret::new),
        };
        self.respond(&next, ChallengeNameType::MfaSetup, &[]).await
    }

    /// New ID and access tokens from the refresh token.
    pub async fn refresh(&self, refresh: &Secret) -> Result<Tokens, SignInError> {
        let out = self
            .client
            .initiate_auth()
            .client_id(&self.client_id)
            .auth_flow(AuthFlowType::RefreshTokenAuth)
            .auth_parameters("REFRESH_TOKEN", refresh.expose())
            .send()
            .await
            .map_err(|e| classify(&e, "", Step::Refresh))?;
        let result = out
            .authentication_result
            .ok_or_else(|| SignInError::BadReply("refresh gave no tokens".into()))?;
        tokens(result)
    }

    /// Sign out everywhere (`GlobalSignOut`), then revoke the refresh token (`RevokeToken`,
    /// best effort).
    pub async fn sign_out(&self, access: &Secret, refresh: Option<&Secret>) -> SignOutReport {
        let global_sign_out = self
            .client
            .global_sign_out()
            .access_token(access.expose())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| DisplayErrorContext(e).to_string());
        let revoke = match refresh {
            Some(token) => self.revoke(token).await,
            None => Err("no refresh token to revoke".to_owned()),
        };
        SignOutReport {
            global_sign_out,
            revoke,
        }
    }

    /// Revoke `refresh` (`RevokeToken`); the error as text, for the sign-out report.
    pub async fn revoke(&self, refresh: &Secret) -> Result<(), String> {
        self.client
            .revoke_token()
            .client_id(&self.client_id)
            .token(refresh.expose())
            .send()
            .await
            .map(|_| ())
            .map_err(|e| DisplayErrorContext(e).to_string())
    }

    /// Ask for a reset code (sent by email); returns where it went, masked.
    pub async fn forgot_password(&self, username: &str) -> Result<String, SignInError> {
        let out = self
            .client
            .forgot_password()
            .client_id(&self.client_id)
            .username(username)
            .send()
            .await
            .map_err(|e| classify(&e, username, Step::Credentials))?;
        Ok(out
            .code_delivery_details
            .and_then(|d| d.destination)
            .unwrap_or_else(|| "the address on file".to_owned()))
    }

    /// Set a new password with the reset code.
    pub async fn confirm_forgot_password(
        &self,
        username: &str,
        code: &str,
        new_password: &Secret,
    ) -> Result<(), SignInError> {
        let unmet = self.policy.unmet_rules(new_password.expose());
        if !unmet.is_empty() {
            return Err(SignInError::WeakPassword { unmet });
        }
        self.client
            .confirm_forgot_password()
            .client_id(&self.client_id)
            .username(username)
            .confirmation_code(code)
            .password(new_password.expose())
            .send()
            .await
            .map_err(|e| classify(&e, username, Step::Credentials))?;
        Ok(())
    }

    async fn respond(
        &self,
        challenge: &Challenge,
        name: ChallengeNameType,
        answers: &[(&str, &str)],
    ) -> Result<SignInStep, SignInError> {
        let mut req = self
            .client
            .respond_to_auth_challenge()
            .client_id(&self.client_id)
            .challenge_name(name)
            .session(challenge.session.expose())
            .challenge_responses("USERNAME", &challenge.username);
        for (k, v) in answers {
            req = req.challenge_responses(*k, *v);
        }
        let out = req.send().await.map_err(|e| {
            match classify(&e, &challenge.username, Step::Challenge) {
                // On a challenge step, "not found" means the session is gone too.
                SignInError::UnknownUser(_) => SignInError::SessionExpired,
                other => other,
            }
        })?;
        step(
            out.challenge_name,
            out.challenge_parameters.as_ref(),
            out.session,
            out.authentication_result,
            &challenge.username,
        )
    }
}

fn step(
    name: Option<ChallengeNameType>,
    params: Option<&HashMap<String, String>>,
    session: Option<String>,
    result: Option<AuthenticationResultType>,
    username: &str,
) -> Result<SignInStep, SignInError> {
    if let Some(result) = result {
        return Ok(SignInStep::Done(tokens(result)?));
    }
    let name =
        name.ok_or_else(|| SignInError::BadReply("neither tokens nor a challenge".into()))?;
    let username = params
        .and_then(|p| p.get("USERNAME").or_else(|| p.get("USER_ID_FOR_SRP")))
        .map_or(username, String::as_str)
        .to_owned();
    let challenge = Challenge {
        username,
        session: Secret::new(session.unwrap_or_default()),
    };
    match name {
        ChallengeNameType::NewPasswordRequired => Ok(SignInStep::NewPasswordRequired(challenge)),
        ChallengeNameType::SoftwareTokenMfa => Ok(SignInStep::SoftwareTokenMfa(challenge)),
        ChallengeNameType::MfaSetup => Ok(SignInStep::MfaSetup(challenge)),
        other => Err(SignInError::UnsupportedChallenge {
            challenge: other.as_str().to_owned(),
        }),
    }
}

fn tokens(result: AuthenticationResultType) -> Result<Tokens, SignInError> {
    let missing = |what: &str| SignInError::BadReply(format!("the reply has no {what}"));
    let id = Secret::new(result.id_token.ok_or_else(|| missing("ID token"))?);
    let access = Secret::new(result.access_token.ok_or_else(|| missing("access token"))?);
    let expires_at = jiff::Timestamp::from_second(peek_claims(&id)?.exp)
        .map_err(|e| SignInError::BadReply(format!("ID token expiry out of range: {e}")))?;
    Ok(Tokens {
        id,
        access,
        refresh: result.refresh_token.map(Secret::new),
        expires_at,
    })
}

/// The kind of call that failed. Cognito answers `NotAuthorizedException` for a wrong
/// password, a spent or expired challenge session and a revoked refresh token alike (only its
/// message differs, and that is not an interface): the call says which one it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// The user name and password (or the SRP proof of it), or a password reset.
    Credentials,
    /// An answer on a challenge session (new password, TOTP, TOTP enrolment).
    Challenge,
    /// Tokens from the refresh token.
    Refresh,
}

/// Turns a failed `step` into what the user can act on.
fn classify<E>(err: &SdkError<E, HttpResponse>, username: &str, step: Step) -> SignInError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match err.code() {
        Some("NotAuthorizedException") => match step {
            Step::Credentials => SignInError::WrongPassword,
            Step::Challenge => SignInError::SessionExpired,
            Step::Refresh => SignInError::SignedOut,
        },
        Some("UserNotFoundException" | "ResourceNotFoundException") => {
            SignInError::UnknownUser(username.to_owned())
        }
        Some("InvalidPasswordException") => SignInError::WeakPassword {
            unmet: vec![format!(
                "what the pool asks for (it said: {})",
                err.message().unwrap_or_default()
            )],
        },
        Some(
            "CodeMismatchException" | "ExpiredCodeException" | "EnableSoftwareTokenMFAException",
        ) => SignInError::WrongCode,
        Some("ExpiredTokenException") => SignInError::SessionExpired,
        _ => SignInError::Service {
            failure: SdkFailure::of(err),
            detail: DisplayErrorContext(err).to_string(),
        },
    }
}
