//! `lightbox users` against moto, with the signed-in user's own identity-pool credentials:
//! an admin's role may manage the team (infra/modules/cognito's `user_admin` policy, rendered
//! into the stack's admins role), a staff member's role may not, and moto's IAM enforcement
//! refuses them. Each test makes its own users, so tests run in parallel.

use std::path::Path;

use lightbox_tests::{stack, unique_name};
use serde_json::Value;

use crate::support::{TEMPORARY_PASSWORD, create_pool_user, lightbox, text};

const NEW_PASSWORD: &str = "Brand-New-Pass-42";

/// Sign `user` (fresh, with the temporary password) in on `state`, choosing a new password.
fn first_sign_in(state: &Path, user: &str, temporary: &str) {
    let out = lightbox(
        state,
        &["login", "--username", user, "--password-stdin"],
        &format!("{temporary}\n{NEW_PASSWORD}\n"),
    );
    assert!(out.status.success(), "{user} signs in: {}", text(&out));
}

/// `lightbox users <args> --json` on `state`: its exit status and its JSON.
fn users(state: &Path, args: &[&str], stdin: &str) -> (bool, Value) {
    let mut all = vec!["users", "--json"];
    all.extend_from_slice(args);
    let out = lightbox(state, &all, stdin);
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("users {args:?} prints JSON ({e}): {}", text(&out)));
    (out.status.success(), json)
}

fn listed<'a>(list: &'a Value, username: &str) -> Option<&'a Value> {
    list.as_array()
        .expect("ls prints an array")
        .iter()
        .find(|m| m["username"] == username)
}

#[tokio::test]
async fn an_admin_invites_moves_disables_enables_resets_and_removes_a_member() {
    let admin = create_pool_user("team-admin", "admins").await;
    let state = tempfile::tempdir().expect("tempdir");
    first_sign_in(state.path(), &admin, TEMPORARY_PASSWORD);

    let name = unique_name("invitee");
    let email = format!("{name}@studio.example");
    let (ok, invited) = users(
        state.path(),
        &[
            "invite",
            &email,
            "--group",
            "staff",
            "--username",
            &name,
            "--show-password",
        ],
        "",
    );
    assert!(ok, "an admin invites: {invited}");
    assert_eq!(invited["member"]["username"], name.as_str(), "{invited}");
    assert_eq!(invited["member"]["group"], "staff", "{invited}");
    assert_eq!(
        invited["member"]["status"], "waiting_for_first_sign_in",
        "{invited}"
    );
    let temporary = invited["temporary_password"]
        .as_str()
        .expect("shown once, as Cognito sends nothing")
        .to_owned();

    let (ok, list) = users(state.path(), &["ls"], "");
    assert!(ok, "{list}");
    let row = listed(&list, &name).expect("the invitee is listed");
    assert_eq!(row["email"], email.as_str(), "{row}");
    assert_eq!(row["group"], "staff", "from AdminListGroupsForUser: {row}");
    assert!(
        !row["created"].as_str().unwrap_or_default().is_empty(),
        "{row}"
    );
    assert_eq!(
        listed(&list, &admin).expect("the admin too")["group"],
        "admins"
    );

    // The password shown works once, and the invitee then counts as active.
    let invitee = tempfile::tempdir().expect("tempdir");
    first_sign_in(invitee.path(), &name, &temporary);
    let (_, list) = users(state.path(), &["ls"], "");
    assert_eq!(listed(&list, &name).expect("listed")["status"], "active");

    let (ok, out) = users(state.path(), &["set-group", &name, "admins"], "");
    assert!(ok, "{out}");
    let (_, list) = users(state.path(), &["ls"], "");
    assert_eq!(
        listed(&list, &name).expect("listed")["group"],
        "admins",
        "moved, and out of staff (one group each): {list}"
    );

    let (ok, out) = users(state.path(), &["disable", &name], "");
    assert!(ok, "{out}");
    let (_, list) = users(state.path(), &["ls"], "");
    assert_eq!(listed(&list, &name).expect("listed")["status"], "disabled");
    let whoami = lightbox(invitee.path(), &["whoami"], "");
    assert!(
        !whoami.status.success(),
        "the disabled member's sign-in was ended: {}",
        text(&whoami)
    );

    let (ok, out) = users(state.path(), &["enable", &name], "");
    assert!(ok, "{out}");
    let (ok, out) = users(state.path(), &["reset-password", &name], "");
    assert!(ok, "{out}");
    let (_, list) = users(state.path(), &["ls"], "");
    assert_eq!(
        listed(&list, &name).expect("listed")["status"],
        "password_reset"
    );

    let (ok, out) = users(state.path(), &["rm", &name], "someone-else\n");
    assert!(!ok, "a confirmation naming someone else removes nobody");
    assert_eq!(out["error"]["code"], "team_not_confirmed", "{out}");
    let (_, list) = users(state.path(), &["ls"], "");
    assert!(listed(&list, &name).is_some(), "still there");

    let (ok, out) = users(state.path(), &["rm", &name], &format!("{name}\n"));
    assert!(ok, "confirmed by typing the name: {out}");
    let (_, list) = users(state.path(), &["ls"], "");
    assert!(listed(&list, &name).is_none(), "removed: {list}");
}

#[tokio::test]
async fn the_errors_an_admin_meets_have_codes() {
    let admin = create_pool_user("team-admin", "admins").await;
    let state = tempfile::tempdir().expect("tempdir");
    first_sign_in(state.path(), &admin, TEMPORARY_PASSWORD);

    let cases: [(&[&str], &str, &str); 6] = [
        (&["disable", &admin], "team_own_account", "not yourself"),
        (&["rm", &admin, "--yes"], "team_own_account", "not yourself"),
        (
            &["set-group", &admin, "staff"],
            "team_own_account",
            "no demoting yourself",
        ),
        (
            &["invite", "x@studio.example", "--group", "owners"],
            "team_unknown_group",
            "two groups only",
        ),
        (
            &["invite", "not-an-address", "--group", "staff"],
            "team_bad_value",
            "an e-mail address is checked",
        ),
        (
            &["enable", "nobody-of-that-name"],
            "team_no_such_user",
            "Cognito's UserNotFoundException",
        ),
    ];
    for (args, code, why) in cases {
        let (ok, out) = users(state.path(), args, "");
        assert!(!ok, "{why}: {args:?}");
        assert_eq!(out["error"]["code"], code, "{why}: {out}");
    }

    // A second invitation of the same user name.
    let name = unique_name("twice");
    let email = format!("{name}@studio.example");
    let args = [
        "invite",
        email.as_str(),
        "--group",
        "staff",
        "--username",
        name.as_str(),
        "--show-password",
    ];
    assert!(users(state.path(), &args, "").0);
    let (ok, out) = users(state.path(), &args, "");
    assert!(!ok);
    assert_eq!(out["error"]["code"], "team_user_exists", "{out}");

    let nobody = tempfile::tempdir().expect("tempdir");
    let (ok, out) = users(nobody.path(), &["ls"], "");
    assert!(!ok);
    assert_eq!(out["error"]["code"], "team_not_signed_in", "{out}");
}

#[tokio::test]
async fn aws_refuses_a_staff_members_invitation_with_a_typed_code() {
    let staff = create_pool_user("team-staff", "staff").await;
    let state = tempfile::tempdir().expect("tempdir");
    first_sign_in(state.path(), &staff, TEMPORARY_PASSWORD);

    let name = unique_name("by-staff");
    let out = lightbox(
        state.path(),
        &[
            "users",
            "invite",
            &format!("{name}@studio.example"),
            "--group",
            "admins",
            "--username",
            &name,
        ],
        "",
    );
    assert!(!out.status.success(), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("[team_refused]")
            && stderr.contains("is not authorized to perform: cognito-idp:AdminCreateUser")
            && stderr.contains("lightbox_studio-staff"),
        "the server's refusal of the staff role, in plain words with its code: {}",
        text(&out)
    );
    let exists = stack()
        .cognito_idp()
        .admin_get_user()
        .user_pool_id(&stack().info.moto.cognito.user_pool_id)
        .username(&name)
        .send()
        .await;
    assert!(exists.is_err(), "nobody was created: {exists:?}");

    for args in [&["ls"][..], &["set-group", &staff, "admins"][..]] {
        let (ok, out) = users(state.path(), args, "");
        assert!(!ok, "{args:?}");
        assert_eq!(out["error"]["code"], "team_refused", "{args:?}: {out}");
    }
}
