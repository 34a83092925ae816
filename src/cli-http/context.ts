/**
 * What the CLI, the call-control API and the event stream share: the keyring, the
 * access gate (rate limits), the audit log, the linegroup dialer and `record`, which
 * audits one call. Built once, by createServices (src/services.ts).
 */
import { Counter } from 'prom-client';
import type { RedisClient } from '../redis.js';
import type { Config } from '../config/schema.js';
import type { FsNode, FsPool } from '../esl/types.js';
import type { FsPolicy } from '../fs-lang/policy.js';
import type { Keys } from '../keys.js';
import type { LinegroupResolver } from '../linegroups/resolver.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { resolverDialer, type LinegroupDialer } from '../originate/translate.js';
import type { NacdCommands } from '../nacd/commands.js';
import { AccessGate, type Caller } from '../auth/access.js';
import { AuditLog, type AuditRecord } from './audit.js';
import { Keyring } from '../auth/keyring.js';
import { RateLimiter } from '../auth/rate-limit.js';

/** One audited call as a route reports it: the audit record less what the context adds. */
export type AuditEntry = Omit<AuditRecord, 'keyId' | 'ip' | 'durationMs'> & { startedAt: number };

export interface CliContext {
  readonly keyring: Keyring;
  readonly gate: AccessGate;
  readonly audit: AuditLog;
  readonly dialLinegroup: LinegroupDialer;
  /** The nacd commands freecti runs itself (nacd, nacd_max, nway_uuid_*...). */
  readonly nacd: NacdCommands;
  /** The named node, or the first ready one (NODE_UNKNOWN 404 / ESL_NOT_CONNECTED 503). */
  node(name: string | undefined): FsNode;
  /** Audits one finished or refused call. */
  record(caller: Caller | { ip: string; keyId: string }, entry: AuditEntry): void;
}

export interface CliContextDeps {
  config: Config;
  logger: Logger;
  redis: RedisClient;
  pool: FsPool;
  metrics: Metrics;
  policy: FsPolicy;
  keys: Keys;
  /** The service's one line-group resolver. */
  linegroups: LinegroupResolver;
  /** The nacd commands (built once by createServices). */
  nacd: NacdCommands;
}

export function createCliContext(deps: CliContextDeps): CliContext {
  const { keys } = deps;
  const keyring = new Keyring(deps.config, deps.policy);
  const limiter = new RateLimiter(deps.redis, keys, deps.logger.child({ component: 'cli' }));
  const audit = new AuditLog(deps.logger, deps.redis, keys, deps.config.cli.auditStreamMaxLen);
  const resolver = deps.linegroups;
  const calls = new Counter({
    name: 'freecti_cli_calls_total',
    help: 'HTTP CLI, call-control and event-stream requests, by operation (via) and outcome (+OK, -ERR or FREECTI_ERR_*).',
    labelNames: ['via', 'result'],
    registers: [deps.metrics.registry],
  });
  const dialLinegroup: LinegroupDialer = resolverDialer(resolver);
  const context: CliContext = {
    keyring,
    gate: new AccessGate(keyring, limiter),
    audit,
    dialLinegroup,
    nacd: deps.nacd,
    node: (name) => deps.pool.get(name === '' ? undefined : name),
    record(caller, entry) {
      const keyId = 'entry' in caller ? caller.entry.id : caller.keyId;
      calls.inc({ via: entry.via, result: entry.result });
      const { startedAt, exactGrants, reason, ...rest } = entry;
      audit.write({
        ...rest,
        keyId,
        ip: caller.ip,
        durationMs: Math.round(performance.now() - startedAt),
        ...(exactGrants === undefined || exactGrants.length === 0 ? {} : { exactGrants }),
        ...(reason === undefined ? {} : { reason }),
      });
    },
  };
  return context;
}
