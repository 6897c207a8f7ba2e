/** Timing of the enforcement worker and sweeper; defaults suit production, tests shorten them. */
export interface EnforcementTuning {
  /** How long a claimed batch is leased; an instance dying mid-call delays its items this long. */
  readonly leaseMs: number;
  /** How often an idle worker looks for work other instances left (retries, expired leases). */
  readonly pollMs: number;
  /** First retry delay after a rate-limit answer or a network error; doubles per attempt. */
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  /** Pause of a lane after ZEGO refused the signature or the project settings. */
  readonly authPauseMs: number;
  /** How long a change that reopens banned streams waits for ZEGO before its tokens are pushed anyway. */
  readonly resumeWaitMs: number;
  /** How often the sweep looks for room changes whose enforcement was not written (crash, Redis blip). */
  readonly sweepMs: number;
  /** Age of an unfinished change before the sweep takes it over. */
  readonly intentGraceMs: number;
  /** Timeout of one ZEGO call. */
  readonly callTimeoutMs: number;
}

/** Production defaults. */
export const DEFAULT_ENFORCEMENT_TUNING: EnforcementTuning = Object.freeze({
  leaseMs: 15_000,
  pollMs: 1000,
  backoffBaseMs: 250,
  backoffMaxMs: 10_000,
  authPauseMs: 60_000,
  resumeWaitMs: 3000,
  sweepMs: 5000,
  intentGraceMs: 10_000,
  callTimeoutMs: 5000,
});

/** ZEGO's per-AppId call limits (calls per second). */
export interface EnforcementLimits {
  /** ForbidRTCStreams / ResumeRTCStreams: 20/s, 5/s in the test environment. */
  readonly media: number;
  /** KickoutUser: 50/s. */
  readonly room: number;
  /**
   * SetForbidUserRule and DelForbidUserRule together: ZEGO allows 10/s of each; 9 leaves one call of
   * slack for calls that leave evenly spaced but arrive bunched.
   */
  readonly rule: number;
  /** User ban rules (`RuleType` 4) in force at once: 200. */
  readonly ruleCap: number;
}

/** The limits for a project (`isTest`: ZEGO's test environment). */
export function zegoLimits(isTest: boolean): EnforcementLimits {
  return { media: isTest ? 5 : 20, room: 50, rule: 9, ruleCap: 200 };
}
