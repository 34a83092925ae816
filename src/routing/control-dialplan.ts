/**
 * The dialplan of a `mode: control` route: mark the call with its route, hand it to
 * freecti's outbound event socket (control-session.ts drives it from there), and, when
 * the socket cannot be reached or the session gives the call back, run the fallback.
 * Variable names are ours (`freecti_route`), so no reply can forge them.
 */
import type { DialplanAction, Route } from './route-schema.js';

export const ROUTE_VARIABLE = 'freecti_route';

export function controlActions(route: Route, socket: string): DialplanAction[] {
  return [
    { application: 'set', data: `${ROUTE_VARIABLE}=${route.id}` },
    { application: 'socket', data: `${socket} async full` },
    ...route.fallback,
  ];
}

/** `host:port` FreeSWITCH dials for the outbound socket; a wildcard listen address becomes loopback. */
export function controlSocketAddress(host: string, port: number): string {
  const reachable = host === '0.0.0.0' || host === '::' || host === '' ? '127.0.0.1' : host;
  return `${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}
