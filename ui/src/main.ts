// Entry point: styles (KaTeX's fonts are bundled by Vite: the CSP forbids CDNs), the client for
// where the UI runs, and the app.
import "katex/dist/katex.min.css";
import "./app.css";
import { mount } from "svelte";
import App from "./App.svelte";
import { defaultClient } from "./lib/api/client";
import { AppState } from "./lib/app.svelte";

const app = new AppState(defaultClient());
mount(App, { target: document.getElementById("app")!, props: { app } });
void app.start();
