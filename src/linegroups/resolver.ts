/**
 * Turns `linegroup/<group>/<number>` into a real dial string on one line that can take
 * the call now, holding a slot (lease) on that line until `release`.
 *
 *   const { dialString, lease } = await resolver.resolveLinegroupDialString(s, { callUuid });
 *   ... bridge/originate dialString ...
 *   await resolver.release(lease, resultFromEvent(bridgeCompleteEvent));
 *
 * A call that finds no line gets LINEGROUP_NO_LINE (details.cause =
 * NORMAL_CIRCUIT_CONGESTION, the cause to hang up with) and one warn log line naming
 * every line and why it refused. `dialWithFailover` (failover.ts) runs the whole loop.
 */
import { randomUUID } from 'node:crypto';
import type { Registry } from 'prom-client';
import { FreectiError } from '../errors.js';
import type { Keys } from '../keys.js';
import type { Logger } from '../logger.js';
import type { RedisClient } from '../lua-scripts.js';
import { classify, type AttemptResult, type Classification } from './classify.js';
import { buildLineDialString, parseLinegroupDialString, type LinegroupTarget } from './dial-string.js';
import { LineSlots, type LineOutcome, type RefusalReason, type ReleaseResult } from './line-slots.js';
import { linegroupMetrics, type LinegroupMetrics } from './metrics.js';
import { LinegroupStore } from './store.js';
import { orderLines } from './strategy.js';

/** The hangup cause of a call that finds no free line. */
export const NO_LINE_CAUSE = 'NORMAL_CIRCUIT_CONGESTION';

/** A slot held on one line. Plain JSON: it may be stored and released by another instance. */
export interface LineLease {
  id: string;
  group: string;
  line: string;
  gateway: string;
  /** The number as asked for (before the line's strip/prefix rules). */
  number: string;
  /** When the slot was taken (ms epoch, Redis clock). */
  takenAt: number;
  /** The group's failover and quarantine settings when the slot was taken. */
  maxAttempts: number;
  quarantine: { failures: number; periodMs: number };
}

export interface ResolvedDial {
  dialString: string;
  lease: LineLease;
}

export interface ResolveContext {
  /** For logs. */
  callUuid?: string;
  /** Line ids not to use (already tried for this call). */
  exclude?: ReadonlySet<string>;
}

export interface ReleaseReport {
  classification: Classification;
  release: ReleaseResult;
}

export interface LinegroupResolverDeps {
  redis: RedisClient;
  keys: Keys;
  logger: Logger;
  random?: () => number;
  /** The service's metrics registry (`freecti_linegroup_*`); none: not counted. */
  registry?: Registry;
}

export class LinegroupResolver {
  readonly store: LinegroupStore;
  readonly slots: LineSlots;
  private readonly log: Logger;
  private readonly metrics: LinegroupMetrics;

  constructor(private readonly deps: LinegroupResolverDeps) {
    this.store = new LinegroupStore(deps.redis, deps.keys);
    this.slots = new LineSlots(deps.redis, deps.keys);
    this.log = deps.logger.child({ component: 'linegroups' });
    this.metrics = linegroupMetrics(deps.registry);
  }

  /** LINEGROUP_DIAL_STRING when `dialString` is not `[{..}][[..]]linegroup/<group>/<number>`. */
  async resolveLinegroupDialString(dialString: string, ctx: ResolveContext = {}): Promise<ResolvedDial> {
    const target = parseLinegroupDialString(dialString);
    if (target === undefined) throw new FreectiError('LINEGROUP_DIAL_STRING', `'${dialString.slice(0, 200)}' is not a linegroup dial string`);
    return this.acquire(target, ctx);
  }

  async acquire(target: LinegroupTarget, ctx: ResolveContext = {}): Promise<ResolvedDial> {
    const group = await this.store.get(target.group);
    const lines = await orderLines({ ...this.deps, slots: this.slots }, target.group, group);
    const refusals: { line: string; reason: RefusalReason | 'tried' }[] = [];
    for (const line of lines) {
      if (ctx.exclude?.has(line.id) === true) {
        refusals.push({ line: line.id, reason: 'tried' });
        continue;
      }
      const leaseId = randomUUID();
      const taken = await this.slots.acquire(target.group, group, line, target.number, leaseId);
      if (!taken.ok) {
        refusals.push({ line: line.id, reason: taken.reason });
        continue;
      }
      const lease: LineLease = {
        id: leaseId,
        group: target.group,
        line: line.id,
        gateway: line.gateway,
        number: target.number,
        takenAt: taken.takenAt,
        maxAttempts: group.maxAttempts,
        quarantine: { ...group.quarantine },
      };
      this.log.debug({ uuid: ctx.callUuid, group: target.group, line: line.id, active: taken.active, lease: leaseId }, 'line taken');
      return { dialString: buildLineDialString(target, line, leaseId), lease };
    }
    const details = { group: target.group, number: target.number, cause: NO_LINE_CAUSE, refusals };
    this.metrics.noLine(target.group);
    this.log.warn({ uuid: ctx.callUuid, ...details }, `no line of group '${target.group}' can take the call; it ends with ${NO_LINE_CAUSE}`);
    throw new FreectiError('LINEGROUP_NO_LINE', `no line of group '${target.group}' can take a call to ${target.number} now`, { details });
  }

  /**
   * Gives the slot back and records what the attempt said about the line (once per
   * lease: releasing twice is harmless). Without a result the outcome is neutral.
   */
  async release(lease: LineLease, result?: AttemptResult, ctx: ResolveContext = {}): Promise<ReleaseReport> {
    const classification = result === undefined ? classify({}) : classify(result);
    const outcome: LineOutcome = classification.verdict === 'line-failure' ? 'fail' : classification.verdict === 'neutral' ? 'none' : 'ok';
    const release = await this.slots.release(lease.group, lease.quarantine, lease.line, lease.id, outcome);
    const log = { uuid: ctx.callUuid, group: lease.group, line: lease.line, lease: lease.id, cause: classification.cause, verdict: classification.verdict };
    if (release.released) this.metrics.released(lease.group, lease.line, classification.verdict);
    if (release.quarantinedUntil !== undefined) {
      this.metrics.quarantined(lease.group, lease.line);
      this.log.warn(
        { ...log, failures: release.failures, quarantineMs: lease.quarantine.periodMs },
        `line '${lease.line}' of group '${lease.group}' quarantined after ${release.failures} failures in a row (last: ${classification.cause})`,
      );
    } else if (outcome === 'fail' && release.released) {
      this.log.warn({ ...log, failures: release.failures }, `line '${lease.line}' failed (${classification.cause})`);
    } else {
      this.log.debug({ ...log, released: release.released }, 'line released');
    }
    return { classification, release };
  }
}
