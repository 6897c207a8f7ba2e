import type { Clock } from "../clock/clock.js";

/** How credential verifications from one address are paced. */
export interface VerificationPacing {
  /** Verifications of one address running at once; more wait their turn (never refused for it). */
  readonly concurrency: number;
  /** An address over its failure limit still gets one verification per this interval, for whoever comes. */
  readonly probeIntervalMs: number;
}

/** Defaults: a few verifications in parallel per address, one probe a second past the failure limit. */
export const DEFAULT_VERIFICATION_PACING: VerificationPacing = Object.freeze({ concurrency: 4, probeIntervalMs: 1000 });

/** A held verification slot. */
export interface VerificationSlot {
  release(): void;
}

/** Per-address verification slots and probes (in this instance's memory). */
export interface AddressVerifications {
  /** Waits for one of the address's slots; FIFO, so no caller waits forever. */
  acquire(address: string): Promise<VerificationSlot>;
  /** Takes the address's probe if its interval has passed; false when it was taken too recently. */
  takeProbe(address: string): boolean;
  /** Milliseconds until the address's next probe (at least 1). */
  nextProbeInMs(address: string): number;
}

interface Lane {
  active: number;
  readonly waiting: Array<() => void>;
}

const PROBE_ENTRIES_MAX = 10_000;

/**
 * Creates {@link AddressVerifications}. The slots bound how many verifications of one address can be
 * in flight before its failures are counted (so a burst of bad credentials cannot all be verified while
 * the count lags), without refusing anyone; the probe lets a valid caller through an address that is
 * locked out by someone else's failures, at a rate that costs nothing worth attacking.
 */
export function createAddressVerifications(pacing: VerificationPacing, clock: Clock): AddressVerifications {
  const lanes = new Map<string, Lane>();
  const probes = new Map<string, number>();
  const release = (address: string, lane: Lane) => {
    const next = lane.waiting.shift();
    if (next !== undefined) return next();
    lane.active--;
    if (lane.active === 0) lanes.delete(address);
  };
  const slot = (address: string, lane: Lane): VerificationSlot => {
    let released = false;
    return {
      release() {
        if (released) return;
        released = true;
        release(address, lane);
      },
    };
  };
  return {
    acquire(address) {
      let lane = lanes.get(address);
      if (lane === undefined) {
        lane = { active: 0, waiting: [] };
        lanes.set(address, lane);
      }
      const held = lane;
      if (held.active < pacing.concurrency) {
        held.active++;
        return Promise.resolve(slot(address, held));
      }
      // The releasing caller hands its slot over: `active` stays as it is.
      return new Promise((resolve) => held.waiting.push(() => resolve(slot(address, held))));
    },
    takeProbe(address) {
      const now = clock.now();
      const last = probes.get(address);
      if (last !== undefined && now - last < pacing.probeIntervalMs) return false;
      if (probes.size >= PROBE_ENTRIES_MAX) {
        for (const [a, at] of probes) if (now - at >= pacing.probeIntervalMs) probes.delete(a);
        if (probes.size >= PROBE_ENTRIES_MAX) probes.clear();
      }
      probes.set(address, now);
      return true;
    },
    nextProbeInMs(address) {
      const last = probes.get(address);
      return last === undefined ? 1 : Math.max(1, pacing.probeIntervalMs - (clock.now() - last));
    },
  };
}
