/** Version prefix of every token04. */
export const TOKEN_VERSION = "04";
/** Mode byte that ends a GCM token; legacy CBC tokens have none. */
export const MODE_GCM = 1;
/** GCM nonce length. */
export const GCM_NONCE_BYTES = 12;
/** GCM authentication tag length. */
export const GCM_TAG_BYTES = 16;
/** CBC IV length. */
export const CBC_IV_BYTES = 16;
/** Encryption mode of a token. */
export type TokenMode = "gcm" | "cbc";
