/**
 * The queue log as a live feed: each instance tails `{freecti:acd}:log` with a blocking
 * XREAD on a connection of its own and hands every entry to the WebSocket event hub, so
 * a supervisor on any instance sees the events of every instance (docs/acd.md "Events").
 * Webhooks are sent by the instance whose script wrote the event (AcdEngine.onEvent), once.
 */
import type { Keys } from '../keys.js';
import type { Logger } from '../logger.js';
import type { RedisClient } from '../lua-scripts.js';
import type { AcdEvent } from './types.js';

/** Stream fields of one queue-log entry → AcdEvent (fields other than the fixed ones are `data`). */
export function toAcdEvent(id: string, fields: string[]): AcdEvent {
  const event: AcdEvent = { id, event: '', time: 0, queue: '', callUuid: '', agent: '', data: {} };
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const k = fields[i]!;
    const v = fields[i + 1]!;
    if (k === 'event') event.event = v;
    else if (k === 'time') event.time = Number(v);
    else if (k === 'queue') event.queue = v;
    else if (k === 'uuid') event.callUuid = v;
    else if (k === 'agent') event.agent = v;
    else event.data[k] = v;
  }
  return event;
}

export class AcdEventFeed {
  private closed = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly redis: RedisClient,
    private readonly keys: Keys,
    private readonly logger: Logger,
    private readonly publish: (event: AcdEvent) => void,
    private readonly blockMs = 5_000,
  ) {}

  /** Starts tailing after stream id `from` (default `$`, now: the feed is live, the stream itself is the history). */
  start(from = '$'): void {
    if (this.loop !== undefined || this.closed) return;
    this.loop = this.run(from);
  }

  private async run(from: string): Promise<void> {
    let last = from;
    while (!this.closed) {
      try {
        const reply = (await this.redis.xread('COUNT', 500, 'BLOCK', this.blockMs, 'STREAMS', this.keys.acdLog(), last)) as [string, [string, string[]][]][] | null;
        for (const [, entries] of reply ?? []) {
          for (const [id, fields] of entries) {
            last = id;
            this.publish(toAcdEvent(id, fields));
          }
        }
      } catch (error) {
        if (this.closed) return;
        this.logger.warn({ err: (error as Error).message }, 'acd: queue-log feed failed; retrying in 1 s');
        await new Promise((r) => setTimeout(r, 1_000).unref());
      }
    }
  }

  /** Stops the loop; the caller disconnects the connection (which ends a pending XREAD). */
  async close(): Promise<void> {
    this.closed = true;
  }
}
