/**
 * The agent side of the ACD on FreeSWITCH, over the inbound node pool (so it runs on any
 * instance, for callers whose outbound socket is on another instance or gone):
 *
 *   offer → bgapi originate {origination_uuid=<leg>,origination_caller_id_*=<caller>,
 *           originate_timeout=<offer timeout>,park_timeout=20,freecti_acd_*}<contact> &park()
 *   BACKGROUND_JOB `+OK <leg>` (the agent answered) → engine.offerAnswered (fenced)
 *           → uuid_bridge <caller> <leg> (the caller's hold music is cut by the bridge,
 *             esl-acd observation 3) → optional uuid_record <caller> start <path>
 *   `-ERR <cause>` → engine.offerFailed(no-answer | busy | reject | error): next agent
 *   the caller hangs up while the agent rings → engine.callerLeft(abandon) + uuid_kill <leg>
 *   a cancel from the engine (caller left, ring-all answered elsewhere, lease over) → uuid_kill <leg>
 *   after the bridge, either leg hangs up → engine.callEnded(caller, by) (agent to wrap-up);
 *           when the agent left first the caller is hung up too (after a uuid_bridge the
 *           caller would go on with the dialplan after `socket`, esl-acd observation 4).
 *
 * The agent leg is placed on the caller's node (uuid_bridge joins two legs of one node).
 * Nothing here throws to its caller: every failure is logged and reported to the engine.
 */
import type { Logger } from '../../logger.js';
import type { EslEvent } from '../../esl/event.js';
import type { FsNode, FsPool } from '../../esl/types.js';
import type { FsPolicy } from '../../fs-lang/policy.js';
import type { LineLease, LinegroupResolver } from '../../linegroups/resolver.js';
import type { AcdApi, AgentContact, Offer, OfferCancel, OfferFailReason } from '../types.js';
import { agentLegUuid, callbackContact, checked, contactDialString, customerOriginateArgs, errCause, originateArgs, recordPath } from './commands.js';

export interface AgentLegsDeps {
  engine: AcdApi;
  pool: FsPool;
  policy: FsPolicy;
  logger: Logger;
  /** For agents whose contact is a line group; absent: such offers fail with `error`. */
  resolver?: LinegroupResolver;
  now?: () => number;
}

/** Causes of a failed agent originate, by what the engine should do with the agent. */
const BUSY = new Set(['USER_BUSY']);
const REJECT = new Set(['CALL_REJECTED', 'DECLINE']);
const NO_ANSWER = new Set(['NO_ANSWER', 'NO_USER_RESPONSE', 'ALLOTTED_TIMEOUT', 'RECOVERY_ON_TIMER_EXPIRE', 'PROGRESS_TIMEOUT', 'MEDIA_TIMEOUT']);
/** We (or the engine) ended the leg: nothing to report. */
const OURS = new Set(['ORIGINATOR_CANCEL', 'LOSE_RACE', 'MANAGER_REQUEST', 'PICKED_OFF']);

export function failReasonOf(cause: string | undefined): OfferFailReason {
  if (cause === undefined) return 'error';
  if (BUSY.has(cause)) return 'busy';
  if (REJECT.has(cause)) return 'reject';
  if (NO_ANSWER.has(cause)) return 'no-answer';
  return 'error';
}

/** Read through a function: the leg changes across awaits (events set `ended`). */
const agentLeft = (leg: { ended?: 'caller' | 'agent' | undefined }): boolean => leg.ended === 'agent';

type LegState = 'ringing' | 'answered' | 'bridged' | 'done';

interface Leg {
  offer: Offer;
  legUuid: string;
  node: FsNode;
  state: LegState;
  cancelled: boolean;
  lease?: LineLease | undefined;
  /** A leg's hangup seen while its uuid_bridge was in flight (the event can overtake the reply's continuation). */
  ended?: 'caller' | 'agent' | undefined;
  /** When uuid_bridge replied +OK (the reaper only settles legs bridged before its listing). */
  bridgedAt?: number;
  /** A callback: the customer leg is being dialled (its uuid is offer.callUuid). */
  dialling?: boolean;
  /** The line slot of a callback's customer leg (a `linegroup` via). */
  customerLease?: LineLease | undefined;
}

export interface AgentLegCounts {
  offers: number;
  answered: number;
  bridged: number;
  failed: number;
  cancelled: number;
  ended: number;
}

export class AgentLegs {
  private readonly legs = new Map<string, Leg>();
  /** caller uuid → offer ids ringing or bridged for it. */
  private readonly byCaller = new Map<string, Set<string>>();
  /** agent leg uuid → offer id. */
  private readonly byLeg = new Map<string, string>();
  private readonly stops: (() => void)[] = [];
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly pending = new Set<Promise<unknown>>();
  readonly counts: AgentLegCounts = { offers: 0, answered: 0, bridged: 0, failed: 0, cancelled: 0, ended: 0 };
  private closed = false;

  constructor(private readonly deps: AgentLegsDeps) {
    this.log = deps.logger.child({ component: 'acd-agent-legs' });
    this.now = deps.now ?? Date.now;
    this.stops.push(deps.engine.onOffer((offer) => this.track(this.handleOffer(offer))));
    this.stops.push(deps.engine.onCancel((cancel) => this.track(this.cancel(cancel))));
    for (const node of deps.pool.nodes) {
      const onEvent = (event: EslEvent): void => this.onNodeEvent(node, event);
      node.on('event', onEvent);
      this.stops.push(() => node.off('event', onEvent));
      // Subscriptions add up per node (the line-group reaper asks for the same event).
      node.subscribe(['CHANNEL_HANGUP_COMPLETE']).catch((error: unknown) => this.log.warn({ err: error, node: node.name }, 'acd: cannot subscribe to CHANNEL_HANGUP_COMPLETE'));
    }
  }

  /** Offers this instance is ringing or has bridged. */
  get active(): number {
    return this.legs.size;
  }

  /** Stops taking offers; resolves once the work in flight has settled. */
  async close(): Promise<void> {
    this.closed = true;
    for (const stop of this.stops.splice(0)) stop();
    await Promise.allSettled([...this.pending]);
  }

  /** Settles when every offer/cancel in flight has (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  /**
   * Kills the agent legs of withdrawn offers (from callerLeft / offerAnswered / reconcile
   * results, or the engine's cancel events). Works for legs originated by other instances:
   * the leg uuid is derived from the offer id.
   */
  async cancel(cancel: OfferCancel): Promise<void> {
    const leg = this.legs.get(cancel.offerId);
    if (leg !== undefined) {
      if (leg.cancelled || leg.state === 'done') return;
      leg.cancelled = true;
      this.counts.cancelled += 1;
      await this.kill(leg.node, leg.legUuid, `offer ${cancel.offerId} cancelled (${cancel.reason})`);
      return;
    }
    // Not ours: try the node(s). `-ERR No such channel!` where it is not is fine.
    const uuid = agentLegUuid(cancel.offerId);
    await Promise.all(this.readyNodes().map((node) => this.kill(node, uuid, `offer ${cancel.offerId} cancelled (${cancel.reason}), leg of another instance`)));
  }

  /** The caller hung up (seen by its outbound session, by an inbound event or by the reaper): kill its ringing legs. */
  async callerGone(callUuid: string): Promise<void> {
    const ids = this.byCaller.get(callUuid);
    if (ids === undefined) return;
    for (const id of [...ids]) {
      const leg = this.legs.get(id);
      if (leg === undefined) continue;
      if (leg.state === 'bridged') await this.bridgedLegGone(leg, 'caller');
      else if (leg.state === 'answered') leg.ended ??= 'caller'; // answered() settles it once uuid_bridge has replied
      else if (!leg.cancelled && leg.state !== 'done') {
        leg.cancelled = true;
        await this.kill(leg.node, leg.legUuid, `caller ${callUuid} hung up during the offer`);
      }
    }
  }

  /**
   * The reaper's listing of a node: a bridged call of this instance on that node whose agent
   * leg or caller is no longer there ended while its CHANNEL_HANGUP_COMPLETE was lost (the
   * node's connection dropped): it ends here as it would on the event, so the maps of this
   * instance do not keep it for ever. Legs bridged after `listedAt` are left alone.
   */
  async reconcile(node: FsNode, live: ReadonlySet<string>, listedAt: number): Promise<number> {
    let ended = 0;
    for (const leg of [...this.legs.values()]) {
      if (leg.node !== node || leg.state !== 'bridged' || (leg.bridgedAt ?? Infinity) >= listedAt) continue;
      const agentGone = !live.has(leg.legUuid);
      if (!agentGone && live.has(leg.offer.callUuid)) continue;
      ended += 1;
      await this.bridgedLegGone(leg, agentGone ? 'agent' : 'caller');
    }
    return ended;
  }

  private track<T>(work: Promise<T>): void {
    this.pending.add(work);
    void work
      .catch((error: unknown) => this.log.error({ err: error }, 'acd: unexpected failure in agent-leg work'))
      .finally(() => this.pending.delete(work));
  }

  private readyNodes(): FsNode[] {
    return this.deps.pool.nodes.filter((node) => node.status.state === 'ready');
  }

  private async handleOffer(offer: Offer): Promise<void> {
    if (this.closed) return;
    this.counts.offers += 1;
    const log = this.log.child({ offer: offer.offerId, queue: offer.queue, agent: offer.agent, caller: offer.callUuid });
    let node: FsNode;
    try {
      node = this.deps.pool.get(offer.node);
    } catch (error) {
      log.error({ err: error }, `acd offer: caller's node '${offer.node}' is unknown to this instance; offer failed`);
      await this.failed(offer, 'error', log);
      return;
    }
    const leg: Leg = { offer, legUuid: agentLegUuid(offer.offerId), node, state: 'ringing', cancelled: false };
    this.legs.set(offer.offerId, leg);
    this.byLeg.set(leg.legUuid, offer.offerId);
    let ids = this.byCaller.get(offer.callUuid);
    if (ids === undefined) this.byCaller.set(offer.callUuid, (ids = new Set()));
    ids.add(offer.offerId);
    try {
      await this.ring(leg, log);
    } catch (error) {
      log.error({ err: error }, 'acd offer: unexpected failure; offer failed');
      if (leg.state === 'ringing') await this.failed(offer, 'error', log);
      await this.kill(node, leg.legUuid, 'unexpected failure');
      this.forget(leg);
    }
  }

  private async dialString(leg: Leg): Promise<string> {
    const { dialString, lease } = await this.resolveContact(leg.offer.contact, `agent ${leg.offer.agent}`, leg.offer.callUuid);
    leg.lease = lease;
    return dialString;
  }

  /** A contact's dial string: plain, or a line of its line group (the slot comes back as `lease`). */
  private async resolveContact(contact: AgentContact, who: string, callUuid: string): Promise<{ dialString: string; lease?: LineLease }> {
    const plain = contactDialString(contact);
    if (plain !== undefined) return { dialString: plain };
    if (contact.type !== 'linegroup') throw new Error('unknown contact type');
    if (this.deps.resolver === undefined) throw new Error(`${who}: line group '${contact.group}' but line groups are not available`);
    const resolved = await this.deps.resolver.resolveLinegroupDialString(`linegroup/${contact.group}/${contact.number}`, { callUuid });
    return { dialString: resolved.dialString, lease: resolved.lease };
  }

  private async ring(leg: Leg, log: Logger): Promise<void> {
    const { offer, node } = leg;
    let args: string;
    try {
      args = originateArgs(this.deps.policy, offer, await this.dialString(leg));
    } catch (error) {
      log.error({ err: error }, `acd offer: agent ${offer.agent}'s contact cannot be dialled: ${(error as Error).message}`);
      await this.failed(offer, 'error', log);
      this.forget(leg);
      return;
    }
    let body: string;
    try {
      const job = await node.bgapi('originate', args);
      body = await job.wait({ timeoutMs: (offer.timeoutSec + 15) * 1000 });
    } catch (error) {
      // Node lost or no job result: the leg may exist; kill it and let the next agent ring.
      log.warn({ err: error }, 'acd offer: originate got no result; killing the leg, offer failed');
      await this.kill(node, leg.legUuid, 'originate without result');
      if (!leg.cancelled) await this.failed(offer, 'error', log);
      this.forget(leg);
      return;
    }
    if (!body.startsWith('+OK')) {
      const cause = errCause(body);
      log.info({ cause, reply: body.trim().slice(0, 120) }, 'acd offer: agent leg failed');
      this.release(leg, cause, false);
      if (!leg.cancelled && !(cause !== undefined && OURS.has(cause))) await this.failed(offer, failReasonOf(cause), log);
      this.forget(leg);
      return;
    }
    await this.answered(leg, log);
  }

  private async answered(leg: Leg, log: Logger): Promise<void> {
    const { offer, node } = leg;
    leg.state = 'answered';
    this.counts.answered += 1;
    if (leg.cancelled) {
      await this.kill(node, leg.legUuid, 'offer cancelled while the agent answered');
      this.finish(leg);
      return;
    }
    const result = await this.deps.engine.offerAnswered(offer.offerId, offer.fencingToken, leg.legUuid, node.name);
    for (const other of result.cancelled) await this.cancel(other);
    if (!result.ok || leg.cancelled) {
      log.info('acd offer: the engine no longer holds this offer (stale token or cancelled); agent leg killed');
      await this.kill(node, leg.legUuid, 'stale offer');
      this.finish(leg);
      return;
    }
    if (offer.callback !== undefined) {
      await this.callCustomer(leg, log);
      return;
    }
    let reply: string;
    try {
      reply = await node.api('uuid_bridge', checked(this.deps.policy, 'uuid_bridge', `${offer.callUuid} ${leg.legUuid}`));
    } catch (error) {
      // No reply (the node's connection dropped, the command timed out): FreeSWITCH may have
      // bridged the two. Ending the call here would free an agent who is talking (and leave a
      // caller who is not with music and no entry): the call is held as bridged, and its
      // hangup events or the reaper's next listing end it (an unbridged agent leg ends at its
      // park_timeout, and the caller is then hung up, as when an agent leaves).
      log.warn({ err: error, leg: leg.legUuid }, 'acd offer: uuid_bridge got no reply; the call is held as bridged until its legs hang up');
      leg.state = 'bridged';
      leg.bridgedAt = this.now();
      this.counts.bridged += 1;
      if (leg.ended !== undefined) await this.bridgedLegGone(leg, leg.ended);
      return;
    }
    if (!reply.startsWith('+OK')) {
      log.info({ reply: reply.trim().slice(0, 120) }, 'acd offer: uuid_bridge failed (the caller is gone); call ended');
      await this.kill(node, leg.legUuid, 'caller gone before the bridge');
      await this.deps.engine.callEnded(offer.callUuid, 'caller');
      this.counts.ended += 1;
      this.finish(leg);
      return;
    }
    leg.state = 'bridged';
    leg.bridgedAt = this.now();
    this.counts.bridged += 1;
    log.info({ leg: leg.legUuid }, 'acd offer: caller and agent bridged');
    if (leg.ended !== undefined) {
      await this.bridgedLegGone(leg, leg.ended);
      return;
    }
    if (offer.recordTemplate !== null) await this.record(leg, offer.recordTemplate, log);
  }

  /**
   * A callback whose agent answered (the engine holds it connected): the customer is
   * originated on the same node (`&park()`, as the agent), then `uuid_bridge <customer>
   * <agent>` (esl-control park-uuid-bridge recording). Not answered, refused, or the agent
   * left while it rang: the agent leg is hung up and engine.callbackFailed frees the agent and
   * puts the entry back in its place (or drops it once the retries are spent).
   */
  private async callCustomer(leg: Leg, log: Logger): Promise<void> {
    const { offer, node } = leg;
    const callback = offer.callback as NonNullable<Offer['callback']>;
    leg.dialling = true;
    let failure: string | undefined;
    try {
      const { dialString, lease } = await this.resolveContact(callbackContact(callback), `callback of queue ${offer.queue}`, offer.callUuid);
      leg.customerLease = lease;
      const args = customerOriginateArgs(this.deps.policy, offer, dialString);
      if (agentLeft(leg)) failure = 'agent-left';
      else {
        log.info({ attempt: callback.attempt }, 'acd callback: the agent answered; calling the customer');
        const job = await node.bgapi('originate', args);
        const body = await job.wait({ timeoutMs: (callback.ringSec + 15) * 1000 });
        if (!body.startsWith('+OK')) failure = agentLeft(leg) ? 'agent-left' : (errCause(body) ?? 'error');
      }
    } catch (error) {
      log.warn({ err: error }, `acd callback: the customer cannot be called: ${(error as Error).message}`);
      failure = 'error';
      await this.kill(node, offer.callUuid, 'customer leg without a result');
    }
    leg.dialling = false;
    if (failure === undefined && agentLeft(leg)) {
      failure = 'agent-left';
      await this.kill(node, offer.callUuid, 'the agent left before the customer answered');
    }
    if (failure !== undefined) {
      this.releaseCustomer(leg, failure, false);
      log.info({ cause: failure, attempt: callback.attempt }, 'acd callback: the customer was not reached; the entry keeps its place');
      await this.kill(node, leg.legUuid, 'callback not answered');
      try {
        const r = await this.deps.engine.callbackFailed(offer.callUuid, failure);
        if (r.dropped) log.info('acd callback: retries or max age spent; the entry left the queue');
      } catch (error) {
        log.error({ err: error }, 'acd: callbackFailed failed (the reaper settles the agent once its leg is gone)');
      }
      this.counts.failed += 1;
      this.finish(leg);
      return;
    }
    let reply: string;
    try {
      reply = await node.api('uuid_bridge', checked(this.deps.policy, 'uuid_bridge', `${offer.callUuid} ${leg.legUuid}`));
    } catch (error) {
      reply = `-ERR ${(error as Error).message}`;
    }
    if (!reply.startsWith('+OK')) {
      log.info({ reply: reply.trim().slice(0, 120) }, 'acd callback: uuid_bridge failed; call ended');
      await this.kill(node, leg.legUuid, 'callback bridge failed');
      await this.kill(node, offer.callUuid, 'callback bridge failed');
      await this.deps.engine.callEnded(offer.callUuid, leg.ended ?? 'caller');
      this.counts.ended += 1;
      this.releaseCustomer(leg, 'NORMAL_CLEARING', true);
      this.finish(leg);
      return;
    }
    leg.state = 'bridged';
    leg.bridgedAt = this.now();
    leg.ended = undefined; // a hangup of the customer leg seen while it rang belonged to an earlier step
    this.counts.bridged += 1;
    log.info({ leg: leg.legUuid, customer: offer.callUuid }, 'acd callback: agent and customer bridged');
    if (offer.recordTemplate !== null) await this.record(leg, offer.recordTemplate, log);
  }

  private releaseCustomer(leg: Leg, cause: string | undefined, answered: boolean): void {
    const lease = leg.customerLease;
    if (lease === undefined || this.deps.resolver === undefined) return;
    leg.customerLease = undefined;
    this.deps.resolver.release(lease, { cause, answered }).catch((error: unknown) => this.log.warn({ err: error }, 'acd: line slot release failed'));
  }

  private async record(leg: Leg, template: string, log: Logger): Promise<void> {
    const path = recordPath(template, leg.offer, new Date(this.now()));
    try {
      this.deps.policy.recordPath(path, 'acd recording');
      const reply = await leg.node.api('uuid_record', checked(this.deps.policy, 'uuid_record', `${leg.offer.callUuid} start ${path}`));
      if (!reply.startsWith('+OK')) log.warn({ path, reply: reply.trim() }, 'acd recording did not start');
    } catch (error) {
      log.warn({ err: error, path }, `acd recording refused or failed: ${(error as Error).message}`);
    }
  }

  /** Either leg of a bridged call hung up: the call ends once, the other leg is hung up. */
  private async bridgedLegGone(leg: Leg, by: 'caller' | 'agent'): Promise<void> {
    if (leg.state !== 'bridged') return;
    leg.state = 'done';
    this.counts.ended += 1;
    try {
      await this.deps.engine.callEnded(leg.offer.callUuid, by);
    } catch (error) {
      this.log.error({ err: error, caller: leg.offer.callUuid }, 'acd: callEnded failed (the reaper will settle the agent)');
    }
    if (by === 'agent') await this.kill(leg.node, leg.offer.callUuid, 'the agent left the bridged call');
    this.releaseCustomer(leg, 'NORMAL_CLEARING', true);
    this.finish(leg);
  }

  private onNodeEvent(node: FsNode, event: EslEvent): void {
    if (event.name !== 'CHANNEL_HANGUP_COMPLETE') return;
    const uuid = event.uuid;
    if (uuid === undefined) return;
    const offerId = this.byLeg.get(uuid);
    if (offerId !== undefined) {
      const leg = this.legs.get(offerId);
      if (leg === undefined || leg.node !== node) return;
      if (leg.state === 'bridged') this.track(this.bridgedLegGone(leg, 'agent'));
      else if (leg.state === 'answered') {
        leg.ended ??= 'agent';
        // A callback's agent hung up while the customer rings: stop ringing the customer.
        if (leg.dialling === true) this.track(this.kill(node, leg.offer.callUuid, 'the agent left before the customer answered'));
      }
      return;
    }
    if (!this.byCaller.has(uuid)) return;
    const ids = [...(this.byCaller.get(uuid) ?? [])];
    const ringing = ids.some((id) => this.legs.get(id)?.state === 'ringing');
    this.track(
      (async () => {
        if (ringing) {
          const left = await this.deps.engine.callerLeft(uuid, 'abandon');
          for (const cancel of left.cancelled) await this.cancel(cancel);
        }
        await this.callerGone(uuid);
      })().catch((error: unknown) => this.log.error({ err: error, caller: uuid }, 'acd: handling the caller hangup failed')),
    );
  }

  private async failed(offer: Offer, reason: OfferFailReason, log: Logger): Promise<void> {
    this.counts.failed += 1;
    try {
      await this.deps.engine.offerFailed(offer.offerId, offer.fencingToken, reason);
    } catch (error) {
      log.error({ err: error }, 'acd: offerFailed failed (the offer lease runs out instead)');
    }
  }

  private async kill(node: FsNode, uuid: string, why: string): Promise<void> {
    try {
      const reply = await node.api('uuid_kill', checked(this.deps.policy, 'uuid_kill', uuid));
      if (reply.startsWith('+OK')) this.log.debug({ uuid, node: node.name, why }, 'acd: leg killed');
    } catch (error) {
      this.log.warn({ err: error, uuid, node: node.name, why }, 'acd: uuid_kill failed');
    }
  }

  private release(leg: Leg, cause: string | undefined, answered: boolean): void {
    const lease = leg.lease;
    if (lease === undefined || this.deps.resolver === undefined) return;
    leg.lease = undefined;
    this.deps.resolver.release(lease, { cause, answered }).catch((error: unknown) => this.log.warn({ err: error }, 'acd: line slot release failed'));
  }

  private finish(leg: Leg): void {
    leg.state = 'done';
    this.release(leg, 'NORMAL_CLEARING', true);
    this.forget(leg);
  }

  private forget(leg: Leg): void {
    // A line slot still held here (a failure path): given back, saying nothing about the line.
    this.release(leg, undefined, false);
    this.legs.delete(leg.offer.offerId);
    this.byLeg.delete(leg.legUuid);
    const ids = this.byCaller.get(leg.offer.callUuid);
    ids?.delete(leg.offer.offerId);
    if (ids?.size === 0) this.byCaller.delete(leg.offer.callUuid);
  }
}
