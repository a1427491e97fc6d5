// Demo data for looking at the UI in a plain browser (`npm run dev`, then
// /preview.html): the MockBackend filled with a studio's day. Not in the app bundle.
import { fileActivity, galleryItem, MockBackend } from "../lib/api/mock";
import type { Role } from "../lib/bindings/Role";

/** A grey placeholder photo as a data URL (neutral tones, a different one per n). */
function placeholder(n: number, w: number, h: number): string {
  const l1 = 18 + ((n * 7) % 30);
  const l2 = 40 + ((n * 13) % 35);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}"><defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="hsl(30,6%,${l1}%)"/><stop offset="1" stop-color="hsl(210,6%,${l2}%)"/></linearGradient></defs><rect width="100%" height="100%" fill="url(#g)"/><circle cx="${w * 0.62}" cy="${h * 0.4}" r="${h * 0.18}" fill="hsl(0,0%,${l2 + 15}%)" opacity="0.6"/></svg>`;
  return `data:image/svg+xml,${encodeURIComponent(svg)}`;
}

export function demoBackend(params: URLSearchParams): MockBackend {
  const backend = new MockBackend();
  const role = (params.get("role") as Role | null) ?? "admin";
  if (params.get("signedIn") !== "0") backend.signInAs(role === "admin" ? "admin" : "maria", role);
  if (params.get("daemon") === "1") {
    backend.info = { ...backend.info, engineOwner: "daemon", ownerDetail: "The lightbox daemon (pid 4242) holds the catalog." };
  }
  backend.folderList = [
    { path: "/home/studio/Pictures/Tethered", status: "watching", detail: null, counts: { waiting: 3, uploading: 2, done: 1284, skipped: 4, failed: 1 } },
    {
      path: "/media/studio/EOS_DIGITAL/DCIM",
      status: "offline",
      detail: "The folder is not there (card removed or not mounted). Nothing is deleted; it is picked up again when it returns.",
      counts: { waiting: 0, uploading: 0, done: 312, skipped: 0, failed: 0 },
    },
  ];
  backend.activity = [
    fileActivity(41, { stage: "failed", problem: { code: "upload_access_denied", message: "The bucket refused the upload (AccessDenied): ask an admin to check your group, then Retry." } }),
    fileActivity(42, { stage: "uploading", partsDone: 3, partsTotal: 8, bytesDone: 48_000_000, bytesTotal: 128_000_000 }),
    fileActivity(43, { stage: "hashing", bytesTotal: 31_000_000 }),
    fileActivity(44, { stage: "settling" }),
    fileActivity(45, { stage: "skipped", problem: { code: "duplicate", message: "Already in the bucket as originals/2026/11/23/IMG_0012.CR3." } }),
    ...Array.from({ length: 12 }, (_, i) => fileActivity(30 - i, { stage: "done", bytesTotal: 24_000_000 + i * 100_000 })),
  ];
  const count = Number(params.get("photos") ?? 240);
  backend.days.set(
    "2026-11-23",
    Array.from({ length: count }, (_, i) =>
      galleryItem("2026-11-23", i, { thumbUrl: placeholder(i, 400, 267), screenUrl: placeholder(i, 1600, 1067) }),
    ),
  );
  backend.days.set("2026-11-22", Array.from({ length: 38 }, (_, i) => galleryItem("2026-11-22", i, { thumbUrl: placeholder(i + 7, 267, 400) })));
  return backend;
}
