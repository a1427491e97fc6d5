// The screens of the signed-in app, in the order the navigation shows them.
export type ScreenId = "activity" | "folders" | "gallery" | "team" | "settings";

export const SCREENS: readonly { id: ScreenId; label: string; hint: string; adminOnly?: boolean }[] = [
  { id: "activity", label: "Activity", hint: "What is uploading now" },
  { id: "folders", label: "Folders", hint: "Camera folders that are watched" },
  { id: "gallery", label: "Gallery", hint: "Photos in the bucket, by day" },
  { id: "team", label: "Team", hint: "Who may sign in, and as what", adminOnly: true },
  { id: "settings", label: "Settings", hint: "How and when photos go up" },
];

/** The screens `isAdmin` may see: staff never see the admin-only ones. */
export function screensFor(isAdmin: boolean) {
  return SCREENS.filter((s) => isAdmin || !s.adminOnly);
}
