// The watched camera folders with their per-folder counts.
import type { Backend } from "../api/backend";
import type { FolderView } from "../bindings/FolderView";
import { type PlainError, plainError } from "../errors";
import { attempt } from "./attempt";

export class FoldersStore {
  list = $state<FolderView[]>([]);
  loaded = $state(false);
  error = $state<PlainError | null>(null);
  busy = $state(false);

  constructor(private backend: Backend) {}

  private async run(work: () => Promise<void>): Promise<boolean> {
    return (await attempt(this, async () => (await work(), true))) ?? false;
  }

  async refresh(): Promise<void> {
    try {
      this.list = await this.backend.folders();
      this.loaded = true;
    } catch (e) {
      this.error = plainError(e);
    }
  }

  /** Asks for a folder (the native picker, opened from Rust) and adds it; false (with `error`
   * set) when the engine refused it. */
  async add(): Promise<boolean> {
    return this.run(async () => {
      const view = await this.backend.addFolder();
      if (view !== null) this.list = [...this.list.filter((f) => f.path !== view.path), view];
    });
  }

  async remove(path: string): Promise<boolean> {
    return this.run(async () => {
      await this.backend.removeFolder(path);
      this.list = this.list.filter((f) => f.path !== path);
    });
  }
}
