/**
 * The `queue` action of routing replies (inline and control mode) and of the nacd callflow:
 * `{"application": "queue", "data": "<queue> [<priority>]"}`. FreeSWITCH has no such
 * application: inline, freecti serves `set freecti_queue=<queue>` (and
 * `set freecti_queue_priority=<priority>`) + `socket <outbound socket> async full`, and the
 * ACD takes the call on its outbound socket (src/acd/calls/index.ts); in control mode the
 * session freecti already holds is handed to the ACD directly. Actions after `queue` run
 * when the ACD gives the call back (an unknown queue: it sends `resume` and lets go).
 */
/** Which queue a caller joins (the `queue` action, the channel variables, the nacd callflow). Leaf module: routing imports it. */
export interface QueueCallerRequest {
  queue: string;
  priority?: number;
  skills?: Record<string, number>;
}

export const QUEUE_APPLICATION = 'queue';

const QUEUE_DATA = /^([A-Za-z0-9_.@+-]{1,64})(?:\s+(\d{1,3}))?$/;

/** The queue and priority of a `queue` action's data, or why it is refused. */
export function parseQueueData(data: string): QueueCallerRequest | string {
  const match = QUEUE_DATA.exec(data.trim());
  if (match === null) return `'queue' data must be '<queue> [<priority 0-100>]' (queue: letters, digits, _ . @ + -), got '${data.slice(0, 64)}'`;
  const priority = match[2] === undefined ? undefined : Number(match[2]);
  if (priority !== undefined && priority > 100) return `'queue' priority must be 0..100, got ${priority}`;
  return { queue: match[1] as string, ...(priority === undefined ? {} : { priority }) };
}

/** The dialplan actions that hand the call to the ACD on freecti's outbound socket (`host:port`). */
export function queueDialplanActions(request: QueueCallerRequest, socket: string): { application: string; data: string }[] {
  return [
    { application: 'set', data: `freecti_queue=${request.queue}` },
    ...(request.priority === undefined ? [] : [{ application: 'set', data: `freecti_queue_priority=${request.priority}` }]),
    { application: 'socket', data: `${socket} async full` },
  ];
}
