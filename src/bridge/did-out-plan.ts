/**
 * DID-out on a cti_bridge / cti_dial plan (docs/nacd.md "DID", the rules of
 * src/nacd/did-out.ts), run by runBridge on every plan before it is dialled:
 * 1. `nout/<extension>/<number>` legs (a cti_bridge `gateway` dial without a gateway is
 *    `nout/<caller>/<number>`) take their extension's route: its line group (line
 *    selection, CPS and concurrency limits, failover) or gateway, with its caller id; an
 *    extension without an entry, or no DID-out table on this instance: BRIDGE_BAD_REPLY;
 * 2. legs that leave without a caller id show the calling extension's `callerId` (a
 *    `user` + `number` reply, a number dialled at a gateway registered as an extension,
 *    leaves too: its `{...}` takes it). Its entry is read only when a leg would take it;
 *    a table that cannot be read for it leaves the plan as it is (one warn line).
 * Every changed plan is planned again (dial-target.ts), so the policy checks the result.
 */
import { isPlainNumber } from '../dial-string/index.js';
import { FreectiError } from '../errors.js';
import type { Logger } from '../logger.js';
import { didOutCallerIdItems, setsCallerId, type DidOutRoute } from '../nacd/did-out.js';
import { parseVarBlock, withLeadingVars } from '../fs-lang/var-block.js';
import type { BridgeDeps } from './bridge-types.js';
import { noutExtensionsOf, takesDidOut, withDidOutPlan, withNoutRoutesPlan, type DialPlan } from './dial-target.js';

export async function planWithDidOut(plan: DialPlan, caller: string, deps: Pick<BridgeDeps, 'didOut' | 'policy'>, log: Logger): Promise<DialPlan> {
  const lookup = deps.didOut;
  const options = deps.policy === undefined ? {} : { policy: deps.policy };
  const entries = new Map<string, DidOutRoute>();
  const needed = noutExtensionsOf(plan);
  if (needed.length > 0) {
    if (lookup === undefined) throw new FreectiError('BRIDGE_BAD_REPLY', 'nout/ legs and gateway-less dials need the DID-out table (nacd), which this instance does not have', { details: { field: 'dial' } });
    for (const extension of needed) {
      let entry: DidOutRoute | null;
      try {
        entry = await lookup(extension);
      } catch (error) {
        throw new FreectiError('INTERNAL', `cannot read the DID-out table: ${(error as Error).message}`, { cause: error });
      }
      if (entry === null) throw new FreectiError('BRIDGE_BAD_REPLY', `extension '${extension}' has no DID-out entry (/api/v1/nacd/did/out) to dial out with`, { details: { field: 'dial' } });
      entries.set(extension, entry);
    }
    plan = withNoutRoutesPlan(plan, entries, options);
  }
  const contactTakes = plan.kind === 'contact' && !setsCallerId(plan.vars === '' ? [] : parseVarBlock(plan.vars.slice(1, -1)));
  if (lookup === undefined || !isPlainNumber(caller) || !(contactTakes || takesDidOut(plan))) return plan;
  let own = entries.get(caller) ?? null;
  if (!entries.has(caller)) {
    own = await lookup(caller).catch((error: unknown) => {
      log.warn({ err: (error as Error).message }, 'cti_bridge: cannot read the DID-out table; the reply dials as it is');
      return null;
    });
  }
  if (own === null) return plan;
  // The contact's dial string is known only at bridge time (contact.ts): the caller id goes in its {...}.
  if (plan.kind === 'contact') return { ...plan, vars: withLeadingVars(didOutCallerIdItems(own.callerId), plan.vars) };
  return withDidOutPlan(plan, own.callerId, options);
}
