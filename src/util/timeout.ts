/** Thrown by {@link withTimeout} when the time runs out first. */
export class TimeoutError extends Error {
  override readonly name = "TimeoutError";
}

/** Settles like `promise`, or rejects with `onTimeout()` (default a TimeoutError) after `ms`; the timer never outlives it. */
export function withTimeout<T>(promise: Promise<T>, ms: number, onTimeout: () => Error = () => new TimeoutError("timed out")): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
