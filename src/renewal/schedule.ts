/** Renewal timing: renew this long (plus jitter) before expiry, always more than 30 s ahead (the SDK warns at 30 s). */
export interface RenewalTiming {
  /** Renew this many seconds before expiry (> 30, the SDK's own warning). */
  readonly leadSeconds: number;
  /** Renew up to this many seconds earlier still, at random, so renewals do not arrive in storms. */
  readonly jitterSeconds: number;
}

/**
 * When a token should be renewed, in unix ms (pure): `lead` plus a random part of `jitter` before expiry,
 * but never in the first half of the time before the lead, so short tokens are not renewed at once.
 * `random` is in [0, 1).
 */
export function renewAtMs(issuedAtSeconds: number, expiresAtSeconds: number, timing: RenewalTiming, random: number): number {
  const latest = (expiresAtSeconds - timing.leadSeconds) * 1000;
  const earliest = issuedAtSeconds * 1000 + Math.max(0, (latest - issuedAtSeconds * 1000) / 2);
  const jittered = latest - Math.floor(random * timing.jitterSeconds * 1000);
  return Math.min(latest, Math.max(earliest, jittered));
}

/** True when a token expiring at `expiresAtSeconds` has less than the lead left at `nowMs`. */
export function withinLead(expiresAtSeconds: number, nowMs: number, timing: RenewalTiming): boolean {
  return expiresAtSeconds * 1000 - nowMs < timing.leadSeconds * 1000;
}
