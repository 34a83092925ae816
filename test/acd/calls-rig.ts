/**
 * One freecti instance's ACD call half for tests: a real engine on the suite's Redis, a real
 * node pool connected to the AcdSwitch's fake FreeSWITCH over TCP, a real outbound socket
 * server with AcdCalls attached.
 */
import { once } from 'node:events';
import type { Redis } from 'ioredis';
import { AcdEngine } from '../../src/acd/engine.js';
import { AcdCalls } from '../../src/acd/calls/index.js';
import type { AcdEvent, Offer } from '../../src/acd/types.js';
import { validateConfig } from '../../src/config/load.js';
import { createNodePool, type NodePool } from '../../src/esl/node-pool.js';
import { OutboundServer } from '../../src/esl/outbound-server.js';
import { FsPolicy } from '../../src/fs-lang/policy.js';
import { Keys } from '../../src/keys.js';
import { silent } from './helpers.js';
import type { Logger } from '../../src/logger.js';
import type { LinegroupResolver } from '../../src/linegroups/resolver.js';
import type { AcdSwitch } from './acd-switch.js';

export interface Instance {
  engine: AcdEngine;
  pool: NodePool;
  server: OutboundServer | undefined;
  calls: AcdCalls;
  port: number;
  offers: Offer[];
  events: AcdEvent[];
  /** Stops everything, like a shutdown (or a crash: nothing is told to FreeSWITCH). */
  stop(): Promise<void>;
}

export async function startInstance(sw: AcdSwitch, redis: Redis, prefix: string, options: { outbound?: boolean; reapIntervalMs?: number; subscriber?: Redis; logger?: Logger; resolver?: LinegroupResolver } = {}): Promise<Instance> {
  const config = validateConfig({ freeswitch: { nodes: [{ name: 'fs1', host: sw.fake.host, port: sw.fake.port, password: sw.fake.password }] } });
  const pool = createNodePool(config, silent);
  await Promise.all(pool.nodes.map(async (node) => {
    if (node.status.state !== 'ready') await once(node, 'ready');
  }));
  const engine = new AcdEngine({
    redis,
    keys: new Keys(prefix),
    logger: silent,
    registrationsHash: null,
    registrationField: 'extension',
    offerGraceSec: 2,
    ...(options.subscriber === undefined ? {} : { subscriber: options.subscriber }),
  });
  const offers: Offer[] = [];
  const events: AcdEvent[] = [];
  engine.onOffer((o) => offers.push(o));
  engine.onEvent((e) => events.push(e));
  const calls = new AcdCalls({ engine, pool, policy: new FsPolicy(), logger: options.logger ?? silent, reapIntervalMs: options.reapIntervalMs ?? 0, ...(options.resolver === undefined ? {} : { resolver: options.resolver }) });
  await engine.start();
  let server: OutboundServer | undefined;
  let port = 0;
  if (options.outbound !== false) {
    server = new OutboundServer({ host: '127.0.0.1', port: 0, commandTimeoutMs: 5000, connectTimeoutMs: 5000, logger: silent });
    calls.attach(server);
    port = (await server.listen()).port;
  }
  return {
    engine,
    pool,
    server,
    calls,
    port,
    offers,
    events,
    async stop() {
      await server?.close();
      await calls.close();
      await engine.close();
      await pool.close();
    },
  };
}
