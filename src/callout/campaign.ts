/**
 * Outbound campaigns (`nwaycallout`, docs/nacd.md "nwaycallout"): dial a list of numbers
 * at `ratePerSec`, at most `maxConcurrent` at once, each through a line of a line group
 * (the resolver's CPS and concurrency limits; a refused slot waits and retries, it is not
 * a failure) or a gateway; an answered call is handed to a nacd group or an ACD queue
 * (commands.ts); each number's outcome (answered, busy, no-answer, failed with its cause,
 * cancelled) is kept in the campaign and pushed to `eventUrl` as a signed webhook.
 *
 * State lives in Redis (any instance reads it, GET/DELETE work anywhere):
 *   callout:<id>         campaign JSON (CalloutCampaign), written only by its runner
 *                        (lua/callout-save-2.lua checks the runner lease)
 *   callout:<id>:runner  the runner lease: SET NX PX, renewed every leaseMs / 3
 *   callout:<id>:stop    set by DELETE; the runner stops at its next step
 *   callouts             the ids of running campaigns
 * A runner that crashed stops renewing; `sweep` (every leaseMs on each instance) takes
 * the lease of a running campaign nobody holds and goes on from `next`; the numbers the
 * dead runner was dialling end `failed` with cause RUNNER_LOST (their calls may have
 * been answered: their outcome is unknown, they are not dialled twice).
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
import { calloutRequestSchema, type CalloutCampaign, type CalloutOutcome, type CalloutRequest, type CalloutResult } from './schema.js';

/** Time for the runner: `sleep` is a real timer in production, a virtual one in tests. */
export interface CalloutClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: CalloutClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref()),
};

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
  clock?: CalloutClock;
  /** Runner lease time to live (default 15 s); renewed every third of it, swept every leaseMs. */
  leaseMs?: number;
  /** Longest wait between two checks of the stop flag while calls are in flight (default 1 s). */
  pollMs?: number;
}

const BUSY = new Set(['USER_BUSY']);
const NO_ANSWER = new Set(['NO_ANSWER', 'NO_USER_RESPONSE', 'ALLOTTED_TIMEOUT', 'PROGRESS_TIMEOUT', 'RECOVERY_ON_TIMER_EXPIRE']);
const CANCELLED = new Set(['ORIGINATOR_CANCEL', 'MANAGER_REQUEST']);

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
  campaign: CalloutCampaign;
  inFlight: Map<string, { uuid: string; node: FsNode }>;
  /** Calls this runner hung up on a stop: whatever FreeSWITCH answers, they end `cancelled`. */
  killed: Set<string>;
  lost: boolean;
  stopRequested: boolean;
  wake: () => void;
  done: Promise<void>;
}

export class CalloutService {
  private readonly log: Logger;
  private readonly clock: CalloutClock;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly running = new Map<string, Running>();
  private sweepTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly deps: CalloutDeps) {
    this.log = deps.logger.child({ component: 'callout' });
    this.clock = deps.clock ?? realClock;
    this.leaseMs = deps.leaseMs ?? 15_000;
    this.pollMs = deps.pollMs ?? 1000;
  }

  private key(id: string, part?: string): string {
    return part === undefined ? this.deps.keys.internal('callout', id) : this.deps.keys.internal('callout', id, part);
  }

  private get index(): string {
    return this.deps.keys.internal('callouts');
  }

  /** Validates, stores and starts a campaign on this instance. */
  async start(body: unknown): Promise<CalloutCampaign> {
    const parsed = calloutRequestSchema.safeParse(body);
    if (!parsed.success) throw new FreectiError('BAD_REQUEST', parsed.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
    const request: CalloutRequest = parsed.data;
    if (request.linegroup !== undefined) {
      if (this.deps.resolver === undefined) throw new FreectiError('BAD_REQUEST', 'line groups are not available on this instance');
      await this.deps.resolver.store.get(request.linegroup); // LINEGROUP_NOT_FOUND now rather than at the first number
    }
    const campaign: CalloutCampaign = { id: randomUUID(), request, state: 'running', createdAt: this.clock.now(), next: 0, dialing: {}, results: [] };
    const token = randomUUID();
    await this.deps.redis.set(this.key(campaign.id, 'runner'), token, 'PX', this.leaseMs);
    await this.deps.redis.set(this.key(campaign.id), JSON.stringify(campaign));
    await this.deps.redis.sadd(this.index, campaign.id);
    this.log.info({ campaign: campaign.id, numbers: request.numbers.length, group: request.group, queue: request.queue }, 'callout campaign started');
    this.launch(campaign, token, false);
    return campaign;
  }

  async get(id: string): Promise<CalloutCampaign> {
    const local = this.running.get(id);
    if (local !== undefined) return local.campaign;
    const text = /^[0-9a-f-]{36}$/.test(id) ? await this.deps.redis.get(this.key(id)) : null;
    if (text === null) throw new FreectiError('NOT_FOUND', `no callout campaign '${id.slice(0, 64)}'`);
    return JSON.parse(text) as CalloutCampaign;
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
      const text = await this.deps.redis.get(this.key(id));
      const campaign = text === null ? null : (JSON.parse(text) as CalloutCampaign);
      if (campaign === null || campaign.state !== 'running') {
        await this.deps.redis.srem(this.index, id);
        await runScript(this.deps.redis, 'lease-release', [this.key(id, 'runner')], [token]);
        continue;
      }
      this.log.warn({ campaign: id, next: campaign.next, dialing: Object.keys(campaign.dialing).length }, 'callout campaign without a runner taken over');
      this.launch(campaign, token, true);
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

  private launch(campaign: CalloutCampaign, token: string, takeover: boolean): void {
    let wake: () => void = () => undefined;
    const run: Running = { id: campaign.id, token, campaign, inFlight: new Map(), killed: new Set(), lost: false, stopRequested: false, wake: () => wake(), done: Promise.resolve() };
    const signal = { set: (fn: () => void) => (wake = fn) };
    this.running.set(campaign.id, run);
    run.done = this.runCampaign(run, takeover, signal)
      .catch((error: unknown) => this.log.error({ campaign: campaign.id, err: error }, 'callout runner failed; another instance takes the campaign over after its lease'))
      .finally(() => this.running.delete(campaign.id));
  }

  private async runCampaign(run: Running, takeover: boolean, signal: { set(fn: () => void): void }): Promise<void> {
    const { campaign } = run;
    const request = campaign.request;
    const interval = 1000 / request.ratePerSec;
    const renew = setInterval(() => {
      void runScript(this.deps.redis, 'lease-renew', [this.key(run.id, 'runner')], [run.token, this.leaseMs])
        .then((held) => {
          if (Number(held) !== 1) {
            run.lost = true;
            run.wake();
          }
        })
        .catch((error: unknown) => this.log.warn({ campaign: run.id, err: (error as Error).message }, 'cannot renew the callout runner lease'));
    }, Math.max(50, Math.floor(this.leaseMs / 3)));
    renew.unref();
    // Wakes the loop when a call ends or a stop arrives; a wait also ends after pollMs (a stop set on another instance).
    const wait = async (ms: number): Promise<void> => {
      await Promise.race([new Promise<void>((resolve) => signal.set(resolve)), this.clock.sleep(ms)]);
    };
    try {
      if (takeover) {
        for (const [index, uuid] of Object.entries(campaign.dialing)) {
          this.record(run, { number: request.numbers[Number(index)] ?? '', outcome: 'failed', cause: 'RUNNER_LOST', uuid, at: this.clock.now() });
        }
        campaign.dialing = {};
        await this.save(run);
      }
      let lastStart = -Infinity;
      for (;;) {
        if (run.lost) return;
        if (run.stopRequested || (await this.deps.redis.exists(this.key(run.id, 'stop'))) === 1) {
          run.stopRequested = true;
          break;
        }
        if (campaign.next >= request.numbers.length) {
          if (run.inFlight.size === 0) break;
          await wait(this.pollMs);
          continue;
        }
        if (run.inFlight.size >= request.maxConcurrent) {
          await wait(this.pollMs);
          continue;
        }
        const due = lastStart + interval - this.clock.now();
        if (due > 0) {
          await wait(due); // a stop or a shutdown cuts the wait short
          continue;
        }
        const index = campaign.next;
        const number = request.numbers[index] ?? '';
        const uuid = randomUUID();
        let dialString = calloutDialString(request, number);
        let lease: LineLease | undefined;
        if (request.linegroup !== undefined) {
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
            this.record(run, { number, outcome: 'failed', cause: (error as Error).message.slice(0, 200), uuid, at: this.clock.now() });
            campaign.next += 1;
            await this.save(run);
            continue;
          }
        }
        campaign.next += 1;
        campaign.dialing[String(index)] = uuid;
        lastStart = this.clock.now();
        await this.save(run);
        this.place(run, index, number, uuid, dialString, lease, lastStart);
      }
      if (run.stopRequested) {
        for (const { uuid, node } of run.inFlight.values()) {
          run.killed.add(uuid);
          await node.api('uuid_kill', `${uuid} ORIGINATOR_CANCEL`).catch(() => undefined);
        }
        for (let i = campaign.next; i < request.numbers.length; i += 1) {
          this.record(run, { number: request.numbers[i] ?? '', outcome: 'cancelled', uuid: '', at: this.clock.now() });
        }
        campaign.next = request.numbers.length;
        while (run.inFlight.size > 0) await wait(this.pollMs);
      }
      campaign.state = run.stopRequested ? 'stopped' : 'done';
      if (await this.save(run)) {
        await this.deps.redis.srem(this.index, run.id);
        await this.deps.redis.del(this.key(run.id, 'stop'));
        this.push(run, { event: 'callout_done', state: campaign.state, results: campaign.results.length }, `${run.id}:done`);
        this.log.info({ campaign: run.id, state: campaign.state, results: campaign.results.length }, 'callout campaign finished');
      }
    } finally {
      clearInterval(renew);
      await runScript(this.deps.redis, 'lease-release', [this.key(run.id, 'runner')], [run.token]).catch(() => undefined);
    }
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
      try {
        node = this.deps.pool.get();
        run.inFlight.set(String(index), { uuid, node });
        const args = calloutOriginateArgs(this.deps.policy, run.id, run.campaign.request, uuid, dialString, this.deps.socket);
        const job = await node.bgapi('originate', args);
        text = await job.wait({ timeoutMs: (run.campaign.request.ringSec + 30) * 1000 });
      } catch (error) {
        await release('ORIGINATOR_CANCEL').catch(() => undefined);
        this.log.warn({ campaign: run.id, number, uuid, err: (error as Error).message }, 'callout originate got no result');
        return this.finish(run, index, { number, outcome: 'failed', cause: error instanceof FreectiError ? error.key : 'ORIGINATE_ERROR', uuid, dialledAt, at: this.clock.now() });
      }
      if (isFsError(text)) {
        const cause = failureCause(text);
        await release(cause).catch(() => undefined);
        return this.finish(run, index, { number, outcome: run.killed.has(uuid) ? 'cancelled' : outcomeOf(cause), cause, uuid, dialledAt, at: this.clock.now() });
      }
      // Answered: the line stays held while the call lives (released once uuid_exists says it is gone).
      if (lease !== undefined) releaseWhenGone(node, uuid, release);
      return this.finish(run, index, { number, outcome: 'answered', uuid, dialledAt, at: this.clock.now() });
    };
    void work()
      .catch((error: unknown) => this.log.error({ campaign: run.id, number, err: error }, 'callout: unexpected failure of one number'))
      .finally(() => {
        run.inFlight.delete(String(index));
        run.wake();
      });
  }

  private async finish(run: Running, index: number, result: CalloutResult): Promise<void> {
    delete run.campaign.dialing[String(index)];
    this.record(run, result);
    await this.save(run);
  }

  private record(run: Running, result: CalloutResult): void {
    run.campaign.results.push(result);
    const { at, dialledAt: _dialled, ...rest } = result;
    this.push(run, { event: 'callout_result', ...rest, timestamp: String(Math.floor(at / 1000)) }, `${run.id}:${run.campaign.results.length}:${result.outcome}`);
  }

  private push(run: Running, payload: Record<string, unknown>, requestId: string): void {
    const { eventUrl, eventSecret } = run.campaign.request;
    if (eventUrl === undefined) return;
    this.deps.webhooks.notify(
      { url: eventUrl, method: 'POST', json: { campaign_id: run.id, ...payload }, requestId, ...(eventSecret === undefined ? {} : { secret: eventSecret }) },
      { attempts: 3 },
    );
  }

  /** Writes the campaign when this runner still holds its lease; a runner that lost it stops. */
  private async save(run: Running): Promise<boolean> {
    const written = Number(await runScript(this.deps.redis, 'callout-save', [this.key(run.id, 'runner'), this.key(run.id)], [run.token, JSON.stringify(run.campaign)]));
    if (written !== 1 && !run.lost) {
      run.lost = true;
      this.log.warn({ campaign: run.id }, 'callout runner lease lost; this instance stops running the campaign');
    }
    return written === 1;
  }
}
