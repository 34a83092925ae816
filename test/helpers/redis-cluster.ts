/**
 * A real Redis Cluster on loopback for tests: three masters (`cluster-enabled yes`),
 * slots split in three ranges with CLUSTER ADDSLOTSRANGE, joined with CLUSTER MEET,
 * free ports (each with its bus port, port + 10000, free too), torn down by `stop()`.
 */
import { createServer } from 'node:net';
import { directClient, RedisProcesses, until, type RedisProcess } from './redis-processes.js';

export interface TestCluster {
  masters: RedisProcess[];
  /** The master port that serves a slot (CLUSTER SHARDS of the first master). */
  ownerOf(slot: number): Promise<number>;
  /** CLUSTER KEYSLOT as the server computes it. */
  keySlot(key: string): Promise<number>;
  stop(): Promise<void>;
}

const RANGES: [number, number][] = [[0, 5460], [5461, 10922], [10923, 16383]];

async function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A free port whose cluster bus port (+10000) is free too. */
async function clusterPort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 20_000 + Math.floor(Math.random() * 30_000);
    if ((await canListen(port)) && (await canListen(port + 10_000))) return port;
  }
  throw new Error('no free port pair for a cluster node');
}

export async function startCluster(): Promise<TestCluster> {
  const processes = new RedisProcesses('cluster');
  try {
    const masters: RedisProcess[] = [];
    for (let i = 0; i < RANGES.length; i++) {
      const port = await clusterPort();
      const conf = ["save ''", 'appendonly no', 'cluster-enabled yes', `cluster-config-file nodes-${port}.conf`, 'cluster-node-timeout 5000'].join('\n');
      masters.push(await processes.start(port, conf));
    }
    const ask = async <T>(port: number, fn: (c: ReturnType<typeof directClient>) => Promise<T>): Promise<T> => {
      const client = directClient(port);
      try {
        return await fn(client);
      } finally {
        client.disconnect();
      }
    };
    for (const [i, master] of masters.entries()) {
      const [from, to] = RANGES[i] as [number, number];
      await ask(master.port, (c) => c.call('CLUSTER', 'ADDSLOTSRANGE', from, to));
    }
    const first = masters[0]?.port ?? 0;
    for (const master of masters.slice(1)) await ask(first, (c) => c.call('CLUSTER', 'MEET', '127.0.0.1', master.port));
    for (const master of masters) {
      await until('cluster state ok on every node', async () =>
        ask(master.port, async (c) => {
          const info = (await c.call('CLUSTER', 'INFO')) as string;
          return info.includes('cluster_state:ok') && info.includes(`cluster_known_nodes:${masters.length}`) && info.includes('cluster_slots_ok:16384');
        }),
      );
    }
    return {
      masters,
      async ownerOf(slot) {
        const index = RANGES.findIndex(([from, to]) => slot >= from && slot <= to);
        return masters[index]?.port ?? 0;
      },
      keySlot: (key) => ask(first, async (c) => Number(await c.call('CLUSTER', 'KEYSLOT', key))),
      stop: () => processes.stop(),
    };
  } catch (error) {
    await processes.stop();
    throw error;
  }
}
