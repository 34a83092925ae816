/**
 * `number-alias` lookups (seed 001 attribute): FreeSWITCH finds a directory user by its
 * `id` or its `number-alias` (`switch_xml_find_child_multi(tag, "user", "id", name,
 * "number-alias", name, ...)` in switch_xml.c, case-insensitive), so `REGISTER
 * sip:myphone@...`, `bridge user/myphone` and `${user_data(myphone@domain ...)}` all reach
 * the user whose alias is `myphone`; mod_xml_curl asks with `user=myphone`.
 *
 * The hash `cti_exten@<domain>` is keyed by extension and may be written by any tool, so
 * there is no index to keep in step: the first miss of a domain reads the aliases of its
 * hash (HSCAN) and waits for them; the map is then kept in memory, and a miss that finds
 * it older than `refreshMs` answers from it while the domain is read again in the
 * background (one scan at a time per domain; concurrent misses share it). So a new alias
 * is found about `refreshMs` (plus one scan) after it is written, an unknown name costs at
 * most one scan per domain per `refreshMs` (or per ten times the last scan's duration,
 * whichever is longer: measured 0.6-1 s for 100,000 extensions on a busy 2-core VM), and only
 * a domain's first miss waits for a scan. The caller re-reads the user an alias maps to and checks that the alias still
 * matches, so a stale map never serves a user whose alias moved.
 */
import type { RedisClient } from '../lua-scripts.js';

export const ALIAS_REFRESH_MS = 2_000;
/** Domains whose aliases are kept at once (oldest dropped first). */
const MAX_DOMAINS = 1_000;
const SCAN_COUNT = 5_000;
/** A domain is read again no sooner than this many times its last read took (bounds the work on very large domains). */
const SCAN_SPACING = 10;

interface DomainAliases {
  builtAt: number;
  /** How long the read took (ms). */
  tookMs: number;
  byAlias: Map<string, string>;
}

export class AliasIndex {
  private readonly domains = new Map<string, DomainAliases>();
  private readonly building = new Map<string, Promise<DomainAliases>>();

  constructor(
    private readonly redis: RedisClient,
    private readonly refreshMs: number = ALIAS_REFRESH_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** The extension whose `attribute.number-alias` is `alias` (case-insensitive), if any. */
  async extensionOf(hashKey: string, alias: string): Promise<string | undefined> {
    let entry = this.domains.get(hashKey);
    if (entry === undefined) entry = await this.rebuild(hashKey);
    else if (this.now() - entry.builtAt >= Math.max(this.refreshMs, SCAN_SPACING * entry.tookMs)) {
      // Stale: answer from the map at hand, read the aliases again meanwhile (a failed read keeps the old map).
      this.rebuild(hashKey).catch(() => undefined);
    }
    return entry.byAlias.get(alias.toLowerCase());
  }

  /** Resolves once no read of aliases is in flight (tests, shutdown). */
  async idle(): Promise<void> {
    await Promise.allSettled([...this.building.values()]);
  }

  private rebuild(hashKey: string): Promise<DomainAliases> {
    let pending = this.building.get(hashKey);
    if (pending === undefined) {
      pending = this.scan(hashKey).finally(() => this.building.delete(hashKey));
      this.building.set(hashKey, pending);
    }
    return pending;
  }

  private async scan(hashKey: string): Promise<DomainAliases> {
    const started = this.now();
    const byAlias = new Map<string, string>();
    let cursor = '0';
    do {
      const [next, flat] = await this.redis.hscan(hashKey, cursor, 'COUNT', SCAN_COUNT);
      cursor = next;
      for (let i = 0; i + 1 < flat.length; i += 2) {
        const extension = flat[i] ?? '';
        const alias = aliasOf(flat[i + 1] ?? '');
        // The first extension holding an alias keeps it (FreeSWITCH takes the first match too).
        if (alias !== undefined && !byAlias.has(alias.toLowerCase())) byAlias.set(alias.toLowerCase(), extension);
      }
    } while (cursor !== '0');
    const builtAt = this.now();
    const entry = { builtAt, tookMs: builtAt - started, byAlias };
    this.domains.delete(hashKey);
    this.domains.set(hashKey, entry);
    if (this.domains.size > MAX_DOMAINS) {
      const oldest = this.domains.keys().next().value;
      if (oldest !== undefined) this.domains.delete(oldest);
    }
    return entry;
  }
}

/** `attribute.number-alias` of a stored value, without parsing values that have none. */
export function aliasOf(raw: string): string | undefined {
  if (!raw.includes('number-alias')) return undefined;
  try {
    const alias = (JSON.parse(raw) as { attribute?: { 'number-alias'?: unknown } } | null)?.attribute?.['number-alias'];
    return typeof alias === 'string' && alias !== '' ? alias : undefined;
  } catch {
    return undefined;
  }
}
