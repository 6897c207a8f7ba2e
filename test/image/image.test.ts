import { readdirSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { signUserJwt } from "../../src/auth/dev-jwt.js";
import { run } from "../helpers/packing.js";
import { ROOT, runCommand, type Child } from "../helpers/process.js";

// Builds the Dockerfile with buildah (chroot isolation, as CI machines cannot run containers) on a
// stand-in of node:20 (debootstrap + this machine's node), then runs the image's command under chroot
// as the image's user. Needs root, buildah and debootstrap (.ci/run installs them); run by .ci/run
// through vitest.image.config.ts, not by `npm test`.
const TAG = "localhost/zego-token-service:test";
const SECRETS = {
  ZEGO_APP_ID: "123456789",
  ZEGO_SERVER_SECRET: "0123456789abcdef0123456789abcdef",
  AUTH_JWT_SECRET: "image-test-jwt-secret-image-test-jwt-secret",
  SERVICE_API_KEYS: "image-test-service-key-0123456789",
};

interface ImageConfig {
  User: string;
  Env: string[];
  Cmd: string[];
  WorkingDir: string;
  ExposedPorts?: Record<string, unknown>;
  Healthcheck?: { Test: string[] };
  StopSignal?: string;
}

let config: ImageConfig;
let container = "";
let rootfs = "";
let child: Child | undefined;

beforeAll(async () => {
  const base = (await run("bash", ["test/image/stand-in-base.sh"], ROOT, { NODE_EXTRA_CA_CERTS: process.env["NODE_EXTRA_CA_CERTS"] ?? "" })).trim().split("\n").pop()!;
  await run("buildah", ["bud", "--isolation", "chroot", "--layers", "--format", "docker", "--build-arg", `NODE_IMAGE=${base}`, "-t", TAG, "-f", "Dockerfile", "."], ROOT);
  config = (JSON.parse(await run("buildah", ["inspect", "--type", "image", TAG], ROOT)) as { Docker: { config: ImageConfig } }).Docker.config;
  container = (await run("buildah", ["from", "--name", `zts-image-test-${process.pid}`, TAG], ROOT)).trim();
  rootfs = (await run("buildah", ["mount", container], ROOT)).trim();
}, 900_000);

afterEach(() => {
  child?.kill("SIGKILL");
  child = undefined;
});

afterAll(async () => {
  if (container !== "") await run("buildah", ["rm", container], ROOT);
});

/**
 * The image's command (or `command`) under chroot as the image's user, in its WORKDIR, with its ENV plus
 * `env`. With `pid1`, in a new PID namespace (as a container runs it): the command is PID 1 there.
 */
function runInImage(env: Record<string, string>, options: { command?: readonly string[]; pid1?: boolean } = {}): Child {
  const environment = [...config.Env, ...Object.entries(env).map(([k, v]) => `${k}=${v}`)];
  const chroot = ["chroot", `--userspec=${config.User}:${config.User}`, rootfs, "/usr/bin/env", "-i", ...environment, "/bin/sh", "-c", 'cd "$0" && exec "$@"', config.WorkingDir, ...(options.command ?? config.Cmd)];
  return options.pid1 === true ? runCommand("unshare", ["--pid", "--fork", "--kill-child", ...chroot], {}) : runCommand(chroot[0]!, chroot.slice(1), {});
}

/** The process unshare forked: PID 1 of the new namespace, seen from here. */
function namespaceInit(unshare: Child): number {
  const pid = unshare.proc.pid!;
  return Number(readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(" ")[0]);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const uidOf = (user: string): number => {
  const line = readFileSync(join(rootfs, "etc/passwd"), "utf8").split("\n").find((l) => l.startsWith(`${user}:`));
  return Number(line?.split(":")[2]);
};

describe("the container image (built with buildah on a stand-in of node:20)", () => {
  it("declares a non-root user, the port, a /healthz HEALTHCHECK, SIGTERM and production mode", () => {
    expect(config.User).toBe("node");
    expect(uidOf(config.User)).toBeGreaterThan(0);
    expect(Object.keys(config.ExposedPorts ?? {})).toEqual(["4000/tcp"]);
    expect(config.Healthcheck?.Test.join(" ")).toContain("/healthz");
    expect(config.StopSignal).toBe("SIGTERM");
    expect(config.Env).toEqual(expect.arrayContaining(["NODE_ENV=production", "PORT=4000"]));
    expect(config.Cmd).toEqual(["node", "dist/cli/start.js"]);
  });

  it("holds production dependencies and the build only", () => {
    const app = join(rootfs, config.WorkingDir);
    expect(readdirSync(app).sort()).toEqual(["dist", "node_modules", "package.json", "schema.graphql"]);
    const modules = readdirSync(join(app, "node_modules"));
    expect(modules).toContain("graphql-yoga");
    for (const dev of ["typescript", "tsx", "esbuild", "vitest", "playwright-core", "zego-token-service-client"]) expect(modules).not.toContain(dev);
    const dist = readdirSync(join(app, "dist"), { recursive: true, encoding: "utf8" });
    expect(dist).toContain("web/assets/assistant.js");
    expect(dist.filter((f) => f.endsWith(".map") || f.includes("build-assets"))).toEqual([]);
  });

  it("runs its command as its user and PID 1: serves, passes its HEALTHCHECK, mints a token, and exits 0 on SIGTERM", async () => {
    const port = await freePort();
    child = runInImage({ ...SECRETS, PORT: String(port) }, { pid1: true });
    await child.waitFor(/"msg":"listening"/, 30_000, "stderr");
    const url = `http://127.0.0.1:${port}`;
    const server = namespaceInit(child);
    const status = readFileSync(`/proc/${server}/status`, "utf8");
    expect(status).toMatch(new RegExp(`^Uid:\\s+${uidOf(config.User)}\\s`, "m"));
    expect(status).toMatch(/^NSpid:\s+\d+\s+1$/m);
    expect(readFileSync(`/proc/${server}/cmdline`, "utf8").split("\0").slice(0, 2)).toEqual(["node", "dist/cli/start.js"]);

    const health = runInImage({ PORT: String(port) }, { command: config.Healthcheck!.Test.slice(1) });
    expect(await health.exited).toBe(0);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);

    const jwt = await signUserJwt({ secret: SECRETS.AUTH_JWT_SECRET, userId: "alice", ttlSeconds: 600, nowMs: Date.now() });
    const res = await fetch(`${url}/graphql`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${jwt}` },
      body: JSON.stringify({ query: 'mutation { issueToken(roomId: "room1") { token appId userId } }' }),
    });
    const body = (await res.json()) as { data?: { issueToken: { token: string; appId: number; userId: string } } };
    expect(body.data?.issueToken).toMatchObject({ appId: 123456789, userId: "alice" });
    expect(body.data?.issueToken.token).toMatch(/^04/);
    expect(child.stdout() + child.stderr()).not.toContain(SECRETS.ZEGO_SERVER_SECRET);

    // As `docker stop` does: SIGTERM to the container's PID 1, which has no default action there.
    process.kill(server, "SIGTERM");
    expect(await child.exited).toBe(0);
    expect(child.stderr()).toContain('"msg":"stopped"');
    expect(await fetch(`${url}/healthz`).then(() => "answered", () => "closed")).toBe("closed");
  });
});
