import { defineConfig } from "vitest/config";

// No React plugin: esbuild's automatic JSX runtime is all this app needs, and
// it keeps the toolchain small. The Tauri shell embeds dist/ (see tauri.conf.json).
export default defineConfig({
  clearScreen: false,
  esbuild: { jsx: "automatic" },
  server: { port: 5173, strictPort: true },
  build: { outDir: "dist", target: "safari15", sourcemap: false },
  // CSS is processed in tests so that the stylesheet itself can be checked (focus styles).
  // Tests run in one time zone away from UTC, so that local times (what the views
  // show) and UTC (titles, copies) differ and each is checked as what it is.
  test: {
    environment: "jsdom",
    include: ["src/**/*.test.ts?(x)"],
    css: { include: [/styles\.css/] },
    env: { TZ: "America/New_York" },
  },
});
