import type { ZegoExpressEngine } from "zego-express-engine-webrtc";
import { describe, expect, expectTypeOf, it } from "vitest";
import { zegoWebEngine, type ZegoWebEngineLike } from "../../packages/client/src/index.js";

describe("zegoWebEngine typings", () => {
  it("accepts a real ZegoExpressEngine from zego-express-engine-webrtc (checked by tsc)", () => {
    expectTypeOf<ZegoExpressEngine>().toMatchTypeOf<ZegoWebEngineLike>();
    const adapt = (zg: ZegoExpressEngine) => zegoWebEngine(zg);
    expect(typeof adapt).toBe("function");
  });
});
