import { BASIC_TOKEN_NOTE, buildPrivilegePayload, tokenFields, decodeTokenWeb, encodeTokenWeb, TokenError, verifyTokenWeb, type WebDecodedToken } from "./codec-web.js";

// Everything stays in this page: no fetch, no storage, no URL parameters. The CSP forbids connections.

function field<T extends HTMLElement = HTMLInputElement>(name: string): T {
  const el = document.querySelector<T>(`[name="${name}"]`);
  if (el === null) throw new Error(`missing field ${name}`);
  return el;
}
const value = (name: string) => field(name).value.trim();
const checked = (name: string) => field(name).checked;
const out = (testId: string) => document.querySelector<HTMLElement>(`[data-testid="${testId}"]`) as HTMLElement;

function problem(e: unknown): string {
  if (e instanceof TokenError) return `${e.code} (ZEGO ${e.zegoErrorCode}): ${e.message}`;
  return e instanceof Error ? e.message : String(e);
}

function integer(name: string, label: string): number {
  const text = value(name);
  if (!/^\d+$/.test(text)) throw new Error(`${label} must be a whole number`);
  return Number(text);
}

// The service caps token lifetimes at TOKEN_MAX_TTL_SECONDS, itself at most 30 days; so does this page.
const MAX_TTL_SECONDS = 30 * 86400;

/** One message for every refused TTL (0, -5, 1.5, "abc", 31 years): what is allowed, not what was wrong. */
function ttlSeconds(): number {
  const text = value("ttl");
  const ttl = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!(ttl >= 1 && ttl <= MAX_TTL_SECONDS)) throw new Error(`TTL must be a whole number of seconds from 1 to ${MAX_TTL_SECONDS} (30 days)`);
  return ttl;
}

function streamList(): string[] | null {
  const list = value("streamIds").split(",").map((s) => s.trim()).filter((s) => s !== "");
  return list.length === 0 ? null : list;
}

function describe(decoded: WebDecodedToken, nowSeconds: number): string {
  return JSON.stringify(
    {
      mode: decoded.mode,
      expiresAt: new Date(decoded.expiresAt * 1000).toISOString(),
      expired: nowSeconds >= decoded.expiresAt,
      kind: decoded.privilege === null ? "basic (unrestricted by room and stream)" : "privilege",
      plaintext: decoded.plaintext,
      privilege: decoded.privilege,
    },
    null,
    2,
  );
}


async function generate(): Promise<void> {
  const target = out("token");
  try {
    const roomId = value("roomId");
    const payload =
      roomId === ""
        ? ""
        : buildPrivilegePayload({ roomId, canLoginRoom: checked("canLogin"), canPublish: checked("canPublish"), streamIds: streamList() });
    target.textContent = await encodeTokenWeb({
      appId: integer("appId", "AppID"),
      userId: value("userId"),
      secret: field("secret").value,
      effectiveTimeInSeconds: ttlSeconds(),
      payload,
      mode: value("mode") === "cbc" ? "cbc" : "gcm",
    });
    target.className = "ok";
    field<HTMLTextAreaElement>("token").value = target.textContent;
  } catch (e) {
    target.textContent = problem(e);
    target.className = "error";
  }
}

async function decode(): Promise<void> {
  const target = out("decoded");
  try {
    // Decoding shows an expired token too; Verify is where expiry fails.
    const decoded = await decodeTokenWeb(value("token"), { secret: field("secret").value, now: 0 });
    target.textContent = describe(decoded, Math.floor(Date.now() / 1000));
    target.className = "ok";
  } catch (e) {
    target.textContent = problem(e);
    target.className = "error";
  }
}

async function verify(): Promise<void> {
  const target = out("verdict");
  try {
    const optional = (name: string) => (value(name) === "" ? undefined : value(name));
    const userId = optional("userId");
    const roomId = optional("roomId");
    const streamId = optional("streamId");
    const verdict = await verifyTokenWeb(value("token"), {
      secret: field("secret").value,
      appId: integer("appId", "AppID"),
      publish: checked("publish") || streamId !== undefined,
      ...(userId === undefined ? {} : { userId }),
      ...(roomId === undefined ? {} : { roomId }),
      ...(streamId === undefined ? {} : { streamId }),
      ...(value("now") === "" ? {} : { now: integer("now", "Verification time") }),
    });
    // The same JSON as `zego-token verify`.
    const shown = !verdict.valid
      ? verdict
      : {
          valid: true,
          restricted: verdict.restricted,
          ...(verdict.restricted ? {} : { note: BASIC_TOKEN_NOTE }),
          ...tokenFields(verdict.decoded),
        };
    target.textContent = JSON.stringify(shown, null, 2);
    target.className = verdict.valid ? "ok" : "error";
  } catch (e) {
    target.textContent = problem(e);
    target.className = "error";
  }
}

function on(name: string, action: () => Promise<void>): void {
  field<HTMLButtonElement>(name).addEventListener("click", () => {
    void action();
  });
}

on("generate", generate);
on("decode", decode);
on("verify", verify);
