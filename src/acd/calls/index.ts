/**
 * The ACD's call half on FreeSWITCH (docs/acd.md "Calls on FreeSWITCH"): queue callers on
 * the outbound socket (caller-session.ts), agent legs over the inbound pool
 * (agent-legs.ts), the engine's exits for callers of any instance, and the reaper.
 * Built once by the composition root; `handleQueueSession` is what the routing `queue`
 * action (control mode) and the nacd callflow call with a session they hold.
 */
import type { Logger } from '../../logger.js';
import type { OutboundServer } from '../../esl/outbound-server.js';
import type { OutboundSession } from '../../esl/outbound-session.js';
import type { EslEvent } from '../../esl/event.js';
import type { FsNode, FsPool } from '../../esl/types.js';
import type { FsPolicy } from '../../fs-lang/policy.js';
import type { LinegroupResolver } from '../../linegroups/resolver.js';
import type { AcdApi, CallerExit } from '../types.js';
import { AgentLegs } from './agent-legs.js';
import { parseSkills, QueueCaller, type QueueCallerOutcome, type QueueCallerRequest } from './caller-session.js';
import { ACD_SCOPE, checked } from './commands.js';
import { AcdReaper } from './reaper.js';

export { AgentLegs } from './agent-legs.js';
export { QueueCaller, parseSkills, type QueueCallerOutcome, type QueueCallerRequest } from './caller-session.js';
export { AcdReaper } from './reaper.js';
export { agentLegUuid } from './commands.js';
export { acdCallsConfigSchema, type AcdCallsConfig } from './config.js';

/** How long a digit of a caller without a local socket waits for the instance holding its socket (if any) to act first. */
export const ORPHAN_DIGIT_GRACE_MS = 1000;

export interface AcdCallsDeps {
  engine: AcdApi;
  pool: FsPool;
  policy: FsPolicy;
  logger: Logger;
  resolver?: LinegroupResolver;
  /** Period of the reaper's sweep (ms); 0 = only after node (re)connects. */
  reapIntervalMs: number;
  /** Context of number/group exits that name none (default: the caller's context, else `default`). */
  exitContext?: string;
  sayLanguage?: string;
}

/** True when the dialplan sent this channel to a queue (`set freecti_queue=<queue>`). */
export function isQueueSession(session: Pick<OutboundSession, 'channelData'>): boolean {
  return session.channelData.variable('freecti_queue') !== undefined;
}

export class AcdCalls {
  readonly legs: AgentLegs;
  readonly reaper: AcdReaper;
  private readonly callers = new Map<string, QueueCaller>();
  private readonly stops: (() => void)[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly log: Logger;

  constructor(private readonly deps: AcdCallsDeps) {
    this.log = deps.logger.child({ component: 'acd-calls' });
    this.legs = new AgentLegs(deps);
    this.reaper = new AcdReaper({ ...deps, legs: this.legs, intervalMs: deps.reapIntervalMs });
    this.stops.push(deps.engine.onExit((exit) => void this.onExit(exit)));
    this.reaper.start();
    // Exit keys of callers whose socket no instance holds any more (after a restart): seen on the inbound pool.
    for (const node of deps.pool.nodes) {
      const onEvent = (event: EslEvent): void => {
        if (event.name === 'DTMF') this.onOrphanDigit(node, event);
      };
      node.on('event', onEvent);
      this.stops.push(() => node.off('event', onEvent));
      node.subscribe(['DTMF']).catch((error: unknown) => this.log.warn({ err: error, node: node.name }, 'acd: cannot subscribe to DTMF'));
    }
  }

  /**
   * A digit of a queue caller this instance holds no socket for. Its socket may be on another
   * live instance (which reads the digit itself) or gone with a stopped one: so this waits
   * `ORPHAN_DIGIT_GRACE_MS` and then asks the engine; `callerLeft` finds the caller only once,
   * so the instance that reads the digit first runs the exit, over the inbound connection here.
   */
  private onOrphanDigit(node: FsNode, event: EslEvent): void {
    const uuid = event.uuid;
    const digit = event.get('DTMF-Digit');
    const queueName = event.variable('freecti_queue');
    if (uuid === undefined || digit === undefined || queueName === undefined || this.callers.has(uuid)) return;
    // A bridged caller's digits are for the agent (its events name the other leg, esl-acd observation 3).
    if (event.get('Other-Leg-Unique-ID') !== undefined || event.variable('bridge_uuid') !== undefined) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void (async () => {
        if (this.callers.has(uuid)) return;
        const queue = await this.deps.engine.getQueue(queueName);
        const callback = queue?.callback;
        if (callback?.enabled === true && callback.key === digit) {
          if ((await this.deps.engine.position(uuid)) !== null) await this.orphanCallback(node, uuid, queueName, event.get('Caller-Caller-ID-Number') ?? '', callback.prompt);
          return;
        }
        const exit = queue?.exitKeys[digit];
        // Only a caller still waiting: callerLeft would end a connected call.
        if (exit === undefined || (await this.deps.engine.position(uuid)) === null) return;
        const left = await this.deps.engine.callerLeft(uuid, 'exit-key', digit);
        for (const cancel of left.cancelled) await this.legs.cancel(cancel);
        if (!left.found) return;
        this.log.info({ uuid, digit, queue: queueName }, 'acd: exit key of a caller without a socket; exit over the inbound connection');
        await this.remoteExit(node, { entryId: '', queue: queueName, callUuid: uuid, node: node.name, reason: 'timeout', exit: left.exit ?? exit });
      })().catch((error: unknown) => this.log.error({ err: error, uuid }, 'acd: exit key of a caller without a socket failed'));
    }, ORPHAN_DIGIT_GRACE_MS);
    timer.unref();
    this.timers.add(timer);
  }

  /**
   * The callback key of a caller without a socket: the caller id number comes from the DTMF
   * event's caller profile (`Caller-Caller-ID-Number`, esl-control recordings), the entry
   * becomes a callback (requestCallback finds the caller once), and the caller hears the
   * callback prompt and is hung up over the inbound connection.
   */
  private async orphanCallback(node: FsNode, uuid: string, queueName: string, number: string, prompt: string | null | undefined): Promise<void> {
    if (!/^[0-9*#+]{1,32}$/.test(number)) {
      this.log.info({ uuid, number: number.slice(0, 40) }, 'acd: callback key of a caller without a socket, but its number cannot be called back; it keeps waiting');
      return;
    }
    const taken = await this.deps.engine.requestCallback(uuid, number);
    for (const cancel of taken.cancelled) await this.legs.cancel(cancel);
    if (!taken.ok) return;
    this.log.info({ uuid, queue: queueName, position: taken.position }, 'acd: callback key of a caller without a socket; hung up over the inbound connection');
    const exit = typeof prompt === 'string' ? { type: 'hangup' as const, prompt } : { type: 'hangup' as const };
    await this.remoteExit(node, { entryId: taken.entryId ?? '', queue: queueName, callUuid: uuid, node: node.name, reason: 'timeout', exit });
  }

  /** Queue callers whose outbound socket is on this instance. */
  get localCallers(): number {
    return this.callers.size;
  }

  /** Takes queue sessions (`freecti_queue` set) from the outbound server; returns the detach function. */
  attach(server: Pick<OutboundServer, 'on' | 'off'>): () => void {
    const onSession = (session: OutboundSession): void => {
      if (!isQueueSession(session) || !session.claim('acd')) return;
      void this.handleQueueSession(session);
    };
    server.on('session', onSession);
    return () => server.off('session', onSession);
  }

  /**
   * Runs a queue caller on a session this instance holds. Without `request` the queue,
   * priority and skills come from the channel variables `freecti_queue`,
   * `freecti_queue_priority`, `freecti_queue_skills`. Never throws.
   */
  async handleQueueSession(session: OutboundSession, request?: QueueCallerRequest): Promise<QueueCallerOutcome> {
    const caller = new QueueCaller(session, {
      engine: this.deps.engine,
      legs: this.legs,
      policy: this.deps.policy,
      logger: this.deps.logger,
      node: this.nodeOf(session),
      ...(this.deps.exitContext === undefined ? {} : { exitContext: this.deps.exitContext }),
      ...(this.deps.sayLanguage === undefined ? {} : { sayLanguage: this.deps.sayLanguage }),
    });
    this.callers.set(session.uuid, caller);
    try {
      let wanted: QueueCallerRequest;
      try {
        wanted = request ?? requestFromSession(session);
      } catch (error) {
        this.log.error({ err: error, uuid: session.uuid }, `acd: ${(error as Error).message}; the dialplan goes on`);
        await session.command('resume').catch(() => undefined);
        void session.close();
        return 'refused';
      }
      return await caller.run(wanted);
    } finally {
      this.callers.delete(session.uuid);
    }
  }

  async close(): Promise<void> {
    for (const stop of this.stops.splice(0)) stop();
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.reaper.stop();
    await this.legs.close();
  }

  private nodeOf(session: OutboundSession): string {
    const nodes = this.deps.pool.nodes;
    const named = session.variable('freecti_node');
    if (named !== undefined && nodes.some((n) => n.name === named)) return named;
    if (nodes.length === 1) return (nodes[0] as FsNode).name;
    const host = session.channelData.get('FreeSWITCH-Hostname');
    const ip = session.channelData.get('FreeSWITCH-IPv4');
    const match = nodes.find((n) => n.name === host || n.status.host === host || n.status.host === ip);
    if (match !== undefined) return match.name;
    const first = nodes[0];
    if (first === undefined) throw new Error('no FreeSWITCH node is configured');
    this.log.warn({ uuid: session.uuid, host, ip }, `acd: cannot tell which node this caller is on; assuming '${first.name}' (set freecti_node in the dialplan)`);
    return first.name;
  }

  /** An exit the engine decided (max wait, no agent): by the local session, else over the inbound pool. */
  private async onExit(exit: CallerExit): Promise<void> {
    const local = this.callers.get(exit.callUuid);
    if (local !== undefined && local.waiting) {
      local.exit(exit.exit, exit.reason);
      return;
    }
    try {
      const node = this.deps.pool.get(exit.node);
      await this.remoteExit(node, exit);
    } catch (error) {
      this.log.error({ err: error, uuid: exit.callUuid, exit: exit.exit }, 'acd: exit of a caller on another instance failed');
    }
  }

  private async remoteExit(node: FsNode, exit: CallerExit): Promise<void> {
    const uuid = exit.callUuid;
    const policy = this.deps.policy;
    const to = exit.exit;
    if (to.type === 'queue') {
      const number = await node.api('uuid_getvar', checked(policy, 'uuid_getvar', `${uuid} caller_id_number`));
      const name = await node.api('uuid_getvar', checked(policy, 'uuid_getvar', `${uuid} caller_id_name`));
      const undef = (v: string): string => (v === '_undef_' || v.startsWith('-ERR') ? '' : v);
      await this.deps.engine.enqueue({ queue: to.queue, callUuid: uuid, node: node.name, callerIdNumber: undef(number), callerIdName: undef(name) });
      return;
    }
    let args: string;
    if (to.type === 'hangup') {
      // An inline list is split at commas: a prompt holding one (tone_stream://%(a,b,c)) cannot ride in it.
      if (to.prompt === undefined || to.prompt.includes(',')) {
        if (to.prompt !== undefined) this.log.warn({ uuid, prompt: to.prompt }, 'acd: exit prompt with a comma cannot be played over the inbound connection; hanging up without it');
        await node.api('uuid_kill', checked(policy, 'uuid_kill', uuid));
        return;
      }
      policy.media(to.prompt, 'acd exit prompt');
      args = `${uuid} playback:${to.prompt},hangup:NORMAL_CLEARING inline`;
    } else {
      const target = to.type === 'number' ? to.number : to.group;
      args = `${uuid} ${target} XML ${(to.type === 'number' ? to.context : undefined) ?? this.deps.exitContext ?? 'default'}`;
    }
    const reply = await node.api('uuid_transfer', checked(policy, 'uuid_transfer', args));
    if (!reply.startsWith('+OK')) this.log.warn({ uuid, reply: reply.trim() }, 'acd: exit transfer refused');
  }
}

function requestFromSession(session: OutboundSession): QueueCallerRequest {
  const queue = session.variable('freecti_queue') ?? '';
  if (!/^[A-Za-z0-9_.@-]{1,64}$/.test(queue)) throw new Error(`freecti_queue '${queue.slice(0, 64)}' is not a queue name`);
  const priorityText = session.variable('freecti_queue_priority');
  let priority: number | undefined;
  if (priorityText !== undefined && priorityText !== '') {
    if (!/^\d{1,3}$/.test(priorityText) || Number(priorityText) > 100) throw new Error(`freecti_queue_priority '${priorityText.slice(0, 20)}' is not 0..100`);
    priority = Number(priorityText);
  }
  const skills = parseSkills(session.variable('freecti_queue_skills'));
  return { queue, ...(priority === undefined ? {} : { priority }), ...(skills === undefined ? {} : { skills }) };
}

export { ACD_SCOPE };

/**
 * The composition root's one call (src/service.ts): builds the call half over the service's
 * engine, pool, policy and line groups before the engine starts (so the offers of its first
 * dispatch are not lost); `attach(server)` takes `freecti_queue` sessions once the outbound
 * socket runs; `stop()` stops taking them and settles the work in flight.
 */
export function startAcdCalls(
  deps: Omit<AcdCallsDeps, 'reapIntervalMs' | 'exitContext' | 'sayLanguage'> & { settings: { reapIntervalMs: number; exitContext?: string | undefined; sayLanguage: string } },
): { calls: AcdCalls; attach(server: Pick<OutboundServer, 'on' | 'off'>): void; stop(): Promise<void> } {
  const { settings, ...rest } = deps;
  const calls = new AcdCalls({
    ...rest,
    reapIntervalMs: settings.reapIntervalMs,
    sayLanguage: settings.sayLanguage,
    ...(settings.exitContext === undefined ? {} : { exitContext: settings.exitContext }),
  });
  const detach: (() => void)[] = [];
  return {
    calls,
    attach(server) {
      detach.push(calls.attach(server));
    },
    async stop() {
      for (const off of detach.splice(0)) off();
      await calls.close();
    },
  };
}
