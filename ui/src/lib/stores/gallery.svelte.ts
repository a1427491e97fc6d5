// The gallery: the list of days, the chosen day's photos (fetched page by page as
// the grid nears the end), the selection, and download and delete.
import type { Backend } from "../api/backend";
import type { DeletePlanView } from "../bindings/DeletePlanView";
import type { DeleteReportView } from "../bindings/DeleteReportView";
import type { GalleryDay } from "../bindings/GalleryDay";
import type { GalleryItem } from "../bindings/GalleryItem";
import { type PlainError, plainError } from "../errors";
import { clickSelect, EMPTY_SELECTION, type Selection } from "./selection";

export const PAGE_SIZE = 500;

export class GalleryStore {
  days = $state<GalleryDay[]>([]);
  day = $state<string | null>(null);
  items = $state.raw<GalleryItem[]>([]);
  cursor: string | null = null;
  loading = $state(false);
  error = $state<PlainError | null>(null);
  selection = $state.raw<Selection>(EMPTY_SELECTION);
  /** The delete waiting for confirmation. */
  plan = $state<DeletePlanView | null>(null);
  lastDelete = $state<DeleteReportView | null>(null);
  notice = $state<string | null>(null);
  private generation = 0;

  constructor(private backend: Backend) {}

  readonly selectedCount = $derived(this.selection.keys.size);

  async loadDays(): Promise<void> {
    try {
      this.days = await this.backend.galleryDays();
      if (this.day === null && this.days.length > 0) await this.openDay(this.days[0].day);
      else if (this.day !== null) await this.openDay(this.day);
    } catch (e) {
      this.error = plainError(e);
    }
  }

  async openDay(day: string): Promise<void> {
    this.generation += 1;
    this.day = day;
    this.items = [];
    this.cursor = null;
    this.selection = EMPTY_SELECTION;
    await this.loadMore(true);
  }

  /** Fetches the next page of the day, if there is one and none is on its way. */
  async loadMore(first = false): Promise<void> {
    if (this.day === null || this.loading || (!first && this.cursor === null)) return;
    const generation = this.generation;
    this.loading = true;
    try {
      const page = await this.backend.galleryPage(this.day, this.cursor, PAGE_SIZE);
      if (generation !== this.generation) return;
      this.items = [...this.items, ...page.items];
      this.cursor = page.nextCursor;
    } catch (e) {
      this.error = plainError(e);
    } finally {
      this.loading = false;
    }
  }

  click(index: number, mods: { shift: boolean; toggle: boolean }): void {
    this.selection = clickSelect(
      this.selection,
      this.items.map((i) => i.key),
      index,
      mods,
    );
  }

  clearSelection(): void {
    this.selection = EMPTY_SELECTION;
  }

  /** Asks the engine what deleting `keys` would remove; the UI then asks to confirm. */
  async prepareDelete(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    this.error = null;
    try {
      this.plan = await this.backend.prepareDelete(keys);
    } catch (e) {
      this.error = plainError(e);
    }
  }

  cancelDelete(): void {
    this.plan = null;
  }

  async confirmDelete(): Promise<void> {
    const plan = this.plan;
    if (!plan) return;
    this.loading = true;
    try {
      const report = await this.backend.confirmDelete(plan.token);
      const gone = new Set(report.deleted);
      this.items = this.items.filter((i) => !gone.has(i.key));
      this.selection = EMPTY_SELECTION;
      this.lastDelete = report;
      this.days = this.days.map((d) => (d.day === this.day ? { ...d, count: Math.max(0, d.count - gone.size) } : d));
      if (report.failed.length > 0) {
        this.error = {
          code: "storage",
          title: `${report.failed.length} could not be deleted`,
          message: report.failed.map((f) => `${f.key}: ${f.message}`).join("\n"),
        };
      }
    } catch (e) {
      this.error = plainError(e);
    } finally {
      this.plan = null;
      this.loading = false;
    }
  }

  /** Asks where (the native save dialog, opened from Rust) and saves the original there. */
  async download(item: GalleryItem): Promise<void> {
    this.error = null;
    try {
      const destination = await this.backend.downloadOriginal(item.key);
      if (destination !== null) this.notice = `Saved ${item.name} to ${destination}.`;
    } catch (e) {
      this.error = plainError(e);
    }
  }
}
