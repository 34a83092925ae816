/**
 * The ESL command a campaign sends for each number, built here and checked by the
 * allow-list policy (FsPolicy.socketOriginate) before it leaves:
 *
 *   originate {origination_uuid=<uuid>,origination_caller_id_number=<callerId>,
 *             originate_timeout=<ringSec>,ignore_early_media=true,freecti_callout=<campaign>,
 *             freecti_callout_number=<number>}<dial string>
 *             'set:nacd_group=<group>,socket:<host:port> async full' inline
 *             (or set:freecti_queue=<queue>)
 *
 * FreeSWITCH answers the job `+OK <uuid>` once the callee answered, then runs the inline
 * dialplan: the call lands on freecti's outbound socket carrying `nacd_group` or
 * `freecti_queue` (the nacd request says direction `outbound`, event `answered` and
 * callee_number `freecti_callout_number`: src/nacd/request.ts). The target is freecti's one hand-off (src/fs-lang/handoff.ts, shared
 * with nacd_transfer): `socket` is in no table of the policy, and only an issued
 * hand-off object reaches it.
 */
import type { FsPolicy } from '../fs-lang/policy.js';
import { queueHandoff, socketHandoff } from '../fs-lang/handoff.js';
import { withLeadingVars } from '../fs-lang/var-block.js';
import type { CalloutRequest, CalloutSettings } from './schema.js';

/** The dial string of one number: `linegroup/<g>/<n>` (resolved to a line later) or `sofia/gateway/<gw>/<n>`. */
export function calloutDialString(request: Pick<CalloutRequest, 'linegroup' | 'gateway'>, number: string): string {
  if (request.linegroup !== undefined) return `linegroup/${request.linegroup}/${number}`;
  if (request.gateway !== undefined) return `sofia/gateway/${request.gateway}/${number}`;
  throw new Error('a campaign needs a linegroup or a gateway');
}

/**
 * `originate` arguments for one number, handing the answered call to the campaign's group
 * or queue on `socket` (`host:port`). Policy-checked (throws PolicyRefusal; FsSyntaxError
 * for a bad socket). A dial string with its own leading `{...}` block (a line's variables)
 * keeps it as the one block.
 */
export function calloutOriginateArgs(policy: FsPolicy, campaignId: string, request: CalloutSettings, uuid: string, number: string, dialString: string, socket: string): string {
  const handoff = request.group !== undefined ? socketHandoff(request.group, socket) : queueHandoff(request.queue ?? '', socket);
  const vars = [
    `origination_uuid=${uuid}`,
    `origination_caller_id_number=${request.callerId}`,
    `originate_timeout=${request.ringSec}`,
    'ignore_early_media=true',
    `freecti_callout=${campaignId}`,
    `freecti_callout_number=${number}`,
  ];
  return policy.socketOriginate(withLeadingVars(vars, dialString), handoff, { outbound: true });
}
