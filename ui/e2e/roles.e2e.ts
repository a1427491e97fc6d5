// Roles and ownership in the real window: a staff member sees no Delete anywhere (toolbar,
// viewer, Delete key), and when the headless daemon (`lightbox run`) owns the catalog, the app
// says so in a banner, shows the daemon's uploads live, and refuses what would change anything.
import { type ChildProcess, spawn } from "node:child_process";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { answerFileDialog, until } from "./desktop";
import { type App, startApp } from "./harness";
import {
  addFolderByPath,
  arrive,
  axeByScreen,
  axeProblems,
  createUser,
  endWorld,
  makeJpeg,
  makeWorld,
  objectKeys,
  openScreen,
  quitApp,
  RUN,
  screenshotIfFailed,
  shoot,
  signInFirstTime,
  type User,
  waitForStage,
  type World,
} from "./world";

describe("roles and ownership", () => {
  let app: App;
  let world: World;
  let admin: User;
  let staff: User;
  let daemon: ChildProcess | undefined;
  let daemonLog = "";
  const photos = [`roles-a-${RUN}.jpg`, `roles-b-${RUN}.jpg`];

  beforeAll(async () => {
    admin = createUser("admins", "roles-admin");
    staff = createUser("staff", "roles-staff");
    world = await makeWorld("roles");
    app = await startApp(world.env);
    // The admin puts two photos in the bucket, then signs out.
    await signInFirstTime(app, admin);
    await addFolderByPath(app, world.folder);
    for (const p of photos) arrive(world, makeJpeg(world, p, 900, 600));
    await openScreen(app, "activity");
    for (const p of photos) await waitForStage(app, p, "done");
    await app.browser.$("button=Sign out").click();
    await app.browser.$("input[name=username]").waitForDisplayed({ timeout: 30_000 });
  });

  afterEach((ctx) => screenshotIfFailed(ctx, app, "roles"));

  afterAll(async () => {
    daemon?.kill("SIGTERM");
    await endWorld(app, world);
  });

  it("Staff: no Delete in the gallery's toolbar, in the viewer, or on the Delete key", async () => {
    const b = app.browser;
    await signInFirstTime(app, staff);
    expect(String(await b.$("nav[aria-label=Screens]").getProperty("textContent"))).toContain("Staff");
    await openScreen(app, "gallery");
    const first = await b.$(`button.thumb[title="${photos[0]}"]`);
    await first.waitForExist({ timeout: 60_000 });
    await first.click();
    await b.$("[data-selected]").waitForDisplayed({ timeout: 10_000 });
    await shoot(app, "roles-01-staff-gallery");
    expect(await b.$("button*=Delete").isExisting(), "no Delete button next to the selection").toBe(false);
    await b.execute(() => (document.querySelector("[role=grid]") as HTMLElement).focus());
    await b.keys("Delete");
    await b.keys("Backspace");
    expect(await b.$("[role=alertdialog]").isExisting(), "the Delete key asks nothing of staff").toBe(false);

    await b.keys("Enter");
    const viewer = await b.$("[role=dialog]");
    await viewer.waitForExist({ timeout: 10_000 });
    await shoot(app, "roles-02-staff-viewer");
    expect(await viewer.$("button*=Delete").isExisting(), "no Delete in the viewer").toBe(false);
    await b.keys("Delete");
    expect(await b.$("[role=alertdialog]").isExisting(), "nor on its Delete key").toBe(false);
    await b.keys("Escape");
    expect(objectKeys(world.bucket, "originals/").filter((k) => photos.some((p) => k.endsWith(p))).length, "both photos are still there").toBe(2);
  });

  it("Daemon: with `lightbox run` owning the catalog, a banner says so, its uploads show live, and changes are refused plainly", async () => {
    const bin = process.env.LIGHTBOX_CLI_BIN;
    if (!bin) throw new Error("LIGHTBOX_CLI_BIN is not set: run the end-to-end test through scripts/test-ui-e2e.sh");
    // The app quits; the daemon takes the same catalog, state dir and config (and the kept
    // sign-in's refresh token for its S3 credentials), then the app starts again.
    await quitApp(app, world);
    daemon = spawn(bin, ["run"], { env: { ...process.env, ...world.env }, stdio: ["ignore", "pipe", "pipe"] });
    daemon.stdout?.on("data", (c: Buffer) => (daemonLog = (daemonLog + c.toString()).slice(-20_000)));
    daemon.stderr?.on("data", (c: Buffer) => (daemonLog = (daemonLog + c.toString()).slice(-20_000)));
    await until("the daemon to start watching", () => /watch|engine started|running/i.test(daemonLog) || daemon?.exitCode !== null, 60_000);
    expect(daemon.exitCode, `the daemon runs:\n${daemonLog}`).toBe(null);

    app = await startApp(world.env);
    const b = app.browser;
    const banner = await b.$("[data-banner=engine-busy]");
    await banner.waitForDisplayed({ timeout: 60_000 });
    expect(await banner.getText()).toMatch(/Another Lightbox is uploading from this computer/);

    const name = `by-the-daemon-${RUN}.jpg`;
    arrive(world, makeJpeg(world, name, 900, 600));
    await openScreen(app, "activity");
    await waitForStage(app, name, "done");
    await shoot(app, "roles-03-daemon-banner");
    expect(objectKeys(world.bucket, "originals/").some((k) => k.endsWith(name)), `uploaded by the daemon:\n${daemonLog}`).toBe(true);

    await b.$("button=Pause uploads").click();
    const refused = await b.$("section.activity [role=alert][data-code=engine_busy]");
    await refused.waitForDisplayed({ timeout: 10_000 });
    const text = await refused.getText();
    expect(text).toContain("Another Lightbox is uploading");
    expect(text).toMatch(/Stop the service to upload from the app/);
    await shoot(app, "roles-04-daemon-refuses");

    await openScreen(app, "folders");
    await b.$("button=Add folder…").click();
    await answerFileDialog("Choose a camera folder", "folder", world.work);
    const folderRefused = await b.$("section.folders [role=alert][data-code=engine_busy]");
    await folderRefused.waitForDisplayed({ timeout: 10_000 });
    expect(await folderRefused.getText()).toContain("Another Lightbox is uploading");
  });

  it("axe-core finds nothing serious or critical on these screens", () => {
    expect(axeByScreen.size).toBeGreaterThanOrEqual(4);
    expect(axeProblems(), "serious or critical findings by screen").toEqual([]);
  });
});
