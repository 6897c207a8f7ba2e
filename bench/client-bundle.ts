/**
 * Size of the browser bundle of `zego-token-service/client` (client entry with graphql-ws, minified,
 * ESM), raw and gzipped. Run: `npx tsx bench/client-bundle.ts`.
 */
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { report } from "./report.js";

const GOAL_BYTES = 20 * 1024;

const result = await build({
  entryPoints: ["packages/client/src/index.ts"],
  bundle: true,
  format: "esm",
  platform: "browser",
  target: "es2020",
  minify: true,
  write: false,
  metafile: true,
});
const code = result.outputFiles[0]!.contents;
const gzip = gzipSync(code, { level: 9 }).length;
const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
const inputs = Object.entries(result.metafile.outputs)[0]![1].inputs;
const graphqlWs = Object.entries(inputs).filter(([p]) => p.includes("graphql-ws")).reduce((s, [, v]) => s + v.bytesInOutput, 0);
process.stdout.write(
  `client bundle: ${kib(code.length)} minified, ${kib(gzip)} gzip (goal <= ${kib(GOAL_BYTES)}); graphql-ws is ${kib(graphqlWs)} of the minified output\n`,
);
report("client-bundle", { minifiedBytes: code.length, gzipBytes: gzip, graphqlWsMinifiedBytes: graphqlWs }, [
  { name: "client bundle, gzip (KiB)", kind: "max", bound: GOAL_BYTES / 1024, value: gzip / 1024 },
]);
