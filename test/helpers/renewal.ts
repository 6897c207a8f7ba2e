import { createManualClock } from "../../src/clock/clock.js";
import { createMemoryEventBus } from "../../src/events/memory-bus.js";
import { silentLogger } from "../../src/log/logger.js";
import { createRenewalHub } from "../../src/renewal/renewal-hub.js";
import { createTokenIssuer } from "../../src/renewal/token-issuer.js";
import { createMemoryRoomStore } from "../../src/rooms/memory-store.js";
import { createRoomService } from "../../src/rooms/room-service.js";
import type { RoomStore } from "../../src/rooms/store.js";

/** The secret of {@link renewalSetup}'s issuer (app 1). */
export const RENEWAL_SECRET = "0123456789abcdef0123456789abcdef";

/**
 * A renewal hub over the memory store and bus with a manual clock (lead 60 s, jitter 30 s, random 0.5),
 * and the room service that changes its rooms.
 */
export function renewalSetup(options: { wrap?: (store: RoomStore) => RoomStore; tokenTtlSeconds?: number } = {}) {
  const clock = createManualClock(1_800_000_000_000);
  const memory = createMemoryRoomStore({ clock });
  const store = options.wrap === undefined ? memory : options.wrap(memory);
  const bus = createMemoryEventBus();
  const issuer = createTokenIssuer({
    appId: 1,
    serverSecret: RENEWAL_SECRET,
    tokenTtlSeconds: options.tokenTtlSeconds ?? 3600,
    tokenMaxTtlSeconds: 86400,
    timing: { leadSeconds: 60, jitterSeconds: 30 },
    defaultCanPublish: false,
    store,
    clock,
    random: () => 0.5,
  });
  const hub = createRenewalHub({ issuer, bus, clock, logger: silentLogger });
  const rooms = createRoomService({ store, bus, logger: silentLogger });
  return { clock, store, bus, issuer, hub, rooms };
}
