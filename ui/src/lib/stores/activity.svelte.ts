// The live list of files on their way to the bucket: a first page from
// `recentActivity`, then the engine's batches (only changed rows) merged in by id.
import type { Backend } from "../api/backend";
import type { ActivityBatch } from "../bindings/ActivityBatch";
import type { ActivityTotals } from "../bindings/ActivityTotals";
import type { FileActivity } from "../bindings/FileActivity";
import type { Stage } from "../bindings/Stage";
import { type PlainError, plainError } from "../errors";
import { attempt } from "./attempt";

/**
 * A stage in plain words. `Stage` is generated from the one vocabulary of a file's life
 * (`lightbox_types::Stage`, which the catalog's states and the engine's events map into), so
 * this holds only the words: a `Record` over it, which TypeScript checks names every stage.
 */
export const STAGE_LABELS: Record<Stage, string> = {
  settling: "Waiting for the camera to finish writing",
  hashing: "Checking the file",
  queued: "Waiting to upload",
  uploading: "Uploading",
  verifying: "Verifying the upload",
  previews: "Making previews",
  done: "Done",
  skipped: "Skipped",
  failed: "Failed",
};

/** Stages still in progress, listed first. */
const ACTIVE: ReadonlySet<Stage> = new Set(["hashing", "uploading", "verifying", "previews"]);
// The list shows the most relevant rows; the totals count them all.
const MAX_ROWS = 500;

export const EMPTY_TOTALS: ActivityTotals = {
  waiting: 0,
  uploading: 0,
  done: 0,
  skipped: 0,
  failed: 0,
  bytesPerSecond: 0,
  paused: false,
  bandwidthLimitMibPerSec: null,
};

function order(a: FileActivity, b: FileActivity): number {
  const rank = (f: FileActivity) => (f.stage === "failed" ? 0 : ACTIVE.has(f.stage) ? 1 : 2);
  return rank(a) - rank(b) || b.updatedAt.localeCompare(a.updatedAt) || b.id - a.id;
}

export class ActivityStore {
  byId = $state<Record<number, FileActivity>>({});
  totals = $state<ActivityTotals>({ ...EMPTY_TOTALS });
  error = $state<PlainError | null>(null);
  busy = $state(false);
  started = false;

  constructor(private backend: Backend) {}

  /** Failed first, then what is moving, then the rest, newest first. */
  readonly files = $derived(Object.values(this.byId).sort(order).slice(0, MAX_ROWS));

  apply(batch: ActivityBatch): void {
    for (const f of batch.files) this.byId[f.id] = f;
    this.totals = batch.totals;
  }

  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    try {
      const recent = await this.backend.recentActivity(500);
      for (const f of recent) if (!(f.id in this.byId)) this.byId[f.id] = f;
      await this.backend.watchActivity((batch) => this.apply(batch));
    } catch (e) {
      this.started = false;
      this.error = plainError(e);
    }
  }

  private async act(work: () => Promise<unknown>): Promise<boolean> {
    return (await attempt(this, async () => (await work(), true))) ?? false;
  }

  async retry(id: number): Promise<void> {
    await this.act(() => this.backend.retryFile(id));
  }

  async setPaused(paused: boolean): Promise<void> {
    if (await this.act(() => (paused ? this.backend.pause() : this.backend.resume()))) {
      this.totals = { ...this.totals, paused };
    }
  }

  async setBandwidthLimit(mibPerSec: number | null): Promise<void> {
    if (await this.act(() => this.backend.setBandwidthLimit(mibPerSec))) {
      this.totals = { ...this.totals, bandwidthLimitMibPerSec: mibPerSec };
    }
  }
}
