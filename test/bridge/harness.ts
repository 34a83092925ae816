/**
 * A real OutboundServer + webhook client + line groups on a real Redis, for cti_bridge
 * tests, FreeSWITCH's side played by the fake's outbound mode (dial-call.ts); sessions
 * carrying `cti_curl` go to the cti_curl feature (src/cti-curl) with the same dependencies
 * (`callCurl`).
 */
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { OutboundServer } from '../../src/esl/outbound-server.js';
import { Keys } from '../../src/keys.js';
import { createLogger } from '../../src/logger.js';
import { handleBridgeSession } from '../../src/bridge/attach.js';
import { handleCurlSession, isCurlSession } from '../../src/cti-curl/attach.js';
import type { CurlResult } from '../../src/cti-curl/run-curl.js';
import type { CtiCurlConfig } from '../../src/cti-curl/config-schema.js';
import type { FsPolicy } from '../../src/fs-lang/policy.js';
import type { BridgeResult } from '../../src/bridge/bridge-call.js';
import { LinegroupResolver } from '../../src/linegroups/resolver.js';
import { createWebhookClient, type WebhookClient } from '../../src/webhook/index.js';
import { startRedis, uniquePrefix, type TestRedis } from '../helpers/redis.js';
import type { LingerOrder } from '../fake-freeswitch/linger.js';
import { FakeFreeSwitch } from '../fake-freeswitch/index.js';
import { dialBridgeCall, type BridgeCall, type BridgeCallOptions } from './dial-call.js';
import type { DidOutLookup } from '../../src/nacd/did-out.js';

export interface BridgeHarness {
  logs: Record<string, unknown>[];
  /** The features' metrics (freecti_bridge_calls_total, freecti_cti_curl_calls_total). */
  registry: Registry;
  resolver: LinegroupResolver;
  /** The harness's Redis and key names (line-group state, the DID tables). */
  redis: Redis;
  keys: Keys;
  webhooks: WebhookClient;
  /** The fake's order of the channel's last events and the disconnect-notice. */
  lingerOrder: LingerOrder;
  /** Sessions that had to give up waiting for a channel's last events (should stay 0). */
  lingerTimeouts(): number;
  /** Dials one call; resolves with FreeSWITCH's view and freecti's result once both are done. */
  call(options: BridgeCallOptions): Promise<{ fs: BridgeCall; result: BridgeResult }>;
  /** Dials one call whose channel carries `cti_curl`; resolves once both sides are done. */
  callCurl(options: BridgeCallOptions): Promise<{ fs: BridgeCall; result: CurlResult }>;
  stop(): Promise<void>;
}

export async function startHarness(options: { lingerOrder?: LingerOrder; curl?: Partial<CtiCurlConfig>; policy?: FsPolicy; didOut?: DidOutLookup } = {}): Promise<BridgeHarness> {
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
  const keys = new Keys(uniquePrefix());
  const resolver = new LinegroupResolver({ redis, keys, logger });
  const webhooks = createWebhookClient({});
  const fake = await FakeFreeSwitch.start();
  const server = new OutboundServer({ host: '127.0.0.1', port: 0, commandTimeoutMs: 3000, connectTimeoutMs: 2000, lingerMs: 1500, logger });
  const { port } = await server.listen();
  const results = new Map<string, Promise<BridgeResult | CurlResult>>();
  const waiting = new Map<string, (r: Promise<BridgeResult | CurlResult>) => void>();
  const registry = new Registry();
  const deps = {
    webhooks,
    logger,
    resolver,
    registry,
    legHangupWaitMs: 1000,
    ...(options.policy === undefined ? {} : { policy: options.policy }),
    ...(options.didOut === undefined ? {} : { didOut: options.didOut }),
  };
  server.on('session', (session) => {
    const curl = isCurlSession(session);
    session.claim(curl ? 'cti_curl' : 'bridge');
    const result = curl ? handleCurlSession(session, { ...deps, curl: options.curl ?? {} }) : handleBridgeSession(session, deps);
    results.set(session.uuid, result);
    waiting.get(session.uuid)?.(result);
  });
  const dialed = async (fs: BridgeCall): Promise<BridgeResult | CurlResult> => {
    const started = results.get(fs.aUuid) ?? new Promise<Promise<BridgeResult | CurlResult>>((resolve) => waiting.set(fs.aUuid, resolve)).then((r) => r);
    return started;
  };
  return {
    logs,
    registry,
    resolver,
    redis,
    keys,
    webhooks,
    lingerOrder,
    lingerTimeouts: () => logs.filter((l) => String(l['msg']).startsWith('outbound session: linger time over')).length,
    async call(options) {
      const fs = dialBridgeCall(fake, port, { lingerOrder, ...options });
      const result = (await dialed(fs)) as BridgeResult;
      await result.notified;
      await fs.closed;
      return { fs, result };
    },
    async callCurl(options) {
      const fs = dialBridgeCall(fake, port, { lingerOrder, ...options });
      const result = (await dialed(fs)) as CurlResult;
      await fs.closed;
      return { fs, result };
    },
    async stop() {
      await server.close();
      await fake.close();
      await webhooks.close(0);
      await redis.quit();
      await redisServer.stop();
    },
  };
}
