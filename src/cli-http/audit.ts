/**
 * The audit trail of the HTTP CLI and the typed call-control API: one record per call
 * (key id, source address, command, arguments, outcome, duration), written to a pino
 * child logger marked `audit: true` (route it apart with a log shipper) and, when
 * `cli.auditStreamMaxLen` > 0, appended to the Redis stream `{freecti}:cli:audit`
 * capped with an exact `MAXLEN`. The key itself is never written.
 */
import type { RedisClient } from '../redis.js';
import type { Keys } from '../keys.js';
import type { Logger } from '../logger.js';

export interface AuditRecord {
  keyId: string;
  ip: string;
  /** `cli` for /cli, else the typed operation (`hangup`, `click-to-call`, ...). */
  via: string;
  cmd: string;
  arg: string;
  node: string | undefined;
  /** HTTP status answered. */
  status: number;
  /** FREECTI_ERR_* when refused or failed; `-ERR` when FreeSWITCH answered an error in-band. */
  result: string;
  durationMs: number;
  /** Names the call used only because the key lists them exactly (sched_api, system, sofia-control...); absent when none. */
  exactGrants?: string[] | undefined;
  /** Why the policy refused the call, when it did. */
  reason?: string | undefined;
}

const MAX_ARG_IN_LOG = 2048;

export class AuditLog {
  private readonly log: Logger;

  constructor(
    logger: Logger,
    private readonly redis: RedisClient | undefined,
    private readonly keys: Keys,
    private readonly streamMaxLen: number,
  ) {
    this.log = logger.child({ audit: true, component: 'cli-audit' });
  }

  write(record: AuditRecord): void {
    const arg = record.arg.length > MAX_ARG_IN_LOG ? `${record.arg.slice(0, MAX_ARG_IN_LOG)}...` : record.arg;
    this.log.info({ ...record, arg }, record.exactGrants === undefined ? 'cli call' : `cli call using exact grants: ${record.exactGrants.join(', ')}`);
    if (this.streamMaxLen <= 0 || this.redis === undefined || this.redis.status !== 'ready') return;
    const fields = [
      'keyId', record.keyId, 'ip', record.ip, 'via', record.via, 'cmd', record.cmd, 'arg', arg,
      'node', record.node ?? '', 'status', String(record.status), 'result', record.result,
      'durationMs', String(record.durationMs), 'at', new Date().toISOString(),
      ...(record.exactGrants === undefined ? [] : ['exactGrants', record.exactGrants.join(',')]),
      ...(record.reason === undefined ? [] : ['reason', record.reason]),
    ];
    this.redis
      .xadd(this.streamKey(), 'MAXLEN', String(this.streamMaxLen), '*', ...fields)
      .catch((error: unknown) => this.log.warn({ err: (error as Error).message }, 'audit stream append failed'));
  }

  streamKey(): string {
    return this.keys.cliAudit();
  }
}
