/**
 * Tails one Redis stream with a blocking XREAD on a connection of its own (src/redis.ts
 * `blockingRedis`) and hands each entry, decoded, to `publish`: how every instance gets
 * the events another instance wrote (the ACD queue log, docs/acd.md "Events"; nwaycallout
 * campaign events, docs/nacd.md "nwaycallout"). The caller owns the connection: `close()`
 * stops the loop and the caller disconnects it, which ends a pending XREAD.
 *
 * Starting at `$` (now) fixes the position once, as the id of the stream's last entry
 * (XREVRANGE), before the first XREAD: an entry added after `live()` resolves is never
 * missed, even when the first XREAD fails and is retried.
 */
import type { Logger } from '../logger.js';
import type { RedisClient } from '../lua-scripts.js';

export interface StreamTailOptions<T> {
  /** The stream's key. */
  key: string;
  /** What the log lines call this feed, e.g. `acd: queue-log feed`. */
  name: string;
  /** One entry (its id and flat field list) → the value published; `undefined` skips it. */
  decode(id: string, fields: string[]): T | undefined;
  publish(value: T): void;
  /** Longest XREAD BLOCK (ms); default 5 s. */
  blockMs?: number;
}

export class StreamTail<T> {
  private closed = false;
  private loop: Promise<void> | undefined;
  private markLive: () => void = () => undefined;
  /** Ends a wait for the connection's 'ready' (set while waiting; close() calls it). */
  private stopWaiting: (() => void) | undefined;
  private readonly liveP = new Promise<void>((resolve) => (this.markLive = resolve));

  constructor(
    private readonly redis: RedisClient,
    private readonly logger: Logger,
    private readonly options: StreamTailOptions<T>,
  ) {}

  /** Starts tailing after stream id `from` (default `$`, now: the feed is live, the stream itself is the history). */
  start(from = '$'): void {
    if (this.loop !== undefined || this.closed) return;
    this.loop = this.run(from);
  }

  /** Resolves once the position is fixed: every entry added from then on is published. */
  live(): Promise<void> {
    return this.liveP;
  }

  private async run(from: string): Promise<void> {
    const { key, name, decode, publish } = this.options;
    const blockMs = this.options.blockMs ?? 5_000;
    let last = from === '$' ? undefined : from;
    while (!this.closed) {
      // A connection still connecting (no offline queue) would fail the read: wait for it, no warning.
      if (this.redis.status !== 'ready') await this.ready();
      if (this.closed) return;
      try {
        if (last === undefined) {
          const newest = (await this.redis.xrevrange(key, '+', '-', 'COUNT', 1)) as [string, string[]][];
          last = newest[0]?.[0] ?? '0-0';
        }
        this.markLive();
        const reply = (await this.redis.xread('COUNT', 500, 'BLOCK', blockMs, 'STREAMS', key, last)) as [string, [string, string[]][]][] | null;
        for (const [, entries] of reply ?? []) {
          for (const [id, fields] of entries) {
            last = id;
            const value = decode(id, fields);
            if (value !== undefined) publish(value);
          }
        }
      } catch (error) {
        if (this.closed) return;
        this.logger.warn({ err: (error as Error).message }, `${name} failed; retrying in 1 s`);
        await new Promise((r) => setTimeout(r, 1_000).unref());
      }
    }
  }

  private ready(): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        this.redis.off('ready', done);
        this.stopWaiting = undefined;
        resolve();
      };
      this.redis.once('ready', done);
      this.stopWaiting = done;
    });
  }

  /** Stops the loop; the caller disconnects the connection (which ends a pending XREAD). */
  async close(): Promise<void> {
    this.closed = true;
    this.stopWaiting?.();
  }
}
