import { getCurrentWebview } from "@tauri-apps/api/webview";
import { open, save } from "@tauri-apps/plugin-dialog";
import type { Platform } from "./platform";

export const platformTauri: Platform = {
  async pickFolder() {
    const picked = await open({ directory: true, multiple: false, title: "Choose a camera folder" });
    return typeof picked === "string" ? picked : null;
  },
  async pickSaveFile(suggestedName) {
    return (await save({ defaultPath: suggestedName, title: "Save the original" })) ?? null;
  },
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
