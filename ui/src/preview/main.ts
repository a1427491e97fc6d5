// The app on demo data in a plain browser: /preview.html?role=staff&daemon=1&photos=100000
import { mount } from "svelte";
import "../app.css";
import App from "../App.svelte";
import { MockPlatform } from "../lib/api/mock";
import { demoBackend } from "./demo";

const target = document.getElementById("app");
if (!target) throw new Error("preview.html has no #app element");
const backend = demoBackend(new URLSearchParams(location.search));
mount(App, { target, props: { backend, platform: new MockPlatform() } });
// Keep the Activity screen alive as the engine would: a batch every second.
let tick = 0;
setInterval(() => {
  tick += 1;
  const f = backend.activity.find((a) => a.id === 42);
  if (!f) return;
  f.partsDone = Math.min(f.partsTotal, 3 + (tick % 6));
  f.bytesDone = f.partsDone * 16_000_000;
  backend.emit({
    files: [{ ...f }],
    totals: { waiting: 3, uploading: 2, done: 1284, skipped: 4, failed: 1, bytesPerSecond: 38_500_000, paused: false, bandwidthLimitMibPerSec: null },
  });
}, 1000);
