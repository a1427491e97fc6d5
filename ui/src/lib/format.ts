// Numbers as a photographer reads them: sizes, speeds and counts in plain units.

const UNITS = ["B", "KB", "MB", "GB", "TB"];

/** `1536000` → `"1.5 MB"` (decimal units, as file browsers show them). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "–";
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

/** Bytes per second as `"12.3 MB/s"`; `"—"` while nothing moves. */
export function formatSpeed(bytesPerSecond: number): string {
  if (!(bytesPerSecond > 0)) return "—";
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** `1 photo`, `3 photos`. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n.toLocaleString("en")} ${n === 1 ? one : many}`;
}
