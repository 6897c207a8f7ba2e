import { describe, expect, it } from "vitest";
import { hashTag, keySlot } from "../../src/redis/key-slot.js";
import { assertRoomId } from "../../src/token/index.js";

describe("cluster key slots", () => {
  it("are CRC16/XMODEM mod 16384 of the hash tag when there is a non-empty one", () => {
    // The Redis Cluster specification's check value: CRC16("123456789") = 0x31C3.
    expect(keySlot("123456789")).toBe(0x31c3);
    expect(keySlot("zts:room:{123456789}")).toBe(0x31c3);
    expect(keySlot("zts:events:{r1}")).toBe(keySlot("zts:issued:{r1}:alice"));
    // Only the first {...} counts, and an empty one means no tag.
    expect(keySlot("a{r1}b{r2}")).toBe(keySlot("{r1}"));
    expect(keySlot("foo{}{bar}")).not.toBe(keySlot("bar"));
    expect(keySlot("ü{é}")).toBe(keySlot("x{é}y"));
  });

  it("room IDs can never hold a brace, so the room ID itself is an unambiguous tag", () => {
    for (const id of ["{r1}", "r{1", "r}1", "{}"]) {
      expect(() => assertRoomId(id)).toThrow();
      expect(() => hashTag(id)).toThrow(/must not contain/);
    }
    expect(hashTag(assertRoomId("room_1-a.b~!@#$%^&*()"))).toBe("{room_1-a.b~!@#$%^&*()}");
  });
});
