import { SignJWT } from "jose";

/** Options of {@link signUserJwt}. */
export interface SignUserJwtOptions {
  /** HS256 secret (AUTH_JWT_SECRET). */
  readonly secret: string;
  readonly userId: string;
  /** Claim carrying the userId; default `sub`. */
  readonly claim?: string;
  readonly ttlSeconds: number;
  /** Unix ms. */
  readonly nowMs: number;
  readonly issuer?: string;
  readonly audience?: string;
}

/** Signs an HS256 user JWT, as an app's login server would; used for development credentials and tests. */
export async function signUserJwt(options: SignUserJwtOptions): Promise<string> {
  const now = Math.floor(options.nowMs / 1000);
  let jwt = new SignJWT(options.claim === undefined || options.claim === "sub" ? {} : { [options.claim]: options.userId })
    .setProtectedHeader({ alg: "HS256" })
    .setIssuedAt(now)
    .setExpirationTime(now + options.ttlSeconds);
  if (options.claim === undefined || options.claim === "sub") jwt = jwt.setSubject(options.userId);
  if (options.issuer !== undefined) jwt = jwt.setIssuer(options.issuer);
  if (options.audience !== undefined) jwt = jwt.setAudience(options.audience);
  return jwt.sign(new TextEncoder().encode(options.secret));
}
