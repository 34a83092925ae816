/**
 * The dialplan of a `mode: control` route: mark the call with its route, hand it to
 * freecti's outbound event socket (control-session.ts drives it from there), and, when
 * the socket cannot be reached or the session gives the call back, run the fallback.
 * Variable names are ours (`freecti_route`), so no reply can forge them.
 */
import { parseDialString } from '../fs-lang/dial-string.js';
import type { DialplanAction, Route } from './route-schema.js';

export const ROUTE_VARIABLE = 'freecti_route';

export function controlActions(route: Route, socket: string): DialplanAction[] {
  return [
    { application: 'set', data: `${ROUTE_VARIABLE}=${route.id}` },
    { application: 'socket', data: `${socket} async full` },
    ...route.fallback,
  ];
}

/**
 * FreeSWITCH has no `linegroup/` endpoint: a reply's `bridge` with line-group legs runs
 * on freecti's outbound socket instead (`set cti_dial=<dial string>` + `socket`), where
 * the bridge feature picks the lines and fails over (docs/bridge.md, docs/linegroups.md).
 * When the session ends FreeSWITCH goes on with the next action. The dial string has
 * passed the policy already (reply.ts); the bridge checks it again when it runs.
 */
export function withLinegroupBridges(actions: readonly DialplanAction[], socket: string): DialplanAction[] {
  return actions.flatMap((action) => {
    if (action.application !== 'bridge' || !parseDialString(action.data).legs.some((leg) => leg.endpoint.kind === 'linegroup')) return [action];
    return [
      { application: 'set', data: `cti_dial=${action.data}` },
      { application: 'socket', data: `${socket} async full` },
    ];
  });
}

/** `host:port` FreeSWITCH dials for the outbound socket; a wildcard listen address becomes loopback. */
export function controlSocketAddress(host: string, port: number): string {
  const reachable = host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host;
  return `${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}
