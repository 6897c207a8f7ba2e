import type { Logger } from "../log/logger.js";

/** Why a request was refused; expected, and caused by the caller, not by the server. */
export const RefusalReason = Object.freeze({
  UNAUTHENTICATED: "unauthenticated",
  RATE_LIMITED: "rate-limited",
  BAD_CALLBACK: "bad-callback",
} as const);
/** One of {@link RefusalReason}. */
export type RefusalReason = (typeof RefusalReason)[keyof typeof RefusalReason];

/** Logs expected refusals (bad credentials, bad callback signatures) without letting anyone flood the log. */
export interface RefusalLog {
  /**
   * Notes a refusal from `address`. The first of a window per address is written at warn on the
   * request's logger (so it carries the request or connection id); the rest of the window are counted
   * and reported as `suppressed` on the address's next line.
   */
  refused(address: string, logger: Logger, fields: { readonly reason: RefusalReason; readonly [k: string]: unknown }): void;
}

/** Options of {@link createRefusalLog}. */
export interface RefusalLogOptions {
  /** One line per address per this many ms. */
  readonly windowMs: number;
  /** Milliseconds now. */
  readonly now: () => number;
}

const ADDRESSES_MAX = 10_000;

/** Creates a {@link RefusalLog}. */
export function createRefusalLog(options: RefusalLogOptions): RefusalLog {
  const windows = new Map<string, { start: number; suppressed: number }>();
  return {
    refused(address, logger, fields) {
      const now = options.now();
      const window = windows.get(address);
      if (window !== undefined && now - window.start < options.windowMs) {
        window.suppressed++;
        return;
      }
      if (windows.size >= ADDRESSES_MAX) {
        for (const [a, w] of windows) if (now - w.start >= options.windowMs) windows.delete(a);
        // Flooded from everywhere at once: an empty map gives at most one line per address again.
        if (windows.size >= ADDRESSES_MAX) windows.clear();
      }
      windows.set(address, { start: now, suppressed: 0 });
      logger.warn("request refused", { ...fields, address, suppressed: window?.suppressed ?? 0 });
    },
  };
}
