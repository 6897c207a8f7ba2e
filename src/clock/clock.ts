/** A scheduled callback that can be cancelled. */
export interface Timer {
  cancel(): void;
}

/** Time source and timer factory, injected so tests control time. */
export interface Clock {
  /** Milliseconds since the unix epoch. */
  now(): number;
  /** Runs `fn` once after `delayMs` (clamped to >= 0). */
  setTimer(fn: () => void, delayMs: number): Timer;
}

// setTimeout fires at once for delays above 2^31-1 ms, so long waits are chained.
const MAX_TIMEOUT_MS = 0x7fffffff;

/** The real clock: `Date.now()` and unref'd `setTimeout`. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(fn, delayMs) {
    let handle: NodeJS.Timeout;
    const due = Date.now() + Math.max(0, delayMs);
    const arm = () => {
      const left = due - Date.now();
      handle = setTimeout(left > MAX_TIMEOUT_MS ? arm : fn, Math.min(Math.max(0, left), MAX_TIMEOUT_MS));
      handle.unref();
    };
    arm();
    return { cancel: () => clearTimeout(handle) };
  },
};

/** A clock that only moves when told; for tests and simulations. */
export interface ManualClock extends Clock {
  /** Moves time forward, firing due timers in order. */
  advance(ms: number): void;
  /** Timers scheduled and not yet fired or cancelled. */
  pendingTimers(): number;
}

/** Creates a {@link ManualClock} starting at `startMs`. */
export function createManualClock(startMs: number): ManualClock {
  let now = startMs;
  let seq = 0;
  const timers = new Map<number, { due: number; fn: () => void }>();
  return {
    now: () => now,
    setTimer(fn, delayMs) {
      const id = seq++;
      timers.set(id, { due: now + Math.max(0, delayMs), fn });
      return { cancel: () => timers.delete(id) };
    },
    advance(ms) {
      const target = now + ms;
      for (;;) {
        let next: [number, { due: number; fn: () => void }] | undefined;
        for (const entry of timers) if (entry[1].due <= target && (next === undefined || entry[1].due < next[1].due)) next = entry;
        if (next === undefined) break;
        timers.delete(next[0]);
        now = next[1].due;
        next[1].fn();
      }
      now = target;
    },
    pendingTimers: () => timers.size,
  };
}
