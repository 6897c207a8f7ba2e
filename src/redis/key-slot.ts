/** Number of hash slots in a Redis Cluster. */
export const CLUSTER_SLOTS = 16384;

const TABLE = (() => {
  const t = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 8;
    for (let k = 0; k < 8; k++) c = c & 0x8000 ? ((c << 1) ^ 0x1021) & 0xffff : (c << 1) & 0xffff;
    t[i] = c;
  }
  return t;
})();

function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const b of bytes) crc = ((crc << 8) & 0xffff) ^ (TABLE[((crc >> 8) ^ b) & 0xff] ?? 0);
  return crc;
}

const encoder = new TextEncoder();

/**
 * The cluster slot of a key or shard channel: CRC16 (XMODEM) of the hash tag, the part between the
 * first `{` and the next `}` when that part is not empty, else of the whole key; modulo 16384.
 */
export function keySlot(key: string): number {
  const bytes = encoder.encode(key);
  const open = bytes.indexOf(0x7b);
  if (open !== -1) {
    const close = bytes.indexOf(0x7d, open + 1);
    if (close > open + 1) return crc16(bytes.subarray(open + 1, close)) % CLUSTER_SLOTS;
  }
  return crc16(bytes) % CLUSTER_SLOTS;
}

/** `{tag}`: the hash-tag form of an ID that contains no braces, so keys holding it share one slot. */
export function hashTag(id: string): string {
  if (id.includes("{") || id.includes("}")) throw new Error("a hash-tagged ID must not contain { or }");
  return `{${id}}`;
}
