import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { runTokenCli, type CliIo } from "../../src/cli/token-cli.js";
import { decodeToken04 } from "../../src/index.js";
import { loadVectors } from "../helpers/vectors.js";

const vectors = loadVectors();
const secret = vectors.secret;

async function run(argv: string[], opts: { env?: Record<string, string>; stdin?: string; now?: number } = {}) {
  let stdout = "";
  let stderr = "";
  const io: CliIo = {
    env: opts.env ?? { ZEGO_SERVER_SECRET: secret },
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    readStdin: async () => opts.stdin ?? "",
    readFile: async (path) => (await import("node:fs/promises")).readFile(path, "utf8"),
    now: () => opts.now ?? 1_800_000_000,
  };
  const code = await runTokenCli(argv, io);
  return { code, stdout, stderr };
}

describe("zego-token decode", () => {
  for (const v of vectors.valid) {
    it(`prints exactly mode, plaintext and privilege of ${v.source}`, async () => {
      const r = await run(["decode", "--json", "--now", String(v.now), v.token]);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({ mode: v.mode, plaintext: v.plaintext, privilege: v.privilege });
      expect(Object.keys(JSON.parse(r.stdout) as object)).toEqual(["mode", "plaintext", "privilege"]);
    });
  }

  for (const v of vectors.invalid) {
    it(`exits 1 with ${v.error} for "${v.why}"`, async () => {
      const env = { ZEGO_SERVER_SECRET: v.secret ?? secret };
      const r = await run(["decode", "--json", "--now", String(v.now), v.token === "" ? "-" : v.token], { env, stdin: v.token });
      expect(r.code).toBe(1);
      const out = JSON.parse(r.stdout) as { error: { code: string; message: string } };
      expect(out.error.code).toBe(v.error);
      expect(typeof out.error.message).toBe("string");
    });
  }

  it("reads the token from standard input with -", async () => {
    const v = vectors.valid[0]!;
    const r = await run(["decode", "--now", String(v.now), "-"], { stdin: `${v.token}\n` });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`userId: ${v.plaintext["user_id"] as string}`);
  });
});

describe("zego-token generate", () => {
  it("makes a privilege token with login on and publish off by default", async () => {
    const r = await run(["generate", "--app-id", "42", "--user-id", "alice", "--room-id", "room1"]);
    expect(r.code).toBe(0);
    const token = r.stdout.trim().split("\n").at(-1)!;
    const d = decodeToken04(token, { secret, now: 1_800_000_000 });
    expect(d).toMatchObject({ appId: 42, userId: "alice", mode: "gcm", expiresAt: 1_800_003_600 });
    expect(d.privilege).toEqual({ roomId: "room1", canLoginRoom: true, canPublish: false, streamIds: null });
  });

  it("honours --publish, --stream-id, --no-login, --ttl, --mode cbc and --json", async () => {
    const r = await run(["generate", "--app-id", "42", "--user-id", "bob", "--room-id", "r", "--publish", "--no-login", "--stream-id", "s1", "--stream-id", "s2", "--ttl", "120", "--mode", "cbc", "--json"]);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({ mode: "cbc", userId: "bob", roomId: "r", canLoginRoom: false, canPublish: true, streamIds: ["s1", "s2"], expiresAt: 1_800_000_120 });
    expect(decodeToken04(out["token"], { secret, now: 1_800_000_000 }).mode).toBe("cbc");
  });

  it("reads the secret from --secret-file and never prints it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "zts-"));
    const file = join(dir, "secret");
    writeFileSync(file, `${secret}\n`);
    const r = await run(["generate", "--app-id", "42", "--user-id", "alice", "--secret-file", file, "--json"], { env: {} });
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(secret);
  });

  it("refuses a secret as a flag value, a missing secret and bad arguments with exit 2", async () => {
    const cases: Array<[string[], Record<string, string> | undefined]> = [
      [["generate", "--app-id", "42", "--user-id", "a", "--secret", secret], undefined],
      [["generate", "--app-id", "42", "--user-id", "a"], {}],
      [["generate", "--user-id", "a"], undefined],
      [["generate", "--app-id", "x", "--user-id", "a"], undefined],
      [["generate", "--app-id", "42", "--user-id", "a b"], undefined],
      [["generate", "--app-id", "42", "--user-id", "a", "--mode", "ecb"], undefined],
      [["generate", "--app-id", "42", "--user-id", "a", "--publish"], undefined],
      [["generate", "--app-id", "42", "--user-id", "a", "--room-id", "r", "--stream-id", "bad.id"], undefined],
      [["decode"], undefined],
      [["verify", "TOKEN"], undefined],
      [["frobnicate"], undefined],
      [[], undefined],
    ];
    for (const [argv, env] of cases) {
      const r = await run(argv, env === undefined ? {} : { env });
      expect(r.code, argv.join(" ")).toBe(2);
      expect(r.stderr).toMatch(/Usage: zego-token/);
      expect(r.stderr).not.toContain(secret);
      expect(r.stdout).toBe("");
    }
  });

  it("answers --secret with ZEGO_SERVER_SECRET and --secret-file, never echoing the value, and names unknown options plainly", async () => {
    for (const argv of [["generate", "--secret", "s3cret-value-in-argv", "--app-id", "1", "--user-id", "a"], ["decode", "--secret=s3cret-value-in-argv", "04AAAA"]]) {
      const r = await run(argv, { env: {} });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("there is no --secret option");
      expect(r.stderr).toContain("set ZEGO_SERVER_SECRET or pass --secret-file PATH");
      expect(r.stderr).not.toContain("s3cret-value-in-argv");
      expect(r.stderr).not.toContain("after '--'");
    }
    const typo = await run(["generate", "--user", "alice", "--app-id", "1"]);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("zego-token generate: unknown option --user (see the options below)");
  });

  it("has --help on every command", async () => {
    for (const argv of [["--help"], ["generate", "--help"], ["decode", "--help"], ["verify", "--help"]]) {
      const r = await run(argv);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/Usage: zego-token/);
    }
  });
});

describe("zego-token verify", () => {
  const v = vectors.valid.find((x) => x.privilege !== null && (x.privilege as { stream_id_list: unknown }).stream_id_list !== null)!;
  const user = v.plaintext["user_id"] as string;

  it("exits 0 with valid:true when every check passes", async () => {
    const r = await run(["verify", "--app-id", String(vectors.appId), "--user-id", user, "--room-id", "werewolf-42", "--stream-id", "werewolf-42_seat3", "--now", String(v.now), v.token]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ valid: true, userId: user, canPublish: true });
  });

  it("exits 1 with the code and ZEGO error code of each failure", async () => {
    const base = ["verify", "--now", String(v.now)];
    const cases: Array<[string[], string, number]> = [
      [["--app-id", "1"], "TOKEN_APP_MISMATCH", 1002076],
      [["--app-id", String(vectors.appId), "--user-id", "mallory"], "TOKEN_USER_MISMATCH", 1002077],
      [["--app-id", String(vectors.appId), "--room-id", "other"], "TOKEN_ROOM_MISMATCH", 1002033],
      [["--app-id", String(vectors.appId), "--stream-id", "seat9"], "TOKEN_STREAM_DENIED", 1003072],
    ];
    for (const [args, code, zego] of cases) {
      const r = await run([...base, ...args, v.token]);
      expect(r.code).toBe(1);
      expect(JSON.parse(r.stdout)).toEqual({ valid: false, code, zegoErrorCode: zego, message: expect.any(String) });
    }
  });

  it("reports a basic token as unrestricted (exit 3), not as valid for the room asked about", async () => {
    const basic = vectors.valid.find((x) => x.privilege === null)!;
    const r = await run(["verify", "--app-id", String(vectors.appId), "--room-id", "any-room", "--stream-id", "any", "--now", String(basic.now), basic.token]);
    expect(r.code).toBe(3);
    expect(JSON.parse(r.stdout)).toMatchObject({ valid: true, restricted: false, note: expect.stringMatching(/not restricted by room or stream/) });
  });
});

describe("zego-token as a process", () => {
  it("runs through npm run token and keeps the secret off the output", async () => {
    const exec = promisify(execFile);
    const { stdout } = await exec("npx", ["tsx", "src/cli/zego-token.ts", "generate", "--app-id", "7", "--user-id", "alice", "--json"], {
      env: { ...process.env, ZEGO_SERVER_SECRET: secret },
    });
    const out = JSON.parse(stdout) as { token: string; userId: string };
    expect(out.userId).toBe("alice");
    expect(stdout).not.toContain(secret);
    const bad = await exec("npx", ["tsx", "src/cli/zego-token.ts", "decode", "--json", "04AAAA"], { env: { ...process.env, ZEGO_SERVER_SECRET: secret } }).catch((e: { code: number; stdout: string }) => e);
    expect((bad as { code: number }).code).toBe(1);
    expect(JSON.parse((bad as { stdout: string }).stdout)).toMatchObject({ error: { code: "TOKEN_MALFORMED" } });
  });
});
