// The desktop around the app window, as scripts/desktop-session.sh sets it up: the window as
// the window manager sees it (xdotool, wmctrl), the tray item as the StatusNotifier host sees
// it (desktop/tray.py over D-Bus), the notifications the daemon was asked to show (dbus-monitor's
// log), a file manager's drag (desktop/drag_source.py + xdotool), and the native GTK dialogs,
// answered with keystrokes as a person would.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";

const HERE = resolve(import.meta.dirname, "desktop");
// Debian's Python, where python3-gi and python3-dbus are (not a venv's).
const PYTHON = "/usr/bin/python3";

function desktopDir(): string {
  const d = process.env.LIGHTBOX_E2E_DESKTOP;
  if (!d) throw new Error("LIGHTBOX_E2E_DESKTOP is not set: run the end-to-end test through scripts/test-ui-e2e.sh");
  return d;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function run(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** Poll `probe` every 200 ms until it returns something other than undefined/false. */
export async function until<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v as T;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`gave up waiting for ${what} after ${timeoutMs / 1000} s${last ? `: ${String(last)}` : ""}`);
    await sleep(200);
  }
}

// ----- windows -----

/** X ids of the mapped (visible) windows whose title matches `pattern` (a regex for xdotool). */
export function visibleWindows(pattern: string): string[] {
  try {
    return run("xdotool", ["search", "--onlyvisible", "--name", pattern]).split("\n").filter(Boolean);
  } catch {
    return []; // xdotool exits 1 when nothing matches
  }
}

export const APP_WINDOW = "^Lightbox$";

/** Close the window as its close button does: the window manager asks it to close. */
export function closeWindow(title = "Lightbox"): void {
  run("wmctrl", ["-c", title]);
}

export function geometry(window: string): { x: number; y: number; width: number; height: number } {
  const out = run("xdotool", ["getwindowgeometry", "--shell", window]);
  const v = (k: string) => Number(new RegExp(`^${k}=(\\d+)`, "m").exec(out)?.[1]);
  return { x: v("X"), y: v("Y"), width: v("WIDTH"), height: v("HEIGHT") };
}

// ----- the tray -----

export interface TrayItem {
  item: string;
  id: string;
  title: string;
  status: string;
  menu: { id: number; label: string; enabled: boolean }[];
}

export function trayItems(): TrayItem[] {
  return JSON.parse(run(PYTHON, [join(HERE, "tray.py"), "list"])) as TrayItem[];
}

/** Pick `label` from the tray menu, as the StatusNotifier host does for a click. */
export function clickTrayMenu(label: string): void {
  run(PYTHON, [join(HERE, "tray.py"), "click", label]);
}

// ----- notifications -----

export interface Notification {
  app: string;
  summary: string;
  body: string;
}

/** Every Notify call made on the session bus so far (dbus-monitor's log, in order). */
export function notifications(): Notification[] {
  const log = readFileSync(join(desktopDir(), "notifications.log"), "utf8");
  const out: Notification[] = [];
  for (const call of log.split(/^method call /m).slice(1)) {
    if (!/member=Notify\b/.test(call)) continue;
    // Notify(app_name, replaces_id, app_icon, summary, body, actions, hints, timeout)
    const strings = [...call.matchAll(/^ {3}string "((?:[^"\\]|\\.)*)"$/gm)].map((m) => m[1]);
    out.push({ app: strings[0] ?? "", summary: strings[2] ?? "", body: strings[3] ?? "" });
  }
  return out;
}

// ----- drag and drop -----

/**
 * Drag `paths` from a file manager's window onto the app window and drop them there: a real
 * XDND drag (press, move in steps, release) through the X server, which WebKitGTK turns into
 * the drop event Tauri hands to the app.
 */
export async function dragOntoWindow(paths: string[], target = APP_WINDOW): Promise<void> {
  const source: ChildProcess = spawn(PYTHON, [join(HERE, "drag_source.py"), ...paths], { stdio: ["ignore", "pipe", "pipe"] });
  let said = "";
  source.stdout?.on("data", (b: Buffer) => (said += b.toString()));
  source.stderr?.on("data", (b: Buffer) => (said += b.toString()));
  try {
    await until("the drag source's window", () => said.includes("ready"), 15_000);
    const [src] = await until("the drag source's window id", () => visibleWindows("^lightbox-e2e-drag-source$").length > 0 && visibleWindows("^lightbox-e2e-drag-source$"));
    const [dst] = visibleWindows(target);
    if (!dst) throw new Error(`no visible window "${target}" to drop on`);
    const a = geometry(src);
    const b = geometry(dst);
    const from = { x: a.x + a.width / 2, y: a.y + a.height / 2 };
    const to = { x: b.x + b.width / 2, y: b.y + b.height / 2 };
    run("xdotool", ["mousemove", String(from.x), String(from.y), "mousedown", "1"]);
    for (let i = 1; i <= 12; i++) {
      const x = Math.round(from.x + ((to.x - from.x) * i) / 12);
      const y = Math.round(from.y + ((to.y - from.y) * i) / 12);
      run("xdotool", ["mousemove", String(x), String(y)]);
      await sleep(60);
    }
    await sleep(300);
    run("xdotool", ["mouseup", "1"]);
    await until("the drop target to take the files", () => said.includes(`sent ${paths.length}`), 15_000);
  } catch (e) {
    throw new Error(`${String(e)}\n--- drag source ---\n${said}`);
  } finally {
    source.kill();
  }
}

// ----- native dialogs -----

/**
 * Answer the GTK file dialog titled `title` with `path`, as a person at the keyboard does.
 * A folder picker: Alt+Home leaves the "Recent" view (where a typed location is not taken),
 * Ctrl+L opens the location field, the folder's path with a trailing slash, Enter picks it.
 * A save dialog: its name field has the focus; the full path replaces the suggested name, Enter
 * saves.
 */
export async function answerFileDialog(title: string, kind: "folder" | "save", path: string, beforeAccept?: () => void): Promise<void> {
  const [dialog] = await until(`the "${title}" dialog`, () => visibleWindows(`^${title}$`).length > 0 && visibleWindows(`^${title}$`), 30_000);
  run("xdotool", ["windowactivate", "--sync", dialog]);
  await sleep(300);
  if (kind === "folder") {
    run("xdotool", ["key", "--clearmodifiers", "alt+Home"]);
    await sleep(300);
    run("xdotool", ["key", "--clearmodifiers", "ctrl+l"]);
    await sleep(300);
  }
  run("xdotool", ["key", "--clearmodifiers", "ctrl+a"]);
  run("xdotool", ["type", "--delay", "15", kind === "folder" ? `${path.replace(/\/$/, "")}/` : path]);
  await sleep(500);
  beforeAccept?.();
  run("xdotool", ["key", "Return"]);
  await until(`the "${title}" dialog to close`, () => visibleWindows(`^${title}$`).length === 0, 15_000);
}

/** The whole desktop (native dialogs, the tray panel) as a PNG: what WebDriver cannot see. */
export function desktopScreenshot(path: string): void {
  run(PYTHON, [join(HERE, "screenshot.py"), path]);
}
