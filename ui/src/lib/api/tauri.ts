import { invoke } from "@tauri-apps/api/core";
import type { AppInfo } from "../bindings/AppInfo";
import type { Backend } from "./backend";

export const tauriBackend: Backend = {
  appInfo: () => invoke<AppInfo>("app_info"),
};
