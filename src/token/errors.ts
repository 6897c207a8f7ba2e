/** Stable codes of token verification failures, each with the error number the ZEGO SDK reports. */
export const TokenErrorCode = {
  MALFORMED: "TOKEN_MALFORMED",
  UNSUPPORTED_VERSION: "TOKEN_UNSUPPORTED_VERSION",
  UNSUPPORTED_MODE: "TOKEN_UNSUPPORTED_MODE",
  DECRYPT_FAILED: "TOKEN_DECRYPT_FAILED",
  EXPIRED: "TOKEN_EXPIRED",
  APP_MISMATCH: "TOKEN_APP_MISMATCH",
  USER_MISMATCH: "TOKEN_USER_MISMATCH",
  ROOM_MISMATCH: "TOKEN_ROOM_MISMATCH",
  LOGIN_DENIED: "TOKEN_LOGIN_DENIED",
  PUBLISH_DENIED: "TOKEN_PUBLISH_DENIED",
  STREAM_DENIED: "TOKEN_STREAM_DENIED",
} as const;

/** One of the stable token error codes. */
export type TokenErrorCode = (typeof TokenErrorCode)[keyof typeof TokenErrorCode];

/** The error code the ZEGO SDK reports for each failure. */
export const ZEGO_ERROR_CODES: Readonly<Record<TokenErrorCode, number>> = Object.freeze({
  TOKEN_MALFORMED: 1002074,
  TOKEN_UNSUPPORTED_VERSION: 1002079,
  TOKEN_UNSUPPORTED_MODE: 1002074,
  TOKEN_DECRYPT_FAILED: 1002074,
  TOKEN_EXPIRED: 1002078,
  TOKEN_APP_MISMATCH: 1002076,
  TOKEN_USER_MISMATCH: 1002077,
  TOKEN_ROOM_MISMATCH: 1002033,
  TOKEN_LOGIN_DENIED: 1002033,
  TOKEN_PUBLISH_DENIED: 1003072,
  TOKEN_STREAM_DENIED: 1003072,
});

/** A token that fails decoding or verification. The message never contains token contents. */
export class TokenError extends Error {
  override readonly name = "TokenError";
  /** Stable code, see {@link TokenErrorCode}. */
  readonly code: TokenErrorCode;
  /** The matching ZEGO SDK error code. */
  readonly zegoErrorCode: number;

  constructor(code: TokenErrorCode, message: string) {
    super(message);
    this.code = code;
    this.zegoErrorCode = ZEGO_ERROR_CODES[code];
  }
}

/** An argument that breaks a rule (ID syntax, secret length, TTL). Names the field, never echoes secrets. */
export class InvalidArgumentError extends Error {
  override readonly name = "InvalidArgumentError";
  readonly code = "INVALID_ARGUMENT" as const;
  /** The argument at fault, e.g. `userId`. */
  readonly field: string;

  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.field = field;
  }
}

/** Message used for every decryption failure, so failures reveal nothing about why. */
export const DECRYPT_FAILED_MESSAGE = "token could not be decrypted with the configured secret";
