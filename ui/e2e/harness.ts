// Starts tauri-driver in front of WebKitWebDriver and opens a WebDriver session on
// the Lightbox app binary, pointed at the local stack.
//
// Why WebdriverIO in ui/ rather than a Rust WebDriver crate in tests/: it is the
// client Tauri's own WebDriver guide uses with tauri-driver, it needs no extra Rust
// build on the 2-core CI machine (the app binary is built anyway), and the UI's
// selectors and waits live next to the components they drive. Only its standalone
// `remote()` is used, under vitest, so the test runner is the one the UI already has.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { remote } from "webdriverio";

export type Browser = WebdriverIO.Browser;

export const REPO = resolve(import.meta.dirname, "../..");
const CACHE = process.env.LIGHTBOX_CACHE ?? join(homedir(), ".cache/lightbox");

function need(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the end-to-end test through scripts/test-ui-e2e.sh`);
  return v;
}

/** What scripts/provision.py wrote for the running local stack. */
export interface StackInfo {
  region: string;
  moto: { endpoint: string; cognito: { user_pool_id: string; admin_username: string } };
  garage: { endpoint: string; bucket: string };
}

export function stackDir(): string {
  return need("LIGHTBOX_STACK_DIR");
}

export function stackInfo(): StackInfo {
  return JSON.parse(readFileSync(join(stackDir(), "stack.json"), "utf8")) as StackInfo;
}

/** The environment `scripts/stack.sh env` prints: aws-cli profiles and LIGHTBOX_CONFIG. */
export function stackEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(join(stackDir(), "stack.env"), "utf8").split("\n")) {
    const m = /^export ([A-Z_]+)=(.*)$/.exec(line);
    if (m) env[m[1]] = m[2];
  }
  return env;
}

/** aws-cli from the project's venv, against the local stack; returns stdout. */
export function aws(profile: "lightbox-moto" | "lightbox-garage", ...args: string[]): string {
  const bin = join(need("LIGHTBOX_VENV_DIR"), "bin/aws");
  return execFileSync(bin, ["--profile", profile, "--output", "json", ...args], {
    env: { ...process.env, ...stackEnv() },
    encoding: "utf8",
  });
}

export function outputDir(): string {
  const dir = process.env.LIGHTBOX_E2E_OUT ?? join(CACHE, "test-output/e2e");
  mkdirSync(dir, { recursive: true });
  return dir;
}

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once("error", fail);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? ok(addr.port) : fail(new Error("no port"))));
    });
  });
}

async function waitForPort(port: number, driver: ChildProcess, log: () => string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (driver.exitCode !== null) throw new Error(`tauri-driver exited (${driver.exitCode}):\n${log()}`);
    try {
      const r = await fetch(`http://127.0.0.1:${port}/status`);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`tauri-driver did not answer on port ${port} within 10 s:\n${log()}`);
}

export interface App {
  browser: Browser;
  /** Save a PNG of the window as `<name>.png` in the output folder; returns its path. */
  screenshot(name: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * Start the app with `env` added to its environment (config path, state dir...).
 * The app is a child of WebKitWebDriver, itself a child of tauri-driver: both
 * inherit the environment given here.
 */
export async function startApp(env: Record<string, string>): Promise<App> {
  const application = need("LIGHTBOX_APP_BIN");
  const port = await freePort();
  const nativePort = await freePort();
  let driverLog = "";
  const driver = spawn(
    need("TAURI_DRIVER_BIN"),
    ["--port", String(port), "--native-port", String(nativePort), "--native-driver", "/usr/bin/WebKitWebDriver"],
    { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] },
  );
  const keep = (b: Buffer) => {
    driverLog = (driverLog + b.toString()).slice(-20_000);
  };
  driver.stdout?.on("data", keep);
  driver.stderr?.on("data", keep);
  try {
    await waitForPort(port, driver, () => driverLog);
    const browser = await remote({
      hostname: "127.0.0.1",
      port,
      logLevel: "warn",
      // A command the window cannot answer (a screenshot while it is hidden) fails in 30 s, not 120.
      connectionRetryTimeout: 30_000,
      connectionRetryCount: 0,
      capabilities: {
        // WebKitWebDriver speaks classic WebDriver only (no BiDi).
        "wdio:enforceWebDriverClassic": true,
        "tauri:options": { application },
      } as WebdriverIO.Capabilities,
    });
    const dir = outputDir();
    return {
      browser,
      async screenshot(name: string) {
        const path = join(dir, `${name}.png`);
        // A hidden window (closed to the tray) never answers a screenshot: give up after 15 s.
        let timer: NodeJS.Timeout | undefined;
        const late = new Promise<never>((_, fail) => {
          timer = setTimeout(() => fail(new Error(`no screenshot of the window within 15 s (is it hidden?): ${name}`)), 15_000);
        });
        try {
          await Promise.race([browser.saveScreenshot(path), late]);
        } finally {
          clearTimeout(timer);
        }
        return path;
      },
      async close() {
        await browser.deleteSession().catch(() => undefined);
        driver.kill("SIGTERM");
      },
    };
  } catch (e) {
    driver.kill("SIGTERM");
    throw new Error(`could not open the app window: ${String(e)}\n--- tauri-driver ---\n${driverLog}`);
  }
}
