//! The `[auth.cognito]` settings: which user pool, app client and identity pool to sign in
//! with, and how.

use serde::{Deserialize, Serialize};

/// The studio's Cognito user pool and identity pool (written by
/// `terraform output` or the local stack's provisioning).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CognitoConfig {
    pub region: Option<String>,
    pub user_pool_id: Option<String>,
    pub client_id: Option<String>,
    pub identity_pool_id: Option<String>,
    /// The Hosted UI domain (`<prefix>.auth.<region>.amazoncognito.com`), when the pool has one.
    pub hosted_ui_domain: Option<String>,
    /// Endpoint override for the Cognito user pool API (local stack).
    pub idp_endpoint: Option<String>,
    /// Endpoint override for the Cognito identity pool API (local stack).
    pub identity_endpoint: Option<String>,
    /// Where the pool's signing keys are served, when not at the AWS address.
    pub jwks_url: Option<String>,
    /// `srp` (the password never leaves the machine) or `password` (`USER_PASSWORD_AUTH`).
    pub sign_in_flow: super::SignInFlow,
    /// The pool's password policy, checked before a new password is sent.
    pub password_policy: super::password_policy::PasswordPolicy,
    /// Where the refresh token is kept: `auto` (the OS keyring, else a 0600 file in
    /// the state dir), `keyring` or `file`.
    pub refresh_token_store: super::refresh_store::StoreChoice,
}

impl CognitoConfig {
    /// The region of the pools: `region`, else the pool id's prefix.
    #[must_use]
    pub fn region(&self) -> Option<String> {
        self.region.clone().or_else(|| {
            self.user_pool_id
                .as_deref()
                .and_then(|p| p.split_once('_'))
                .map(|(r, _)| r.to_owned())
        })
    }

    /// `https://cognito-idp.<region>.amazonaws.com/<pool id>`: the `iss` of the pool's tokens.
    #[must_use]
    pub fn issuer(&self) -> Option<String> {
        let pool = self.user_pool_id.as_deref()?;
        Some(format!(
            "https://cognito-idp.{}.amazonaws.com/{pool}",
            self.region()?
        ))
    }

    /// The JWKS address: `jwks_url`, else the AWS one under the issuer.
    #[must_use]
    pub fn jwks_url(&self) -> Option<String> {
        self.jwks_url
            .clone()
            .or_else(|| self.issuer().map(|i| format!("{i}/.well-known/jwks.json")))
    }
}
