import { mount } from "svelte";
import "./app.css";
import App from "./App.svelte";
import { platformTauri } from "./lib/api/platform-tauri";
import { tauriBackend } from "./lib/api/tauri";

const target = document.getElementById("app");
if (!target) throw new Error("index.html has no #app element");
mount(App, { target, props: { backend: tauriBackend, platform: platformTauri } });
