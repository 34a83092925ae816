/**
 * The gate every CLI, call-control and event-stream request passes, in this order:
 * keys configured (else 503 CLI_DISABLED) → key known (401) → source address allowed
 * (403 CLI_SOURCE_FORBIDDEN) → rate (429) → command allowed (403
 * CLI_COMMAND_FORBIDDEN, with the missing names in `details`). Nothing reaches
 * FreeSWITCH before all of them passed.
 *
 * The key comes from the `key` query parameter (the seed), an `X-API-Key` header or
 * `Authorization: Bearer <key>`. The source address is the TCP peer: no proxy
 * header is trusted.
 */
import type { FastifyRequest } from 'fastify';
import { FreectiError } from '../errors.js';
import type { CheckedCommand } from '../fs-lang/commands.js';
import type { CommandDecision } from './key-grants.js';
import { sourceAllowed, type KeyEntry, type Keyring } from './keyring.js';
import type { RateLimiter } from './rate-limit.js';

export interface Caller {
  readonly entry: KeyEntry;
  readonly ip: string;
}

/** The key a request presents, from the header or (when given) the query value. */
export function presentedKey(request: FastifyRequest, queryKey?: string): string | undefined {
  const header = request.headers['x-api-key'];
  if (typeof header === 'string' && header !== '') return header;
  const auth = request.headers.authorization;
  if (typeof auth === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(auth);
    if (match?.[1] !== undefined) return match[1];
  }
  return queryKey === '' ? undefined : queryKey;
}

export class AccessGate {
  constructor(
    private readonly keyring: Keyring,
    private readonly limiter: RateLimiter,
  ) {}

  /** Authenticates and rate-limits; `cli` = the raw CLI (admin keys are refused there). */
  async admit(key: string | undefined, ip: string, options: { cli: boolean }): Promise<Caller> {
    if (this.keyring.size === 0) throw new FreectiError('CLI_DISABLED');
    const entry = this.keyring.find(key);
    if (entry === undefined) throw new FreectiError('UNAUTHORIZED');
    if (options.cli && !entry.cli) throw new FreectiError('CLI_COMMAND_FORBIDDEN', 'admin keys may not use the raw CLI');
    if (entry.sources !== undefined && !sourceAllowed(entry.sources, ip)) {
      throw new FreectiError('CLI_SOURCE_FORBIDDEN', undefined, { details: { keyId: entry.id, ip } });
    }
    const rate = await this.limiter.hit(entry.id, entry.ratePerMinute);
    if (!rate.allowed) {
      throw new FreectiError('RATE_LIMITED', `key '${entry.id}' is limited to ${entry.ratePerMinute} requests per minute`, {
        details: { keyId: entry.id, retryAfterSeconds: rate.retryAfterSeconds },
      });
    }
    return { entry, ip };
  }

  /** The checked command, or CLI_COMMAND_FORBIDDEN with the policy's reason. */
  static require(caller: Caller, decision: CommandDecision): CheckedCommand {
    if (decision.allowed) return decision.command;
    throw new FreectiError('CLI_COMMAND_FORBIDDEN', `key '${caller.entry.id}' may not run this: ${decision.reason}`, {
      details: { keyId: caller.entry.id, reason: decision.reason },
    });
  }

  /** Throws unless the key grants every one of `names` (typed operations). */
  static requireNames(caller: Caller, names: readonly string[]): void {
    const missing = names.filter((n) => !caller.entry.grants.grants(n));
    if (missing.length === 0) return;
    throw new FreectiError('CLI_COMMAND_FORBIDDEN', `key '${caller.entry.id}' may not run: ${missing.join(', ')}`, {
      details: { keyId: caller.entry.id, missing, reason: `not granted: ${missing.join(', ')}` },
    });
  }
}
