/**
 * The nacd feature's long-lived part, built once by src/services.ts: the group store and
 * the DID tables,
 * and the groups of config `nacd.groups` seeded into Redis once it is ready (a group
 * already there is kept: REST changes win; a failure is retried at the next 'ready').
 */
import type { Keys } from '../keys.js';
import type { Logger } from '../logger.js';
import type { RedisClient } from '../redis.js';
import type { NacdConfig } from './config-schema.js';
import { NacdGroupStore } from './group-store.js';
import { didStores, type DidInStore, type DidOutStore } from './did-store.js';

export class NacdService {
  readonly groups: NacdGroupStore;
  /** The DID tables (nin_did / nout_did). */
  readonly did: { in: DidInStore; out: DidOutStore };
  private readonly log: Logger;
  private seeded = false;
  private closed = false;
  private readonly onReady = (): void => void this.seed();
  private markSeeded: () => void = () => undefined;
  /** Resolves once the configured groups are in Redis (at once when none are configured). */
  readonly ready: Promise<void> = new Promise((resolve) => (this.markSeeded = resolve));

  constructor(
    private readonly redis: RedisClient,
    keys: Keys,
    private readonly settings: NacdConfig,
    logger: Logger,
  ) {
    this.groups = new NacdGroupStore(redis, keys);
    this.did = didStores(redis, keys);
    this.log = logger.child({ component: 'nacd' });
  }

  start(): void {
    void this.seed();
  }

  close(): void {
    this.closed = true;
    this.redis.off('ready', this.onReady);
  }

  private async seed(): Promise<void> {
    const entries = Object.entries(this.settings.groups);
    if (entries.length === 0) this.markSeeded();
    if (this.seeded || this.closed || entries.length === 0) return;
    if (this.redis.status !== 'ready') {
      this.redis.once('ready', this.onReady);
      return;
    }
    try {
      let added = 0;
      for (const [number, group] of entries) if (await this.groups.seed(number, group)) added += 1;
      this.seeded = true;
      this.markSeeded();
      this.log.info({ added, configured: entries.length }, 'nacd groups from the config seeded into Redis');
    } catch (error) {
      this.log.warn({ err: (error as Error).message }, 'cannot seed nacd groups into Redis; retrying when Redis is ready again');
      this.redis.once('ready', this.onReady);
    }
  }
}
