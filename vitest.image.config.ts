import { defineConfig } from "vitest/config";
import base from "./vitest.config.js";

/** The container image test (root, buildah, debootstrap): `.ci/run` runs it after `npm test`. */
export default defineConfig({
  ...base,
  test: { ...base.test, include: ["test/image/**/*.test.ts"], exclude: [], globalSetup: [], testTimeout: 120_000 },
});
