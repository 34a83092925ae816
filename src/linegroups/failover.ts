/**
 * The failover loop for one call to `linegroup/<group>/<number>`: take a line, dial,
 * release with the result; on a line failure (network, congestion, gateway) take the
 * next line, up to the group's `maxAttempts`; stop on an answer, a refusal (busy,
 * decline, no answer) or a neutral end (the caller gave up).
 *
 * `dial` runs one attempt (e.g. `bridge <dialString>` and waits for its
 * CHANNEL_EXECUTE_COMPLETE, see classify.resultFromEvent). If `dial` throws, the slot
 * is released as neutral and the error propagates.
 */
import { isFreectiError } from '../errors.js';
import type { AttemptResult, Classification } from './classify.js';
import { parseLinegroupDialString, type LinegroupTarget } from './dial-string.js';
import { NO_LINE_CAUSE, type LineLease, type LinegroupResolver, type ResolvedDial } from './resolver.js';

export interface AttemptRecord {
  lease: LineLease;
  dialString: string;
  result: AttemptResult;
  classification: Classification;
}

export interface FailoverOutcome {
  attempts: AttemptRecord[];
  /** The final classification; `cause` is what the call ended with. */
  final: Classification;
  /** True when no line could take the call at the first attempt. */
  noLine: boolean;
}

export type DialAttempt = (dial: ResolvedDial, attempt: number) => Promise<AttemptResult>;

export async function dialWithFailover(
  resolver: LinegroupResolver,
  target: LinegroupTarget | string,
  dial: DialAttempt,
  ctx: { callUuid?: string; signal?: AbortSignal } = {},
): Promise<FailoverOutcome> {
  const parsed = typeof target === 'string' ? parseLinegroupDialString(target) : target;
  if (parsed === undefined) throw new Error(`not a linegroup dial string: ${String(target)}`);
  const attempts: AttemptRecord[] = [];
  const tried = new Set<string>();
  let maxAttempts = 1;
  for (let n = 1; n <= maxAttempts; n++) {
    if (ctx.signal?.aborted === true) break;
    let resolved: ResolvedDial;
    try {
      resolved = await resolver.acquire(parsed, { ...optional(ctx.callUuid), exclude: tried });
    } catch (error) {
      if (!isFreectiError(error, 'LINEGROUP_NO_LINE')) throw error;
      const last = attempts.at(-1);
      if (last === undefined) return { attempts, final: { verdict: 'line-failure', cause: NO_LINE_CAUSE, failover: false }, noLine: true };
      return { attempts, final: last.classification, noLine: false };
    }
    maxAttempts = resolved.lease.maxAttempts;
    tried.add(resolved.lease.line);
    let result: AttemptResult;
    try {
      result = await dial(resolved, n);
    } catch (error) {
      await resolver.release(resolved.lease, undefined, optional(ctx.callUuid)).catch(() => undefined);
      throw error;
    }
    const { classification } = await resolver.release(resolved.lease, result, optional(ctx.callUuid));
    attempts.push({ lease: resolved.lease, dialString: resolved.dialString, result, classification });
    if (!classification.failover) break;
  }
  const last = attempts.at(-1);
  return { attempts, final: last?.classification ?? { verdict: 'neutral', cause: 'ORIGINATOR_CANCEL', failover: false }, noLine: false };
}

function optional(callUuid: string | undefined): { callUuid?: string } {
  return callUuid === undefined ? {} : { callUuid };
}
