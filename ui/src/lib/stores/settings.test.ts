import { describe, expect, it } from "vitest";
import { DEFAULT_SETTINGS, MockBackend } from "../api/mock";
import { parseFileTypes, SettingsStore, validateSettings } from "./settings.svelte";

describe("settings", () => {
  it("explains each invalid field", () => {
    const errors = validateSettings({
      ...DEFAULT_SETTINGS,
      timeZone: "Mars/Olympus",
      fileTypes: [],
      settleSecs: 0,
      concurrency: 99,
      bandwidthLimitMibPerSec: 0,
    });
    expect(Object.keys(errors).sort()).toEqual(["bandwidthLimitMibPerSec", "concurrency", "fileTypes", "settleSecs", "timeZone"]);
    expect(errors.timeZone).toMatch(/Europe\/Berlin/);
    expect(validateSettings(DEFAULT_SETTINGS)).toEqual({});
  });

  it("accepts what the engine means by 'not set': this computer's zone, every file type", () => {
    expect(validateSettings({ ...DEFAULT_SETTINGS, timeZone: "", fileTypes: parseFileTypes("*") })).toEqual({});
    expect(validateSettings({ ...DEFAULT_SETTINGS, fileTypes: ["*", "jpg"] })).toHaveProperty("fileTypes");
  });

  it("reads file types the way people type them", () => {
    expect(parseFileTypes("JPG, .cr3 ;nef  ")).toEqual(["jpg", "cr3", "nef"]);
  });

  it("saves only a valid draft", async () => {
    const backend = new MockBackend();
    const store = new SettingsStore(backend);
    await store.load();
    store.draft!.concurrency = 0;
    expect(await store.save()).toBe(false);
    store.draft!.concurrency = 8;
    expect(await store.save()).toBe(true);
    expect(backend.current.concurrency).toBe(8);
  });
});
