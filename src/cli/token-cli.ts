import { parseArgs, type ParseArgsConfig } from "node:util";
import {
  buildPrivilegePayload,
  decodeToken04,
  encodeToken04,
  InvalidArgumentError,
  TokenError,
  verifyToken04,
  BASIC_TOKEN_NOTE,
  tokenFields,
} from "../token/index.js";
import type { Env } from "../config/env.js";

/** What the CLI touches of the outside world, injected so tests run it in process. */
export interface CliIo {
  readonly env: Env;
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly readStdin: () => Promise<string>;
  readonly readFile: (path: string) => Promise<string>;
  /** Current time in unix seconds. */
  readonly now: () => number;
}

class UsageError extends Error {}

const USAGE = {
  main: `Usage: zego-token <command> [options]

Commands:
  generate   mint a token04 (basic, or a privilege token with --room-id)
  decode     decrypt a token and print its fields
  verify     check a token as ZEGO's server does

The ServerSecret comes from ZEGO_SERVER_SECRET or --secret-file PATH, never from a flag value.
Run 'zego-token <command> --help' for a command's options.
`,
  generate: `Usage: zego-token generate --app-id N --user-id U [--room-id R] [--login|--no-login]
         [--publish|--no-publish] [--stream-id S]... [--payload JSON] [--ttl SECONDS]
         [--mode gcm|cbc] [--secret-file PATH] [--json]

Prints the token as its last line. With --room-id it builds a privilege payload
(login on and publish off unless told otherwise); --payload sets a raw payload instead.
--ttl defaults to 3600 seconds, --mode to gcm.
`,
  decode: `Usage: zego-token decode [--now UNIX] [--secret-file PATH] [--json] TOKEN|-

Decrypts the token (- reads it from standard input) and prints its fields. With --json it prints
{"mode":...,"plaintext":{...},"privilege":{...}|null}; on failure it exits 1.
`,
  verify: `Usage: zego-token verify --app-id N [--user-id U] [--room-id R] [--stream-id S] [--publish]
         [--now UNIX] [--secret-file PATH] [--json] TOKEN|-

Exits 0 and prints {"valid":true,"restricted":true,...} when the token passes ZEGO's checks, else exits 1
and prints {"valid":false,"code":"TOKEN_...","zegoErrorCode":N,"message":"..."}. A basic token (no room
or stream restriction) exits 3 with {"valid":true,"restricted":false,"note":"..."}: ZEGO accepts it only
where privilege checks are off in its console.
`,
} as const;

type Command = Exclude<keyof typeof USAGE, "main">;

const common = {
  help: { type: "boolean" },
  json: { type: "boolean" },
  "secret-file": { type: "string" },
} as const satisfies ParseArgsConfig["options"];

const OPTIONS = {
  generate: {
    ...common,
    "app-id": { type: "string" },
    "user-id": { type: "string" },
    "room-id": { type: "string" },
    login: { type: "boolean" },
    "no-login": { type: "boolean" },
    publish: { type: "boolean" },
    "no-publish": { type: "boolean" },
    "stream-id": { type: "string", multiple: true },
    payload: { type: "string" },
    ttl: { type: "string" },
    mode: { type: "string" },
  },
  decode: { ...common, now: { type: "string" } },
  verify: {
    ...common,
    "app-id": { type: "string" },
    "user-id": { type: "string" },
    "room-id": { type: "string" },
    "stream-id": { type: "string" },
    publish: { type: "boolean" },
    now: { type: "string" },
  },
} as const satisfies Record<Command, ParseArgsConfig["options"]>;

function integer(value: string | undefined, flag: string, fallback?: number): number {
  if (value === undefined) {
    if (fallback === undefined) throw new UsageError(`${flag} is required`);
    return fallback;
  }
  if (!/^-?\d+$/.test(value)) throw new UsageError(`${flag} must be an integer`);
  return Number(value);
}

function required(value: string | undefined, flag: string): string {
  if (value === undefined) throw new UsageError(`${flag} is required`);
  return value;
}

async function readSecret(file: string | undefined, io: CliIo): Promise<string> {
  if (file !== undefined) {
    let text: string;
    try {
      text = await io.readFile(file);
    } catch {
      throw new UsageError("--secret-file could not be read");
    }
    return text.replace(/\r?\n$/, "");
  }
  const fromEnv = io.env["ZEGO_SERVER_SECRET"];
  if (fromEnv === undefined || fromEnv === "") {
    throw new UsageError("no ServerSecret: set ZEGO_SERVER_SECRET or pass --secret-file PATH");
  }
  return fromEnv;
}

async function readToken(positionals: string[], io: CliIo): Promise<string> {
  if (positionals.length !== 1) throw new UsageError("expected exactly one TOKEN argument (or - for standard input)");
  const arg = positionals[0] as string;
  return arg === "-" ? (await io.readStdin()).trim() : arg;
}


type Values<C extends Command> = ReturnType<typeof parseArgs<{ options: (typeof OPTIONS)[C]; allowPositionals: true; strict: true }>>["values"];

async function generate(values: Values<"generate">, io: CliIo): Promise<number> {
  const secret = await readSecret(values["secret-file"], io);
  if (values.login && values["no-login"]) throw new UsageError("--login and --no-login exclude each other");
  if (values.publish && values["no-publish"]) throw new UsageError("--publish and --no-publish exclude each other");
  const roomId = values["room-id"];
  let payload = "";
  if (values.payload !== undefined) {
    if (roomId !== undefined) throw new UsageError("--payload and --room-id exclude each other");
    try {
      JSON.parse(values.payload);
    } catch {
      throw new UsageError("--payload must be JSON");
    }
    payload = values.payload;
  } else if (roomId !== undefined) {
    const streams = values["stream-id"];
    payload = buildPrivilegePayload({
      roomId,
      canLoginRoom: !values["no-login"],
      canPublish: values.publish === true,
      streamIds: streams === undefined || streams.length === 0 ? null : streams,
    });
  } else if (values["stream-id"] !== undefined || values.publish || values.login || values["no-login"]) {
    throw new UsageError("--login, --publish and --stream-id need --room-id");
  }
  const mode = values.mode ?? "gcm";
  if (mode !== "gcm" && mode !== "cbc") throw new UsageError("--mode must be gcm or cbc");
  const now = io.now();
  const token = encodeToken04(
    {
      appId: integer(values["app-id"], "--app-id"),
      userId: required(values["user-id"], "--user-id"),
      secret,
      effectiveTimeInSeconds: integer(values.ttl, "--ttl", 3600),
      payload,
      mode,
    },
    { now },
  );
  if (values.json) {
    io.stdout(`${JSON.stringify({ token, ...tokenFields(decodeToken04(token, { secret, now })) })}\n`);
  } else {
    io.stdout(`${token}\n`);
  }
  return 0;
}

async function decode(values: Values<"decode">, positionals: string[], io: CliIo): Promise<number> {
  const secret = await readSecret(values["secret-file"], io);
  const token = await readToken(positionals, io);
  const now = integer(values.now, "--now", io.now());
  try {
    const decoded = decodeToken04(token, { secret, now });
    if (values.json) {
      const privilege = decoded.privilege === null ? null : (JSON.parse(decoded.payload) as unknown);
      io.stdout(`${JSON.stringify({ mode: decoded.mode, plaintext: decoded.plaintext, privilege })}\n`);
    } else {
      const lines = Object.entries(tokenFields(decoded)).map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`);
      io.stdout(`${lines.join("\n")}\n`);
    }
    return 0;
  } catch (e) {
    if (!(e instanceof TokenError)) throw e;
    if (values.json) io.stdout(`${JSON.stringify({ error: { code: e.code, message: e.message } })}\n`);
    else io.stderr(`${e.code}: ${e.message}\n`);
    return 1;
  }
}

/** Exit code of `verify` for a basic token: it passes, but restricts no room or stream. */
const EXIT_UNRESTRICTED = 3;

async function verify(values: Values<"verify">, positionals: string[], io: CliIo): Promise<number> {
  const secret = await readSecret(values["secret-file"], io);
  const token = await readToken(positionals, io);
  const appId = integer(values["app-id"], "--app-id");
  const now = integer(values.now, "--now", io.now());
  try {
    const decoded = verifyToken04(token, {
      secret,
      appId,
      now,
      publish: values.publish === true || values["stream-id"] !== undefined,
      ...(values["user-id"] === undefined ? {} : { userId: values["user-id"] }),
      ...(values["room-id"] === undefined ? {} : { roomId: values["room-id"] }),
      ...(values["stream-id"] === undefined ? {} : { streamId: values["stream-id"] }),
    });
    if (decoded.privilege === null) {
      io.stdout(`${JSON.stringify({ valid: true, restricted: false, note: BASIC_TOKEN_NOTE, ...tokenFields(decoded) })}\n`);
      return EXIT_UNRESTRICTED;
    }
    io.stdout(`${JSON.stringify({ valid: true, restricted: true, ...tokenFields(decoded) })}\n`);
    return 0;
  } catch (e) {
    if (!(e instanceof TokenError)) throw e;
    io.stdout(`${JSON.stringify({ valid: false, code: e.code, zegoErrorCode: e.zegoErrorCode, message: e.message })}\n`);
    return 1;
  }
}

/** Runs `zego-token` with the given arguments and returns the exit code. */
export async function runTokenCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "--help" || command === "-h" || command === "help") {
    io.stdout(USAGE.main);
    return 0;
  }
  if (command !== "generate" && command !== "decode" && command !== "verify") {
    io.stderr(command === undefined ? USAGE.main : `zego-token: unknown command\n\n${USAGE.main}`);
    return 2;
  }
  try {
    // Named before parsing so the value is never echoed and the hint names the two real sources.
    if (rest.some((a) => a === "--secret" || a.startsWith("--secret="))) {
      throw new UsageError("there is no --secret option (arguments show in ps and shell history): set ZEGO_SERVER_SECRET or pass --secret-file PATH");
    }
    const { values, positionals } = parseArgs({ args: [...rest], options: OPTIONS[command], allowPositionals: true, strict: true });
    if (values.help) {
      io.stdout(USAGE[command]);
      return 0;
    }
    if (command === "generate") {
      if (positionals.length > 0) throw new UsageError("generate takes no positional arguments");
      return await generate(values as Values<"generate">, io);
    }
    if (command === "decode") return await decode(values as Values<"decode">, positionals, io);
    return await verify(values as Values<"verify">, positionals, io);
  } catch (e) {
    if (e instanceof UsageError || e instanceof InvalidArgumentError || isParseArgsError(e)) {
      io.stderr(`zego-token ${command}: ${usageMessage(e as Error)}\n\n${USAGE[command]}`);
      return 2;
    }
    throw e;
  }
}

/** node:util's "Unknown option" text suggests `--`, which is wrong advice for a misspelt flag. */
function usageMessage(e: Error): string {
  const unknown = /^Unknown option '([^']+)'/.exec(e.message);
  return unknown === null ? e.message : `unknown option ${unknown[1]!} (see the options below)`;
}

function isParseArgsError(e: unknown): boolean {
  return e instanceof TypeError && typeof (e as { code?: unknown }).code === "string" && String((e as { code?: unknown }).code).startsWith("ERR_PARSE_ARGS");
}
