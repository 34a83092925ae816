/**
 * What the CLI, the call-control API and the event stream share in one app: the
 * keyring, the access gate (rate limits), the audit log, the linegroup dialer and
 * `run`, which sends one command to a node and audits it. Built once per app (the
 * route plugins all receive the same deps object).
 */
import { Counter } from 'prom-client';
import type { RouteDeps } from '../http/app.js';
import { Keys } from '../keys.js';
import { LinegroupResolver } from '../linegroups/resolver.js';
import type { FsNode } from '../esl/types.js';
import type { LinegroupDialer } from '../originate/translate.js';
import { AccessGate, type Caller } from './access.js';
import { AuditLog, type AuditRecord } from './audit.js';
import { Keyring } from './keyring.js';
import { RateLimiter } from './rate-limit.js';

/** One audited call as a route reports it: the audit record less what the context adds. */
export type AuditEntry = Omit<AuditRecord, 'keyId' | 'ip' | 'durationMs'> & { startedAt: number };

export interface CliContext {
  readonly keyring: Keyring;
  readonly gate: AccessGate;
  readonly audit: AuditLog;
  readonly dialLinegroup: LinegroupDialer;
  /** The named node, or the first ready one (NODE_UNKNOWN 404 / ESL_NOT_CONNECTED 503). */
  node(name: string | undefined): FsNode;
  /** Audits one finished or refused call. */
  record(caller: Caller | { ip: string; keyId: string }, entry: AuditEntry): void;
}

const contexts = new WeakMap<object, CliContext>();

export function cliContext(deps: RouteDeps): CliContext {
  const existing = contexts.get(deps);
  if (existing !== undefined) return existing;
  const keys = new Keys(deps.config.redis.keyPrefix);
  const keyring = new Keyring(deps.config, deps.policy);
  const limiter = new RateLimiter(deps.redis, keys, deps.logger.child({ component: 'cli' }));
  const audit = new AuditLog(deps.logger, deps.redis, keys, deps.config.cli.auditStreamMaxLen);
  const resolver = new LinegroupResolver({ redis: deps.redis, keys, logger: deps.logger });
  const calls = new Counter({
    name: 'freecti_cli_calls_total',
    help: 'HTTP CLI, call-control and event-stream requests, by operation (via) and outcome (+OK, -ERR or FREECTI_ERR_*).',
    labelNames: ['via', 'result'],
    registers: [deps.metrics.registry],
  });
  const dialLinegroup: LinegroupDialer = async (dialString) => {
    const { dialString: resolved, lease } = await resolver.resolveLinegroupDialString(dialString);
    return { dialString: resolved, release: async (cause) => void (await resolver.release(lease, { cause })) };
  };
  const context: CliContext = {
    keyring,
    gate: new AccessGate(keyring, limiter),
    audit,
    dialLinegroup,
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
  contexts.set(deps, context);
  return context;
}
