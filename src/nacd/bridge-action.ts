/**
 * The `bridge` action of a nacd reply (docs/nacd.md "bridge"):
 *
 * - ad_number: the number dialed (a plain number); ad_gateway: '' = the internal
 *   extension `user/<ad_number>`, the name of a line group (src/linegroups) = that group
 *   with line selection and failover, else the gateway `sofia/gateway/<ad_gateway>/<ad_number>`;
 * - ad_display_number: the caller id the callee sees (origination_caller_id_number);
 *   (empty: the DID-out caller id of the group, when the DID table has one);
 *   ad_timeout: seconds the callee rings (leg_timeout; default the group's defaultTimeoutSec);
 *   ad_data: on the callee's leg as the channel variable `nacd_ad_data`;
 * - wait_for_answer_ring: what the caller hears while the callee rings (`ringback`, and
 *   `transfer_ringback` for a caller already answered);
 * - after_bridge `playback` + after_bridge_data: when the callee answers, the caller hears
 *   the agent id (digits spoken one by one from nacd.digitSound) or the file, before the
 *   two are connected (FreeSWITCH's `bridge_pre_execute_aleg_app`/`_data`: freecti sets
 *   the application `playback` itself, with the file checked as media by the policy).
 * The caller's leg gets `continue_on_fail=true` and `hangup_after_bridge=false`: the
 * callflow decides what follows (ask again after a failure, the survey, the hangup).
 */
import { assertPlainNumber } from '../dial-string/index.js';
import { FreectiError, isFreectiError } from '../errors.js';
import type { BridgeReply } from '../bridge/reply.js';
import { planDial, type DialPlan } from '../bridge/dial-target.js';
import type { FsPolicy } from '../fs-lang/policy.js';
import type { LinegroupResolver } from '../linegroups/resolver.js';
import { agentIdMedia, checkedMedia } from './media.js';
import { actionData, type NacdReply } from './wire.js';

export interface BridgeSetup {
  plan: DialPlan;
  /** The number dialed (callee_number of the callout/answered events). */
  number: string;
  /** `set`/`unset` data for the caller's leg, in order. */
  aLeg: { app: 'set' | 'unset'; data: string }[];
}

export async function bridgeSetup(
  reply: NacdReply,
  options: { policy: FsPolicy; resolver?: LinegroupResolver | undefined; digitSound: string; defaultTimeoutSec: number; callerAnswered: boolean; defaultDisplay?: string | undefined },
): Promise<BridgeSetup> {
  const number = actionData(reply, 'ad_number');
  assertPlainNumber(number, 'action_data.ad_number', 'WEBHOOK_BAD_REPLY');
  const gateway = actionData(reply, 'ad_gateway');
  const timeoutText = actionData(reply, 'ad_timeout');
  if (timeoutText !== '' && !/^\d{1,3}$/.test(timeoutText)) throw new FreectiError('WEBHOOK_BAD_REPLY', `action_data.ad_timeout: '${timeoutText.slice(0, 20)}' is not a number of seconds`);
  const timeout = timeoutText === '' || timeoutText === '0' ? options.defaultTimeoutSec : Number(timeoutText);
  const variables: Record<string, string> = { leg_timeout: String(timeout) };
  const display = actionData(reply, 'ad_display_number') || (options.defaultDisplay ?? '');
  if (display !== '') variables['origination_caller_id_number'] = display;
  const adData = actionData(reply, 'ad_data');
  if (adData !== '') variables['nacd_ad_data'] = adData;
  let dial: BridgeReply['dial'];
  if (gateway === '') dial = { type: 'user', user: number };
  else dial = (await isLinegroup(options.resolver, gateway)) ? { type: 'linegroup', group: gateway, number } : { type: 'gateway', gateway, number };
  let plan: DialPlan;
  try {
    plan = planDial({ dial, variables }, { policy: options.policy });
  } catch (error) {
    if (isFreectiError(error, 'BRIDGE_BAD_REPLY')) throw new FreectiError('WEBHOOK_BAD_REPLY', error.message.replace(/^dial\./, 'action_data.'));
    throw error;
  }
  const aLeg: BridgeSetup['aLeg'] = [
    { app: 'set', data: 'continue_on_fail=true' },
    { app: 'set', data: 'hangup_after_bridge=false' },
  ];
  const ring = reply.wait_for_answer_ring.trim();
  if (ring !== '') {
    checkedMedia(options.policy, ring, 'wait_for_answer_ring');
    aLeg.push({ app: 'set', data: `ringback=${ring}` });
    if (options.callerAnswered) aLeg.push({ app: 'set', data: `transfer_ringback=${ring}` });
  }
  const after = reply.after_bridge.trim();
  const afterData = reply.after_bridge_data.trim();
  if (after !== '' && after !== 'playback') throw new FreectiError('WEBHOOK_BAD_REPLY', `after_bridge: '${after.slice(0, 40)}' is not supported (playback)`);
  if (afterData !== '') {
    const media = agentIdMedia(options.policy, afterData, options.digitSound, 'after_bridge_data');
    aLeg.push({ app: 'set', data: 'bridge_pre_execute_aleg_app=playback' }, { app: 'set', data: `bridge_pre_execute_aleg_data=${media}` });
  } else {
    // An earlier bridge of this call may have set them.
    aLeg.push({ app: 'unset', data: 'bridge_pre_execute_aleg_app' }, { app: 'unset', data: 'bridge_pre_execute_aleg_data' });
  }
  return { plan, number, aLeg };
}

async function isLinegroup(resolver: LinegroupResolver | undefined, name: string): Promise<boolean> {
  if (resolver === undefined) return false;
  try {
    await resolver.store.get(name);
    return true;
  } catch (error) {
    if (isFreectiError(error, 'LINEGROUP_NOT_FOUND') || isFreectiError(error, 'BAD_REQUEST')) return false;
    throw error;
  }
}
