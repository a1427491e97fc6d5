// What every end-to-end story needs around the app: users made as scripts/provision.py makes
// them, a bucket of its own in the local stack's S3 behind the counting proxy, a work folder
// with the app's config, state and XDG dirs, photos made with libvips, the sign-in through the
// window, and a screenshot with an axe-core run of every screen shown.
import { execFileSync } from "node:child_process";
import { appendFileSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, type TestContext } from "vitest";
import { type AxeFinding, axeFindings } from "./axe";
import { answerFileDialog, clickTrayMenu, trayItems } from "./desktop";
import { type App, aws, stackDir, stackEnv, stackInfo } from "./harness";
import { S3Proxy } from "./s3-proxy";

export const RUN = `${Date.now().toString(36)}${process.pid.toString(36)}`;

export interface User {
  username: string;
  temporaryPassword: string;
  password: string;
  group: "admins" | "staff";
}

/** A new user in the stack's pool (group, temporary password, no e-mail sent). */
export function createUser(group: User["group"], tag: string): User {
  const username = `e2e-${tag}-${RUN}`;
  const user = { username, temporaryPassword: `Tmp-${RUN}-${tag}-Aa1!`, password: `Own-${RUN}-${tag}-Bb2!`, group };
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
    user.temporaryPassword,
    "--message-action",
    "SUPPRESS",
    "--user-attributes",
    `Name=email,Value=${username}@studio.local`,
    "Name=email_verified,Value=true",
  );
  aws("lightbox-moto", "cognito-idp", "admin-add-user-to-group", "--user-pool-id", pool, "--username", username, "--group-name", group);
  return user;
}

/** The stack's S3 (moto) endpoint, which the proxy forwards to. */
export function motoEndpoint(): string {
  return stackInfo().moto.endpoint;
}

export interface World {
  work: string;
  /** The camera folder the app watches. */
  folder: string;
  bucket: string;
  proxy: S3Proxy;
  /** The app's config file (a copy of the stack's desktop.toml plus the lines below). */
  config: string;
  /** The app's environment: config, state, home and XDG dirs, its bucket behind the proxy. */
  env: Record<string, string>;
}

/**
 * A bucket, a proxy in front of the stack's S3, and a work folder for one story. The config
 * is the stack's desktop.toml (S3 in moto, where the identity pool's credentials work) with a
 * 1 s settle window and small multipart parts, so a 20 MB photo goes up in several parts.
 */
export async function makeWorld(tag: string): Promise<World> {
  const bucket = `e2e-${tag}-${RUN}`;
  aws("lightbox-moto", "s3api", "create-bucket", "--bucket", bucket);
  const proxy = await S3Proxy.start(motoEndpoint());
  const work = mkdtempSync(join(tmpdir(), `lightbox-e2e-${tag}-`));
  const folder = join(work, "camera");
  for (const d of ["camera", "state", "home", "xdg-data", "xdg-config", "xdg-cache", "made"]) mkdirSync(join(work, d), { recursive: true });
  const config = join(work, "desktop.toml");
  copyFileSync(join(stackDir(), "desktop.toml"), config);
  appendFileSync(
    config,
    [
      "",
      "# Added by the end-to-end test (ui/e2e/world.ts).",
      "[ingest.settle]",
      "base_ms = 1000",
      "",
      "[upload]",
      "multipart_threshold_mib = 8",
      "part_size_mib = 5",
      "max_requests_in_flight = 2",
      "",
    ].join("\n"),
  );
  const env = {
    ...stackEnv(),
    LIGHTBOX_CONFIG: config,
    LIGHTBOX_STORAGE__BUCKET: bucket,
    LIGHTBOX_STORAGE__ENDPOINT: proxy.endpoint,
    LIGHTBOX_STATE_DIR: join(work, "state"),
    // A home of its own too: "start at login" writes ~/.config/autostart (the autostart
    // plugin ignores XDG_CONFIG_HOME), and nothing of a test may land in the machine's home.
    HOME: join(work, "home"),
    XDG_DATA_HOME: join(work, "xdg-data"),
    XDG_CONFIG_HOME: join(work, "xdg-config"),
    XDG_CACHE_HOME: join(work, "xdg-cache"),
  };
  return { work, folder, bucket, proxy, config, env };
}

/**
 * Quit the app as a person does, with "Quit Lightbox" in the tray menu, and wait until it is
 * gone: no tray item left and the engine's process (named in the catalog's lock file) exited.
 * Closing the WebDriver session alone is not enough: the window's close is the app's
 * close-to-tray, so the app would go on in the tray, and the next start in this D-Bus session
 * would only bring that one back (single instance).
 */
export async function quitApp(app: App, world: World): Promise<void> {
  let pid = 0;
  try {
    pid = Number.parseInt(readFileSync(join(world.env.LIGHTBOX_STATE_DIR, "catalog.sqlite.lock"), "utf8").trim(), 10);
  } catch {
    // no engine ran
  }
  const lightboxInTray = () => trayItems().some((i) => i.menu.some((m) => m.label === "Quit Lightbox"));
  if (lightboxInTray()) clickTrayMenu("Quit Lightbox");
  await app.close();
  // Gone, or a zombie waiting for its parent (WebKitWebDriver) to reap it.
  const alive = () => {
    try {
      return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
    } catch {
      return false;
    }
  };
  for (let i = 0; (pid > 0 && alive()) || lightboxInTray(); i++) {
    if (i > 150) throw new Error(`the app (process ${pid || "unknown"}) did not quit within 30 s of "Quit Lightbox"`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Close the app and the proxy, and remove the work folder. */
export async function endWorld(app: App | undefined, world: World | undefined): Promise<void> {
  if (app && world) await quitApp(app, world);
  await world?.proxy.close();
  if (world) rmSync(world.work, { recursive: true, force: true });
}

/** For afterEach: a failed step leaves a picture of the window as it was. */
export async function screenshotIfFailed(ctx: TestContext, app: App | undefined, prefix: string): Promise<void> {
  if (ctx.task.result?.state === "fail" && app) {
    await app.screenshot(`failed-${prefix}-${ctx.task.name.replace(/[^a-z0-9]+/gi, "-").slice(0, 50)}`).catch(() => undefined);
  }
}

/** Keys in `bucket` (aws-cli on the stack's S3, not through the proxy). */
export function objectKeys(bucket: string, prefix = ""): string[] {
  const out = aws("lightbox-moto", "s3api", "list-objects-v2", "--bucket", bucket, ...(prefix ? ["--prefix", prefix] : []));
  if (!out.trim()) return [];
  return ((JSON.parse(out) as { Contents?: { Key: string }[] }).Contents ?? []).map((o) => o.Key);
}

/**
 * A real JPEG made with libvips, in the work folder (not yet in the camera folder). With
 * `noiseSigma`, Gaussian noise, which JPEG barely compresses (a big file from few pixels);
 * otherwise three octaves of coloured Perlin noise seeded by the name, so each photo in a
 * screenshot looks different.
 */
export function makeJpeg(world: World, name: string, width = 1200, height = 800, noiseSigma?: number): string {
  const path = join(world.work, "made", name);
  if (noiseSigma !== undefined) {
    execFileSync("vips", ["gaussnoise", `${path}[Q=92]`, String(width), String(height), "--sigma", String(noiseSigma)]);
    return path;
  }
  const seed = [...name].reduce((h, c) => (h * 31 + c.charCodeAt(0)) % 100_000, 7);
  const bands = [0, 1, 2].map((i) => {
    const band = join(world.work, "made", `${name}.${i}.v`);
    execFileSync("vips", ["perlin", band, String(width), String(height), "--cell-size", String(140 + 50 * i), "--uchar", "--seed", String(seed + i)]);
    return band;
  });
  const joined = join(world.work, "made", `${name}.v`);
  execFileSync("vips", ["bandjoin", bands.join(" "), joined]);
  execFileSync("vips", ["copy", joined, `${path}[Q=90]`, "--interpretation", "srgb"]);
  for (const f of [...bands, joined]) rmSync(f);
  return path;
}

/**
 * The JPEG at `path` with an EXIF block saying it was taken at `taken` ("YYYY:MM:DD HH:MM:SS"):
 * an APP1 segment after SOI holding IFD0 → Exif IFD → DateTimeOriginal, as a camera writes it.
 * Hand-made because no installed tool writes EXIF (libvips only keeps what is there).
 */
export function setCaptureTime(path: string, taken: string): void {
  const jpeg = readFileSync(path);
  const value = Buffer.from(`${taken}\0`, "ascii"); // 20 bytes
  // Little-endian TIFF: header (8), IFD0 with 1 entry (2 + 12 + 4), Exif IFD with 1 entry
  // (2 + 12 + 4), then the value.
  const tiff = Buffer.alloc(8 + 18 + 18 + value.length);
  tiff.write("II", 0, "ascii");
  tiff.writeUInt16LE(42, 2);
  tiff.writeUInt32LE(8, 4);
  tiff.writeUInt16LE(1, 8);
  tiff.writeUInt16LE(0x8769, 10); // ExifIFDPointer
  tiff.writeUInt16LE(4, 12); // LONG
  tiff.writeUInt32LE(1, 14);
  tiff.writeUInt32LE(26, 18);
  tiff.writeUInt32LE(0, 22);
  tiff.writeUInt16LE(1, 26);
  tiff.writeUInt16LE(0x9003, 28); // DateTimeOriginal
  tiff.writeUInt16LE(2, 30); // ASCII
  tiff.writeUInt32LE(value.length, 32);
  tiff.writeUInt32LE(44, 36);
  tiff.writeUInt32LE(0, 40);
  value.copy(tiff, 44);
  const payload = Buffer.concat([Buffer.from("Exif\0\0", "binary"), tiff]);
  const app1 = Buffer.alloc(4);
  app1.writeUInt16BE(0xffe1, 0);
  app1.writeUInt16BE(payload.length + 2, 2);
  writeFileSync(path, Buffer.concat([jpeg.subarray(0, 2), app1, payload, jpeg.subarray(2)]));
}

/** Put a made file into the watched folder in one step, as a card reader's rename does. */
export function arrive(world: World, made: string, folder = world.folder): string {
  const to = join(folder, made.split("/").pop() as string);
  execFileSync("mv", [made, to]);
  return to;
}

/** A ZIP of `files` (Python's zipfile, Debian's python3). */
export function makeZip(world: World, name: string, files: string[]): string {
  const path = join(world.work, "made", name);
  execFileSync("/usr/bin/python3", ["-m", "zipfile", "-c", path, ...files]);
  return path;
}

// ----- the window -----

/** Sign `user` in through the window: the temporary password, then one of their own. */
export async function signInFirstTime(app: App, user: User, shots?: { signIn: string; newPassword: string }): Promise<void> {
  const b = app.browser;
  await b.$("input[name=username]").waitForDisplayed({ timeout: 60_000 });
  await b.$("input[name=username]").setValue(user.username);
  await b.$("input[name=password]").setValue(user.temporaryPassword);
  if (shots) await shoot(app, shots.signIn);
  await b.$("button[type=submit]").click();
  const fresh = await b.$("input[name=new-password]");
  await fresh.waitForDisplayed({ timeout: 30_000 });
  await fresh.setValue(user.password);
  await b.$("input[name=repeat-password]").setValue(user.password);
  const unmet = await b.$$('ul[aria-label="Password rules"] li[data-met="false"]');
  expect(unmet.length, "every rule of the pool's policy is met by the new password").toBe(0);
  // Both entries typed: the button comes on once the window has seen the last keystroke.
  await b.$("button[type=submit]").waitForEnabled({ timeout: 10_000 });
  if (shots) await shoot(app, shots.newPassword);
  await b.$("button[type=submit]").click();
  await b.$("nav[aria-label=Screens]").waitForDisplayed({ timeout: 30_000 });
}

/** Sign in with a password the user already set. */
export async function signIn(app: App, user: User): Promise<void> {
  const b = app.browser;
  await b.$("input[name=username]").waitForDisplayed({ timeout: 60_000 });
  await b.$("input[name=username]").setValue(user.username);
  await b.$("input[name=password]").setValue(user.password);
  await b.$("button[type=submit]").click();
  await b.$("nav[aria-label=Screens]").waitForDisplayed({ timeout: 30_000 });
}

/**
 * Empty a text field as a person does (select all, Backspace): WebDriver's clear fires no
 * input event, so the form would not see it.
 */
export async function clearField(app: App, selector: string): Promise<void> {
  await app.browser.$(selector).click();
  await app.browser.keys(["Control", "a"]);
  await app.browser.keys("Backspace");
}

/** Add `folder` through the Folders screen: the native folder picker, answered at the keyboard
 * (the app opens it from Rust; the page has no path field). */
export async function addFolderByPath(app: App, folder: string): Promise<void> {
  await openScreen(app, "folders");
  await app.browser.$("button=Add folder…").click();
  await answerFileDialog("Choose a camera folder", "folder", folder);
  await app.browser.$(`li.folder[data-path="${folder}"]`).waitForDisplayed({ timeout: 30_000 });
}

export async function openScreen(app: App, screen: "activity" | "folders" | "gallery" | "settings"): Promise<void> {
  await app.browser.$(`button[data-screen=${screen}]`).click();
}

/** Serious and critical axe-core findings by screenshot name, over the whole run. */
export const axeByScreen = new Map<string, AxeFinding[]>();

/** The serious and critical findings so far, one line per screen that has any. */
export function axeProblems(): string[] {
  return [...axeByScreen]
    .filter(([, found]) => found.length > 0)
    .map(([screen, found]) => `${screen}: ${found.map((v) => `${v.impact} ${v.id} (${v.help}) at ${v.targets.join(", ")}`).join("; ")}`);
}

/** Save a screenshot of what the window shows as `name`, and run axe-core on it. */
export async function shoot(app: App, name: string): Promise<void> {
  // Every image decoded and two frames painted, so the picture shows what a person sees.
  await app.browser.executeAsync((done: () => void) => {
    Promise.all([...document.images].map((img) => img.decode().catch(() => undefined))).then(() =>
      requestAnimationFrame(() => requestAnimationFrame(() => done())),
    );
  });
  await app.screenshot(name);
  axeByScreen.set(name, await axeFindings(app.browser));
}

/** The `data-stage` of the Activity row for `name`, or undefined. */
export async function stageOf(app: App, name: string): Promise<string | undefined> {
  const row = await app.browser.$(`li.file[data-name="${name}"]`);
  if (!(await row.isExisting())) return undefined;
  return (await row.getAttribute("data-stage")) ?? undefined;
}

/** Wait until the Activity row for `name` shows `stage`; says what it shows if it never does. */
export async function waitForStage(app: App, name: string, stage: string, timeout = 120_000): Promise<void> {
  const b = app.browser;
  try {
    await b.$(`li.file[data-name="${name}"][data-stage="${stage}"]`).waitForExist({ timeout, interval: 250 });
  } catch {
    const shown = await b
      .$("section.activity")
      .getText()
      .catch(() => "(no Activity screen)");
    throw new Error(`${name} did not reach "${stage}" within ${timeout / 1000} s; the Activity screen shows:\n${shown}`);
  }
}
