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

// Children are made per request, and most requests log nothing at the configured level: build the pino
// child only when a line is actually written.
function wrap(make: () => PinoLogger): Logger {
  let log: PinoLogger | undefined;
  const get = () => (log ??= make());
  return {
    debug: (msg, fields) => get().debug(fields ?? {}, msg),
    info: (msg, fields) => get().info(fields ?? {}, msg),
    warn: (msg, fields) => get().warn(fields ?? {}, msg),
    error: (msg, fields) => get().error(fields ?? {}, msg),
    child: (bindings) => wrap(() => get().child(bindings)),
  };
}

function enabledLevels(level: LogLevel): ReadonlySet<LogLevel> {
  return new Set(LOG_LEVELS.slice(LOG_LEVELS.indexOf(level)).filter((l) => l !== "silent"));
}

// Skips the call (and so the child's creation) for levels below the configured one.
function gated(logger: Logger, enabled: ReadonlySet<LogLevel>): Logger {
  const at = (level: Exclude<LogLevel, "silent">) => (enabled.has(level) ? logger[level] : () => undefined);
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error"), child: (bindings) => gated(logger.child(bindings), enabled) };
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
  return gated(
    wrap(() => root),
    enabledLevels(level),
  );
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
