// The board is built into the Python package, so `pip install laneway` serves it without Node:
// into .build/ first, then scripts/sync-dist.mjs puts it into the package's dist/.
import { defineConfig } from "vitest/config";

export default defineConfig({
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  build: {
    outDir: ".build",
    emptyOutDir: true,
    target: "es2022",
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
  server: { proxy: { "/api": { target: "http://127.0.0.1:8000", ws: true } } },
  test: { environment: "node", include: ["src/**/*.test.ts"] },
});
