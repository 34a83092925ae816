/**
 * ACD engine benchmark (issue 10 item 8), on a private redis-server the bench starts:
 *
 *   npm run bench:acd
 *
 * stdout: one JSON line per case; progress on stderr.
 *
 * 1. Dispatch decisions per second with 10,000 agents, 100 queues (each agent in two
 *    queues, 200 agents per queue) and 1,000 waiting callers: one decision = one script
 *    call that matches a caller with an agent and makes the offer. Two triggers: an agent
 *    becomes available (`agent-frees`) and a caller arrives while agents are free
 *    (`caller-arrives`); sequential (1 in flight) and 16 in flight.
 * 2. Time from "agent becomes available" to "offer emitted" (the onOffer handler runs),
 *    p50/p99, with 500 waiting callers and 100 agents, side by side in one run with a peer
 *    that polls like mod_callcenter: the agent's state is written without dispatching and a
 *    100 ms loop runs the same dispatch over the same Redis data. Contenders alternate over
 *    BENCH_ROUNDS rounds (default 5) of 100 availabilities spaced 0-30 ms at random.
 */
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { parseAgent, parseQueue } from '../src/acd/config.js';
import { AcdEngine } from '../src/acd/engine.js';
import type { Offer, Strategy } from '../src/acd/types.js';
import { Keys } from '../src/keys.js';
import { runScript } from '../src/lua-scripts.js';
import { startRedis } from '../test/helpers/redis.js';
import { printResult, progress, round } from './lib/output.js';
import { percentile } from './lib/procs.js';

const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 5);
const logger = pino({ level: 'silent' });
const server = await startRedis();
const redis = new Redis(server.url);
let prefixSeq = 0;

function engineOn(prefix: string): { engine: AcdEngine; keys: Keys; offers: Offer[] } {
  const keys = new Keys(prefix);
  const engine = new AcdEngine({ redis, keys, logger, registrationsHash: null, registrationField: 'extension' });
  const offers: Offer[] = [];
  engine.onOffer((o) => offers.push(o));
  return { engine, keys, offers };
}

async function putQueue(engine: AcdEngine, name: string, strategy: Strategy): Promise<void> {
  const q = parseQueue(name, { strategy, offerTimeoutSec: 600 });
  if (!q.ok) throw new Error(q.error);
  await engine.putQueue(q.value);
}

async function putAgent(engine: AcdEngine, id: string, queues: string[]): Promise<void> {
  const a = parseAgent(id, { contact: { type: 'dial', dialString: `user/${id}` } });
  if (!a.ok) throw new Error(a.error);
  await engine.putAgent(a.value);
  for (const [i, q] of queues.entries()) await engine.putTier(q, id, 1 + i, Number(id.slice(1)) % 100);
}

async function inFlight<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/** Case 1: 10,000 agents in 100 queues, 1,000 callers waiting. */
async function dispatchCase(trigger: 'agent-frees' | 'caller-arrives', concurrency: number): Promise<void> {
  const prefix = `bench${++prefixSeq}:`;
  const { engine, offers } = engineOn(prefix);
  const QUEUES = 100;
  const AGENTS = 10_000;
  const WAITING = 1_000;
  progress(`dispatch ${trigger} x${concurrency}: building ${AGENTS} agents in ${QUEUES} queues`);
  for (let q = 0; q < QUEUES; q++) await putQueue(engine, `q${q}`, 'longest-idle-agent');
  const agents = Array.from({ length: AGENTS }, (_, i) => `a${i}`);
  await inFlight(agents, 32, (id) => {
    const i = Number(id.slice(1));
    return putAgent(engine, id, [`q${i % QUEUES}`, `q${(i + 37) % QUEUES}`]);
  });
  const callers = Array.from({ length: WAITING }, (_, i) => ({ queue: `q${i % QUEUES}`, callUuid: `c${i}`, node: 'fs1', callerIdNumber: `${i}`, callerIdName: '' }));
  let decisions: number;
  let ms: number;
  if (trigger === 'agent-frees') {
    await inFlight(callers, 32, async (c) => void (await engine.enqueue(c)));
    const freeing = agents.slice(0, WAITING); // 1,000 agents, 20 per queue (primary and secondary tiers)
    const t0 = performance.now();
    await inFlight(freeing, concurrency, async (id) => void (await engine.setAgentState(id, 'available')));
    ms = performance.now() - t0;
    decisions = offers.length;
  } else {
    await inFlight(agents.slice(0, WAITING), 32, async (id) => void (await engine.setAgentState(id, 'available')));
    const t0 = performance.now();
    await inFlight(callers, concurrency, async (c) => void (await engine.enqueue(c)));
    ms = performance.now() - t0;
    decisions = offers.length;
  }
  // Greedy matching can leave an agent whose two queues are already served: count what was decided.
  if (decisions < WAITING * 0.9) throw new Error(`expected about ${WAITING} offers, got ${decisions}`);
  printResult({
    case: `dispatch-${trigger}`,
    agents: AGENTS,
    queues: QUEUES,
    waiting: WAITING,
    in_flight: concurrency,
    decisions,
    decisions_per_sec: round((decisions / ms) * 1000),
    mean_ms: round(ms / decisions, 3),
    load1: round(loadavg()[0] ?? 0, 2),
  });
  await engine.close();
  await redis.eval("for _, k in ipairs(redis.call('KEYS', ARGV[1])) do redis.call('DEL', k) end", 0, `${prefix}*`);
}

/**
 * Case 2, one round of one contender: 100 agents on break, 500 callers waiting; agents
 * become available one by one, 0-30 ms apart; latency = availability → offer handler.
 */
async function latencyRound(contender: 'freecti' | 'polling-100ms', rand: () => number): Promise<number[]> {
  const prefix = `lat${++prefixSeq}:`;
  const { engine, keys, offers } = engineOn(prefix);
  await putQueue(engine, 'q', 'longest-idle-agent');
  const agents = Array.from({ length: 100 }, (_, i) => `a${i}`);
  for (const id of agents) {
    await putAgent(engine, id, ['q']);
    await engine.setAgentState(id, 'on-break', 'bench');
  }
  for (let i = 0; i < 500; i++) await engine.enqueue({ queue: 'q', callUuid: `c${i}`, node: 'fs1', callerIdNumber: `${i}`, callerIdName: '' });
  const madeAvailable = new Map<string, number>();
  const latencies: number[] = [];
  engine.onOffer((o) => {
    const t0 = madeAvailable.get(o.agent);
    if (t0 !== undefined) latencies.push(performance.now() - t0);
  });
  let poller: NodeJS.Timeout | undefined;
  if (contender === 'polling-100ms') {
    // mod_callcenter's loop: every 100 ms look at the waiting members and the free agents
    // (here: the same dispatch script over the same Redis data, so only the trigger differs).
    let busy = false;
    poller = setInterval(() => {
      if (busy) return;
      busy = true;
      runScript(redis, 'acd-engine', [keys.acdQueues()], ['dispatch', keys.acdTag(), Date.now(), '', 1, 5000, 100_000, 'q'])
        .then((raw) => {
          const reply = JSON.parse(String(raw)) as { offers?: { agent: string }[] | Record<string, never> };
          const now = performance.now();
          for (const o of Array.isArray(reply.offers) ? reply.offers : []) {
            const t0 = madeAvailable.get(o.agent);
            if (t0 !== undefined) latencies.push(now - t0);
          }
        })
        .finally(() => (busy = false));
    }, 100);
  }
  for (const id of agents) {
    await new Promise((r) => setTimeout(r, Math.floor(rand() * 30)));
    if (contender === 'freecti') {
      madeAvailable.set(id, performance.now());
      await engine.setAgentState(id, 'available');
    } else {
      // The peer's agent update: the state is written (as an SQL UPDATE would be; with the
      // queue's set of available agents, which the dispatch reads), nothing dispatches.
      const now = Date.now();
      await redis.multi().hset(keys.acdAgent(id), 'st', 'available', 'since', now, 'ready', now, 'idle', now).sadd(keys.acd('av', 'q'), id).exec();
      madeAvailable.set(id, performance.now());
    }
  }
  while (latencies.length < agents.length) await new Promise((r) => setTimeout(r, 20));
  if (poller !== undefined) clearInterval(poller);
  if (contender === 'freecti' && offers.length !== agents.length) throw new Error(`freecti made ${offers.length} offers`);
  await engine.close();
  await redis.eval("for _, k in ipairs(redis.call('KEYS', ARGV[1])) do redis.call('DEL', k) end", 0, `${prefix}*`);
  return latencies;
}

function mulberry(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

try {
  for (const trigger of ['agent-frees', 'caller-arrives'] as const) {
    for (const concurrency of [1, 16]) await dispatchCase(trigger, concurrency);
  }
  const samples: Record<string, number[]> = { freecti: [], 'polling-100ms': [] };
  const rand = mulberry(42);
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 === 0 ? (['freecti', 'polling-100ms'] as const) : (['polling-100ms', 'freecti'] as const);
    for (const c of order) {
      progress(`latency round ${r + 1}/${ROUNDS}: ${c}`);
      samples[c]!.push(...(await latencyRound(c, rand)));
    }
  }
  const stats = Object.fromEntries(
    Object.entries(samples).map(([c, xs]) => {
      const sorted = [...xs].sort((a, b) => a - b);
      return [c, { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? NaN, n: sorted.length }];
    }),
  );
  for (const [c, s] of Object.entries(stats)) {
    printResult({
      case: 'available-to-offer',
      contender: c,
      waiting: 500,
      agents: 100,
      samples: s.n,
      p50_ms: round(s.p50, 2),
      p99_ms: round(s.p99, 2),
      max_ms: round(s.max, 2),
      p99_ratio_peer_over_freecti: round(stats['polling-100ms']!.p99 / stats['freecti']!.p99, 1),
      load1: round(loadavg()[0] ?? 0, 2),
    });
  }
} finally {
  redis.disconnect();
  await server.stop();
}
