// An in-memory Backend and Platform for tests (and for looking at the UI in a plain
// browser): the same interfaces as the Tauri ones, with state a test can set up and
// calls a test can check. It behaves like the engine where the UI depends on it:
// a temporary password asks for a new one, staff may not delete, a delete needs
// the token of its plan, and so on.
import type { ActivityBatch } from "../bindings/ActivityBatch";
import type { AppInfo } from "../bindings/AppInfo";
import type { ErrorCode } from "../bindings/ErrorCode";
import type { FileActivity } from "../bindings/FileActivity";
import type { FolderView } from "../bindings/FolderView";
import type { GalleryItem } from "../bindings/GalleryItem";
import type { IpcError } from "../bindings/IpcError";
import type { PasswordPolicyView } from "../bindings/PasswordPolicyView";
import type { Role } from "../bindings/Role";
import type { SessionView } from "../bindings/SessionView";
import type { SettingsView } from "../bindings/SettingsView";
import type { SignInStep } from "../bindings/SignInStep";
import type { TeamGroup } from "../bindings/TeamGroup";
import type { TeamMember } from "../bindings/TeamMember";
import type { ActivityListener, Backend } from "./backend";
import type { Platform } from "./platform";

export function ipcError(code: ErrorCode, message: string): IpcError {
  return { code, message };
}

export const MOCK_POLICY: PasswordPolicyView = {
  minLength: 8,
  requireUppercase: true,
  requireLowercase: true,
  requireNumbers: true,
  requireSymbols: false,
  rules: ["At least 8 characters.", "An upper-case letter.", "A lower-case letter.", "A number."],
};

export interface MockUser {
  password: string;
  temporary?: boolean;
  role: Role;
  totp?: "required" | "setup";
}

export function fileActivity(id: number, over: Partial<FileActivity> = {}): FileActivity {
  const name = over.name ?? `IMG_${String(id).padStart(4, "0")}.CR3`;
  return {
    id,
    path: `/photos/card1/${name}`,
    name,
    folder: "/photos/card1",
    stage: "queued",
    partsDone: 0,
    partsTotal: 0,
    bytesDone: 0,
    bytesTotal: 25_000_000,
    key: null,
    problem: null,
    updatedAt: "2026-11-23T10:00:00Z",
    ...over,
  };
}

export function galleryItem(day: string, n: number, over: Partial<GalleryItem> = {}): GalleryItem {
  const name = `IMG_${String(n).padStart(5, "0")}.JPG`;
  return {
    key: `originals/${day.replaceAll("-", "/")}/${name}`,
    name,
    day,
    size: 12_000_000,
    capturedAt: null,
    uploadedBy: "admin",
    thumbUrl: `https://bucket.test/previews/thumb/${name}`,
    screenUrl: `https://bucket.test/previews/screen/${name}`,
    ...over,
  };
}

export const DEFAULT_SETTINGS: SettingsView = {
  keyDate: "upload",
  timeZone: "Europe/Berlin",
  fileTypes: ["jpg", "cr3", "nef"],
  settleSecs: 5,
  concurrency: 4,
  bandwidthLimitMibPerSec: null,
  autostart: false,
  notifyOnBatch: true,
  notifyOnFailure: true,
};

export class MockBackend implements Backend {
  info: AppInfo = {
    version: "0.1.0",
    configPath: "/home/studio/.config/lightbox/config.toml",
    configFound: true,
    bucket: "studio-photos",
    engineOwner: "app",
    ownerDetail: "Uploading from this computer.",
  };
  users = new Map<string, MockUser>([["admin", { password: "Temp0rary!", temporary: true, role: "admin" }]]);
  session: SessionView = { signedIn: false, username: "", email: null, groups: [], role: "none" };
  pendingUser: string | null = null;
  folderList: FolderView[] = [];
  activity: FileActivity[] = [];
  listeners: ActivityListener[] = [];
  days = new Map<string, GalleryItem[]>();
  plans = new Map<string, string[]>();
  current: SettingsView = { ...DEFAULT_SETTINGS };
  team: TeamMember[] = [];
  /** Every call, as [method, ...args], for tests to check. */
  calls: unknown[][] = [];
  /** Make the next call of a method fail with this error. */
  failNext = new Map<keyof Backend, IpcError>();

  private call(name: keyof Backend, ...args: unknown[]): void {
    this.calls.push([name, ...args]);
    const err = this.failNext.get(name);
    if (err) {
      this.failNext.delete(name);
      throw err;
    }
  }

  calledWith(name: keyof Backend): unknown[][] {
    return this.calls.filter((c) => c[0] === name).map((c) => c.slice(1));
  }

  signInAs(username: string, role: Role): this {
    this.session = {
      signedIn: true,
      username,
      email: `${username}@studio.local`,
      groups: role === "none" ? [] : [role === "admin" ? "admins" : "staff"],
      role,
    };
    return this;
  }

  /** Send a batch to every `watchActivity` listener, as the engine does. */
  emit(batch: ActivityBatch): void {
    for (const l of this.listeners) l(batch);
  }

  async appInfo() {
    this.call("appInfo");
    return { ...this.info };
  }

  async sessionState() {
    this.call("sessionState");
    return { ...this.session };
  }

  private signedInStep(username: string): SignInStep {
    const user = this.users.get(username);
    this.signInAs(username, user?.role ?? "none");
    this.pendingUser = null;
    return { kind: "signedIn", session: { ...this.session } };
  }

  async signIn(username: string, password: string): Promise<SignInStep> {
    this.call("signIn", username, password);
    const user = this.users.get(username);
    if (!user) throw ipcError("unknown_user", `There is no user "${username}": check the spelling or ask an admin.`);
    if (user.password !== password) throw ipcError("wrong_password", "The user name or password is wrong: try again.");
    this.pendingUser = username;
    if (user.temporary) return { kind: "newPasswordRequired", policy: MOCK_POLICY };
    if (user.totp === "required") return { kind: "totpRequired" };
    if (user.totp === "setup") return { kind: "totpSetupRequired" };
    return this.signedInStep(username);
  }

  async completeNewPassword(newPassword: string): Promise<SignInStep> {
    this.call("completeNewPassword", newPassword);
    if (!this.pendingUser) throw ipcError("session_expired", "Start the sign-in again.");
    if (newPassword.length < MOCK_POLICY.minLength) {
      throw ipcError("weak_password", "The new password needs at least 8 characters.");
    }
    const user = this.users.get(this.pendingUser);
    if (user) Object.assign(user, { password: newPassword, temporary: false });
    return this.signedInStep(this.pendingUser);
  }

  async answerTotp(code: string): Promise<SignInStep> {
    this.call("answerTotp", code);
    if (!this.pendingUser) throw ipcError("session_expired", "Start the sign-in again.");
    if (code !== "123456") throw ipcError("wrong_code", "That code is wrong or too old: enter the current one.");
    return this.signedInStep(this.pendingUser);
  }

  async beginTotpSetup() {
    this.call("beginTotpSetup");
    return {
      secret: "JBSWY3DPEHPK3PXP",
      otpauthUri: "otpauth://totp/Lightbox:admin?secret=JBSWY3DPEHPK3PXP",
      qrSvg: '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 4 4"><rect width="2" height="2"/></svg>',
    };
  }

  async verifyTotpSetup(code: string) {
    this.call("verifyTotpSetup", code);
    return this.answerTotp(code);
  }

  async forgotPassword(username: string) {
    this.call("forgotPassword", username);
    return { destination: "a***@s***.local", medium: "EMAIL" };
  }

  async confirmForgotPassword(username: string, code: string, newPassword: string) {
    this.call("confirmForgotPassword", username, code, newPassword);
    const user = this.users.get(username);
    if (user) Object.assign(user, { password: newPassword, temporary: false });
    return null;
  }

  async signOut() {
    this.call("signOut");
    this.session = { signedIn: false, username: "", email: null, groups: [], role: "none" };
    return { revoked: true, message: "Signed out." };
  }

  async folders() {
    this.call("folders");
    return this.folderList.map((f) => ({ ...f }));
  }

  /** What the native folder picker answers next (`null`: cancelled). */
  folderToPick: string | null = "/photos/card2";
  /** What the native save dialog answers next (`null`: cancelled). */
  saveTo: string | null = "/home/studio/Downloads/photo.jpg";

  async addFolder() {
    this.call("addFolder");
    const path = this.folderToPick;
    if (path === null) return null;
    const view: FolderView = {
      path,
      status: "watching",
      detail: null,
      counts: { waiting: 0, uploading: 0, done: 0, skipped: 0, failed: 0 },
    };
    this.folderList.push(view);
    return { ...view };
  }

  async removeFolder(path: string) {
    this.call("removeFolder", path);
    this.folderList = this.folderList.filter((f) => f.path !== path);
    return null;
  }

  async recentActivity(limit: number) {
    this.call("recentActivity", limit);
    return this.activity.slice(0, limit);
  }

  async watchActivity(onBatch: ActivityListener) {
    this.call("watchActivity");
    this.listeners.push(onBatch);
    return null;
  }

  async retryFile(id: number) {
    this.call("retryFile", id);
    return null;
  }

  async pause() {
    this.call("pause");
    return null;
  }

  async resume() {
    this.call("resume");
    return null;
  }

  async setBandwidthLimit(mibPerSec: number | null) {
    this.call("setBandwidthLimit", mibPerSec);
    return null;
  }

  async galleryDays() {
    this.call("galleryDays");
    return [...this.days.entries()]
      .map(([day, items]) => ({ day, count: items.length }))
      .sort((a, b) => b.day.localeCompare(a.day));
  }

  async galleryPage(day: string, cursor: string | null, limit: number) {
    this.call("galleryPage", day, cursor, limit);
    const items = this.days.get(day) ?? [];
    const start = cursor ? Number(cursor) : 0;
    const end = Math.min(items.length, start + limit);
    return { items: items.slice(start, end), nextCursor: end < items.length ? String(end) : null };
  }

  async downloadOriginal(key: string) {
    this.call("downloadOriginal", key);
    return this.saveTo;
  }

  async prepareDelete(keys: string[]) {
    this.call("prepareDelete", keys);
    if (this.session.role !== "admin") throw ipcError("forbidden", "Only admins can delete photos.");
    const all = [...this.days.values()].flat();
    const bytes = keys.reduce((sum, k) => sum + (all.find((i) => i.key === k)?.size ?? 0), 0);
    const token = `plan-${this.plans.size + 1}`;
    this.plans.set(token, keys);
    return { token, count: keys.length, bytes, keys };
  }

  async confirmDelete(token: string) {
    this.call("confirmDelete", token);
    const keys = this.plans.get(token);
    if (!keys) throw ipcError("not_found", "That delete plan expired: select the photos again.");
    this.plans.delete(token);
    for (const [day, items] of this.days) this.days.set(day, items.filter((i) => !keys.includes(i.key)));
    return { deleted: keys, failed: [] };
  }

  async importPaths(paths: string[]) {
    this.call("importPaths", paths);
    const zips = paths.filter((p) => p.toLowerCase().endsWith(".zip")).length;
    return { queued: paths.length, zips, rejected: [] };
  }

  async settings() {
    this.call("settings");
    return { ...this.current, fileTypes: [...this.current.fileTypes] };
  }

  async saveSettings(settings: SettingsView) {
    this.call("saveSettings", settings);
    this.current = { ...settings, fileTypes: [...settings.fileTypes] };
    return this.settings();
  }

  /** As AWS does: only an admin's credentials may manage the team. */
  private teamCall(name: keyof Backend, ...args: unknown[]): void {
    this.call(name, ...args);
    if (this.session.role !== "admin") {
      throw ipcError("forbidden", `AWS refused the call: only studio admins may manage the team; sign in as an admin`);
    }
  }

  private teamMember(username: string): TeamMember {
    const m = this.team.find((t) => t.username === username);
    if (!m) throw ipcError("not_found", `there is no user "${username}" in the studio's pool`);
    return m;
  }

  private notMe(username: string, what: string): void {
    if (username === this.session.username) throw ipcError("bad_input", `you cannot ${what} your own account: ask another admin to do it`);
  }

  async teamMembers() {
    this.teamCall("teamMembers");
    return this.team.map((m) => ({ ...m, isMe: m.username === this.session.username }));
  }

  async inviteMember(email: string, username: string | null, group: TeamGroup, showPassword: boolean) {
    this.teamCall("inviteMember", email, username, group, showPassword);
    const name = username || email;
    if (this.team.some((m) => m.username === name)) throw ipcError("bad_input", `a user "${name}" exists already`);
    const member: TeamMember = { username: name, email, group, status: "waiting_for_first_sign_in", created: "2026-12-08T10:00:00Z", modified: "2026-12-08T10:00:00Z", isMe: false };
    this.team = [...this.team, member];
    return { member, temporaryPassword: showPassword ? "Tmp-Pass-1234567" : null };
  }

  async setMemberGroup(username: string, group: TeamGroup) {
    this.teamCall("setMemberGroup", username, group);
    if (group === "staff") this.notMe(username, "move to staff");
    this.teamMember(username).group = group;
    return null;
  }

  async disableMember(username: string) {
    this.teamCall("disableMember", username);
    this.notMe(username, "disable");
    this.teamMember(username).status = "disabled";
    return null;
  }

  async enableMember(username: string) {
    this.teamCall("enableMember", username);
    this.teamMember(username).status = "active";
    return null;
  }

  async resetMemberPassword(username: string) {
    this.teamCall("resetMemberPassword", username);
    this.teamMember(username).status = "password_reset";
    return null;
  }

  async removeMember(username: string) {
    this.teamCall("removeMember", username);
    this.notMe(username, "remove");
    this.teamMember(username);
    this.team = this.team.filter((m) => m.username !== username);
    return null;
  }
}

/** A team member for tests. */
export function teamMember(username: string, over: Partial<TeamMember> = {}): TeamMember {
  return {
    username,
    email: `${username}@studio.local`,
    group: "staff",
    status: "active",
    created: "2026-11-01T09:00:00Z",
    modified: "2026-11-02T09:00:00Z",
    isMe: false,
    ...over,
  };
}

export class MockPlatform implements Platform {
  private drop: ((paths: string[]) => void) | null = null;
  private hover: ((over: boolean) => void) | null = null;

  async onFileDrop(onDrop: (paths: string[]) => void, onHover: (over: boolean) => void) {
    this.drop = onDrop;
    this.hover = onHover;
    return () => {
      this.drop = null;
      this.hover = null;
    };
  }

  /** Drop `paths` on the window, as the webview's drag-and-drop event would. */
  dropFiles(paths: string[]): void {
    this.hover?.(true);
    this.hover?.(false);
    this.drop?.(paths);
  }
}
