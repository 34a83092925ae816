/**
 * Hands the outbound-socket sessions whose channel carries `cti_curl` to runCurl
 * (docs/cti-curl.md); other sessions are left to other features. Attached before the
 * bridge: a call whose earlier cti_bridge left `cti_bridge` on the channel and that now
 * sets `cti_curl` is a cti_curl session (runCurl unsets `cti_curl` as it starts).
 */
import type { OutboundServer } from '../esl/outbound-server.js';
import type { OutboundSession } from '../esl/outbound-session.js';
import { CURL_VARIABLE, runCurl, type CurlDeps, type CurlResult } from './run-curl.js';
import { curlCounter } from './metrics.js';

export function isCurlSession(session: Pick<OutboundSession, 'channelData'>): boolean {
  const value = session.channelData.variable(CURL_VARIABLE);
  return value !== undefined && value !== '';
}

/** Runs the cti_curl call, then closes the socket unless the call ended (FreeSWITCH then goes on with its dialplan). */
export async function handleCurlSession(session: OutboundSession, deps: CurlDeps): Promise<CurlResult> {
  let result: CurlResult;
  try {
    result = await runCurl(session, deps);
  } catch (error) {
    if (!session.hungUp) deps.logger.warn({ uuid: session.uuid, err: (error as Error).message }, `cti_curl failed: ${(error as Error).message}; the call goes back to the dialplan`);
    result = { outcome: 'failed', actions: [] };
  }
  curlCounter(deps.registry)(result.outcome);
  if (session.endedBy !== undefined) return result;
  if (result.outcome !== 'ended') {
    await session.close();
    return result;
  }
  // Hung up (or transferred): FreeSWITCH sends the disconnect-notice (or the socket app ends); close after 5 s at most.
  const timer = setTimeout(() => void session.close(), 5000);
  await session.whenEnded();
  clearTimeout(timer);
  return result;
}

/** Listens for cti_curl sessions on the outbound server; returns the detach function. */
export function attachCurl(server: Pick<OutboundServer, 'on' | 'off'>, deps: CurlDeps): () => void {
  const onSession = (session: OutboundSession): void => {
    if (!isCurlSession(session) || !session.claim('cti_curl')) return;
    void handleCurlSession(session, deps);
  };
  server.on('session', onSession);
  return () => void server.off('session', onSession);
}
