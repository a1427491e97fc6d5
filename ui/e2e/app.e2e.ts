// An admin's day in the real app window, against the local stack, on the test's own desktop
// (scripts/desktop-session.sh: Xvfb, a D-Bus session, a window manager, a StatusNotifier host,
// a notification daemon): sign in with the temporary password, add the camera folder in the
// native folder picker, uploads with their notifications, a file the bucket refuses and its
// Retry, the speed limit measured on the wire, Pause and Resume, a photo and a ZIP dragged onto
// the window, the gallery and viewer at the keyboard, Download original through the native save
// dialog, Delete, close-to-tray, the tray menu, a second launch. Every screen is saved as a PNG
// and checked with axe-core.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  APP_WINDOW,
  answerFileDialog,
  clickTrayMenu,
  closeWindow,
  desktopScreenshot,
  dragOntoWindow,
  notifications,
  trayItems,
  until,
  visibleWindows,
} from "./desktop";
import { type App, aws, outputDir, startApp } from "./harness";
import { WRITES } from "./s3-proxy";
import {
  arrive,
  axeByScreen,
  axeProblems,
  clearField,
  createUser,
  endWorld,
  makeJpeg,
  makeWorld,
  makeZip,
  objectKeys,
  openScreen,
  RUN,
  screenshotIfFailed,
  shoot,
  signInFirstTime,
  stageOf,
  type User,
  waitForStage,
  type World,
} from "./world";

const MiB = 1024 * 1024;
const sha256 = (path: string) => createHash("sha256").update(readFileSync(path)).digest("hex");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("an admin's day in the app window", () => {
  let app: App;
  let world: World;
  let admin: User;
  const first = `first-${RUN}.jpg`;

  beforeAll(async () => {
    admin = createUser("admins", "admin");
    world = await makeWorld("app");
    app = await startApp(world.env);
  });

  afterEach((ctx) => screenshotIfFailed(ctx, app, "app"));

  afterAll(() => endWorld(app, world));

  it("opens its window on the sign-in screen", async () => {
    const b = app.browser;
    await b.$("input[name=username]").waitForDisplayed({ timeout: 60_000 });
    expect(await b.$("h1").getText()).toBe("Lightbox");
    await shoot(app, "app-00-start");
  });

  it("signs in a new admin: temporary password, then a password of their own", async () => {
    await signInFirstTime(app, admin, { signIn: "app-01-sign-in", newPassword: "app-02-new-password" });
    const text = String(await app.browser.$("nav[aria-label=Screens]").getProperty("textContent"));
    expect(text, "the signed-in user and role are shown").toContain(admin.username);
    expect(text).toContain("Admin");
    await shoot(app, "app-03-activity-empty");
  });

  it("Folders: the native folder picker, answered at the keyboard, adds the camera folder", async () => {
    const b = app.browser;
    await openScreen(app, "folders");
    await b.$("button=Add folder…").click();
    await answerFileDialog("Choose a camera folder", "folder", world.folder, () => desktopScreenshot(join(outputDir(), "app-04a-folder-picker.png")));
    const row = await b.$(`li.folder[data-path="${world.folder}"]`);
    await row.waitForDisplayed({ timeout: 30_000 });
    expect(await row.getAttribute("data-status")).not.toBe("offline");
    await shoot(app, "app-04-folders");
  });

  it("uploads a photo that lands in the folder until it is done, and says so in a notification", async () => {
    const shown = notifications().length;
    arrive(world, makeJpeg(world, first, 1600, 1067));
    await openScreen(app, "activity");
    await waitForStage(app, first, "done", 180_000);
    await shoot(app, "app-05-activity-done");
    const keys = objectKeys(world.bucket);
    expect(keys.some((k) => k.startsWith("originals/") && k.endsWith(first)), `original in the bucket: ${keys}`).toBe(true);
    const finished = await until("the 'Upload finished' notification", () =>
      notifications()
        .slice(shown)
        .find((n) => n.summary === "Upload finished"),
    );
    expect(finished.body).toBe("1 photo is safely in the studio's bucket.");
  });

  it("Activity: a file the bucket refuses shows why in plain words and a notification; Retry uploads it", async () => {
    const b = app.browser;
    const name = `refused-${RUN}.jpg`;
    const shown = notifications().length;
    world.proxy.denyWrites((key) => key.endsWith(name));
    arrive(world, makeJpeg(world, name, 800, 600));
    await waitForStage(app, name, "failed");
    const row = await b.$(`li.file[data-name="${name}"]`);
    const problem = await row.$("p.problem").getText();
    expect(problem, "the reason, in words a photographer can act on").toMatch(/access denied.*ask an admin/i);
    await shoot(app, "app-06-activity-failed");
    const failed = await until("the 'not uploaded' notification", () =>
      notifications()
        .slice(shown)
        .find((n) => n.summary === `${name} was not uploaded`),
    );
    expect(failed.body).toBe(problem);
    desktopScreenshot(join(outputDir(), "app-06a-failed-notification.png"));

    world.proxy.denyWrites(null);
    await row.$("button.retry").click();
    await waitForStage(app, name, "done");
    expect(objectKeys(world.bucket, "originals/").some((k) => k.endsWith(name)), "retried upload is in the bucket").toBe(true);
  });

  // One big photo (about 20 MB, 5 MiB parts, 2 requests in flight): first the limit is measured
  // on the wire, then the same upload is paused in the middle and resumed.
  const big = `big-${RUN}.jpg`;
  let pausedAt = 0;

  it("Activity: a speed limit set in the window bounds the rate on the wire (bytes/s over 5 s within 20 %)", async () => {
    const b = app.browser;
    const limitMiB = 2;
    await b.$("input[name=bandwidth-limit]").setValue(String(limitMiB));
    await b.$("form.limit button[type=submit]").click();
    await until("the limit to be saved", async () => (await b.$("input[name=bandwidth-limit]").getValue()) === String(limitMiB));
    const before = world.proxy.uploadedBytes();
    arrive(world, makeJpeg(world, big, 6000, 4000, 90));
    // From the first 2 MiB on the wire (past the start-up burst), 5 s measured.
    await until("the upload to start", () => world.proxy.uploadedBytes() - before > 2 * MiB, 120_000);
    const from = performance.now();
    await sleep(5000);
    const rate = world.proxy.rate(from, performance.now());
    await shoot(app, "app-07-activity-speed-limit");
    const limit = limitMiB * MiB;
    console.log(`speed limit: ${(rate / MiB).toFixed(3)} MiB/s measured on the wire over 5 s, limit ${limitMiB} MiB/s`);
    expect(
      Math.abs(rate - limit) / limit,
      `measured ${(rate / MiB).toFixed(2)} MiB/s over 5 s against a limit of ${limitMiB} MiB/s`,
    ).toBeLessThanOrEqual(0.2);
  });

  it("Activity: Pause lets the parts in flight finish and starts no new request; Resume finishes the file", async () => {
    const b = app.browser;
    expect(await stageOf(app, big), "the big photo is still uploading").toBe("uploading");
    await b.$("button=Pause uploads").click();
    await b.$("button=Resume uploads").waitForDisplayed({ timeout: 10_000 });
    pausedAt = performance.now();
    const inFlight = world.proxy.writes().filter((r) => r.ended === undefined);
    expect(
      world.proxy.writes().some((r) => r.op === "CompleteMultipartUpload" && r.started < pausedAt),
      "parts were still to go when Pause was pressed, so there is something to hold",
    ).toBe(false);
    // The parts in flight finish at the limit's pace, then nothing new starts.
    await until("the requests in flight at the pause to finish", () => inFlight.every((r) => r.ended !== undefined), 60_000);
    await sleep(2000);
    const startedWhilePaused = world.proxy.writes().filter((r) => r.started > pausedAt);
    expect(
      inFlight.map((r) => r.status),
      "every request in flight when Pause was pressed finished",
    ).toEqual(inFlight.map(() => 200));
    expect(startedWhilePaused.map((r) => `${r.op} ${r.key}`), "no upload request started while paused").toEqual([]);
    expect(await stageOf(app, big), "the photo waits, unfinished").not.toBe("done");
    expect((await b.$("section.activity").getText()).includes("Paused"), "the totals say Paused").toBe(true);
    await shoot(app, "app-08-activity-paused");
    console.log(
      `pause: ${inFlight.length} requests in flight at the pause (${inFlight.map((r) => `${r.op} ${r.status}`).join(", ")}), ` +
        `${startedWhilePaused.length} started while paused`,
    );

    // The limit off again, so the rest goes at full speed.
    await clearField(app, "input[name=bandwidth-limit]");
    await b.$("form.limit button[type=submit]").click();
    await b.$("button=Resume uploads").click();
    await b.$("button=Pause uploads").waitForDisplayed({ timeout: 10_000 });
    expect(await b.$("input[name=bandwidth-limit]").getValue(), "the limit is off again").toBe("");
    await waitForStage(app, big, "done", 180_000);
    const after = world.proxy.writes().filter((r) => r.started > pausedAt && WRITES.includes(r.op));
    expect(after.length, "uploading went on after Resume").toBeGreaterThan(0);
  });

  it("Drops: a photo and a ZIP dragged onto the window from a file manager are imported", async () => {
    const b = app.browser;
    const loose = makeJpeg(world, `dropped-${RUN}.jpg`, 900, 600);
    const inZip = [makeJpeg(world, `zipped-a-${RUN}.jpg`, 700, 500), makeJpeg(world, `zipped-b-${RUN}.jpg`, 700, 500)];
    const zip = makeZip(world, `shoot-${RUN}.zip`, inZip);
    await dragOntoWindow([loose, zip]);
    const banner = await b.$("[data-banner=import]");
    await banner.waitForDisplayed({ timeout: 30_000 });
    expect(await banner.getText()).toContain("Added 3 files to the upload queue from 1 ZIP");
    await shoot(app, "app-09-dropped");
    for (const name of [`dropped-${RUN}.jpg`, `zipped-a-${RUN}.jpg`, `zipped-b-${RUN}.jpg`]) {
      await waitForStage(app, name, "done");
    }
    const keys = objectKeys(world.bucket, "originals/");
    for (const name of [`dropped-${RUN}.jpg`, `zipped-a-${RUN}.jpg`, `zipped-b-${RUN}.jpg`]) {
      expect(keys.some((k) => k.endsWith(name)), `${name} in the bucket`).toBe(true);
    }
  });

  it("Gallery at the keyboard: Tab to the grid, arrows, Enter opens the viewer, arrows step, Esc closes", async () => {
    const b = app.browser;
    await openScreen(app, "gallery");
    const thumb = await b.$(`button.thumb[title="${first}"] img`);
    await thumb.waitForExist({ timeout: 60_000 });
    await b.waitUntil(async () => (await b.execute((img) => (img as HTMLImageElement).naturalWidth, thumb)) > 0, {
      timeout: 30_000,
      timeoutMsg: "the thumbnail did not load (naturalWidth stayed 0): check the CSP's img-src and the presigned URL",
    });
    await shoot(app, "app-10-gallery");
    // Keyboard only from here: Tab until the grid has the focus.
    for (let i = 0; i < 30; i++) {
      if ((await b.execute(() => document.activeElement?.getAttribute("role"))) === "grid") break;
      await b.keys("Tab");
    }
    expect(await b.execute(() => document.activeElement?.getAttribute("role")), "Tab reaches the grid").toBe("grid");
    await b.keys("Home");
    await b.keys("ArrowRight");
    expect(await b.$(".cell[data-focused=true]").isExisting(), "an arrow moves the focused cell").toBe(true);
    await b.keys("Home");
    await b.keys("Enter");
    const viewer = await b.$("[role=dialog]");
    await viewer.waitForExist({ timeout: 10_000 });
    const label = await viewer.getAttribute("aria-label");
    expect(label).toMatch(/^Photo 1 of \d+$/);
    await b.waitUntil(async () => (await b.execute(() => (document.querySelector("[role=dialog] img") as HTMLImageElement | null)?.naturalWidth ?? 0)) > 0, {
      timeout: 30_000,
      timeoutMsg: "the screen-size preview did not load",
    });
    await shoot(app, "app-11-viewer");
    await b.keys("ArrowRight");
    expect(await viewer.getAttribute("aria-label"), "→ steps to the next photo").toMatch(/^Photo 2 of \d+$/);
    await b.keys("ArrowLeft");
    expect(await viewer.getAttribute("aria-label")).toMatch(/^Photo 1 of \d+$/);
    await b.keys("Escape");
    await b.$("[role=dialog]").waitForExist({ reverse: true, timeout: 10_000 });
  });

  it("Gallery: Download original asks where in the native save dialog and writes the original there", async () => {
    const b = app.browser;
    await b.$(`button.thumb[title="${first}"]`).doubleClick();
    await b.$("[role=dialog]").waitForExist({ timeout: 10_000 });
    await b.$("button=Download original").click();
    const to = join(world.work, `downloaded-${first}`);
    await answerFileDialog("Save the original", "save", to, () => desktopScreenshot(join(outputDir(), "app-11a-save-dialog.png")));
    await until("the download to be written", () => {
      try {
        return readFileSync(to).length > 0;
      } catch {
        return false;
      }
    });
    const original = objectKeys(world.bucket, "originals/").find((k) => k.endsWith(first)) as string;
    const fromBucket = join(world.work, "from-bucket.jpg");
    aws("lightbox-moto", "s3api", "get-object", "--bucket", world.bucket, "--key", original, fromBucket);
    expect(sha256(to), "the saved file is the original, byte for byte").toBe(sha256(fromBucket));
    await b.keys("Escape");
    await b.$("[role=dialog]").waitForExist({ reverse: true, timeout: 10_000 });
  });

  it("Gallery: Delete at the keyboard asks first, then removes the photo and its previews from the bucket", async () => {
    const b = app.browser;
    await b.$(`button.thumb[title="${first}"]`).click();
    // The grid has the focus after the click; Delete is the admin's key.
    await b.execute(() => (document.querySelector("[role=grid]") as HTMLElement).focus());
    await b.keys("Delete");
    const dialog = await b.$("[role=alertdialog]");
    await dialog.waitForDisplayed({ timeout: 30_000 });
    expect(await dialog.getText()).toContain("Delete 1 photo?");
    expect(await b.execute(() => document.activeElement?.textContent), "Cancel has the focus, so Enter alone deletes nothing").toBe("Cancel");
    await shoot(app, "app-12-delete-confirm");
    await b.keys("Tab");
    await b.keys("Enter");
    await b.$(`button.thumb[title="${first}"]`).waitForExist({ reverse: true, timeout: 30_000 });
    await shoot(app, "app-13-gallery-after-delete");
    const left = objectKeys(world.bucket).filter((k) => k.includes(first.replace(/\.jpg$/, "")));
    expect(left, "neither the original nor its previews are left in the bucket").toEqual([]);
  });

  it("Tray: closing the window keeps uploading; the tray item shows the status and brings the window back", async () => {
    const item = await until("the tray item", () => trayItems().find((i) => i.menu.some((m) => m.label === "Quit Lightbox")));
    expect(item.menu.map((m) => m.label)).toEqual(expect.arrayContaining(["Show Lightbox", "Pause uploads", "Resume uploads", "Quit Lightbox"]));
    expect(item.menu[0].label, "the status line leads the menu").toMatch(/^Lightbox: /);

    closeWindow();
    await until("the window to be hidden", () => visibleWindows(APP_WINDOW).length === 0);
    const name = `while-hidden-${RUN}.jpg`;
    arrive(world, makeJpeg(world, name, 800, 600));
    await until("the photo dropped in after closing to reach the bucket", () => objectKeys(world.bucket, "originals/").some((k) => k.endsWith(name)), 120_000);
    const status = await until("the tray line to say up to date", () => {
      const line = trayItems().find((i) => i.item === item.item)?.menu[0].label;
      return line?.startsWith("Lightbox: up to date") && line;
    }, 60_000);
    expect(status).toMatch(/^Lightbox: up to date/);

    clickTrayMenu("Show Lightbox");
    await until("the window to come back from the tray", () => visibleWindows(APP_WINDOW).length === 1);
    await openScreen(app, "activity");
    await waitForStage(app, name, "done");
    await shoot(app, "app-14-back-from-tray");
  });

  it("Single instance: a second launch brings the first window back and exits, with no second engine", async () => {
    closeWindow();
    await until("the window to be hidden", () => visibleWindows(APP_WINDOW).length === 0);
    const bin = process.env.LIGHTBOX_APP_BIN as string;
    const second = spawn(bin, [], { env: { ...process.env, ...world.env }, stdio: "ignore" });
    const code = await new Promise<number | null>((ok) => second.on("exit", ok));
    expect(code, "the second launch hands over and exits cleanly").toBe(0);
    await until("the first window to come back", () => visibleWindows(APP_WINDOW).length === 1);
    // The first instance still answers (WebDriver talks to it), and its engine still uploads.
    const name = `after-second-launch-${RUN}.jpg`;
    arrive(world, makeJpeg(world, name, 800, 600));
    await waitForStage(app, name, "done");
  });

  it("axe-core finds nothing serious or critical on any screen", () => {
    expect(axeByScreen.size, "screens checked").toBeGreaterThan(10);
    expect(axeProblems(), "serious or critical findings by screen").toEqual([]);
  });
});
