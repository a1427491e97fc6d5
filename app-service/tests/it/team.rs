//! The Team screen's commands on the desktop core against the local stack: an admin lists,
//! invites (the temporary password shown once), moves, disables, enables and removes; a staff
//! member's list and invitation are refused by AWS (moto's IAM) as `forbidden`.

use app_service::DesktopCore;
use app_service::ipc::{ErrorCode, MemberStatus, TeamGroup, TeamMember};
use lightbox_tests::pool_users::create_pool_user;
use lightbox_tests::unique_name;

use crate::desktop::{moto_bucket, sign_in_new_user, write_config};

/// A desktop core on a fresh bucket and state dir, `user` signed in.
async fn signed_in(dir: &std::path::Path, user: &str) -> DesktopCore {
    let bucket = moto_bucket("team").await;
    let core = DesktopCore::new(Some(write_config(dir, &bucket))).expect("config");
    sign_in_new_user(&core, user).await;
    core
}

fn row<'a>(members: &'a [TeamMember], username: &str) -> Option<&'a TeamMember> {
    members.iter().find(|m| m.username == username)
}

#[tokio::test]
async fn an_admin_manages_the_team_and_a_staff_member_is_refused_by_aws() {
    let admin = create_pool_user("desk-team-admin", "admins").await;
    let dir = tempfile::tempdir().expect("tempdir");
    let core = signed_in(dir.path(), &admin).await;

    let name = unique_name("desk-invitee");
    let invitation = core
        .invite_member(
            &format!("{name}@studio.example"),
            Some(&name),
            TeamGroup::Staff,
            true,
        )
        .await
        .expect("an admin invites");
    assert!(
        invitation
            .temporary_password
            .as_ref()
            .is_some_and(|p| p.len() >= 16),
        "shown once when Cognito sends nothing"
    );
    assert_eq!(
        invitation.member.status,
        MemberStatus::WaitingForFirstSignIn
    );

    let members = core.team_members().await.expect("an admin lists");
    assert!(row(&members, &admin).expect("the admin").is_me);
    let invitee = row(&members, &name).expect("the invitee");
    assert_eq!(invitee.group, Some(TeamGroup::Staff));
    assert!(!invitee.is_me);

    core.set_member_group(&name, TeamGroup::Admins)
        .await
        .expect("moved");
    core.disable_member(&name).await.expect("disabled");
    let members = core.team_members().await.expect("listed");
    let invitee = row(&members, &name).expect("the invitee");
    assert_eq!(invitee.group, Some(TeamGroup::Admins));
    assert_eq!(invitee.status, MemberStatus::Disabled);
    core.enable_member(&name).await.expect("enabled");

    let own = core
        .disable_member(&admin)
        .await
        .expect_err("not one's own account");
    assert_eq!(own.code, ErrorCode::BadInput, "{}", own.message);

    core.remove_member(&name).await.expect("removed");
    let gone = core
        .enable_member(&name)
        .await
        .expect_err("no such user any more");
    assert_eq!(gone.code, ErrorCode::NotFound, "{}", gone.message);

    let staff = create_pool_user("desk-team-staff", "staff").await;
    let staff_dir = tempfile::tempdir().expect("tempdir");
    let staff_core = signed_in(staff_dir.path(), &staff).await;
    let refused = staff_core
        .team_members()
        .await
        .expect_err("staff may not list the team");
    assert_eq!(refused.code, ErrorCode::Forbidden, "{}", refused.message);
    let refused = staff_core
        .invite_member("x@studio.example", None, TeamGroup::Admins, true)
        .await
        .expect_err("staff may not invite");
    assert_eq!(refused.code, ErrorCode::Forbidden, "{}", refused.message);
    assert!(
        refused.message.contains("cognito-idp:AdminCreateUser"),
        "the server's words: {}",
        refused.message
    );
    staff_core.shutdown().await;
    core.shutdown().await;
}
