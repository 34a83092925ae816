/**
 * Soak: 20,000 calls (after 20,000 warm-up calls, same faults) through the fake FreeSWITCH into the
 * service's node-state consumer (writing calls and registrations to a real redis-server),
 * each call also one bgapi job and one webhook to one of 100 origins through the service's
 * webhook Agent, with faults: a slow Redis (every command delayed, the state queue fills
 * and drops), a node restart (twice), and dropped CHANNEL_HANGUP_COMPLETE events. After
 * the warm-up and after every phase of 2,000 calls the service is let settle (queue empty,
 * idle webhook connections closed), then heap used (after a full GC) and active handles
 * are sampled: one JSON line per phase, then a final line with the start/end figures, the
 * heap slope and `flat` by the rule it names.
 *
 * The world (redis-server, proxy, fake FreeSWITCH, HTTP apps) runs in a child process
 * (bench/lib/soak-world.ts), so only the service's own memory and handles are counted.
 *
 *   npm run bench:soak                      # SOAK_CALLS=20000, SOAK_WARMUP=20000 by default
 *   SOAK_LEAK_BYTES=100 npm run bench:soak  # leaks 100 bytes per call on purpose: flat must be false
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { getHeapSpaceStatistics } from 'node:v8';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { startNodeStateConsumers } from '../src/cluster/node-state-consumers.js';
import { validateConfig } from '../src/config/load.js';
import { createNodePool } from '../src/esl/node-pool.js';
import { keysFor } from '../src/keys.js';
import { createLogger } from '../src/logger.js';
import { closeRedis, createRedis } from '../src/redis.js';
import { agentOrigins, createWebhookAgent, createWebhookClient } from '../src/webhook/index.js';
import type { WorldCommand, WorldExpected, WorldReady } from './lib/soak-world.js';
import { printResult, progress, round } from './lib/output.js';
import { collectGarbage } from './lib/timing.js';

const CALLS = Number(process.env['SOAK_CALLS'] ?? 20_000);
const PHASES = 10;
const BATCH = 100;
const QUEUE_MAX = 1000;
const IDLE_MS = 500;
/** Each connect attempt to the node arms a timer this long (inbound-client): a sample waits it out after a restart. */
const CONNECT_TIMEOUT_MS = 1000;
/** The rule `flat` is judged by (printed with it). */
const MAX_SLOPE_BYTES_PER_CALL = 50;
const RULE = `heap slope from the end of the warm-up to the end below ${MAX_SLOPE_BYTES_PER_CALL} bytes per call (1 MB per 20,000 calls), and no more active handles at the end than after the warm-up`;
/**
 * Calls before the measured ones, through the same faults: V8 keeps compiling and
 * optimising code (code space, feedback vectors, deopt data) for the first ~10,000 calls
 * and the first time each fault's code runs (a node restart alone adds about 0.4 MB), which
 * a slope over the measured calls must not count as a leak.
 */
const WARMUP = Number(process.env['SOAK_WARMUP'] ?? 20_000);
/** Self-check of the rule: keep this many bytes per call on purpose (a leak); `flat` must turn false. */
const LEAK_BYTES = Number(process.env['SOAK_LEAK_BYTES'] ?? 0);
const leaked: Buffer[] = [];

type Fault = 'none' | 'slow_redis' | 'node_restart' | 'dropped_hangups';
const FAULTS: readonly Fault[] = ['none', 'none', 'slow_redis', 'none', 'node_restart', 'none', 'dropped_hangups', 'node_restart', 'slow_redis', 'none'];

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function gc(): void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed !== undefined) exposed();
  else collectGarbage();
}

async function until(check: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) return false;
    await sleep(5);
  }
  return true;
}

/** Active handles by type (timers, sockets, servers...), from process.getActiveResourcesInfo(). */
function handles(): { total: number; byType: Record<string, number> } {
  const byType: Record<string, number> = {};
  const info = process.getActiveResourcesInfo();
  for (const type of info) byType[type] = (byType[type] ?? 0) + 1;
  return { total: info.length, byType };
}

/** Least-squares slope of y over x. */
function slope(points: readonly (readonly [number, number])[]): number {
  const n = points.length;
  const mx = points.reduce((s, [x]) => s + x, 0) / n;
  const my = points.reduce((s, [, y]) => s + y, 0) / n;
  const num = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const den = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

async function main(): Promise<void> {
  const world: ChildProcess = fork(new URL('./lib/soak-world.ts', import.meta.url), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const replies: unknown[] = [];
  const waiting: Array<(message: unknown) => void> = [];
  world.on('message', (message) => {
    const next = waiting.shift();
    if (next !== undefined) next(message);
    else replies.push(message);
  });
  const reply = (): Promise<unknown> => (replies.length > 0 ? Promise.resolve(replies.shift()) : new Promise((resolve) => waiting.push(resolve)));
  const ask = async <T>(command: WorldCommand): Promise<T> => {
    world.send(command);
    return (await reply()) as T;
  };
  const ready = (await reply()) as WorldReady;

  const config = validateConfig({
    redis: { url: `redis://127.0.0.1:${ready.proxyPort}` },
    freeswitch: {
      nodes: [{ name: 'fs1', host: '127.0.0.1', port: ready.fsPort, password: 'ClueCon' }],
      connectTimeoutMs: CONNECT_TIMEOUT_MS,
      reconnect: { initialDelayMs: 50, maxDelayMs: 500 },
    },
    cluster: { stateQueueMax: QUEUE_MAX },
    webhook: { idleMs: IDLE_MS },
    log: { level: 'silent' },
  });
  const logger = createLogger(process.env['SOAK_LOG'] === undefined ? 'silent' : 'warn');
  const registry = new Registry();
  const redis = createRedis(config, logger);
  const pool = createNodePool(config, logger);
  const nodeState = startNodeStateConsumers({ pool, redis, config, logger, registry });
  const consumer = nodeState.consumers[0];
  const node = pool.nodes[0];
  if (consumer === undefined || node === undefined) throw new Error('one node expected');
  const agent = createWebhookAgent(config.webhook);
  const webhooks = createWebhookClient({ dispatcher: agent, registry, logger });
  const direct = new Redis(`redis://127.0.0.1:${ready.redisPort}`);
  const keys = keysFor(config);
  /** Calls Redis shows as live (FreeSWITCH has none once a batch is done). */
  const liveCallsInRedis = async (): Promise<number> => {
    const calls = await direct.hgetall(keys.named(config.gui.call.hash));
    return Object.values(calls).reduce((sum, json) => sum + ((JSON.parse(json) as { activity?: unknown[] }).activity?.length ?? 0), 0);
  };

  let eslErrors = 0;
  let webhookErrors = 0;
  const perCall = async (n: number): Promise<void> => {
    if (LEAK_BYTES > 0) leaked.push(Buffer.alloc(LEAK_BYTES));
    const url = ready.appUrls[n % ready.appUrls.length] as string;
    const hook = webhooks.requestJson({ url, json: { uuid: `soak-${n}`, event: 'answer' }, requestId: `soak-${n}` }).catch(() => {
      webhookErrors++;
    });
    const job = node
      .bgapi('status')
      .then((j) => j.wait({ timeoutMs: 5000 }))
      .catch(() => {
        eslErrors++;
      });
    await Promise.all([hook, job]);
  };

  let restartedAt = 0;
  const settle = async (): Promise<boolean> => {
    await sleep(Math.max(0, restartedAt + CONNECT_TIMEOUT_MS + 200 - Date.now()));
    const drained = await until(() => consumer.queuedCount === 0 && node.status.state === 'ready' && consumer.lease.isHolder, 60_000);
    await consumer.idle();
    const idle = await until(() => agentOrigins(agent) === 0, 5 * IDLE_MS + 5000);
    return drained && idle;
  };

  await until(() => node.status.state === 'ready' && consumer.lease.isHolder, 20_000);
  const perPhase = Math.ceil(CALLS / PHASES);
  const warmupPerPhase = Math.ceil(WARMUP / FAULTS.length);
  const plan = [
    ...FAULTS.map((fault) => ({ fault, calls: warmupPerPhase, warmup: true })),
    ...FAULTS.map((fault) => ({ fault, calls: perPhase, warmup: false })),
  ].filter((p) => p.calls > 0);
  const total = plan.reduce((sum, p) => sum + p.calls, 0);
  const samples: Array<{ calls: number; heap: number; code: number; handles: number }> = [];
  const started = Date.now();
  let done = 0;
  for (const [phase, step] of plan.entries()) {
    const fault = step.fault;
    const droppedBefore = consumer.droppedQueue;
    if (fault === 'slow_redis') await ask({ op: 'delay', ms: 5 });
    const end = Math.min(total, done + step.calls);
    const restartAt = fault === 'node_restart' ? done + Math.floor((end - done) / 2) : -1;
    while (done < end) {
      const count = Math.min(BATCH, end - done);
      if (done === restartAt) {
        await ask({ op: 'stop' });
        await sleep(300);
        await ask({ op: 'restart' });
        await until(() => node.status.state === 'ready', 10_000);
        restartedAt = Date.now();
      }
      const from = done;
      await ask({ op: 'calls', from, count, dropHangupEvery: fault === 'dropped_hangups' ? 20 : 0 });
      const work: Promise<void>[] = [];
      for (let i = 0; i < count; i++) work.push(perCall(from + i));
      await Promise.all(work);
      done += count;
      // Paced like a real node (the consumer keeps up), except while Redis is slow.
      if (fault !== 'slow_redis') await until(() => consumer.queuedCount <= 300, 30_000);
    }
    if (fault === 'slow_redis') await ask({ op: 'delay', ms: 0 });
    const settled = await settle();
    gc();
    gc();
    const live = await liveCallsInRedis();
    const memory = process.memoryUsage();
    const active = handles();
    const code = getHeapSpaceStatistics().find((space) => space.space_name === 'code_space')?.space_used_size ?? 0;
    // The baseline is the sample at the end of the warm-up; the measured phases follow.
    if (!step.warmup || plan[phase + 1]?.warmup !== true) samples.push({ calls: done, heap: memory.heapUsed, code, handles: active.total });
    printResult({
      case: 'soak_phase',
      phase,
      warmup: step.warmup,
      fault,
      calls: done,
      heap_used_mb: round(memory.heapUsed / 1048576, 2),
      code_space_mb: round(code / 1048576, 2),
      rss_mb: round(memory.rss / 1048576, 1),
      handles: active.total,
      handle_types: Object.entries(active.byType).map(([type, n]) => `${type}:${n}`).sort().join(' '),
      state_queue_max_seen: consumer.maxQueued,
      dropped_queue_full: consumer.droppedQueue - droppedBefore,
      live_calls_in_redis: live,
      webhook_origins: agentOrigins(agent),
      esl_errors: eslErrors,
      webhook_errors: webhookErrors,
      settled,
    });
    progress(`phase ${phase} (${fault}) done: ${done} calls, ${Math.round((Date.now() - started) / 1000)} s`);
  }

  // The state in Redis against what FreeSWITCH reports.
  const expected = await ask<WorldExpected>({ op: 'expected' });
  const registrations = new Set(await direct.hkeys(keys.named(config.gui.registration.hash)));
  const registrationsOk = registrations.size === expected.registered.length && expected.registered.every((u) => registrations.has(u));
  const liveCalls = await liveCallsInRedis();

  const first = samples[0];
  const last = samples[samples.length - 1];
  if (first === undefined || last === undefined) throw new Error('no samples');
  const heapSlope = slope(samples.map((s) => [s.calls, s.heap] as const));
  const flat = heapSlope < MAX_SLOPE_BYTES_PER_CALL && last.handles <= first.handles;
  printResult({
    case: 'soak',
    calls: done - WARMUP,
    warmup_calls: WARMUP,
    seconds: Math.round((Date.now() - started) / 1000),
    heap_start_mb: round(first.heap / 1048576, 2),
    heap_end_mb: round(last.heap / 1048576, 2),
    heap_slope_bytes_per_call: round(heapSlope, 2),
    handles_start: first.handles,
    handles_end: last.handles,
    dropped_queue_full: consumer.droppedQueue,
    state_queue_max_seen: consumer.maxQueued,
    state_queue_max: QUEUE_MAX,
    dropped_hangups: expected.droppedHangups,
    registrations_ok: registrationsOk,
    live_calls_left: liveCalls,
    ...(LEAK_BYTES > 0 ? { leak_injected_bytes_per_call: LEAK_BYTES } : {}),
    flat,
    rule: RULE,
  });

  await nodeState.stop();
  await webhooks.close();
  await agent.close();
  await pool.close();
  await closeRedis(redis);
  direct.disconnect();
  world.send({ op: 'close' } satisfies WorldCommand);
  await once(world, 'exit');
}

main().catch((error: unknown) => {
  progress(`soak failed: ${(error as Error).stack ?? String(error)}`);
  process.exit(1);
});
