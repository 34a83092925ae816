/**
 * One call handed to freecti's outbound socket for a control-mode route, played by the fake
 * FreeSWITCH's outbound mode (test/fake-freeswitch/outbound-call.ts, held to the
 * esl-outbound recordings): the dialplan's `set freecti_route=<id>` is a channel variable
 * of the connect reply. Resolves when the socket has closed.
 */
import type { ExecuteResult, FakeFreeSwitch } from '../fake-freeswitch/index.js';
import type { LingerOrder } from '../fake-freeswitch/linger.js';

export interface ControlCall {
  readonly uuid: string;
  readonly executed: readonly { app: string; arg: string }[];
  /** `sendmsg` hangup causes freecti sent. */
  readonly hangups: readonly string[];
  /** The cause the channel ended with (whoever ended it). */
  readonly hangupCause: string | undefined;
  readonly closedBy: 'client' | 'fake';
}

export async function controlCall(
  fake: FakeFreeSwitch,
  port: number,
  routeId: string,
  onExecute: (app: string, arg: string) => ExecuteResult = () => ({}),
  lingerOrder?: LingerOrder,
): Promise<ControlCall> {
  const call = fake.dial(port, {
    variables: { freecti_route: routeId },
    onExecute: ({ app, arg }) => onExecute(app, arg),
    ...(lingerOrder === undefined ? {} : { lingerOrder }),
  });
  const { closedBy } = await call.closed;
  return { uuid: call.uuid, executed: call.executed, hangups: call.hangups, hangupCause: call.hangupCause, closedBy };
}
