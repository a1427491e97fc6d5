// What the UI needs from the desktop besides the engine's commands: files dropped on the
// window (the native dialogs are opened from Rust by the commands that need a path). The Tauri implementation is platform-tauri.ts;
// tests use the mock in mock.ts.
export interface Platform {
  /**
   * Calls `onHover(true)` while files are dragged over the window, `onHover(false)`
   * when they leave, and `onDrop(paths)` when they are dropped. Resolves to an unsubscribe.
   */
  onFileDrop(onDrop: (paths: string[]) => void, onHover: (over: boolean) => void): Promise<() => void>;
}
