import { fireEvent, render, screen, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import App from "./App.svelte";
import { MockBackend, MockPlatform, ipcError } from "./lib/api/mock";

function start(backend = new MockBackend(), platform = new MockPlatform()) {
  render(App, { props: { backend, platform } });
  return { backend, platform };
}

describe("App", () => {
  it("says where photos go before sign-in", async () => {
    start();
    expect(await screen.findByText("studio-photos")).toBeTruthy();
    expect(screen.getByRole("heading", { name: "Sign in" })).toBeTruthy();
  });

  it("tells a first-time user where to set up the bucket", async () => {
    const backend = new MockBackend();
    backend.info = { ...backend.info, bucket: "", configFound: false, configPath: "/c.toml" };
    start(backend);
    expect(await screen.findByText(/No bucket is set up yet/)).toBeTruthy();
    expect(screen.getByText(/not created yet/)).toBeTruthy();
  });

  it("shows a configuration error in plain words, not a blank window", async () => {
    const backend = new MockBackend();
    backend.failNext.set("appInfo", ipcError("config", "setting `storage.bucket` is not set: set it"));
    start(backend);
    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("Lightbox is not set up yet");
    expect(alert.textContent).toContain("storage.bucket");
  });

  it("opens on Activity for a remembered user, with name, role and sign out", async () => {
    const { backend } = start(new MockBackend().signInAs("maria", "staff"));
    const nav = await screen.findByRole("navigation", { name: "Screens" });
    expect(within(nav).getByText("maria")).toBeTruthy();
    expect(within(nav).getByText("Staff")).toBeTruthy();
    expect(screen.getByRole("heading", { name: "Activity" })).toBeTruthy();
    await fireEvent.click(within(nav).getByRole("button", { name: "Folders" }));
    expect(screen.getByRole("heading", { name: "Camera folders" })).toBeTruthy();
    await fireEvent.click(within(nav).getByRole("button", { name: "Sign out" }));
    expect(await screen.findByRole("heading", { name: "Sign in" })).toBeTruthy();
    expect(backend.calledWith("signOut")).toHaveLength(1);
  });

  it("says so when the headless daemon owns the catalog", async () => {
    const backend = new MockBackend().signInAs("maria", "admin");
    backend.info = { ...backend.info, engineOwner: "daemon", ownerDetail: "The lightbox daemon (pid 4242) uploads." };
    start(backend);
    const banner = await screen.findByText(/Another Lightbox is uploading/);
    expect(banner.closest("[data-banner]")?.textContent).toContain("pid 4242");
  });

  it("imports files dropped on the window and shows what was added", async () => {
    const { backend, platform } = start(new MockBackend().signInAs("maria", "staff"));
    await screen.findByRole("navigation", { name: "Screens" });
    platform.dropFiles(["/tmp/a.jpg", "/tmp/shoot.zip"]);
    const report = await screen.findByText(/Added 2 files to the upload queue from 1 ZIP/);
    expect(report).toBeTruthy();
    expect(backend.calledWith("importPaths")).toEqual([[["/tmp/a.jpg", "/tmp/shoot.zip"]]]);
  });
});
