/**
 * The webhook's answer (seed 000): a JSON array of `{"application", "data"}`, run in
 * order; a single object is accepted as a one-action list. `data` may be left out
 * (empty) or be a number (written as text). Anything else is refused with a reason;
 * line breaks and tabs too (XML parsers turn them into spaces inside attributes).
 * Every action passes the one allow-list policy (src/fs-lang/policy.ts) in the scope
 * of the call: in the public context, without `allowOutbound`, nothing may dial
 * anything but `user/<extension>` or leave the context.
 */
import { isXmlSafe } from '../xml-curl/xml.js';
import { PolicyRefusal, type FsPolicy, type Scope } from '../fs-lang/policy.js';
import { parseQueueData, QUEUE_APPLICATION } from '../acd/calls/queue-action.js';
import { NACD_APPLICATION, NBRIDGE_APPLICATION, parseNacdData } from '../nacd/nacd-action.js';
import { parseBridgeArgs } from '../bridge/args.js';
import { isFreectiError } from '../errors.js';
/** One dialplan action (route-schema.ts's actionSchema validates the same shape; not imported: it imports this file). */
export interface DialplanAction {
  application: string;
  data: string;
}

export const MAX_ACTIONS = 64;
const MAX_DATA = 4096;

export type ParsedReply = { ok: true; actions: DialplanAction[] } | { ok: false; reason: string };

export function parseActions(reply: unknown, policy: FsPolicy, scope: Scope): ParsedReply {
  const list = Array.isArray(reply) ? reply : reply !== null && typeof reply === 'object' ? [reply] : undefined;
  if (list === undefined) return { ok: false, reason: 'reply is not a JSON array or object' };
  if (list.length === 0) return { ok: false, reason: 'reply is an empty action list' };
  if (list.length > MAX_ACTIONS) return { ok: false, reason: `reply has more than ${MAX_ACTIONS} actions` };
  const actions: DialplanAction[] = [];
  for (const [index, item] of list.entries()) {
    const action = parseAction(item, policy, scope);
    if (typeof action === 'string') return { ok: false, reason: `action ${index}: ${action}` };
    actions.push(action);
  }
  return { ok: true, actions };
}

function parseAction(item: unknown, policy: FsPolicy, scope: Scope): DialplanAction | string {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) return 'not an object';
  const { application, data } = item as { application?: unknown; data?: unknown };
  if (typeof application !== 'string') return '"application" is missing or not a string';
  let text: string;
  if (data === undefined || data === null) text = '';
  else if (typeof data === 'string') text = data;
  else if (typeof data === 'number' && Number.isFinite(data)) text = String(data);
  else return `"data" of '${application.slice(0, 64)}' is not a string`;
  if (text.length > MAX_DATA) return `"data" of '${application.slice(0, 64)}' is longer than ${MAX_DATA} characters`;
  if (!isXmlSafe(text) || /[\r\n\t]/.test(text)) return `"data" of '${application.slice(0, 64)}' holds control characters`;
  if (application === QUEUE_APPLICATION) {
    // freecti's own action (the ACD): never reaches FreeSWITCH as written (src/acd/calls/queue-action.ts).
    const request = parseQueueData(text);
    return typeof request === 'string' ? request : { application, data: text.trim() };
  }
  if (application === NACD_APPLICATION) {
    // freecti's own action (the nacd callflow, docs/nacd.md): never reaches FreeSWITCH as written.
    const entry = parseNacdData(text);
    return typeof entry === 'string' ? entry : { application, data: entry.group };
  }
  const why = actionRefusal(policy, scope, application, text);
  if (why !== undefined) return why;
  return { application, data: text };
}

/**
 * Why the policy refuses one action in this scope, or undefined. `nbridge` is checked as
 * bridge's dial string (a `nout/` leg only in a scope allowed to go outbound). `cti_bridge` (mod_cti's
 * application, run by freecti's outbound socket: docs/bridge.md) dials out, so only a
 * scope allowed to go outbound may return it; its arguments must parse and hold no
 * expansion the policy refuses (its URL is checked against `bridge.allowedUrls` when it runs).
 */
export function actionRefusal(policy: FsPolicy, scope: Scope, application: string, data: string): string | undefined {
  if (application === 'cti_bridge') return ctiBridgeRefusal(policy, scope, data);
  try {
    // nacd's nbridge (docs/nacd.md "nbridge"): bridge's dial string, `nout/` legs included (freecti replaces them).
    if (application === NBRIDGE_APPLICATION) policy.dialString(data, { ...scope, nout: true }, `'${NBRIDGE_APPLICATION}'`);
    else policy.application(application, data, scope, `'${application.slice(0, 64)}'`);
    return undefined;
  } catch (error) {
    if (error instanceof PolicyRefusal) return error.message;
    throw error;
  }
}

function ctiBridgeRefusal(policy: FsPolicy, scope: Scope, data: string): string | undefined {
  if (!scope.outbound) return `'cti_bridge' dials out: not allowed for calls in ${scope.context === undefined ? 'this context' : `context '${scope.context}'`} (route allowOutbound)`;
  try {
    policy.text(data, "'cti_bridge'");
    parseBridgeArgs(data);
    return undefined;
  } catch (error) {
    if (error instanceof PolicyRefusal || isFreectiError(error, 'BRIDGE_BAD_ARGS')) return error.message;
    throw error;
  }
}
