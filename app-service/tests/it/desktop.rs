//! The desktop core against the local stack (moto: Cognito, identity pool and S3, since the
//! app always uploads with the signed-in user's identity-pool credentials): a new admin signs in
//! through the new-password challenge, watches a folder, a photo dropped in it reaches `done` in
//! the activity batches, the gallery lists it with a thumbnail URL that serves a JPEG, a staff
//! member may not delete (and sees the daemon-held catalog as read-only), the admin deletes it.

use std::path::Path;
use std::time::Duration;

use app_service::DesktopCore;
use app_service::ipc::{
    ActivityBatch, EngineOwner, ErrorCode, FileActivity, FolderStatus, SignInStep, Stage,
};
use lightbox_fixtures::jpeg;
use lightbox_tests::{stack, unique_name};
use lightbox_types::{FailureCode, Role};
use sync_core::catalog::CatalogLock;
use sync_core::engine::CATALOG_FILE;
use tokio::sync::mpsc;

use lightbox_tests::pool_users::{TEMPORARY_PASSWORD, create_pool_user};
use lightbox_tests::test_engine::PATIENCE;

const NEW_PASSWORD: &str = "Brand-New-Pass-42";

/// A config for the app on `bucket` in moto, with its state in `dir/state`.
pub(crate) fn write_config(dir: &Path, bucket: &str) -> std::path::PathBuf {
    let info = &stack().info;
    let moto = &info.moto;
    let cognito = &moto.cognito;
    let state = dir.join("state");
    // A settle window of 1 s, four activity batches long (one per 250 ms): the row is seen
    // settling in at least one batch. With 200 ms, a batch that came just before the file
    // folded settling into whatever stage the next one found (a fast machine got there first).
    let text = format!(
        "state_dir = {state:?}\n\
         [storage]\nbucket = {bucket:?}\nregion = {region:?}\nendpoint = {endpoint:?}\n\
         force_path_style = true\n\
         [auth]\ncredentials = \"cognito\"\n\
         [auth.cognito]\nregion = {region:?}\nuser_pool_id = {pool:?}\nclient_id = {client:?}\n\
         identity_pool_id = {identity:?}\nidp_endpoint = {endpoint:?}\n\
         identity_endpoint = {endpoint:?}\njwks_url = {jwks:?}\nrefresh_token_store = \"file\"\n\
         [ingest.settle]\nbase_ms = 1000\nextra_ms_per_step = 0\n",
        state = state.display().to_string(),
        region = info.region,
        endpoint = moto.endpoint,
        pool = cognito.user_pool_id,
        client = cognito.client_id,
        identity = cognito.identity_pool_id,
        jwks = cognito.jwks_url,
    );
    let path = dir.join("desktop.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

/// A new bucket in moto (where the identity pool's credentials work), named from `hint`.
pub(crate) async fn moto_bucket(hint: &str) -> String {
    let bucket = unique_name(hint);
    stack()
        .moto_s3()
        .create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("moto creates the bucket");
    bucket
}

/// Sign `user` in with the temporary password, then choose a new one.
pub(crate) async fn sign_in_new_user(
    core: &DesktopCore,
    user: &str,
) -> app_service::ipc::SessionView {
    let first = core
        .sign_in(user, TEMPORARY_PASSWORD.to_owned())
        .await
        .expect("the temporary password is accepted");
    let SignInStep::NewPasswordRequired { policy } = first else {
        panic!("a new user must choose a password, got {first:?}")
    };
    assert!(
        policy.rules.iter().any(|r| r.contains("characters")),
        "the policy is shown in words: {:?}",
        policy.rules
    );
    let weak = core
        .complete_new_password("short".to_owned())
        .await
        .expect_err("a weak password is refused before it is sent");
    assert_eq!(weak.code, ErrorCode::WeakPassword, "{}", weak.message);
    match core
        .complete_new_password(NEW_PASSWORD.to_owned())
        .await
        .expect("a password that meets the policy")
    {
        SignInStep::SignedIn { session } => session,
        other => panic!("no MFA on the provisioned pool, got {other:?}"),
    }
}

/// Batches until `want` holds for a row, with every row seen for `name`.
async fn wait_for_row(
    batches: &mut mpsc::UnboundedReceiver<ActivityBatch>,
    name: &str,
    want: impl Fn(&FileActivity) -> bool,
    seen: &mut Vec<Stage>,
) -> FileActivity {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let batch = tokio::time::timeout_at(deadline, batches.recv())
            .await
            .unwrap_or_else(|_| panic!("{name} did not get there in time; stages seen: {seen:?}"))
            .expect("the activity stream stays open");
        for row in batch.files.into_iter().filter(|r| r.name == name) {
            if seen.last() != Some(&row.stage) {
                seen.push(row.stage);
            }
            if want(&row) {
                return row;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_signs_in_uploads_sees_the_thumbnail_and_deletes_staff_may_not() {
    let bucket = moto_bucket("desktop").await;
    let admin_name = create_pool_user("desk-admin", "admins").await;
    let staff_name = create_pool_user("desk-staff", "staff").await;

    let admin_dir = tempfile::tempdir().expect("tempdir");
    let core = DesktopCore::new(Some(write_config(admin_dir.path(), &bucket))).expect("config");
    assert!(
        !core.session_state().await.expect("session").signed_in,
        "nobody is signed in on a fresh state dir"
    );
    let session = sign_in_new_user(&core, &admin_name).await;
    assert_eq!(session.role, Role::Admin, "the admins group makes an admin");
    assert_eq!(session.username, admin_name);
    let info = core.app_info().await;
    assert_eq!(info.engine_owner, EngineOwner::App, "{}", info.owner_detail);

    let (tx, mut batches) = mpsc::unbounded_channel();
    core.watch_activity(move |batch| tx.send(batch).is_ok());
    let camera = admin_dir.path().join("camera");
    std::fs::create_dir_all(&camera).expect("mkdir");
    let folder = core.add_folder(&camera).await.expect("folder added");
    assert_ne!(folder.status, FolderStatus::Offline, "{folder:?}");

    // Only paths that a drop on the window handed to Rust are read, each once.
    let loose = admin_dir.path().join("loose.jpg");
    std::fs::write(&loose, jpeg(64, 48, None)).expect("write");
    let named = [loose.display().to_string()];
    let report = core.import_paths(&named).await.expect("a report");
    assert_eq!(report.queued, 0, "a path the webview named is not read");
    assert_eq!(
        report.rejected.first().map(|p| p.code),
        Some(FailureCode::ImportNotDropped),
        "{report:?}"
    );
    println!("not dropped: {}", report.rejected[0].message);
    core.files_dropped(vec![camera.clone()]);
    let dropped = [camera.display().to_string()];
    let report = core.import_paths(&dropped).await.expect("a report");
    assert_eq!(
        report.rejected.first().map(|p| p.code),
        Some(FailureCode::ImportIsFolder),
        "a dropped path gets past the check (a folder: not imported): {report:?}"
    );
    let report = core.import_paths(&dropped).await.expect("a report");
    assert_eq!(
        report.rejected.first().map(|p| p.code),
        Some(FailureCode::ImportNotDropped),
        "a drop is taken once: {report:?}"
    );

    let temporary = camera.join(".shot.jpg.part");
    std::fs::write(&temporary, jpeg(640, 480, None)).expect("write photo");
    std::fs::rename(&temporary, camera.join("shot.jpg")).expect("rename into place");
    let mut stages = Vec::new();
    let done = wait_for_row(
        &mut batches,
        "shot.jpg",
        |r| r.stage == Stage::Done,
        &mut stages,
    )
    .await;
    assert_eq!(
        stages.first(),
        Some(&Stage::Settling),
        "the row starts settling: {stages:?}"
    );
    // A batch carries a row's latest stage, so quick steps fold together; never backwards.
    let order = [
        Stage::Settling,
        Stage::Hashing,
        Stage::Queued,
        Stage::Uploading,
        Stage::Verifying,
        Stage::Previews,
        Stage::Done,
    ];
    let positions: Vec<usize> = stages
        .iter()
        .map(|s| {
            order
                .iter()
                .position(|o| o == s)
                .expect("a happy-path stage")
        })
        .collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "stages only move forward: {stages:?}"
    );
    let key = done.key.clone().expect("a done file has its key");
    assert_eq!(
        done.bytes_done, done.bytes_total,
        "done means every byte is up"
    );

    let folders = core.folders().await.expect("folders");
    assert_eq!(folders.len(), 1, "the folder is listed once");
    assert_eq!(folders[0].counts.done, 1, "{:?}", folders[0]);
    let recent = core.recent_activity(10).await.expect("recent");
    assert_eq!(
        recent.first().map(|r| r.stage),
        Some(Stage::Done),
        "{recent:?}"
    );

    let day = key["originals/".len().."originals/YYYY/MM/DD".len()].replace('/', "-");
    let days = core.gallery_days().await.expect("days");
    assert!(
        days.iter().any(|d| d.day == day && d.count == 1),
        "{day} has the photo: {days:?}"
    );
    let page = core.gallery_page(&day, None, 50).await.expect("page");
    let item = page
        .items
        .iter()
        .find(|i| i.key == key)
        .expect("the photo is in its day's page");
    let thumb = item
        .thumb_url
        .as_deref()
        .expect("previews were made: a thumbnail URL");
    // moto's identity-pool credentials last 90 s: a URL signed with them must stop working
    // a minute before they do (30 s at most), not live the 15-minute cap and fail mid-scroll.
    let expires: u64 = reqwest::Url::parse(thumb)
        .expect("a URL")
        .query_pairs()
        .find(|(name, _)| name == "X-Amz-Expires")
        .expect("a presigned URL says how long it works")
        .1
        .parse()
        .expect("seconds");
    assert!(
        (1..=30).contains(&expires),
        "the URL outlives the credentials that signed it: X-Amz-Expires={expires}"
    );
    let response = reqwest::get(thumb)
        .await
        .expect("the presigned URL answers");
    assert!(response.status().is_success(), "{}", response.status());
    let bytes = response.bytes().await.expect("body");
    assert_eq!(&bytes[..2], &[0xFF, 0xD8], "the thumbnail is a JPEG");

    // Staff, on a catalog that another process (standing in for the daemon) holds.
    let staff_dir = tempfile::tempdir().expect("tempdir");
    let staff = DesktopCore::new(Some(write_config(staff_dir.path(), &bucket))).expect("config");
    let state = staff_dir.path().join("state");
    std::fs::create_dir_all(&state).expect("mkdir");
    let _daemon = CatalogLock::acquire(&state.join(CATALOG_FILE)).expect("the stand-in holds it");
    let staff_session = sign_in_new_user(&staff, &staff_name).await;
    assert_eq!(staff_session.role, Role::Staff);
    let busy = staff.app_info().await;
    assert_eq!(
        busy.engine_owner,
        EngineOwner::Daemon,
        "{}",
        busy.owner_detail
    );
    assert!(
        busy.owner_detail.contains("service"),
        "{}",
        busy.owner_detail
    );
    let refused = staff
        .add_folder(&camera)
        .await
        .expect_err("the daemon owns the catalog");
    assert_eq!(refused.code, ErrorCode::EngineBusy, "{}", refused.message);
    let forbidden = staff
        .prepare_delete(std::slice::from_ref(&key))
        .await
        .expect_err("staff may not delete");
    assert_eq!(
        forbidden.code,
        ErrorCode::Forbidden,
        "{}",
        forbidden.message
    );

    let plan = core
        .prepare_delete(std::slice::from_ref(&key))
        .await
        .expect("an admin may");
    assert_eq!((plan.count, plan.keys.clone()), (1, vec![key.clone()]));
    let report = core.confirm_delete(&plan.token).await.expect("deleted");
    assert_eq!(report.deleted, std::slice::from_ref(&key), "{report:?}");
    let again = core
        .confirm_delete(&plan.token)
        .await
        .expect_err("a token confirms one delete");
    assert_eq!(again.code, ErrorCode::NotFound);
    let gone = stack()
        .moto_s3()
        .head_object()
        .bucket(&bucket)
        .key(&key)
        .send()
        .await;
    assert!(gone.is_err(), "the original is gone from the bucket");

    let out = core.sign_out().await.expect("signed out");
    assert!(!out.message.is_empty());
    assert!(!core.session_state().await.expect("session").signed_in);
    staff.sign_out().await.expect("staff signed out");
    tokio::time::timeout(Duration::from_secs(60), async {
        core.shutdown().await;
        staff.shutdown().await;
    })
    .await
    .expect("both cores stop");
}
