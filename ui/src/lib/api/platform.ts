// What the UI needs from the desktop besides the engine's commands: native dialogs
// and files dropped on the window. The Tauri implementation is platform-tauri.ts;
// tests use the mock in mock.ts.
export interface Platform {
  /** The native folder picker; `null` when cancelled. */
  pickFolder(): Promise<string | null>;
  /** The native save dialog for `suggestedName`; `null` when cancelled. */
  pickSaveFile(suggestedName: string): Promise<string | null>;
  /**
   * Calls `onHover(true)` while files are dragged over the window, `onHover(false)`
   * when they leave, and `onDrop(paths)` when they are dropped. Resolves to an unsubscribe.
   */
  onFileDrop(onDrop: (paths: string[]) => void, onHover: (over: boolean) => void): Promise<() => void>;
}
