import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** A valid vector from ZEGO's official generators or the JDK codec. */
export interface ValidVector {
  source: string;
  token: string;
  mode: "gcm" | "cbc";
  now: number;
  expire: number;
  plaintext: Record<string, unknown>;
  privilege: Record<string, unknown> | null;
}

/** A broken token and the code a verifier must return. */
export interface InvalidVector {
  why: string;
  token: string;
  secret?: string;
  now: number;
  error: string;
}

/** The vector file, a verbatim copy of the shared token04 vectors (see test/fixtures/README.md). */
export interface VectorFile {
  appId: number;
  secret: string;
  valid: ValidVector[];
  invalid: InvalidVector[];
}

/** Path of the vectors inside the repository. */
export const VECTORS_PATH = fileURLToPath(new URL("../fixtures/token04-vectors.json", import.meta.url));

/** Loads the vectors; fails loudly when the file is missing. */
export function loadVectors(): VectorFile {
  return JSON.parse(readFileSync(VECTORS_PATH, "utf8")) as VectorFile;
}
