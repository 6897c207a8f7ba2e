import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { promisify } from "node:util";
import { ROOT } from "./process.js";

const execFileAsync = promisify(execFile);
const made: string[] = [];
const tempDir = (prefix: string): string => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
};

/** Removes every directory these helpers made (call in afterAll). */
export function removeTempDirs(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** What a clone has: the repository without installed or built files. */
const NOT_IN_A_CLONE = new Set(["node_modules", "dist", ".git", ".vitest-report.json", "test-artifacts"]);

/**
 * Copies the repository as a fresh clone would have it, so packing or building there cannot disturb
 * the `dist/` other tests use. `linkModules` links the repository's node_modules instead of installing.
 */
export function copyRepo(options: { readonly linkModules: boolean }): string {
  const dir = tempDir("zts-clone-");
  cpSync(ROOT, dir, {
    recursive: true,
    filter: (source) => {
      const rel = relative(ROOT, source);
      return rel === "" || !rel.split("/").some((part) => NOT_IN_A_CLONE.has(part));
    },
  });
  if (options.linkModules) symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
  return dir;
}

/**
 * Runs a command with a clean environment (PATH and HOME kept, no npm_config_* of the outer npm);
 * a failure's message carries the command's stdout and stderr.
 */
export async function run(command: string, args: readonly string[], cwd: string, env: Record<string, string> = {}): Promise<string> {
  try {
    const { stdout } = await execFileAsync(command, [...args], {
      cwd,
      env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "/tmp", ...env },
      maxBuffer: 64 * 1024 * 1024,
    });
    return stdout;
  } catch (e) {
    const { stdout = "", stderr = "" } = e as { stdout?: string; stderr?: string };
    throw new Error(`${command} ${args.join(" ")} failed in ${cwd}:\n${stdout}${stderr}`, { cause: e });
  }
}

/** `npm pack` of the root package and the client workspace from a copy; returns the two tarballs. */
export async function packBoth(clone: string): Promise<{ service: string; client: string }> {
  const out = tempDir("zts-pack-");
  await run("npm", ["pack", "--pack-destination", out], clone);
  await run("npm", ["pack", "-w", "packages/client", "--pack-destination", out], clone);
  const files = readdirSync(out);
  const find = (prefix: string) => {
    const name = files.find((f) => new RegExp(`^${prefix}-\\d+\\.\\d+\\.\\d+\\.tgz$`).test(f));
    if (name === undefined) throw new Error(`no ${prefix} tarball in ${files.join(", ")}`);
    return join(out, name);
  };
  return { service: find("zego-token-service"), client: find("zego-token-service-client") };
}

/** An empty ESM app with `tarballs` installed from the npm registry as a user would, engines enforced. */
export async function installIntoEmptyApp(tarballs: readonly string[]): Promise<string> {
  const app = tempDir("zts-app-");
  await run("npm", ["init", "-y"], app);
  await run("npm", ["pkg", "set", "type=module"], app);
  await run("npm", ["install", "--engine-strict", "--no-audit", "--no-fund", ...tarballs], app);
  return app;
}
