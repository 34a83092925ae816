/**
 * One cti_bridge call on an outbound socket (docs/bridge.md):
 * 1. subscribe the A leg's and its B legs' events (filters on Unique-ID and
 *    Other-Leg-Unique-ID), `linger`;
 * 2. POST `action=request` to the URL of the `cti_bridge` variable, within its timeouts;
 *    a URL outside `bridge.allowedUrls` (allowed-urls.ts) is refused before any request;
 * 3. validate the reply and turn it into a dial string or a hangup (dial-target.ts);
 * 4. `bridge` it (a linegroup target line after line with failover), notifying
 *    ring/progress/answer/hangup when notify_type is 1 (progress.ts);
 * 5. end the A leg with the outcome's cause.
 * The outcome comes from FreeSWITCH's events (the bridge's CHANNEL_EXECUTE_COMPLETE, the
 * legs' CHANNEL_HANGUP_COMPLETE), which may arrive after the linger disconnect-notice: the
 * session keeps reading for them (outbound-session.ts). The caller hanging up (the notice,
 * the A leg's CHANNEL_HANGUP) only stops what has not started yet (the HTTP request, the
 * next line of a group); it never decides the result of a bridge that ran.
 * Every failure ends the call with a documented cause, sets `cti_bridge_error` to the
 * error code and logs one line; nothing here throws.
 */
import type { EslEvent } from '../esl/event.js';
import { FreectiError, isFreectiError } from '../errors.js';
import type { Logger } from '../logger.js';
import { CAUSES, isCauseName } from '../linegroups/hangup-causes.js';
import { NO_LINE_CAUSE } from '../linegroups/resolver.js';
import { AllowedUrls, redactUrl } from './allowed-urls.js';
import { parseBridgeArgs, type BridgeArgs } from './args.js';
import { dialPlan, type DialOutcome, type LegResult } from './dial-plan.js';
import { planDial, type DialOptions, type DialPlan } from './dial-target.js';
import { planWithDidOut } from './did-out-plan.js';
import { LegTracker } from './legs.js';
import { bridgeCounter, type BridgeCallResult } from './metrics.js';
import { ProgressNotifier, stageOfEvent } from './progress.js';
import { parseBridgeReply } from './reply.js';
import { callInfoOf, requestFields, type CallInfo } from './request.js';
import type { BridgeChannel, BridgeDeps } from './bridge-types.js';

export type { BridgeChannel, BridgeDeps } from './bridge-types.js';

const LOOPBACK_ONLY = new AllowedUrls();

/** `caller`: the calling extension (a gateway-less reply dials out through its DID-out route, dial-target.ts). */
function dialOptions(deps: BridgeDeps, caller?: string): DialOptions {
  return { ...(deps.defaultProfile === undefined ? {} : { defaultProfile: deps.defaultProfile }), ...(deps.policy === undefined ? {} : { policy: deps.policy }), ...(caller === undefined ? {} : { caller }) };
}

/** Causes freecti ends a call with when cti_bridge itself fails (docs/bridge.md). */
export const BRIDGE_CAUSES = {
  /** The application was unreachable, too slow, or answered a non-2xx status. */
  requestFailed: 'NORMAL_TEMPORARY_FAILURE',
  /** The reply or the cti_bridge arguments were not valid. */
  invalid: 'INVALID_MSG_UNSPECIFIED',
} as const;

export interface BridgeResult {
  /** The cause the call ended (or continues) with. */
  cause: string;
  answered: boolean;
  error?: FreectiError;
  /**
   * True when the call was given back to the dialplan instead of being hung up
   * (continue_on_fail): the caller closes the socket and FreeSWITCH goes on with the
   * next dialplan action; `cti_bridge_cause` (and `cti_bridge_error`) are set on it.
   */
  continued?: boolean;
  /** Resolves once every progress notification was delivered or given up. */
  notified: Promise<void>;
}

export const BRIDGE_EVENTS = ['CHANNEL_EXECUTE', 'CHANNEL_EXECUTE_COMPLETE', 'CHANNEL_PROGRESS', 'CHANNEL_PROGRESS_MEDIA', 'CHANNEL_ANSWER', 'CHANNEL_HANGUP', 'CHANNEL_HANGUP_COMPLETE'];

/** What to do, when not read from the channel variables `cti_bridge` / `cti_dial`. */
export interface BridgeRequest {
  /** `<url> [connect_timeout] [response_timeout] [notify_type]`. */
  bridge?: string;
  /** A fixed dial string (used only without `bridge`). */
  dial?: string;
  /**
   * nacd's nbridge (docs/nacd.md "nbridge"): a fixed dial string like `dial` (used only without
   * `bridge`, before `dial`), whose `nout/` legs a routing reply may name; the DID-out below
   * routes them and shows the calling extension's caller id, as for every plan.
   */
  nbridge?: string;
  /** The session already has the bridge's subscription (`subscribe`), e.g. a cti_curl session: not sent again. */
  subscribed?: boolean;
}

export async function runBridge(channel: BridgeChannel, deps: BridgeDeps, request: BridgeRequest = {}): Promise<BridgeResult> {
  const log = deps.logger.child({ component: 'bridge', uuid: channel.uuid });
  const call = callInfoOf(channel.uuid, channel.channelData);
  const legs = new LegTracker(channel.uuid);
  const ended = channel.whenEnded();
  // Aborted once the caller is gone: stops the HTTP request and further attempts only.
  const abort = new AbortController();
  const callerGone = (): void => abort.abort();
  void ended.then(callerGone);
  channel.on('disconnect-notice', callerGone);
  let notifier: ProgressNotifier | undefined;
  const count = bridgeCounter(deps.registry);
  const finish = (result: Outcome, kind: BridgeCallResult, last?: LegResult): BridgeResult => {
    count(kind);
    return done(notifier, legs, result, last);
  };
  const onEvent = (event: EslEvent): void => {
    legs.onEvent(event);
    if (legs.aHangupCause !== undefined) callerGone();
    const stage = stageOfEvent(event, channel.uuid);
    if (stage !== undefined) notifier?.push(stage, { b_uuid: event.uuid ?? '' });
  };
  channel.on('event', onEvent);
  // continue_on_fail: the option word of cti_bridge, else the channel's own variable (as FreeSWITCH's bridge reads it).
  let continuesOn = channelContinues(channel.channelData.variable('continue_on_fail'));
  let setOnChannel = false;
  const giveBack = async (outcome: Outcome): Promise<Outcome> => {
    log.info({ cause: outcome.cause, code: outcome.error?.code }, `cti_bridge did not connect (${outcome.cause}); continue_on_fail: the dialplan goes on`);
    await channel.execute('set', `cti_bridge_cause=${outcome.cause}`).catch(() => undefined);
    return { ...outcome, continued: true };
  };
  const failed = async (error: unknown, cause: string): Promise<Outcome> => {
    if (continuesOn(cause) && !channel.hungUp) return giveBack(await fail(channel, log, error, cause, false));
    return fail(channel, log, error, cause);
  };
  try {
    if (request.subscribed !== true) await subscribe(channel);
    let plan: DialPlan;
    const fromRequest = request.bridge !== undefined || request.dial !== undefined || request.nbridge !== undefined;
    const bridgeArg = request.bridge ?? (fromRequest ? undefined : channel.channelData.variable('cti_bridge'));
    const nbridge = request.nbridge ?? (fromRequest || bridgeArg !== undefined ? undefined : channel.channelData.variable('cti_nbridge'));
    const staticDial = request.dial ?? channel.channelData.variable('cti_dial');
    if (bridgeArg === undefined && (nbridge !== undefined || staticDial !== undefined)) {
      // `cti_dial`: a fixed dial string (e.g. a routing reply's `bridge linegroup/...`), no HTTP;
      // `cti_nbridge`: the same with the calling extension's DID-out (docs/nacd.md "nbridge").
      try {
        plan = planDial({ dial: { type: 'dialstring', dialstring: nbridge ?? staticDial ?? '' } }, dialOptions(deps));
      } catch (error) {
        return finish(await failed(error, BRIDGE_CAUSES.invalid), 'bad_reply');
      }
    } else {
      let args: BridgeArgs;
      try {
        args = parseBridgeArgs(bridgeArg);
        if (args.continueOnFail !== undefined) {
          continuesOn = () => args.continueOnFail === true;
          setOnChannel = args.continueOnFail;
        }
        assertAllowedUrl(args.url, deps.allowedUrls ?? LOOPBACK_ONLY);
      } catch (error) {
        return finish(await failed(error, BRIDGE_CAUSES.invalid), 'bad_reply');
      }
      if (args.notify) notifier = new ProgressNotifier({ webhooks: deps.webhooks, url: args.url, method: args.method, connectTimeoutMs: args.connectTimeoutMs, responseTimeoutMs: args.responseTimeoutMs, call, logger: log });
      try {
        plan = await requestPlan(channel, deps, args, call, abort.signal);
      } catch (error) {
        if (abort.signal.aborted) return finish({ cause: legs.aHangupCause ?? 'ORIGINATOR_CANCEL', answered: false }, 'caller_gone');
        const unreachable = isFreectiError(error) && error.key.startsWith('WEBHOOK_') && error.key !== 'WEBHOOK_BAD_REPLY';
        return finish(await failed(error, unreachable ? BRIDGE_CAUSES.requestFailed : BRIDGE_CAUSES.invalid), unreachable ? 'request_failed' : 'bad_reply');
      }
      log.info({ url: args.url }, 'cti_bridge reply accepted');
    }
    try {
      // DID-out (did-out-plan.ts): nout/ legs' routes, the calling extension's caller id.
      plan = await planWithDidOut(plan, channel.channelData.get('Caller-Caller-ID-Number') ?? '', deps, log);
    } catch (error) {
      if (!isFreectiError(error, 'BRIDGE_BAD_REPLY')) log.warn({ err: (error as Error).message }, 'cti_bridge: DID-out failed');
      return finish(await failed(error, isFreectiError(error, 'BRIDGE_BAD_REPLY') ? BRIDGE_CAUSES.invalid : BRIDGE_CAUSES.requestFailed), 'bad_reply');
    }
    let outcome: DialOutcome;
    try {
      // FreeSWITCH's bridge hangs the caller up on failure unless continue_on_fail is on the channel.
      if (setOnChannel && plan.kind !== 'hangup') await channel.execute('set', 'continue_on_fail=true');
      outcome = await dialPlan(channel, plan, { ...deps, legs, log, signal: abort.signal, ended });
    } catch (error) {
      if (!isFreectiError(error)) throw error;
      const noLine = isFreectiError(error, 'LINEGROUP_NO_LINE');
      return finish(await failed(error, noLine ? NO_LINE_CAUSE : BRIDGE_CAUSES.invalid), noLine ? 'no_line' : 'bad_reply');
    }
    let result: Outcome = { cause: outcome.cause, answered: outcome.answered };
    if (!outcome.answered && plan.kind !== 'hangup' && !channel.hungUp && continuesOn(outcome.cause)) result = await giveBack(result);
    else if (!channel.hungUp) await channel.hangup(toHangupCause(outcome.cause)).catch(() => undefined);
    log.info({ plan: describePlan(plan), cause: outcome.cause, answered: outcome.answered, attempts: outcome.attempts }, 'cti_bridge call finished');
    // From the outcome, not from the hangup: a failed bridge that FreeSWITCH ended by hanging up the caller is not_answered.
    const cancelled = outcome.cause === 'ORIGINATOR_CANCEL' || (outcome.attempts === 0 && abort.signal.aborted);
    const kind: BridgeCallResult = plan.kind === 'hangup' ? 'hangup_reply' : outcome.answered ? 'answered' : cancelled ? 'caller_gone' : 'not_answered';
    return finish(result, kind, outcome.last);
  } catch (error) {
    if (abort.signal.aborted) {
      log.info({ err: (error as Error).message }, 'cti_bridge stopped: the call ended');
      return finish({ cause: legs.aHangupCause ?? 'ORIGINATOR_CANCEL', answered: false }, 'caller_gone');
    }
    log.error({ err: error }, 'cti_bridge failed unexpectedly; hanging up');
    await channel.hangup(BRIDGE_CAUSES.requestFailed).catch(() => undefined);
    return finish({ cause: BRIDGE_CAUSES.requestFailed, answered: false }, 'error');
  } finally {
    channel.off('event', onEvent);
    channel.off('disconnect-notice', callerGone);
  }
}

/** Refuses a URL outside `bridge.allowedUrls` before anything is sent to it (no request, no notification). */
function assertAllowedUrl(url: string, allowed: AllowedUrls): void {
  const verdict = allowed.check(url);
  if (!verdict.allowed) throw new FreectiError('BRIDGE_BAD_ARGS', `cti_bridge URL ${redactUrl(url)} refused: ${verdict.reason}`);
}

/** The bridge's subscription on a call's socket: the A leg's and its B legs' events, and `linger`. */
export async function subscribe(channel: BridgeChannel): Promise<void> {
  await channel.command(`filter Unique-ID ${channel.uuid}`);
  await channel.command(`filter Other-Leg-Unique-ID ${channel.uuid}`);
  await channel.command(`event plain ${BRIDGE_EVENTS.join(' ')}`);
  await channel.linger();
}

async function requestPlan(channel: BridgeChannel, deps: BridgeDeps, args: BridgeArgs, call: CallInfo, signal: AbortSignal): Promise<DialPlan> {
  const { data } = await deps.webhooks.requestJson({
    url: args.url,
    method: args.method,
    ...(args.method === 'GET' ? { query: requestFields(call, channel.channelData) } : { form: requestFields(call, channel.channelData) }),
    connectTimeoutMs: args.connectTimeoutMs,
    responseTimeoutMs: args.responseTimeoutMs,
    requestId: call.uuid,
    signal,
  });
  return planDial(parseBridgeReply(data), dialOptions(deps, channel.channelData.get('Caller-Caller-ID-Number') ?? ''));
}

/** Ends the call for a cti_bridge failure: `cti_bridge_error=<code>`, hangup (unless `hangup` is false), one log line. */
async function fail(channel: BridgeChannel, log: Logger, error: unknown, cause: string, hangup = true): Promise<Outcome> {
  const failure = isFreectiError(error) ? error : new FreectiError('INTERNAL', (error as Error).message, { cause: error });
  log.warn({ code: failure.code, err: failure.message, cause }, `cti_bridge failed: ${failure.message}; ${hangup ? `hanging up with ${cause}` : 'continue_on_fail: giving the call back to the dialplan'}`);
  await channel.execute('set', `cti_bridge_error=${failure.code}`).catch(() => undefined);
  if (hangup) await channel.hangup(cause).catch(() => undefined);
  return { cause, answered: false, error: failure };
}

/**
 * FreeSWITCH's reading of the channel's `continue_on_fail` (mod_dptools): a true value
 * (`true`, `yes`, `on`, `1`...) continues after any failure; otherwise a comma-separated
 * list of the causes to continue on, by name (`USER_BUSY`) or Q.850 number (`17`).
 */
export function channelContinues(value: string | undefined): (cause: string) => boolean {
  if (value === undefined || value.trim() === '') return () => false;
  if (/^\s*(true|yes|on|1|enabled|active|allow)\s*$/i.test(value)) return () => true;
  const listed = new Set(value.split(',').map((item) => item.trim().toUpperCase()).filter((item) => item !== ''));
  return (cause) => listed.has(cause) || (isCauseName(cause) && listed.has(String(CAUSES[cause])));
}

type Outcome = Omit<BridgeResult, 'notified'>;

/** Sends the `hangup` notification (notify_type 1) and completes the result. */
function done(notifier: ProgressNotifier | undefined, legs: LegTracker, result: Outcome, last?: LegResult): BridgeResult {
  if (notifier !== undefined) {
    const fields: Record<string, string> = { cause: result.cause };
    const code = isCauseName(result.cause) ? CAUSES[result.cause] : undefined;
    if (code !== undefined) fields['cause_code'] = String(code);
    if (last?.sipCode !== undefined) fields['sip_code'] = String(last.sipCode);
    const bUuid = last?.bUuid ?? [...legs.bLegs.keys()].at(-1);
    if (bUuid !== undefined) fields['b_uuid'] = bUuid;
    notifier.push('hangup', fields);
  }
  return { ...result, notified: notifier?.drain() ?? Promise.resolve() };
}

function toHangupCause(cause: string): string {
  return isCauseName(cause) ? cause : 'NORMAL_CLEARING';
}

function describePlan(plan: DialPlan): string {
  if (plan.kind === 'hangup') return `hangup ${plan.cause}${plan.sipCode === undefined ? '' : ` (sip ${plan.sipCode})`}`;
  if (plan.kind === 'linegroup') return `linegroup/${plan.target.group}/${plan.target.number}`;
  if (plan.kind === 'contact') return `${plan.number} via the contact of user ${plan.user}`;
  return plan.dialString;
}
