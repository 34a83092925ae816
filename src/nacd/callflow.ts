/**
 * mod_nacd's HTTP callflow (seed 004) on freecti's outbound socket (docs/nacd.md):
 *
 *     <action application="set" data="nacd_group=120"/>
 *     <action application="socket" data="127.0.0.1:8084 async full"/>
 *
 * 1. subscribe like the bridge (the caller's and its agent legs' events, `linger`),
 *    `unset nacd_group`, look the group up (Redis, REST /api/v1/nacd/groups);
 * 2. push `incoming`, POST the seed's EventRequest to the group's callflow URL;
 * 3. run the reply (HTTPResponse): bridge, dtmf, playback, hangup, and freecti's queue
 *    and transfer; dtmf, playback and a failed bridge ask the callflow again with what
 *    happened, in the same call, carrying associate_data;
 * 4. an invalid, late or unreachable reply (or too many requests): the group's fallback
 *    (a prompt and hangup, or a queue), one warn line; the caller is never left in silence.
 * Events (incoming, callout, answered, hangup, canceled, dtmf) go to the event URL
 * without delaying the call (event-push.ts).
 */
import type { EslEvent } from '../esl/event.js';
import { FreectiError, isFreectiError } from '../errors.js';
import { FsPolicy, PolicyRefusal } from '../fs-lang/policy.js';
import type { Logger } from '../logger.js';
import { subscribe, type BridgeChannel, type BridgeDeps } from '../bridge/bridge-call.js';
import { dialPlan } from '../bridge/dial-plan.js';
import { LegTracker } from '../bridge/legs.js';
import { stageOfEvent } from '../bridge/progress.js';
import type { OutboundSession } from '../esl/outbound-session.js';
import { parseSkills, type QueueCallerRequest } from '../acd/calls/index.js';
import { bridgeSetup } from './bridge-action.js';
import type { NacdConfig } from './config-schema.js';
import { EventPush, type PushedEvent } from './event-push.js';
import type { NacdFallback, NacdGroup } from './group-schema.js';
import type { NacdGroupStore } from './group-store.js';
import type { DidInStore, DidOutStore } from './did-store.js';
import { agentIdMedia, checkedMedia } from './media.js';
import { baseRequest, CALLOUT_VARIABLE, type CallState } from './request.js';
import { actionData, parseNacdReply, type NacdReply, type NacdRequest } from './wire.js';
import { DIALED_GROUP } from './nacd-action.js';

export const GROUP_VARIABLE = 'nacd_group';

export type NacdChannel = BridgeChannel & Pick<OutboundSession, 'close'>;

export interface NacdDeps extends BridgeDeps {
  groups: Pick<NacdGroupStore, 'find'>;
  settings: NacdConfig;
  /** Hands this call to the ACD (the `queue` action, a queue fallback); none: no ACD here, the queue is refused. */
  queue?: (request: QueueCallerRequest) => Promise<string>;
  /** The DID tables (nin_did / nout_did, the caller id of a bridge without ad_display_number); none: not used. */
  did?: { in: DidInStore; out: DidOutStore };
}

/** How the call entered (a DID session names its group and number; default: the channel's nacd_group). */
export interface NacdStart {
  group?: string;
  /** middle_number (the DID the call came in on). */
  middleNumber?: string;
  /** Go straight to the fallback with this failure (e.g. a DID with no entry). */
  failure?: FreectiError;
  /** The socket already has the bridge's subscription (a DID session). */
  subscribed?: boolean;
}

/** How a nacd call ended on freecti's side. */
export interface NacdResult {
  outcome: 'hungup' | 'caller-gone' | 'queued' | 'transferred' | 'fallback' | 'handed-back';
  /** Callflow requests made. */
  requests: number;
  /** Why the fallback ran. */
  error?: FreectiError;
}

/** What the callflow is asked next, after a step that continues the call. */
interface Ask {
  event: 'incoming' | 'answered' | 'dtmf' | 'playback' | 'bridge_fail';
  dtmf?: string;
  extra?: Record<string, unknown>;
}

type Step = { ask: Ask } | { done: NacdResult['outcome'] };

const DEFAULT_POLICY = new FsPolicy();
const DIGITS_VARIABLE = 'nacd_dtmf';
const SURVEY_VARIABLE = 'nacd_survey';

export async function runNacd(channel: NacdChannel, deps: NacdDeps, start: NacdStart = {}): Promise<NacdResult> {
  return new NacdCall(channel, deps, start).run();
}

class NacdCall {
  private readonly log: Logger;
  private readonly policy: FsPolicy;
  private readonly legs: LegTracker;
  private readonly abort = new AbortController();
  private readonly call: CallState;
  private group: NacdGroup | null = null;
  private events: EventPush;
  private requests = 0;
  private agentAnswered = false;
  private weHungUp = false;
  /** The caller's leg is answered (the connect reply's Answer-State, then its CHANNEL_ANSWER). */
  private callerAnswered: boolean;
  /** The number of the bridge in progress (callee of its answered event). */
  private dialing: string | undefined;
  /** The call is an answered nwaycallout call (it never rang an agent: its end is `hangup`). */
  private readonly callout: boolean;

  constructor(
    private readonly channel: NacdChannel,
    private readonly deps: NacdDeps,
    private readonly start: NacdStart = {},
  ) {
    const named = start.group ?? channel.channelData.variable(GROUP_VARIABLE) ?? '';
    const group = named === DIALED_GROUP ? (channel.channelData.get('Caller-Destination-Number') ?? '') : named;
    this.call = { uuid: channel.uuid, group, data: {}, ...(start.middleNumber === undefined ? {} : { middle: start.middleNumber }) };
    this.log = deps.logger.child({ component: 'nacd', uuid: channel.uuid, group });
    this.policy = deps.policy ?? DEFAULT_POLICY;
    this.legs = new LegTracker(channel.uuid);
    this.events = new EventPush(deps.webhooks, null, null, 3000);
    this.callerAnswered = channel.answerState === 'answered';
    this.callout = (channel.channelData.variable(CALLOUT_VARIABLE) ?? '') !== '';
  }

  async run(): Promise<NacdResult> {
    const onEvent = (event: EslEvent): void => this.onEvent(event);
    const gone = (): void => this.abort.abort();
    this.channel.on('event', onEvent);
    this.channel.on('disconnect-notice', gone);
    void this.channel.whenEnded().then(gone);
    try {
      return await this.flow();
    } catch (error) {
      if (this.channel.hungUp || this.abort.signal.aborted) {
        this.log.info({ err: (error as Error).message }, 'nacd stopped: the call ended');
        return { outcome: 'caller-gone', requests: this.requests };
      }
      return await this.fallback(isFreectiError(error) ? error : new FreectiError('INTERNAL', (error as Error).message, { cause: error }));
    } finally {
      this.channel.off('event', onEvent);
      this.channel.off('disconnect-notice', gone);
      this.pushEnd();
    }
  }

  private async flow(): Promise<NacdResult> {
    if (this.start.subscribed !== true) await subscribe(this.channel);
    if (this.start.group === undefined) await this.channel.execute('unset', GROUP_VARIABLE);
    if (this.start.failure !== undefined) return this.fallback(this.start.failure);
    try {
      this.group = await this.deps.groups.find(this.call.group);
    } catch (error) {
      return this.fallback(isFreectiError(error) ? error : new FreectiError('INTERNAL', (error as Error).message));
    }
    const group = this.group;
    if (group === null) return this.fallback(new FreectiError('NACD_GROUP_NOT_FOUND', `no nacd group '${this.call.group.slice(0, 64)}'`));
    this.events = new EventPush(this.deps.webhooks, group.eventUrl, group.secret ?? this.deps.settings.secret, group.connectTimeoutMs);
    // An answered nwaycallout call (freecti_callout, src/callout/): the group hears `callout` and
    // `answered` (direction outbound, callee_number the number dialled) and is asked with `answered`.
    let ask: Ask = { event: this.callout ? 'answered' : 'incoming' };
    if (this.callout) {
      this.push('callout');
      this.push('answered');
    } else this.push('incoming');
    for (;;) {
      if (this.requests >= group.maxRequests) return this.fallback(new FreectiError('WEBHOOK_BAD_REPLY', `${group.maxRequests} callflow requests and the call goes on (group maxRequests)`));
      const reply = await this.ask(group, ask);
      if (reply === undefined) return { outcome: 'caller-gone', requests: this.requests };
      if (reply.associate_data !== null) this.call.data = reply.associate_data;
      let step: Step;
      try {
        step = await this.runReply(group, reply);
      } catch (error) {
        if (error instanceof PolicyRefusal) throw new FreectiError('WEBHOOK_BAD_REPLY', `reply refused: ${error.message}`);
        throw error;
      }
      if ('done' in step) return { outcome: step.done, requests: this.requests };
      if (this.channel.hungUp) return { outcome: 'caller-gone', requests: this.requests };
      ask = step.ask;
    }
  }

  /** One callflow request; undefined when the caller hung up meanwhile. Throws the failure. */
  private async ask(group: NacdGroup, ask: Ask): Promise<NacdReply | undefined> {
    this.requests += 1;
    const request: NacdRequest = { ...this.request(), event: ask.event, dtmf: ask.dtmf ?? '' };
    request.additional_data = { ...request.additional_data, ...(ask.extra ?? {}) };
    const secret = group.secret ?? this.deps.settings.secret;
    let data: unknown;
    try {
      ({ data } = await this.deps.webhooks.requestJson({
        url: group.callflowUrl,
        method: 'POST',
        json: request,
        connectTimeoutMs: group.connectTimeoutMs,
        responseTimeoutMs: group.responseTimeoutMs,
        requestId: `${this.call.uuid}:${this.requests}`,
        signal: this.abort.signal,
        ...(secret === null ? {} : { secret }),
      }));
    } catch (error) {
      if (this.abort.signal.aborted || this.channel.hungUp) return undefined;
      throw error;
    }
    const parsed = parseNacdReply(data);
    if (!parsed.ok) throw new FreectiError('WEBHOOK_BAD_REPLY', `callflow reply refused: ${parsed.reason}`);
    this.log.info({ event: ask.event, action: parsed.reply.action, request: this.requests }, 'nacd reply accepted');
    return parsed.reply;
  }

  private async runReply(group: NacdGroup, reply: NacdReply): Promise<Step> {
    switch (reply.action) {
      case 'hangup': {
        const ring = actionData(reply, 'ad_rings');
        if (ring !== '') {
          checkedMedia(this.policy, ring, 'action_data.ad_rings');
          await this.answer();
          await this.exec('playback', ring);
        }
        await this.hangup('NORMAL_CLEARING');
        return { done: 'hungup' };
      }
      case 'playback': {
        const ring = actionData(reply, 'ad_rings');
        if (ring === '') throw new FreectiError('WEBHOOK_BAD_REPLY', 'playback: action_data.ad_rings names no file');
        checkedMedia(this.policy, ring, 'action_data.ad_rings');
        await this.answer();
        await this.exec('playback', ring);
        return { ask: { event: 'playback' } };
      }
      case 'dtmf':
        return this.dtmf(group, reply);
      case 'bridge':
        return this.bridge(group, reply);
      case 'queue': {
        const request = queueRequest(reply);
        if (this.deps.queue === undefined) throw new FreectiError('WEBHOOK_BAD_REPLY', 'queue: the ACD does not run on this instance');
        const outcome = await this.deps.queue(request);
        this.log.info({ queue: request.queue, outcome }, 'nacd call handed to the ACD');
        // An agent of the ACD answered: the call's last event is `hangup`, not `canceled`, pushed when it ends.
        if (outcome === 'bridged') await this.talking();
        return { done: 'queued' };
      }
      case 'transfer': {
        const number = actionData(reply, 'ad_number');
        const context = actionData(reply, 'ad_context') || (this.channel.channelData.get('Caller-Context') ?? 'default');
        const data = `${number} XML ${context}`;
        this.policy.application('transfer', data, { outbound: true }, 'transfer');
        const ring = reply.transfer_ring.trim();
        if (ring !== '') {
          checkedMedia(this.policy, ring, 'transfer_ring');
          await this.answer();
          await this.exec('playback', ring);
        }
        await this.exec('transfer', data);
        return { done: 'transferred' };
      }
    }
  }

  /** `dtmf`: dtmf_audio, dtmf_len digits, dtmf_bad_audio between tries; event dtmf; ask again with the digits. */
  private async dtmf(group: NacdGroup, reply: NacdReply): Promise<Step> {
    const length = reply.dtmf_len;
    if (length < 1) throw new FreectiError('WEBHOOK_BAD_REPLY', 'dtmf: dtmf_len must be 1 or more');
    if (reply.dtmf_audio.trim() === '') throw new FreectiError('WEBHOOK_BAD_REPLY', 'dtmf: dtmf_audio names no file');
    const audio = digitsPrompt(checkedMedia(this.policy, reply.dtmf_audio, 'dtmf_audio'), 'dtmf_audio');
    const bad = reply.dtmf_bad_audio.trim() === '' ? 'silence_stream://250' : digitsPrompt(checkedMedia(this.policy, reply.dtmf_bad_audio, 'dtmf_bad_audio'), 'dtmf_bad_audio');
    await this.answer();
    const digits = await this.collect(length, group.dtmfTries, group.dtmfTimeoutMs, audio, bad, DIGITS_VARIABLE, `\\d{${length}}`);
    this.push('dtmf', { dtmf: digits });
    return { ask: { event: 'dtmf', dtmf: digits } };
  }

  /** play_and_get_digits into `variable` (unset first: FreeSWITCH leaves it alone when every try fails). */
  private async collect(length: number, tries: number, timeoutMs: number, audio: string, bad: string, variable: string, regexp: string): Promise<string> {
    await this.exec('unset', variable);
    const done = await this.exec('play_and_get_digits', `${length} ${length} ${tries} ${timeoutMs} # ${audio} ${bad} ${variable} ${regexp}`);
    return done.variable(variable) ?? '';
  }

  private async bridge(group: NacdGroup, reply: NacdReply): Promise<Step> {
    const setup = await bridgeSetup(reply, {
      policy: this.policy,
      resolver: this.deps.resolver,
      digitSound: this.deps.settings.digitSound,
      defaultTimeoutSec: group.defaultTimeoutSec,
      callerAnswered: this.callerAnswered,
      defaultDisplay: actionData(reply, 'ad_display_number') === '' ? await this.didCallerId() : undefined,
    });
    for (const { app, data } of setup.aLeg) await this.exec(app, data);
    this.dialing = setup.number;
    this.push('callout', { direction: 'outbound', callee_number: setup.number });
    const before = this.agentAnswered;
    this.agentAnswered = false;
    let outcome;
    try {
      outcome = await dialPlan(this.channel, setup.plan, { ...this.deps, legs: this.legs, log: this.log, signal: this.abort.signal, ended: this.channel.whenEnded() });
    } finally {
      this.dialing = undefined;
    }
    if (outcome.answered && !this.agentAnswered) this.push('answered', { direction: 'outbound', callee_number: setup.number });
    this.agentAnswered ||= outcome.answered || before;
    this.log.info({ number: setup.number, cause: outcome.cause, answered: outcome.answered, attempts: outcome.attempts }, 'nacd bridge finished');
    if (this.channel.hungUp) return { done: 'caller-gone' };
    if (outcome.answered) {
      if (reply.use_survey) await this.survey(group, reply);
      await this.hangup('NORMAL_CLEARING');
      return { done: 'hungup' };
    }
    const ring = reply.bridge_fail_ring.trim();
    if (ring !== '') {
      checkedMedia(this.policy, ring, 'bridge_fail_ring');
      await this.answer();
      await this.exec('playback', ring);
    }
    return { ask: { event: 'bridge_fail', extra: { bridge_fail_cause: outcome.cause } } };
  }

  /** The DID-out caller id of the group (nout_did's table), if any. */
  private async didCallerId(): Promise<string | undefined> {
    const entry = await this.deps.did?.out.find(this.call.group).catch(() => null);
    return entry?.callerId;
  }

  /** use_survey: after the agent hung up, the caller rates the call with one key; posted as event dtmf. */
  private async survey(group: NacdGroup, reply: NacdReply): Promise<void> {
    const [prompt = this.deps.settings.surveyPrompt, bad = this.deps.settings.surveyBadPrompt] = reply.survey_ring.filter((f) => f.trim() !== '');
    const audio = digitsPrompt(agentIdMedia(this.policy, prompt, this.deps.settings.digitSound, 'survey_ring[0]'), 'survey_ring[0]');
    const badAudio = digitsPrompt(checkedMedia(this.policy, bad, 'survey_ring[1]'), 'survey_ring[1]');
    const digits = await this.collect(1, group.dtmfTries, group.dtmfTimeoutMs, audio, badAudio, SURVEY_VARIABLE, this.deps.settings.surveyDigits);
    this.log.info({ score: digits }, 'nacd survey');
    if (this.channel.hungUp && digits === '') return;
    this.push('dtmf', { dtmf: digits, additional_data: { ...this.call.data, nacd_survey: true } });
  }

  private async fallback(error: FreectiError): Promise<NacdResult> {
    const fallback: NacdFallback = this.group?.fallback ?? this.deps.settings.fallback;
    const result: NacdResult = { outcome: 'fallback', requests: this.requests, error };
    if (this.channel.hungUp) {
      this.log.info({ code: error.code, err: error.message }, 'nacd: the application failed after the caller hung up');
      return result;
    }
    this.log.warn({ code: error.code, err: error.message, fallback: fallback.type }, `nacd callflow failed: ${error.message}; fallback: ${fallback.type === 'queue' ? `queue ${fallback.queue}` : 'prompt and hangup'}`);
    try {
      if (fallback.type === 'queue' && this.deps.queue !== undefined) {
        const outcome = await this.deps.queue({ queue: fallback.queue, ...(fallback.priority === undefined ? {} : { priority: fallback.priority }) });
        if (outcome === 'bridged') await this.talking();
        if (outcome !== 'refused' && outcome !== 'failed') return result;
      }
      if (this.channel.hungUp) return result;
      const prompt = (fallback.type === 'hangup' ? fallback.prompt : undefined) ?? this.deps.settings.fallbackPrompt;
      checkedMedia(this.policy, prompt, 'fallback prompt');
      await this.answer();
      await this.exec('playback', prompt);
    } catch (failure) {
      this.log.debug({ err: (failure as Error).message }, 'nacd fallback prompt failed');
    }
    await this.hangup('NORMAL_CLEARING').catch(() => undefined);
    return result;
  }

  private onEvent(event: EslEvent): void {
    this.legs.onEvent(event);
    if (event.uuid === this.channel.uuid && event.name === 'CHANNEL_ANSWER') this.callerAnswered = true;
    if (this.legs.aHangupCause !== undefined) this.abort.abort();
    if (this.dialing !== undefined && !this.agentAnswered && stageOfEvent(event, this.channel.uuid) === 'answer') {
      this.agentAnswered = true;
      this.push('answered', { direction: 'outbound', callee_number: this.dialing });
    }
  }

  private request(): NacdRequest {
    return baseRequest(this.channel.channelData, this.call);
  }

  private push(event: PushedEvent, fields: Partial<NacdRequest> = {}): void {
    this.events.push(event, { ...this.request(), ...fields, event });
  }

  /**
   * The ACD bridged the caller to an agent: its entry resolves then, while the two talk.
   * The socket stays the ACD's; the call's `hangup` event waits for the call to end.
   */
  private async talking(): Promise<void> {
    this.agentAnswered = true;
    await this.channel.whenEnded();
  }

  /** The call's last event: `canceled` when the caller hung up before any agent answered, else `hangup`. */
  private pushEnd(): void {
    if (!this.channel.hungUp && !this.weHungUp) return;
    this.push(this.agentAnswered || this.weHungUp || this.callout ? 'hangup' : 'canceled');
  }

  private async answer(): Promise<void> {
    if (this.callerAnswered) return;
    await this.exec('answer', '');
    this.callerAnswered = true;
  }

  private async hangup(cause: string): Promise<void> {
    if (this.channel.hungUp) return;
    this.weHungUp = true;
    await this.channel.hangup(cause);
  }

  /** Runs an application freecti built, checked by the policy like any reply's. */
  private async exec(app: string, data: string): Promise<EslEvent> {
    // bridge_pre_execute_aleg_app/_data: freecti's own `playback` of a file bridgeSetup checked as media.
    const preExecute = (app === 'set' || app === 'unset') && data.startsWith('bridge_pre_execute_aleg_');
    if (!preExecute) this.policy.application(app, data, { outbound: true }, `nacd ${app}`);
    return this.channel.execute(app, data);
  }
}

/**
 * A file for play_and_get_digits, whose arguments are separated by spaces: a file with
 * white space would shift the others (the next word taken as the bad-entry file, the
 * variable name, the regexp), so it is refused like any bad reply field.
 */
function digitsPrompt(file: string, field: string): string {
  if (/\s/.test(file)) throw new FreectiError('WEBHOOK_BAD_REPLY', `${field}: '${file.slice(0, 80)}' holds white space (play_and_get_digits separates its arguments with spaces)`);
  return file;
}

function queueRequest(reply: NacdReply): QueueCallerRequest {
  const queue = actionData(reply, 'ad_queue') || actionData(reply, 'ad_number');
  if (!/^[A-Za-z0-9_.@+-]{1,64}$/.test(queue)) throw new FreectiError('WEBHOOK_BAD_REPLY', `queue: action_data.ad_queue '${queue.slice(0, 64)}' is not a queue name`);
  const priorityText = actionData(reply, 'ad_priority');
  if (priorityText !== '' && (!/^\d{1,3}$/.test(priorityText) || Number(priorityText) > 100)) throw new FreectiError('WEBHOOK_BAD_REPLY', `queue: action_data.ad_priority '${priorityText.slice(0, 20)}' is not 0..100`);
  let skills: Record<string, number> | undefined;
  try {
    skills = parseSkills(actionData(reply, 'ad_skills') || undefined);
  } catch (error) {
    throw new FreectiError('WEBHOOK_BAD_REPLY', `queue: action_data.ad_skills: ${(error as Error).message}`);
  }
  return { queue, ...(priorityText === '' ? {} : { priority: Number(priorityText) }), ...(skills === undefined ? {} : { skills }) };
}
