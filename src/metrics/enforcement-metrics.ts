import { Counter, Gauge, type Registry } from "prom-client";

/** Enforcement metrics beyond calls, latency and backlog: login kicks, dropped items, user rules. */
export interface EnforcementExtraMetrics {
  /** A user ZEGO reported logging into a room they may not be in, kicked. */
  enforcementLoginKick(): void;
  /** Items ZEGO rejected on their own (after a rejected batch was split), dropped for good. */
  enforcementRejected(action: string, count: number): void;
}

/** Registers the metrics of {@link EnforcementExtraMetrics} and the rules-in-force gauge (read at scrape time). */
export function registerEnforcementMetrics(registry: Registry, rulesInForce: (() => Promise<number>) | undefined): EnforcementExtraMetrics {
  const loginKicks = new Counter({
    name: "zts_enforcement_login_kicks_total",
    help: "Users ZEGO's room_login callback reported in a room they may not be in, kicked.",
    registers: [registry],
  });
  const rejected = new Counter({
    name: "zts_enforcement_rejected_total",
    help: "Items ZEGO rejected on their own (a rejected batch is split first), dropped for good, by action.",
    labelNames: ["action"],
    registers: [registry],
  });
  new Gauge({
    name: "zts_enforcement_rules_in_force",
    help: "ZEGO user ban rules (RuleType 4) this service holds in force, shared by all instances.",
    registers: [registry],
    async collect() {
      this.set(rulesInForce === undefined ? 0 : await rulesInForce().catch(() => 0));
    },
  });
  return {
    enforcementLoginKick: () => loginKicks.inc(),
    enforcementRejected: (action, count) => rejected.inc({ action }, count),
  };
}
