/**
 * A real OutboundServer, webhook client, line groups and nacd groups on a real Redis for
 * the nacd callflow tests; FreeSWITCH's side is the fake's outbound mode with the recorded
 * bridge events (test/bridge/dial-call.ts).
 */
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { OutboundServer } from '../../src/esl/outbound-server.js';
import type { OutboundSession } from '../../src/esl/outbound-session.js';
import { Keys } from '../../src/keys.js';
import { createLogger } from '../../src/logger.js';
import { LinegroupResolver } from '../../src/linegroups/resolver.js';
import { createWebhookClient, type WebhookClient } from '../../src/webhook/index.js';
import { handleNacdSession, isNacdSession } from '../../src/nacd/attach.js';
import type { NacdResult } from '../../src/nacd/callflow.js';
import { nacdConfigSchema, type NacdConfig } from '../../src/nacd/config-schema.js';
import { NacdGroupStore } from '../../src/nacd/group-store.js';
import { didStores, type DidInStore, type DidOutStore } from '../../src/nacd/did-store.js';
import type { QueueCallerRequest } from '../../src/acd/calls/index.js';
import { startRedis, uniquePrefix, type TestRedis } from '../helpers/redis.js';
import { FakeFreeSwitch } from '../fake-freeswitch/index.js';
import type { LingerOrder } from '../fake-freeswitch/linger.js';
import { dialBridgeCall, type BridgeCall, type BridgeCallOptions } from '../bridge/dial-call.js';

export interface NacdHarness {
  fake: FakeFreeSwitch;
  /** The harness's Redis client (callout tests run a campaign on it). */
  redis: Redis;
  logs: Record<string, unknown>[];
  registry: Registry;
  groups: NacdGroupStore;
  did: { in: DidInStore; out: DidOutStore };
  resolver: LinegroupResolver;
  webhooks: WebhookClient;
  /** Queue hand-offs asked of the ACD entry (the composition root passes AcdCalls.handleQueueSession). */
  queued: { uuid: string; request: QueueCallerRequest }[];
  /**
   * false (default): the ACD entry hangs the call up, then says `bridged`. true: as the real
   * ACD does, it says `bridged` while the caller talks to the agent; the call ends just after.
   */
  queueReturnsWhileTalking: boolean;
  /** Dials one call into `group` ('' : no nacd_group, e.g. a DID call with `nacd_did` in options.variables); resolves once both sides are done. */
  call(group: string, options?: Partial<BridgeCallOptions>): Promise<{ fs: BridgeCall; result: NacdResult }>;
  warns(uuid: string): Record<string, unknown>[];
  stop(): Promise<void>;
}

export async function startNacdHarness(options: { lingerOrder?: LingerOrder; settings?: Partial<NacdConfig> } = {}): Promise<NacdHarness> {
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
  const groups = new NacdGroupStore(redis, keys);
  const did = didStores(redis, keys);
  const webhooks = createWebhookClient({});
  const fake = await FakeFreeSwitch.start();
  const server = new OutboundServer({ host: '127.0.0.1', port: 0, commandTimeoutMs: 3000, connectTimeoutMs: 2000, lingerMs: 1500, logger });
  const { port } = await server.listen();
  const registry = new Registry();
  const settings = nacdConfigSchema.parse(options.settings ?? {});
  const queued: NacdHarness['queued'] = [];
  const results = new Map<string, Promise<NacdResult>>();
  const waiting = new Map<string, (r: Promise<NacdResult>) => void>();
  const queue = async (session: OutboundSession, request: QueueCallerRequest): Promise<string> => {
    queued.push({ uuid: session.uuid, request });
    if (harness.queueReturnsWhileTalking) {
      // AcdCalls.handleQueueSession resolves once the agent is bridged; the call goes on, then ends.
      setImmediate(() => void session.hangup('NORMAL_CLEARING').catch(() => undefined));
      return 'bridged';
    }
    // What the ACD does with a caller it bridged: the call ends (hung up here for the test).
    await session.hangup('NORMAL_CLEARING');
    return 'bridged';
  };
  server.on('session', (session) => {
    if (!isNacdSession(session) || !session.claim('nacd')) return;
    const result = handleNacdSession(session, { webhooks, logger, resolver, registry, groups, did, settings, queue, legHangupWaitMs: 1000 });
    results.set(session.uuid, result);
    waiting.get(session.uuid)?.(result);
  });
  const lingerOrder = options.lingerOrder ?? 'events-first';
  const harness: NacdHarness = {
    queueReturnsWhileTalking: false,
    fake,
    redis,
    logs,
    registry,
    groups,
    did,
    resolver,
    webhooks,
    queued,
    async call(group, callOptions = {}) {
      const fs = dialBridgeCall(fake, port, { lingerOrder, ...callOptions, variables: { ...(group === '' ? {} : { nacd_group: group }), sip_network_ip: '192.0.2.10', sip_network_port: '5060', ...(callOptions.variables ?? {}) } });
      const result = await (results.get(fs.aUuid) ?? new Promise<Promise<NacdResult>>((resolve) => waiting.set(fs.aUuid, resolve)).then((r) => r));
      await fs.closed;
      return { fs, result };
    },
    warns: (uuid) => logs.filter((l) => l['uuid'] === uuid && l['level'] === 40),
    async stop() {
      await server.close();
      await fake.close();
      await webhooks.close(2000);
      await redis.quit();
      await redisServer.stop();
    },
  };
  return harness;
}
