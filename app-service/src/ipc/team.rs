//! Team screen (admins only): the studio's users and what an admin may do to them.

pub use lightbox_types::{MemberStatus, TeamGroup};
use serde::{Deserialize, Serialize};

/// One person of the team.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct TeamMember {
    pub username: String,
    pub email: Option<String>,
    /// `null`: in neither group (or both), so they get no access.
    pub group: Option<TeamGroup>,
    pub status: MemberStatus,
    /// RFC 3339, empty when unknown.
    pub created: String,
    /// RFC 3339, empty when unknown.
    pub modified: String,
    /// The signed-in admin: the screen offers no disable, remove or move to staff.
    pub is_me: bool,
}

/// An invitation made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "camelCase")]
pub struct InvitationView {
    pub member: TeamMember,
    /// Shown once when Cognito sends no e-mail; `null` when it e-mails it.
    pub temporary_password: Option<String>,
}
