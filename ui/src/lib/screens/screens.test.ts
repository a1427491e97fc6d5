import { fireEvent, render, screen, within } from "@testing-library/svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { fileActivity, galleryItem, MockBackend } from "../api/mock";
import { ActivityStore } from "../stores/activity.svelte";
import { FoldersStore } from "../stores/folders.svelte";
import { GalleryStore } from "../stores/gallery.svelte";
import { SessionStore } from "../stores/session.svelte";
import Activity from "./Activity.svelte";
import Folders from "./Folders.svelte";
import Gallery from "./Gallery.svelte";
import SignIn from "./SignIn.svelte";

const TOTALS = { waiting: 0, uploading: 1, done: 0, skipped: 0, failed: 1, bytesPerSecond: 2_500_000, paused: false, bandwidthLimitMibPerSec: null };

describe("Activity", () => {
  it("shows a failed file's message and retries it by id", async () => {
    const backend = new MockBackend();
    const store = new ActivityStore(backend);
    store.apply({
      files: [
        fileActivity(7, { name: "IMG_0007.CR3", stage: "failed", problem: { code: "upload_access_denied", message: "The bucket refused the upload: check that you may upload, then retry." } }),
        fileActivity(8, { name: "IMG_0008.CR3", stage: "uploading", partsDone: 2, partsTotal: 5, bytesDone: 10_000_000 }),
      ],
      totals: TOTALS,
    });
    render(Activity, { props: { store } });
    const failed = screen.getByText("IMG_0007.CR3").closest("li")!;
    const problem = within(failed).getByText(/check that you may upload/);
    expect(problem.dataset.code).toBe("upload_access_denied");
    await fireEvent.click(within(failed).getByRole("button", { name: "Retry" }));
    expect(backend.calledWith("retryFile")).toEqual([[7]]);

    const uploading = screen.getByText("IMG_0008.CR3").closest("li")!;
    expect(within(uploading).getByText("Uploading part 2 of 5")).toBeTruthy();
    expect(within(uploading).getByRole("progressbar").getAttribute("aria-valuenow")).toBe("10000000");
    expect(screen.getByText("2.5 MB/s")).toBeTruthy();
  });

  it("refuses a bandwidth limit that is not a whole number", async () => {
    const backend = new MockBackend();
    render(Activity, { props: { store: new ActivityStore(backend) } });
    const input = screen.getByLabelText(/Speed limit/);
    await fireEvent.input(input, { target: { value: "fast" } });
    await fireEvent.click(screen.getByRole("button", { name: "Apply" }));
    expect(screen.getByRole("alert").textContent).toMatch(/whole number/);
    expect(backend.calledWith("setBandwidthLimit")).toEqual([]);
  });
});

describe("Gallery", () => {
  beforeEach(() => {
    vi.spyOn(HTMLElement.prototype, "clientWidth", "get").mockReturnValue(1000);
    vi.spyOn(HTMLElement.prototype, "clientHeight", "get").mockReturnValue(800);
  });
  afterEach(() => vi.restoreAllMocks());

  function backendWithPhotos(role: "admin" | "staff") {
    const backend = new MockBackend().signInAs("maria", role);
    backend.days.set("2026-11-23", Array.from({ length: 12 }, (_, i) => galleryItem("2026-11-23", i)));
    backend.days.set("2026-11-22", [galleryItem("2026-11-22", 99)]);
    return backend;
  }

  it("asks before deleting, with count and size, then deletes with the plan's token", async () => {
    const backend = backendWithPhotos("admin");
    render(Gallery, { props: { store: new GalleryStore(backend), isAdmin: true } });
    const first = await screen.findByTitle("IMG_00000.JPG");
    await fireEvent.click(first);
    await fireEvent.click(screen.getByTitle("IMG_00002.JPG"), { shiftKey: true });
    expect(screen.getByText("3 selected")).toBeTruthy();
    await fireEvent.click(screen.getByRole("button", { name: "Delete…" }));
    const dialog = await screen.findByRole("alertdialog");
    expect(dialog.textContent).toContain("Delete 3 photos?");
    expect(dialog.textContent).toContain("36.0 MB");
    expect(backend.calledWith("confirmDelete")).toEqual([]);
    await fireEvent.click(within(dialog).getByRole("button", { name: "Delete 3 photos" }));
    expect(backend.calledWith("prepareDelete")[0][0]).toHaveLength(3);
    expect(backend.calledWith("confirmDelete")).toEqual([["plan-1"]]);
    expect(screen.queryByTitle("IMG_00000.JPG")).toBeNull();
    expect(screen.getByTitle("IMG_00003.JPG")).toBeTruthy();
  });

  it("offers staff no Delete, in the grid or the viewer", async () => {
    const backend = backendWithPhotos("staff");
    render(Gallery, { props: { store: new GalleryStore(backend), isAdmin: false } });
    const first = await screen.findByTitle("IMG_00000.JPG");
    await fireEvent.click(first);
    expect(screen.getByText("1 selected")).toBeTruthy();
    expect(screen.queryByRole("button", { name: /Delete/ })).toBeNull();
    await fireEvent.keyDown(screen.getByRole("grid"), { key: "Delete" });
    await fireEvent.dblClick(first);
    expect(screen.getByRole("dialog")).toBeTruthy();
    expect(screen.queryByRole("button", { name: /Delete/ })).toBeNull();
    await fireEvent.keyDown(window, { key: "Delete" });
    expect(backend.calledWith("prepareDelete")).toEqual([]);
  });

  it("steps through the day in the viewer with the arrow keys and closes with Esc", async () => {
    const backend = backendWithPhotos("admin");
    render(Gallery, { props: { store: new GalleryStore(backend), isAdmin: true } });
    await fireEvent.dblClick(await screen.findByTitle("IMG_00000.JPG"));
    expect(screen.getByRole("dialog").getAttribute("aria-label")).toBe("Photo 1 of 12");
    await fireEvent.keyDown(window, { key: "ArrowRight" });
    await fireEvent.keyDown(window, { key: "ArrowRight" });
    await fireEvent.keyDown(window, { key: "ArrowLeft" });
    const viewer = screen.getByRole("dialog");
    expect(viewer.getAttribute("aria-label")).toBe("Photo 2 of 12");
    expect(within(viewer).getByRole("img").getAttribute("src")).toContain("screen/IMG_00001.JPG");
    await fireEvent.click(within(viewer).getByRole("button", { name: "Download original" }));
    expect(backend.calledWith("downloadOriginal")).toEqual([["originals/2026/11/23/IMG_00001.JPG"]]);
    await fireEvent.keyDown(window, { key: "Escape" });
    expect(screen.queryByRole("dialog")).toBeNull();
  });

  it("switches days from the day list", async () => {
    const backend = backendWithPhotos("staff");
    render(Gallery, { props: { store: new GalleryStore(backend), isAdmin: false } });
    await screen.findByTitle("IMG_00000.JPG");
    await fireEvent.click(document.querySelector("[data-day=\"2026-11-22\"]")!);
    expect(await screen.findByTitle("IMG_00099.JPG")).toBeTruthy();
    expect(screen.queryByTitle("IMG_00000.JPG")).toBeNull();
  });
});

describe("SignIn", () => {
  it("ticks off the password rules as the new password is typed", async () => {
    const backend = new MockBackend();
    const store = new SessionStore(backend);
    await store.load();
    render(SignIn, { props: { store } });
    await fireEvent.input(screen.getByLabelText("User name"), { target: { value: "admin" } });
    await fireEvent.input(screen.getByLabelText("Password"), { target: { value: "Temp0rary!" } });
    await fireEvent.click(screen.getByRole("button", { name: "Sign in" }));
    expect(await screen.findByRole("heading", { name: "Choose your own password" })).toBeTruthy();
    const rules = screen.getByRole("list", { name: "Password rules" });
    const unmet = () => [...rules.querySelectorAll('[data-met="false"]')].map((li) => li.textContent?.trim());
    await fireEvent.input(screen.getByLabelText("New password"), { target: { value: "abc" } });
    expect(unmet()).toHaveLength(4);
    await fireEvent.input(screen.getByLabelText("New password"), { target: { value: "Abcdefg1" } });
    expect(unmet()).toEqual(["○ Both entries match"]);
    const submit = screen.getByRole("button", { name: "Set password and sign in" }) as HTMLButtonElement;
    expect(submit.disabled).toBe(true);
    await fireEvent.input(screen.getByLabelText("Type it again"), { target: { value: "Abcdefg1" } });
    expect(submit.disabled).toBe(false);
    await fireEvent.click(submit);
    expect(store.stage).toBe("signedIn");
  });

  it("shows the QR code and the key for enrolling an authenticator", async () => {
    const backend = new MockBackend();
    backend.users.set("ana", { password: "pw", role: "staff", totp: "setup" });
    const store = new SessionStore(backend);
    await store.signIn("ana", "pw");
    render(SignIn, { props: { store } });
    expect(await screen.findByLabelText("QR code for the authenticator app")).toBeTruthy();
    expect(screen.getByText("JBSWY3DPEHPK3PXP")).toBeTruthy();
  });
});

describe("Folders", () => {
  it("adds the folder the native picker answers (no typed path) and shows an offline folder with its reason", async () => {
    const backend = new MockBackend();
    backend.folderList = [
      { path: "/media/card", status: "offline", detail: "The card is not mounted. Nothing is deleted; it is picked up again when it returns.", counts: { waiting: 3, uploading: 0, done: 120, skipped: 0, failed: 1 } },
    ];
    render(Folders, { props: { store: new FoldersStore(backend) } });
    const card = (await screen.findByText("/media/card")).closest("li")!;
    expect(within(card).getByText("Offline")).toBeTruthy();
    expect(within(card).getByText(/not mounted/)).toBeTruthy();
    expect(card.querySelector('[data-count="done"]')?.textContent).toBe("120");
    expect(screen.queryByRole("textbox")).toBeNull();
    await fireEvent.click(screen.getByRole("button", { name: "Add folder…" }));
    expect(await screen.findByText("/photos/card2")).toBeTruthy();
    backend.folderToPick = null;
    await fireEvent.click(screen.getByRole("button", { name: "Add folder…" }));
    expect(backend.calledWith("addFolder")).toEqual([[], []]);
    expect(screen.getAllByRole("listitem")).toHaveLength(2);
  });
});
