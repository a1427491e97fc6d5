//! Sign-in screen: who is signed in, and the steps of a sign-in.

use serde::{Deserialize, Serialize};

use lightbox_types::Role;

/// Who is signed in (or that nobody is).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct SessionView {
    pub signed_in: bool,
    /// Empty when nobody is signed in.
    pub username: String,
    pub email: Option<String>,
    /// The user's Cognito groups (`admins`, `staff`).
    pub groups: Vec<String>,
    /// Admin if in `admins`: may delete in the gallery.
    pub role: Role,
}

impl SessionView {
    /// Nobody is signed in.
    #[must_use]
    pub fn signed_out() -> Self {
        Self {
            signed_in: false,
            username: String::new(),
            email: None,
            groups: Vec::new(),
            role: Role::None,
        }
    }
}

/// Where a sign-in stands after each step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum SignInStep {
    /// Done: the engine starts.
    SignedIn { session: SessionView },
    /// The password was temporary: choose a new one that meets `policy`.
    NewPasswordRequired { policy: PasswordPolicyView },
    /// Enter the 6-digit code from the authenticator app.
    TotpRequired,
    /// The pool requires an authenticator app: `begin_totp_setup`, then `verify_totp_setup`.
    TotpSetupRequired,
}

/// The pool's password policy, as flags and as plain sentences to show.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct PasswordPolicyView {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub min_length: u64,
    pub require_uppercase: bool,
    pub require_lowercase: bool,
    pub require_numbers: bool,
    pub require_symbols: bool,
    /// One sentence per rule ("At least 8 characters.").
    pub rules: Vec<String>,
}

/// What an authenticator app needs to be enrolled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct TotpSetup {
    /// Base32 secret, for typing in by hand.
    pub secret: String,
    /// `otpauth://totp/...`, what the QR code encodes.
    pub otpauth_uri: String,
    /// The QR code as an SVG document.
    pub qr_svg: String,
}

/// Where the forgot-password code was sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct CodeDelivery {
    /// Masked address, e.g. `a***@s***.local`.
    pub destination: String,
    /// `EMAIL` or `SMS`.
    pub medium: String,
}

/// The result of signing out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct SignOutView {
    /// Whether the refresh token was revoked at Cognito (not only forgotten here).
    pub revoked: bool,
    /// What happened, in plain words.
    pub message: String,
}
