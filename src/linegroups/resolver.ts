/**
 * Turns `linegroup/<group>/<number>` into a real dial string on one line that can take
 * the call now, holding a slot (lease) on that line until `release`.
 *
 *   const { dialString, lease } = await resolver.resolveLinegroupDialString(s, { callUuid });
 *   ... bridge/originate dialString ...
 *   await resolver.release(lease, resultFromEvent(bridgeCompleteEvent));
 *
 * A slot lives `leaseTtlMs` (short, 30 s by default) and this resolver renews every slot it
 * took every leaseTtlMs / 3 until `release` (lua/linegroup-renew-1.lua): a call that lasts
 * keeps its slot, a slot whose holder crashed (renewals stop) frees itself within
 * leaseTtlMs, and `reapExpired` (the lease reaper's sweep) removes such slots from Redis.
 * Callers release in `finally` on every path.
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
  /** The group's leaseTtlMs when the slot was taken: renewed to this long from now. */
  ttlMs: number;
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
  /** Slots this resolver took and has not released: renewed while held. */
  private readonly held = new Map<string, LineLease>();
  private renewTimer: NodeJS.Timeout | undefined;
  private renewing = true;

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
        ttlMs: group.leaseTtlMs,
        maxAttempts: group.maxAttempts,
        quarantine: { ...group.quarantine },
      };
      this.log.debug({ uuid: ctx.callUuid, group: target.group, line: line.id, active: taken.active, lease: leaseId }, 'line taken');
      this.hold(lease);
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
    this.held.delete(lease.id);
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

  /** Slots this resolver holds and renews (taken, not released, not lost). */
  get heldCount(): number {
    return this.held.size;
  }

  /** Renews `lease` every ttlMs / 3 until it is released (acquire does this for its own leases). */
  hold(lease: LineLease): void {
    this.held.set(lease.id, lease);
    this.scheduleRenewal();
  }

  /**
   * Renews every held slot now; a slot that is gone (released elsewhere, e.g. by the
   * lease reaper of another instance, or expired) is dropped from the held set.
   */
  async renewHeld(): Promise<void> {
    const byLine = new Map<string, { group: string; line: string; ttlMs: number; ids: string[] }>();
    for (const lease of this.held.values()) {
      const key = `${lease.group}\u0000${lease.line}\u0000${lease.ttlMs}`;
      const entry = byLine.get(key) ?? { group: lease.group, line: lease.line, ttlMs: lease.ttlMs, ids: [] };
      entry.ids.push(lease.id);
      byLine.set(key, entry);
    }
    const results = await Promise.allSettled(
      [...byLine.values()].map(async ({ group, line, ttlMs, ids }) => {
        const { lost } = await this.slots.renew(group, line, ttlMs, ids);
        for (const id of lost) {
          this.held.delete(id);
          this.log.debug({ group, line, lease: id }, 'line slot no longer held (released elsewhere or expired)');
        }
      }),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
  }

  /**
   * Removes the slots nobody renewed in time (a crashed instance's) from every line of
   * every group; returns how many. The acquire script also ignores them, so this only
   * keeps Redis and GET .../status exact.
   */
  async reapExpired(): Promise<number> {
    const { groups } = await this.store.list();
    let reclaimed = 0;
    for (const [name, group] of Object.entries(groups)) {
      for (const line of group.lines) reclaimed += (await this.slots.renew(name, line.id, group.leaseTtlMs, [])).reclaimed;
    }
    return reclaimed;
  }

  /** Stops renewing (shutdown; tests use it to play a crashed instance). Held slots then expire. */
  stopRenewing(): void {
    this.renewing = false;
    clearTimeout(this.renewTimer);
    this.renewTimer = undefined;
  }

  private scheduleRenewal(): void {
    if (!this.renewing || this.renewTimer !== undefined || this.held.size === 0) return;
    let every = Infinity;
    for (const lease of this.held.values()) every = Math.min(every, Math.floor(lease.ttlMs / 3));
    this.renewTimer = setTimeout(() => {
      void this.renewHeld()
        .catch((error: unknown) => {
          this.log.warn({ err: (error as Error).message, held: this.held.size }, 'cannot renew line slots; they free themselves after leaseTtlMs unless a later renewal succeeds');
        })
        .finally(() => {
          this.renewTimer = undefined;
          this.scheduleRenewal();
        });
    }, Math.max(50, every));
    this.renewTimer.unref();
  }
}
