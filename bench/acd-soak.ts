/**
 * ACD soak and offer latency (issue 10 item 8), on a private redis-server and the fake
 * FreeSWITCH of the tests (test/acd/acd-switch.ts, held to the esl-acd recordings), over
 * real TCP: the real engine, node pool, outbound socket server and call half.
 *
 * Case `soak`: ACD_SOAK_CALLS (5,000) callers dial the queues through the outbound socket,
 * at most ACD_SOAK_LIVE (150) at a time. Agents answer, let it ring out (NO_ANSWER), reject
 * (CALL_REJECTED) or are busy (USER_BUSY) at random; 12 % of callers hang up while they wait
 * (some while an agent rings); bridged calls end by either side. Halfway the freecti
 * instance stops (its outbound socket closes; waiting callers stay in FreeSWITCH with their
 * music) and a second instance on the same Redis goes on, new callers dialling it. At the
 * end: no agent reserved or in a call, no caller entry left, and in the queue log every call
 * has exactly one ENTERQUEUE and exactly one final line (COMPLETEAGENT, COMPLETECALLER,
 * ABANDON). One JSON line with the counts.
 *
 * Case `offer-latency`: 500 callers wait, 100 agents become available one after another
 * (ACD_LAT_ROUNDS rounds); time from "agent becomes available" to the `originate` arriving at
 * the fake FreeSWITCH, p50/p99, for freecti (dispatch in the same script call) and for a
 * peer that polls like mod_callcenter (a 100 ms loop reads the agents marked available in
 * Redis and only then hands them to the same engine). Every originate fails (NO_ANSWER) and
 * the agent goes on break (maxNoAnswer 1), so each sample starts from an idle agent; a random
 * pause (0-100 ms, the same sequence for both) before each sample spreads the samples over
 * the peer's loop phase.
 *
 *   npm run bench:acd-soak            (ACD_SOAK_CALLS=500 for a short run; ACD_BENCH=soak|latency for one case)
 */
import { Redis } from 'ioredis';
import { startRedis } from '../test/helpers/redis.js';
import { AcdSwitch, type AgentOutcome } from '../test/acd/acd-switch.js';
import { startInstance, type Instance } from '../test/acd/calls-rig.js';
import { agent, queue, seeded } from '../test/acd/helpers.js';
import type { OutboundCall } from '../test/fake-freeswitch/outbound-call.js';
import { Keys } from '../src/keys.js';
import { printResult, progress, round } from './lib/output.js';

const CALLS = Number(process.env['ACD_SOAK_CALLS'] ?? 5000);
const LIVE = Number(process.env['ACD_SOAK_LIVE'] ?? 150);
const ROUNDS = Number(process.env['ACD_LAT_ROUNDS'] ?? 5);
const WHICH = process.env['ACD_BENCH'] ?? 'all';
const QUEUES = ['sales', 'support', 'billing', 'vip', 'overflow'];
const AGENTS = 60;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitUntil(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

async function soak(redis: Redis): Promise<void> {
  const random = seeded(20261203);
  const sw = await AcdSwitch.start({ promptMs: 5 });
  const prefix = `soak${Date.now()}:`;
  const keys = new Keys(prefix);
  const counts = { calls: 0, queued: 0, bridged: 0, abandonedWaiting: 0, abandonedRinging: 0, noAnswer: 0, reject: 0, busy: 0, agentHangups: 0, callerHangups: 0 };
  const logger = process.env['ACD_LOG'] === undefined ? undefined : (await import('pino')).pino({ level: process.env['ACD_LOG'] }, process.stderr);
  let current: Instance = await startInstance(sw, redis, prefix, { reapIntervalMs: 2000, ...(logger === undefined ? {} : { logger }) });
  const started = Date.now();
  for (const q of QUEUES) await queue(current.engine, q, { strategy: q === 'vip' ? 'round-robin' : 'longest-idle-agent', offerTimeoutSec: 5 });
  for (let n = 0; n < AGENTS; n += 1) {
    const id = String(5000 + n);
    const tiers: Record<string, [number, number]> = {};
    for (const q of QUEUES) if (random() < 0.6 || q === 'overflow') tiers[q] = [1, n + 1];
    await agent(current.engine, id, { maxNoAnswer: 0, noAnswerDelaySec: 0, rejectDelaySec: 0, busyDelaySec: 0, wrapUpSec: 0 }, tiers);
    await current.engine.setAgentState(id, 'available');
  }
  const ringing = new Set<string>();
  sw.outcomeFor = (): AgentOutcome => {
    const r = random();
    if (r < 0.08) return (counts.noAnswer++, { kind: 'fail', cause: 'NO_ANSWER', afterMs: 5 + Math.floor(random() * 20) });
    if (r < 0.12) return (counts.reject++, { kind: 'fail', cause: 'CALL_REJECTED', afterMs: 2 });
    if (r < 0.15) return (counts.busy++, { kind: 'fail', cause: 'USER_BUSY', afterMs: 2 });
    return { kind: 'answer', afterMs: 2 + Math.floor(random() * 15) };
  };
  const done = new Set<string>();
  const live = new Map<string, OutboundCall>();
  sw.onBridged = (caller, leg) => {
    counts.bridged += 1;
    const byAgent = random() < 0.5;
    setTimeout(() => {
      if (byAgent) {
        counts.agentHangups += 1;
        sw.agentHangsUp(leg);
      } else {
        counts.callerHangups += 1;
        void sw.callerHangsUp(caller);
      }
    }, 5 + Math.floor(random() * 40));
  };
  let restarted = false;
  const unqueued = new Set<string>();
  const dialOne = async (n: number): Promise<void> => {
    const q = QUEUES[Math.floor(random() * QUEUES.length)] as string;
    const call = sw.caller(current.port, q, random() < 0.2 ? { freecti_queue_priority: String(Math.floor(random() * 10)) } : {});
    counts.calls += 1;
    live.set(call.uuid, call);
    unqueued.add(call.uuid);
    const abandon = random() < 0.12;
    // Queued once the hold music plays (the engine answered the enqueue).
    await waitUntil(() => sw.nowPlaying(call.uuid) !== undefined || call.hangupCause !== undefined || sw.bridges.some((b) => b.startsWith(call.uuid)), 30_000, `caller ${n} queued`);
    counts.queued += 1;
    unqueued.delete(call.uuid);
    if (abandon) {
      await sleep(Math.floor(random() * 60));
      if (call.hangupCause === undefined && !ringing.has(call.uuid)) {
        const wasRinging = sw.originates.some((o) => o.includes(call.uuid));
        if (wasRinging) counts.abandonedRinging += 1;
        else counts.abandonedWaiting += 1;
        await sw.callerHangsUp(call.uuid);
      }
    }
    await waitUntil(() => call.hangupCause !== undefined, 120_000, `call ${n} ended`);
    live.delete(call.uuid);
    done.add(call.uuid);
  };
  const running = new Set<Promise<void>>();
  for (let n = 0; n < CALLS; n += 1) {
    while (running.size >= LIVE) await Promise.race(running);
    if (!restarted && n === Math.floor(CALLS / 2)) {
      restarted = true;
      // Stop once instance 1 has taken every caller dialled to it (a caller reaching a closed socket is FreeSWITCH's dialplan's business).
      await waitUntil(() => unqueued.size === 0, 60_000, 'callers of instance 1 queued');
      progress(`acd soak: ${n} calls dialled; stopping instance 1 with ${live.size} live calls`);
      const old = current;
      await old.stop();
      current = await startInstance(sw, redis, prefix, { reapIntervalMs: 2000 });
      progress('acd soak: instance 2 running');
    }
    const p = dialOne(n).catch((error: unknown) => progress(`call ${n}: ${(error as Error).message}`));
    running.add(p);
    void p.finally(() => running.delete(p));
    if (n % 500 === 0) progress(`acd soak: ${n}/${CALLS} dialled, ${live.size} live`);
  }
  await Promise.all(running);
  // Callers that hung up while no instance held their socket nor an offer: the reaper's job.
  await current.calls.reaper.sweep();
  await current.calls.legs.idle();
  const stuckAgents: string[] = [];
  let leftEntries = 0;
  await waitUntil(
    async () => {
      stuckAgents.length = 0;
      for (const { status } of await current.engine.listAgents()) if (status !== null && (status.state === 'reserved' || status.state === 'in-call')) stuckAgents.push(status.id);
      leftEntries = 0;
      for (const q of QUEUES) leftEntries += (await current.engine.callers(q)).length;
      return stuckAgents.length === 0 && leftEntries === 0;
    },
    15_000,
    'agents and queues to settle',
  ).catch(() => undefined);
  // The queue log: one ENTERQUEUE and one final line per call.
  const entries = (await redis.xrange(keys.acd('log'), '-', '+')) as [string, string[]][];
  const enter = new Map<string, number>();
  const final = new Map<string, number>();
  const finals = new Set(['COMPLETEAGENT', 'COMPLETECALLER', 'ABANDON']);
  for (const [, fields] of entries) {
    const f: Record<string, string> = {};
    for (let k = 0; k + 1 < fields.length; k += 2) f[fields[k] as string] = fields[k + 1] as string;
    const uuid = f['uuid'] ?? '';
    if (f['event'] === 'ENTERQUEUE') enter.set(uuid, (enter.get(uuid) ?? 0) + 1);
    if (finals.has(f['event'] ?? '')) final.set(uuid, (final.get(uuid) ?? 0) + 1);
  }
  for (const [uuid, call] of live) {
    const lines = entries.filter(([, f]) => f.includes(uuid)).map(([, f]) => f[1]);
    progress(`acd soak: call ${uuid} still up (channel ${sw.fake.channels.has(uuid) ? 'live' : 'gone'}, playing ${sw.nowPlaying(uuid) ?? '-'}, cause ${call.hangupCause ?? '-'}): ${lines.join(' ')}`);
  }
  let logExactlyOnce = 0;
  let logMissing = 0;
  let logTwice = 0;
  for (const uuid of done) {
    const e = enter.get(uuid) ?? 0;
    const fl = final.get(uuid) ?? 0;
    if (e === 1 && fl === 1) logExactlyOnce += 1;
    else if (e === 0 || fl === 0) logMissing += 1;
    else logTwice += 1;
  }
  printResult({
    case: 'acd-soak',
    calls: counts.calls,
    ended: done.size,
    bridged: counts.bridged,
    abandoned_waiting: counts.abandonedWaiting,
    abandoned_ringing: counts.abandonedRinging,
    agent_no_answers: counts.noAnswer,
    agent_rejects: counts.reject,
    agent_busy: counts.busy,
    agent_hangups: counts.agentHangups,
    caller_hangups: counts.callerHangups,
    restarts: 1,
    stuck_agents: stuckAgents.length,
    entries_left: leftEntries,
    log_exactly_once: logExactlyOnce,
    log_missing: logMissing,
    log_more_than_once: logTwice,
    queue_log_lines: entries.length,
    seconds: round((Date.now() - started) / 1000, 1),
  });
  await current.stop();
  await sw.close();
}

async function latency(redis: Redis, mode: 'event' | 'poll100'): Promise<void> {
  const sw = await AcdSwitch.start({ promptMs: 5 });
  const prefix = `lat${mode}${Date.now()}:`;
  const keys = new Keys(prefix);
  const inst = await startInstance(sw, redis, prefix);
  await queue(inst.engine, 'lat', { strategy: 'longest-idle-agent', offerTimeoutSec: 5 });
  const AG = 100;
  for (let n = 0; n < AG; n += 1) await agent(inst.engine, String(7000 + n), { maxNoAnswer: 1, noAnswerDelaySec: 0 }, { lat: [1, n + 1] });
  sw.defaultOutcome = { kind: 'fail', cause: 'NO_ANSWER', afterMs: 1 };
  for (let n = 0; n < 500; n += 1) {
    sw.caller(inst.port, 'lat');
    if (n % 50 === 49) await sleep(20);
  }
  await waitUntil(async () => (await inst.engine.callers('lat')).length === 500, 60_000, '500 callers queued');
  const becameAvailable = new Map<string, number>();
  const phase = seeded(7);
  const samples: number[] = [];
  // Wrap the originate handler: the moment the fake reads the command is the sample's end.
  const seenAt = new Map<string, number>();
  const origin = sw.originates;
  const push = origin.push.bind(origin);
  origin.push = (...items: string[]): number => {
    const now = performance.now();
    for (const args of items) {
      const ext = /user\/(\d+)/.exec(args)?.[1];
      if (ext !== undefined && becameAvailable.has(ext) && !seenAt.has(ext)) seenAt.set(ext, now);
    }
    return push(...items);
  };
  // The polling peer: a 100 ms loop reads the agents marked available in Redis, then applies them.
  const pendingKey = keys.acd('bench', 'pending-available');
  let poller: NodeJS.Timeout | undefined;
  if (mode === 'poll100') {
    poller = setInterval(() => {
      void (async () => {
        const ids = await redis.spop(pendingKey, 1000);
        for (const id of ids) await inst.engine.setAgentState(id, 'available');
      })();
    }, 100);
  }
  for (let round_ = 0; round_ < ROUNDS; round_ += 1) {
    for (let n = 0; n < AG; n += 1) {
      const id = String(7000 + n);
      seenAt.delete(id);
      // A random phase against the peer's 100 ms loop (the same pauses for both).
      await sleep(Math.floor(phase() * 100));
      becameAvailable.set(id, performance.now());
      if (mode === 'event') await inst.engine.setAgentState(id, 'available');
      else await redis.sadd(pendingKey, id);
      await waitUntil(() => seenAt.has(id), 10_000, `offer to ${id}`);
      samples.push((seenAt.get(id) as number) - (becameAvailable.get(id) as number));
      await waitUntil(async () => (await inst.engine.agentStatus(id))?.state === 'on-break', 10_000, `${id} on break`);
    }
  }
  clearInterval(poller);
  samples.sort((a, b) => a - b);
  printResult({
    case: 'acd-offer-latency',
    dispatch: mode === 'event' ? 'freecti (event-driven)' : 'peer: 100 ms polling loop (mod_callcenter-like)',
    waiting_callers: 500,
    agents: AG,
    samples: samples.length,
    p50_ms: round(percentile(samples, 50), 2),
    p99_ms: round(percentile(samples, 99), 2),
    max_ms: round(samples[samples.length - 1] ?? Number.NaN, 2),
  });
  for (const call of sw.calls.values()) await sw.callerHangsUp(call.uuid);
  await inst.stop();
  await sw.close();
}

const server = await startRedis();
const redis = new Redis(server.url);
try {
  if (WHICH === 'all' || WHICH === 'latency') {
    await latency(redis, 'event');
    await latency(redis, 'poll100');
  }
  if (WHICH === 'all' || WHICH === 'soak') await soak(redis);
} finally {
  redis.disconnect();
  await server.stop();
}
