import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type App, startApp, stackEnv } from "./harness";

describe("the desktop app against the local stack", () => {
  let app: App;

  beforeAll(async () => {
    app = await startApp(stackEnv());
  });
  afterAll(async () => {
    await app?.close();
  });

  it("opens its window with the Lightbox header", async () => {
    const title = await app.browser.$("h1");
    await title.waitForDisplayed({ timeout: 30_000 });
    expect(await title.getText()).toBe("Lightbox");
    await app.screenshot("00-start");
  });
});
