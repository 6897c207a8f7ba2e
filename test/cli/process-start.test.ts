import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { ROOT, runCommand, runTs, type Child } from "../helpers/process.js";

let child: Child | undefined;
afterEach(() => {
  child?.kill("SIGKILL");
  child = undefined;
});

const healthy = (url: string) => fetch(`${url}/healthz`).then((r) => r.ok, () => false);

describe("starting the service as a process manager would", () => {
  it("npm start stops when the process manager sends SIGTERM to the npm process it started", async () => {
    child = runCommand("npm", ["start"], { PORT: "0" });
    const [, graphql] = await child.waitFor(/GraphQL:\s+(\S+)\/graphql/, 30_000);
    const url = graphql!;
    expect(await healthy(url)).toBe(true);
    child.kill("SIGTERM");
    await child.exited;
    await expect.poll(() => healthy(url), { timeout: 10_000 }).toBe(false);
  });

  it("dev mode with AUTH_JWT_SECRET set still prints the generated service key", async () => {
    child = runTs("src/cli/start.ts", { PORT: "0", AUTH_JWT_SECRET: "devJWTsecretdevJWTsecretdevJWTsecret" });
    const [, key] = await child.waitFor(/Service key:\s+(dev-\S+)/);
    expect(key).toMatch(/^dev-/);
    expect(child.stdout()).not.toContain("devJWTsecretdevJWTsecretdevJWTsecret");
  });

  it("the development banner lists the GraphQL endpoint and both pages (and no pages with CONSOLE_ENABLED=false)", async () => {
    child = runTs("src/cli/start.ts", { PORT: "0" });
    const [, url] = await child.waitFor(/GraphQL:\s+(\S+)\/graphql/);
    await child.waitFor(/JWT alice/);
    expect(child.stdout()).toContain(`Assistant:     ${url!}/assistant`);
    expect(child.stdout()).toContain(`Console:       ${url!}/console`);
    child.kill("SIGKILL");
    child = runTs("src/cli/start.ts", { PORT: "0", CONSOLE_ENABLED: "false" });
    await child.waitFor(/JWT alice/);
    expect(child.stdout()).not.toMatch(/Assistant:|Console:/);
  });

  it("a port already in use exits 1 naming the address and the PORT variable", async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, "127.0.0.1", resolve));
    const { port } = taken.address() as { port: number };
    try {
      child = runTs("src/cli/start.ts", { PORT: String(port) });
      expect(await child.exited).toBe(1);
      expect(child.stderr()).toContain(`cannot listen on 127.0.0.1:${port}: it is already in use`);
      expect(child.stderr()).toContain(`Set PORT to another port, e.g. PORT=${port + 1} npm start`);
      expect(child.stderr()).not.toContain("Error:EADDRINUSE");
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it("production reports every missing or invalid variable at once", async () => {
    child = runTs("src/cli/start.ts", { NODE_ENV: "production", PORT: "99999", ZEGO_SERVER_SECRET: "short-secret-value-x" });
    expect(await child.exited).toBe(1);
    for (const name of ["ZEGO_APP_ID", "ZEGO_SERVER_SECRET", "AUTH_JWT_SECRET", "SERVICE_API_KEYS", "PORT"]) expect(child.stderr()).toContain(name);
    expect(child.stderr()).not.toContain("short-secret-value-x");
  });
});

describe("the zego-token-service bin", () => {
  beforeAll(async () => {
    // The bin runs the built server (no tsx): compile it as `npm run build` does.
    await promisify(execFile)(process.execPath, [join(ROOT, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"], { cwd: ROOT });
  }, 120_000);

  it("is declared in package.json and runs the built server with node alone", async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { bin: Record<string, string> };
    const bin = pkg.bin["zego-token-service"];
    expect(bin).toBe("./dist/cli/start.js");
    expect(readFileSync(join(ROOT, bin!), "utf8").startsWith("#!/usr/bin/env node")).toBe(true);
    child = runCommand(process.execPath, [join(ROOT, bin!)], { PORT: "0" });
    const [, graphql] = await child.waitFor(/GraphQL:\s+(\S+)\/graphql/, 30_000);
    expect(await healthy(graphql!)).toBe(true);
    child.kill("SIGTERM");
    expect(await child.exited).toBe(0);
  });
});
