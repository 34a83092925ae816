/**
 * mod_xml_curl directory benchmark (docs/performance.md, "Directory"):
 *
 *   npm run bench:directory          # BENCH_PIN=1: servers on core 0, the rest on core 1
 *
 * A private redis-server with 100,000 extensions in `cti_exten@127.0.0.1`. Two servers,
 * each in its own process: freecti (the real app, `POST /freeswitch/xml`) and a naive
 * floor (node:http + one ioredis HGET + string concatenation: no validation, no policy,
 * no XML escaping). A third process is the load, started once and told what to run over
 * stdin; each run uses a fresh undici Pool (keep-alive connections, closed afterwards)
 * POSTing the recorded sip_auth REGISTER body (and the recorded `bridge user/` body),
 * for a random extension each time. Two modes per case:
 * - saturation: BENCH_CONNECTIONS (64) requests always in flight for BENCH_SECONDS (2)
 *   per round, BENCH_ROUNDS (5) rounds; `ratio` is the median over rounds of the two
 *   servers' rps measured back to back in that round, the order alternating per round.
 *   Latency here is bounded by Little's law (64 in flight / rps), so it says little.
 * - paced (`<case>-paced`): open loop at BENCH_PACED_RPS (2000) requests/s,
 *   BENCH_PACED_COUNT (4000) requests per round, BENCH_PACED_ROUNDS (3) rounds,
 *   alternating order: p50/p99 for both servers at a rate both sustain.
 * Untimed warm-up (BENCH_WARMUP_SECONDS, 3) of both servers with every case first, and
 * an untimed priming run (BENCH_PRIME_SECONDS, 0.5) of the same kind just before every
 * timed run, so that neither server starts a timed run colder than the other.
 * CPU per request: each server process's (and the load's) CPU time from /proc. Each line
 * carries the highest 1-minute load average seen while it ran. One JSON line per case
 * and mode on stdout.
 */
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { Pool } from 'undici';
import { validateConfig } from '../src/config/load.js';
import { FreectiError } from '../src/errors.js';
import { buildApp } from '../src/http/app.js';
import { createLogger } from '../src/logger.js';
import { createMetrics } from '../src/metrics.js';
import { fixturePath } from '../test/helpers/fixtures.js';
import { startRedis } from '../test/helpers/redis.js';
import { median } from './lib/timing.js';
import { printResult, progress, round } from './lib/output.js';
import { cpuMicros, load1, nextLine, percentile, pinSelf, pinTool, spawnRole, type Role } from './lib/procs.js';

const EXTENSIONS = 100_000;
const FIRST = 100_000;
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 64);
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 2);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 5);
const PACED_RPS = Number(process.env['BENCH_PACED_RPS'] ?? 2000);
const PACED_COUNT = Number(process.env['BENCH_PACED_COUNT'] ?? 4000);
const PACED_ROUNDS = Number(process.env['BENCH_PACED_ROUNDS'] ?? 3);
/** Untimed run per server and case first, so that the JIT has settled. */
const WARMUP_SECONDS = Number(process.env['BENCH_WARMUP_SECONDS'] ?? 3);
/** Untimed run of the same kind just before every timed run, so both start equally hot. */
const PRIME_SECONDS = Number(process.env['BENCH_PRIME_SECONDS'] ?? 0.5);
const DOMAIN = '127.0.0.1';
const SCRIPT = fileURLToPath(import.meta.url);
const SERVER_CORE = 0;
const REST_CORE = 1;

function recordedBody(name: string): string {
  const raw = readFileSync(fixturePath(`xml-curl/${name}.http`), 'latin1');
  return raw.slice(raw.indexOf('\r\n\r\n') + 4);
}

// ---------- role: freecti ----------
async function runFreecti(redisUrl: string): Promise<void> {
  const config = validateConfig({ redis: { url: redisUrl } });
  const redis = new Redis(redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  await new Promise((r) => redis.once('ready', r));
  const pool = { nodes: [], get: () => { throw new FreectiError('ESL_NOT_CONNECTED'); }, statuses: () => [], close: async () => {} };
  const app = buildApp({ config, logger: createLogger('silent'), redis, pool, metrics: createMetrics({ defaultMetrics: false }), version: 'bench' });
  await app.listen({ host: '127.0.0.1', port: 0 });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => void app.close().then(() => process.exit(0)));
  process.stdout.write(`READY ${(app.server.address() as { port: number }).port}\n`);
}

// ---------- role: naive floor ----------
async function runNaive(redisUrl: string): Promise<void> {
  const redis = new Redis(redisUrl);
  await new Promise((r) => redis.once('ready', r));
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('latin1');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const form = new URLSearchParams(body);
      const user = form.get('user') ?? '';
      const domain = form.get('domain') ?? '';
      void redis.hget(`cti_exten@${domain}`, user).then((raw) => {
        let doc = '<document type="freeswitch/xml"><section name="result"><result status="not found"/></section></document>';
        if (raw !== null) {
          const ext = JSON.parse(raw) as { param?: Record<string, string>; variable?: Record<string, string> };
          let params = '';
          for (const [k, v] of Object.entries(ext.param ?? {})) params += `<param name="${k}" value="${v}"/>`;
          let vars = '';
          for (const [k, v] of Object.entries(ext.variable ?? {})) vars += `<variable name="${k}" value="${v}"/>`;
          doc = `<document type="freeswitch/xml"><section name="directory"><domain name="${domain}"><user id="${user}"><params>${params}</params><variables>${vars}</variables></user></domain></section></document>`;
        }
        res.writeHead(200, { 'content-type': 'text/xml', 'content-length': Buffer.byteLength(doc) });
        res.end(doc);
      });
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.stdout.write(`READY ${(server.address() as { port: number }).port}\n`));
}

// ---------- role: load ----------
interface LoadCommand { port: number; body: string; mode: 'saturate' | 'paced'; seconds: number; count: number; prime: number }
interface LoadResult { count: number; errors: number; elapsed: number; latencies: number[]; cpuUs: number }

async function loadRun(cmd: LoadCommand): Promise<LoadResult> {
  const template = recordedBody(cmd.body);
  const bodies = Array.from({ length: 1024 }, (_, i) => {
    const ext = String(FIRST + ((i * 7919) % EXTENSIONS));
    return template.replace(/(^|&)user=[^&]*/, `$1user=${ext}`).replace(/(^|&)sip_auth_username=[^&]*/, `$1sip_auth_username=${ext}`);
  });
  // A fresh pool per run: no run inherits another's connections (or their state).
  const pool = new Pool(`http://127.0.0.1:${cmd.port}`, { connections: CONNECTIONS, pipelining: 1, keepAliveTimeout: 60_000 });
  const latencies: number[] = [];
  let errors = 0;
  let seq = 0;
  const one = async (): Promise<void> => {
    const body = bodies[seq++ % bodies.length] as string;
    const started = process.hrtime.bigint();
    try {
      const res = await pool.request({ path: '/freeswitch/xml', method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'freeswitch-xml/1.0', accept: '*/*' } });
      const text = await res.body.text();
      if (res.statusCode !== 200 || !text.includes('<user id=')) errors++;
    } catch {
      errors++;
    }
    latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
  };
  const cpuBefore = process.cpuUsage();
  const t0 = performance.now();
  if (cmd.mode === 'saturate') {
    const until = t0 + cmd.seconds * 1000;
    await Promise.all(Array.from({ length: CONNECTIONS }, async () => {
      while (performance.now() < until) await one();
    }));
  } else {
    const pending: Promise<void>[] = [];
    for (let i = 0; i < cmd.count; i++) {
      const wait = t0 + (i * 1000) / PACED_RPS - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      pending.push(one());
    }
    await Promise.all(pending);
  }
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  await pool.close();
  return { count: latencies.length, errors, elapsed, latencies, cpuUs: cpu.user + cpu.system };
}

async function runLoad(): Promise<void> {
  for await (const line of createInterface({ input: process.stdin })) {
    const cmd = JSON.parse(line) as LoadCommand;
    if (cmd.prime > 0) {
      await loadRun({ ...cmd, seconds: cmd.prime, count: Math.ceil(cmd.prime * PACED_RPS) });
      process.stdout.write('PRIMED\n');
    }
    const result = await loadRun(cmd);
    process.stdout.write(`${JSON.stringify(result)}\n`);
  }
}

// ---------- orchestrator ----------
type Server = 'freecti' | 'naive';
interface Tally { rps: number[]; latencies: number[]; cpuUs: number; loadCpuUs: number; requests: number }
const newTally = (): Tally => ({ rps: [], latencies: [], cpuUs: 0, loadCpuUs: 0, requests: 0 });

async function main(): Promise<void> {
  const taskset = pinTool();
  if (process.env['BENCH_PIN'] === '1' && taskset === undefined) progress('BENCH_PIN=1 but no taskset on the PATH: running unpinned');
  pinSelf(taskset, REST_CORE);
  const redisServer = await startRedis();
  const roles: Role[] = [];
  try {
    progress(`loading ${EXTENSIONS} extensions into redis ${redisServer.url}`);
    const redis = new Redis(redisServer.url);
    for (let start = 0; start < EXTENSIONS; start += 5000) {
      const fields: string[] = [];
      for (let n = start; n < start + 5000; n++) {
        const ext = String(FIRST + n);
        fields.push(ext, JSON.stringify({ param: { password: `pw-${ext}` }, variable: { user_context: 'default', effective_caller_id_number: ext } }));
      }
      await redis.hset(`cti_exten@${DOMAIN}`, ...fields);
    }
    const keysBefore = await redis.dbsize();
    const ports: Record<Server, number> = { freecti: 0, naive: 0 };
    const pids: Record<Server, number> = { freecti: 0, naive: 0 };
    for (const role of ['freecti', 'naive'] as const) {
      const c = spawnRole(SCRIPT, ['--role', role, redisServer.url], taskset, SERVER_CORE);
      roles.push(c);
      ports[role] = Number((await nextLine(c)).split(' ')[1]);
      pids[role] = c.proc.pid ?? 0;
    }
    const load = spawnRole(SCRIPT, ['--role', 'load'], taskset, REST_CORE, true);
    roles.push(load);
    const loadPid = load.proc.pid ?? 0;
    const run = async (role: Server, body: string, mode: 'saturate' | 'paced', seconds: number, tally?: Tally): Promise<LoadResult> => {
      const prime = tally === undefined ? 0 : PRIME_SECONDS;
      load.proc.stdin?.write(`${JSON.stringify({ port: ports[role], body, mode, seconds, count: PACED_COUNT, prime } satisfies LoadCommand)}\n`);
      if (prime > 0) await nextLine(load); // PRIMED: the timed run starts now
      const cpuBefore = cpuMicros(pids[role]);
      const loadBefore = cpuMicros(loadPid);
      const result = JSON.parse(await nextLine(load)) as LoadResult;
      if (result.errors > 0) throw new Error(`${role}: ${result.errors} failed requests`);
      if (tally !== undefined) {
        tally.rps.push(result.count / result.elapsed);
        tally.latencies.push(...result.latencies);
        tally.cpuUs += cpuMicros(pids[role]) - cpuBefore;
        tally.loadCpuUs += cpuMicros(loadPid) - loadBefore;
        tally.requests += result.count;
      }
      return result;
    };
    const cases: Record<string, string> = {
      'directory-sip-auth-register': 'directory-sip-auth-register-1000',
      'directory-user-call': 'directory-user-call-bridge-user-1001',
    };
    const selected = (process.env['BENCH_CASES'] ?? Object.keys(cases).join(',')).split(',');
    for (const caseName of selected) if (cases[caseName] === undefined) throw new Error(`unknown case ${caseName}; known: ${Object.keys(cases).join(', ')}`);
    // Untimed warm-up of both servers with every case, so that no case pays for the JIT.
    for (const caseName of selected) {
      for (const role of ['naive', 'freecti'] as const) await run(role, cases[caseName] ?? '', 'saturate', WARMUP_SECONDS);
    }
    for (const caseName of selected) {
      const bodyName = cases[caseName] ?? '';
      for (const mode of ['saturate', 'paced'] as const) {
        const tallies: Record<Server, Tally> = { freecti: newTally(), naive: newTally() };
        const ratios: number[] = [];
        const loads: number[] = [];
        const rounds = mode === 'saturate' ? ROUNDS : PACED_ROUNDS;
        for (let r = 0; r < rounds; r++) {
          const order: Server[] = r % 2 === 0 ? ['freecti', 'naive'] : ['naive', 'freecti'];
          const got: Partial<Record<Server, number>> = {};
          for (const role of order) {
            const result = await run(role, bodyName, mode, SECONDS, tallies[role]);
            got[role] = result.count / result.elapsed;
            loads.push(load1());
            progress(`${caseName} ${mode} round ${r} ${role}: ${Math.round(got[role])} rps, load ${load1()}`);
          }
          ratios.push((got.freecti ?? 0) / (got.naive ?? 1));
        }
        const ours = tallies.freecti;
        const peer = tallies.naive;
        const sorted = ours.latencies.sort((a, b) => a - b);
        const peerSorted = peer.latencies.sort((a, b) => a - b);
        const cpu = ours.cpuUs / Math.max(1, ours.requests);
        const peerCpu = peer.cpuUs / Math.max(1, peer.requests);
        printResult({
          case: mode === 'saturate' ? caseName : `${caseName}-paced`,
          mode: mode === 'saturate' ? `saturation-${CONNECTIONS}conn` : `paced-${PACED_RPS}rps`,
          rps: round(median(ours.rps)), p50_ms: round(percentile(sorted, 50), 2), p99_ms: round(percentile(sorted, 99), 2),
          peer: 'naive-node-http', peer_rps: round(median(peer.rps)),
          ratio: round(median(ratios), 2), ratio_min: round(Math.min(...ratios), 2), ratio_max: round(Math.max(...ratios), 2),
          peer_p50_ms: round(percentile(peerSorted, 50), 2), peer_p99_ms: round(percentile(peerSorted, 99), 2),
          cpu_us_per_req: round(cpu), peer_cpu_us_per_req: round(peerCpu), cpu_ratio: round(cpu / peerCpu, 2),
          load_cpu_us_per_req: round((ours.loadCpuUs + peer.loadCpuUs) / Math.max(1, ours.requests + peer.requests)),
          rounds, pinned: taskset !== undefined, load1: round(Math.max(...loads), 1),
        });
      }
    }
    const keysAfter = await redis.dbsize();
    if (keysAfter !== keysBefore) progress(`redis keys ${keysBefore} -> ${keysAfter} during the run`);
    redis.disconnect();
  } finally {
    for (const r of roles) r.proc.kill('SIGTERM');
    await redisServer.stop();
  }
}

const role = process.argv[process.argv.indexOf('--role') + 1];
if (!process.argv.includes('--role')) await main();
else if (role === 'freecti') await runFreecti(process.argv[4] ?? '');
else if (role === 'naive') await runNaive(process.argv[4] ?? '');
else if (role === 'load') await runLoad();
