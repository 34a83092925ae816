/** A real OutboundServer + webhook client + line groups on a real Redis, for cti_bridge tests. */
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { OutboundServer } from '../../src/esl/outbound-server.js';
import { Keys } from '../../src/keys.js';
import { createLogger } from '../../src/logger.js';
import { handleBridgeSession } from '../../src/bridge/attach.js';
import type { BridgeResult } from '../../src/bridge/bridge-call.js';
import { LinegroupResolver } from '../../src/linegroups/resolver.js';
import { createWebhookClient, type WebhookClient } from '../../src/webhook/index.js';
import { startRedis, uniquePrefix, type TestRedis } from '../helpers/redis.js';
import type { LingerOrder } from '../fake-freeswitch/linger.js';
import { dialScriptedCall, type ScriptedCall, type ScriptedCallOptions } from './scripted-call.js';

export interface BridgeHarness {
  logs: Record<string, unknown>[];
  resolver: LinegroupResolver;
  webhooks: WebhookClient;
  /** The fake's order of the channel's last events and the disconnect-notice. */
  lingerOrder: LingerOrder;
  /** Sessions that had to give up waiting for a channel's last events (should stay 0). */
  lingerTimeouts(): number;
  /** Dials one call; resolves with FreeSWITCH's view and freecti's result once both are done. */
  call(options: ScriptedCallOptions): Promise<{ fs: ScriptedCall; result: BridgeResult }>;
  stop(): Promise<void>;
}

export async function startHarness(options: { lingerOrder?: LingerOrder } = {}): Promise<BridgeHarness> {
  const lingerOrder = options.lingerOrder ?? 'events-first';
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _e, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') logs.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const logger = createLogger('debug', sink);
  const redisServer: TestRedis = await startRedis();
  const redis = new Redis(redisServer.url, { maxRetriesPerRequest: 1 });
  const resolver = new LinegroupResolver({ redis, keys: new Keys(uniquePrefix()), logger });
  const webhooks = createWebhookClient({});
  const server = new OutboundServer({ host: '127.0.0.1', port: 0, commandTimeoutMs: 3000, connectTimeoutMs: 2000, lingerMs: 1500, logger });
  const { port } = await server.listen();
  const results = new Map<string, Promise<BridgeResult>>();
  const waiting = new Map<string, (r: Promise<BridgeResult>) => void>();
  server.on('session', (session) => {
    session.claim('bridge');
    const result = handleBridgeSession(session, { webhooks, logger, resolver, legHangupWaitMs: 1000 });
    results.set(session.uuid, result);
    waiting.get(session.uuid)?.(result);
  });
  return {
    logs,
    resolver,
    webhooks,
    lingerOrder,
    lingerTimeouts: () => logs.filter((l) => String(l['msg']).startsWith('outbound session: linger time over')).length,
    async call(options) {
      const fs = dialScriptedCall(port, { lingerOrder, ...options });
      const started = results.get(fs.aUuid) ?? new Promise<Promise<BridgeResult>>((resolve) => waiting.set(fs.aUuid, resolve)).then((r) => r);
      const result = await started;
      await result.notified;
      await fs.closed;
      return { fs, result };
    },
    async stop() {
      await server.close();
      await webhooks.close(0);
      await redis.quit();
      await redisServer.stop();
    },
  };
}
