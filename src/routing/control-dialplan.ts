/**
 * The dialplan of a `mode: control` route: mark the call with its route, hand it to
 * freecti's outbound event socket (control-session.ts drives it from there), and, when
 * the socket cannot be reached or the session gives the call back, run the fallback.
 * Variable names are ours (`freecti_route`), so no reply can forge them.
 */
import { socketBridgeRequest, viaSocket } from '../bridge/socket-actions.js';
import type { DialplanAction, Route } from './route-schema.js';
import { parseQueueData, QUEUE_APPLICATION, queueDialplanActions } from '../acd/calls/queue-action.js';
import { NACD_APPLICATION, nacdDialplanActions, parseNacdData } from '../nacd/nacd-action.js';

export const ROUTE_VARIABLE = 'freecti_route';

export function controlActions(route: Route, socket: string): DialplanAction[] {
  return [
    { application: 'set', data: `${ROUTE_VARIABLE}=${route.id}` },
    { application: 'socket', data: `${socket} async full` },
    ...withLinegroupBridges(route.fallback, socket),
  ];
}

/**
 * FreeSWITCH has no `linegroup/` endpoint and no `cti_bridge` application: a reply's
 * `bridge` with line-group legs and its `cti_bridge` run on freecti's outbound socket
 * instead (`set cti_dial=<dial string>` / `set cti_bridge=<args>` + `socket`), where the
 * bridge feature picks the lines and fails over, or asks the cti_bridge URL
 * (docs/bridge.md, docs/linegroups.md). When the session ends without hanging up
 * (continue_on_fail) FreeSWITCH goes on with the next action. The data has passed the
 * policy already (reply.ts); the bridge checks it again when it runs.
 */
export function withLinegroupBridges(actions: readonly DialplanAction[], socket: string): DialplanAction[] {
  return actions.flatMap((action) => {
    // `queue <name> [priority]` (the ACD): set freecti_queue + socket (src/acd/calls/queue-action.ts).
    const queue = action.application === QUEUE_APPLICATION ? parseQueueData(action.data) : undefined;
    if (queue !== undefined && typeof queue !== 'string') return queueDialplanActions(queue, socket);
    // `nacd <group>` (the nacd callflow): set nacd_group + socket (src/nacd/nacd-action.ts).
    const nacd = action.application === NACD_APPLICATION ? parseNacdData(action.data) : undefined;
    if (nacd !== undefined && typeof nacd !== 'string') return nacdDialplanActions(nacd.group, socket);
    return viaSocket(action, socket);
  });
}

/** True when an action needs freecti's outbound socket (cti_bridge, a bridge with line-group legs, queue, nacd). */
export function needsSocket(action: DialplanAction): boolean {
  return action.application === QUEUE_APPLICATION || action.application === NACD_APPLICATION || socketBridgeRequest(action) !== undefined;
}

/** `host:port` FreeSWITCH dials for the outbound socket; a wildcard listen address becomes loopback. */
export function controlSocketAddress(host: string, port: number): string {
  const reachable = host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host;
  return `${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}
