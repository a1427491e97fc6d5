import { describe, expect, it } from "vitest";
import { fileActivity, MockBackend } from "../api/mock";
import type { ActivityTotals } from "../bindings/ActivityTotals";
import { ActivityStore, EMPTY_TOTALS, STAGE_LABELS } from "./activity.svelte";

const totals = (over: Partial<ActivityTotals> = {}): ActivityTotals => ({ ...EMPTY_TOTALS, ...over });

describe("STAGE_LABELS", () => {
  it("has plain words for every generated stage, never the stage's own name", () => {
    // The keys are checked against the generated `Stage` union by TypeScript; here, the words.
    for (const [stage, words] of Object.entries(STAGE_LABELS)) {
      expect(words.trim().length, stage).toBeGreaterThan(0);
      expect(words, stage).not.toBe(stage);
    }
  });
});

describe("ActivityStore", () => {
  it("merges batches into the list by id and keeps the latest totals", async () => {
    const backend = new MockBackend();
    backend.activity = [fileActivity(1, { stage: "done" })];
    const store = new ActivityStore(backend);
    await store.start();
    expect(store.files.map((f) => f.id)).toEqual([1]);

    backend.emit({ files: [fileActivity(2, { stage: "uploading", partsDone: 1, partsTotal: 4 })], totals: totals({ uploading: 1, done: 1 }) });
    backend.emit({ files: [fileActivity(2, { stage: "uploading", partsDone: 3, partsTotal: 4 })], totals: totals({ uploading: 1, done: 1, bytesPerSecond: 5e6 }) });
    expect(store.files).toHaveLength(2);
    expect(store.byId[2].partsDone).toBe(3);
    expect(store.totals.bytesPerSecond).toBe(5e6);
    // What is moving comes before what is done.
    expect(store.files[0].id).toBe(2);
  });

  it("lists failed files first", async () => {
    const store = new ActivityStore(new MockBackend());
    store.apply({
      files: [fileActivity(1, { stage: "uploading" }), fileActivity(2, { stage: "failed" }), fileActivity(3, { stage: "done" })],
      totals: totals(),
    });
    expect(store.files.map((f) => f.stage)).toEqual(["failed", "uploading", "done"]);
  });

  it("pauses, resumes and sets the bandwidth limit through the backend", async () => {
    const backend = new MockBackend();
    const store = new ActivityStore(backend);
    await store.setPaused(true);
    expect(store.totals.paused).toBe(true);
    await store.setPaused(false);
    await store.setBandwidthLimit(20);
    expect(store.totals.bandwidthLimitMibPerSec).toBe(20);
    expect(backend.calls.map((c) => c[0])).toEqual(["pause", "resume", "setBandwidthLimit"]);
  });
});
