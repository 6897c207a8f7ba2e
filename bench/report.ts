/**
 * The one result line every benchmark ends with: `{"bench":"<name>", ...figures, "goals":[...]}`, so
 * tools can collect results, plus a human line per goal. `npm run bench` (bench/all.ts) gathers the
 * lines and lists the goals that were missed; a missed goal never makes a benchmark exit non-zero.
 */

/** One goal: a figure measured in this run against a bound. */
export interface Goal {
  /** What is measured, e.g. "turn change, 1,000 users, one instance (ms)". */
  readonly name: string;
  readonly value: number;
  /** `max`: value must be <= bound; `min`: value must be >= bound. */
  readonly kind: "max" | "min";
  readonly bound: number;
}

/** A goal with its verdict. */
export interface GoalResult extends Goal {
  readonly met: boolean;
}

/** Decides a goal; NaN (not measured) is missed. */
export function judge(goal: Goal): GoalResult {
  const met = goal.kind === "max" ? goal.value <= goal.bound : goal.value >= goal.bound;
  return { ...goal, met: Number.isFinite(goal.value) && met };
}

/** Prints the human goal lines and the JSON result line; returns the judged goals. */
export function report(bench: string, figures: Record<string, number | string | boolean | null>, goals: readonly Goal[]): GoalResult[] {
  const judged = goals.map(judge);
  for (const g of judged) {
    const op = g.kind === "max" ? "<=" : ">=";
    console.log(`goal ${g.met ? "met" : "MISSED"}: ${g.name} = ${round(g.value)} (goal ${op} ${g.bound})`);
  }
  const clean: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(figures)) clean[k] = typeof v === "number" ? round(v) : v;
  console.log(JSON.stringify({ bench, ...clean, goals: judged.map((g) => ({ ...g, value: round(g.value) })) }));
  return judged;
}

function round(n: number): number | null {
  if (!Number.isFinite(n)) return null;
  return Math.abs(n) >= 100 ? Math.round(n) : Math.round(n * 1000) / 1000;
}
