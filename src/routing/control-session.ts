/**
 * Live control of one call (`mode: control` routes, docs/routing.md): FreeSWITCH's
 * `socket` application connected the call to freecti's outbound server. Each round asks
 * the route's URL, runs the returned actions one by one (`sendmsg` execute, waiting for
 * each CHANNEL_EXECUTE_COMPLETE) and asks again with the outcome of the last action
 * (`step`, `last_application`, `last_response`, `digits`, `read_result`, `terminator`),
 * until a list with `hangup`, `bridge` or `transfer` has run.
 *
 * Failures (webhook, refused reply, too many steps) close the socket: FreeSWITCH then
 * continues the served dialplan with the route's fallback actions. One log line each,
 * with the call uuid and the reason. A caller hanging up simply ends the session.
 *
 * `bridge` and continue_on_fail (issue 9): freecti sets nothing here. A `bridge` ends the
 * application's list: when it fails, FreeSWITCH hangs the caller up with the bridge's real
 * cause, which is the end wanted. An application that wants to go on after a failed
 * bridge (a second line, an announcement) sends `set continue_on_fail=true` first, as in
 * an XML dialplan; when the caller is still up after the list, freecti hangs up with the
 * last bridge's cause (NORMAL_CLEARING after an answered one).
 *
 * `cti_bridge <args>` and a `bridge` with `linegroup/...` legs (FreeSWITCH knows neither)
 * run here, on the socket this session holds, through the bridge feature (runBridge:
 * the cti_bridge request, line selection with failover). They end the call, unless they
 * gave it back (continue_on_fail): the list then goes on, and after a list without
 * hangup/bridge/transfer the application is asked again with `last_application=cti_bridge`
 * and `last_response=<cause>`.
 */
import type { EslEvent } from '../esl/event.js';
import type { OutboundSession } from '../esl/outbound-session.js';
import type { FreectiError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { WebhookClient, WebhookRequest } from '../webhook/types.js';
import { parseActions } from './reply.js';
import type { DialplanAction, Route } from './route-schema.js';
import { replyScope, webhookRequest } from './router.js';
import { FsPolicy } from '../fs-lang/policy.js';
import { classify, resultFromEvent } from '../linegroups/classify.js';
import { lookupVariable, type Fields } from './variables.js';
import { CALLER_FIELD, setsCallerIdAction, withDidOutBridges } from './did-out.js';
import { runBridge, type BridgeChannel, type BridgeDeps } from '../bridge/bridge-call.js';
import { socketBridgeRequest } from '../bridge/socket-actions.js';
import { parseQueueData, QUEUE_APPLICATION, type QueueCallerRequest } from '../acd/calls/queue-action.js';
import { NACD_APPLICATION, parseNacdData } from '../nacd/nacd-action.js';

/** What the session needs from an outbound socket session. */
export type ControlChannel = BridgeChannel & Pick<OutboundSession, 'myevents' | 'close'>;

const FINAL = new Set(['hangup', 'bridge', 'transfer']);

export interface ControlDeps extends Pick<BridgeDeps, 'resolver' | 'allowedUrls' | 'registry' | 'legHangupWaitMs' | 'didOut'> {
  webhooks: WebhookClient;
  logger: Logger;
  publicContext?: string;
  /** What a reply may make FreeSWITCH run (config `security`); none: the defaults. */
  policy?: FsPolicy;
  /**
   * Runs a `queue <name> [priority]` action: the ACD takes over the session (src/acd/calls).
   * None: a reply with `queue` gives the call back (the route's fallback runs).
   */
  queue?: (session: OutboundSession, request: QueueCallerRequest) => Promise<unknown>;
  /**
   * Runs a `nacd <group>` action: the group's HTTP callflow takes over the session (src/nacd).
   * None: a reply with `nacd` gives the call back (the route's fallback runs).
   */
  nacd?: (session: OutboundSession, group: string) => Promise<unknown>;
}

const DEFAULT_POLICY = new FsPolicy();

/** The channel's headers as request fields (first value of multi-valued variables). */
export function channelFields(event: EslEvent): Map<string, string> {
  const fields = new Map<string, string>();
  for (const [name, value] of Object.entries(event.headers)) fields.set(name, Array.isArray(value) ? (value[0] ?? '') : value);
  return fields;
}

export function collectsDigits(action: DialplanAction): boolean {
  return action.application === 'play_and_get_digits' || action.application === 'read';
}

/** The outcome of one executed action, as sent with the next request. */
export function outcomeOf(step: number, action: DialplanAction, done: EslEvent): Record<string, string> {
  const args = action.data.trim().split(/\s+/);
  const varName = action.application === 'play_and_get_digits' ? args[7] : action.application === 'read' ? args[3] : undefined;
  // Only digit-collecting applications report digits: the variables of an earlier read stay on the channel.
  const collects = collectsDigits(action);
  const readResult = collects ? done.variable('read_result') : undefined;
  const outcome: Record<string, string> = {
    step: String(step),
    last_application: action.application,
    last_response: done.get('Application-Response') ?? '',
    digits: collects ? (done.variable(varName ?? 'digits') ?? '') : '',
    read_result: readResult ?? '',
  };
  // runControlSession unsets read_terminator_used before each read, so a value here is this read's.
  outcome['terminator'] = readResult === undefined ? '' : (done.variable('read_terminator_used') ?? '');
  return outcome;
}

function stepRequest(route: Route, fields: Fields, uuid: string, outcome: Record<string, string>): WebhookRequest {
  const request = webhookRequest(route, fields, uuid);
  if (request.json !== undefined) request.json = { ...(request.json as Record<string, string>), ...outcome };
  else if (request.form !== undefined) request.form = { ...request.form, ...outcome };
  else request.query = outcome;
  return request;
}

export async function runControlSession(session: ControlChannel, route: Route, deps: ControlDeps): Promise<void> {
  const log = deps.logger.child({ component: 'routing-control' });
  const fields = channelFields(session.channelData);
  const uuid = session.uuid;
  const context = lookupVariable(fields, 'context');
  const caller = lookupVariable(fields, CALLER_FIELD);
  // An earlier list set a caller id on the channel: later bridges keep it (did-out.ts).
  let callerIdSet = false;
  const giveBack = async (reason: string, code: string): Promise<void> => {
    log.warn({ uuid, route: route.id, code, reason }, `call ${uuid}: control route '${route.id}' failed (${reason}); FreeSWITCH runs its fallback actions`);
    await session.close();
  };
  try {
    await session.myevents();
    await session.linger();
    let outcome: Record<string, string> = { step: '1' };
    for (let step = 1; step <= route.maxSteps; step += 1) {
      let data: unknown;
      try {
        ({ data } = await deps.webhooks.requestJson(stepRequest(route, fields, uuid, outcome)));
      } catch (error) {
        const failure = error as FreectiError;
        return await giveBack(String(failure.details?.['reason'] ?? failure.message), failure.code);
      }
      const scope = replyScope(route, context ?? deps.publicContext ?? '', deps.publicContext);
      const parsed = parseActions(data, deps.policy ?? DEFAULT_POLICY, scope);
      if (!parsed.ok) return await giveBack(parsed.reason, 'FREECTI_ERR_WEBHOOK_BAD_REPLY');
      // A plain bridge that leaves shows the caller's DID-out caller id, as inline (did-out.ts).
      const actions = await withDidOutBridges(parsed.actions, { caller, lookup: deps.didOut, policy: deps.policy ?? DEFAULT_POLICY, scope, log, uuid, callerIdSet });
      callerIdSet ||= parsed.actions.some(setsCallerIdAction);
      let lastBridge: EslEvent | string | undefined;
      for (const action of actions) {
        if (session.hungUp) return;
        if (action.application === QUEUE_APPLICATION) {
          const request = parseQueueData(action.data);
          if (typeof request === 'string') return await giveBack(request, 'FREECTI_ERR_WEBHOOK_BAD_REPLY');
          if (deps.queue === undefined) return await giveBack('queue: the ACD does not run on this instance', 'FREECTI_ERR_ESL_NOT_CONNECTED');
          // The session is an OutboundSession (control-mode.ts); from here the ACD owns the call.
          await deps.queue(session as unknown as OutboundSession, request);
          return;
        }
        if (action.application === NACD_APPLICATION) {
          const entry = parseNacdData(action.data);
          if (typeof entry === 'string') return await giveBack(entry, 'FREECTI_ERR_WEBHOOK_BAD_REPLY');
          if (deps.nacd === undefined) return await giveBack('nacd: the callflow does not run on this instance', 'FREECTI_ERR_ESL_NOT_CONNECTED');
          // The session is an OutboundSession (control-mode.ts); from here the callflow owns the call.
          await deps.nacd(session as unknown as OutboundSession, entry.group);
          return;
        }
        const viaBridge = socketBridgeRequest(action);
        if (viaBridge !== undefined) {
          const result = await runBridge(session, { ...deps, policy: deps.policy ?? DEFAULT_POLICY }, viaBridge);
          await result.notified;
          if (result.continued !== true || session.hungUp) return;
          outcome = { step: String(step + 1), last_application: action.application, last_response: result.cause, digits: '', read_result: '', terminator: '' };
          lastBridge = result.cause;
          continue;
        }
        // FreeSWITCH never clears read_terminator_used (esl-control obs. 1): clear it so the outcome is this read's.
        if (collectsDigits(action)) await session.execute('unset', 'read_terminator_used');
        const done = await session.execute(action.application, action.data);
        outcome = outcomeOf(step + 1, action, done);
        if (action.application === 'bridge') lastBridge = done;
        if (done.get('Answer-State') === 'hangup' || session.hungUp) return;
      }
      if (parsed.actions.some((a) => FINAL.has(a.application))) {
        const last = parsed.actions[parsed.actions.length - 1];
        const keep = last?.application === 'transfer' || last?.application === 'hangup';
        if (!keep && !session.hungUp) await session.hangup(bridgeCause(lastBridge));
        return;
      }
    }
    await giveBack(`no hangup, bridge or transfer after ${route.maxSteps} requests`, 'FREECTI_ERR_WEBHOOK_BAD_REPLY');
  } catch (error) {
    if (session.hungUp) return; // the caller hung up meanwhile
    log.warn({ uuid, route: route.id, reason: (error as Error).message }, `call ${uuid}: control session failed (${(error as Error).message}); FreeSWITCH runs the fallback actions`);
    await session.close();
  }
}

/** The cause to end the call with after a list whose last bridge left the caller up. */
function bridgeCause(done: EslEvent | string | undefined): string {
  if (done === undefined) return 'NORMAL_CLEARING';
  if (typeof done === 'string') return done;
  const verdict = classify(resultFromEvent(done));
  return verdict.verdict === 'answered' || verdict.cause === 'UNKNOWN' ? 'NORMAL_CLEARING' : verdict.cause;
}
