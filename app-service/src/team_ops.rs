//! The Team screen over [`sync_core::team`]: each command signs its Cognito calls with the
//! signed-in user's identity-pool credentials, so AWS refuses a staff member whatever the
//! screen shows (the UI shows the screen to admins only).

use crate::DesktopCore;
use crate::ipc::{InvitationView, IpcError, TeamMember};
use lightbox_types::TeamGroup;
use sync_core::team::{self, Delivery, Team};

/// The screen's row for `member`; `me` is the signed-in user.
fn member_view(member: team::Member, me: Option<&str>) -> TeamMember {
    let is_me = me.is_some_and(|me| me.eq_ignore_ascii_case(&member.username));
    TeamMember {
        group: member.group,
        status: member.status,
        username: member.username,
        email: member.email,
        created: member.created,
        modified: member.modified,
        is_me,
    }
}

impl DesktopCore {
    async fn team(&self) -> Result<Team, IpcError> {
        Ok(Team::signed_in(&self.config()).await?)
    }

    /// Everyone who may sign in, sorted by user name.
    ///
    /// # Errors
    /// `forbidden` for a staff member (AWS refuses); `not_signed_in`, `network`, `auth_service`.
    pub async fn team_members(&self) -> Result<Vec<TeamMember>, IpcError> {
        let team = self.team().await?;
        let members = team.list().await?;
        Ok(members
            .into_iter()
            .map(|m| member_view(m, team.me()))
            .collect())
    }

    /// Invite `email` into `group`; with `show_password` Cognito sends nothing and the
    /// temporary password comes back, to be shown once.
    ///
    /// # Errors
    /// `bad_input` (not an address, the name is taken), `forbidden`, as for the list.
    pub async fn invite_member(
        &self,
        email: &str,
        username: Option<&str>,
        group: TeamGroup,
        show_password: bool,
    ) -> Result<InvitationView, IpcError> {
        let team = self.team().await?;
        let delivery = if show_password {
            Delivery::Show
        } else {
            Delivery::Email
        };
        let invitation = team.invite(username, email, group, delivery).await?;
        Ok(InvitationView {
            member: member_view(invitation.member, team.me()),
            temporary_password: invitation.temporary_password.map(|p| p.expose().to_owned()),
        })
    }

    /// Move `username` into `group` (and out of the other).
    ///
    /// # Errors
    /// `bad_input` for one's own account to staff; `not_found`, `forbidden`.
    pub async fn set_member_group(&self, username: &str, group: TeamGroup) -> Result<(), IpcError> {
        Ok(self.team().await?.set_group(username, group).await?)
    }

    /// Stop `username` signing in and end their sign-ins.
    ///
    /// # Errors
    /// `bad_input` for one's own account; `not_found`, `forbidden`.
    pub async fn disable_member(&self, username: &str) -> Result<(), IpcError> {
        Ok(self.team().await?.disable(username).await?)
    }

    /// Let `username` sign in again.
    ///
    /// # Errors
    /// `not_found`, `forbidden`.
    pub async fn enable_member(&self, username: &str) -> Result<(), IpcError> {
        Ok(self.team().await?.enable(username).await?)
    }

    /// Make `username` choose a new password with a code Cognito sends them.
    ///
    /// # Errors
    /// `bad_input` when Cognito refuses in their state (never signed in, disabled);
    /// `not_found`, `forbidden`.
    pub async fn reset_member_password(&self, username: &str) -> Result<(), IpcError> {
        Ok(self.team().await?.reset_password(username).await?)
    }

    /// Delete `username`'s account (their photos stay). The screen asks first.
    ///
    /// # Errors
    /// `bad_input` for one's own account; `not_found`, `forbidden`.
    pub async fn remove_member(&self, username: &str) -> Result<(), IpcError> {
        Ok(self.team().await?.remove(username).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signed_in_admin_is_marked_whatever_the_case() {
        let member = |name: &str| team::Member {
            username: name.to_owned(),
            email: None,
            group: Some(TeamGroup::Admins),
            status: team::MemberStatus::Active,
            created: String::new(),
            modified: String::new(),
        };
        assert!(member_view(member("Ann"), Some("ann")).is_me);
        assert!(!member_view(member("bob"), Some("ann")).is_me);
        assert_eq!(
            member_view(member("bob"), None).group,
            Some(TeamGroup::Admins)
        );
    }
}
