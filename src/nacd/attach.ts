/**
 * Hands the outbound-socket sessions whose channel carries `nacd_group` to the nacd
 * callflow (docs/nacd.md); other sessions are left to other features. Attached before
 * the bridge, like cti_curl (a cti_bridge variable left on the channel by an earlier
 * bridge does not make a nacd call a bridge session).
 */
import type { OutboundServer } from '../esl/outbound-server.js';
import type { OutboundSession } from '../esl/outbound-session.js';
import type { QueueCallerRequest } from '../acd/calls/index.js';
import { GROUP_VARIABLE, runNacd, type NacdDeps, type NacdResult } from './callflow.js';
import { nacdCounter } from './metrics.js';
import { DID_VARIABLE, runDid } from './did-session.js';

export type NacdSessionDeps = Omit<NacdDeps, 'queue'> & {
  /** The ACD's entry (AcdCalls.handleQueueSession); none: no ACD on this instance. */
  queue?: (session: OutboundSession, request: QueueCallerRequest) => Promise<string>;
};

/** A nacd callflow (`nacd_group`) or DID (`nacd_did=in|out`) session. */
export function isNacdSession(session: Pick<OutboundSession, 'channelData'>): boolean {
  const set = (name: string): boolean => {
    const value = session.channelData.variable(name);
    return value !== undefined && value !== '';
  };
  return set(GROUP_VARIABLE) || set(DID_VARIABLE);
}

/** Runs the callflow, then closes the socket (at once, or once FreeSWITCH ended the call, 5 s at most). */
export async function handleNacdSession(session: OutboundSession, deps: NacdSessionDeps): Promise<NacdResult> {
  const { queue, ...rest } = deps;
  let result: NacdResult;
  try {
    const nacdDeps = { ...rest, ...(queue === undefined ? {} : { queue: (request: QueueCallerRequest) => queue(session, request) }) };
    const did = session.channelData.variable(DID_VARIABLE);
    result = did !== undefined && did !== '' ? await runDid(session, nacdDeps) : await runNacd(session, nacdDeps);
  } catch (error) {
    // runNacd does not throw; this is the last guard: the caller is not left on a dead socket.
    deps.logger.error({ uuid: session.uuid, err: error }, 'nacd failed unexpectedly; hanging up');
    if (!session.hungUp) await session.hangup('NORMAL_TEMPORARY_FAILURE').catch(() => undefined);
    result = { outcome: 'fallback', requests: 0 };
  }
  nacdCounter(deps.registry)(result.outcome);
  if (session.endedBy !== undefined || result.outcome === 'queued') return result;
  if (result.outcome === 'transferred' || session.hungUp || result.outcome === 'hungup' || result.outcome === 'fallback') {
    const timer = setTimeout(() => void session.close(), 5000);
    await session.whenEnded();
    clearTimeout(timer);
    return result;
  }
  await session.close();
  return result;
}

/**
 * Runs a group's callflow on a session another feature holds (a routing reply's `nacd`
 * action in control mode); that feature closes the session afterwards.
 */
export async function runNacdOnSession(session: OutboundSession, deps: NacdSessionDeps, group: string): Promise<NacdResult> {
  const { queue, ...rest } = deps;
  const result = await runNacd(session, { ...rest, ...(queue === undefined ? {} : { queue: (request: QueueCallerRequest) => queue(session, request) }) }, { group });
  nacdCounter(deps.registry)(result.outcome);
  return result;
}

/** Listens for nacd sessions on the outbound server; returns the detach function. */
export function attachNacd(server: Pick<OutboundServer, 'on' | 'off'>, deps: NacdSessionDeps): () => void {
  const onSession = (session: OutboundSession): void => {
    if (!isNacdSession(session) || !session.claim('nacd')) return;
    void handleNacdSession(session, deps);
  };
  server.on('session', onSession);
  return () => void server.off('session', onSession);
}
