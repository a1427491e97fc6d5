// The Backend over Tauri's IPC: one `invoke` per command. Argument names are
// camelCase here; Tauri maps them to the Rust commands' snake_case parameters.
import { Channel, invoke } from "@tauri-apps/api/core";
import type { ActivityBatch } from "../bindings/ActivityBatch";
import type { AppInfo } from "../bindings/AppInfo";
import type { CodeDelivery } from "../bindings/CodeDelivery";
import type { DeletePlanView } from "../bindings/DeletePlanView";
import type { DeleteReportView } from "../bindings/DeleteReportView";
import type { FileActivity } from "../bindings/FileActivity";
import type { FolderView } from "../bindings/FolderView";
import type { GalleryDay } from "../bindings/GalleryDay";
import type { GalleryPage } from "../bindings/GalleryPage";
import type { ImportReport } from "../bindings/ImportReport";
import type { InvitationView } from "../bindings/InvitationView";
import type { SessionView } from "../bindings/SessionView";
import type { SettingsView } from "../bindings/SettingsView";
import type { SignInStep } from "../bindings/SignInStep";
import type { SignOutView } from "../bindings/SignOutView";
import type { TeamMember } from "../bindings/TeamMember";
import type { TotpSetup } from "../bindings/TotpSetup";
import type { Backend } from "./backend";

export const tauriBackend: Backend = {
  appInfo: () => invoke<AppInfo>("app_info"),

  sessionState: () => invoke<SessionView>("session_state"),
  signIn: (username, password) => invoke<SignInStep>("sign_in", { username, password }),
  completeNewPassword: (newPassword) => invoke<SignInStep>("complete_new_password", { newPassword }),
  answerTotp: (code) => invoke<SignInStep>("answer_totp", { code }),
  beginTotpSetup: () => invoke<TotpSetup>("begin_totp_setup"),
  verifyTotpSetup: (code) => invoke<SignInStep>("verify_totp_setup", { code }),
  forgotPassword: (username) => invoke<CodeDelivery>("forgot_password", { username }),
  confirmForgotPassword: (username, code, newPassword) =>
    invoke<null>("confirm_forgot_password", { username, code, newPassword }),
  signOut: () => invoke<SignOutView>("sign_out"),

  folders: () => invoke<FolderView[]>("folders"),
  addFolder: () => invoke<FolderView | null>("add_folder"),
  removeFolder: (path) => invoke<null>("remove_folder", { path }),

  recentActivity: (limit) => invoke<FileActivity[]>("recent_activity", { limit }),
  watchActivity: (onBatch) => {
    const onEvent = new Channel<ActivityBatch>();
    onEvent.onmessage = onBatch;
    return invoke<null>("watch_activity", { onEvent });
  },
  retryFile: (id) => invoke<null>("retry_file", { id }),
  pause: () => invoke<null>("pause"),
  resume: () => invoke<null>("resume"),
  setBandwidthLimit: (mibPerSec) => invoke<null>("set_bandwidth_limit", { mibPerSec }),

  galleryDays: () => invoke<GalleryDay[]>("gallery_days"),
  galleryPage: (day, cursor, limit) => invoke<GalleryPage>("gallery_page", { day, cursor, limit }),
  downloadOriginal: (key) => invoke<string | null>("download_original", { key }),
  prepareDelete: (keys) => invoke<DeletePlanView>("prepare_delete", { keys }),
  confirmDelete: (token) => invoke<DeleteReportView>("confirm_delete", { token }),

  importPaths: (paths) => invoke<ImportReport>("import_paths", { paths }),

  settings: () => invoke<SettingsView>("settings"),
  saveSettings: (settings) => invoke<SettingsView>("save_settings", { settings }),

  teamMembers: () => invoke<TeamMember[]>("team_members"),
  inviteMember: (email, username, group, showPassword) =>
    invoke<InvitationView>("invite_member", { email, username, group, showPassword }),
  setMemberGroup: (username, group) => invoke<null>("set_member_group", { username, group }),
  disableMember: (username) => invoke<null>("disable_member", { username }),
  enableMember: (username) => invoke<null>("enable_member", { username }),
  resetMemberPassword: (username) => invoke<null>("reset_member_password", { username }),
  removeMember: (username) => invoke<null>("remove_member", { username }),
};
