//! The auth pieces built from the config and put together for the CLI and the app:
//! keep the refresh token after sign-in, tell who is signed in, sign out.

use std::path::Path;
use std::sync::Arc;

use aws_config::{BehaviorVersion, Region};
use serde::Serialize;

use super::identity_credentials::IdentityPoolCredentials;
use super::refresh_store::{RefreshStore, RefreshStoreError, StoreLocation};
use super::token_cache::{DEFAULT_MIN_TTL, Refresh, TokenCache};
use lightbox_types::Role;

use super::CognitoConfig;
use super::tokens::{Audience, TokenError, TokenUse, TokenVerifier};
use super::user_pool::{SignInError, SignOutReport, Tokens, UserPool};

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("not signed in: run `lightbox login`")]
    NotSignedIn,
    #[error(
        "setting `auth.cognito.{0}` is not set: run `lightbox config import-terraform`, or set it in the config"
    )]
    Unset(&'static str),
    #[error(transparent)]
    SignIn(#[from] SignInError),
    #[error(transparent)]
    Store(#[from] RefreshStoreError),
    #[error(transparent)]
    Token(#[from] TokenError),
}

/// Who is signed in, for `lightbox whoami` and the app's header.
#[derive(Debug, Clone, Serialize)]
pub struct Whoami {
    pub user: String,
    pub sub: String,
    pub email: Option<String>,
    pub groups: Vec<String>,
    pub role: Role,
    /// When the current ID token expires (RFC 3339; it is refreshed before then).
    pub token_expires_at: String,
    /// Where the refresh token is kept.
    pub refresh_token_stored_in: StoreLocation,
}

/// The user pool, the token verifier and the refresh-token store for one config.
#[derive(Debug, Clone)]
pub struct Auth {
    pub pool: UserPool,
    pub verifier: Arc<TokenVerifier>,
    pub store: RefreshStore,
    cognito: CognitoConfig,
}

/// Refreshes with whatever refresh token is kept now, so a sign-out takes effect at once.
#[derive(Debug, Clone)]
pub struct StoredRefresh {
    pool: UserPool,
    store: RefreshStore,
}

impl Refresh for StoredRefresh {
    async fn refresh(&self) -> Result<Tokens, SignInError> {
        let kept = self.store.load().await?;
        let (token, _) = kept.ok_or(SignInError::SignedOut)?;
        self.pool.refresh(&token).await
    }
}

fn required<'a>(value: Option<&'a String>, name: &'static str) -> Result<&'a str, SessionError> {
    value
        .map(String::as_str)
        .filter(|v| !v.is_empty())
        .ok_or(SessionError::Unset(name))
}

/// The user-facing Cognito calls are unsigned: no AWS credentials are needed or sent.
fn sdk_config(region: String) -> aws_config::ConfigLoader {
    aws_config::defaults(BehaviorVersion::latest())
        .region(Region::new(region))
        .no_credentials()
}

impl Auth {
    /// Build from `[auth.cognito]`; `state_dir` holds the refresh-token file when there is no keyring.
    pub async fn from_config(
        cognito: &CognitoConfig,
        state_dir: &Path,
    ) -> Result<Self, SessionError> {
        let pool_id = required(cognito.user_pool_id.as_ref(), "user_pool_id")?.to_owned();
        let client_id = required(cognito.client_id.as_ref(), "client_id")?.to_owned();
        let region = cognito.region().ok_or(SessionError::Unset("region"))?;
        let shared = sdk_config(region).load().await;
        let mut idp = aws_sdk_cognitoidentityprovider::config::Builder::from(&shared);
        if let Some(endpoint) = &cognito.idp_endpoint {
            idp = idp.endpoint_url(endpoint);
        }
        let pool = UserPool::new(
            aws_sdk_cognitoidentityprovider::Client::from_conf(idp.build()),
            pool_id,
            client_id.clone(),
            cognito.sign_in_flow,
            cognito.password_policy.clone(),
        );
        let audience = Audience {
            issuer: cognito
                .issuer()
                .ok_or(SessionError::Unset("user_pool_id"))?,
            client_id: client_id.clone(),
        };
        let jwks = cognito.jwks_url().ok_or(SessionError::Unset("jwks_url"))?;
        Ok(Self {
            pool,
            verifier: Arc::new(TokenVerifier::new(audience, jwks)),
            store: RefreshStore::new(cognito.refresh_token_store, state_dir, &client_id),
            cognito: cognito.clone(),
        })
    }

    /// After a sign-in: check the ID token and keep the refresh token.
    pub async fn keep(&self, tokens: &Tokens) -> Result<Whoami, SessionError> {
        let refresh = tokens.refresh.as_ref().ok_or(SessionError::NotSignedIn)?;
        let at = self.store.save(refresh).await?;
        self.describe(tokens, at).await
    }

    /// Who is signed in: refreshes with the kept token and verifies the new ID token.
    pub async fn whoami(&self) -> Result<Whoami, SessionError> {
        let (refresh, at) = self.store.load().await?.ok_or(SessionError::NotSignedIn)?;
        let tokens = self.pool.refresh(&refresh).await?;
        self.describe(&tokens, at).await
    }

    /// Forget the refresh token here first, always; then sign out everywhere and revoke it
    /// (best effort: with Cognito unreachable the report carries the failures, and the
    /// token, already forgotten, expires on its own).
    pub async fn sign_out(&self) -> Result<SignOutReport, SessionError> {
        let (refresh, _) = self.store.load().await?.ok_or(SessionError::NotSignedIn)?;
        self.store.delete().await?;
        Ok(match self.pool.refresh(&refresh).await {
            Ok(tokens) => self.pool.sign_out(&tokens.access, Some(&refresh)).await,
            // Already invalid on the server: forgetting it here was all that was left.
            Err(SignInError::SignedOut) => SignOutReport {
                global_sign_out: Ok(()),
                revoke: Ok(()),
            },
            // Unreachable or refused: still try to revoke, and say what failed.
            Err(e) => {
                let revoke = self.pool.revoke(&refresh).await;
                SignOutReport {
                    global_sign_out: Err(e.to_string()),
                    revoke,
                }
            }
        })
    }

    /// The AWS credentials provider for S3, backed by the identity pool and the kept
    /// refresh token.
    pub async fn identity_credentials(
        &self,
    ) -> Result<IdentityPoolCredentials<StoredRefresh>, SessionError> {
        let identity_pool_id =
            required(self.cognito.identity_pool_id.as_ref(), "identity_pool_id")?;
        let region = self.cognito.region().ok_or(SessionError::Unset("region"))?;
        let shared = sdk_config(region).load().await;
        let mut conf = aws_sdk_cognitoidentity::config::Builder::from(&shared);
        if let Some(endpoint) = &self.cognito.identity_endpoint {
            conf = conf.endpoint_url(endpoint);
        }
        let tokens = Arc::new(TokenCache::new(
            StoredRefresh {
                pool: self.pool.clone(),
                store: self.store.clone(),
            },
            DEFAULT_MIN_TTL,
            None,
        ));
        Ok(IdentityPoolCredentials::new(
            aws_sdk_cognitoidentity::Client::from_conf(conf.build()),
            identity_pool_id.to_owned(),
            &self.verifier.audience().issuer,
            tokens,
        ))
    }

    async fn describe(&self, tokens: &Tokens, at: StoreLocation) -> Result<Whoami, SessionError> {
        let claims = self
            .verifier
            .verify(&tokens.id, TokenUse::Id, jiff::Timestamp::now())
            .await?;
        Ok(Whoami {
            user: claims.user().to_owned(),
            role: claims.role(),
            sub: claims.sub,
            email: claims.email,
            groups: claims.groups,
            token_expires_at: tokens.expires_at.to_string(),
            refresh_token_stored_in: at,
        })
    }
}
