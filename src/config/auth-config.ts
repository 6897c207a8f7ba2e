import { createHash } from "node:crypto";
import type { EnvReader } from "./env-reader.js";

/** A JSON Web Key Set as read from a file (validated to have a `keys` array). */
export interface JsonWebKeySet {
  readonly keys: ReadonlyArray<Record<string, unknown>>;
}

/** How app users' JWTs are verified. */
export type JwtKeySource =
  /** HS256/384/512 secrets: the first signs development JWTs, every one verifies (key rotation). */
  | { readonly kind: "secret"; readonly secrets: readonly string[] }
  | { readonly kind: "jwks-file"; readonly jwks: JsonWebKeySet }
  | { readonly kind: "jwks-url"; readonly url: string };

/** A game server's API key and the name logs and metrics show instead of it. */
export interface ServiceApiKey {
  readonly name: string;
  readonly key: string;
}

/** Authentication settings. */
export interface AuthConfig {
  readonly keys: JwtKeySource;
  readonly issuer: string | undefined;
  readonly audience: string | undefined;
  /** JWT claim holding the ZEGO userId; default `sub`. */
  readonly userIdClaim: string;
  /** Accepted `x-api-key` values for game servers. */
  readonly serviceApiKeys: readonly ServiceApiKey[];
}

/** What {@link readAuthConfig} generated for a development start. */
export interface GeneratedAuth {
  readonly jwtSecret?: string;
  readonly serviceApiKey?: string;
}

const MIN_JWT_SECRET_BYTES = 32;
const MIN_API_KEY_CHARS = 16;
const KEY_NAME = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * `name:key` entries carry a name; a bare key is named `key-` and 8 hex digits of its SHA-256: stable
 * whatever the key's position, shown in logs and room history, and not the key.
 */
export function parseServiceApiKey(entry: string): ServiceApiKey {
  const colon = entry.indexOf(":");
  if (colon > 0) {
    const name = entry.slice(0, colon);
    const key = entry.slice(colon + 1);
    if (KEY_NAME.test(name) && key.length >= MIN_API_KEY_CHARS) return { name, key };
  }
  return { name: `key-${createHash("sha256").update(entry, "utf8").digest("hex").slice(0, 8)}`, key: entry };
}

function jwtKeys(read: EnvReader, production: boolean, random: (n: number) => Buffer): { keys: JwtKeySource; generated?: string } {
  const secret = read.secret("AUTH_JWT_SECRET");
  const jwksFile = read.str("AUTH_JWKS_FILE");
  const jwksUrl = read.str("AUTH_JWKS_URL");
  const fallback: JwtKeySource = { kind: "secret", secrets: [random(32).toString("base64url")] };
  if ([secret, jwksFile, jwksUrl].filter((v) => v !== undefined).length > 1) {
    read.fail("AUTH_JWT_SECRET", "set only one of AUTH_JWT_SECRET, AUTH_JWKS_FILE and AUTH_JWKS_URL");
    return { keys: fallback };
  }
  if (secret !== undefined) {
    const secrets = secret.value.split(",").map((s) => s.trim()).filter((s) => s !== "");
    if (secrets.length === 0 || secrets.some((s) => Buffer.byteLength(s, "utf8") < MIN_JWT_SECRET_BYTES)) {
      read.fail(secret.source, `every secret must be at least ${MIN_JWT_SECRET_BYTES} bytes`);
      return { keys: fallback };
    }
    return { keys: { kind: "secret", secrets: Object.freeze(secrets) } };
  }
  if (jwksFile !== undefined) return { keys: jwksFromFile(read, jwksFile) ?? fallback };
  if (jwksUrl !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(jwksUrl);
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== "https:" && url.protocol !== "http:")) {
      read.fail("AUTH_JWKS_URL", "must be an http(s) URL");
      return { keys: fallback };
    }
    return { keys: { kind: "jwks-url", url: url.toString() } };
  }
  if (production) read.fail("AUTH_JWT_SECRET", "is required in production (or AUTH_JWKS_FILE / AUTH_JWKS_URL)");
  const generated = fallback.secrets[0] as string;
  return { keys: fallback, generated };
}

function jwksFromFile(read: EnvReader, path: string): JwtKeySource | undefined {
  const text = read.file("AUTH_JWKS_FILE", path);
  if (text === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    read.fail("AUTH_JWKS_FILE", "is not JSON");
    return undefined;
  }
  const list = typeof parsed === "object" && parsed !== null ? (parsed as { keys?: unknown }).keys : undefined;
  if (!Array.isArray(list) || list.length === 0 || !list.every((k) => typeof k === "object" && k !== null)) {
    read.fail("AUTH_JWKS_FILE", "must be a JWK set with a non-empty keys array");
    return undefined;
  }
  return { kind: "jwks-file", jwks: { keys: list as Array<Record<string, unknown>> } };
}

/** Reads the authentication variables; in development, missing credentials are generated. */
export function readAuthConfig(read: EnvReader, production: boolean, random: (n: number) => Buffer): { auth: AuthConfig; generated: GeneratedAuth } {
  const { keys, generated: jwtSecret } = jwtKeys(read, production, random);

  const rawKeys = read.secret("SERVICE_API_KEYS");
  const entries = rawKeys === undefined ? [] : rawKeys.value.split(",").map((k) => k.trim()).filter((k) => k !== "");
  let serviceApiKeys = entries.map((entry) => parseServiceApiKey(entry));
  let apiKey: string | undefined;
  if (serviceApiKeys.length === 0) {
    if (production) read.fail("SERVICE_API_KEYS", "is required in production");
    apiKey = `dev-${random(24).toString("base64url")}`;
    serviceApiKeys = [{ name: "dev", key: apiKey }];
  }
  if (serviceApiKeys.some((k) => k.key.length < MIN_API_KEY_CHARS)) {
    read.fail(rawKeys?.source ?? "SERVICE_API_KEYS", `every key must be at least ${MIN_API_KEY_CHARS} characters`);
  }
  if (new Set(serviceApiKeys.map((k) => k.name)).size !== serviceApiKeys.length) {
    read.fail(rawKeys?.source ?? "SERVICE_API_KEYS", "key names must be unique");
  }
  const auth: AuthConfig = Object.freeze({
    keys: Object.freeze(keys),
    issuer: read.str("AUTH_JWT_ISSUER"),
    audience: read.str("AUTH_JWT_AUDIENCE"),
    userIdClaim: read.str("AUTH_USER_ID_CLAIM") ?? "sub",
    serviceApiKeys: Object.freeze(serviceApiKeys.map((k) => Object.freeze(k))),
  });
  return { auth, generated: { ...(jwtSecret === undefined ? {} : { jwtSecret }), ...(apiKey === undefined ? {} : { serviceApiKey: apiKey }) } };
}
