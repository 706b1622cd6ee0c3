import { defineConfig } from "vitest/config";

// No React plugin: esbuild's automatic JSX runtime is all this app needs, and
// it keeps the toolchain small. The Tauri shell embeds dist/ (see tauri.conf.json).
export default defineConfig({
  clearScreen: false,
  esbuild: { jsx: "automatic" },
  server: { port: 5173, strictPort: true },
  build: { outDir: "dist", target: "safari15", sourcemap: false },
  // CSS is processed in tests so that the stylesheet itself can be checked (focus styles).
  test: { environment: "jsdom", include: ["src/**/*.test.ts?(x)"], css: { include: [/styles\.css/] } },
});
