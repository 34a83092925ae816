/**
 * HTTP call routing benchmark (docs/performance.md, "Routing"):
 *
 *   npm run bench:routing
 *
 * Three processes, so that no part steals the others' event loop:
 * - this one: a private redis-server and freecti (the real app) on 127.0.0.1;
 * - `--role app`: the webhook application (node:http) answering a 2-action list; it
 *   measures its own time per request (keyed by X-Request-Id = the call uuid);
 * - `--role load`: mod_xml_curl's part: POSTs the recorded dialplan request (fresh
 *   Unique-ID each time, one TCP connection per request like mod_xml_curl) and
 *   measures the total time.
 * Added latency per request = total - the application's own time. `in_freecti_*` is the
 * same measured inside freecti (request received → response sent, minus the app's own
 * time): it leaves out the load generator's connect and scheduling.
 * Cases: paced at BENCH_RPS (500) for BENCH_SECONDS (10), then saturation
 * (BENCH_CONCURRENCY=32 in flight) for BENCH_SECONDS. One JSON line per case on stdout,
 * with freecti's own CPU time per request (robust on a busy machine, unlike latency)
 * and the 1-minute load average while it ran.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, request as httpRequest } from 'node:http';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { loadavg } from 'node:os';
import { validateConfig } from '../src/config/load.js';
import { FreectiError } from '../src/errors.js';
import { buildApp, type AppPlugin } from '../src/http/app.js';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/metrics.js';
import { closeRedis, createRedis } from '../src/redis.js';
import { fixturePath } from '../test/helpers/fixtures.js';
import { startRedis } from '../test/helpers/redis.js';
import { printResult, progress, round } from './lib/output.js';

const RPS = Number(process.env['BENCH_RPS'] ?? 500);
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 10);
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 32);
const ACTIONS = JSON.stringify([
  { application: 'playback', data: '/sounds/welcome.wav' },
  { application: 'bridge', data: 'user/1001' },
]);

interface Sample { id: string; totalUs: number; ok: boolean }

// ---------- role: webhook application ----------
function runApp(): void {
  const ownUs = new Map<string, number>();
  const server = createServer((req, res) => {
    const started = process.hrtime.bigint();
    if (req.url === '/__times') {
      res.end(JSON.stringify(Object.fromEntries(ownUs)));
      ownUs.clear();
      return;
    }
    const id = String(req.headers['x-request-id'] ?? '');
    res.on('finish', () => ownUs.set(id, Number(process.hrtime.bigint() - started) / 1000));
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(ACTIONS) });
    res.end(ACTIONS);
  });
  server.keepAliveTimeout = 30_000;
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    process.stdout.write(`READY ${typeof address === 'object' && address !== null ? address.port : 0}\n`);
  });
}

// ---------- role: load generator (mod_xml_curl) ----------
async function runLoad(port: number, mode: 'paced' | 'saturate', seconds: number): Promise<void> {
  const recorded = readFileSync(fixturePath('xml-curl/dialplan-call-1000-to-1001.http'), 'latin1');
  const body = recorded.slice(recorded.indexOf('\r\n\r\n') + 4);
  const uuid = '4bbe7137-63d5-417f-813b-44e1d04df14d';
  const samples: Sample[] = [];
  let seq = 0;
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const id = `${uuid.slice(0, 24)}${String(seq++).padStart(12, '0')}`;
      const payload = body.replaceAll(uuid, id);
      const started = process.hrtime.bigint();
      const req = httpRequest(
        { host: '127.0.0.1', port, method: 'POST', path: '/freeswitch/xml', agent: false,
          headers: { 'user-agent': 'freeswitch-xml/1.0', accept: '*/*', 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(payload) } },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => (text += c));
          res.on('end', () => {
            samples.push({ id, totalUs: Number(process.hrtime.bigint() - started) / 1000, ok: res.statusCode === 200 && text.includes('user/1001') });
            resolve();
          });
        },
      );
      req.on('error', () => {
        samples.push({ id, totalUs: Number(process.hrtime.bigint() - started) / 1000, ok: false });
        resolve();
      });
      req.end(payload);
    });
  const startedAt = performance.now();
  const until = startedAt + seconds * 1000;
  if (mode === 'paced') {
    const pending: Promise<void>[] = [];
    for (let i = 0; ; i += 1) {
      const due = startedAt + (i * 1000) / RPS;
      if (due >= until) break;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      pending.push(one());
    }
    await Promise.all(pending);
  } else {
    await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < until) await one();
    }));
  }
  const elapsed = (performance.now() - startedAt) / 1000;
  process.stdout.write(`${JSON.stringify({ elapsed, samples })}\n`);
}

// ---------- orchestrator ----------
function child(args: string[]): { proc: ChildProcess; lines: AsyncIterator<string> } {
  const proc = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  if (proc.stdout === null) throw new Error('no stdout from child');
  return { proc, lines: createInterface({ input: proc.stdout })[Symbol.asyncIterator]() };
}

async function nextLine(lines: AsyncIterator<string>): Promise<string> {
  const next = await lines.next();
  if (next.done === true) throw new Error('child ended early');
  return next.value;
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function appTimes(appPort: number): Promise<Record<string, number>> {
  const res = await fetch(`http://127.0.0.1:${appPort}/__times`);
  return (await res.json()) as Record<string, number>;
}

async function main(): Promise<void> {
  const redisServer = await startRedis();
  const app = child(['--role', 'app']);
  const appPort = Number((await nextLine(app.lines)).split(' ')[1]);
  const config = validateConfig({
    redis: { url: redisServer.url, keyPrefix: 'bench:' },
    log: { level: 'warn' },
    routing: { cacheMs: 1000, routes: [{ id: 'bench', context: 'default', url: `http://127.0.0.1:${appPort}/route?number=\${destination_number}&uuid=\${uuid}` }] },
  });
  const logger = createLogger('warn', process.stderr);
  const redis = createRedis(config, logger);
  while (redis.status !== 'ready') await new Promise((r) => setTimeout(r, 20));
  const pool = { nodes: [], get: () => { throw new FreectiError('ESL_NOT_CONNECTED'); }, statuses: () => [], close: async () => undefined };
  // Server-side view, immune to the load generator's scheduling: request received → response sent.
  const serverUs = new Map<string, number>();
  const timing: AppPlugin = async (instance) => {
    instance.addHook('onResponse', async (request, reply) => {
      const id = /(?:^|&)Unique-ID=([^&]+)/.exec(typeof request.body === 'string' ? request.body : '')?.[1];
      if (id !== undefined) serverUs.set(id, reply.elapsedTime * 1000);
    });
  };
  (timing as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
  const freecti = buildApp({ config, logger, redis, pool, metrics: createMetrics({ defaultMetrics: false }), version: 'bench' }, [timing]);
  await freecti.listen({ host: '127.0.0.1', port: 0 });
  const address = freecti.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  while ((await redis.hexists('bench:{freecti}:routes', 'bench')) !== 1) await new Promise((r) => setTimeout(r, 20));
  try {
    for (const [name, mode] of [['warmup', 'paced'], [`paced-${RPS}rps`, 'paced'], ['saturation', 'saturate']] as const) {
      progress(`routing bench: ${name}...`);
      const cpuBefore = process.cpuUsage();
      const load = child(['--role', 'load', String(port), mode, name === 'warmup' ? '2' : String(SECONDS)]);
      const { elapsed, samples } = JSON.parse(await nextLine(load.lines)) as { elapsed: number; samples: Sample[] };
      const cpu = process.cpuUsage(cpuBefore);
      const own = await appTimes(appPort);
      if (name === 'warmup') continue;
      const ok = samples.filter((s) => s.ok);
      const added = ok.map((s) => (s.totalUs - (own[s.id] ?? 0)) / 1000).sort((a, b) => a - b);
      const totals = ok.map((s) => s.totalUs / 1000).sort((a, b) => a - b);
      const inServer = ok.filter((s) => serverUs.has(s.id)).map((s) => ((serverUs.get(s.id) ?? 0) - (own[s.id] ?? 0)) / 1000).sort((a, b) => a - b);
      serverUs.clear();
      printResult({
        case: name,
        rps: round(ok.length / elapsed),
        requests: samples.length,
        errors: samples.length - ok.length,
        added_p50_ms: round(percentile(added, 50), 3),
        added_p99_ms: round(percentile(added, 99), 3),
        total_p99_ms: round(percentile(totals, 99), 3),
        in_freecti_p50_ms: round(percentile(inServer, 50), 3),
        in_freecti_p99_ms: round(percentile(inServer, 99), 3),
        freecti_cpu_us_per_request: round((cpu.user + cpu.system) / Math.max(1, samples.length)),
        load1: round(loadavg()[0] ?? 0, 1),
      });
    }
  } finally {
    await freecti.close();
    app.proc.kill('SIGTERM');
    await closeRedis(redis);
    await redisServer.stop();
  }
}

const role = process.argv[process.argv.indexOf('--role') + 1];
if (process.argv.includes('--role') && role === 'app') runApp();
else if (process.argv.includes('--role') && role === 'load') void runLoad(Number(process.argv[4]), process.argv[5] === 'saturate' ? 'saturate' : 'paced', Number(process.argv[6]));
else await main();
