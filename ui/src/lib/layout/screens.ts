// The screens of the signed-in app, in the order the navigation shows them.
export type ScreenId = "activity" | "folders" | "gallery" | "settings";

export const SCREENS: readonly { id: ScreenId; label: string; hint: string }[] = [
  { id: "activity", label: "Activity", hint: "What is uploading now" },
  { id: "folders", label: "Folders", hint: "Camera folders that are watched" },
  { id: "gallery", label: "Gallery", hint: "Photos in the bucket, by day" },
  { id: "settings", label: "Settings", hint: "How and when photos go up" },
];
