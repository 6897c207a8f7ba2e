import { createRequire } from "node:module";
import { defineConfig } from "vitest/config";

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // Node loads graphql's CommonJS entry for yoga and Pothos; tests must use the same copy, or
    // graphql's instanceof checks fail ("Cannot use GraphQLSchema from another module or realm").
    alias: [{ find: /^graphql$/, replacement: require.resolve("graphql") }],
  },
  test: {
    include: ["test/**/*.test.ts"],
    // Needs root, buildah and debootstrap: .ci/run runs it with vitest.image.config.ts.
    exclude: ["test/image/**", "**/node_modules/**"],
    // The served /assistant and /console pages are bundled from src (esbuild, well under a second).
    globalSetup: ["test/web/global-setup.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
