import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { registerEnforcementMetrics, type EnforcementExtraMetrics } from "./enforcement-metrics.js";

/** Where a minted token went: `issue` (issueToken) or a subscription push. */
export type TokenKind = "basic" | "room";

/** The service's Prometheus metrics, on a registry of their own (one per server). */
export interface Metrics extends EnforcementExtraMetrics {
  readonly registry: Registry;
  tokenIssued(kind: TokenKind): void;
  /** A room this instance knew came back without its state or with another epoch. */
  roomStateLost(): void;
  tokenPushed(reason: string, changeCommittedAtMs: number | undefined, nowMs: number): void;
  authFailure(transport: "http" | "ws"): void;
  /** A game server authenticated with the API key of this name (never the key itself). */
  serviceAuthenticated(keyName: string, transport: "http" | "ws"): void;
  /** A ZEGO server API call and how it ended (ok, rate_limited, retry, auth_failed, rejected). */
  enforcementRequest(action: string, result: string): void;
  /** Seconds from a committed room change to ZEGO's answer enforcing it. */
  enforcementLatency(seconds: number): void;
  /** A revoked user's live stream was unknown (policy: kick or none). */
  enforcementUnknownStream(policy: string): void;
  /** Prometheus text exposition. */
  render(): Promise<string>;
  /** Stops the event-loop delay sampler. */
  close(): void;
  readonly contentType: string;
}

/** Live values read at scrape time. */
export interface MetricsSources {
  activeSubscriptions(): number;
  /** Open TCP connections (HTTP, SSE, WebSocket). */
  openConnections?(): number;
  /** 1 when Redis answers, else 0; absent in memory mode, where there is no Redis to report on. */
  redisUp?(): Promise<number>;
  /** Enforcement actions waiting or in flight; absent when enforcement is off. */
  enforcementBacklog?(): Promise<number>;
  /** ZEGO user ban rules in force; absent when enforcement is off. */
  enforcementRulesInForce?(): Promise<number>;
}

const LOOP_SAMPLE_MS = 10;
const LOOP_BUCKETS = 1000;

/**
 * Measures how late a 10 ms timer fires. prom-client's nodejs_eventloop_lag_{max,p99}_seconds include
 * its 100 ms sampling interval (an idle loop reads ~0.1 s), and perf_hooks' histogram drops the first
 * delay after each reset, i.e. a stall right after a scrape; a plain timer has neither problem.
 */
function createLoopDelaySampler(): { takeSeconds(): { p99: number; max: number }; stop(): void } {
  // Whole milliseconds; the last bucket holds everything from LOOP_BUCKETS - 1 ms up.
  const counts = new Uint32Array(LOOP_BUCKETS);
  let samples = 0;
  let max = 0;
  let expected = performance.now() + LOOP_SAMPLE_MS;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = () => {
    const now = performance.now();
    const late = Math.max(0, now - expected);
    counts[Math.min(LOOP_BUCKETS - 1, Math.floor(late))]! += 1;
    samples++;
    if (late > max) max = late;
    expected = now + LOOP_SAMPLE_MS;
    timer = setTimeout(tick, LOOP_SAMPLE_MS);
    timer.unref();
  };
  timer = setTimeout(tick, LOOP_SAMPLE_MS);
  timer.unref();
  return {
    takeSeconds() {
      let p99 = 0;
      const rank = Math.ceil(samples * 0.99);
      for (let i = 0, seen = 0; i < LOOP_BUCKETS && samples > 0; i++) {
        seen += counts[i]!;
        if (seen >= rank) {
          p99 = Math.min(i + 1, max);
          break;
        }
      }
      const result = { p99: p99 / 1000, max: max / 1000 };
      counts.fill(0);
      samples = 0;
      max = 0;
      return result;
    },
    stop() {
      clearTimeout(timer);
    },
  };
}

/** Creates the service's metrics (tokens, pushes, auth, subscriptions, connections, Redis, enforcement), plus Node's process defaults. */
export function createMetrics(sources: MetricsSources): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 100 });
  const issued = new Counter({ name: "zts_tokens_issued_total", help: "Tokens minted, by kind (basic or room).", labelNames: ["kind"], registers: [registry] });
  const pushes = new Counter({ name: "zts_token_pushes_total", help: "Tokens pushed to subscribers, by reason.", labelNames: ["reason"], registers: [registry] });
  const authFailures = new Counter({ name: "zts_auth_failures_total", help: "Rejected credentials, by transport.", labelNames: ["transport"], registers: [registry] });
  const serviceAuths = new Counter({
    name: "zts_service_authentications_total",
    help: "Game-server authentications, by API key name and transport.",
    labelNames: ["key", "transport"],
    registers: [registry],
  });
  const stateLost = new Counter({
    name: "zts_room_state_lost_total",
    help: "Rooms whose shared state vanished or was recreated (a Redis that lost data) while this instance knew them.",
    registers: [registry],
  });
  const latency = new Histogram({
    name: "zts_push_latency_seconds",
    help: "From a committed room change to the push of the resulting token leaving this server.",
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const loopDelay = createLoopDelaySampler();
  new Gauge({
    name: "zts_event_loop_delay_seconds",
    help: "Event-loop delay since the previous scrape (how late a 10 ms timer fired): quantile 0.99 and 1 (the longest).",
    labelNames: ["quantile"],
    registers: [registry],
    collect() {
      const { p99, max } = loopDelay.takeSeconds();
      this.set({ quantile: "0.99" }, p99);
      this.set({ quantile: "1" }, max);
    },
  });
  new Gauge({
    name: "zts_active_subscriptions",
    help: "tokenRenewed subscriptions open on this instance.",
    registers: [registry],
    collect() {
      this.set(sources.activeSubscriptions());
    },
  });
  const { redisUp, openConnections } = sources;
  if (redisUp !== undefined) {
    new Gauge({
      name: "zts_redis_up",
      help: "1 when Redis answers, else 0 (not reported in memory mode).",
      registers: [registry],
      async collect() {
        this.set(await redisUp());
      },
    });
  }
  if (openConnections !== undefined) {
    new Gauge({
      name: "zts_open_connections",
      help: "Open TCP connections on this instance (HTTP, SSE and WebSocket).",
      registers: [registry],
      collect() {
        this.set(openConnections());
      },
    });
  }
  const enforcementRequests = new Counter({
    name: "zts_enforcement_requests_total",
    help: "Calls to ZEGO's server API, by action and result.",
    labelNames: ["action", "result"],
    registers: [registry],
  });
  const enforcementLatency = new Histogram({
    name: "zts_enforcement_latency_seconds",
    help: "From a committed room change to ZEGO's answer enforcing it.",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const unknownStreams = new Counter({
    name: "zts_enforcement_unknown_streams_total",
    help: "Revoked users allowed any stream whose live stream was unknown, by policy (kick or none).",
    labelNames: ["policy"],
    registers: [registry],
  });
  new Gauge({
    name: "zts_enforcement_backlog",
    help: "Enforcement actions (stream bans, resumes, kicks) waiting or in flight, shared by all instances.",
    registers: [registry],
    async collect() {
      this.set(sources.enforcementBacklog === undefined ? 0 : await sources.enforcementBacklog().catch(() => 0));
    },
  });
  const extra = registerEnforcementMetrics(registry, sources.enforcementRulesInForce?.bind(sources));
  return {
    registry,
    ...extra,
    enforcementRequest: (action, result) => enforcementRequests.inc({ action, result }),
    enforcementLatency: (seconds) => enforcementLatency.observe(seconds),
    enforcementUnknownStream: (policy) => unknownStreams.inc({ policy }),
    tokenIssued: (kind) => issued.inc({ kind }),
    roomStateLost: () => stateLost.inc(),
    tokenPushed(reason, committedAt, now) {
      pushes.inc({ reason });
      if (committedAt !== undefined && now >= committedAt) latency.observe((now - committedAt) / 1000);
    },
    authFailure: (transport) => authFailures.inc({ transport }),
    serviceAuthenticated: (key, transport) => serviceAuths.inc({ key, transport }),
    render: () => registry.metrics(),
    close: () => loopDelay.stop(),
    contentType: registry.contentType,
  };
}
