// axe-core (npm, pinned in ui/package.json) run inside the app window on the screen it shows:
// its source is handed to the page over WebDriver, which is not subject to the page's CSP.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Browser } from "./harness";

const source = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

export interface AxeFinding {
  id: string;
  impact: string;
  help: string;
  targets: string[];
}

/** The serious and critical findings on what the window shows now. */
export async function axeFindings(browser: Browser): Promise<AxeFinding[]> {
  const loaded = await browser.execute(() => typeof (window as unknown as { axe?: unknown }).axe === "object");
  if (!loaded) await browser.execute(source);
  const found = (await browser.executeAsync((done: (r: unknown) => void) => {
    const axe = (window as unknown as { axe: { run: (ctx: Document, opts: object) => Promise<{ violations: unknown[] }> } }).axe;
    axe
      .run(document, { resultTypes: ["violations"] })
      .then((r) => done(r.violations))
      .catch((e: unknown) => done({ error: String(e) }));
  })) as { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] | { error: string };
  if (!Array.isArray(found)) throw new Error(`axe-core failed in the window: ${found.error}`);
  return found
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target.join(" ")) }));
}
