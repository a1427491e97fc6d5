import { defineConfig } from "vitest/config";

// The end-to-end test: the real app window, driven over WebDriver (e2e/README in
// docs/desktop-ui.md). Run by scripts/test-ui-e2e.sh, which builds the app and
// starts Xvfb and the local stack; not part of `npm test`.
export default defineConfig({
  test: {
    environment: "node",
    include: ["e2e/**/*.e2e.ts"],
    testTimeout: 240_000,
    hookTimeout: 120_000,
    // One window at a time: the steps of the flow depend on each other.
    fileParallelism: false,
    sequence: { concurrent: false },
  },
});
