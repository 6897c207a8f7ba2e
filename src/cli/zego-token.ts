#!/usr/bin/env node
import { readFile } from "node:fs/promises";
import { readProcessEnv } from "../config/env.js";
import { runTokenCli } from "./token-cli.js";

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

runTokenCli(process.argv.slice(2), {
  env: readProcessEnv(),
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  readStdin,
  readFile: (path) => readFile(path, "utf8"),
  now: () => Math.floor(Date.now() / 1000),
}).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`zego-token: unexpected failure: ${error instanceof Error ? error.name : "error"}\n`);
    process.exitCode = 1;
  },
);
