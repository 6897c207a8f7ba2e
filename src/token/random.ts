import { randomFillSync } from "node:crypto";
import type { RandomBytes } from "./codec.js";

const POOL_SIZE = 4096;
let pool = Buffer.alloc(0);
let offset = 0;

/**
 * CSPRNG bytes served from a pooled buffer: one `randomFillSync` call per 4 KiB instead of one per
 * token. Each refill allocates a new pool, so a returned view is never overwritten or handed out twice.
 */
export const pooledRandomBytes: RandomBytes = (size) => {
  if (size > POOL_SIZE) return randomFillSync(Buffer.allocUnsafe(size));
  if (offset + size > pool.length) {
    pool = randomFillSync(Buffer.allocUnsafe(POOL_SIZE));
    offset = 0;
  }
  const out = pool.subarray(offset, offset + size);
  offset += size;
  return out;
};
