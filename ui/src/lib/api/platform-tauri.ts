import { getCurrentWebview } from "@tauri-apps/api/webview";
import type { Platform } from "./platform";

export const platformTauri: Platform = {
  onFileDrop(onDrop, onHover) {
    return getCurrentWebview().onDragDropEvent((event) => {
      const p = event.payload;
      if (p.type === "enter" || p.type === "over") onHover(true);
      else if (p.type === "leave") onHover(false);
      else if (p.type === "drop") {
        onHover(false);
        onDrop(p.paths);
      }
    });
  },
};
