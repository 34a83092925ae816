/**
 * Live statistics of queues and agents (docs/acd.md "Live statistics"), read from the
 * per-minute and per-UTC-day counters lua/acd-engine-1.lua keeps, plus the live state
 * (waiting callers, agents by state). Windows: the last 15 and 60 one-minute buckets
 * (the current, partial minute included) and the current UTC day.
 *
 * Formulas (all over one window):
 *   abandon rate   = (abandoned - short abandons) / (entered - short abandons)
 *   service level  = answered within serviceLevelSec / (answered + abandoned - short abandons)
 *                    ("answered within threshold over calls that mattered", short abandons excluded)
 *   ASA            = sum of waits of answered calls / answered
 *   AHT            = (talk + wrap-up) / handled calls
 *   occupancy      = (reserved + in-call + wrap-up time) / (that + available time), agents' time
 */
import type { Keys } from '../keys.js';
import type { RedisClient } from '../lua-scripts.js';
import type { AcdClock, AgentState } from './types.js';
import { AGENT_STATES } from './types.js';

export const WINDOWS = ['15m', '60m', 'today'] as const;
export type StatsWindow = (typeof WINDOWS)[number];

const QUEUE_FIELDS = ['entered', 'answered', 'abandoned', 'short', 'slok', 'wait', 'talk', 'wrap', 'handled', 'exited'] as const;
const AGENT_FIELDS = ['offered', 'answered', 'noanswer', 'talk', ...AGENT_STATES.map((s) => `ms_${s}`)] as const;

export interface QueueWindowStats {
  entered: number;
  answered: number;
  abandoned: number;
  shortAbandoned: number;
  exited: number;
  handled: number;
  abandonRate: number | null;
  serviceLevel: number | null;
  asaSec: number | null;
  ahtSec: number | null;
  occupancy: number | null;
}

export interface AgentWindowStats {
  offered: number;
  answered: number;
  noAnswer: number;
  talkSec: number;
  occupancy: number | null;
  secondsIn: Record<AgentState, number>;
}

export interface QueueStats {
  queue: string;
  waiting: number;
  longestWaitSec: number;
  agents: Record<AgentState, { count: number; agents: { id: string; sinceSec: number }[] }>;
  serviceLevelSec: number;
  shortAbandonSec: number;
  windows: Record<StatsWindow, QueueWindowStats>;
}

export interface AgentStats {
  agent: string;
  state: AgentState;
  inStateSec: number;
  windows: Record<StatsWindow, AgentWindowStats>;
}

type Counters = Record<string, number>;

function ratio(n: number, d: number): number | null {
  return d > 0 ? Math.round((n / d) * 10_000) / 10_000 : null;
}

function sum(rows: Counters[]): Counters {
  const out: Counters = {};
  for (const r of rows) for (const [k, v] of Object.entries(r)) out[k] = (out[k] ?? 0) + v;
  return out;
}

function occupancyOf(c: Counters): number | null {
  const busy = (c['ms_reserved'] ?? 0) + (c['ms_in-call'] ?? 0) + (c['ms_wrap-up'] ?? 0);
  return ratio(busy, busy + (c['ms_available'] ?? 0));
}

export class AcdStats {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly clock: AcdClock,
  ) {}

  /** Counters of one queue or agent per window: buckets read in one pipeline. */
  private async windows(kind: 'q' | 'a', id: string, fields: readonly string[], extra: (c: Counters, w: StatsWindow) => void = () => undefined): Promise<Record<StatsWindow, Counters>> {
    const now = this.clock.now();
    const minute = Math.floor(now / 60_000);
    const pipe = this.redis.pipeline();
    for (let m = minute - 59; m <= minute; m++) pipe.hmget(this.keys.acdStats(kind, id, 'm', m), ...fields);
    pipe.hmget(this.keys.acdStats(kind, id, 'd', Math.floor(now / 86_400_000)), ...fields);
    const rows = ((await pipe.exec()) ?? []).map(([, v]) => {
      const c: Counters = {};
      (v as (string | null)[]).forEach((x, i) => (c[fields[i]!] = Number(x ?? 0)));
      return c;
    });
    const day = rows.pop() ?? {};
    const out = { '15m': sum(rows.slice(-15)), '60m': sum(rows), today: day };
    for (const w of WINDOWS) extra(out[w], w);
    return out;
  }

  async agent(agent: string): Promise<AgentStats | null> {
    const h = await this.redis.hgetall(this.keys.acdAgent(agent));
    if (h.st === undefined) return null;
    const state = h.st as AgentState;
    const inStateMs = Math.max(this.clock.now() - Number(h.since ?? 0), 0);
    // The time in the current state is not counted until the state changes: add it live.
    const live = (c: Counters, w: StatsWindow): void => {
      if (state === 'logged-out') return;
      // The window's span: its minute buckets (the current one partial) or the UTC day so far.
      const now = this.clock.now();
      const cap = w === 'today' ? now % 86_400_000 : now - (Math.floor(now / 60_000) - (w === '15m' ? 14 : 59)) * 60_000;
      c[`ms_${state}`] = (c[`ms_${state}`] ?? 0) + Math.min(inStateMs, cap);
    };
    const w = await this.windows('a', agent, AGENT_FIELDS, live);
    const windows = {} as Record<StatsWindow, AgentWindowStats>;
    for (const name of WINDOWS) {
      const c = w[name];
      windows[name] = {
        offered: c.offered ?? 0,
        answered: c.answered ?? 0,
        noAnswer: c.noanswer ?? 0,
        talkSec: Math.round((c.talk ?? 0) / 1000),
        occupancy: occupancyOf(c),
        secondsIn: Object.fromEntries(AGENT_STATES.map((s) => [s, Math.round((c[`ms_${s}`] ?? 0) / 1000)])) as Record<AgentState, number>,
      };
    }
    return { agent, state, inStateSec: Math.round(inStateMs / 1000), windows };
  }

  /**
   * Every agent's state, time in state and today's counters in one pipeline (for Prometheus:
   * the 15/60-minute windows per agent stay on REST, they cost 60 reads per agent).
   */
  async agentsToday(ids: readonly string[]): Promise<{ agent: string; state: AgentState; inStateSec: number; answered: number; talkSec: number; occupancy: number | null }[]> {
    if (ids.length === 0) return [];
    const now = this.clock.now();
    const day = Math.floor(now / 86_400_000);
    const pipe = this.redis.pipeline();
    for (const id of ids) {
      pipe.hmget(this.keys.acdAgent(id), 'st', 'since');
      pipe.hmget(this.keys.acdStats('a', id, 'd', day), ...AGENT_FIELDS);
    }
    const rows = ((await pipe.exec()) ?? []).map(([, v]) => v as (string | null)[]);
    return ids.map((agent, i) => {
      const [st, since] = rows[2 * i] ?? [];
      const c: Counters = {};
      (rows[2 * i + 1] ?? []).forEach((x, j) => (c[AGENT_FIELDS[j]!] = Number(x ?? 0)));
      const state = (st ?? 'logged-out') as AgentState;
      const inStateMs = Math.max(now - Number(since ?? now), 0);
      if (state !== 'logged-out') c[`ms_${state}`] = (c[`ms_${state}`] ?? 0) + Math.min(inStateMs, now % 86_400_000);
      return { agent, state, inStateSec: Math.round(inStateMs / 1000), answered: c.answered ?? 0, talkSec: Math.round((c.talk ?? 0) / 1000), occupancy: occupancyOf(c) };
    });
  }

  async queue(queue: string, settings: { serviceLevelSec: number; shortAbandonSec: number }): Promise<QueueStats> {
    const now = this.clock.now();
    const [waiting, head, tiers] = await Promise.all([
      this.redis.zcard(this.keys.acdWaiting(queue)),
      this.oldestWaiting(queue),
      this.redis.hkeys(this.keys.acdQueueTiers(queue)),
    ]);
    const agents = Object.fromEntries(AGENT_STATES.map((s) => [s, { count: 0, agents: [] as { id: string; sinceSec: number }[] }])) as QueueStats['agents'];
    const agentStats = await Promise.all(tiers.map((id) => this.agent(id)));
    const occupancyTime: Record<StatsWindow, Counters[]> = { '15m': [], '60m': [], today: [] };
    for (const a of agentStats) {
      if (a === null) continue;
      agents[a.state].count += 1;
      agents[a.state].agents.push({ id: a.agent, sinceSec: a.inStateSec });
      for (const w of WINDOWS) {
        const s = a.windows[w].secondsIn;
        occupancyTime[w].push({ ms_reserved: s.reserved, 'ms_in-call': s['in-call'], 'ms_wrap-up': s['wrap-up'], ms_available: s.available });
      }
    }
    const w = await this.windows('q', queue, QUEUE_FIELDS);
    const windows = {} as Record<StatsWindow, QueueWindowStats>;
    for (const name of WINDOWS) {
      const c = w[name];
      const entered = c.entered ?? 0;
      const answered = c.answered ?? 0;
      const abandoned = c.abandoned ?? 0;
      const short = c.short ?? 0;
      const handled = c.handled ?? 0;
      windows[name] = {
        entered,
        answered,
        abandoned,
        shortAbandoned: short,
        exited: c.exited ?? 0,
        handled,
        abandonRate: ratio(abandoned - short, entered - short),
        serviceLevel: ratio(c.slok ?? 0, answered + abandoned - short),
        asaSec: answered > 0 ? Math.round((c.wait ?? 0) / answered / 100) / 10 : null,
        ahtSec: handled > 0 ? Math.round(((c.talk ?? 0) + (c.wrap ?? 0)) / handled / 100) / 10 : null,
        occupancy: occupancyOf(sum(occupancyTime[name])),
      };
    }
    return {
      queue,
      waiting,
      longestWaitSec: head === null ? 0 : Math.max(Math.round((now - head) / 1000), 0),
      agents,
      serviceLevelSec: settings.serviceLevelSec,
      shortAbandonSec: settings.shortAbandonSec,
      windows,
    };
  }

  /** When the caller waiting longest joined (ms), null when nobody waits. Priority orders the set, so look at every waiting caller's join time. */
  private async oldestWaiting(queue: string): Promise<number | null> {
    const ids = await this.redis.zrange(this.keys.acdWaiting(queue), '0', '-1');
    if (ids.length === 0) return null;
    const pipe = this.redis.pipeline();
    for (const id of ids) pipe.hget(this.keys.acdEntry(id), 'joined');
    const joined = ((await pipe.exec()) ?? []).map(([, v]) => Number(v ?? Infinity));
    const min = Math.min(...joined);
    return Number.isFinite(min) ? min : null;
  }
}
