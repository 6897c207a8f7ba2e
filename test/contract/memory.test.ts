import { createMemoryEventBus } from "../../src/events/memory-bus.js";
import { createMemoryRoomStore } from "../../src/rooms/memory-store.js";
import { describeEventBusContract } from "./event-bus.contract.js";
import { describeRoomStoreContract } from "./room-store.contract.js";

describeRoomStoreContract("memory", async () => {
  const store = createMemoryRoomStore();
  return { stores: async () => [store, store], close: () => store.stop() };
});

describeEventBusContract("memory", async () => {
  const bus = createMemoryEventBus();
  return { buses: async () => [bus, bus], close: () => bus.stop() };
});
