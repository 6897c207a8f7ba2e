import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { copyRepo, installIntoEmptyApp, packBoth, removeTempDirs, run } from "../helpers/packing.js";
import { ROOT, runCommand, type Child } from "../helpers/process.js";

// Packs the two packages from a copy of the repository and installs them into empty apps from the npm
// registry with --engine-strict on this Node (CI runs Node 20): what a user gets, not the repo's lockfile.
let tarballs: { service: string; client: string };
let child: Child | undefined;
beforeAll(async () => {
  tarballs = await packBoth(copyRepo({ linkModules: true }));
}, 240_000);
afterEach(() => {
  child?.kill("SIGKILL");
  child = undefined;
});
afterAll(removeTempDirs);

const node = process.execPath;
const tsc = join(ROOT, "node_modules/typescript/bin/tsc");
const REQUIRE_SNIPPET = (specifier: string) => `try { require(${JSON.stringify(specifier)}); console.log("loaded") } catch (e) { console.log(e.message) }`;
/** Every file under a directory, relative paths. */
const filesUnder = (dir: string): string[] => readdirSync(dir, { recursive: true, encoding: "utf8" });

describe("the zego-token-service package as installed from its tarball", () => {
  it("installs on this Node with --engine-strict, ships no dev tools, build scripts or dangling source maps", async () => {
    const app = await installIntoEmptyApp([tarballs.service]);
    const installed = readdirSync(join(app, "node_modules"));
    for (const dev of ["tsx", "typescript", "esbuild", "vitest"]) expect(installed).not.toContain(dev);
    const shipped = filesUnder(join(app, "node_modules/zego-token-service"));
    expect(shipped.filter((f) => f.endsWith(".map") || f.includes("build-assets"))).toEqual([]);
    expect(shipped).toContain("dist/web/assets/assistant.js");
    // The enforcement store's Lua ships beside its module, which reads it when Redis mode loads it.
    const scripts = join(app, "node_modules/zego-token-service/dist/enforcement/redis-scripts.js");
    expect((await run(node, ["--input-type=module", "-e", `const m = await import(${JSON.stringify(pathToFileURL(scripts).href)}); console.log(m.COMMIT.includes("queue_kick"))`], app)).trim()).toBe("true");

    // The bin starts the server (development mode) and mints a token for the printed user JWT.
    child = runCommand(join(app, "node_modules/.bin/zego-token-service"), [], { PORT: "0" }, app);
    const [, url] = await child.waitFor(/GraphQL:\s+(\S+)\/graphql/, 30_000);
    const [, jwt] = await child.waitFor(/JWT alice:\s+(\S+)/);
    const res = await fetch(`${url!}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${jwt!}` },
      body: JSON.stringify({ query: 'mutation { issueToken(roomId: "room1") { token userId } }' }),
    });
    const body = (await res.json()) as { data?: { issueToken: { token: string; userId: string } } };
    expect(body.data?.issueToken.userId).toBe("alice");
    expect(body.data?.issueToken.token).toMatch(/^04[A-Za-z0-9+/=]{40,}$/);
    expect((await fetch(`${url!}/assistant`)).status).toBe(200);
    child.kill("SIGTERM");
    expect(await child.exited).toBe(0);

    // zego-token-service/client is the client helper; require() of either entry says to use import.
    const imported = await run(node, ["--input-type=module", "-e", 'const m = await import("zego-token-service/client"); console.log(typeof m.createTokenClient, typeof m.createGameServerClient)'], app);
    expect(imported.trim()).toBe("function function");
    for (const specifier of ["zego-token-service", "zego-token-service/client"]) {
      const message = await run(node, ["-e", REQUIRE_SNIPPET(specifier)], app);
      expect(message).toContain("is an ES module: use `import");
    }
  });
});

describe("the zego-token-service-client package as installed from its tarball", () => {
  it("installs nothing but itself, imports in Node, has types, and require() says to use import", async () => {
    const app = await installIntoEmptyApp([tarballs.client]);
    expect(readdirSync(join(app, "node_modules")).filter((name) => !name.startsWith("."))).toEqual(["zego-token-service-client"]);
    const shipped = filesUnder(join(app, "node_modules/zego-token-service-client"));
    expect(shipped).toEqual(expect.arrayContaining(["dist/index.js", "dist/index.d.ts", "dist/graphql-ws.LICENSE.md", "package.json"]));
    const bundle = readFileSync(join(app, "node_modules/zego-token-service-client/dist/index.js"), "utf8");
    expect([...bundle.matchAll(/^\s*import\s.*from\s+"([^"]+)"/gm)]).toEqual([]);

    const imported = await run(node, ["--input-type=module", "-e", 'const m = await import("zego-token-service-client"); console.log(typeof m.createTokenClient, typeof m.TokenServiceError)'], app);
    expect(imported.trim()).toBe("function function");
    expect(await run(node, ["-e", REQUIRE_SNIPPET("zego-token-service-client")], app)).toContain("is an ES module: use `import");

    // A strict TypeScript app type-checks against the shipped declarations (and catches a wrong call).
    writeFileSync(join(app, "app.ts"), [
      'import { createGameServerClient, createTokenClient, type RoomToken } from "zego-token-service-client";',
      'const client = createTokenClient({ url: "https://tokens.example.com/graphql", authorization: () => "Bearer x" });',
      'const game = createGameServerClient({ url: "https://tokens.example.com/graphql", apiKey: "k" });',
      "export const used: [typeof client, typeof game, RoomToken | undefined] = [client, game, undefined];",
    ].join("\n"));
    const tscArgs = [tsc, "--noEmit", "--strict", "--module", "nodenext", "--moduleResolution", "nodenext", "--target", "es2022", "app.ts"];
    await run(node, tscArgs, app);
    writeFileSync(join(app, "app.ts"), 'import { createTokenClient } from "zego-token-service-client";\ncreateTokenClient({ url: 42 });\n');
    await expect(run(node, tscArgs, app)).rejects.toThrow(/TS2322|TS2345|TS2741/);
  });
});

describe("a production install of a clone", () => {
  it("npm ci --omit=dev succeeds and installs no build or dev tools", async () => {
    const clone = copyRepo({ linkModules: false });
    await run("npm", ["ci", "--omit=dev", "--no-audit", "--no-fund"], clone);
    const installed = readdirSync(join(clone, "node_modules"));
    expect(installed).toContain("graphql-yoga");
    for (const dev of ["tsx", "typescript", "esbuild", "vitest"]) expect(installed).not.toContain(dev);
    expect(existsSync(join(clone, "dist"))).toBe(false);
  }, 180_000);
});
