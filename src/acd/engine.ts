/**
 * The ACD engine (docs/acd.md): the typed API (`AcdApi`) over the Redis state that
 * lua/acd-engine-1.lua changes. Every method is one script call, and the script dispatches
 * what the change makes possible before it returns, so an offer goes out in the same
 * round trip as the arrival of a caller or the release of an agent. No polling: the only
 * background work is one timer per instance set to the earliest due time in
 * `{freecti:acd}:timers` (offer leases, max waits, wrap-up ends, tier unlocks), moved
 * earlier by the scripts' replies and by the `{freecti:acd}:wake` channel when another
 * instance adds an earlier one.
 */
import { randomUUID } from 'node:crypto';
import { FreectiError } from '../errors.js';
import type { Keys } from '../keys.js';
import type { Logger } from '../logger.js';
import { runScript, type RedisClient } from '../lua-scripts.js';
import type {
  AcdApi,
  AcdClock,
  AcdEvent,
  AgentConfig,
  AgentState,
  AgentStatus,
  CallerExit,
  EnqueueRequest,
  EnqueueResult,
  ExitDescriptor,
  LeaveReason,
  Offer,
  OfferCancel,
  OfferFailReason,
  QueueConfig,
  WaitingCaller,
} from './types.js';

export const systemClock: AcdClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface AcdEngineOptions {
  redis: RedisClient;
  keys: Keys;
  logger: Logger;
  clock?: AcdClock;
  /**
   * The seed `registrations` hash (full key name, prefix included): an agent whose contact is
   * an extension is offered only while its field is there. null = no check.
   */
  registrationsHash: string | null;
  /** How the registrations hash names a field (config `gui.registration.field`). */
  registrationField: 'extension' | 'extension@domain';
  /** Added to the ring timeout to make an offer's lease. */
  offerGraceSec?: number;
  logMaxLen?: number;
  /** A second connection for the wake channel (subscriber mode); none = timers of other instances are only seen when this instance's own replies carry them. */
  subscriber?: RedisClient;
  /** For the strategy `random` (tests pass a seeded one). */
  random?: () => number;
}

interface ScriptOffer {
  offerId: string;
  token: number;
  queue: string;
  entryId: string;
  uuid: string;
  node: string;
  cidNumber: string;
  cidName: string;
  agent: string;
  agentConfig: string;
  timeoutSec: number;
  expiresAt: number;
  record: string | null;
  callback?: Offer['callback'];
}

interface ScriptReply {
  ok: number;
  err?: string;
  offers: ScriptOffer[] | Record<string, never>;
  /** As the script writes them (`uuid`); `run` turns them into OfferCancel. */
  cancels: (Omit<OfferCancel, 'callUuid'> & { uuid: string })[] | Record<string, never>;
  /** The cancels as OfferCancel (set by `run`). */
  cancelled?: OfferCancel[];
  exits: (Omit<CallerExit, 'callUuid' | 'exit'> & { uuid: string; exit: ExitDescriptor | null })[] | Record<string, never>;
  events: (Omit<AcdEvent, 'callUuid' | 'data'> & { uuid: string; data: Record<string, string> | unknown[] })[] | Record<string, never>;
  more: string[] | Record<string, never>;
  next: number | null;
  [extra: string]: unknown;
}

const list = <T>(v: T[] | Record<string, never> | undefined): T[] => (Array.isArray(v) ? v : []);

const ERRORS: Record<number, 'ACD_STALE_OFFER' | 'ACD_QUEUE_NOT_FOUND' | 'ACD_AGENT_NOT_FOUND' | 'ACD_CALL_NOT_FOUND' | 'BAD_REQUEST' | 'ACD_IN_USE'> = {
  [-1]: 'ACD_STALE_OFFER',
  [-2]: 'ACD_QUEUE_NOT_FOUND',
  [-3]: 'ACD_AGENT_NOT_FOUND',
  [-4]: 'ACD_CALL_NOT_FOUND',
  [-5]: 'BAD_REQUEST',
  [-6]: 'ACD_IN_USE',
};

/** Longest a single setTimeout is armed for; the timer is re-read from Redis after it. */
const MAX_TIMER_MS = 60_000;
const TIMERS_PER_CALL = 200;

export class AcdEngine implements AcdApi {
  readonly keys: Keys;
  private readonly redis: RedisClient;
  private readonly log: Logger;
  readonly clock: AcdClock;
  private readonly grace: number;
  private readonly logMax: number;
  private readonly random: () => number;
  private readonly handlers = {
    offer: new Set<(o: Offer) => void>(),
    cancel: new Set<(c: OfferCancel) => void>(),
    exit: new Set<(e: CallerExit) => void>(),
    event: new Set<(e: AcdEvent) => void>(),
  };
  private timer: { handle: unknown; due: number } | undefined;
  private ticking: Promise<void> | undefined;
  private closed = false;
  private started = false;
  private readonly subscriber: RedisClient | undefined;
  private readonly onWake = (channel: string, message: string): void => {
    if (channel === this.keys.acdWake()) this.scheduleAt(Number(message));
  };

  constructor(private readonly options: AcdEngineOptions) {
    this.redis = options.redis;
    this.keys = options.keys;
    this.log = options.logger;
    this.clock = options.clock ?? systemClock;
    this.grace = (options.offerGraceSec ?? 5) * 1000;
    this.logMax = options.logMaxLen ?? 100_000;
    this.random = options.random ?? Math.random;
    this.subscriber = options.subscriber;
  }

  /** Subscribes to the wake channel and runs the timers already due (a restart picks up where the last instance stopped). */
  async start(): Promise<void> {
    if (this.started || this.closed) return;
    this.started = true;
    if (this.subscriber !== undefined) {
      this.subscriber.on('message', this.onWake);
      await this.subscriber.subscribe(this.keys.acdWake());
    }
    await this.tick();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer.handle);
    this.timer = undefined;
    if (this.subscriber !== undefined) {
      this.subscriber.off('message', this.onWake);
      await this.subscriber.unsubscribe(this.keys.acdWake()).catch(() => undefined);
    }
    await this.ticking?.catch(() => undefined);
  }

  onOffer(handler: (offer: Offer) => void): () => void {
    return this.add(this.handlers.offer, handler);
  }

  onCancel(handler: (cancel: OfferCancel) => void): () => void {
    return this.add(this.handlers.cancel, handler);
  }

  onExit(handler: (exit: CallerExit) => void): () => void {
    return this.add(this.handlers.exit, handler);
  }

  onEvent(handler: (event: AcdEvent) => void): () => void {
    return this.add(this.handlers.event, handler);
  }

  private add<T>(set: Set<T>, handler: T): () => void {
    set.add(handler);
    return () => set.delete(handler);
  }

  // --- calls -------------------------------------------------------------------------

  async enqueue(request: EnqueueRequest): Promise<EnqueueResult> {
    const priority = request.priority ?? 0;
    if (!Number.isInteger(priority) || priority < 0 || priority > 100) throw new FreectiError('BAD_REQUEST', 'priority: an integer 0..100');
    if (request.callUuid === '' || request.node === '') throw new FreectiError('BAD_REQUEST', 'callUuid and node are required');
    const r = await this.run('enqueue', [
      randomUUID(),
      request.callUuid,
      request.node,
      request.callerIdNumber,
      request.callerIdName,
      priority,
      JSON.stringify(request.skills ?? {}),
      request.queue,
    ]);
    if (r.status === 'exit') return { status: 'exit', reason: r.reason as 'full' | 'empty', exit: r.exit as ExitDescriptor };
    return { status: 'queued', entryId: String(r.entryId), position: Number(r.position), resumed: r.resumed === true };
  }

  async offerAnswered(offerId: string, fencingToken: number, agentLegUuid: string, agentNode = ''): Promise<{ ok: boolean; cancelled: OfferCancel[] }> {
    const r = await this.run('accept', [offerId, fencingToken, agentLegUuid, agentNode], { tolerate: [-1] });
    return { ok: r.ok === 1, cancelled: r.cancelled ?? [] };
  }

  async offerFailed(offerId: string, fencingToken: number, reason: OfferFailReason): Promise<boolean> {
    const r = await this.run('fail', [offerId, fencingToken, reason], { tolerate: [-1] });
    return r.ok === 1;
  }

  async callerLeft(callUuid: string, reason: LeaveReason, digit?: string): Promise<{ found: boolean; cancelled: OfferCancel[]; exit: ExitDescriptor | null }> {
    const r = await this.run('leave', [callUuid, reason, digit ?? ''], { tolerate: [-4] });
    return { found: r.ok === 1, cancelled: r.cancelled ?? [], exit: (r.exit as ExitDescriptor | null | undefined) ?? null };
  }

  async requestCallback(callUuid: string, number: string): Promise<{ ok: boolean; entryId: string | null; position: number | null; cancelled: OfferCancel[] }> {
    const r = await this.run('callback', [callUuid, randomUUID(), number], { tolerate: [-4, -5] });
    if (r.ok !== 1) {
      this.log.info({ uuid: callUuid, err: r.err }, 'acd: callback not taken');
      return { ok: false, entryId: null, position: null, cancelled: r.cancelled ?? [] };
    }
    return { ok: true, entryId: String(r.entryId), position: Number(r.position), cancelled: r.cancelled ?? [] };
  }

  async callbackFailed(customerUuid: string, reason: string): Promise<{ found: boolean; dropped: boolean }> {
    const r = await this.run('cb-failed', [customerUuid, randomUUID(), reason], { tolerate: [-4] });
    return { found: r.ok === 1, dropped: r.dropped === true };
  }

  async callEnded(callUuid: string, by: 'caller' | 'agent'): Promise<boolean> {
    const r = await this.run('end', [callUuid, by], { tolerate: [-4] });
    return r.ok === 1;
  }

  async reconcileNode(node: string, liveUuids: ReadonlySet<string>, listedAt = this.clock.now()): Promise<{ callers: number; agents: number; cancelled: OfferCancel[] }> {
    const known = await this.redis.hkeys(this.keys.acdNodeCalls(node));
    const gone = known.filter((uuid) => !liveUuids.has(uuid));
    let callers = 0;
    let agents = 0;
    const cancelled: OfferCancel[] = [];
    for (let i = 0; i < gone.length; i += 500) {
      const r = await this.run('reap', [node, listedAt, ...gone.slice(i, i + 500)]);
      callers += Number(r.callers);
      agents += Number(r.agents);
      cancelled.push(...(r.cancelled ?? []));
    }
    if (callers + agents > 0) this.log.warn({ node, callers, agents }, 'acd: released callers/agents whose call is gone');
    return { callers, agents, cancelled };
  }

  async position(callUuid: string): Promise<number | null> {
    const ref = await this.redis.hget(this.keys.acdUuids(), callUuid);
    if (ref === null || !ref.startsWith('e:')) return null;
    const entryId = ref.slice(2);
    const queue = await this.redis.hget(this.keys.acdEntry(entryId), 'q');
    if (queue === null) return null;
    const rank = await this.redis.zrank(this.keys.acdWaiting(queue), entryId);
    return rank === null ? null : rank + 1;
  }

  /**
   * Estimated wait (s) at `position`: position × average handle time over the last 60
   * minutes ÷ agents serving the queue (logged in, not on break); 0 handled calls → the
   * queue's offer timeout stands in for the handle time. docs/acd.md "Estimated wait".
   */
  async estimateWait(queue: string, position: number): Promise<number> {
    const config = await this.getQueue(queue);
    if (config === null) throw new FreectiError('ACD_QUEUE_NOT_FOUND', `no queue '${queue}'`);
    const now = this.clock.now();
    const minute = Math.floor(now / 60_000);
    const pipe = this.redis.pipeline();
    for (let m = minute - 59; m <= minute; m++) pipe.hmget(this.keys.acdStats('q', queue, 'm', m), 'handled', 'talk', 'wrap');
    const rows = (await pipe.exec()) ?? [];
    let handled = 0;
    let ms = 0;
    for (const [, v] of rows) {
      const [h, t, w] = (v as (string | null)[]) ?? [];
      handled += Number(h ?? 0);
      ms += Number(t ?? 0) + Number(w ?? 0);
    }
    const aht = handled > 0 ? ms / handled / 1000 : config.offerTimeoutSec;
    const agents = await this.agentsServing(queue);
    return Math.round((Math.max(position, 1) * aht) / Math.max(agents, 1));
  }

  private async agentsServing(queue: string): Promise<number> {
    const ids = await this.redis.hkeys(this.keys.acdQueueTiers(queue));
    if (ids.length === 0) return 0;
    const pipe = this.redis.pipeline();
    for (const id of ids) pipe.hget(this.keys.acdAgent(id), 'st');
    const states = ((await pipe.exec()) ?? []).map(([, v]) => v as string | null);
    return states.filter((s) => s !== null && s !== 'logged-out' && s !== 'on-break').length;
  }

  // --- agents and queues -------------------------------------------------------------

  async setAgentState(agent: string, state: 'logged-out' | 'available' | 'on-break', reason = ''): Promise<AgentStatus> {
    if (!['logged-out', 'available', 'on-break'].includes(state)) throw new FreectiError('BAD_REQUEST', 'state: logged-out, available or on-break');
    await this.run('agent-state', [agent, state, state === 'on-break' ? reason : '']);
    const status = await this.agentStatus(agent);
    if (status === null) throw new FreectiError('ACD_AGENT_NOT_FOUND', `no agent '${agent}'`);
    return status;
  }

  async agentStatus(agent: string): Promise<AgentStatus | null> {
    const h = await this.redis.hgetall(this.keys.acdAgent(agent));
    if (h.st === undefined) return null;
    return toStatus(agent, h);
  }

  async getQueue(name: string): Promise<QueueConfig | null> {
    const raw = await this.redis.hget(this.keys.acdQueues(), name);
    return raw === null ? null : (JSON.parse(raw) as QueueConfig);
  }

  async listQueues(): Promise<QueueConfig[]> {
    const all = await this.redis.hgetall(this.keys.acdQueues());
    return Object.values(all).map((raw) => JSON.parse(raw) as QueueConfig).sort((a, b) => a.name.localeCompare(b.name));
  }

  async putQueue(config: QueueConfig): Promise<void> {
    await this.run('put-queue', [config.name, JSON.stringify(config)]);
  }

  async deleteQueue(name: string): Promise<void> {
    await this.run('del-queue', [name]);
  }

  async getAgent(id: string): Promise<AgentConfig | null> {
    const raw = await this.redis.hget(this.keys.acdAgents(), id);
    return raw === null ? null : (JSON.parse(raw) as AgentConfig);
  }

  async listAgents(): Promise<{ config: AgentConfig; status: AgentStatus | null }[]> {
    const all = await this.redis.hgetall(this.keys.acdAgents());
    const configs = Object.values(all).map((raw) => JSON.parse(raw) as AgentConfig).sort((a, b) => a.id.localeCompare(b.id));
    const pipe = this.redis.pipeline();
    for (const c of configs) pipe.hgetall(this.keys.acdAgent(c.id));
    const rows = (await pipe.exec()) ?? [];
    return configs.map((config, i) => {
      const h = (rows[i]?.[1] ?? {}) as Record<string, string>;
      return { config, status: h.st === undefined ? null : toStatus(config.id, h) };
    });
  }

  async putAgent(config: AgentConfig): Promise<void> {
    await this.run('put-agent', [config.id, JSON.stringify(config), this.registrationFieldOf(config)]);
  }

  async deleteAgent(id: string): Promise<void> {
    await this.run('del-agent', [id]);
  }

  async putTier(queue: string, agent: string, level: number, position: number): Promise<void> {
    await this.run('put-tier', [queue, agent, level, position]);
  }

  async deleteTier(queue: string, agent: string): Promise<void> {
    await this.run('del-tier', [queue, agent]);
  }

  async tiers(queue: string): Promise<{ agent: string; level: number; position: number }[]> {
    const all = await this.redis.hgetall(this.keys.acdQueueTiers(queue));
    return Object.entries(all)
      .map(([agent, v]) => {
        const [level = 0, position = 0] = v.split(':').map(Number);
        return { agent, level, position };
      })
      .sort((a, b) => a.level - b.level || a.position - b.position || a.agent.localeCompare(b.agent));
  }

  /** The waiting callers of a queue, in order (offered and connected callers are not in it). */
  async callers(queue: string): Promise<WaitingCaller[]> {
    const waiting = await this.redis.zrange(this.keys.acdWaiting(queue), '0', '-1');
    const pipe = this.redis.pipeline();
    for (const id of waiting) pipe.hgetall(this.keys.acdEntry(id));
    const rows = (await pipe.exec()) ?? [];
    return waiting.map((entryId, i) => toCaller(entryId, (rows[i]?.[1] ?? {}) as Record<string, string>, i + 1));
  }

  private registrationFieldOf(config: AgentConfig): string {
    if (this.options.registrationsHash === null || config.contact.type !== 'extension') return '';
    const { extension, domain } = config.contact;
    return this.options.registrationField === 'extension@domain' && domain !== undefined ? `${extension}@${domain}` : extension;
  }

  // --- timers ------------------------------------------------------------------------

  /** Runs every timer due now (offer leases, exits, wrap-up ends, tier unlocks); the scheduler calls it, tests call it after moving their clock. */
  async tick(): Promise<void> {
    if (this.ticking !== undefined) return this.ticking;
    this.ticking = (async () => {
      try {
        for (;;) {
          const r = await this.run('timers', [TIMERS_PER_CALL]);
          if (Number(r.due) < TIMERS_PER_CALL) break;
        }
      } finally {
        this.ticking = undefined;
      }
    })();
    return this.ticking;
  }

  private scheduleAt(due: number | null): void {
    if (this.closed || !this.started || due === null || !Number.isFinite(due)) return;
    if (this.timer !== undefined && this.timer.due <= due) return;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer.handle);
    const delay = Math.min(Math.max(due - this.clock.now(), 0), MAX_TIMER_MS);
    const handle = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.tick().catch((error: unknown) => {
        this.log.warn({ err: (error as Error).message }, 'acd: timers failed; retrying in 1 s');
        this.scheduleAt(this.clock.now() + 1_000);
      });
    }, delay);
    this.timer = { handle, due: this.clock.now() + delay };
  }

  // --- the script --------------------------------------------------------------------

  private async run(op: string, args: (string | number)[], opts: { tolerate?: number[] } = {}): Promise<ScriptReply> {
    if (this.closed) throw new FreectiError('INTERNAL', 'the ACD engine is closed');
    const seed = 1 + Math.floor(this.random() * 2_147_483_645);
    const raw = await runScript(this.redis, 'acd-engine', [this.keys.acdQueues()], [
      op,
      this.keys.acdTag(),
      this.clock.now(),
      this.options.registrationsHash ?? '',
      seed,
      this.grace,
      this.logMax,
      ...args,
    ]);
    const reply = JSON.parse(String(raw)) as ScriptReply;
    reply.cancelled = list(reply.cancels).map((c) => ({ offerId: c.offerId, agent: c.agent, callUuid: c.uuid, reason: c.reason }));
    this.emit(reply);
    const more = list(reply.more);
    if (more.length > 0) await this.run('dispatch', more);
    if (reply.ok < 0 && !(opts.tolerate ?? []).includes(reply.ok)) {
      throw new FreectiError(ERRORS[reply.ok] ?? 'INTERNAL', reply.err);
    }
    return reply;
  }

  private emit(reply: ScriptReply): void {
    this.scheduleAt(reply.next);
    for (const e of list(reply.events)) {
      const event: AcdEvent = { id: e.id, event: e.event, time: e.time, queue: e.queue, callUuid: e.uuid, agent: e.agent, data: Array.isArray(e.data) ? {} : e.data };
      this.fire(this.handlers.event, event);
    }
    for (const c of reply.cancelled ?? []) this.fire(this.handlers.cancel, c);
    for (const x of list(reply.exits)) {
      this.fire(this.handlers.exit, { entryId: x.entryId, queue: x.queue, callUuid: x.uuid, node: x.node, reason: x.reason, exit: x.exit ?? { type: 'hangup' } });
    }
    for (const o of list(reply.offers)) {
      const agent = JSON.parse(o.agentConfig) as AgentConfig;
      this.fire(this.handlers.offer, {
        offerId: o.offerId,
        fencingToken: o.token,
        queue: o.queue,
        entryId: o.entryId,
        callUuid: o.uuid,
        node: o.node,
        callerIdNumber: o.cidNumber,
        callerIdName: o.cidName,
        agent: o.agent,
        contact: agent.contact,
        timeoutSec: o.timeoutSec,
        expiresAt: o.expiresAt,
        recordTemplate: o.record ?? null,
        ...(o.callback === undefined ? {} : { callback: o.callback }),
      });
    }
  }

  private fire<T>(set: Set<(v: T) => void>, value: T): void {
    for (const handler of set) {
      try {
        handler(value);
      } catch (error) {
        this.log.error({ err: (error as Error).message }, 'acd: an event handler threw');
      }
    }
  }
}

function toStatus(id: string, h: Record<string, string>): AgentStatus {
  return {
    id,
    state: (h.st ?? 'logged-out') as AgentState,
    reason: h.rs !== undefined && h.rs !== '' ? h.rs : null,
    since: Number(h.since ?? 0),
    readyAt: Number(h.ready ?? 0),
    idleSince: Number(h.idle ?? 0),
    calls: Number(h.calls ?? 0),
    talkMs: Number(h.talk ?? 0),
    noAnswers: Number(h.na ?? 0),
    offerId: h.offer !== undefined && h.offer !== '' ? h.offer : null,
    callUuid: h.call !== undefined && h.call !== '' ? h.call : null,
  };
}

function toCaller(entryId: string, h: Record<string, string>, position: number | null): WaitingCaller {
  return {
    entryId,
    queue: h.q ?? '',
    callUuid: h.uuid ?? '',
    node: h.node ?? '',
    callerIdNumber: h.cidn ?? '',
    callerIdName: h.cida ?? '',
    priority: Number(h.pri ?? 0),
    joinedAt: Number(h.joined ?? 0),
    state: (h.st ?? 'waiting') as WaitingCaller['state'],
    position: h.st === 'waiting' ? position : null,
    agent: h.agent !== undefined && h.agent !== '' ? h.agent : null,
    ...(h.cb !== undefined && h.cb !== '' ? { callbackNumber: h.cb } : {}),
  };
}
