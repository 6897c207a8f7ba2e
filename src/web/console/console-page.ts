import { createClient, type Client } from "graphql-ws";

// The API key lives in this closure only: never in storage, the URL, or the DOM after Open.

interface Publisher {
  readonly userId: string;
  readonly streamIds: readonly string[] | null;
}
interface Room {
  readonly roomId: string;
  readonly access: "OPEN" | "MEMBERS_ONLY";
  readonly members: readonly string[];
  readonly publishers: readonly Publisher[];
  readonly version: number;
  /** Streams publishing now, from ZEGO's callbacks (empty without ZEGO_CALLBACK_SECRET). */
  readonly liveStreams: ReadonlyArray<{ readonly streamId: string; readonly userId: string }>;
  /** Streams banned at ZEGO (empty unless ZEGO_ENFORCE=on). */
  readonly bannedStreamIds: readonly string[];
}
interface GraphQLErrorShape {
  readonly message: string;
  readonly extensions?: { readonly code?: string };
}

const ROOM_FIELDS = "roomId access members publishers { userId streamIds } version liveStreams { streamId userId } bannedStreamIds";

let apiKey = "";
let roomId = "";
let client: Client | undefined;
let stopWatching: (() => void) | undefined;
let shown: Room | undefined;

function el<T extends HTMLElement = HTMLInputElement>(selector: string): T {
  const found = document.querySelector<T>(selector);
  if (found === null) throw new Error(`missing ${selector}`);
  return found;
}
const input = (name: string) => el(`[name="${name}"]`);
const testId = (id: string) => el<HTMLElement>(`[data-testid="${id}"]`);
const list = (text: string) => text.split(",").map((s) => s.trim()).filter((s) => s !== "");

function showError(errors: readonly GraphQLErrorShape[] | undefined): void {
  testId("error").textContent = (errors ?? []).map((e) => `${e.extensions?.code ?? "ERROR"}: ${e.message}`).join("\n");
}

function items(target: HTMLElement, texts: readonly string[]): void {
  target.replaceChildren(
    ...texts.map((text) => {
      const li = document.createElement("li");
      li.textContent = text;
      return li;
    }),
  );
}

function describeChange(before: Room | undefined, after: Room): string {
  if (before === undefined) return "opened";
  const parts: string[] = [];
  if (before.access !== after.access) parts.push(`access ${after.access}`);
  const key = (p: Publisher) => `${p.userId}:${p.streamIds?.join(",") ?? "*"}`;
  const was = new Set(before.publishers.map(key));
  const now = new Set(after.publishers.map(key));
  for (const p of after.publishers) if (!was.has(key(p))) parts.push(`+publish ${p.userId}${p.streamIds === null ? "" : ` [${p.streamIds.join(", ")}]`}`);
  for (const p of before.publishers) if (!now.has(key(p))) parts.push(`-publish ${p.userId}`);
  for (const m of after.members) if (!before.members.includes(m)) parts.push(`+member ${m}`);
  for (const m of before.members) if (!after.members.includes(m)) parts.push(`-member ${m}`);
  return parts.length === 0 ? "changed" : parts.join(", ");
}

// Live and banned streams arrive with each room state; callbacks that change only live streams bump no
// version, so they show with the next change or Open.
function renderEnforcement(room: Room): void {
  items(testId("live-streams"), room.liveStreams.map((s) => `${s.streamId} (${s.userId})`));
  items(testId("banned-streams"), room.bannedStreamIds);
}

function render(room: Room): void {
  if (shown !== undefined && room.version <= shown.version && room.roomId === shown.roomId) return;
  const entry = document.createElement("li");
  entry.textContent = `${new Date().toLocaleTimeString()} v${room.version}: ${describeChange(shown, room)}`;
  testId("timeline").prepend(entry);
  shown = room;
  testId("access").textContent = room.access;
  testId("version").textContent = String(room.version);
  items(testId("members"), room.members);
  items(testId("publishers"), room.publishers.map((p) => `${p.userId}: ${p.streamIds === null ? "any stream" : p.streamIds.join(", ")}`));
  renderEnforcement(room);
}

async function gql(query: string, variables: Record<string, unknown>): Promise<Room | undefined> {
  try {
    const res = await fetch("/graphql", {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json", "x-api-key": apiKey, "x-graphql-yoga-csrf": "1" },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data?: Record<string, Room | null> | null; errors?: GraphQLErrorShape[] };
    if (body.errors !== undefined && body.errors.length > 0) {
      showError(body.errors);
      return undefined;
    }
    showError([]);
    const room = Object.values(body.data ?? {})[0] ?? undefined;
    if (room !== undefined && room !== null) render(room);
    return room ?? undefined;
  } catch (e) {
    showError([{ message: e instanceof Error ? e.message : String(e), extensions: { code: "NETWORK" } }]);
    return undefined;
  }
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
          render(result.data.roomChanged);
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

async function open(): Promise<void> {
  apiKey = input("apiKey").value.trim();
  roomId = input("roomId").value.trim();
  input("apiKey").value = "";
  shown = undefined;
  testId("timeline").replaceChildren();
  const room = await gql(`query ($roomId: String!) { room(roomId: $roomId) { ${ROOM_FIELDS} } }`, { roomId });
  if (room === undefined) {
    testId("status").textContent = "Not connected.";
    return;
  }
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
    await gql(`mutation ($roomId: String!${signature}) { ${field}(roomId: $roomId${args}) { ${ROOM_FIELDS} } }`, { roomId, ...variables() });
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
  membersOnly: mutate("setRoomAccess", "", ", access: MEMBERS_ONLY", () => ({})),
  "open-access": mutate("setRoomAccess", "", ", access: OPEN", () => ({})),
};

for (const [name, action] of Object.entries(actions)) {
  el<HTMLButtonElement>(`button[name="${name}"]`).addEventListener("click", () => {
    void action();
  });
}
