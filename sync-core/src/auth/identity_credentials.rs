//! AWS credentials for S3 from the Cognito identity pool: `GetId` once (the identity
//! id is cached), then `GetCredentialsForIdentity` with a fresh ID token whenever the
//! SDK's credential cache asks, which it does before the last credentials expire, so
//! long uploads carry on across expiries.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use aws_credential_types::Credentials;
use aws_credential_types::provider::{self, ProvideCredentials, error::CredentialsError};
use aws_sdk_cognitoidentity::error::DisplayErrorContext;

use super::token_cache::{Refresh, TokenCache};

/// Names the credentials in SDK logs.
const PROVIDER_NAME: &str = "lightbox-cognito-identity-pool";

pub struct IdentityPoolCredentials<R> {
    client: aws_sdk_cognitoidentity::Client,
    identity_pool_id: String,
    /// `cognito-idp.<region>.amazonaws.com/<pool id>`: the key of the ID token in `Logins`.
    login_provider: String,
    tokens: Arc<TokenCache<R>>,
    identity_id: tokio::sync::OnceCell<String>,
    fetches: AtomicUsize,
}

impl<R> std::fmt::Debug for IdentityPoolCredentials<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IdentityPoolCredentials")
            .field("identity_pool_id", &self.identity_pool_id)
            .field("login_provider", &self.login_provider)
            .field("fetches", &self.fetches)
            .finish_non_exhaustive()
    }
}

impl<R: Refresh> IdentityPoolCredentials<R> {
    /// `issuer` is the user pool's `https://cognito-idp.<region>.amazonaws.com/<pool>`.
    pub fn new(
        client: aws_sdk_cognitoidentity::Client,
        identity_pool_id: String,
        issuer: &str,
        tokens: Arc<TokenCache<R>>,
    ) -> Self {
        Self {
            client,
            identity_pool_id,
            login_provider: issuer.trim_start_matches("https://").to_owned(),
            tokens,
            identity_id: tokio::sync::OnceCell::new(),
            fetches: AtomicUsize::new(0),
        }
    }

    /// How many times credentials were fetched from the identity pool.
    pub fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }

    async fn fetch(&self) -> provider::Result {
        let tokens = self
            .tokens
            .tokens(jiff::Timestamp::now())
            .await
            .map_err(CredentialsError::not_loaded)?;
        let id_token = tokens.id.expose().to_owned();
        let identity_id = self
            .identity_id
            .get_or_try_init(|| async {
                self.client
                    .get_id()
                    .identity_pool_id(&self.identity_pool_id)
                    .logins(&self.login_provider, &id_token)
                    .send()
                    .await
                    .map_err(|e| {
                        CredentialsError::provider_error(DisplayErrorContext(e).to_string())
                    })?
                    .identity_id
                    .ok_or_else(|| CredentialsError::unhandled("GetId returned no identity id"))
            })
            .await?;
        let out = self
            .client
            .get_credentials_for_identity()
            .identity_id(identity_id)
            .logins(&self.login_provider, id_token)
            .send()
            .await
            .map_err(|e| CredentialsError::provider_error(DisplayErrorContext(e).to_string()))?;
        let creds = out.credentials.ok_or_else(|| {
            CredentialsError::unhandled("GetCredentialsForIdentity returned no credentials")
        })?;
        let expiry = creds
            .expiration
            .and_then(|t| std::time::SystemTime::try_from(t).ok());
        let (Some(key), Some(secret)) = (creds.access_key_id, creds.secret_key) else {
            return Err(CredentialsError::unhandled(
                "the identity pool's credentials lack a key",
            ));
        };
        let n = self.fetches.fetch_add(1, Ordering::SeqCst) + 1;
        tracing::debug!(fetches = n, ?expiry, "fetched identity-pool credentials");
        Ok(Credentials::new(
            key,
            secret,
            creds.session_token,
            expiry,
            PROVIDER_NAME,
        ))
    }
}

impl<R: Refresh + 'static> ProvideCredentials for IdentityPoolCredentials<R> {
    fn provide_credentials<'a>(&'a self) -> provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        provider::future::ProvideCredentials::new(self.fetch())
    }
}

/// Credentials that cannot be had, and say why on every request (say, "not signed in").
#[derive(Debug)]
pub struct Unavailable(pub String);

impl ProvideCredentials for Unavailable {
    fn provide_credentials<'a>(&'a self) -> provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        provider::future::ProvideCredentials::ready(Err(CredentialsError::not_loaded(
            self.0.clone(),
        )))
    }
}
