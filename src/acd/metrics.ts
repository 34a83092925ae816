/**
 * Prometheus gauges of the ACD (docs/acd.md "Live statistics"), computed at scrape time
 * from the same Redis counters as the REST statistics: one snapshot of every queue per
 * scrape (shared by the gauges for 1 s).
 */
import { Gauge, type Registry } from 'prom-client';
import { WINDOWS, type AcdStats, type QueueStats } from './stats.js';
import type { QueueConfig } from './types.js';

/** `load()` shared by the gauges of one scrape: called again once its result is older than 1 s. */
function sharedFor1s<T>(load: () => Promise<T[]>): () => Promise<T[]> {
  let cached: { at: number; data: Promise<T[]> } | undefined;
  return () => {
    const now = Date.now();
    if (cached === undefined || now - cached.at > 1_000) {
      const data = load();
      data.catch(() => undefined);
      cached = { at: now, data };
    }
    return cached.data;
  };
}

/** A gauge filled at scrape time from `rows()`; Redis down: left out of this scrape (freecti_redis_up says why). */
function scrapeGauge<T, L extends string>(registry: Registry, rows: () => Promise<T[]>, name: string, help: string, labelNames: L[], fill: (g: Gauge<L>, row: T) => void): void {
  new Gauge<L>({
    name,
    help,
    labelNames,
    registers: [registry],
    async collect() {
      this.reset();
      for (const row of await rows().catch(() => [] as T[])) fill(this, row);
    },
  });
}

export function registerAcdMetrics(registry: Registry, stats: AcdStats, listQueues: () => Promise<QueueConfig[]>, listAgentIds: () => Promise<string[]>): void {
  const snapshot = sharedFor1s(() => listQueues().then((qs) => Promise.all(qs.map((q) => stats.queue(q.name, q)))));
  const gauge = <L extends string>(name: string, help: string, labelNames: L[], fill: (g: Gauge<L>, s: QueueStats) => void): void =>
    scrapeGauge(registry, snapshot, name, help, labelNames, fill);
  gauge('freecti_acd_waiting_callers', 'Callers waiting in the queue now', ['queue'], (g, s) => g.set({ queue: s.queue }, s.waiting));
  gauge('freecti_acd_longest_wait_seconds', 'Wait of the caller waiting longest now', ['queue'], (g, s) => g.set({ queue: s.queue }, s.longestWaitSec));
  gauge('freecti_acd_agents', 'Agents of the queue by state', ['queue', 'state'], (g, s) => {
    for (const [state, v] of Object.entries(s.agents)) g.set({ queue: s.queue, state }, v.count);
  });
  gauge('freecti_acd_calls', 'Callers of the queue in the window by outcome', ['queue', 'window', 'outcome'], (g, s) => {
    for (const w of WINDOWS) {
      const x = s.windows[w];
      for (const [outcome, v] of [['entered', x.entered], ['answered', x.answered], ['abandoned', x.abandoned], ['short_abandoned', x.shortAbandoned], ['exited', x.exited], ['handled', x.handled]] as const) {
        g.set({ queue: s.queue, window: w, outcome }, v);
      }
    }
  });
  const ratioGauge = (name: string, help: string, pick: (x: QueueStats['windows']['15m']) => number | null): void =>
    gauge(name, help, ['queue', 'window'], (g, s) => {
      for (const w of WINDOWS) {
        const v = pick(s.windows[w]);
        if (v !== null) g.set({ queue: s.queue, window: w }, v);
      }
    });
  ratioGauge('freecti_acd_service_level', 'Answered within the threshold / (answered + abandoned - short abandons)', (x) => x.serviceLevel);
  ratioGauge('freecti_acd_abandon_rate', '(Abandoned - short abandons) / (entered - short abandons)', (x) => x.abandonRate);
  ratioGauge('freecti_acd_asa_seconds', 'Average speed of answer', (x) => x.asaSec);
  ratioGauge('freecti_acd_aht_seconds', 'Average handle time (talk + wrap-up)', (x) => x.ahtSec);
  ratioGauge('freecti_acd_occupancy', 'Busy time / (busy + available time) of the queue agents', (x) => x.occupancy);

  // Per agent: one series per agent (its current state is a label), today's counters.
  type AgentRow = Awaited<ReturnType<AcdStats['agentsToday']>>[number];
  const agents = sharedFor1s(() => listAgentIds().then((ids) => stats.agentsToday(ids)));
  const agentGauge = <L extends string>(name: string, help: string, labelNames: L[], fill: (g: Gauge<L>, a: AgentRow) => void): void =>
    scrapeGauge(registry, agents, name, help, labelNames, fill);
  agentGauge('freecti_acd_agent_state_seconds', 'Seconds the agent is in its current state (the state is a label)', ['agent', 'state'], (g, a) => g.set({ agent: a.agent, state: a.state }, a.inStateSec));
  agentGauge('freecti_acd_agent_answered_today', 'Calls the agent answered today (UTC)', ['agent'], (g, a) => g.set({ agent: a.agent }, a.answered));
  agentGauge('freecti_acd_agent_talk_seconds_today', 'Talk time of the agent today (UTC)', ['agent'], (g, a) => g.set({ agent: a.agent }, a.talkSec));
  agentGauge('freecti_acd_agent_occupancy_today', 'Busy / (busy + available) time of the agent today (UTC)', ['agent'], (g, a) => {
    if (a.occupancy !== null) g.set({ agent: a.agent }, a.occupancy);
  });
}
