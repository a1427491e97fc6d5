import { render, screen } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import App from "./App.svelte";
import type { Backend } from "./lib/api/backend";
import type { AppInfo } from "./lib/bindings/AppInfo";

// Only appInfo is called by this screen; the other commands are not reached.
function mockBackend(result: Promise<AppInfo>): Backend {
  return { appInfo: () => result } as Partial<Backend> as Backend;
}

const stopped = { engineOwner: "stopped", ownerDetail: "Not uploading: sign in to start." } as const;

describe("App", () => {
  it("shows the configured bucket", async () => {
    const backend = mockBackend(
      Promise.resolve({ version: "0.1.0", configPath: "/c.toml", configFound: true, bucket: "studio-photos", ...stopped }),
    );
    render(App, { props: { backend } });
    expect(await screen.findByText("studio-photos")).toBeTruthy();
  });

  it("tells a first-time user where to set up the bucket", async () => {
    const backend = mockBackend(
      Promise.resolve({ version: "0.1.0", configPath: "/c.toml", configFound: false, bucket: "", ...stopped }),
    );
    render(App, { props: { backend } });
    expect(await screen.findByText(/No bucket is set up yet/)).toBeTruthy();
    expect(screen.getByText(/not created yet/)).toBeTruthy();
  });

  it("shows a configuration error's message, not a blank window", async () => {
    const backend = mockBackend(
      Promise.reject({ code: "config", message: "setting `storage.bucket` is not set: set it" }),
    );
    render(App, { props: { backend } });
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("storage.bucket");
  });
});
