import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // the JSON report feeds the one-line summary that .ci/run prints
    reporters: ["default", ["json", { outputFile: ".tmp/vitest.json" }]]
  }
})
