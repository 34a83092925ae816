/**
 * HTTP call routing benchmark (docs/performance.md, "Routing"):
 *
 *   npm run bench:routing            # BENCH_PIN=1: servers on core 0, the rest on core 1
 *
 * Processes, so that no part steals the others' event loop:
 * - this one (orchestrator): a private redis-server (the route table);
 * - `--role freecti`: freecti (the real app, `POST /freeswitch/xml`);
 * - `--role peer`: the peer, a minimal mod_xml_curl responder (node:http): it reads the
 *   form with URLSearchParams, asks the same webhook app with undici (one keep-alive
 *   Pool) and builds the dialplan XML by string concatenation: no route table, no
 *   validation of the answer, no escaping, no metrics;
 * - `--role app`: the webhook application (node:http) answering a 2-action list; it
 *   measures its own time per request (keyed by X-Request-Id = the call uuid);
 * - `--role load`: mod_xml_curl's part: POSTs the recorded dialplan request (fresh
 *   Unique-ID each time, one TCP connection per request like mod_xml_curl) and
 *   measures the total time.
 * Added latency per request = total - the application's own time. `in_freecti_*` (and
 * `peer_in_server_*`) is the same measured inside the server (request received →
 * response sent, minus the app's own time): it leaves out the load generator.
 * Cases: paced at BENCH_RPS (500), then saturation (BENCH_CONCURRENCY=32 in flight);
 * each case runs BENCH_ROUNDS (2) rounds of BENCH_SECONDS/BENCH_ROUNDS per contender,
 * alternating which contender goes first, after a 2 s warm-up of each. CPU per request
 * is the server process's CPU time (/proc, user + system) / requests. One JSON line per
 * case on stdout, freecti's figures, the peer's, the CPU ratio and the load average.
 * BENCH_PIN=1 (and `taskset` on the PATH): freecti and the peer run under
 * `taskset -c 0`, this process, redis-server, the app and the load under `taskset -c 1`.
 */
import { createServer, request as httpRequest } from 'node:http';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { validateConfig } from '../src/config/load.js';
import { FreectiError } from '../src/errors.js';
import { buildApp, type AppPlugin } from '../src/http/app.js';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/metrics.js';
import { closeRedis, createRedis } from '../src/redis.js';
import { fixturePath } from '../test/helpers/fixtures.js';
import { startRedis } from '../test/helpers/redis.js';
import { printResult, progress, round } from './lib/output.js';
import { cpuMicros, load1, nextLine, percentile, pinSelf, pinTool, spawnRole, type Role } from './lib/procs.js';

const RPS = Number(process.env['BENCH_RPS'] ?? 500);
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 10);
const ROUNDS = Math.max(1, Number(process.env['BENCH_ROUNDS'] ?? 2));
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 32);
const WARMUP_SECONDS = Number(process.env['BENCH_WARMUP_SECONDS'] ?? 2);
const ACTIONS = JSON.stringify([
  { application: 'playback', data: '/sounds/welcome.wav' },
  { application: 'bridge', data: 'user/1001' },
]);
const SCRIPT = fileURLToPath(import.meta.url);
/** Cores when pinning: the servers measured, and everything else. */
const SERVER_CORE = 0;
const REST_CORE = 1;

interface Sample { id: string; totalUs: number; ok: boolean }

function listenLine(port: number): void {
  process.stdout.write(`READY ${port}\n`);
}

/** A `/__times` answer: the server's own time per request id, then forgotten. */
function takeTimes(times: Map<string, number>): string {
  const text = JSON.stringify(Object.fromEntries(times));
  times.clear();
  return text;
}

// ---------- role: webhook application ----------
function runApp(): void {
  const ownUs = new Map<string, number>();
  const server = createServer((req, res) => {
    const started = process.hrtime.bigint();
    if (req.url === '/__times') {
      res.end(takeTimes(ownUs));
      return;
    }
    const id = String(req.headers['x-request-id'] ?? '');
    res.on('finish', () => ownUs.set(id, Number(process.hrtime.bigint() - started) / 1000));
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(ACTIONS) });
    res.end(ACTIONS);
  });
  server.keepAliveTimeout = 30_000;
  server.listen(0, '127.0.0.1', () => listenLine((server.address() as { port: number }).port));
}

// ---------- role: freecti ----------
async function runFreecti(redisUrl: string, appPort: number): Promise<void> {
  const config = validateConfig({
    redis: { url: redisUrl, keyPrefix: 'bench:' },
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
    instance.get('/__times', async (_request, reply) => reply.type('application/json').send(takeTimes(serverUs)));
  };
  (timing as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
  const app = buildApp({ config, logger, redis, pool, metrics: createMetrics({ defaultMetrics: false }), version: 'bench' }, [timing]);
  await app.listen({ host: '127.0.0.1', port: 0 });
  while ((await redis.hexists('bench:{freecti}:routes', 'bench')) !== 1) await new Promise((r) => setTimeout(r, 20));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void app.close().then(() => closeRedis(redis)).then(() => process.exit(0)));
  }
  listenLine((app.server.address() as { port: number }).port);
}

// ---------- role: peer (minimal mod_xml_curl responder) ----------
function runPeer(appPort: number): void {
  const webhook = new Pool(`http://127.0.0.1:${appPort}`, { connections: 64, keepAliveTimeout: 30_000 });
  const serverUs = new Map<string, number>();
  const notFound = '<document type="freeswitch/xml"><section name="result"><result status="not found"/></section></document>';
  const server = createServer((req, res) => {
    const started = process.hrtime.bigint();
    if (req.url === '/__times') {
      res.end(takeTimes(serverUs));
      return;
    }
    let body = '';
    req.setEncoding('latin1');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const form = new URLSearchParams(body);
      const uuid = form.get('Unique-ID') ?? '';
      const number = form.get('Hunt-Destination-Number') ?? form.get('Caller-Destination-Number') ?? '';
      const context = form.get('Hunt-Context') ?? form.get('Caller-Context') ?? 'default';
      const answer = (doc: string): void => {
        res.on('finish', () => serverUs.set(uuid, Number(process.hrtime.bigint() - started) / 1000));
        res.writeHead(200, { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(doc) });
        res.end(doc);
      };
      webhook
        .request({ path: `/route?number=${encodeURIComponent(number)}&uuid=${encodeURIComponent(uuid)}`, method: 'GET', headers: { accept: 'application/json', 'x-request-id': uuid } })
        .then(async (reply) => {
          const actions = (await reply.body.json()) as { application: string; data?: string }[];
          let xml = `<document type="freeswitch/xml"><section name="dialplan"><context name="${context}"><extension name="peer"><condition>`;
          for (const a of actions) xml += `<action application="${a.application}" data="${a.data ?? ''}"/>`;
          answer(`${xml}</condition></extension></context></section></document>`);
        })
        .catch(() => answer(notFound));
    });
  });
  server.keepAliveTimeout = 30_000;
  server.listen(0, '127.0.0.1', () => listenLine((server.address() as { port: number }).port));
}

// ---------- role: load generator (mod_xml_curl) ----------
async function runLoad(port: number, mode: 'paced' | 'saturate', seconds: number): Promise<void> {
  const recorded = readFileSync(fixturePath('xml-curl/dialplan-call-1000-to-1001.http'), 'latin1');
  const body = recorded.slice(recorded.indexOf('\r\n\r\n') + 4);
  const uuid = '4bbe7137-63d5-417f-813b-44e1d04df14d';
  const samples: Sample[] = [];
  let seq = 0;
  const prefix = `${uuid.slice(0, 20)}${String(process.pid % 10000).padStart(4, '0')}`;
  const one = (): Promise<void> =>
    new Promise((resolve) => {
      const id = `${prefix}${String(seq++).padStart(12, '0')}`;
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
async function times(port: number): Promise<Record<string, number>> {
  const res = await fetch(`http://127.0.0.1:${port}/__times`);
  return (await res.json()) as Record<string, number>;
}

interface Contender { name: 'freecti' | 'peer'; role: Role; port: number }
interface Tally { samples: Sample[]; added: number[]; inServer: number[]; elapsed: number; cpuUs: number }

async function measure(c: Contender, mode: 'paced' | 'saturate', seconds: number, appPort: number, taskset: string | undefined, tally: Tally): Promise<void> {
  const pid = c.role.proc.pid ?? 0;
  const cpuBefore = cpuMicros(pid);
  const load = spawnRole(SCRIPT, ['--role', 'load', String(c.port), mode, String(seconds)], taskset, REST_CORE);
  const { elapsed, samples } = JSON.parse(await nextLine(load)) as { elapsed: number; samples: Sample[] };
  tally.cpuUs += cpuMicros(pid) - cpuBefore;
  const own = await times(appPort);
  const server = await times(c.port);
  tally.elapsed += elapsed;
  tally.samples.push(...samples);
  for (const s of samples) {
    if (!s.ok) continue;
    tally.added.push((s.totalUs - (own[s.id] ?? 0)) / 1000);
    const inServer = server[s.id];
    if (inServer !== undefined) tally.inServer.push((inServer - (own[s.id] ?? 0)) / 1000);
  }
}

function summary(t: Tally): { rps: number; requests: number; errors: number; p50: number; p99: number; in50: number; in99: number; cpu: number } {
  const ok = t.samples.filter((s) => s.ok).length;
  const added = [...t.added].sort((a, b) => a - b);
  const inServer = [...t.inServer].sort((a, b) => a - b);
  return {
    rps: round(ok / t.elapsed), requests: t.samples.length, errors: t.samples.length - ok,
    p50: round(percentile(added, 50), 3), p99: round(percentile(added, 99), 3),
    in50: round(percentile(inServer, 50), 3), in99: round(percentile(inServer, 99), 3),
    cpu: round(t.cpuUs / Math.max(1, t.samples.length)),
  };
}

async function main(): Promise<void> {
  const taskset = pinTool();
  if (process.env['BENCH_PIN'] === '1' && taskset === undefined) progress('BENCH_PIN=1 but no taskset on the PATH: running unpinned');
  pinSelf(taskset, REST_CORE);
  const redisServer = await startRedis();
  const roles: Role[] = [];
  try {
    const app = spawnRole(SCRIPT, ['--role', 'app'], taskset, REST_CORE);
    roles.push(app);
    const appPort = Number((await nextLine(app)).split(' ')[1]);
    const freecti = spawnRole(SCRIPT, ['--role', 'freecti', redisServer.url, String(appPort)], taskset, SERVER_CORE);
    roles.push(freecti);
    const peer = spawnRole(SCRIPT, ['--role', 'peer', String(appPort)], taskset, SERVER_CORE);
    roles.push(peer);
    const contenders: Contender[] = [
      { name: 'freecti', role: freecti, port: Number((await nextLine(freecti)).split(' ')[1]) },
      { name: 'peer', role: peer, port: Number((await nextLine(peer)).split(' ')[1]) },
    ];
    for (const c of contenders) {
      progress(`routing bench: warm-up ${c.name}...`);
      await measure(c, 'paced', WARMUP_SECONDS, appPort, taskset, { samples: [], added: [], inServer: [], elapsed: 0, cpuUs: 0 });
    }
    for (const [name, mode] of [[`paced-${RPS}rps`, 'paced'], ['saturation', 'saturate']] as const) {
      const tallies = new Map(contenders.map((c) => [c.name, { samples: [], added: [], inServer: [], elapsed: 0, cpuUs: 0 } as Tally]));
      const loads: number[] = [];
      for (let r = 0; r < ROUNDS; r++) {
        const order = r % 2 === 0 ? contenders : [...contenders].reverse();
        for (const c of order) {
          progress(`routing bench: ${name} round ${r} ${c.name}...`);
          await measure(c, mode, SECONDS / ROUNDS, appPort, taskset, tallies.get(c.name) as Tally);
          loads.push(load1());
        }
      }
      const ours = summary(tallies.get('freecti') as Tally);
      const theirs = summary(tallies.get('peer') as Tally);
      printResult({
        case: name,
        rps: ours.rps,
        requests: ours.requests,
        errors: ours.errors,
        added_p50_ms: ours.p50,
        added_p99_ms: ours.p99,
        in_freecti_p50_ms: ours.in50,
        in_freecti_p99_ms: ours.in99,
        freecti_cpu_us_per_request: ours.cpu,
        peer: 'node-http-undici-concat',
        peer_rps: theirs.rps,
        peer_errors: theirs.errors,
        peer_added_p50_ms: theirs.p50,
        peer_added_p99_ms: theirs.p99,
        peer_in_server_p50_ms: theirs.in50,
        peer_in_server_p99_ms: theirs.in99,
        peer_cpu_us_per_request: theirs.cpu,
        cpu_ratio: round(ours.cpu / Math.max(1, theirs.cpu), 2),
        pinned: taskset !== undefined,
        load1: round(Math.max(...loads), 1),
      });
    }
  } finally {
    for (const r of roles) r.proc.kill('SIGTERM');
    await redisServer.stop();
  }
}

const role = process.argv.includes('--role') ? process.argv[process.argv.indexOf('--role') + 1] : undefined;
if (role === 'app') runApp();
else if (role === 'freecti') await runFreecti(process.argv[4] ?? '', Number(process.argv[5]));
else if (role === 'peer') runPeer(Number(process.argv[4]));
else if (role === 'load') await runLoad(Number(process.argv[4]), process.argv[5] === 'saturate' ? 'saturate' : 'paced', Number(process.argv[6]));
else await main();
