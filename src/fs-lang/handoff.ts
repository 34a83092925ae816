/**
 * freecti's one hand-off of a call to its own outbound socket, used by nacd_transfer
 * (a live call, `uuid_transfer`) and nwaycallout (an answered originate): the inline
 * dialplan `'set:<variable>=<name>,socket:<host:port> async full' inline`, where the
 * variable is `nacd_group` (the nacd callflow takes the call, src/nacd/attach.ts) or
 * `freecti_queue` (the ACD takes it, src/acd/calls/index.ts), exactly like the
 * dialplan's `set` + `socket`.
 *
 * The policy refuses `socket` in any text (a key, a reply, a transfer), since it would
 * hand a call and its control to any address; this form is the one exception, and it is
 * never text: only `socketHandoff` / `queueHandoff` make one, from a validated name and
 * the configured outbound-socket address, and the policy (FsPolicy.socketTransfer,
 * socketOriginate) accepts a hand-off only when this module issued it (a WeakSet of the
 * objects it made; a copy or a forged object is refused).
 */
import { FsSyntaxError } from './scan.js';

/** nacd group numbers (src/nacd/nacd-action.ts). */
export const HANDOFF_GROUP = /^[A-Za-z0-9_.+-]{1,64}$/;
/** ACD queue names (src/acd). */
export const HANDOFF_QUEUE = /^[A-Za-z0-9_.@+-]{1,64}$/;
/** `host:port`, `[v6]:port`: freecti's outbound socket as controlSocketAddress writes it. The one pattern for it. */
export const HANDOFF_SOCKET = /^(?:[A-Za-z0-9][A-Za-z0-9.-]{0,252}|\[[0-9A-Fa-f:.]{2,45}\]):\d{1,5}$/;

export interface SocketHandoff {
  /** The channel variable that says where the call goes. */
  readonly variable: 'nacd_group' | 'freecti_queue';
  /** The group number or queue name. */
  readonly value: string;
  readonly socket: string;
}

const issued = new WeakSet<SocketHandoff>();
const PATTERN = { nacd_group: HANDOFF_GROUP, freecti_queue: HANDOFF_QUEUE } as const;

function make(variable: SocketHandoff['variable'], value: string, socket: string): SocketHandoff {
  if (!HANDOFF_SOCKET.test(socket)) throw new FsSyntaxError(`'${socket.slice(0, 64)}' is not host:port`);
  const handoff: SocketHandoff = Object.freeze({ variable, value, socket });
  issued.add(handoff);
  return handoff;
}

/** A hand-off of a call to the nacd group `group` on freecti's outbound socket `socket`. */
export function socketHandoff(group: string, socket: string): SocketHandoff {
  if (!HANDOFF_GROUP.test(group)) throw new FsSyntaxError(`'${group.slice(0, 64)}' is not a group number (letters, digits, _ . + -, 1-64)`);
  return make('nacd_group', group, socket);
}

/** A hand-off of a call to the ACD queue `queue` on freecti's outbound socket `socket`. */
export function queueHandoff(queue: string, socket: string): SocketHandoff {
  if (!HANDOFF_QUEUE.test(queue)) throw new FsSyntaxError(`'${queue.slice(0, 64)}' is not a queue name (letters, digits, _ . @ + -, 1-64)`);
  return make('freecti_queue', queue, socket);
}

/** The destination (`uuid_transfer`) or target (`originate`) of a hand-off this module issued; throws for anything else. */
export function handoffDestination(handoff: SocketHandoff): string {
  const pattern = issued.has(handoff) ? PATTERN[handoff.variable] : undefined;
  if (pattern === undefined || !pattern.test(handoff.value) || !HANDOFF_SOCKET.test(handoff.socket)) throw new FsSyntaxError('not a hand-off freecti made');
  return `'set:${handoff.variable}=${handoff.value},socket:${handoff.socket} async full' inline`;
}
