import { createHash, timingSafeEqual } from "node:crypto";
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey, type JWTVerifyOptions } from "jose";
import type { AuthConfig } from "../config/config.js";
import { AuthenticationError } from "../errors/service-errors.js";
import { isUserId } from "../token/index.js";

/** Who is calling. */
export type Viewer =
  | { readonly kind: "USER"; readonly userId: string; /** JWT expiry, unix seconds. */ readonly expiresAt: number }
  | { readonly kind: "SERVICE"; readonly userId: string; /** The API key's configured name (never the key). */ readonly keyName: string };

/** Turns credentials into a {@link Viewer}. */
export interface Authenticator {
  /**
   * Authenticates a bearer token and/or API key. No credential gives `null` (anonymous); a bad one
   * throws AuthenticationError with a generic message.
   */
  authenticate(credentials: { readonly authorization?: unknown; readonly apiKey?: unknown }): Promise<Viewer | null>;
  /** The viewer for a bearer JWT verified before and not yet expired, without any new check; else undefined. */
  remembered(authorization: unknown): Viewer | undefined;
}

/** Options of {@link createAuthenticator}. */
export interface AuthenticatorOptions {
  readonly config: AuthConfig;
  /** Current time in ms, for `exp` checks. */
  readonly now: () => number;
}

const VERIFIED_CACHE_SIZE = 10_000;
const HMAC_HASH: Readonly<Record<string, string>> = { HS256: "SHA-256", HS384: "SHA-384", HS512: "SHA-512" };

// jose imports a raw secret as a CryptoKey on every verification; import it once per algorithm instead.
function hmacKeyResolver(secret: string): JWTVerifyGetKey {
  const raw = new TextEncoder().encode(secret);
  const imported = new Map<string, Promise<CryptoKey>>();
  return (header) => {
    const hash = header.alg === undefined ? undefined : HMAC_HASH[header.alg];
    if (hash === undefined) throw new AuthenticationError("unsupported JWT algorithm");
    let key = imported.get(hash);
    if (key === undefined) {
      key = crypto.subtle.importKey("raw", raw, { name: "HMAC", hash }, false, ["verify"]);
      imported.set(hash, key);
    }
    return key;
  };
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

const digest = (value: string) => createHash("sha256").update(value, "utf8").digest();

/** Creates an {@link Authenticator}: jose JWT verification for users, constant-time API keys for services. */
export function createAuthenticator(options: AuthenticatorOptions): Authenticator {
  const { config } = options;
  const keyDigests = config.serviceApiKeys.map((k) => ({ name: k.name, digest: digest(k.key) }));
  const keys = config.keys;
  // Several HMAC secrets (rotation) are tried in order; a JWKS picks its key by `kid` itself.
  let verifyKeys: JWTVerifyGetKey[];
  if (keys.kind === "secret") verifyKeys = keys.secrets.map(hmacKeyResolver);
  else if (keys.kind === "jwks-file") verifyKeys = [createLocalJWKSet(keys.jwks as Parameters<typeof createLocalJWKSet>[0])];
  else verifyKeys = [createRemoteJWKSet(new URL(keys.url))];
  const verified = new Map<string, Viewer & { kind: "USER" }>();
  const algorithms = keys.kind === "secret" ? ["HS256", "HS384", "HS512"] : ["RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"];
  const claim = config.userIdClaim;

  const checkApiKey = (key: string): string | undefined => {
    // Compare digests so every comparison takes the same time whatever the key's length.
    const d = digest(key);
    let name: string | undefined;
    for (const k of keyDigests) if (timingSafeEqual(d, k.digest) && name === undefined) name = k.name;
    return name;
  };

  // Clients present the same JWT on every call: remember verified ones (by their full text, signature
  // included) until they expire, instead of re-checking the signature each time.
  const lookup = (jwt: string): Viewer | undefined => {
    const hit = verified.get(jwt);
    if (hit === undefined || hit.expiresAt * 1000 > options.now()) return hit;
    verified.delete(jwt);
    return undefined;
  };

  const verifyJwt = async (jwt: string): Promise<Viewer> => {
    const hit = lookup(jwt);
    if (hit !== undefined) return hit;
    const viewer = await verifyJwtUncached(jwt);
    if (verified.size >= VERIFIED_CACHE_SIZE) verified.delete(verified.keys().next().value as string);
    verified.set(jwt, viewer);
    return viewer;
  };

  const verifyJwtUncached = async (jwt: string): Promise<Viewer & { kind: "USER" }> => {
    const verifyOptions: JWTVerifyOptions = {
      algorithms,
      requiredClaims: ["exp"],
      currentDate: new Date(options.now()),
      ...(config.issuer === undefined ? {} : { issuer: config.issuer }),
      ...(config.audience === undefined ? {} : { audience: config.audience }),
    };
    let payload: Record<string, unknown> | undefined;
    for (const verifyKey of verifyKeys) {
      try {
        payload = (await jwtVerify(jwt, verifyKey, verifyOptions)).payload;
        break;
      } catch {
        // Try the next key; all failing is one generic error.
      }
    }
    if (payload === undefined) throw new AuthenticationError("invalid or expired credentials");
    const userId = payload[claim];
    if (!isUserId(userId)) throw new AuthenticationError(`the JWT claim ${claim} is not a valid ZEGO userId`);
    const exp = payload["exp"];
    return { kind: "USER", userId, expiresAt: typeof exp === "number" ? exp : 0 };
  };

  return {
    remembered(authorization) {
      const jwt = typeof authorization === "string" ? BEARER.exec(authorization)?.[1] : undefined;
      return jwt === undefined ? undefined : lookup(jwt);
    },
    async authenticate({ authorization, apiKey }) {
      if (apiKey !== undefined && apiKey !== null && apiKey !== "") {
        const keyName = typeof apiKey === "string" ? checkApiKey(apiKey) : undefined;
        if (keyName === undefined) throw new AuthenticationError("invalid or expired credentials");
        return { kind: "SERVICE", userId: "service", keyName };
      }
      if (authorization === undefined || authorization === null || authorization === "") return null;
      if (typeof authorization !== "string") throw new AuthenticationError("invalid or expired credentials");
      const match = BEARER.exec(authorization);
      if (match === null) throw new AuthenticationError("authorization must be 'Bearer <JWT>'");
      return verifyJwt(match[1] as string);
    },
  };
}
