/**
 * Live queue statistics on the WebSocket event stream (`QUEUESTATS`): when a queue-log
 * event touches a queue (an agent event touches every queue of the agent) and a client
 * takes QUEUESTATS, the queue's statistics are read and published, at most once per
 * `minIntervalMs` per queue (later changes within the interval are coalesced into one
 * message at its end). Driven by the events, nothing runs while nothing changes.
 */
import type { Keys } from '../keys.js';
import type { Logger } from '../logger.js';
import type { RedisClient } from '../lua-scripts.js';
import type { AcdStats, QueueStats } from './stats.js';
import type { AcdEvent, QueueConfig } from './types.js';

export interface StatsSink {
  wantsAcd(name: string): boolean;
  publishAcdStats(queue: string, time: number, stats: QueueStats): void;
}

export class AcdStatsFeed {
  private readonly last = new Map<string, number>();
  private readonly pending = new Map<string, NodeJS.Timeout | 'now'>();
  private closed = false;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly stats: AcdStats,
    private readonly queue: (name: string) => Promise<QueueConfig | null>,
    private readonly sink: StatsSink,
    private readonly logger: Logger,
    private readonly minIntervalMs = 1_000,
  ) {}

  /** Called with every queue-log event the feed reads. */
  onEvent(event: AcdEvent): void {
    if (this.closed || !this.sink.wantsAcd('QUEUESTATS')) return;
    if (event.queue !== 'NONE' && event.queue !== '') {
      this.touch(event.queue);
      return;
    }
    if (event.agent === '') return;
    this.redis
      .hkeys(this.keys.acdAgentTiers(event.agent))
      .then((queues) => queues.forEach((q) => this.touch(q)))
      .catch((error: unknown) => this.logger.debug({ err: (error as Error).message }, 'acd: queues of an agent not read for QUEUESTATS'));
  }

  private touch(queue: string): void {
    if (this.pending.has(queue)) return;
    const wait = Math.max((this.last.get(queue) ?? 0) + this.minIntervalMs - Date.now(), 0);
    if (wait === 0) {
      this.pending.set(queue, 'now');
      void this.send(queue);
      return;
    }
    const timer = setTimeout(() => void this.send(queue), wait);
    timer.unref();
    this.pending.set(queue, timer);
  }

  private async send(queue: string): Promise<void> {
    this.last.set(queue, Date.now());
    try {
      const config = await this.queue(queue);
      if (config !== null && !this.closed) this.sink.publishAcdStats(queue, Date.now(), await this.stats.queue(queue, config));
    } catch (error) {
      this.logger.debug({ err: (error as Error).message, queue }, 'acd: QUEUESTATS not sent');
    } finally {
      this.pending.delete(queue);
    }
  }

  close(): void {
    this.closed = true;
    for (const t of this.pending.values()) if (t !== 'now') clearTimeout(t);
    this.pending.clear();
  }
}
