/**
 * Runs a DialPlan on the A leg: a hangup (with `respond <sipcode>` first when the caller
 * is not answered yet), one `bridge`, or a linegroup target line after line with failover
 * (src/linegroups/failover.ts). Returns the outcome; throws FreectiError only for a plan
 * that cannot run (line groups unavailable or refused: BRIDGE_BAD_REPLY, LINEGROUP_*).
 */
import type { EslEvent } from '../esl/event.js';
import { FreectiError, isFreectiError } from '../errors.js';
import type { Logger } from '../logger.js';
import { classify, resultFromEvent, type AttemptResult } from '../linegroups/classify.js';
import { dialWithFailover } from '../linegroups/failover.js';
import { NO_LINE_CAUSE, type LineLease } from '../linegroups/resolver.js';
import { mapLegs, type ResolvedLinegroup } from '../originate/translate.js';
import type { BridgeChannel, BridgeDeps } from './bridge-types.js';
import { withVariables, type DialPlan } from './dial-target.js';
import { contactDialString, contactQuery } from './contact.js';
import type { LegTracker } from './legs.js';

export interface DialContext extends BridgeDeps {
  legs: LegTracker;
  log: Logger;
  signal: AbortSignal;
  ended: Promise<unknown>;
}

export type LegResult = AttemptResult & { bUuid?: string };

export interface DialOutcome {
  cause: string;
  answered: boolean;
  attempts: number;
  last?: LegResult;
}

export async function dialPlan(channel: BridgeChannel, plan: DialPlan, ctx: DialContext): Promise<DialOutcome> {
  if (plan.kind === 'hangup') {
    if (plan.sipCode !== undefined && channel.answerState !== 'answered') {
      await channel.execute('respond', String(plan.sipCode)).catch(() => undefined);
    }
    return { cause: plan.cause, answered: false, attempts: 0 };
  }
  if (plan.kind === 'linegroup') {
    const resolver = ctx.resolver;
    if (resolver === undefined) throw new FreectiError('BRIDGE_BAD_REPLY', 'linegroup dial: line groups are not available on this instance');
    const results: LegResult[] = [];
    const outcome = await dialWithFailover(
      resolver,
      plan.target,
      async (resolved, attempt) => {
        if (attempt === 1 && resolved.lease.maxAttempts > 1) await keepCallerOnFailure(channel, ctx.log);
        const result = await bridgeOnce(channel, resolved.dialString, ctx);
        results.push(result);
        return result;
      },
      { callUuid: channel.uuid, signal: ctx.signal },
    );
    if (outcome.noLine) {
      throw new FreectiError('LINEGROUP_NO_LINE', `no line of group '${plan.target.group}' can take the call now`, {
        details: { group: plan.target.group, cause: NO_LINE_CAUSE },
      });
    }
    const last = results.at(-1);
    return { cause: outcome.final.cause, answered: outcome.final.verdict === 'answered', attempts: outcome.attempts.length, ...(last === undefined ? {} : { last }) };
  }
  if (plan.kind === 'contact') {
    // A gateway registered as an extension: `number` at the registration's contact (contact.ts).
    const domain = plan.domain ?? channel.channelData.variable('domain_name');
    const contacts = await channel.api('sofia_contact', contactQuery(plan.user, domain));
    const dialString = withVariables(plan.vars, contactDialString(contacts, plan.number));
    ctx.log.info({ user: plan.user, number: plan.number, dialString }, 'cti_bridge: number dialed at the registered contact of the user');
    const last = await bridgeOnce(channel, dialString, ctx);
    const verdict = classify(last);
    return { cause: verdict.cause === 'UNKNOWN' ? 'NORMAL_CLEARING' : verdict.cause, answered: verdict.verdict === 'answered', attempts: 1, last };
  }
  let dialString = plan.dialString;
  const taken: (ResolvedLinegroup & { lease: LineLease })[] = [];
  let last: LegResult;
  try {
    if (plan.linegroups) {
      const resolver = ctx.resolver;
      if (resolver === undefined) throw new FreectiError('BRIDGE_BAD_REPLY', 'linegroup dial: line groups are not available on this instance');
      dialString = await mapLegs(dialString, async (leg) => {
        const { dialString: resolved, lease } = await resolver.resolveLinegroupDialString(leg, { callUuid: channel.uuid });
        const entry = { dialString: resolved, lease };
        taken.push(entry);
        return entry;
      }, []);
    }
    last = await bridgeOnce(channel, dialString, ctx);
  } finally {
    // Every path gives the slots back: a leg that found no line after others were taken,
    // a bridge that threw, or the bridge's end (with what the line's leg said).
    for (const { lease } of taken) {
      const legHangup = [...ctx.legs.bLegs.values()].find((e) => e?.variable('freecti_lease') === lease.id);
      await ctx.resolver?.release(lease, legHangup === undefined ? undefined : resultFromEvent(legHangup), { callUuid: channel.uuid }).catch((error: unknown) => {
        ctx.log.warn({ err: (error as Error).message, lease: lease.id }, 'cannot release a line slot; it frees itself within leaseTtlMs');
      });
    }
  }
  const verdict = classify(last);
  return { cause: verdict.cause === 'UNKNOWN' ? 'NORMAL_CLEARING' : verdict.cause, answered: verdict.verdict === 'answered', attempts: 1, last };
}

/**
 * Before the first line of a group that may fail over: without `continue_on_fail`,
 * FreeSWITCH's `bridge` hangs the caller up when the bridge fails, and the next line could
 * never be dialled; `hangup_after_bridge=false` leaves the end of an answered bridge to
 * freecti too (it hangs up with the outcome's cause right after). Set on the A leg.
 */
async function keepCallerOnFailure(channel: BridgeChannel, log: Logger): Promise<void> {
  try {
    await channel.execute('set', 'continue_on_fail=true');
    await channel.execute('set', 'hangup_after_bridge=false');
  } catch (error) {
    // The bridge that follows reports what happened (or that the call is gone).
    log.warn({ err: (error as Error).message }, 'cannot set continue_on_fail on the caller; a failed line may end the call without failover');
  }
}

/** `bridge <dialString>` and what it ended with (the B leg's hangup when there was one). */
async function bridgeOnce(channel: BridgeChannel, dialString: string, ctx: DialContext): Promise<LegResult> {
  const mark = ctx.legs.bLegs.size;
  let complete: EslEvent;
  try {
    ctx.log.debug({ dialString }, 'bridge');
    complete = await channel.execute('bridge', dialString);
  } catch (error) {
    if (ctx.signal.aborted || isFreectiError(error, 'ESL_DISCONNECTED') || ctx.legs.aHangupCause !== undefined) {
      // No completion came, not even while the session lingered after the disconnect-notice:
      // the best FreeSWITCH said is a new leg's hangup, else the A leg's own hangup cause.
      const newLegs = ctx.legs.legsAfter(mark);
      const bUuid = newLegs.at(-1);
      const legHangup = bUuid === undefined ? undefined : ctx.legs.bLegs.get(bUuid);
      const result: LegResult = legHangup === undefined ? { cause: ctx.legs.aHangupCause ?? 'ORIGINATOR_CANCEL' } : resultFromEvent(legHangup);
      ctx.log.info({ err: (error as Error).message, cause: result.cause }, 'bridge interrupted before its completion: the call is gone');
      return bUuid === undefined ? result : { ...result, bUuid };
    }
    // FreeSWITCH refused or did not acknowledge the sendmsg while the call is up.
    ctx.log.warn({ err: (error as Error).message, dialString }, 'bridge could not be started');
    return { cause: 'NORMAL_TEMPORARY_FAILURE' };
  }
  const fromBridge = resultFromEvent(complete);
  const newLegs = ctx.legs.legsAfter(mark);
  await ctx.legs.waitForHangups(newLegs, ctx.legHangupWaitMs ?? 2000, ctx.ended);
  const bUuid = newLegs.at(-1);
  const hangup = bUuid === undefined ? undefined : ctx.legs.bLegs.get(bUuid);
  const withLeg = (r: AttemptResult): LegResult => (bUuid === undefined ? r : { ...r, bUuid });
  if (fromBridge.answered === true) return withLeg({ ...fromBridge, cause: 'NORMAL_CLEARING' });
  if (hangup !== undefined) {
    const fromLeg = resultFromEvent(hangup);
    return withLeg({ ...fromLeg, cause: fromLeg.cause ?? fromBridge.cause, sipCode: fromLeg.sipCode ?? fromBridge.sipCode });
  }
  return withLeg(fromBridge);
}
