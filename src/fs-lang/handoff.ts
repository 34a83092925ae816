/**
 * freecti's own hand-off of a live call to its outbound socket (nacd_transfer): the
 * inline dialplan `set:nacd_group=<group>,socket:<host:port> async full`. The policy
 * refuses `socket` in any text (a key, a reply, a transfer), since it would hand a call
 * and its control to any address; this form is the one exception, and it is never text:
 * only `socketHandoff` makes one, from a group number and the configured outbound-socket
 * address, both validated, and the policy accepts a hand-off only when this module
 * issued it (a WeakSet of the objects it made; a copy or a forged object is refused).
 */
import { FsSyntaxError } from './scan.js';

/** nacd group numbers (src/nacd/nacd-action.ts). */
export const HANDOFF_GROUP = /^[A-Za-z0-9_.+-]{1,64}$/;
/** `host:port`, `[v6]:port`: freecti's outbound socket as controlSocketAddress writes it. */
const SOCKET = /^(?:[A-Za-z0-9][A-Za-z0-9.-]{0,252}|\[[0-9A-Fa-f:.]{2,45}\]):\d{1,5}$/;

export interface SocketHandoff {
  readonly group: string;
  readonly socket: string;
}

const issued = new WeakSet<SocketHandoff>();

/** A hand-off of a call to the nacd group `group` on freecti's outbound socket `socket`. */
export function socketHandoff(group: string, socket: string): SocketHandoff {
  if (!HANDOFF_GROUP.test(group)) throw new FsSyntaxError(`'${group.slice(0, 64)}' is not a group number (letters, digits, _ . + -, 1-64)`);
  if (!SOCKET.test(socket)) throw new FsSyntaxError(`'${socket.slice(0, 64)}' is not host:port`);
  const handoff: SocketHandoff = Object.freeze({ group, socket });
  issued.add(handoff);
  return handoff;
}

/** The `uuid_transfer` destination of a hand-off this module issued; throws for anything else. */
export function handoffDestination(handoff: SocketHandoff): string {
  if (!issued.has(handoff) || !HANDOFF_GROUP.test(handoff.group) || !SOCKET.test(handoff.socket)) throw new FsSyntaxError('not a hand-off freecti made');
  return `'set:nacd_group=${handoff.group},socket:${handoff.socket} async full' inline`;
}
