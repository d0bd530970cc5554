// Vite builds the UI into ui/dist, which `fare-lens serve` and the Tauri shell serve as is.
import { defineConfig } from "vitest/config";
import { svelte } from "@sveltejs/vite-plugin-svelte";

export default defineConfig({
  plugins: [svelte()],
  // Component tests mount Svelte in jsdom: take Svelte's browser build there.
  resolve: process.env.VITEST ? { conditions: ["browser"] } : undefined,
  // Relative asset paths: the same dist works under http://host/ and Tauri's own protocol.
  base: "./",
  build: { outDir: "dist", emptyOutDir: true, target: "es2022", chunkSizeWarningLimit: 1500 },
  server: {
    // `npm run dev` next to `fare-lens serve PROJECT --port 7878` (adjust to the port it prints).
    proxy: { "/api": "http://127.0.0.1:7878" },
  },
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.ts"],
  },
});
