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

const RANK: Readonly<Record<LogLevel, number>> = { debug: 0, info: 1, warn: 2, error: 3, silent: 4 };

// Children are made per request and per WebSocket, which holds its child for hours, and most log
// nothing: one object per child with its methods on the prototype (not a closure per method), and the
// pino child built only when a line is actually written. Levels below the configured one are skipped
// before that.
class LazyLogger implements Logger {
  private built: PinoLogger | undefined;

  constructor(
    private readonly minRank: number,
    private readonly parent: LazyLogger | undefined,
    private readonly bindings: LogFields | undefined,
    root?: PinoLogger,
  ) {
    this.built = root;
  }

  private pino(): PinoLogger {
    this.built ??= (this.parent as LazyLogger).pino().child(this.bindings ?? {});
    return this.built;
  }

  debug(msg: string, fields?: LogFields): void {
    if (this.minRank <= RANK.debug) this.pino().debug(fields ?? {}, msg);
  }

  info(msg: string, fields?: LogFields): void {
    if (this.minRank <= RANK.info) this.pino().info(fields ?? {}, msg);
  }

  warn(msg: string, fields?: LogFields): void {
    if (this.minRank <= RANK.warn) this.pino().warn(fields ?? {}, msg);
  }

  error(msg: string, fields?: LogFields): void {
    if (this.minRank <= RANK.error) this.pino().error(fields ?? {}, msg);
  }

  child(bindings: LogFields): Logger {
    return new LazyLogger(this.minRank, this, bindings);
  }
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
  return new LazyLogger(RANK[level], undefined, undefined, root);
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
