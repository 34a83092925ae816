/**
 * Fans the events of every FreeSWITCH node out to the WebSocket clients of this
 * instance. Each message is one JSON text frame:
 *
 *   {"node":"fs1","event":"CHANNEL_ANSWER","subclass":null,"uuid":"...","timestamp":"<µs>",
 *    "headers":{...},"body":"..."}
 *
 * Memory stays bounded: before each send the client's unsent bytes (ws
 * `bufferedAmount`) are checked; a client over `maxBufferedBytes` is closed with
 * 4008 "slow consumer" and gets nothing more (terminated if it does not finish the
 * closing handshake within `closeGraceMs`). The node subscription is made when the
 * first client connects.
 */
import type { EslEvent } from '../esl/event.js';
import type { FsNode, FsPool } from '../esl/types.js';
import type { Logger } from '../logger.js';
import { isStreamable, matches, matchesAcd, matchesCallout, streamName, SUBSCRIPTION, type StreamFilter } from './filter.js';

export const SLOW_CONSUMER = { code: 4008, reason: 'slow consumer' } as const;
export const GOING_AWAY = { code: 1001, reason: 'server shutting down' } as const;

/** The part of a `ws` WebSocket the hub uses. */
export interface StreamSocket {
  readonly bufferedAmount: number;
  readonly readyState: number;
  send(data: string): void;
  close(code: number, reason: string): void;
  terminate(): void;
  once(event: 'close', listener: () => void): unknown;
}

interface Client {
  socket: StreamSocket;
  filter: StreamFilter;
  keyId: string;
  dropped: boolean;
}

const OPEN = 1;

export class EventHub {
  private readonly clients = new Set<Client>();
  private readonly detach: (() => void)[] = [];
  private subscribed = false;

  constructor(
    private readonly pool: FsPool,
    private readonly logger: Logger,
    private readonly maxBufferedBytes: number,
    private readonly closeGraceMs = 2_000,
  ) {
    for (const node of pool.nodes) {
      const listener = (event: EslEvent): void => this.publish(node, event);
      node.on('event', listener);
      this.detach.push(() => node.off('event', listener));
    }
  }

  get size(): number {
    return this.clients.size;
  }

  add(socket: StreamSocket, filter: StreamFilter, keyId: string): void {
    const client: Client = { socket, filter, keyId, dropped: false };
    this.clients.add(client);
    socket.once('close', () => this.clients.delete(client));
    if (!this.subscribed) {
      this.subscribed = true;
      for (const node of this.pool.nodes) {
        node.subscribe(SUBSCRIPTION).catch((error: unknown) => {
          this.logger.warn({ node: node.name, err: (error as Error).message }, 'event stream: subscribe failed (retried on reconnect)');
        });
      }
    }
  }

  publish(node: FsNode, event: EslEvent): void {
    if (this.clients.size === 0 || !isStreamable(event)) return;
    let message: string | undefined;
    for (const client of this.clients) {
      if (client.dropped || client.socket.readyState !== OPEN || !matches(client.filter, event)) continue;
      message ??= JSON.stringify({
        node: node.name,
        event: streamName(event),
        subclass: event.subclass ?? null,
        uuid: event.uuid ?? event.get('Job-UUID') ?? null,
        timestamp: event.get('Event-Date-Timestamp') ?? null,
        headers: event.headers,
        ...(event.body === undefined ? {} : { body: event.body }),
      });
      if (client.socket.bufferedAmount + message.length > this.maxBufferedBytes) {
        this.drop(client);
        continue;
      }
      client.socket.send(message);
    }
  }

  /**
   * An ACD queue-log event (src/acd/event-feed.ts): one JSON frame
   * `{"source":"acd","event":"CONNECT","id":"<stream id>","time":<ms>,"queue":"...","uuid":"...","agent":"...","data":{...}}`.
   */
  publishAcd(event: { id: string; event: string; time: number; queue: string; callUuid: string; agent: string; data: Record<string, string> }): void {
    this.sendAcd(event.event, event.callUuid, event.agent, () =>
      JSON.stringify({ source: 'acd', event: event.event, id: event.id, time: event.time, queue: event.queue, uuid: event.callUuid, agent: event.agent, data: event.data }));
  }

  /** Does any client take ACD events of this name? (The ACD computes QUEUESTATS only then.) */
  wantsAcd(name: string): boolean {
    for (const client of this.clients) if (!client.dropped && matchesAcd(client.filter, name, '', '')) return true;
    return false;
  }

  /** Live statistics of one queue: `{"source":"acd","event":"QUEUESTATS","queue":"...","time":<ms>,"stats":{...}}`. */
  publishAcdStats(queue: string, time: number, stats: unknown): void {
    this.sendAcd('QUEUESTATS', '', '', () => JSON.stringify({ source: 'acd', event: 'QUEUESTATS', queue, time, stats }));
  }

  /**
   * An nwaycallout campaign event (src/callout/campaign.ts), the webhook's JSON with
   * `"source":"callout"` first: `{"source":"callout","campaign_id":"...","event":"callout_result",...}`.
   */
  publishCallout(event: { campaign_id: string; event: string } & Record<string, unknown>): void {
    const text = (key: string): string => (typeof event[key] === 'string' ? (event[key] as string) : '');
    this.send((filter) => matchesCallout(filter, event.event, event.campaign_id, text('uuid'), text('number')), () => JSON.stringify({ source: 'callout', ...event }));
  }

  private sendAcd(name: string, uuid: string, agent: string, build: () => string): void {
    this.send((filter) => matchesAcd(filter, name, uuid, agent), build);
  }

  /** Sends one message, built once, to every open client whose filter takes it. */
  private send(take: (filter: StreamFilter) => boolean, build: () => string): void {
    if (this.clients.size === 0) return;
    let message: string | undefined;
    for (const client of this.clients) {
      if (client.dropped || client.socket.readyState !== OPEN || !take(client.filter)) continue;
      message ??= build();
      if (client.socket.bufferedAmount + message.length > this.maxBufferedBytes) {
        this.drop(client);
        continue;
      }
      client.socket.send(message);
    }
  }

  private drop(client: Client): void {
    client.dropped = true;
    this.logger.warn({ keyId: client.keyId, bufferedBytes: client.socket.bufferedAmount }, 'event stream: slow consumer dropped');
    client.socket.close(SLOW_CONSUMER.code, SLOW_CONSUMER.reason);
    const timer = setTimeout(() => client.socket.terminate(), this.closeGraceMs);
    timer.unref();
    client.socket.once('close', () => clearTimeout(timer));
  }

  close(): void {
    for (const off of this.detach.splice(0)) off();
    for (const client of this.clients) {
      if (client.socket.readyState === OPEN) client.socket.close(GOING_AWAY.code, GOING_AWAY.reason);
    }
    this.clients.clear();
  }
}
