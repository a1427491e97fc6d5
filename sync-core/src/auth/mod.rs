//! Sign-in through Amazon Cognito and the AWS credentials that follow from it.
//!
//! - [`srp`]: the `USER_SRP_AUTH` proof (the password never leaves the machine).
//! - [`user_pool`]: sign-in, its challenges, refresh, forgot-password, sign-out.
//! - [`password_policy`]: the pool's password rules, checked before sending.
//! - [`tokens`]: ID and access token verification against the pool's JWKS; roles.
//! - [`token_cache`]: tokens refreshed before expiry, once for many callers.
//! - [`refresh_store`]: the refresh token in the OS keyring or a 0600 file.
//! - [`identity_credentials`]: AWS credentials for S3 from the identity pool.
//! - [`secret`]: the wrapper that keeps passwords and tokens out of logs.
//! - [`session`]: the pieces put together from the config, for the CLI and the app.
//! - [`cognito_config`]: the `[auth.cognito]` settings.

pub mod cognito_config;
pub mod identity_credentials;
pub mod password_policy;
pub mod refresh_store;
pub mod secret;
pub mod session;
pub mod srp;
pub mod token_cache;
pub mod tokens;
pub mod user_pool;

use serde::{Deserialize, Serialize};

pub use cognito_config::CognitoConfig;
pub use secret::Secret;

/// How the password is proven at sign-in (`auth.cognito.sign_in_flow`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignInFlow {
    /// `USER_SRP_AUTH`: the password never leaves the machine.
    #[default]
    Srp,
    /// `USER_PASSWORD_AUTH`: the password goes to Cognito over TLS; for pools that allow only this.
    Password,
}
