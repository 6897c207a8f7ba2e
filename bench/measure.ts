/**
 * Measures several operations in interleaved rounds (so drift in machine state hits all alike) and
 * returns each one's median operations per second.
 */
export function interleavedOpsPerSecond(fns: ReadonlyArray<() => void>, iterations: number, rounds = 9): number[] {
  for (const fn of fns) for (let i = 0; i < iterations; i++) fn();
  const rates = fns.map(() => [] as number[]);
  for (let r = 0; r < rounds; r++) {
    fns.forEach((fn, k) => {
      const start = process.hrtime.bigint();
      for (let i = 0; i < iterations; i++) fn();
      rates[k]!.push((iterations * 1e9) / Number(process.hrtime.bigint() - start));
    });
  }
  return rates.map((list) => list.sort((a, b) => a - b)[Math.floor(list.length / 2)] ?? 0);
}

/** Reads a positive integer size from the environment of a benchmark, with a default. */
export function sizeFromEnv(env: Readonly<Record<string, string | undefined>>, name: string, fallback: number): number {
  const raw = env[name];
  const n = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer`);
  return n;
}

/** Formats a number with thousands separators. */
export function fmt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}
