//! A person of the team as the admin sees them, read from what Cognito answers (pure).

use aws_sdk_cognitoidentityprovider::types::{AttributeType, UserStatusType, UserType};
use serde::{Deserialize, Serialize};

use super::TeamError;

/// The groups Lightbox knows (infra/modules/cognito's `groups`): each is one role of the
/// identity pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    Admins,
    Staff,
}

impl Group {
    pub const ALL: [Self; 2] = [Self::Admins, Self::Staff];

    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admins => "admins",
            Self::Staff => "staff",
        }
    }

    /// `admins` or `staff` (the Cognito group names; `admin` is accepted for `admins`).
    pub fn parse(name: &str) -> Result<Self, TeamError> {
        match name.trim() {
            "admins" | "admin" => Ok(Self::Admins),
            "staff" => Ok(Self::Staff),
            other => Err(TeamError::UnknownGroup(other.to_owned())),
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

/// One person of the team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub username: String,
    pub email: Option<String>,
    /// The Lightbox group; `None` when in neither (or both): such a user gets no AWS
    /// credentials.
    pub group: Option<Group>,
    pub status: MemberStatus,
    /// RFC 3339, empty when Cognito did not say.
    pub created: String,
    /// RFC 3339, empty when Cognito did not say.
    pub modified: String,
}

fn attribute(attributes: &[AttributeType], name: &str) -> Option<String> {
    attributes
        .iter()
        .find(|a| a.name() == name)
        .and_then(|a| a.value().map(str::to_owned))
}

fn time(t: Option<&aws_smithy_types::DateTime>) -> String {
    t.and_then(|t| jiff::Timestamp::new(t.secs(), 0).ok())
        .map_or_else(String::new, |t| t.to_string())
}

/// The status Cognito's `Enabled` and `UserStatus` mean: disabled wins over any state.
#[must_use]
pub fn status(enabled: bool, user_status: Option<&UserStatusType>) -> MemberStatus {
    if !enabled {
        return MemberStatus::Disabled;
    }
    match user_status {
        Some(UserStatusType::ForceChangePassword) => MemberStatus::WaitingForFirstSignIn,
        Some(UserStatusType::Confirmed) => MemberStatus::Active,
        Some(UserStatusType::ResetRequired) => MemberStatus::PasswordReset,
        _ => MemberStatus::Other,
    }
}

/// A member from a `ListUsers` (or `AdminCreateUser`) user and the group found for them.
#[must_use]
pub fn member(user: &UserType, group: Option<Group>) -> Member {
    Member {
        username: user.username().unwrap_or_default().to_owned(),
        email: attribute(user.attributes(), "email"),
        group,
        status: status(user.enabled(), user.user_status()),
        created: time(user.user_create_date()),
        modified: time(user.user_last_modified_date()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(status: UserStatusType, enabled: bool) -> UserType {
        let at = aws_smithy_types::DateTime::from_secs(1_767_225_600);
        UserType::builder()
            .username("ann")
            .enabled(enabled)
            .user_status(status)
            .attributes(
                AttributeType::builder()
                    .name("email")
                    .value("ann@studio.example")
                    .build()
                    .expect("an attribute with a name"),
            )
            .user_create_date(at)
            .user_last_modified_date(at)
            .build()
    }

    #[test]
    fn a_member_reads_status_group_e_mail_and_times() {
        let m = member(
            &user(UserStatusType::ForceChangePassword, true),
            Some(Group::Staff),
        );
        assert_eq!(m.status, MemberStatus::WaitingForFirstSignIn);
        assert_eq!(m.group, Some(Group::Staff));
        assert_eq!(m.email.as_deref(), Some("ann@studio.example"));
        assert_eq!(m.created, "2026-01-01T00:00:00Z");
        let cases = [
            (UserStatusType::Confirmed, true, MemberStatus::Active),
            (UserStatusType::Confirmed, false, MemberStatus::Disabled),
            (
                UserStatusType::ForceChangePassword,
                false,
                MemberStatus::Disabled,
            ),
            (
                UserStatusType::ResetRequired,
                true,
                MemberStatus::PasswordReset,
            ),
            (UserStatusType::Unconfirmed, true, MemberStatus::Other),
        ];
        for (cognito, enabled, expected) in cases {
            assert_eq!(
                member(&user(cognito.clone(), enabled), None).status,
                expected,
                "{cognito:?}, enabled {enabled}"
            );
        }
    }

    #[test]
    fn a_group_is_one_of_the_two_or_none() {
        assert_eq!(Group::of(["staff"]), Some(Group::Staff));
        assert_eq!(Group::of(["photographers", "admins"]), Some(Group::Admins));
        assert_eq!(Group::of(["admins", "staff"]), None, "both: no credentials");
        assert_eq!(Group::of([]), None);
        assert_eq!(Group::parse(" admins ").ok(), Some(Group::Admins));
        assert!(matches!(
            Group::parse("Admins-old"),
            Err(TeamError::UnknownGroup(_))
        ));
    }
}
