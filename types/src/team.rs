//! A member of the studio's team as an admin sees them: their Lightbox group and where they
//! stand (read from Cognito by sync-core `team`; shown by `lightbox users` and the app's Team
//! screen).

use serde::{Deserialize, Serialize};

/// The Lightbox groups (infra/modules/cognito's `groups`): each is one role of the identity
/// pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum TeamGroup {
    /// Also delete photos and manage the team.
    Admins,
    /// Upload and view photos.
    Staff,
}

impl TeamGroup {
    pub const ALL: [Self; 2] = [Self::Admins, Self::Staff];

    /// The Cognito group's name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admins => "admins",
            Self::Staff => "staff",
        }
    }

    /// `admins` or `staff` (`admin` is taken for `admins`); `None` for any other name.
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        match name.trim() {
            "admins" | "admin" => Some(Self::Admins),
            "staff" => Some(Self::Staff),
            _ => None,
        }
    }

    /// The one Lightbox group among a user's Cognito groups; `None` for none, or for both
    /// (the identity pool's rules would pick the first match, so the list says neither and
    /// the admin sets one).
    #[must_use]
    pub fn of<'a>(names: impl IntoIterator<Item = &'a str>) -> Option<Self> {
        let mut found = names.into_iter().filter_map(|n| match n {
            "admins" => Some(Self::Admins),
            "staff" => Some(Self::Staff),
            _ => None,
        });
        match (found.next(), found.next()) {
            (Some(g), None) => Some(g),
            _ => None,
        }
    }
}

/// Where a member stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum MemberStatus {
    /// Invited: has not signed in with the temporary password yet.
    WaitingForFirstSignIn,
    Active,
    /// An admin reset the password: the next sign-in goes through "forgot password".
    PasswordReset,
    /// May not sign in.
    Disabled,
    /// Any other Cognito state (an unconfirmed self sign-up, say).
    Other,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_is_one_of_the_two_or_none() {
        assert_eq!(TeamGroup::of(["staff"]), Some(TeamGroup::Staff));
        assert_eq!(
            TeamGroup::of(["photographers", "admins"]),
            Some(TeamGroup::Admins)
        );
        assert_eq!(
            TeamGroup::of(["admins", "staff"]),
            None,
            "both: no credentials"
        );
        assert_eq!(TeamGroup::of([]), None);
        assert_eq!(TeamGroup::parse(" admins "), Some(TeamGroup::Admins));
        assert_eq!(TeamGroup::parse("Admins-old"), None);
        for g in TeamGroup::ALL {
            assert_eq!(TeamGroup::parse(g.as_str()), Some(g), "names read back");
        }
    }
}
