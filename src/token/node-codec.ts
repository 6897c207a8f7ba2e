import type { TokenCodec } from "./codec.js";
import { decodeToken04 } from "./decode.js";
import { encodeToken04 } from "./encode.js";
import { verifyToken04 } from "./verify.js";

/** The token04 codec on node:crypto: synchronous, with pooled randomness and cached keys. */
export const nodeTokenCodec: TokenCodec<true> = { encode: encodeToken04, decode: decodeToken04, verify: verifyToken04 };
