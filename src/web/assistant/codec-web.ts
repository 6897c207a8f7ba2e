import { TokenError, type TokenErrorCode } from "../../token/errors.js";
import type { DecodedToken04, EncodeToken04Input, VerifyToken04Options } from "../../token/codec.js";
import { webTokenCodec } from "../../token/web-crypto.js";

// The Token Assistant's codec: the token core on its WebCrypto backend, so the page accepts and
// refuses the same tokens with the same codes as the library and the CLI.

export { buildPrivilegePayload } from "../../token/payload.js";
export { TokenError } from "../../token/errors.js";
export { BASIC_TOKEN_NOTE } from "../../token/verify-rules.js";
export { tokenFields } from "../../token/plaintext.js";
export type { RoomPrivilege } from "../../token/payload.js";

/** A decrypted, structurally valid token04 (the library's `DecodedToken04`). */
export type WebDecodedToken = DecodedToken04;

/** Inputs of {@link encodeTokenWeb}: the library's encoder inputs, with time and randomness beside them. */
export interface WebEncodeInput extends EncodeToken04Input {
  /** Unix seconds; default the system clock. */
  readonly now?: number;
  /** Fills a buffer with CSPRNG bytes; default `crypto.getRandomValues`. */
  readonly randomFill?: (bytes: Uint8Array) => void;
}

/** The outcome of {@link verifyTokenWeb}: valid (`restricted: false` for a basic token) or a failure code. */
export type WebVerdict =
  | { readonly valid: true; readonly restricted: boolean; readonly decoded: WebDecodedToken }
  | { readonly valid: false; readonly code: TokenErrorCode; readonly zegoErrorCode: number; readonly message: string };

/** Decodes, decrypts and checks expiry; rejects with {@link TokenError} (or InvalidArgumentError for the secret). */
export function decodeTokenWeb(token: unknown, options: { readonly secret: string; readonly now?: number }): Promise<WebDecodedToken> {
  return webTokenCodec.decode(token, options);
}

/** Mints a token04 in the layout of ZEGO's official generators (GCM by default, legacy CBC on request). */
export function encodeTokenWeb(input: WebEncodeInput): Promise<string> {
  const { now, randomFill, ...rest } = input;
  return webTokenCodec.encode(rest, {
    ...(now === undefined ? {} : { now }),
    ...(randomFill === undefined
      ? {}
      : {
          randomBytes: (size: number) => {
            const bytes = new Uint8Array(size);
            randomFill(bytes);
            return bytes;
          },
        }),
  });
}

/**
 * Applies ZEGO's checks like the CLI's `verify`: app, user, room, login, publish, stream allow-list.
 * A basic token (no privilege) passes, reported as `restricted: false`: it is not tied to a room or stream.
 */
export async function verifyTokenWeb(token: unknown, options: VerifyToken04Options): Promise<WebVerdict> {
  try {
    const decoded = await webTokenCodec.verify(token, options);
    return { valid: true, restricted: decoded.privilege !== null, decoded };
  } catch (e) {
    if (!(e instanceof TokenError)) throw e;
    return { valid: false, code: e.code, zegoErrorCode: e.zegoErrorCode, message: e.message };
  }
}
