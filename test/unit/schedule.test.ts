import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { renewAtMs, withinLead } from "../../src/renewal/schedule.js";

describe("renewAtMs", () => {
  it("is always after issue, at least lead before expiry and never later than lead + 0 (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1_700_000_000, max: 1_900_000_000 }),
        fc.integer({ min: 31, max: 3600 }),
        fc.integer({ min: 0, max: 3600 }),
        fc.integer({ min: 30, max: 86400 }),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        (issuedAt, lead, jitter, extra, random) => {
          const expiresAt = issuedAt + lead + extra;
          const at = renewAtMs(issuedAt, expiresAt, { leadSeconds: lead, jitterSeconds: jitter }, random);
          expect(at).toBeGreaterThan(issuedAt * 1000);
          expect(expiresAt * 1000 - at).toBeGreaterThanOrEqual(lead * 1000);
          expect(expiresAt * 1000 - at).toBeGreaterThan(30_000);
          expect(expiresAt * 1000 - at).toBeLessThanOrEqual((lead + jitter) * 1000);
        },
      ),
    );
  });

  it("spreads by jitter: random 0 renews at the lead, random ~1 a full jitter earlier", () => {
    const timing = { leadSeconds: 60, jitterSeconds: 30 };
    expect(renewAtMs(0, 3600, timing, 0)).toBe(3540_000);
    expect(renewAtMs(0, 3600, timing, 0.5)).toBe(3525_000);
    expect(renewAtMs(0, 3600, timing, 0.999)).toBe(3510_030);
  });

  it("withinLead is true once less than the lead is left", () => {
    const timing = { leadSeconds: 60, jitterSeconds: 0 };
    expect(withinLead(100, 39_999, timing)).toBe(false);
    expect(withinLead(100, 40_001, timing)).toBe(true);
  });
});
