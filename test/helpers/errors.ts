/** Runs `fn` and returns what it threw when it is an instance of `type`; "NO_ERROR" when nothing was thrown. Rethrows anything else. */
export function thrown<T>(fn: () => unknown, type: abstract new (...args: never[]) => T): T | "NO_ERROR" {
  try {
    fn();
  } catch (e) {
    if (e instanceof type) return e;
    throw e;
  }
  return "NO_ERROR";
}

/** The `field` of the InvalidArgumentError-like error `fn` throws, or "NO_ERROR". */
export function fieldOf(fn: () => unknown, type: abstract new (...args: never[]) => { field: string }): string {
  const e = thrown(fn, type);
  return e === "NO_ERROR" ? e : e.field;
}
