/**
 * The toll-fraud rule of seed 000: the context that takes calls from outside (public)
 * must never reach outbound lines. In that context an action may only bridge to
 * registered users (`user/...`) and may only transfer within the same context.
 * Gateways (`sofia/gateway/...`), line groups (`linegroup/...`), any other `sofia/`
 * or `loopback/` endpoint and transfers to another context are refused.
 */
import type { DialplanAction } from './route-schema.js';

const BRIDGING = new Set(['bridge', 'att_xfer']);
const TRANSFERRING = new Set(['transfer', 'sched_transfer']);

/** Endpoints of a dial string: `{vars}` / `[vars]` blocks removed, split on `,` `|` `:_:`. */
export function dialEndpoints(data: string): string[] {
  return data
    .replace(/\{[^}]*\}|\[[^\]]*\]|<[^>]*>/g, '')
    .split(/,|\||:_:/)
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

/** Why an action would let a call from `context` reach an outbound line, or undefined. */
export function outboundReach(action: DialplanAction, context: string): string | undefined {
  if (BRIDGING.has(action.application)) {
    const outside = dialEndpoints(action.data).find((endpoint) => !/^user\/[^/]+$/.test(endpoint));
    if (outside !== undefined) return `'${action.application}' to '${outside}' (only user/<extension> may be dialled from context '${context}')`;
  }
  if (TRANSFERRING.has(action.application)) {
    // transfer <extension> [<dialplan> [<context>]]; sched_transfer [+]<time> <extension> [<dialplan> [<context>]]
    const words = action.data.trim().split(/\s+/);
    const target = action.application === 'sched_transfer' ? words[3] : words[2];
    if (target !== undefined && target !== context) return `'${action.application}' to context '${target}' (calls from '${context}' stay in '${context}')`;
  }
  return undefined;
}

/** The first reason the action list reaches outbound lines, or undefined. */
export function listReachesOutbound(actions: readonly DialplanAction[], context: string): string | undefined {
  for (const action of actions) {
    const why = outboundReach(action, context);
    if (why !== undefined) return why;
  }
  return undefined;
}
