/**
 * The queue log as a live feed: each instance tails `{freecti:acd}:log` with a blocking
 * XREAD on a connection of its own and hands every entry to the WebSocket event hub, so
 * a supervisor on any instance sees the events of every instance (docs/acd.md "Events").
 * Webhooks are sent by the instance whose script wrote the event (AcdEngine.onEvent), once.
 */
import { StreamTail } from '../event-stream/stream-tail.js';
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

/** The queue log's tail (src/event-stream/stream-tail.ts), each entry decoded with toAcdEvent. */
export class AcdEventFeed extends StreamTail<AcdEvent> {
  constructor(redis: RedisClient, keys: Keys, logger: Logger, publish: (event: AcdEvent) => void, blockMs = 5_000) {
    super(redis, logger, { key: keys.acdLog(), name: 'acd: queue-log feed', decode: toAcdEvent, publish, blockMs });
  }
}
