/**
 * mod_xml_curl directory benchmark (docs/performance.md, "Directory"):
 *
 *   npm run bench:directory
 *
 * A private redis-server with 100,000 extensions in `cti_exten@127.0.0.1`. Two servers,
 * each in its own process: freecti (the real app, `POST /freeswitch/xml`) and a naive
 * floor (node:http + one ioredis HGET + string concatenation: no validation, no policy,
 * no XML escaping). A third process is the load: 64 keep-alive connections (undici
 * Pool) POSTing the recorded sip_auth REGISTER body (and the recorded `bridge user/`
 * body), for a random extension each time. The servers are measured in alternating
 * rounds (BENCH_ROUNDS=3, BENCH_SECONDS=4 each); rps is the median over rounds, the
 * latency percentiles come from all samples. One JSON line per case on stdout.
 */
import { spawn, type ChildProcess } from 'node:child_process';
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

const EXTENSIONS = 100_000;
const FIRST = 100_000;
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 64);
const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 4);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
/** Untimed run per server and case first, so that the JIT has settled. */
const WARMUP_SECONDS = Number(process.env['BENCH_WARMUP_SECONDS'] ?? 4);
const DOMAIN = '127.0.0.1';

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
async function runLoad(port: number, bodyName: string, seconds: number): Promise<void> {
  const template = recordedBody(bodyName);
  const bodies = Array.from({ length: 1024 }, (_, i) => {
    const ext = String(FIRST + ((i * 7919) % EXTENSIONS));
    return template.replace(/(^|&)user=[^&]*/, `$1user=${ext}`).replace(/(^|&)sip_auth_username=[^&]*/, `$1sip_auth_username=${ext}`);
  });
  const pool = new Pool(`http://127.0.0.1:${port}`, { connections: CONNECTIONS, pipelining: 1, keepAliveTimeout: 60_000 });
  const latencies: number[] = [];
  let errors = 0;
  let seq = 0;
  const until = Date.now() + seconds * 1000;
  const worker = async (): Promise<void> => {
    while (Date.now() < until) {
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
    }
  };
  const t0 = Date.now();
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  const elapsed = (Date.now() - t0) / 1000;
  await pool.close();
  process.stdout.write(`${JSON.stringify({ count: latencies.length, errors, elapsed, latencies })}\n`);
}

// ---------- orchestrator ----------
function child(args: string[]): { proc: ChildProcess; line: Promise<string> } {
  const proc = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const rl = createInterface({ input: proc.stdout! });
  const line = new Promise<string>((resolve, reject) => {
    rl.once('line', resolve);
    proc.once('exit', (code) => reject(new Error(`${args[1]} exited with ${code}`)));
  });
  return { proc, line };
}

/** CPU time (user + system, µs) a process has used so far, from /proc (Linux). */
function cpuMicros(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1e6) / 100; // USER_HZ is 100 on Linux
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function main(): Promise<void> {
  const redisServer = await startRedis();
  const children: ChildProcess[] = [];
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
    redis.disconnect();
    const servers: Record<string, number> = {};
    const pids: Record<string, number> = {};
    for (const role of ['freecti', 'naive']) {
      const c = child(['--role', role, redisServer.url]);
      children.push(c.proc);
      servers[role] = Number((await c.line).split(' ')[1]);
      pids[role] = c.proc.pid ?? 0;
    }
    const cases: Record<string, string> = {
      'directory-sip-auth-register': 'directory-sip-auth-register-1000',
      'directory-user-call': 'directory-user-call-bridge-user-1001',
    };
    const selected = (process.env['BENCH_CASES'] ?? Object.keys(cases).join(',')).split(',');
    // Untimed warm-up of both servers with every case, so that no case pays for the JIT.
    for (const caseName of selected) {
      for (const role of ['freecti', 'naive']) {
        const load = child(['--role', 'load', String(servers[role]), cases[caseName] ?? '', String(WARMUP_SECONDS)]);
        await load.line;
      }
    }
    for (const caseName of selected) {
      const bodyName = cases[caseName];
      if (bodyName === undefined) throw new Error(`unknown case ${caseName}; known: ${Object.keys(cases).join(', ')}`);
      const rps: Record<string, number[]> = { freecti: [], naive: [] };
      const lat: Record<string, number[]> = { freecti: [], naive: [] };
      const cpu: Record<string, { us: number; requests: number }> = { freecti: { us: 0, requests: 0 }, naive: { us: 0, requests: 0 } };
      for (let r = 0; r < ROUNDS; r++) {
        const order = r % 2 === 0 ? ['freecti', 'naive'] : ['naive', 'freecti'];
        for (const role of order) {
          const cpuBefore = cpuMicros(pids[role] ?? 0);
          const load = child(['--role', 'load', String(servers[role]), bodyName, String(SECONDS)]);
          const result = JSON.parse(await load.line) as { count: number; errors: number; elapsed: number; latencies: number[] };
          const used = cpuMicros(pids[role] ?? 0) - cpuBefore;
          if (result.errors > 0) throw new Error(`${role}: ${result.errors} failed requests`);
          rps[role]?.push(result.count / result.elapsed);
          const c = cpu[role] as { us: number; requests: number };
          c.us += used;
          c.requests += result.count;
          lat[role]?.push(...result.latencies);
          progress(`${caseName} round ${r} ${role}: ${Math.round(result.count / result.elapsed)} rps`);
        }
      }
      const sorted = (lat['freecti'] ?? []).sort((a, b) => a - b);
      const peerSorted = (lat['naive'] ?? []).sort((a, b) => a - b);
      const ours = median(rps['freecti'] ?? []);
      const peer = median(rps['naive'] ?? []);
      printResult({
        case: caseName, rps: round(ours), p50_ms: round(percentile(sorted, 50), 2), p99_ms: round(percentile(sorted, 99), 2),
        peer: 'naive-node-http', peer_rps: round(peer), ratio: round(ours / peer, 2),
        peer_p50_ms: round(percentile(peerSorted, 50), 2), peer_p99_ms: round(percentile(peerSorted, 99), 2),
        cpu_us_per_req: round((cpu['freecti']?.us ?? 0) / (cpu['freecti']?.requests ?? 1)),
        peer_cpu_us_per_req: round((cpu['naive']?.us ?? 0) / (cpu['naive']?.requests ?? 1)),
      });
    }
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await redisServer.stop();
  }
}

const role = process.argv[process.argv.indexOf('--role') + 1];
if (!process.argv.includes('--role')) await main();
else if (role === 'freecti') await runFreecti(process.argv[4] ?? '');
else if (role === 'naive') await runNaive(process.argv[4] ?? '');
else if (role === 'load') await runLoad(Number(process.argv[4]), process.argv[5] ?? '', Number(process.argv[6]));
