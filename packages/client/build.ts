/**
 * Builds the package: one ESM file with graphql-ws's client bundled in (so the package has no runtime
 * dependencies), declarations from tsc, and graphql-ws's licence beside the bundle.
 * Run from anywhere: `npm run build -w packages/client` (the root's `npm run build` does it first).
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));
const require = createRequire(import.meta.url);

rmSync(here("dist"), { recursive: true, force: true });
await build({
  entryPoints: [here("src/index.ts")],
  outfile: here("dist/index.js"),
  bundle: true,
  format: "esm",
  // Browsers, React Native and Node alike: no Node built-ins, no platform-specific resolution.
  platform: "neutral",
  target: "es2020",
  legalComments: "eof",
  logLevel: "warning",
});
execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", here("tsconfig.json")], { stdio: "inherit" });
// graphql-ws exports no package.json or licence path: its main entry lives in dist/.
copyFileSync(join(dirname(require.resolve("graphql-ws")), "../LICENSE.md"), here("dist/graphql-ws.LICENSE.md"));
