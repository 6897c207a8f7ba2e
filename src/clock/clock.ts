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

// One object per timer with the re-arming on its prototype: a live subscription holds a few timers for
// hours, and closures per timer (arm, cancel, their context) cost more than the Timeout itself.
class SystemTimer implements Timer {
  private handle: NodeJS.Timeout | undefined;

  constructor(
    private readonly fn: () => void,
    private readonly due: number,
  ) {
    this.arm();
  }

  private arm(): void {
    const left = this.due - Date.now();
    if (left > MAX_TIMEOUT_MS) {
      this.handle = setTimeout(() => this.arm(), MAX_TIMEOUT_MS);
    } else {
      this.handle = setTimeout(this.fn, Math.max(0, left));
    }
    this.handle.unref();
  }

  cancel(): void {
    clearTimeout(this.handle);
  }
}

/** The real clock: `Date.now()` and unref'd `setTimeout`. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer: (fn, delayMs) => new SystemTimer(fn, Date.now() + Math.max(0, delayMs)),
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
