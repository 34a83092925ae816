/**
 * What a finished dial attempt says about the line it used, and whether to fail over.
 *
 * - `answered`: the line carried an answered call (line healthy);
 * - `refused`: the far end gave a final "no" (busy, decline, no answer, unknown number):
 *   NO failover (trying another line would ring the same busy person again), line healthy;
 * - `line-failure`: network, congestion or gateway trouble: fail over to the next line,
 *   counts towards the line's quarantine;
 * - `neutral`: the caller gave up, a transfer, a shutdown, an unknown cause: no failover,
 *   says nothing about the line.
 *
 * A SIP final response of 486/600 (busy) or 603 (decline) is always `refused`, whatever
 * the cause name. Otherwise FreeSWITCH's cause name decides (it already folds the SIP code
 * in), then the Q.850 number, then mod_sofia's mapping of the SIP code.
 */
import type { EslEvent } from '../esl/event.js';
import { causeName, isCauseName, sipCodeToCause, type CauseName } from './hangup-causes.js';

export type Verdict = 'answered' | 'refused' | 'line-failure' | 'neutral';

/** What FreeSWITCH reported about one attempt (any subset). */
export interface AttemptResult {
  /** FreeSWITCH cause name (Hangup-Cause, originate_disposition). */
  cause?: string | undefined;
  q850?: number | undefined;
  /** SIP final response (sip_term_status, sip_invite_failure_status). */
  sipCode?: number | undefined;
  /** The call was answered. */
  answered?: boolean | undefined;
}

export interface Classification {
  verdict: Verdict;
  /** The cause used (a FreeSWITCH cause name), for logs and notifications. */
  cause: CauseName | 'UNKNOWN';
  failover: boolean;
}

const REFUSED = new Set<CauseName>([
  'UNALLOCATED_NUMBER', 'USER_BUSY', 'NO_USER_RESPONSE', 'NO_ANSWER', 'SUBSCRIBER_ABSENT', 'CALL_REJECTED',
  'NUMBER_CHANGED', 'REDIRECTION_TO_NEW_DESTINATION', 'INVALID_NUMBER_FORMAT', 'NORMAL_UNSPECIFIED',
  'USER_CHALLENGE', 'USER_NOT_REGISTERED', 'NO_PICKUP', 'NORMAL_CLEARING', 'ALLOTTED_TIMEOUT',
]);

const NEUTRAL = new Set<CauseName>([
  'NONE', 'SUCCESS', 'ORIGINATOR_CANCEL', 'CRASH', 'SYSTEM_SHUTDOWN', 'LOSE_RACE', 'MANAGER_REQUEST',
  'BLIND_TRANSFER', 'ATTENDED_TRANSFER', 'PICKED_OFF',
]);

/** Every other cause of the table is a line failure (network, congestion, gateway, protocol). */
export function verdictOfCause(cause: CauseName): Exclude<Verdict, 'answered'> {
  if (REFUSED.has(cause)) return 'refused';
  if (NEUTRAL.has(cause)) return 'neutral';
  return 'line-failure';
}

export function classify(result: AttemptResult): Classification {
  const cause = pickCause(result);
  if (result.answered === true) return { verdict: 'answered', cause: cause ?? 'NORMAL_CLEARING', failover: false };
  const sip = result.sipCode;
  if (sip === 486 || sip === 600 || sip === 603) return { verdict: 'refused', cause: cause ?? sipCodeToCause(sip), failover: false };
  if (cause === undefined) return { verdict: 'neutral', cause: 'UNKNOWN', failover: false };
  const verdict = verdictOfCause(cause);
  return { verdict, cause, failover: verdict === 'line-failure' };
}

function pickCause(result: AttemptResult): CauseName | undefined {
  if (result.cause !== undefined && isCauseName(result.cause)) return result.cause;
  if (result.q850 !== undefined) {
    const named = causeName(result.q850);
    if (named !== undefined) return named;
  }
  if (result.sipCode !== undefined && result.sipCode >= 300 && result.sipCode <= 699) return sipCodeToCause(result.sipCode);
  return undefined;
}

/** The result carried by a bridge's CHANNEL_EXECUTE_COMPLETE (A leg) or a leg's CHANNEL_HANGUP_COMPLETE. */
export function resultFromEvent(event: EslEvent): AttemptResult {
  const v = (name: string): string | undefined => event.variable(name);
  const disposition = v('originate_disposition');
  const cause = disposition !== undefined && disposition !== 'SUCCESS' ? disposition : (event.get('Hangup-Cause') ?? v('last_bridge_hangup_cause'));
  const sipText = v('sip_term_status') ?? v('sip_invite_failure_status') ?? /^sip:(\d{3})$/.exec(v('last_bridge_proto_specific_hangup_cause') ?? '')?.[1];
  const q850 = v('hangup_cause_q850');
  // The bridge's EXECUTE_COMPLETE is on the A leg: its own answer time says nothing about B.
  const answeredTime = event.get('Caller-Channel-Answered-Time');
  const answered =
    event.name === 'CHANNEL_EXECUTE_COMPLETE'
      ? v('DIALSTATUS') === 'SUCCESS' || disposition === 'SUCCESS'
      : answeredTime !== undefined && answeredTime !== '0';
  return {
    cause,
    sipCode: sipText === undefined ? undefined : Number(sipText),
    q850: q850 === undefined ? undefined : Number(q850),
    answered,
  };
}
