// Entry point: styles (KaTeX's fonts are bundled by Vite: the CSP forbids CDNs), the client for
// where the UI runs, and the app. Inside the desktop app the root is `Desktop` (start screen,
// recent projects); in a browser against `fare-lens serve`, the app on the served project.
import "katex/dist/katex.min.css";
import "./app.css";
import { mount } from "svelte";
import App from "./App.svelte";
import Desktop from "./Desktop.svelte";
import { defaultClient } from "./lib/api/client";
import { AppState } from "./lib/app.svelte";
import { desktopShell } from "./lib/shell";

const target = document.getElementById("app")!;
const shell = desktopShell();
if (shell) {
  mount(Desktop, { target, props: { shell, client: defaultClient() } });
} else {
  const app = new AppState(defaultClient());
  mount(App, { target, props: { app } });
  void app.start();
}
