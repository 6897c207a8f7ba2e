import { createClient, type Client } from "graphql-ws";
import { renderHistory, renderHolders, renderRoom, ROOM_FIELDS, testId, type Change, type Publisher, type Room } from "./console-view.js";

// The API key lives in this closure only: never in storage or the URL, and out of the DOM once an Open
// succeeds. It is kept across Opens (another room, a reconnect) until another key is typed.

interface GraphQLErrorShape {
  readonly message: string;
  readonly extensions?: { readonly code?: string };
}

const HISTORY_FIELDS = "version epoch at actor operation summary";
const HISTORY_SHOWN = 200;
/** Token holders and live streams change without a room version: re-read them this often. */
const REFRESH_MS = 5000;

let apiKey = "";
let roomId = "";
let client: Client | undefined;
let stopWatching: (() => void) | undefined;
let shown: Room | undefined;
let history: Change[] = [];
let skewMs = 0;
let timers: Array<ReturnType<typeof setInterval>> = [];

function el<T extends HTMLElement = HTMLInputElement>(selector: string): T {
  const found = document.querySelector<T>(selector);
  if (found === null) throw new Error(`missing ${selector}`);
  return found;
}
const input = (name: string) => el(`[name="${name}"]`);
const list = (text: string) => text.split(",").map((s) => s.trim()).filter((s) => s !== "");
const serverNow = () => Date.now() + skewMs;

function showError(errors: readonly GraphQLErrorShape[] | undefined): void {
  testId("error").textContent = (errors ?? []).map((e) => `${e.extensions?.code ?? "ERROR"}: ${e.message}`).join("\n");
}

/** Posts an operation; shows its errors. A background read (`quiet`) leaves an error shown by an action in place when it succeeds. */
async function request<T>(query: string, variables: Record<string, unknown>, quiet = false): Promise<T | undefined> {
  try {
    const res = await fetch("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json", "x-api-key": apiKey, "x-graphql-yoga-csrf": "1" },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data?: T | null; errors?: GraphQLErrorShape[] };
    if (body.errors !== undefined && body.errors.length > 0) {
      showError(body.errors);
      return undefined;
    }
    if (!quiet) showError([]);
    return body.data ?? undefined;
  } catch (e) {
    showError([{ message: e instanceof Error ? e.message : String(e), extensions: { code: "NETWORK" } }]);
    return undefined;
  }
}

async function loadHistory(): Promise<void> {
  const data = await request<{ roomHistory: Change[] }>(`query ($roomId: String!, $last: Int) { roomHistory(roomId: $roomId, last: $last) { ${HISTORY_FIELDS} } }`, { roomId, last: HISTORY_SHOWN }, true);
  if (data === undefined) return;
  history = [...data.roomHistory].reverse();
  renderHistory(history);
}

/** Adds the room's last change to the history when it directly follows what is shown; otherwise re-reads the history. */
function noteChange(room: Room): void {
  const top = history[0];
  const change = room.lastChange;
  if (room.version === 0 || (top !== undefined && top.version >= room.version && (change === null || change.epoch === top.epoch))) return;
  const follows = change !== null && change.version === room.version && (top === undefined ? change.version === 1 : top.version === change.version - 1 && top.epoch === change.epoch);
  if (!follows) {
    void loadHistory();
    return;
  }
  history = [change, ...history].slice(0, HISTORY_SHOWN);
  renderHistory(history);
}

function show(room: Room): void {
  // A late answer about the room shown before this Open, or one that overtook a newer event, is dropped.
  if (room.roomId !== roomId || (shown !== undefined && room.version < shown.version)) return;
  shown = room;
  renderRoom(room);
  renderHolders(room.tokenHolders, serverNow());
  noteChange(room);
}

function watch(): void {
  stopWatching?.();
  void client?.dispose();
  const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/graphql`;
  client = createClient({ url, connectionParams: { apiKey }, retryAttempts: 20 });
  testId("status").textContent = `Watching ${roomId}…`;
  stopWatching = client.subscribe<{ roomChanged: Room }>(
    { query: `subscription ($roomId: String!) { roomChanged(roomId: $roomId) { ${ROOM_FIELDS} } }`, variables: { roomId } },
    {
      next: (result) => {
        if (result.errors !== undefined) showError(result.errors as GraphQLErrorShape[]);
        if (result.data?.roomChanged !== undefined) {
          testId("status").textContent = `Live: ${roomId}`;
          show(result.data.roomChanged);
        }
      },
      error: (e) => {
        testId("status").textContent = "Disconnected.";
        if (Array.isArray(e)) showError(e as GraphQLErrorShape[]);
        else showError([{ message: e instanceof Error ? e.message : "connection closed", extensions: { code: "UNAVAILABLE" } }]);
      },
      complete: () => {
        testId("status").textContent = "Subscription ended.";
      },
    },
  );
}

async function refresh(): Promise<void> {
  if (shown === undefined) return;
  const data = await request<{ room: Room }>(`query ($roomId: String!) { room(roomId: $roomId) { ${ROOM_FIELDS} } }`, { roomId }, true);
  if (data !== undefined) show(data.room);
}

function startTimers(): void {
  for (const t of timers) clearInterval(t);
  timers = [
    setInterval(() => {
      if (shown !== undefined) renderHolders(shown.tokenHolders, serverNow());
    }, 1000),
    setInterval(() => void refresh(), REFRESH_MS),
  ];
}

async function open(): Promise<void> {
  const typed = input("apiKey").value.trim();
  const previousKey = apiKey;
  if (typed !== "") apiKey = typed;
  roomId = input("roomId").value.trim();
  if (apiKey === "") {
    showError([{ message: "enter a service API key", extensions: { code: "BAD_USER_INPUT" } }]);
    return;
  }
  stopWatching?.();
  stopWatching = undefined;
  shown = undefined;
  history = [];
  renderHistory(history);
  const data = await request<{ serverTime: string; room: Room; roomHistory: Change[] }>(
    `query ($roomId: String!, $last: Int) { serverTime room(roomId: $roomId) { ${ROOM_FIELDS} } roomHistory(roomId: $roomId, last: $last) { ${HISTORY_FIELDS} } }`,
    { roomId, last: HISTORY_SHOWN },
  );
  if (data === undefined) {
    // A refused key stays in the field so a typo can be fixed; a key that worked before is kept.
    if (typed !== "") apiKey = previousKey;
    testId("status").textContent = "Not connected.";
    return;
  }
  input("apiKey").value = "";
  input("apiKey").placeholder = "kept in this page's memory; type another to replace it";
  skewMs = Date.parse(data.serverTime) - Date.now();
  history = [...data.roomHistory].reverse();
  renderHistory(history);
  show(data.room);
  startTimers();
  watch();
}

function parsePublishers(text: string): Publisher[] {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "")
    .map((line) => {
      const [userId = "", streams] = line.split(":", 2);
      const ids = streams === undefined ? [] : list(streams);
      return { userId: userId.trim(), streamIds: ids.length === 0 ? null : ids };
    });
}

function mutate(field: string, signature: string, args: string, variables: () => Record<string, unknown>): () => Promise<void> {
  return async () => {
    const data = await request<Record<string, Room>>(`mutation ($roomId: String!${signature}) { ${field}(roomId: $roomId${args}) { ${ROOM_FIELDS} } }`, { roomId, ...variables() });
    const room = data?.[field];
    if (room !== undefined) show(room);
  };
}

const actions: Record<string, () => Promise<void>> = {
  open,
  grant: mutate("grantPublish", ", $userId: String!, $streamIds: [String!]", ", userId: $userId, streamIds: $streamIds", () => {
    const ids = list(input("streamIds").value);
    return { userId: input("userId").value.trim(), streamIds: ids.length === 0 ? null : ids };
  }),
  revoke: mutate("revokePublish", ", $userId: String!", ", userId: $userId", () => ({ userId: input("userId").value.trim() })),
  setPublishers: mutate("setPublishers", ", $publishers: [PublisherInput!]!", ", publishers: $publishers", () => ({
    publishers: parsePublishers(el<HTMLTextAreaElement>('[name="publishers"]').value),
  })),
  addMembers: mutate("addRoomMembers", ", $userIds: [String!]!", ", userIds: $userIds", () => ({ userIds: list(input("members").value) })),
  removeMembers: mutate("removeRoomMembers", ", $userIds: [String!]!", ", userIds: $userIds", () => ({ userIds: list(input("members").value) })),
  membersOnlyWith: mutate("setRoomAccess", ", $members: [String!]", ", access: MEMBERS_ONLY, members: $members", () => ({ members: list(input("members").value) })),
  membersOnly: mutate("setRoomAccess", "", ", access: MEMBERS_ONLY", () => ({})),
  "open-access": mutate("setRoomAccess", "", ", access: OPEN", () => ({})),
};

for (const [name, action] of Object.entries(actions)) {
  el<HTMLButtonElement>(`button[name="${name}"]`).addEventListener("click", () => {
    void action();
  });
}
