import { pino, stdTimeFunctions, type Logger as PinoLogger } from "pino";

/** Log levels, most verbose first. */
export const LOG_LEVELS = ["debug", "info", "warn", "error", "silent"] as const;
/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Structured fields of a log line. Never put secrets or token plaintext here (they are redacted anyway). */
export type LogFields = Readonly<Record<string, unknown>>;

/** A structured logger writing one JSON object per line. */
export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger adding `bindings` (e.g. a request id) to every line. */
  child(bindings: LogFields): Logger;
  /** Whether lines of this level are written (to skip gathering fields nobody reads). */
  enabled(level: Exclude<LogLevel, "silent">): boolean;
}

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Lowest level written; default `info`. */
  readonly level?: LogLevel;
  /** Where lines go; default standard error. */
  readonly write?: (line: string) => void;
}

/** Field names whose values are replaced by `[redacted]` wherever they appear (two levels deep). */
export const REDACTED_KEYS = ["authorization", "x-api-key", "apiKey", "token", "jwt", "secret", "serverSecret", "password", "cookie"] as const;

const REDACT_PATHS = REDACTED_KEYS.flatMap((k) => [`["${k}"]`, `*["${k}"]`, `*.*["${k}"]`]);

type WrittenLevel = Exclude<LogLevel, "silent">;

/**
 * Children are made per request, and most requests log nothing at the configured level: the pino child
 * is built only when a line is actually written, levels below the configured one return at once, and a
 * child is one small object (methods on the prototype, no closures per request).
 */
class LazyLogger implements Logger {
  #log: PinoLogger | undefined;
  readonly #parent: LazyLogger | PinoLogger;
  readonly #bindings: LogFields | undefined;
  readonly #enabled: number;

  constructor(parent: LazyLogger | PinoLogger, bindings: LogFields | undefined, enabled: number) {
    this.#parent = parent;
    this.#bindings = bindings;
    this.#enabled = enabled;
  }

  #get(): PinoLogger {
    if (this.#log === undefined) {
      const parent = this.#parent instanceof LazyLogger ? this.#parent.#get() : this.#parent;
      this.#log = this.#bindings === undefined ? parent : parent.child(this.#bindings);
    }
    return this.#log;
  }

  enabled(level: WrittenLevel): boolean {
    return (this.#enabled & LEVEL_BITS[level]) !== 0;
  }

  debug(msg: string, fields?: LogFields): void {
    if (this.#enabled & LEVEL_BITS.debug) this.#get().debug(fields ?? {}, msg);
  }

  info(msg: string, fields?: LogFields): void {
    if (this.#enabled & LEVEL_BITS.info) this.#get().info(fields ?? {}, msg);
  }

  warn(msg: string, fields?: LogFields): void {
    if (this.#enabled & LEVEL_BITS.warn) this.#get().warn(fields ?? {}, msg);
  }

  error(msg: string, fields?: LogFields): void {
    if (this.#enabled & LEVEL_BITS.error) this.#get().error(fields ?? {}, msg);
  }

  child(bindings: LogFields): Logger {
    return new LazyLogger(this, bindings, this.#enabled);
  }
}

const LEVEL_BITS: Readonly<Record<WrittenLevel, number>> = { debug: 1, info: 2, warn: 4, error: 8 };

function enabledLevels(level: LogLevel): number {
  let bits = 0;
  for (const l of LOG_LEVELS.slice(LOG_LEVELS.indexOf(level))) if (l !== "silent") bits |= LEVEL_BITS[l];
  return bits;
}

/** Creates a pino JSON-lines logger with credentials and tokens redacted. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const write = options.write;
  const destination = write === undefined ? pino.destination({ dest: 2, sync: true }) : { write: (line: string) => write(line) };
  const level = options.level ?? "info";
  const root = pino(
    {
      level,
      base: undefined,
      timestamp: stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    },
    destination,
  );
  return new LazyLogger(root, undefined, enabledLevels(level));
}

/** A logger that drops everything. */
export const silentLogger: Logger = createLogger({ level: "silent" });

/** Names an error for a log line without its message, which may carry user input. */
export function errorName(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === "string" ? `${error.name}:${code}` : error.name;
  }
  return typeof error;
}
