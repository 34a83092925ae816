/**
 * Taking, renewing and giving back one call slot on one line: the TypeScript side of
 * lua/linegroup-acquire-5.lua, lua/linegroup-renew-1.lua and lua/linegroup-release-2.lua. The negative codes the
 * scripts return are turned into reasons here and nowhere else.
 */
import type { Keys } from '../keys.js';
import { runScript, type RedisClient } from '../lua-scripts.js';
import { longestPrefix, type Line, type Linegroup } from './schema.js';

export type RefusalReason = 'quarantined' | 'concurrency' | 'cps' | 'line-prefix-cps' | 'group-prefix-cps';

export type AcquireResult =
  | { ok: true; takenAt: number; active: number }
  | { ok: false; reason: RefusalReason; value: number };

const REASONS: Readonly<Record<number, RefusalReason>> = {
  [-1]: 'quarantined',
  [-2]: 'concurrency',
  [-3]: 'cps',
  [-4]: 'line-prefix-cps',
  [-5]: 'group-prefix-cps',
};

/** Lua outcome of a released call: `ok` line worked, `fail` line failure, `none` tells nothing. */
export type LineOutcome = 'ok' | 'fail' | 'none';

export interface ReleaseResult {
  /** False when the lease had been released before (the outcome was not recorded again). */
  released: boolean;
  /** The line's failures in a row after this release. */
  failures: number;
  /** Set when this release put the line in quarantine (ms epoch, Redis clock). */
  quarantinedUntil?: number;
}

export class LineSlots {
  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
  ) {}

  async acquire(groupName: string, group: Linegroup, line: Line, number: string, leaseId: string): Promise<AcquireResult> {
    const k = this.keys.line(groupName, line.id);
    const linePrefix = longestPrefix(line.prefixCps, number);
    const groupPrefix = longestPrefix(group.prefixCps, number);
    const keys = [
      k.state,
      k.leases,
      k.cps,
      this.keys.linegroupPrefixCps(groupName, line.id, linePrefix?.prefix ?? ''),
      this.keys.linegroupPrefixCps(groupName, '', groupPrefix?.prefix ?? ''),
    ];
    const args = [
      leaseId,
      line.maxConcurrent ?? 0,
      line.cps ?? 0,
      linePrefix?.cps ?? 0,
      groupPrefix?.cps ?? 0,
      group.leaseTtlMs,
      group.quarantine.failures,
    ];
    const reply = (await runScript(this.redis, 'linegroup-acquire', keys, args)) as number[];
    const [code = 0, a = 0, b = 0] = reply;
    if (code === 1) return { ok: true, takenAt: a, active: b };
    const reason = REASONS[code];
    if (reason === undefined) throw new Error(`linegroup-acquire returned unknown code ${code}`);
    return { ok: false, reason, value: a };
  }

  async release(
    groupName: string,
    quarantine: Linegroup['quarantine'],
    lineId: string,
    leaseId: string,
    outcome: LineOutcome,
  ): Promise<ReleaseResult> {
    const k = this.keys.line(groupName, lineId);
    const reply = (await runScript(this.redis, 'linegroup-release', [k.leases, k.state], [
      leaseId,
      outcome,
      quarantine.failures,
      quarantine.periodMs,
    ])) as number[];
    const [code = 0, failures = 0, until] = reply;
    const result: ReleaseResult = { released: code !== 0, failures };
    if (code === 2 && until !== undefined) result.quarantinedUntil = until;
    return result;
  }

  /**
   * Extends the slots `leaseIds` of one line to `ttlMs` from now and removes the line's
   * expired slots (no ids: only that). Returns the ids not held any more (released or
   * expired: stop renewing them) and how many expired slots were reclaimed.
   */
  async renew(groupName: string, lineId: string, ttlMs: number, leaseIds: readonly string[]): Promise<{ lost: string[]; reclaimed: number }> {
    const k = this.keys.line(groupName, lineId);
    const reply = (await runScript(this.redis, 'linegroup-renew', [k.leases], [ttlMs, ...leaseIds])) as (number | string)[];
    const [reclaimed = 0, ...lost] = reply;
    return { reclaimed: Number(reclaimed), lost: lost.map(String) };
  }

  /** Live view of each line (for GET .../status and the least-busy strategy). */
  async status(groupName: string, lines: readonly Line[]): Promise<LineStatus[]> {
    const now = await this.redisNow();
    const pipeline = this.redis.pipeline();
    for (const line of lines) {
      const k = this.keys.line(groupName, line.id);
      pipeline.zcount(k.leases, `(${now}`, '+inf');
      pipeline.hmget(k.state, 'fails', 'quarantinedUntil');
    }
    const replies = (await pipeline.exec()) ?? [];
    return lines.map((line, i) => {
      const [countError, count] = replies[i * 2] ?? [];
      const [stateError, state] = replies[i * 2 + 1] ?? [];
      if (countError) throw countError;
      if (stateError) throw stateError;
      const [fails, until] = (state as (string | null)[] | undefined) ?? [];
      const quarantinedUntil = Number(until ?? 0);
      return {
        id: line.id,
        active: Number(count ?? 0),
        failures: Number(fails ?? 0),
        quarantined: quarantinedUntil > now,
        quarantinedUntil: quarantinedUntil > now ? quarantinedUntil : null,
      };
    });
  }

  private async redisNow(): Promise<number> {
    const [seconds, micros] = await this.redis.time();
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  }
}

export interface LineStatus {
  id: string;
  active: number;
  failures: number;
  quarantined: boolean;
  quarantinedUntil: number | null;
}
