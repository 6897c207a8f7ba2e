import { createCipheriv, createSecretKey, randomBytes, type KeyObject } from "node:crypto";
import { cpus } from "node:os";
import { readProcessEnv } from "../src/config/env.js";
import { buildPrivilegePayload, decodeToken04, encodeToken04 } from "../src/index.js";
import { fmt, interleavedOpsPerSecond, sizeFromEnv } from "./measure.js";
import { report } from "./report.js";

const env = readProcessEnv();
const iterations = sizeFromEnv(env, "BENCH_CODEC_ITERATIONS", 50_000);
const secret = "0123456789abcdef0123456789abcdef";
const now = Math.floor(Date.now() / 1000);
const payload = buildPrivilegePayload({ roomId: "werewolf-42", canLoginRoom: true, canPublish: true, streamIds: ["werewolf-42_seat3"] });
const input = { appId: 123456789, userId: "user_12345", secret, effectiveTimeInSeconds: 3600, payload };
const token = encodeToken04(input, { now });
const plaintextLength = Buffer.byteLength(JSON.stringify(decodeToken04(token, { secret, now }).plaintext));

// Floor: the AES-GCM work every token needs and nothing else (no randomness, no framing, no base64).
const key = Buffer.from(secret);
const keyObject = createSecretKey(key);
const iv = randomBytes(12);
const plain = randomBytes(plaintextLength);
const gcm = (k: Buffer | KeyObject) => () => {
  const c = createCipheriv("aes-256-gcm", k, iv);
  c.update(plain);
  c.final();
  c.getAuthTag();
};
const [floor = 0, floorKeyObject = 0, encode = 0, decode = 0] = interleavedOpsPerSecond(
  [
    gcm(key),
    gcm(keyObject),
    () => {
      encodeToken04(input, { now });
    },
    () => {
      decodeToken04(token, { secret, now });
    },
  ],
  iterations,
);

const rows: Array<[string, number]> = [
  ["floor: AES-256-GCM, raw key (createCipheriv+update+final+getAuthTag)", floor],
  ["same floor with a KeyObject (slower on Node 20; the codec uses raw bytes)", floorKeyObject],
  ["encodeToken04 (gcm, privilege payload)", encode],
  ["decodeToken04 (gcm, privilege payload)", decode],
];
console.log(`# codec benchmark: node ${process.version}, ${cpus()[0]?.model ?? "cpu"} x${cpus().length}, ${iterations} iterations x 9 interleaved rounds (median), plaintext ${plaintextLength} bytes`);
console.log("| operation | tokens/s | ratio to floor |");
console.log("|---|---:|---:|");
for (const [name, rate] of rows) console.log(`| ${name} | ${fmt(rate)} | ${(rate / floor).toFixed(2)} |`);
console.log("");
report("codec", { floorPerSecond: floor, encodePerSecond: encode, encodeToFloor: encode / floor, plaintextBytes: plaintextLength }, [
  { name: "encodeToken04 / AES-GCM floor", kind: "min", bound: 0.85, value: encode / floor },
]);
