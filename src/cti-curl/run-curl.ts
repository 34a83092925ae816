/**
 * mod_cti's `cti_curl` (seed 000) on freecti's outbound socket (docs/cti-curl.md):
 *
 *     <action application="set" data="cti_curl=http://app/route?number=\\\${destination_number}"/>
 *     <action application="socket" data="127.0.0.1:8084 async full"/>
 *
 * 1. subscribe like the bridge (the A leg's and its B legs' events, `linger`), `unset
 *    cti_curl` (the variable stays on the channel otherwise, and a later `socket` of the
 *    same call would look like another cti_curl);
 * 2. expand the URL template with the live channel's variables (`${name}`, url-encoded,
 *    never in the scheme/host/port: src/routing/template.ts), refuse a URL outside
 *    `ctiCurl.allowedUrls`, GET it (the seed's request: the URL and its own query);
 * 3. parse the reply with the routing parser and the one policy (src/routing/reply.ts),
 *    in the public-context scope unless `ctiCurl.allowOutbound`;
 * 4. run the actions one by one (`cti_bridge` and `linegroup/` bridges through the bridge
 *    feature on this socket); a list with `hangup` or `bridge` ends the call (hung up
 *    with the last bridge's cause when the caller is still up), `transfer` leaves it to
 *    its new extension; otherwise the socket is closed and FreeSWITCH goes on with the
 *    dialplan after `socket`.
 * Any failure (bad template, refused URL, unreachable, too slow, non-2xx, not JSON, an
 * action the policy refuses): `cti_curl_error=<code>` on the channel, one warn line, and
 * the call goes back to the dialplan (the actions after `socket`), as when mod_cti's
 * application returned; the caller is never held.
 */
import type { EslEvent } from '../esl/event.js';
import { FreectiError, isFreectiError } from '../errors.js';
import { FsPolicy } from '../fs-lang/policy.js';
import { classify, resultFromEvent } from '../linegroups/classify.js';
import type { Logger } from '../logger.js';
import { parseActions, type DialplanAction } from '../routing/reply.js';
import { checkUrlTemplate, expandTemplate } from '../routing/template.js';
import { lookupVariable } from '../routing/variables.js';
import { channelFields } from '../routing/control-session.js';
import { AllowedUrls, redactUrl } from '../bridge/allowed-urls.js';
import { runBridge, subscribe, type BridgeChannel, type BridgeDeps } from '../bridge/bridge-call.js';
import { socketBridgeRequest } from '../bridge/socket-actions.js';
import { CALLER_FIELD, withDidOutBridges } from '../routing/did-out.js';
import type { OutboundSession } from '../esl/outbound-session.js';
import type { CtiCurlConfig } from './config-schema.js';

export const CURL_VARIABLE = 'cti_curl';

export type CurlChannel = BridgeChannel & Pick<OutboundSession, 'close'>;

export interface CurlDeps extends BridgeDeps {
  /** `ctiCurl` settings; none: the defaults (loopback URLs, public-context scope, 3000 ms timeouts). */
  curl?: Partial<CtiCurlConfig>;
}

/** How a cti_curl call went: `ended` (hung up or transferred by its actions), `handed-back` (the dialplan goes on), `failed` (handed back after a failure). */
export interface CurlResult {
  outcome: 'ended' | 'handed-back' | 'failed';
  actions: DialplanAction[];
  error?: FreectiError;
}

const DEFAULT_POLICY = new FsPolicy();
const ENDS = new Set(['hangup', 'bridge', 'cti_bridge']);

export async function runCurl(channel: CurlChannel, deps: CurlDeps): Promise<CurlResult> {
  const log = deps.logger.child({ component: 'cti_curl', uuid: channel.uuid });
  const template = channel.channelData.variable(CURL_VARIABLE) ?? '';
  const fields = channelFields(channel.channelData);
  const fail = async (error: FreectiError): Promise<CurlResult> => {
    log.warn({ code: error.code, err: error.message }, `cti_curl failed: ${error.message}; the call goes back to the dialplan`);
    if (!channel.hungUp) await channel.execute('set', `cti_curl_error=${error.code}`).catch(() => undefined);
    return { outcome: 'failed', actions: [], error };
  };
  await subscribe(channel);
  await channel.execute('unset', CURL_VARIABLE);
  const problem = /\s/.test(template.trim()) ? 'must be one URL without spaces' : checkUrlTemplate(template.trim());
  if (problem !== undefined) return fail(new FreectiError('BAD_REQUEST', `cti_curl '${template.slice(0, 120)}': ${problem}`));
  const url = expandTemplate(template.trim(), fields);
  const verdict = new AllowedUrls(deps.curl?.allowedUrls).check(url);
  if (!verdict.allowed) return fail(new FreectiError('BAD_REQUEST', `cti_curl URL ${redactUrl(url)} refused: ${verdict.reason}`));
  let data: unknown;
  // The caller hanging up stops the request: nothing is left to run the reply on.
  const abort = new AbortController();
  const callerGone = (): void => abort.abort();
  channel.on('disconnect-notice', callerGone);
  void channel.whenEnded().then(callerGone);
  try {
    ({ data } = await deps.webhooks.requestJson({
      url,
      method: 'GET',
      connectTimeoutMs: deps.curl?.connectTimeoutMs ?? 3000,
      responseTimeoutMs: deps.curl?.responseTimeoutMs ?? 3000,
      requestId: channel.uuid,
      signal: abort.signal,
    }));
  } catch (error) {
    if (channel.hungUp || abort.signal.aborted) {
      log.info('cti_curl stopped: the caller hung up before the reply');
      return { outcome: 'ended', actions: [] };
    }
    return fail(isFreectiError(error) ? error : new FreectiError('INTERNAL', (error as Error).message));
  } finally {
    channel.off('disconnect-notice', callerGone);
  }
  const policy = deps.policy ?? DEFAULT_POLICY;
  const context = lookupVariable(fields, 'context');
  const scope = { outbound: deps.curl?.allowOutbound === true, context };
  const parsed = parseActions(data, policy, scope);
  if (!parsed.ok) return fail(new FreectiError('WEBHOOK_BAD_REPLY', `cti_curl reply refused: ${parsed.reason}`));
  // `queue` is freecti's own action (routing replies, src/acd/calls/queue-action.ts), not an application FreeSWITCH has.
  if (parsed.actions.some((a) => a.application === 'queue')) return fail(new FreectiError('WEBHOOK_BAD_REPLY', "cti_curl reply refused: 'queue' runs only in routing replies"));
  // `nacd` likewise (src/nacd/nacd-action.ts): freecti's own action of routing replies.
  if (parsed.actions.some((a) => a.application === 'nacd')) return fail(new FreectiError('WEBHOOK_BAD_REPLY', "cti_curl reply refused: 'nacd' runs only in routing replies"));
  log.info({ url: redactUrl(url), actions: parsed.actions.length }, 'cti_curl reply accepted');
  // A plain bridge that leaves shows the caller's DID-out caller id, as in routing replies (src/routing/did-out.ts).
  const actions = await withDidOutBridges(parsed.actions, { caller: lookupVariable(fields, CALLER_FIELD), lookup: deps.didOut, policy, scope, log, uuid: channel.uuid });
  return { outcome: await runActions(channel, deps, actions, log), actions };
}

async function runActions(channel: CurlChannel, deps: CurlDeps, actions: readonly DialplanAction[], log: Logger): Promise<CurlResult['outcome']> {
  let lastBridge: string | undefined;
  for (const action of actions) {
    if (channel.hungUp) return 'ended';
    const viaBridge = socketBridgeRequest(action);
    if (viaBridge !== undefined) {
      const result = await runBridge(channel, deps, { ...viaBridge, subscribed: true });
      if (result.continued !== true || channel.hungUp) return 'ended';
      lastBridge = result.cause;
      continue;
    }
    const done: EslEvent = await channel.execute(action.application, action.data);
    if (action.application === 'transfer') return 'ended';
    if (channel.hungUp) return 'ended';
    if (action.application === 'bridge') {
      lastBridge = bridgeCause(done);
      // The bridge ended the call's conversation: what follows in the list cannot run on a hung-up channel.
      if (done.get('Answer-State') === 'hangup') break;
    } else if (done.get('Answer-State') === 'hangup') return 'ended';
  }
  if (!actions.some((a) => ENDS.has(a.application))) return 'handed-back';
  // A list with a bridge ends the call like `hangup_after_bridge`: with the last bridge's cause.
  if (!channel.hungUp) {
    log.info({ cause: lastBridge ?? 'NORMAL_CLEARING' }, 'cti_curl actions done; hanging up after the bridge');
    await channel.hangup(lastBridge ?? 'NORMAL_CLEARING').catch(() => undefined);
  }
  return 'ended';
}

function bridgeCause(done: EslEvent): string {
  const verdict = classify(resultFromEvent(done));
  return verdict.verdict === 'answered' || verdict.cause === 'UNKNOWN' ? 'NORMAL_CLEARING' : verdict.cause;
}
