/**
 * One client connection to the fake FreeSWITCH: reads commands, keeps the connection's
 * subscription, and writes frames strictly in order (replies may be slowed, cut or
 * swallowed by the fake's failure switches).
 */
import type { Socket } from 'node:net';
import { CommandReader, type ReceivedCommand } from './command-reader.js';
import { Subscription } from './subscription.js';

export interface ConnectionHost {
  /** Delay before each reply, ms. */
  readonly slowMs: number;
  /** Resolves when the fake is not hanging (writes wait for it, so nothing is lost or reordered). */
  awake(): Promise<void>;
  /** True once: the next reply is cut in half and the connection destroyed. */
  takeCut(): boolean;
  onCommand(connection: FakeConnection, command: ReceivedCommand): void;
  onClose(connection: FakeConnection): void;
}

export type WriteKind = 'greeting' | 'reply' | 'event' | 'raw';

export class FakeConnection {
  authenticated = false;
  closed = false;
  readonly subscription = new Subscription();
  readonly received: ReceivedCommand[] = [];
  /** Set on a connection the fake dialed (outbound mode): answers the outbound-only verbs. */
  outbound: { command(command: ReceivedCommand): boolean } | undefined;
  /** Commands are answered one after the other, like FreeSWITCH's listener thread. */
  work: Promise<void> = Promise.resolve();
  private readonly reader = new CommandReader();
  private chain: Promise<void> = Promise.resolve();

  constructor(
    readonly id: number,
    readonly socket: Socket,
    private readonly host: ConnectionHost,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      for (const command of this.reader.push(chunk)) {
        this.received.push(command);
        host.onCommand(this, command);
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.closed = true;
      host.onClose(this);
    });
  }

  get format(): 'plain' | 'json' {
    return this.subscription.format;
  }

  /**
   * Queues `bytes` behind everything written before. A promise holds everything queued
   * after it until it settles (an `api` still running: FreeSWITCH's connection thread
   * sends no event meanwhile).
   */
  send(pending: string | Promise<string>, kind: WriteKind): void {
    this.chain = this.chain.then(async () => {
      const bytes = await pending;
      if (kind === 'reply' && this.host.slowMs > 0) await sleep(this.host.slowMs);
      await this.host.awake();
      if (this.closed) return;
      if (kind === 'reply' && this.host.takeCut()) {
        const buffer = Buffer.from(bytes);
        this.socket.write(buffer.subarray(0, Math.max(1, Math.floor(buffer.length / 2))));
        this.socket.destroy();
        return;
      }
      this.socket.write(bytes);
    });
  }

  /** Ends the connection after everything queued so far was written. */
  endAfterWrites(): void {
    this.chain = this.chain.then(async () => {
      await this.host.awake();
      if (!this.closed) this.socket.end();
    });
  }

  destroy(): void {
    this.socket.destroy();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
