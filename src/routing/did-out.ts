/**
 * DID-out on a routing reply's plain `bridge` (docs/routing.md "DID-out", docs/nacd.md
 * "DID"): FreeSWITCH runs it itself (served as dialplan XML, or executed by a control-mode
 * or cti_curl session), so freecti puts the calling extension's DID-out caller id in its dial string
 * before it leaves: `origination_caller_id_number` and `origination_caller_id_name` on the
 * legs that leave (a gateway, an external sofia address) without a caller id of their own
 * (src/nacd/did-out.ts withDidOutCallerId, through withLeadingVars), then the policy checks
 * the result.
 *
 * - The caller is `Caller-Caller-ID-Number`, the field nout_did and cti_bridge read.
 * - The table is read only when a `bridge` of the reply would take it: a reply without a
 *   leaving leg (user/ legs, no bridge) costs nothing more than a text test.
 * - A reply that sets a caller id itself (`set`/`export`/`multiset`... of
 *   origination_caller_id_number or effective_caller_id_number) keeps it for every bridge
 *   after that action.
 * - `bridge` actions that run on freecti's socket (line-group legs, cti_bridge, nbridge)
 *   are left to the bridge feature, which applies the same rules there.
 * - A table that cannot be read, a caller id that cannot be added (a leg block whose own
 *   `^^` separator it holds), or a result the policy refuses, leaves the reply as it is
 *   (one warn line): the call goes on with the reply's own caller id.
 */
import { isPlainNumber } from '../dial-string/index.js';
import { socketBridgeRequest } from '../bridge/socket-actions.js';
import { parseAssignment, parseVarBlock } from '../fs-lang/var-block.js';
import { splitWords } from '../fs-lang/scan.js';
import type { FsPolicy, Scope } from '../fs-lang/policy.js';
import type { Logger } from '../logger.js';
import { mayTakeDidOut, setsCallerId, withDidOutCallerId, type DidOutLookup } from '../nacd/did-out.js';
import { actionRefusal, type DialplanAction } from './reply.js';

/** The request field (xml_curl) or channel header (control mode) naming the calling extension. */
export const CALLER_FIELD = 'Caller-Caller-ID-Number';

const SETTERS = new Set(['set', 'export', 'bridge_export', 'push', 'unshift']);

/** True when the action sets the caller id a later bridge shows (set/export/multiset of a caller id variable). */
export function setsCallerIdAction(action: DialplanAction): boolean {
  const body = action.data.trim();
  try {
    if (action.application === 'multiset') return setsCallerId(body.startsWith('^^') ? parseVarBlock(body) : splitWords(body).map((w) => parseAssignment(w.text)));
    return SETTERS.has(action.application) && setsCallerId([parseAssignment(body)]);
  } catch {
    return false;
  }
}

/** The positions of the `bridge` actions FreeSWITCH runs that would take the DID-out caller id. */
export function didOutBridgeIndexes(actions: readonly DialplanAction[], callerIdSet = false): number[] {
  const found: number[] = [];
  if (callerIdSet) return found;
  for (const [index, action] of actions.entries()) {
    if (setsCallerIdAction(action)) break;
    // The text test first: a bridge to user/ legs costs no parse.
    if (action.application === 'bridge' && mayTakeDidOut(action.data) && socketBridgeRequest(action) === undefined) found.push(index);
  }
  return found;
}

export interface DidOutActionsOptions {
  /** The calling extension (CALLER_FIELD). */
  caller: string;
  lookup: DidOutLookup | undefined;
  policy: FsPolicy;
  scope: Scope;
  log: Logger;
  uuid: string;
  /** An earlier step of a control-mode call set a caller id: nothing is added. */
  callerIdSet?: boolean;
}

/** The actions with the DID-out caller id on the bridges that take it (the same array when none does). */
export async function withDidOutBridges(actions: DialplanAction[], options: DidOutActionsOptions): Promise<DialplanAction[]> {
  const { caller, lookup, log, uuid } = options;
  if (lookup === undefined || !isPlainNumber(caller)) return actions;
  const indexes = didOutBridgeIndexes(actions, options.callerIdSet);
  if (indexes.length === 0) return actions;
  let entry;
  try {
    entry = await lookup(caller);
  } catch (error) {
    log.warn({ uuid, caller, err: (error as Error).message }, `call ${uuid}: cannot read the DID-out table; the reply's bridge dials as it is`);
    return actions;
  }
  if (entry === null) return actions;
  const out = [...actions];
  for (const index of indexes) {
    const action = actions[index] as DialplanAction;
    let data: string;
    try {
      data = withDidOutCallerId(action.data, entry.callerId);
    } catch (error) {
      // A leg block whose own ^^ separator the caller id holds (var-block.ts withBlockVars).
      log.warn({ uuid, caller, reason: (error as Error).message }, `call ${uuid}: the DID-out caller id cannot be added (${(error as Error).message}); the reply's bridge dials as it is`);
      continue;
    }
    const why = actionRefusal(options.policy, options.scope, 'bridge', data);
    if (why !== undefined) {
      log.warn({ uuid, caller, reason: why }, `call ${uuid}: the DID-out caller id was refused (${why}); the reply's bridge dials as it is`);
      continue;
    }
    out[index] = { application: 'bridge', data };
  }
  return out;
}
