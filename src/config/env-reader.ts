import type { Env } from "./env.js";

/** One invalid or missing variable. The message never echoes the value. */
export interface ConfigProblem {
  readonly variable: string;
  readonly message: string;
}

/**
 * Reads typed values from an environment snapshot, collecting every problem instead of stopping at
 * the first, so that a misconfigured deployment learns everything that is wrong in one run.
 */
export interface EnvReader {
  readonly problems: ConfigProblem[];
  fail(variable: string, message: string): void;
  /** The trimmed value, or `undefined` when unset or blank. */
  str(name: string): string | undefined;
  int(name: string, fallback: number, min: number, max: number): number;
  bool(name: string, fallback: boolean): boolean;
  /** Comma-separated entries, trimmed, blanks dropped. */
  list(name: string): string[] | undefined;
  /**
   * A secret from `NAME` or the file named by `NAME_FILE` (one of the two). Returns the value and the
   * variable it came from, for messages.
   */
  secret(name: string): { value: string; source: string } | undefined;
  /** The text of the file at `path`, named by `variable`; `undefined` (and a problem) when unreadable. */
  file(variable: string, path: string): string | undefined;
}

/** Options of {@link createEnvReader}. */
export interface EnvReaderOptions {
  readonly readFile?: (path: string) => string;
}

/** Creates an {@link EnvReader} over a snapshot. */
export function createEnvReader(env: Env, options: EnvReaderOptions = {}): EnvReader {
  const problems: ConfigProblem[] = [];
  const fail = (variable: string, message: string) => {
    problems.push({ variable, message });
  };
  const str = (name: string) => {
    const v = env[name];
    return v === undefined || v.trim() === "" ? undefined : v.trim();
  };
  const file = (variable: string, path: string): string | undefined => {
    if (options.readFile === undefined) {
      fail(variable, "files cannot be read here");
      return undefined;
    }
    try {
      return options.readFile(path);
    } catch {
      fail(variable, "file could not be read");
      return undefined;
    }
  };
  return {
    problems,
    file,
    fail,
    str,
    int(name, fallback, min, max) {
      const raw = str(name);
      if (raw === undefined) return fallback;
      const n = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
      if (!(n >= min && n <= max)) {
        fail(name, `must be an integer from ${min} to ${max}`);
        return fallback;
      }
      return n;
    },
    bool(name, fallback) {
      const raw = str(name);
      if (raw === undefined) return fallback;
      if (/^(1|true|yes|on)$/i.test(raw)) return true;
      if (/^(0|false|no|off)$/i.test(raw)) return false;
      fail(name, "must be true or false");
      return fallback;
    },
    list(name) {
      const raw = str(name);
      return raw === undefined ? undefined : raw.split(",").map((s) => s.trim()).filter((s) => s !== "");
    },
    secret(name) {
      const direct = str(name);
      const fileVar = `${name}_FILE`;
      const path = str(fileVar);
      if (direct !== undefined && path !== undefined) {
        fail(fileVar, `set either it or ${name}, not both`);
        return undefined;
      }
      if (path === undefined) return direct === undefined ? undefined : { value: direct, source: name };
      const text = file(fileVar, path)?.trim();
      if (text === undefined) return undefined;
      if (text === "") {
        fail(fileVar, "file is empty");
        return undefined;
      }
      return { value: text, source: fileVar };
    },
  };
}
