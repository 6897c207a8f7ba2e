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
/** Longest lifetime accepted by the codec (the int32 range; services cap far lower). */
export const MAX_EFFECTIVE_TIME_SECONDS = 0x7fffffff;
/** Largest possible token: a 65535-byte ciphertext in base64, with headroom for the header. */
export const MAX_TOKEN_CHARS = 90_000;
/** The ciphertext length is a uint16; GCM adds a 16-byte tag, CBC up to 16 bytes of padding. */
export const MAX_PLAINTEXT_BYTES = 0xffff - 16;
/** Length of a ZEGO ServerSecret, which is used as an AES-256 key as is. */
export const SECRET_BYTES = 32;
