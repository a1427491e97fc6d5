// The end-to-end flow in the real app window against the local stack:
// sign in as a new admin (temporary password → own password), add a folder, drop a
// JPEG into it, watch it reach "done", see its thumbnail in the gallery, delete it
// with the confirmation, and check from outside (aws-cli on the stack's S3) that it is gone.
// Every screen is saved as a PNG in the output folder.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type App, aws, stackDir, startApp, stackEnv, stackInfo } from "./harness";

const run = `${Date.now().toString(36)}${process.pid.toString(36)}`;
// A new user per run, made exactly as scripts/provision.py makes the admin (group
// admins, a temporary password, no e-mail sent), so the test can be repeated on the
// same stack: the provisioned admin's temporary password works only once.
const username = `e2e-admin-${run}`;
const temporaryPassword = `Tmp-${run}-Aa1!`;
const newPassword = `Own-${run}-Bb2!`;
const bucket = `e2e-ui-${run}`;
const photoName = `e2e-${run}.jpg`;

function createAdmin(): void {
  const pool = stackInfo().moto.cognito.user_pool_id;
  aws(
    "lightbox-moto",
    "cognito-idp",
    "admin-create-user",
    "--user-pool-id",
    pool,
    "--username",
    username,
    "--temporary-password",
    temporaryPassword,
    "--message-action",
    "SUPPRESS",
    "--user-attributes",
    `Name=email,Value=${username}@studio.local`,
    "Name=email_verified,Value=true",
  );
  aws("lightbox-moto", "cognito-idp", "admin-add-user-to-group", "--user-pool-id", pool, "--username", username, "--group-name", "admins");
}

function objectKeys(): string[] {
  const out = aws("lightbox-moto", "s3api", "list-objects-v2", "--bucket", bucket);
  if (!out.trim()) return [];
  const parsed = JSON.parse(out) as { Contents?: { Key: string }[] };
  return (parsed.Contents ?? []).map((o) => o.Key);
}

describe("the desktop app against the local stack", () => {
  let app: App;
  let work: string;
  let folder: string;

  beforeAll(async () => {
    createAdmin();
    aws("lightbox-moto", "s3api", "create-bucket", "--bucket", bucket);
    work = mkdtempSync(join(tmpdir(), "lightbox-e2e-"));
    folder = join(work, "camera");
    execFileSync("mkdir", ["-p", folder, join(work, "state"), join(work, "xdg-data"), join(work, "xdg-config")]);
    // A copy of the stack's config for the app (desktop.toml: the bucket in moto's S3,
    // where the identity pool's credentials work; docs/desktop.md). The app writes
    // folders and settings into its config file, so each run has its own.
    const env = stackEnv();
    const config = join(work, "desktop.toml");
    copyFileSync(join(stackDir(), "desktop.toml"), config);
    app = await startApp({
      ...env,
      LIGHTBOX_CONFIG: config,
      // Its own bucket, state and keyring file: nothing shared with other tests or runs.
      LIGHTBOX_STORAGE__BUCKET: bucket,
      LIGHTBOX_STATE_DIR: join(work, "state"),
      XDG_DATA_HOME: join(work, "xdg-data"),
      XDG_CONFIG_HOME: join(work, "xdg-config"),
      LIGHTBOX_INGEST__SETTLE__BASE_MS: "500",
    });
  });

  // A failed step leaves a picture of the window as it was.
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === "fail" && app) {
      await app.screenshot(`failed-${ctx.task.name.replace(/[^a-z0-9]+/gi, "-").slice(0, 60)}`).catch(() => undefined);
    }
  });

  afterAll(async () => {
    await app?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it("opens its window on the sign-in screen", async () => {
    const b = app.browser;
    await b.$("input[name=username]").waitForDisplayed({ timeout: 60_000 });
    expect(await b.$("h1").getText()).toBe("Lightbox");
    await app.screenshot("00-start");
  });

  it("signs in a new admin: temporary password, then a password of their own", async () => {
    const b = app.browser;
    await b.$("input[name=username]").setValue(username);
    await b.$("input[name=password]").setValue(temporaryPassword);
    await app.screenshot("01-sign-in");
    await b.$("button[type=submit]").click();

    const fresh = await b.$("input[name=new-password]");
    await fresh.waitForDisplayed({ timeout: 30_000 });
    await fresh.setValue(newPassword);
    await b.$("input[name=repeat-password]").setValue(newPassword);
    const unmet = await b.$$('ul[aria-label="Password rules"] li[data-met="false"]');
    expect(unmet.length, "every rule of the pool's policy is met by the new password").toBe(0);
    await app.screenshot("02-new-password");
    await b.$("button[type=submit]").click();

    const nav = await b.$("nav[aria-label=Screens]");
    await nav.waitForDisplayed({ timeout: 30_000 });
    const text = String(await nav.getProperty("textContent"));
    expect(text, "the signed-in user and role are shown").toContain(username);
    expect(text).toContain("Admin");
    await app.screenshot("03-activity-empty");
  });

  it("adds a camera folder by its path", async () => {
    const b = app.browser;
    await b.$("button[data-screen=folders]").click();
    await b.$("input[name=folder-path]").setValue(folder);
    await b.$("button=Add").click();
    const row = await b.$(`li.folder[data-path="${folder}"]`);
    await row.waitForDisplayed({ timeout: 30_000 });
    expect(await row.getAttribute("data-status")).not.toBe("offline");
    await app.screenshot("04-folders");
  });

  it("uploads a photo dropped into the folder until it is done", async () => {
    const b = app.browser;
    // A real JPEG (libvips-tools, installed by scripts/install-system.sh): 1600×1067 of noise.
    const tmp = join(work, photoName);
    execFileSync("vips", ["gaussnoise", `${tmp}[Q=85]`, "1600", "1067"]);
    execFileSync("mv", [tmp, join(folder, photoName)]);

    await b.$("button[data-screen=activity]").click();
    const done = await b.$(`li.file[data-name="${photoName}"][data-stage="done"]`);
    try {
      await done.waitForExist({ timeout: 180_000, interval: 500 });
    } catch {
      const shown = await b.$("section.activity").getText().catch(() => "(nothing)");
      await app.screenshot("05-activity-not-done");
      throw new Error(`${photoName} did not reach "done" within 180 s; the Activity screen shows:\n${shown}`);
    }
    await app.screenshot("05-activity-done");
    const keys = objectKeys();
    expect(keys.some((k) => k.startsWith("originals/") && k.endsWith(photoName)), `original in the bucket: ${keys}`).toBe(true);
  });

  it("shows the photo's thumbnail in the gallery and opens it full screen", async () => {
    const b = app.browser;
    await b.$("button[data-screen=gallery]").click();
    const thumb = await b.$(`button.thumb[title="${photoName}"] img`);
    await thumb.waitForExist({ timeout: 60_000 });
    await b.waitUntil(async () => (await b.execute((img) => (img as HTMLImageElement).naturalWidth, thumb)) > 0, {
      timeout: 30_000,
      timeoutMsg: "the thumbnail did not load (naturalWidth stayed 0): check the CSP's img-src and the presigned URL",
    });
    await app.screenshot("06-gallery");

    await b.$(`button.thumb[title="${photoName}"]`).doubleClick();
    const viewer = await b.$("[role=dialog] img");
    await viewer.waitForExist({ timeout: 10_000 });
    await b.waitUntil(async () => (await b.execute((img) => (img as HTMLImageElement).naturalWidth, viewer)) > 0, {
      timeout: 30_000,
      timeoutMsg: "the screen-size preview did not load",
    });
    await app.screenshot("07-viewer");
    await b.keys("Escape");
    await b.$("[role=dialog]").waitForExist({ reverse: true, timeout: 10_000 });
  });

  it("deletes it after the confirmation, and it is gone from the bucket", async () => {
    const b = app.browser;
    await b.$(`button.thumb[title="${photoName}"]`).click();
    await b.$("button=Delete…").click();
    const dialog = await b.$("[role=alertdialog]");
    await dialog.waitForDisplayed({ timeout: 30_000 });
    expect(await dialog.getText()).toContain("Delete 1 photo?");
    await app.screenshot("08-delete-confirm");
    await dialog.$("button.danger").click();
    await b.$(`button.thumb[title="${photoName}"]`).waitForExist({ reverse: true, timeout: 30_000 });
    await app.screenshot("09-gallery-after-delete");
    const left = objectKeys().filter((k) => k.includes(photoName.replace(/\.jpg$/, "")));
    expect(left, "neither the original nor its previews are left in the bucket").toEqual([]);
  });

  it("shows the settings", async () => {
    const b = app.browser;
    await b.$("button[data-screen=settings]").click();
    await b.$("input[name=time-zone]").waitForDisplayed({ timeout: 30_000 });
    await app.screenshot("10-settings");
  });
});
