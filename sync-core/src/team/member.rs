//! A person of the team as the admin sees them, read from what Cognito answers (pure).

use aws_sdk_cognitoidentityprovider::types::{AttributeType, UserStatusType, UserType};
use lightbox_types::{MemberStatus, TeamGroup};
use serde::{Deserialize, Serialize};

/// One person of the team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub username: String,
    pub email: Option<String>,
    /// The Lightbox group; `None` when in neither (or both): such a user gets no AWS
    /// credentials.
    pub group: Option<TeamGroup>,
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
pub fn member(user: &UserType, group: Option<TeamGroup>) -> Member {
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
            Some(TeamGroup::Staff),
        );
        assert_eq!(m.status, MemberStatus::WaitingForFirstSignIn);
        assert_eq!(m.group, Some(TeamGroup::Staff));
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
}
