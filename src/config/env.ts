/** Environment variables as plain strings. */
export type Env = Readonly<Record<string, string | undefined>>;

/** The one place that reads `process.env`; everything else receives the snapshot it returns. */
export function readProcessEnv(): Env {
  return Object.freeze({ ...process.env });
}
