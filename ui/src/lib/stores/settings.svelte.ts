// The Settings screen's draft, checked field by field before it is saved.
import type { Backend } from "../api/backend";
import type { SettingsView } from "../bindings/SettingsView";
import { type PlainError, plainError } from "../errors";
import { attempt } from "./attempt";

export type SettingsErrors = Partial<Record<keyof SettingsView, string>>;

function validZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export function validateSettings(s: SettingsView): SettingsErrors {
  const errors: SettingsErrors = {};
  // Empty: this computer's time zone (what the engine does without one).
  const zone = s.timeZone.trim();
  if (zone !== "" && !validZone(zone)) {
    errors.timeZone =
      "Use a time zone name such as Europe/Berlin or America/New_York, or leave it empty for this computer's.";
  }
  // ["*"]: every file type (the engine's filter with no extension list).
  const everyType = s.fileTypes.length === 1 && s.fileTypes[0] === "*";
  if (s.fileTypes.length === 0) errors.fileTypes = "List at least one file type, such as jpg or cr3, or * for every file.";
  else if (!everyType && s.fileTypes.some((t) => !/^[a-z0-9]{1,10}$/.test(t))) {
    errors.fileTypes = "File types are extensions without the dot, separated by commas: jpg, cr3, nef (or * for every file).";
  }
  if (!Number.isInteger(s.settleSecs) || s.settleSecs < 1 || s.settleSecs > 3600) {
    errors.settleSecs = "Wait between 1 and 3600 seconds.";
  }
  if (!Number.isInteger(s.concurrency) || s.concurrency < 1 || s.concurrency > 32) {
    errors.concurrency = "Upload between 1 and 32 files at once.";
  }
  const bw = s.bandwidthLimitMibPerSec;
  if (bw !== null && (!Number.isInteger(bw) || bw < 1)) {
    errors.bandwidthLimitMibPerSec = "Leave it empty for no limit, or give a whole number of MiB/s (1 or more).";
  }
  return errors;
}

/** "jpg, .CR3 ,nef" → ["jpg", "cr3", "nef"] */
export function parseFileTypes(text: string): string[] {
  return text
    .split(/[\s,;]+/)
    .map((t) => t.trim().replace(/^\./, "").toLowerCase())
    .filter((t) => t.length > 0);
}

export class SettingsStore {
  draft = $state<SettingsView | null>(null);
  error = $state<PlainError | null>(null);
  saved = $state(false);
  busy = $state(false);

  constructor(private backend: Backend) {}

  readonly errors = $derived(this.draft ? validateSettings(this.draft) : {});
  readonly valid = $derived(Object.keys(this.errors).length === 0);

  async load(): Promise<void> {
    try {
      this.draft = await this.backend.settings();
    } catch (e) {
      this.error = plainError(e);
    }
  }

  async save(): Promise<boolean> {
    if (!this.draft || !this.valid) return false;
    const draft = $state.snapshot(this.draft);
    const saved = await attempt(this, () => this.backend.saveSettings(draft));
    if (saved === undefined) return false;
    this.draft = saved;
    this.saved = true;
    return true;
  }
}
