/**
 * Hands the outbound-socket sessions that carry `cti_bridge` (or `cti_dial`) to runBridge.
 * Other sessions are left to other features. Each bridge runs on its own: a failing call
 * never touches another one, and an unexpected error is logged, never thrown.
 */
import type { OutboundServer } from '../esl/outbound-server.js';
import type { OutboundSession } from '../esl/outbound-session.js';
import { runBridge, type BridgeDeps, type BridgeResult } from './bridge-call.js';

/** True when the session's channel asks for a cti_bridge (or a fixed `cti_dial`, or nacd's `cti_nbridge`). */
export function isBridgeSession(session: Pick<OutboundSession, 'channelData'>): boolean {
  return ['cti_bridge', 'cti_dial', 'cti_nbridge'].some((name) => session.channelData.variable(name) !== undefined);
}

/** Runs the bridge, then makes sure the socket is closed (FreeSWITCH then goes on with its dialplan). */
export async function handleBridgeSession(session: OutboundSession, deps: BridgeDeps): Promise<BridgeResult> {
  const result = await runBridge(session, deps);
  if (result.continued === true && session.endedBy === undefined) {
    // continue_on_fail: closing the socket makes FreeSWITCH's `socket` return; the dialplan goes on.
    // The variables stay on the channel otherwise, and a later `socket` of the call would run this bridge again.
    for (const name of ['cti_bridge', 'cti_dial', 'cti_nbridge']) await session.execute('unset', name).catch(() => undefined);
    await session.close();
    return result;
  }
  if (session.endedBy === undefined) {
    // After our hangup FreeSWITCH sends the disconnect-notice and the session closes; if it
    // does not within 5 s, close the socket ourselves.
    const timer = setTimeout(() => void session.close(), 5000);
    await session.whenEnded();
    clearTimeout(timer);
  }
  return result;
}

/** Listens for bridge sessions on the outbound server; returns the detach function. */
export function attachBridge(server: OutboundServer, deps: BridgeDeps): () => void {
  const log = deps.logger.child({ component: 'bridge' });
  const onSession = (session: OutboundSession): void => {
    if (!isBridgeSession(session) || !session.claim('bridge')) return;
    handleBridgeSession(session, deps).catch((error: unknown) => {
      log.error({ err: error, uuid: session.uuid }, 'cti_bridge session failed unexpectedly');
      void session.close();
    });
  };
  server.on('session', onSession);
  return () => server.off('session', onSession);
}
