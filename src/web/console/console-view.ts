// Rendering of the room console: the DOM only, no requests and no credentials.

/** A user allowed to publish. */
export interface Publisher {
  readonly userId: string;
  readonly streamIds: readonly string[] | null;
}

/** A committed change, as roomHistory and Room.lastChange report it. */
export interface Change {
  readonly version: number;
  readonly epoch: string;
  readonly at: string;
  readonly actor: string;
  readonly operation: string;
  readonly summary: string;
}

/** A user holding an unexpired token for the room. */
export interface Holder {
  readonly userId: string;
  readonly expiresAt: string;
  readonly canPublish: boolean;
  readonly streamIds: readonly string[] | null;
}

/** The room as the console asks for it. */
export interface Room {
  readonly roomId: string;
  readonly access: "OPEN" | "MEMBERS_ONLY";
  readonly members: readonly string[];
  readonly publishers: readonly Publisher[];
  readonly version: number;
  readonly lastChange: Change | null;
  readonly tokenHolders: readonly Holder[];
  readonly enforcing: boolean;
  readonly streamCallbacks: boolean;
  readonly liveStreams: ReadonlyArray<{ readonly streamId: string; readonly userId: string }>;
  readonly bannedStreamIds: readonly string[];
}

/** The fields of {@link Room} in GraphQL. */
export const ROOM_FIELDS =
  "roomId access members publishers { userId streamIds } version lastChange { version epoch at actor operation summary } " +
  "tokenHolders { userId expiresAt canPublish streamIds } enforcing streamCallbacks liveStreams { streamId userId } bannedStreamIds";

/** The element with `data-testid="id"`. */
export function testId(id: string): HTMLElement {
  const found = document.querySelector<HTMLElement>(`[data-testid="${id}"]`);
  if (found === null) throw new Error(`missing ${id}`);
  return found;
}

function li(...children: Array<Node | string>): HTMLLIElement {
  const item = document.createElement("li");
  item.append(...children);
  return item;
}

function items(target: HTMLElement, texts: readonly string[]): void {
  target.replaceChildren(...texts.map((text) => li(text)));
}

const streams = (ids: readonly string[] | null) => (ids === null ? "any stream" : ids.join(", "));

/** Shows the room's state, streams and enforcement hints. */
export function renderRoom(room: Room): void {
  testId("access").textContent = room.access;
  testId("version").textContent = String(room.version);
  items(testId("members"), room.members);
  items(testId("publishers"), room.publishers.map((p) => `${p.userId}: ${streams(p.streamIds)}`));
  items(testId("live-streams"), room.liveStreams.map((s) => `${s.streamId} (${s.userId})`));
  items(testId("banned-streams"), room.bannedStreamIds);
  const hints: string[] = [];
  if (!room.streamCallbacks) hints.push("Stream callbacks are off (set ZEGO_CALLBACK_SECRET): live streams are unknown.");
  if (!room.enforcing) hints.push("Enforcement is off (set ZEGO_ENFORCE=on): no stream is banned, and a revoked user keeps publishing until their token expires.");
  testId("enforcement-hint").textContent = hints.join(" ");
}

/** Shows history entries, newest first. */
export function renderHistory(newestFirst: readonly Change[]): void {
  testId("history").replaceChildren(
    ...newestFirst.map((c) => {
      const time = document.createElement("time");
      time.dateTime = c.at;
      time.textContent = new Date(c.at).toLocaleString();
      const who = document.createElement("strong");
      who.textContent = c.actor;
      return li(time, ` v${c.version} `, who, ` ${c.operation}: ${c.summary}`);
    }),
  );
}

function countdown(ms: number): string {
  if (ms <= 0) return "expired";
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, "0");
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)} left` : `${m}:${pad(s % 60)} left`;
}

/** Shows token holders with the time each token has left by the server's clock (`nowMs`), dropping expired ones. */
export function renderHolders(holders: readonly Holder[], nowMs: number): void {
  const live = holders.filter((h) => Date.parse(h.expiresAt) > nowMs);
  testId("holders").replaceChildren(
    ...live.map((h) => {
      const left = document.createElement("span");
      left.className = "countdown";
      left.textContent = countdown(Date.parse(h.expiresAt) - nowMs);
      return li(`${h.userId}: `, left, ` · ${h.canPublish ? `may publish ${streams(h.streamIds)}` : "may not publish"}`);
    }),
  );
}
