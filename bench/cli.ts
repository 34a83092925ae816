/**
 * HTTP CLI throughput: `GET /cli?cmd=status` through freecti (HTTP → key check →
 * policy → audit → ESL) against the fake FreeSWITCH, side by side with the floor: the
 * same `api status` sent over one raw event socket by a minimal client, at the same
 * concurrency. A third figure, `http_floor_rps`, is `/health/live` on the same server
 * and client: what HTTP alone costs. Rounds alternate the order.
 *
 *   npm run bench:cli
 *
 * stdout: one JSON line per case; progress on stderr.
 * Env: BENCH_REQUESTS (per round, default 4000), BENCH_CONCURRENCY (default 16,
 * comma-separated for several cases), BENCH_ROUNDS (default 3).
 */
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { Pool } from 'undici';
import { validateConfig } from '../src/config/load.js';
import { createNodePool } from '../src/esl/node-pool.js';
import { buildApp } from '../src/http/app.js';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/metrics.js';
import { Redis } from 'ioredis';
import { FakeFreeSwitch } from '../test/fake-freeswitch/index.js';
import { printResult, progress, round } from './lib/output.js';
import { collectGarbage, median } from './lib/timing.js';

const REQUESTS = Number(process.env['BENCH_REQUESTS'] ?? 4000);
const CONCURRENCY = (process.env['BENCH_CONCURRENCY'] ?? '16').split(',').map(Number);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const KEY = 'bench-key-0123456789abcdef';

interface RunResult {
  rps: number;
  p99: number;
}

/** Keeps `concurrency` requests in flight until `total` completed; latency per request. */
async function drive(total: number, concurrency: number, one: () => Promise<void>): Promise<RunResult> {
  const latencies: number[] = [];
  let started = 0;
  const t0 = performance.now();
  const worker = async (): Promise<void> => {
    while (started < total) {
      started++;
      const s = performance.now();
      await one();
      latencies.push(performance.now() - s);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  return { rps: total / seconds, p99: latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * 0.99))] ?? 0 };
}

/** The floor: a minimal ESL client, replies matched to a FIFO of waiting callers. */
class RawEsl {
  private buffer: Buffer = Buffer.alloc(0);
  private readonly waiting: (() => void)[] = [];
  private greeted: (() => void) | undefined;

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
  }

  static async open(host: string, port: number, password: string): Promise<RawEsl> {
    const socket = connect(port, host);
    await once(socket, 'connect');
    const client = new RawEsl(socket);
    await new Promise<void>((resolve) => {
      client.greeted = resolve;
    });
    await client.send(`auth ${password}`);
    return client;
  }

  send(line: string): Promise<void> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.socket.write(`${line}\n\n`);
    });
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const end = this.buffer.indexOf('\n\n');
      if (end < 0) return;
      const head = this.buffer.subarray(0, end).toString('latin1');
      const length = Number(/^Content-Length: (\d+)$/m.exec(head)?.[1] ?? 0);
      if (this.buffer.length < end + 2 + length) return;
      this.buffer = this.buffer.subarray(end + 2 + length);
      if (head.includes('auth/request')) this.greeted?.();
      else if (head.includes('command/reply') || head.includes('api/response')) this.waiting.shift()?.();
    }
  }

  close(): void {
    this.socket.destroy();
  }
}

async function main(): Promise<void> {
  const fake = await FakeFreeSwitch.start();
  const config = validateConfig({
    cli: { key: KEY, keyRatePerMinute: 0 },
    freeswitch: { nodes: [{ name: 'fs1', host: fake.host, port: fake.port, password: fake.password }] },
  });
  const logger = createLogger('silent');
  const pool = createNodePool(config, logger);
  if (pool.nodes[0]?.status.state !== 'ready') await once(pool.nodes[0]!, 'ready');
  const redis = new Redis({ lazyConnect: true });
  const app = buildApp({ config, logger, redis, pool, metrics: createMetrics({ defaultMetrics: false }), version: 'bench' });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const raw = await RawEsl.open(fake.host, fake.port, fake.password);
  try {
    for (const concurrency of CONCURRENCY) {
      const http = new Pool(`http://127.0.0.1:${port}`, { connections: concurrency, pipelining: 1 });
      const viaCli = async (): Promise<void> => {
        const res = await http.request({ method: 'GET', path: `/cli?key=${KEY}&cmd=status` });
        const text = await res.body.text();
        if (res.statusCode !== 200 || !text.startsWith('UP ')) throw new Error(`unexpected /cli answer ${res.statusCode}: ${text.slice(0, 80)}`);
      };
      const viaRaw = (): Promise<void> => raw.send('api status');
      // The HTTP floor: the same server and client answering /health/live (no key, no ESL).
      const viaHttp = async (): Promise<void> => {
        const res = await http.request({ method: 'GET', path: '/health/live' });
        await res.body.text();
      };
      const runs = { cli: viaCli, raw: viaRaw, http: viaHttp };
      type Which = keyof typeof runs;
      const results: Record<Which, RunResult[]> = { cli: [], raw: [], http: [] };
      for (const which of Object.keys(runs) as Which[]) await drive(Math.min(1000, REQUESTS), concurrency, runs[which]); // warm-up
      for (let r = 0; r < ROUNDS; r++) {
        const order: Which[] = r % 2 === 0 ? ['cli', 'raw', 'http'] : ['http', 'raw', 'cli'];
        for (const which of order) {
          collectGarbage();
          const result = await drive(REQUESTS, concurrency, runs[which]);
          results[which].push(result);
          progress(`  c=${concurrency} round ${r + 1} ${which.padEnd(3)} ${round(result.rps)} req/s p99 ${result.p99.toFixed(2)} ms`);
        }
      }
      await http.close();
      const rps = median(results.cli.map((x) => x.rps));
      const peerRps = median(results.raw.map((x) => x.rps));
      printResult({
        case: `cli-status-c${concurrency}`,
        rps: round(rps),
        p99_ms: round(median(results.cli.map((x) => x.p99)), 2),
        peer: 'raw-esl',
        peer_rps: round(peerRps),
        peer_p99_ms: round(median(results.raw.map((x) => x.p99)), 2),
        ratio: round(rps / peerRps, 2),
        http_floor_rps: round(median(results.http.map((x) => x.rps))),
      });
    }
  } finally {
    raw.close();
    await app.close();
    await pool.close();
    redis.disconnect();
    await fake.close();
  }
}

await main();
