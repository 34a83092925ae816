/**
 * A real Sentinel set on loopback for tests: one master, one replica and three
 * sentinels (`redis-server <conf> --sentinel`), free ports, torn down by `stop()`.
 * `failover()` runs SENTINEL FAILOVER and waits until the sentinels name the replica
 * as master and the old master replicates from it.
 */
import { freePort } from './redis.js';
import { directClient, RedisProcesses, until, type RedisProcess } from './redis-processes.js';

export const SENTINEL_MASTER_NAME = 'freecti-test';

export interface SentinelSet {
  /** The data servers: [initial master, initial replica]. */
  servers: RedisProcess[];
  sentinels: RedisProcess[];
  /** The port the sentinels name as master now. */
  masterPort(): Promise<number>;
  /** SENTINEL FAILOVER, then waits until the other server is master and the old one its replica. */
  failover(): Promise<{ from: number; to: number }>;
  stop(): Promise<void>;
}

export async function startSentinelSet(): Promise<SentinelSet> {
  const processes = new RedisProcesses('sentinel');
  try {
    const data = "save ''\nappendonly no";
    const masterPort = await freePort();
    const master = await processes.start(masterPort, data);
    const replicaPort = await freePort();
    const replica = await processes.start(replicaPort, `${data}\nreplicaof 127.0.0.1 ${masterPort}`);
    await until('replica in sync', async () => {
      const client = directClient(replicaPort);
      try {
        return (await client.info('replication')).includes('master_link_status:up');
      } finally {
        client.disconnect();
      }
    });
    const sentinels: RedisProcess[] = [];
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const conf = [
        `sentinel monitor ${SENTINEL_MASTER_NAME} 127.0.0.1 ${masterPort} 2`,
        `sentinel down-after-milliseconds ${SENTINEL_MASTER_NAME} 1000`,
        `sentinel failover-timeout ${SENTINEL_MASTER_NAME} 5000`,
        `sentinel parallel-syncs ${SENTINEL_MASTER_NAME} 1`,
      ].join('\n');
      sentinels.push(await processes.start(port, conf, ['--sentinel']));
    }
    const ask = async <T>(port: number, fn: (c: ReturnType<typeof directClient>) => Promise<T>): Promise<T> => {
      const client = directClient(port);
      try {
        return await fn(client);
      } finally {
        client.disconnect();
      }
    };
    const sentinelPort = (): number => sentinels[0]?.port ?? 0;
    const masterNow = async (port = sentinelPort()): Promise<number> => {
      const addr = (await ask(port, (c) => c.call('SENTINEL', 'get-master-addr-by-name', SENTINEL_MASTER_NAME))) as [string, string] | null;
      return Number(addr?.[1] ?? 0);
    };
    // Every sentinel knows the replica and sees it healthy (a forced failover needs one).
    for (const sentinel of sentinels) {
      await until('sentinel sees the replica', async () => {
        const replicas = (await ask(sentinel.port, (c) => c.call('SENTINEL', 'replicas', SENTINEL_MASTER_NAME))) as string[][];
        return replicas.some((fields) => {
          const map = new Map<string, string>();
          for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i] ?? '', fields[i + 1] ?? '');
          return map.get('port') === String(replicaPort) && map.get('flags') === 'slave' && map.get('master-link-status') === 'ok';
        });
      });
    }
    return {
      servers: [master, replica],
      sentinels,
      masterPort: () => masterNow(),
      async failover() {
        const from = await masterNow();
        const to = from === masterPort ? replicaPort : masterPort;
        await until('SENTINEL FAILOVER accepted', async () => (await ask(sentinelPort(), (c) => c.call('SENTINEL', 'failover', SENTINEL_MASTER_NAME))) === 'OK', 15_000);
        for (const sentinel of sentinels) await until('sentinels name the new master', async () => (await masterNow(sentinel.port)) === to);
        await until('old master replicates from the new one', async () =>
          ask(from, async (c) => {
            const info = await c.info('replication');
            return info.includes('role:slave') && info.includes(`master_port:${to}`) && info.includes('master_link_status:up');
          }),
        );
        return { from, to };
      },
      stop: () => processes.stop(),
    };
  } catch (error) {
    await processes.stop();
    throw error;
  }
}
