/**
 * Test helpers for the CLI, call-control and event-stream routes: an in-memory node
 * pool whose api replies are scripted with the texts recorded from the real
 * FreeSWITCH (fixtures esl-inbound/ and esl-control/), and an app factory.
 * Tests over a real socket use test/fake-freeswitch/ instead.
 */
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import type { RedisClient } from '../../src/redis.js';
import { validateConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { FreectiError } from '../../src/errors.js';
import { EslEvent } from '../../src/esl/event.js';
import type { BackgroundJob, CommandReply, EslClientEvents, FsNode, FsPool, NodeStatus } from '../../src/esl/types.js';
import { buildApp, type AppPlugin } from '../../src/http/app.js';
import { createLogger } from '../../src/logger.js';
import { createMetrics } from '../../src/metrics.js';

export type ApiHandler = (args: string) => string;

export class ScriptedNode extends EventEmitter<EslClientEvents> implements FsNode {
  readonly calls: { kind: 'api' | 'bgapi'; command: string; args: string; jobUuid?: string }[] = [];
  readonly handlers = new Map<string, ApiHandler>();
  ready = true;

  constructor(readonly name: string) {
    super();
    // Recorded replies (fixtures/freeswitch/esl-inbound and esl-control).
    this.handlers.set('status', () => 'UP 0 years, 0 days, 0 hours, 1 minute, 2 seconds\n0 session(s) since startup\n');
    this.handlers.set('originate', (args) => (args.includes('user/') ? '-ERR USER_NOT_REGISTERED\n' : '-ERR CHAN_NOT_IMPLEMENTED\n'));
  }

  get status(): NodeStatus {
    return { name: this.name, host: '127.0.0.1', port: 8021, state: this.ready ? 'ready' : 'disconnected', lastError: undefined, since: 0, reconnects: 0, inFlight: 0 };
  }

  private reply(command: string, args: string): string {
    if (!this.ready) throw new FreectiError('ESL_DISCONNECTED', 'connection closed');
    const handler = this.handlers.get(command);
    return handler === undefined ? `-ERR ${command} Command not found!\n` : handler(args);
  }

  async api(command: string, args = ''): Promise<string> {
    this.calls.push({ kind: 'api', command, args });
    return this.reply(command, args);
  }

  async bgapi(command: string, args = '', options: { jobUuid?: string } = {}): Promise<BackgroundJob> {
    const jobUuid = options.jobUuid ?? randomUUID();
    this.calls.push({ kind: 'bgapi', command, args, jobUuid });
    if (!this.ready) throw new FreectiError('ESL_DISCONNECTED', 'connection closed');
    const text = this.reply(command, args);
    setImmediate(() => this.emit('event', new EslEvent({ 'Event-Name': 'BACKGROUND_JOB', 'Job-UUID': jobUuid, 'Job-Command': command, 'Job-Command-Arg': args }, text)));
    return { jobUuid, wait: async () => text };
  }

  async execute(): Promise<EslEvent> {
    throw new Error('not scripted');
  }
  async hangup(): Promise<void> {}
  async command(): Promise<CommandReply> {
    return { replyText: '+OK', headers: {} };
  }
  readonly subscriptions: string[][] = [];
  async subscribe(events: readonly string[]): Promise<void> {
    this.subscriptions.push([...events]);
  }
  async addFilter(): Promise<void> {}
  async close(): Promise<void> {}
}

export function scriptedPool(...names: string[]): FsPool & { nodes: ScriptedNode[] } {
  const nodes = names.map((n) => new ScriptedNode(n));
  return {
    nodes,
    get(name?: string) {
      if (name !== undefined) {
        const node = nodes.find((n) => n.name === name);
        if (node === undefined) throw new FreectiError('NODE_UNKNOWN', `no node '${name}'`);
        if (!node.ready) throw new FreectiError('ESL_NOT_CONNECTED', `node '${name}' is not connected`);
        return node;
      }
      const ready = nodes.find((n) => n.ready);
      if (ready === undefined) throw new FreectiError('ESL_NOT_CONNECTED', 'no FreeSWITCH node is connected');
      return ready;
    },
    statuses: () => nodes.map((n) => n.status),
    async close() {},
  };
}

export interface TestApp {
  app: ReturnType<typeof buildApp>;
  logs: Record<string, unknown>[];
}

/** The whole app (buildApp registers the CLI, call-control and event-stream plugins itself). */
export function makeApp(config: ConfigInput, pool: FsPool, redis?: RedisClient, routes: AppPlugin[] = []): TestApp {
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const app = buildApp(
    {
      config: validateConfig(config),
      logger: createLogger('info', sink),
      redis: redis ?? new Redis({ lazyConnect: true }),
      pool,
      metrics: createMetrics({ defaultMetrics: false }),
      version: 't',
    },
    routes,
  );
  return { app, logs };
}

export const KEY = 'seed-key-abcdefgh';
export const OPS_KEY = 'ops-key-0123456789abcdef';
