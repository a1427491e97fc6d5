//! What a signed-in user may do, from the Cognito groups in their ID token.

use serde::{Deserialize, Serialize};

/// What a signed-in user may do, from `cognito:groups`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// In `admins`: review and delete in the gallery.
    Admin,
    /// In `staff`: upload and view.
    Staff,
    /// In neither group: signed in, but the identity pool grants nothing.
    None,
}

impl Role {
    /// Whether this role may delete in the gallery (the app's check; the bucket policy is what
    /// enforces it).
    #[must_use]
    pub fn can_delete(self) -> bool {
        self == Role::Admin
    }

    /// `admins` wins over `staff`.
    #[must_use]
    pub fn from_groups(groups: &[String]) -> Self {
        if groups.iter().any(|g| g == "admins") {
            Self::Admin
        } else if groups.iter().any(|g| g == "staff") {
            Self::Staff
        } else {
            Self::None
        }
    }
}
