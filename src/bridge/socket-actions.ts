/**
 * Reply actions that FreeSWITCH cannot run itself and freecti runs on its outbound socket
 * (docs/bridge.md, docs/routing.md): `cti_bridge <args>` (FreeSWITCH has no such
 * application), `bridge` with `linegroup/...` legs (FreeSWITCH has no such endpoint) and
 * nacd's `nbridge <dial string>` (bridge with the DID-out, docs/nacd.md "nbridge").
 * A routing reply, a control-mode reply and a cti_curl reply may return them.
 */
import { parseDialString } from '../fs-lang/dial-string.js';
import { FsSyntaxError } from '../fs-lang/scan.js';
import type { BridgeRequest } from './bridge-call.js';
import { NBRIDGE_APPLICATION } from '../nacd/nacd-action.js';

export interface SocketAction {
  application: string;
  data: string;
}

/** What runBridge must do for this action, or undefined when FreeSWITCH runs it itself. */
export function socketBridgeRequest(action: SocketAction): BridgeRequest | undefined {
  if (action.application === 'cti_bridge') return { bridge: action.data };
  if (action.application === NBRIDGE_APPLICATION) return { nbridge: action.data };
  if (action.application === 'bridge' && hasLinegroupLeg(action.data)) return { dial: action.data };
  return undefined;
}

function hasLinegroupLeg(dialString: string): boolean {
  try {
    return parseDialString(dialString).legs.some((leg) => leg.endpoint.kind === 'linegroup');
  } catch (error) {
    if (error instanceof FsSyntaxError) return false;
    throw error;
  }
}

/**
 * The dialplan actions that hand such an action to freecti's outbound socket `socket`
 * (`host:port`): `set cti_bridge=<args>`, `set cti_nbridge=<dial string>` or
 * `set cti_dial=<dial string>`, then
 * `socket <socket> async full`. When the socket session ends without hanging up
 * (continue_on_fail), FreeSWITCH goes on with the next action. Others: unchanged.
 */
export function viaSocket(action: SocketAction, socket: string): SocketAction[] {
  const request = socketBridgeRequest(action);
  if (request === undefined) return [action];
  // The text passed the policy (allowed expansions only); FreeSWITCH expands those at `set`, runBridge checks it again.
  const value = request.bridge ?? request.nbridge ?? request.dial ?? '';
  const variable = request.bridge !== undefined ? 'cti_bridge' : request.nbridge !== undefined ? 'cti_nbridge' : 'cti_dial';
  return [
    { application: 'set', data: `${variable}=${value}` },
    { application: 'socket', data: `${socket} async full` },
  ];
}
