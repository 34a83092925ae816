/**
 * Outbound campaigns (`nwaycallout`, docs/nacd.md "nwaycallout"): dial a list of numbers
 * at `ratePerSec`, at most `maxConcurrent` at once, each through a line of a line group
 * (the resolver's CPS and concurrency limits; a refused slot waits and retries, it is not
 * a failure) or a gateway; an answered call is handed to a nacd group or an ACD queue
 * (commands.ts, through fs-lang/handoff.ts); each number's outcome (answered, busy,
 * no-answer, failed with its cause, cancelled) is kept and pushed as an event: to
 * `eventUrl` as a signed webhook (once, by the runner) and to the capped Redis stream
 * `{freecti:callout}:events`, which every instance tails for its WebSocket clients
 * (src/services.ts, src/event-stream/stream-tail.ts).
 *
 * State lives in Redis, all of a campaign in its own slot (Keys.callout), so any instance
 * reads it and a campaign holds up to MAX_NUMBERS_PER_CAMPAIGN numbers:
 *   {freecti:callout:<id>}          hash: campaign (JSON settings), state, next, counts
 *   {freecti:callout:<id>}:numbers  list: the numbers, in dialling order (appends at the end)
 *   {freecti:callout:<id>}:dialing  hash: number index -> JSON {uuid, number, dialledAt}
 *   {freecti:callout:<id>}:results  list: outcome JSONs, in the order they were known
 *   {freecti:callout:<id>}:runner   the runner lease: SET NX PX, renewed every leaseMs / 3
 *   {freecti:callout:<id>}:stop     set by DELETE; the runner stops at its next step
 *   {freecti}:callouts              the ids of running campaigns
 *   {freecti:callout}:events        stream: every campaign's events (XADD MAXLEN ~ eventsMaxLen)
 * Every change is one script (lua/callout-*.lua); those the runner makes check its lease,
 * so a runner that lost it writes nothing. A runner that crashed stops renewing; `sweep`
 * (every leaseMs on each instance) takes the lease of a running campaign nobody holds
 * and goes on from `next`; the numbers the dead runner was dialling end `failed` with
 * cause RUNNER_LOST (their calls may have been answered: their outcome is unknown, they
 * are not dialled twice: a number is marked dialling before its originate is sent).
 */
import { randomUUID } from 'node:crypto';
import { FreectiError } from '../errors.js';
import type { FsNode, FsPool } from '../esl/types.js';
import type { FsPolicy } from '../fs-lang/policy.js';
import type { Keys } from '../keys.js';
import type { Logger } from '../logger.js';
import { runScript, type RedisClient } from '../lua-scripts.js';
import type { LineLease, LinegroupResolver } from '../linegroups/resolver.js';
import { failureCause, isFsError, releaseWhenGone } from '../originate/line-hold.js';
import type { WebhookClient } from '../webhook/types.js';
import { calloutDialString, calloutOriginateArgs } from './commands.js';
import {
  calloutAppendSchema,
  calloutRequestSchema,
  MAX_NUMBERS_PER_CAMPAIGN,
  type CalloutCampaign,
  type CalloutCounts,
  type CalloutOutcome,
  type CalloutRequest,
  type CalloutResult,
  type CalloutSettings,
  type CalloutState,
} from './schema.js';

/** Time for the runner: `sleep` is a real timer in production, a virtual one in tests. */
export interface CalloutClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: CalloutClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref()),
};

/** One campaign event: the webhook's JSON (`callout_started`, `callout_result`, `callout_done`). */
export type CalloutEvent = { campaign_id: string; event: string } & Record<string, unknown>;

/** Default cap of the campaign event stream (entries; XADD MAXLEN ~). */
export const CALLOUT_EVENTS_MAX_LEN = 10_000;

/** One entry of `{freecti:callout}:events` (field `json`: the event) → the event; `undefined` when it is not one. */
export function decodeCalloutEvent(_id: string, fields: string[]): CalloutEvent | undefined {
  for (let i = 0; i + 1 < fields.length; i += 2) {
    if (fields[i] !== 'json') continue;
    try {
      const value = JSON.parse(fields[i + 1]!) as unknown;
      if (typeof value === 'object' && value !== null && typeof (value as CalloutEvent).campaign_id === 'string' && typeof (value as CalloutEvent).event === 'string') return value as CalloutEvent;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

export interface CalloutDeps {
  redis: RedisClient;
  keys: Keys;
  pool: FsPool;
  policy: FsPolicy;
  logger: Logger;
  webhooks: WebhookClient;
  /** `host:port` of freecti's outbound socket (where answered calls are handed over). */
  socket: string;
  /** For `linegroup` campaigns; absent: such a campaign is refused. */
  resolver?: LinegroupResolver;
  /** Cap of the campaign event stream `{freecti:callout}:events` (default CALLOUT_EVENTS_MAX_LEN). */
  eventsMaxLen?: number;
  clock?: CalloutClock;
  /** Runner lease time to live (default 15 s); renewed every third of it, swept every leaseMs. */
  leaseMs?: number;
  /** Longest wait between two checks of the stop flag while calls are in flight (default 1 s). */
  pollMs?: number;
}

const BUSY = new Set(['USER_BUSY']);
const NO_ANSWER = new Set(['NO_ANSWER', 'NO_USER_RESPONSE', 'ALLOTTED_TIMEOUT', 'PROGRESS_TIMEOUT', 'RECOVERY_ON_TIMER_EXPIRE']);
const CANCELLED = new Set(['ORIGINATOR_CANCEL', 'MANAGER_REQUEST']);
const OUTCOMES: readonly CalloutOutcome[] = ['answered', 'busy', 'no-answer', 'failed', 'cancelled'];
const ID = /^[0-9a-f-]{36}$/;
/** Numbers read from Redis at a time by a runner. */
const CHUNK = 1000;
/** Outcomes per GET page: default and most. */
const PAGE = 100;
const MAX_PAGE = 1000;

/** The outcome of an originate that failed with `cause`. */
export function outcomeOf(cause: string): CalloutOutcome {
  if (BUSY.has(cause)) return 'busy';
  if (NO_ANSWER.has(cause)) return 'no-answer';
  if (CANCELLED.has(cause)) return 'cancelled';
  return 'failed';
}

interface Running {
  id: string;
  token: string;
  settings: CalloutSettings;
  /** Index of the next number to dial, and how many the campaign holds (as last read). */
  next: number;
  total: number;
  /** Numbers read ahead: `numbers[i]` is number `from + i`. */
  buffer: { from: number; numbers: string[] };
  inFlight: Map<string, { uuid: string; node: FsNode }>;
  /** Calls this runner hung up on a stop: whatever FreeSWITCH answers, they end `cancelled`. */
  killed: Set<string>;
  lost: boolean;
  stopRequested: boolean;
  wake: () => void;
  done: Promise<void>;
}

interface Stored {
  id: string;
  request: CalloutSettings;
  createdAt: number;
}

export class CalloutService {
  private readonly log: Logger;
  private readonly clock: CalloutClock;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly eventsMaxLen: number;
  private readonly running = new Map<string, Running>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly deps: CalloutDeps) {
    this.log = deps.logger.child({ component: 'callout' });
    this.clock = deps.clock ?? realClock;
    this.leaseMs = deps.leaseMs ?? 15_000;
    this.pollMs = deps.pollMs ?? 1000;
    this.eventsMaxLen = deps.eventsMaxLen ?? CALLOUT_EVENTS_MAX_LEN;
  }

  private key(id: string, part?: 'numbers' | 'dialing' | 'results' | 'runner' | 'stop'): string {
    return this.deps.keys.callout(id, part);
  }

  private get index(): string {
    return this.deps.keys.internal('callouts');
  }

  /** Validates, stores and starts a campaign on this instance. */
  async start(body: unknown): Promise<CalloutCampaign> {
    const parsed = calloutRequestSchema.safeParse(body);
    if (!parsed.success) throw badRequest(parsed.error.issues);
    const { numbers, ...settings }: CalloutRequest = parsed.data;
    if (settings.linegroup !== undefined) {
      if (this.deps.resolver === undefined) throw new FreectiError('BAD_REQUEST', 'line groups are not available on this instance');
      await this.deps.resolver.store.get(settings.linegroup); // LINEGROUP_NOT_FOUND now rather than at the first number
    }
    const id = randomUUID();
    const token = randomUUID();
    const stored: Stored = { id, request: settings, createdAt: this.clock.now() };
    await runScript(this.deps.redis, 'callout-create', [this.key(id), this.key(id, 'numbers'), this.key(id, 'runner')], [token, this.leaseMs, JSON.stringify(stored), ...numbers]);
    await this.deps.redis.sadd(this.index, id);
    this.log.info({ campaign: id, numbers: numbers.length, group: settings.group, queue: settings.queue }, 'callout campaign started');
    const run = this.launch(id, token, settings, 0, numbers.length, false, { from: 0, numbers: numbers.slice(0, CHUNK) });
    this.push(run, { event: 'callout_started', total: numbers.length }, `${id}:started`);
    return this.get(id);
  }

  /**
   * The campaign (from any instance): its state, counts, the numbers ringing now and one
   * page of the outcome list from `cursor` (the index of the first outcome; default 0).
   */
  async get(id: string, page: { cursor?: string | undefined; limit?: string | number | undefined } = {}): Promise<CalloutCampaign> {
    const cursor = page.cursor === undefined || page.cursor === '' ? 0 : /^\d{1,9}$/.test(page.cursor) ? Number(page.cursor) : NaN;
    const limit = page.limit === undefined || page.limit === '' ? PAGE : Number(page.limit);
    if (!Number.isInteger(cursor)) throw new FreectiError('BAD_REQUEST', 'cursor: expected the nextCursor of a previous page (digits)');
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw new FreectiError('BAD_REQUEST', `limit: expected 1-${MAX_PAGE}`);
    if (!ID.test(id)) throw notFound(id);
    const replies = await this.deps.redis
      .multi()
      .hgetall(this.key(id))
      .llen(this.key(id, 'numbers'))
      .hgetall(this.key(id, 'dialing'))
      .llen(this.key(id, 'results'))
      .lrange(this.key(id, 'results'), cursor, cursor + limit - 1)
      .exec();
    if (replies === null) throw new FreectiError('REDIS_UNAVAILABLE', 'the campaign read was aborted');
    for (const [error] of replies) if (error !== null) throw error;
    const [meta, total, dialing, resultCount, page_] = replies.map(([, value]) => value) as [Record<string, string>, number, Record<string, string>, number, string[]];
    if (meta.campaign === undefined) throw notFound(id);
    const stored = JSON.parse(meta.campaign) as Stored;
    const state = (meta.state ?? 'running') as CalloutState;
    const results = page_.map((text) => JSON.parse(text) as CalloutResult);
    const end = cursor + results.length;
    return {
      id: stored.id,
      request: stored.request,
      state,
      createdAt: stored.createdAt,
      total,
      next: Number(meta.next ?? 0),
      dialing: Object.fromEntries(Object.entries(dialing).map(([index, text]) => [index, (JSON.parse(text) as { uuid: string }).uuid])),
      counts: Object.fromEntries(OUTCOMES.map((o) => [o, Number(meta[o] ?? 0)])) as CalloutCounts,
      resultCount,
      results,
      // While the campaign runs, more outcomes may come: the cursor stays usable past the end.
      nextCursor: state !== 'running' && end >= resultCount ? null : String(end),
    };
  }

  /** Appends numbers to a running campaign (any instance); its runner dials them after the others. */
  async append(id: string, body: unknown): Promise<{ total: number; appended: number }> {
    const parsed = calloutAppendSchema.safeParse(body);
    if (!parsed.success) throw badRequest(parsed.error.issues);
    if (!ID.test(id)) throw notFound(id);
    const numbers = parsed.data.numbers;
    let reply: unknown;
    try {
      reply = await runScript(this.deps.redis, 'callout-append', [this.key(id), this.key(id, 'numbers'), this.key(id, 'stop')], [MAX_NUMBERS_PER_CAMPAIGN, ...numbers]);
    } catch (error) {
      const message = (error as Error).message;
      if (message.includes('NOT_RUNNING')) {
        if ((await this.deps.redis.exists(this.key(id))) === 0) throw notFound(id);
        throw new FreectiError('CALLOUT_NOT_RUNNING', `campaign '${id}' has ended or is being stopped; no number appended`);
      }
      const held = /TOO_MANY (\d+)/.exec(message);
      if (held !== null) throw new FreectiError('BAD_REQUEST', `numbers: a campaign holds at most ${MAX_NUMBERS_PER_CAMPAIGN} numbers (it holds ${held[1]}, ${numbers.length} more asked)`);
      throw error;
    }
    const [total] = reply as [number, number];
    const local = this.running.get(id);
    if (local !== undefined) local.wake();
    this.log.info({ campaign: id, appended: numbers.length, total }, 'callout numbers appended');
    return { total: Number(total), appended: numbers.length };
  }

  /** Asks the campaign's runner (on any instance) to stop: numbers not dialled end `cancelled`, calls ringing are hung up. */
  async stop(id: string): Promise<CalloutCampaign> {
    const campaign = await this.get(id);
    if (campaign.state !== 'running') return campaign;
    await this.deps.redis.set(this.key(id, 'stop'), '1', 'PX', 86_400_000);
    const local = this.running.get(id);
    if (local !== undefined) {
      local.stopRequested = true;
      local.wake();
    }
    this.log.info({ campaign: id }, 'callout campaign stop requested');
    return campaign;
  }

  /** Takes over the running campaigns whose runner lease nobody holds; returns how many. */
  async sweep(): Promise<number> {
    if (this.closed) return 0;
    let taken = 0;
    for (const id of await this.deps.redis.smembers(this.index)) {
      if (this.running.has(id)) continue;
      const token = randomUUID();
      if ((await this.deps.redis.set(this.key(id, 'runner'), token, 'PX', this.leaseMs, 'NX')) !== 'OK') continue;
      const [text, state, next] = await this.deps.redis.hmget(this.key(id), 'campaign', 'state', 'next');
      if (text === null || text === undefined || state !== 'running') {
        await this.deps.redis.srem(this.index, id);
        await runScript(this.deps.redis, 'lease-release', [this.key(id, 'runner')], [token]);
        continue;
      }
      const total = await this.deps.redis.llen(this.key(id, 'numbers'));
      const dialing = await this.deps.redis.hlen(this.key(id, 'dialing'));
      this.log.warn({ campaign: id, next: Number(next), total, dialing }, 'callout campaign without a runner taken over');
      this.launch(id, token, (JSON.parse(text) as Stored).request, Number(next ?? 0), total, true, { from: 0, numbers: [] });
      taken += 1;
    }
    return taken;
  }

  /** Sweeps every leaseMs (production); tests call `sweep` themselves. */
  startSweeping(): void {
    const tick = (): void => {
      this.sweepTimer = setTimeout(() => {
        void this.sweep()
          .catch((error: unknown) => this.log.warn({ err: (error as Error).message }, 'callout sweep failed'))
          .finally(tick);
      }, this.leaseMs);
      this.sweepTimer.unref();
    };
    if (this.sweepTimer === undefined) tick();
  }

  /** Resolves when every campaign this instance runs now has finished. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running.values()].map((r) => r.done));
  }

  /**
   * Stops sweeping and lets go of this instance's campaigns (their leases are released, so
   * another instance's sweep goes on with them); calls already placed are left alone.
   */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.sweepTimer);
    for (const run of this.running.values()) {
      run.lost = true;
      run.wake();
    }
    await this.idle();
  }

  private launch(id: string, token: string, settings: CalloutSettings, next: number, total: number, takeover: boolean, buffer: Running['buffer']): Running {
    let wake: () => void = () => undefined;
    const run: Running = { id, token, settings, next, total, buffer, inFlight: new Map(), killed: new Set(), lost: false, stopRequested: false, wake: () => wake(), done: Promise.resolve() };
    const signal = { set: (fn: () => void) => (wake = fn) };
    this.running.set(id, run);
    run.done = this.runCampaign(run, takeover, signal)
      .catch((error: unknown) => this.log.error({ campaign: id, err: error }, 'callout runner failed; another instance takes the campaign over after its lease'))
      .finally(() => this.running.delete(id));
    return run;
  }

  /** Number `index` of the campaign (read from Redis CHUNK at a time). */
  private async numberAt(run: Running, index: number): Promise<string> {
    const { buffer } = run;
    if (index < buffer.from || index >= buffer.from + buffer.numbers.length) {
      run.buffer = { from: index, numbers: await this.deps.redis.lrange(this.key(run.id, 'numbers'), index, index + CHUNK - 1) };
    }
    return run.buffer.numbers[index - run.buffer.from] ?? '';
  }

  private async runCampaign(run: Running, takeover: boolean, signal: { set(fn: () => void): void }): Promise<void> {
    const settings = run.settings;
    const interval = 1000 / settings.ratePerSec;
    const renew = setInterval(() => {
      void runScript(this.deps.redis, 'lease-renew', [this.key(run.id, 'runner')], [run.token, this.leaseMs])
        .then((held) => {
          if (Number(held) !== 1) this.lose(run);
        })
        .catch((error: unknown) => this.log.warn({ campaign: run.id, err: (error as Error).message }, 'cannot renew the callout runner lease'));
    }, Math.max(50, Math.floor(this.leaseMs / 3)));
    renew.unref();
    // Wakes the loop when a call ends, numbers are appended or a stop arrives; a wait also ends after pollMs (a stop set on another instance).
    const wait = async (ms: number): Promise<void> => {
      await Promise.race([new Promise<void>((resolve) => signal.set(resolve)), this.clock.sleep(ms)]);
    };
    try {
      if (takeover) {
        const written = (await runScript(this.deps.redis, 'callout-takeover', [this.key(run.id, 'runner'), this.key(run.id), this.key(run.id, 'dialing'), this.key(run.id, 'results')], [run.token, this.clock.now()])) as string[];
        for (const text of written) {
          const result = JSON.parse(text) as CalloutResult;
          this.pushResult(run, result, `${run.id}:${result.uuid}:RUNNER_LOST`);
        }
      }
      let lastStart = -Infinity;
      for (;;) {
        // Dial until the list is done (or a stop), then end the campaign unless numbers were appended meanwhile.
        for (;;) {
          if (run.lost) return;
          if (run.stopRequested || (await this.deps.redis.exists(this.key(run.id, 'stop'))) === 1) {
            run.stopRequested = true;
            break;
          }
          if (run.next >= run.total) run.total = await this.deps.redis.llen(this.key(run.id, 'numbers'));
          if (run.next >= run.total) {
            if (run.inFlight.size === 0) break;
            await wait(this.pollMs);
            continue;
          }
          if (run.inFlight.size >= settings.maxConcurrent) {
            await wait(this.pollMs);
            continue;
          }
          const due = lastStart + interval - this.clock.now();
          if (due > 0) {
            await wait(due); // a stop or a shutdown cuts the wait short
            continue;
          }
          const index = run.next;
          const number = await this.numberAt(run, index);
          const uuid = randomUUID();
          let dialString = calloutDialString(settings, number);
          let lease: LineLease | undefined;
          if (settings.linegroup !== undefined) {
            try {
              const resolved = await this.resolver().resolveLinegroupDialString(dialString, { callUuid: uuid });
              dialString = resolved.dialString;
              lease = resolved.lease;
            } catch (error) {
              if (error instanceof FreectiError && error.key === 'LINEGROUP_NO_LINE') {
                // No line can take a call now (CPS or concurrency): wait and try this number again.
                await wait(Math.max(interval, 50));
                continue;
              }
              await this.record(run, index, { number, outcome: 'failed', cause: (error as Error).message.slice(0, 200), uuid, at: this.clock.now() }, true);
              run.next = index + 1;
              continue;
            }
          }
          lastStart = this.clock.now();
          let marked: unknown;
          try {
            marked = await runScript(this.deps.redis, 'callout-dial', [this.key(run.id, 'runner'), this.key(run.id), this.key(run.id, 'dialing')], [run.token, index, JSON.stringify({ uuid, number, dialledAt: lastStart })]);
          } catch (error) {
            // Redis did not take the mark: nothing was dialled, so the line slot goes back (the resolver would renew it for ever).
            if (lease !== undefined) await this.resolver().release(lease, { cause: 'ORIGINATOR_CANCEL' }, { callUuid: uuid }).catch(() => undefined);
            throw error;
          }
          if (Number(marked) !== 1) {
            if (lease !== undefined) await this.resolver().release(lease, { cause: 'ORIGINATOR_CANCEL' }, { callUuid: uuid }).catch(() => undefined);
            this.lose(run);
            return;
          }
          run.next = index + 1;
          this.place(run, index, number, uuid, dialString, lease, lastStart);
        }
        if (run.stopRequested) {
          for (const { uuid, node } of run.inFlight.values()) {
            run.killed.add(uuid);
            await node.api('uuid_kill', `${uuid} ORIGINATOR_CANCEL`).catch(() => undefined);
          }
          // Numbers never dialled end `cancelled`: in the outcome list and the counts, not one event each (callout_done carries the counts).
          for (;;) {
            const left = Number(await runScript(this.deps.redis, 'callout-cancel', [this.key(run.id, 'runner'), this.key(run.id), this.key(run.id, 'numbers'), this.key(run.id, 'results')], [run.token, 5000, this.clock.now()]));
            if (left < 0) return this.lose(run);
            if (left === 0) break;
          }
          run.total = await this.deps.redis.llen(this.key(run.id, 'numbers'));
          run.next = run.total;
          while (run.inFlight.size > 0) await wait(this.pollMs);
        }
        const state: CalloutState = run.stopRequested ? 'stopped' : 'done';
        const ended = Number(await runScript(this.deps.redis, 'callout-finish', [this.key(run.id, 'runner'), this.key(run.id), this.key(run.id, 'numbers')], [run.token, state]));
        if (ended === 2) continue; // numbers appended since the last read
        if (ended !== 1) return this.lose(run);
        await this.deps.redis.srem(this.index, run.id);
        await this.deps.redis.del(this.key(run.id, 'stop'));
        const view = await this.get(run.id, { limit: 1 });
        this.push(run, { event: 'callout_done', state, results: view.resultCount, counts: view.counts }, `${run.id}:done`);
        this.log.info({ campaign: run.id, state, results: view.resultCount, counts: view.counts }, 'callout campaign finished');
        return;
      }
    } finally {
      clearInterval(renew);
      await runScript(this.deps.redis, 'lease-release', [this.key(run.id, 'runner')], [run.token]).catch(() => undefined);
    }
  }

  private lose(run: Running): void {
    if (!run.lost) this.log.warn({ campaign: run.id }, 'callout runner lease lost; this instance stops running the campaign');
    run.lost = true;
    run.wake();
  }

  private resolver(): LinegroupResolver {
    if (this.deps.resolver === undefined) throw new FreectiError('BAD_REQUEST', 'line groups are not available on this instance');
    return this.deps.resolver;
  }

  /** Dials one number in the background; its outcome is recorded, its line slot settled on every path. */
  private place(run: Running, index: number, number: string, uuid: string, dialString: string, lease: LineLease | undefined, dialledAt: number): void {
    const release = async (cause: string): Promise<void> => {
      if (lease !== undefined) await this.resolver().release(lease, { cause }, { callUuid: uuid });
    };
    const work = async (): Promise<void> => {
      let node: FsNode | undefined;
      let text: string;
      let sent = false;
      try {
        node = this.deps.pool.get();
        run.inFlight.set(String(index), { uuid, node });
        const args = calloutOriginateArgs(this.deps.policy, run.id, run.settings, uuid, number, dialString, this.deps.socket);
        const job = await node.bgapi('originate', args);
        sent = true;
        text = await job.wait({ timeoutMs: (run.settings.ringSec + 30) * 1000 });
      } catch (error) {
        // The originate went out but its result never came (a timeout, a lost connection): the call may still ring or
        // talk on FreeSWITCH, so it is ended before its line slot goes back.
        if (sent && node !== undefined) await node.api('uuid_kill', `${uuid} ORIGINATOR_CANCEL`).catch(() => undefined);
        await release('ORIGINATOR_CANCEL').catch(() => undefined);
        this.log.warn({ campaign: run.id, number, uuid, err: (error as Error).message }, 'callout originate got no result');
        return this.record(run, index, { number, outcome: 'failed', cause: error instanceof FreectiError ? error.key : 'ORIGINATE_ERROR', uuid, dialledAt, at: this.clock.now() }, false);
      }
      if (isFsError(text)) {
        const cause = failureCause(text);
        await release(cause).catch(() => undefined);
        return this.record(run, index, { number, outcome: run.killed.has(uuid) ? 'cancelled' : outcomeOf(cause), cause, uuid, dialledAt, at: this.clock.now() }, false);
      }
      // Answered: the line stays held while the call lives (released once uuid_exists says it is gone).
      if (lease !== undefined) releaseWhenGone(node, uuid, release);
      return this.record(run, index, { number, outcome: 'answered', uuid, dialledAt, at: this.clock.now() }, false);
    };
    void work()
      .catch((error: unknown) => this.log.error({ campaign: run.id, number, err: error }, 'callout: unexpected failure of one number'))
      .finally(() => {
        run.inFlight.delete(String(index));
        run.wake();
      });
  }

  /**
   * Records number `index`'s outcome (`undialled`: it never rang, `next` moves past it) and
   * pushes its event; a runner that lost its lease writes and pushes nothing.
   */
  private async record(run: Running, index: number, result: CalloutResult, undialled: boolean): Promise<void> {
    if (run.lost) return;
    const position = Number(
      await runScript(
        this.deps.redis,
        'callout-result',
        [this.key(run.id, 'runner'), this.key(run.id), this.key(run.id, 'dialing'), this.key(run.id, 'results')],
        [run.token, index, result.outcome, JSON.stringify(result), undialled ? '1' : '0'],
      ),
    );
    if (position === 0) return this.lose(run);
    this.pushResult(run, result, `${run.id}:${position}:${result.outcome}`);
  }

  private pushResult(run: Running, result: CalloutResult, requestId: string): void {
    const { at, dialledAt: _dialled, ...rest } = result;
    this.push(run, { event: 'callout_result', ...rest, timestamp: String(Math.floor(at / 1000)) }, requestId);
  }

  /**
   * One campaign event: appended to `{freecti:callout}:events` (every instance's WebSocket
   * clients get it from there; commands on one connection keep their order, so the events
   * of a campaign stay in order) and sent to the campaign's webhook.
   */
  private push(run: Running, payload: { event: string } & Record<string, unknown>, requestId: string): void {
    const event: CalloutEvent = { campaign_id: run.id, ...payload };
    this.deps.redis
      .xadd(this.deps.keys.calloutEvents(), 'MAXLEN', '~', this.eventsMaxLen, '*', 'json', JSON.stringify(event))
      .catch((error: unknown) => this.log.warn({ campaign: run.id, event: event.event, err: (error as Error).message }, 'callout event not appended to the event stream'));
    const { eventUrl, eventSecret } = run.settings;
    if (eventUrl === undefined) return;
    this.deps.webhooks.notify({ url: eventUrl, method: 'POST', json: event, requestId, ...(eventSecret === undefined ? {} : { secret: eventSecret }) }, { attempts: 3 });
  }
}

function badRequest(issues: readonly { path: readonly PropertyKey[]; message: string }[]): FreectiError {
  return new FreectiError('BAD_REQUEST', issues.slice(0, 5).map((i) => `${i.path.map(String).join('.') || 'body'}: ${i.message}`).join('; '));
}

function notFound(id: string): FreectiError {
  return new FreectiError('NOT_FOUND', `no callout campaign '${id.slice(0, 64)}'`);
}
