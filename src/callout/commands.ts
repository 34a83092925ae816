/**
 * The ESL command a campaign sends for each number, built here and checked by the
 * allow-list policy (src/fs-lang/policy.ts) before it leaves:
 *
 *   originate {origination_uuid=<uuid>,origination_caller_id_number=<callerId>,
 *             originate_timeout=<ringSec>,ignore_early_media=true,freecti_callout=<campaign>,
 *             nacd_group=<group> | freecti_queue=<queue>}<dial string>
 *             'socket:<host:port> async full' inline
 *
 * FreeSWITCH answers the job `+OK <uuid>` once the callee answered, then runs the inline
 * dialplan: the call lands on freecti's outbound socket carrying `nacd_group` (the nacd
 * callflow takes it, src/nacd/attach.ts) or `freecti_queue` (the ACD takes it,
 * src/acd/calls/index.ts), exactly like the dialplan's `set` + `socket`.
 *
 * `socket` is in no table of the policy (it hands the call to any host): CALLOUT_SCOPE
 * grants it exactly, and that scope is used only here, for text this module writes from
 * validated names and the configured outbound socket; no user text is checked with it.
 */
import type { FsPolicy, Scope } from '../fs-lang/policy.js';
import { withLeadingVars } from '../fs-lang/var-block.js';
import type { CalloutRequest } from './schema.js';

const CALLOUT_SCOPE: Scope = { outbound: true, command: (name) => name === 'originate', exact: (name) => name === 'socket' };

const SOCKET = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]{1,253}):\d{1,5}$/;

/** The dial string of one number: `linegroup/<g>/<n>` (resolved to a line later) or `sofia/gateway/<gw>/<n>`. */
export function calloutDialString(request: Pick<CalloutRequest, 'linegroup' | 'gateway'>, number: string): string {
  if (request.linegroup !== undefined) return `linegroup/${request.linegroup}/${number}`;
  if (request.gateway !== undefined) return `sofia/gateway/${request.gateway}/${number}`;
  throw new Error('a campaign needs a linegroup or a gateway');
}

/**
 * `originate` arguments for one number, handing the answered call to the campaign's group
 * or queue on `socket` (`host:port`). Policy-checked (throws PolicyRefusal). A dial string
 * with its own leading `{...}` block (a line's variables) keeps it as the one block.
 */
export function calloutOriginateArgs(policy: FsPolicy, campaignId: string, request: CalloutRequest, uuid: string, dialString: string, socket: string): string {
  if (!SOCKET.test(socket)) throw new Error(`outbound socket '${socket.slice(0, 80)}' is not host:port`);
  const vars = [
    `origination_uuid=${uuid}`,
    `origination_caller_id_number=${request.callerId}`,
    `originate_timeout=${request.ringSec}`,
    'ignore_early_media=true',
    `freecti_callout=${campaignId}`,
    request.group !== undefined ? `nacd_group=${request.group}` : `freecti_queue=${request.queue ?? ''}`,
  ];
  const args = `${withLeadingVars(vars, dialString)} 'socket:${socket} async full' inline`;
  policy.command('originate', args, CALLOUT_SCOPE);
  return args;
}
