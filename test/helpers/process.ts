import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

/** Repository root. */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** A child process whose output is collected. */
export interface Child {
  readonly proc: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or signal name). */
  readonly exited: Promise<number | string>;
  /** Waits until stdout (or stderr) matches. */
  waitFor(pattern: RegExp, timeoutMs?: number, stream?: "stdout" | "stderr"): Promise<RegExpMatchArray>;
  kill(signal?: NodeJS.Signals): void;
}

/** Starts a TypeScript entry point of this repository with tsx and a clean environment. */
export function runTs(entry: string, env: Record<string, string>, args: string[] = []): Child {
  return runCommand(process.execPath, ["--import", "tsx", entry, ...args], env);
}

/** Starts a command in the repository (or `cwd`) with a clean environment (PATH and HOME kept). */
export function runCommand(command: string, args: string[], env: Record<string, string>, cwd: string = ROOT): Child {
  const proc = spawn(command, args, {
    cwd,
    env: { PATH: process.env["PATH"] ?? "", HOME: process.env["HOME"] ?? "/tmp", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  proc.stdout?.on("data", (d: Buffer) => {
    out += d.toString();
  });
  proc.stderr?.on("data", (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<number | string>((resolve) => proc.on("exit", (code, signal) => resolve(code ?? signal ?? -1)));
  return {
    proc,
    stdout: () => out,
    stderr: () => err,
    exited,
    async waitFor(pattern, timeoutMs = 20_000, stream = "stdout") {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const m = (stream === "stdout" ? out : err).match(pattern);
        if (m !== null) return m;
        if (Date.now() > end || proc.exitCode !== null) throw new Error(`output never matched ${pattern}: ${out}\n${err}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    kill: (signal = "SIGTERM") => {
      proc.kill(signal);
    },
  };
}
