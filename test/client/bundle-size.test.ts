import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

describe("the browser bundle of zego-token-service/client", () => {
  it("is at most 20 KiB gzipped and contains only packages/client/src and graphql-ws", async () => {
    const result = await build({
      entryPoints: ["packages/client/src/index.ts"], bundle: true, format: "esm", platform: "browser", target: "es2020", minify: true, write: false, metafile: true,
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.filter((p) => !p.startsWith("packages/client/src/") && !p.includes("node_modules/graphql-ws/"))).toEqual([]);
    expect(gzipSync(result.outputFiles[0]!.contents, { level: 9 }).length).toBeLessThanOrEqual(20 * 1024);
  });
});
